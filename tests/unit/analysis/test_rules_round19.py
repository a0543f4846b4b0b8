"""Round 19: a loss that fell fast and then sat at a floor is not "stalled". The best runs of
three made families (a BERT-style MLM encoder under AdamW, a bidirectional GRU tagger under
clipped Adam, a TCN forecaster under Adam + StepLR) fell 45-70% in their first tenth to a level
far below chance and then sat there; they read "stalled, range test" at 0.35, "at an LR in the
usual range a flat loss reads two ways: too low an LR (it never got going) or too high". Such a
run got going: it reads healthy at 0.5 with a range test, its evidence saying how far the loss
fell and by when, and naming both readings of the floor (converged, or held up by too high an
LR). 3x or more below the top of the usual range the stalled reading stays (too low the
likelier), and so does a loss flat from the start (it never got going)."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(1, 2001)
CLASSES = 10  # chance level ln(10) = 2.30


def _fell_then_floor() -> np.ndarray:
    """A cross-entropy from chance (2.3) down to 1.1 (52% gone) in its first ~150 steps, then
    flat at 1.1 with 5% noise to step 2000."""
    rng = np.random.default_rng(3)
    level = 1.1 + 1.2 * np.exp(-(STEPS - 1) / 30.0)
    return level * np.exp(rng.normal(0.0, 0.05, STEPS.size))


def _flat_at_chance() -> np.ndarray:
    """A cross-entropy that never left chance level (2.3), 2% noise."""
    rng = np.random.default_rng(4)
    return 2.3 * np.exp(rng.normal(0.0, 0.02, STEPS.size))


def _run(loss: np.ndarray, lr: float) -> RunCurves:
    return RunCurves(loss=Series(STEPS, loss), optimizer="Adam", classes=CLASSES,
                     lr=Series(STEPS, np.full(STEPS.size, lr)))


def test_a_fall_to_a_floor_reads_healthy_with_a_range_test() -> None:
    d = analyze(_run(_fell_then_floor(), 3e-3))  # Adam: at the top of 1e-4-3e-3
    assert d.status is Status.HEALTHY, said(d)
    assert d.confidence == 0.5
    assert d.suggestion.action is Action.RANGE_TEST and d.suggestion.factor is None, said(d)
    words = said(d)
    assert d.evidence[0].message.startswith("the loss fell 5"), words
    assert "then showed no clear fall to step 2000: it got going" in words
    assert "a floor it converged to, or a level too high an LR holds it at" in words
    assert "never got going" not in words


def test_the_same_fall_3x_below_the_top_stays_stalled() -> None:
    d = analyze(_run(_fell_then_floor(), 3e-4))  # 10x below the top: too low the likelier
    assert d.status is Status.STALLED, said(d)
    assert d.suggestion.action is Action.RANGE_TEST, said(d)
    assert "it got going" not in said(d)


def test_a_loss_flat_from_the_start_still_never_got_going() -> None:
    d = analyze(_run(_flat_at_chance(), 3e-3))
    assert d.status is Status.STALLED and d.confidence == 0.35, said(d)
    assert d.suggestion.action is Action.RANGE_TEST, said(d)
    assert "too low an LR (it never got going) or too high" in said(d)
    assert "it got going" not in said(d)


def test_the_online_analyzer_agrees() -> None:
    assert online_agrees(_run(_fell_then_floor(), 3e-3), chunk=100).status is Status.HEALTHY
