"""Round 22: a loss that fell 10-50% and then went flat is not a loss that hardly moved. Round 21's
held-out sides told an NT-Xent encoder at and above its best LR (its loss starts at ln(2N-1) and
floors far above 0) and DeepOBS's 3c3d CNN "stalled, increase" 10-18x, to the top of the usual
range, because the loss did not halve; such a fall now takes the move its size asks for (under
10x), and only a loss that hardly moved goes to the top of the range. Adagrad and Adadelta get
their own plausible most (0.3 and 1.0), not Adam's 1e-2."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(10, 641, 10)  # every 10 steps, 640 steps, as the contrastive encoder's loop


def _fell_then_flat(seed: int = 7) -> np.ndarray:
    """An NT-Xent-like loss: 4.1 -> ~2.9 (-30%) by step ~150, then flat, 1% noise."""
    rng = np.random.default_rng(seed)
    return (2.9 + 1.25 * np.exp(-STEPS / 40.0)) * np.exp(rng.normal(0.0, 0.01, STEPS.size))


def _hardly_moved(seed: int = 7) -> np.ndarray:
    """A loss that moved ~3% over the run: 4.14 -> ~4.0, 1% noise."""
    rng = np.random.default_rng(seed)
    return (4.0 + 0.14 * np.exp(-STEPS / 300.0)) * np.exp(rng.normal(0.0, 0.01, STEPS.size))


def _slow_fall(seed: int = 3) -> np.ndarray:
    """A binary cross-entropy still coming down slowly: 0.69 -> ~0.6, 1% noise."""
    rng = np.random.default_rng(seed)
    return (0.55 + 0.14 * np.exp(-STEPS / 900.0)) * np.exp(rng.normal(0.0, 0.01, STEPS.size))


def _run(loss: np.ndarray, optimizer: str, lr: float, momentum: float | None = None,
         fine_tune: bool | None = None) -> RunCurves:
    return RunCurves(loss=Series(STEPS, loss), optimizer=optimizer, momentum=momentum,
                     lr=Series(STEPS, np.full(STEPS.size, lr)), fine_tune=fine_tune)


def test_a_fall_that_did_not_halve_then_went_flat_is_not_sent_to_the_top_of_the_range() -> None:
    d = analyze(_run(_fell_then_flat(), "SGD", 5.6e-3, momentum=0.9))
    words = said(d)
    assert d.status is Status.STALLED, words
    assert d.suggestion.action is Action.INCREASE, words
    assert d.suggestion.factor is not None and 3 <= d.suggestion.factor < 10, words
    assert "toward the top" not in words


def test_the_same_fall_below_the_usual_range_still_goes_to_its_top() -> None:
    # from scratch: an LR this low is a fine-tune's too (moved 3x at most where nothing says)
    d = analyze(_run(_fell_then_flat(), "SGD", 1e-4, momentum=0.9, fine_tune=False))
    words = said(d)
    assert d.status is Status.STALLED, words
    assert d.suggestion.action is Action.INCREASE, words
    assert d.suggestion.factor is not None and d.suggestion.factor >= 30, words


def test_a_loss_that_hardly_moved_still_goes_to_the_top_of_the_range() -> None:
    d = analyze(_run(_hardly_moved(), "SGD", 3.2e-4, momentum=0.9, fine_tune=False))
    words = said(d)
    assert d.status is Status.STALLED, words
    assert d.suggestion.action is Action.INCREASE, words
    assert d.suggestion.factor is not None and d.suggestion.factor >= 30, words


def test_adagrad_may_go_past_adams_most() -> None:
    d = analyze(_run(_hardly_moved(), "Adagrad", 3.16e-3))
    words = said(d)
    assert d.status is Status.STALLED, words
    assert d.suggestion.action is Action.INCREASE, words
    assert d.suggestion.suggested_lr is not None and d.suggestion.suggested_lr > 0.03, words


def test_the_online_analyzer_agrees() -> None:
    for loss, optimizer, lr, momentum in ((_fell_then_flat(), "SGD", 5.6e-3, 0.9),
                                          (_hardly_moved(), "Adagrad", 3.16e-3, None)):
        online_agrees(_run(loss, optimizer, lr, momentum))
