"""Round 41: a fine-tune far above its fine-tuning range whose curve shows nothing of too high an
LR (smooth, no swing back up, no gradient collapse) gets a range test, whether its loss fell or
not. Round 45's held-out prompt tuning (a soft prompt trained on a frozen byte transformer under
AdamW; its sweep flat from 0.1 to 100) rose 1-4% smoothly at every LR and was told "reduce
47-300x" from AdamW's fine-tuning range, 1e-5-3e-4: a soft prompt, like biases or norms, takes
LRs decades above that range, and the range alone says which way, not how far."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(10, 310, 10)


def _prompt_tuning(loss: np.ndarray, lr: float = 1.0) -> RunCurves:
    """A fine-tune at ``lr`` under AdamW, its LR decaying linearly to 0, with a little noise."""
    rng = np.random.default_rng(41)
    return RunCurves(loss=Series(STEPS, loss * np.exp(rng.normal(0, 0.005, STEPS.size))),
                     optimizer="AdamW", fine_tune=True,
                     lr=Series(STEPS, lr * (1 - STEPS / 310.0)))


def _smooth_rise() -> np.ndarray:
    return np.linspace(2.87, 2.93, STEPS.size)


def test_a_smooth_fine_tune_that_did_not_fall_far_above_its_range_gets_a_range_test():
    d = analyze(_prompt_tuning(_smooth_rise()))
    assert "fine-tuning range" in said(d) and "+2." in said(d), said(d)
    assert d.suggestion.action is Action.RANGE_TEST, said(d)
    assert d.confidence <= 0.4, said(d)


def test_one_that_swung_back_up_far_above_its_range_is_still_cut():
    dip = 2.87 - 0.6 * np.sin(np.pi * np.clip(STEPS / 150.0, 0, 1))  # down to 2.27 and back up
    d = analyze(_prompt_tuning(dip))
    assert "above its best level" in said(d), said(d)
    assert d.suggestion.action is Action.REDUCE, said(d)
    assert d.suggestion.factor < 0.1, said(d)


def test_the_online_analyzer_agrees():
    assert online_agrees(_prompt_tuning(_smooth_rise()), chunk=5).suggestion.action \
        is Action.RANGE_TEST
