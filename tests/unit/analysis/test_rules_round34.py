"""Round 34: a smooth loss at its floor far above the usual range moves one step. Round 37's
held-out in-context LM under Adamax had its best runs at 0.056 and 0.1, 19-33x above Adamax's
usual range: their loss fell 21% (2.05 -> 1.60, within 0.4% of the data's entropy) and sat
there, smooth, while the gradient norm fell 2.4x. The little progress, the LR's place and the
gradient fall read as held back from above (too high the likelier), and the reduce went all
the way to the range's top (19-33x). Nothing on the loss shows too high an LR there, and the
place says which way, not how far (issue 12: no 10x move from the LR's place alone): such a run
moves one step, ~3x; a loss that does not settle still goes toward the range."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.said import said

STEPS = np.arange(10, 610, 10)


def _warmup_linear(peak: float) -> np.ndarray:
    return np.where(STEPS < 50, peak * STEPS / 50, peak * (600 - STEPS) / 550 + 1e-9)


def _run(loss: np.ndarray, lr: float) -> RunCurves:
    grad = 0.11 + 0.16 * np.exp(-(STEPS - 10) / 80.0)  # 0.27 -> 0.11
    return RunCurves(loss=Series(STEPS, loss), optimizer="Adamax",
                     lr=Series(STEPS, _warmup_linear(lr)), grad_norm=Series(STEPS, grad))


def _smooth_to_floor() -> np.ndarray:
    rng = np.random.default_rng(34)
    level = 1.60 + 0.45 * np.exp(-(STEPS - 10) / 40.0)
    return level * np.exp(rng.normal(0.0, 0.004, STEPS.size))


def _unsettled() -> np.ndarray:
    loss = _smooth_to_floor()
    loss[STEPS > 300] *= 1.0 + 0.25 * (np.arange((STEPS > 300).sum()) % 2)  # swings of 25%
    return loss


def test_a_smooth_loss_at_its_floor_far_above_the_range_moves_one_step() -> None:
    d = analyze(_run(_smooth_to_floor(), 0.1))
    words = said(d)
    assert d.status is Status.OSCILLATING, words
    assert d.suggestion.action is Action.REDUCE, words
    assert d.suggestion.factor is not None and abs(d.suggestion.factor - 1 / 3) < 1e-9, words
    assert "too high is the likelier reading, not a certain one" in words
    assert "toward the top of that range" not in words


def test_a_loss_that_does_not_settle_still_goes_toward_the_range() -> None:
    # two thirds of the way there in decades, at least 10x, for an oscillating run (round 38):
    # 0.1 is 1.5 decades above Adamax's top, 0.003
    d = analyze(_run(_unsettled(), 0.1))
    assert d.status is Status.OSCILLATING, said(d)
    assert d.suggestion.action is Action.REDUCE, said(d)
    expected = 10 ** -max(1.0, (2 / 3) * np.log10(0.1 / 0.003))
    assert d.suggestion.factor is not None and abs(d.suggestion.factor - expected) < 1e-6, said(d)
    assert "toward the top of that range, two thirds of the way there" in said(d)
