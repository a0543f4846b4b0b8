"""Round 20: no 10x move from the LR's place alone. A word2vec skip-gram under plain SGD at its
sweep's best LRs (17.8 and 31.6: sparse embedding updates train far above dense SGD's usual
1e-3..0.3), logged every 50 steps, fell 13-16% over its log with nothing on the curve showing too
high an LR (no swing back up, spike, blow-up or NaN), and was told "oscillating, reduce x0.018 /
x0.0099" to the top of SGD's range. A loss that fell 10% or more far above the usual range with
no such sign is read too high from the LR's place alone, a prior that says which way, not how
far: a range test. A loss that swung back up, or one that hardly moved, still goes to the
range."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(50, 1101, 50)  # every 50 steps, as word2vec's loop logs
PEAK = 30.0
LR = PEAK * (1 - (STEPS - 50) / 1100)  # linear decay


def _smooth_fall() -> np.ndarray:
    """A loss from 3.6 at the first logged step (50) down to ~2.5 within a few logged points,
    then near 2.5 to step 1100, 1% noise: what the log shows of a fall from further up."""
    rng = np.random.default_rng(7)
    level = 2.5 + 1.1 * np.exp(-(STEPS - 50) / 40.0)
    return level * np.exp(rng.normal(0.0, 0.01, STEPS.size))


def _swung_back_up() -> np.ndarray:
    """The same fall, then a swing 25% back up above its best over the second half."""
    loss = _smooth_fall()
    half = STEPS >= 600
    return np.where(half, loss * (1 + 0.25 * np.sin(np.pi * (STEPS - 600) / 500) ** 2), loss)


def _hardly_moved() -> np.ndarray:
    """A loss that moved 2% over the run."""
    rng = np.random.default_rng(8)
    return (1.0 - 0.02 * (STEPS - 50) / 1050) * np.exp(rng.normal(0.0, 0.003, STEPS.size))


def _run(loss: np.ndarray) -> RunCurves:
    return RunCurves(loss=Series(STEPS, loss), optimizer="SGD", momentum=0.0, fine_tune=False,
                     lr=Series(STEPS, LR))


def test_a_fall_far_above_the_range_with_nothing_on_the_curve_gets_a_range_test() -> None:
    d = analyze(_run(_smooth_fall()))
    words = said(d)
    assert d.status is Status.OSCILLATING, words
    assert d.suggestion.action is Action.RANGE_TEST and d.suggestion.factor is None, words
    assert "nothing on the curve shows too high an LR" in words
    assert "which way, not how far" in words
    assert d.confidence < 0.9


def test_a_swing_back_up_still_moves_the_lr_down() -> None:
    d = analyze(_run(_swung_back_up()))
    assert d.status is Status.OSCILLATING, said(d)
    assert d.suggestion.action is Action.REDUCE, said(d)
    assert d.suggestion.factor is not None and d.suggestion.factor <= 0.1, said(d)


def test_a_loss_that_hardly_moved_still_moves_the_lr_down() -> None:
    d = analyze(_run(_hardly_moved()))
    assert d.suggestion.action is Action.REDUCE, said(d)
    assert d.suggestion.factor is not None and d.suggestion.factor <= 0.1, said(d)
    assert "nothing on the curve shows" not in said(d)


def test_the_online_analyzer_agrees() -> None:
    assert online_agrees(_run(_smooth_fall())).suggestion.action is Action.RANGE_TEST
