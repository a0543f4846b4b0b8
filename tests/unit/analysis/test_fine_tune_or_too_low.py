"""An LR a fine-tune usually runs at, far below the from-scratch range, where nothing says
whether the run is a fine-tune: one curve cannot tell, so an increase is at most 3x (issue 12:
"increase 300x" on a fine-tune at 2e-5 wrecks the pretrained weights)."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import analyze
from lrwatch.analysis.optimizers import fine_tune_or_too_low
from lrwatch.analysis.types import Action, RunCurves, Series

STEPS = np.arange(0, 2000, 10)
SLOW = 2.0 - 0.3 * STEPS / 2000 + np.random.default_rng(0).normal(0, 0.03, STEPS.size)


def _adamw(lr: float, fine_tune: bool | None) -> RunCurves:
    return RunCurves(loss=Series(STEPS, SLOW), lr=Series(STEPS, np.full(STEPS.size, lr)),
                     optimizer="AdamW", fine_tune=fine_tune)


def test_the_zone_is_the_fine_tuning_range_below_the_from_scratch_one():
    assert fine_tune_or_too_low("AdamW", 2e-5) and fine_tune_or_too_low("SGD", 3e-4)
    assert not fine_tune_or_too_low("AdamW", 5e-6)  # below a fine-tune's LRs too
    assert not fine_tune_or_too_low("AdamW", 1e-4)  # inside the from-scratch range
    assert not fine_tune_or_too_low(None, 2e-5)
    # a grid's LR at a range's end is at that end, whichever way it rounds
    for lr in (np.logspace(-6, -3, 13)[4], float(np.float32(1e-5))):  # 1e-5: a fine-tune's lowest
        assert fine_tune_or_too_low("AdamW", lr)
    for lr in (np.logspace(-6, -3, 13)[8], float(np.float32(1e-4))):  # 1e-4: from scratch's lowest
        assert not fine_tune_or_too_low("AdamW", lr)


def test_a_slow_fall_at_a_fine_tunes_lr_moves_3x_where_nothing_says_which():
    s = analyze(_adamw(2e-5, None)).suggestion
    assert (s.action, s.factor) == (Action.INCREASE, 3.0)
    assert "2e-05 is a fine-tune's usual LR, though far too low from scratch" in s.rationale


def test_from_scratch_it_goes_toward_the_usual_range():
    s = analyze(_adamw(2e-5, False)).suggestion
    assert s.action is Action.INCREASE and s.factor > 30
