"""Round 29: a fine-tune's place against the fine-tuning range. A fine-tune that falls smoothly
read "healthy, keep" wherever its LR sat; the fine-tuning range (AdamW 1e-5-3e-4: full
fine-tunes at its bottom, LoRA at its top) says more at its edges. 3x or more below its bottom
(a full fine-tune at 1e-6) too low is the likelier reading; 3x or more above its top a small
model or a frozen backbone trains well and a large pretrained model is past its best. One run
cannot tell either from a good LR: the healthy reading stays, open (0.5), its evidence names the
LR's place, and the action is a range test. Inside the range, or a run trained from scratch at
the same LRs, nothing changes."""

from __future__ import annotations

import numpy as np
import pytest

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from lrwatch.analysis.optimizers import FINE_TUNE_RANGES
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(1, 1001)
BOTTOM, TOP = FINE_TUNE_RANGES["adaptive"]


def _fall(seed: int = 5) -> np.ndarray:
    """A fine-tune's cross-entropy: it starts low (0.9) and falls 60% to a floor, 4% noise."""
    rng = np.random.default_rng(seed)
    return (0.55 * np.exp(-STEPS / 300.0) + 0.35) * np.exp(rng.normal(0.0, 0.04, STEPS.size))


def _run(lr: float, fine_tune: bool | None = True) -> RunCurves:
    return RunCurves(loss=Series(STEPS, _fall()), lr=Series(STEPS, np.full(STEPS.size, lr)),
                     optimizer="AdamW", fine_tune=fine_tune)


def test_a_fine_tune_far_below_its_range_asks_for_a_range_test() -> None:
    lr = BOTTOM / 10
    d = analyze(_run(lr))
    assert d.status is Status.HEALTHY, said(d)
    assert d.suggestion.action is Action.RANGE_TEST, said(d)
    assert d.confidence <= 0.5
    assert f"is {BOTTOM / lr:.2g}x below the bottom of AdamW's fine-tuning range" in said(d)
    assert "fine_tune=True" in d.suggestion.rationale


def test_a_fine_tune_far_above_its_range_asks_for_a_range_test() -> None:
    lr = TOP * 10
    d = analyze(_run(lr))
    assert d.status is Status.HEALTHY, said(d)
    assert d.suggestion.action is Action.RANGE_TEST, said(d)
    assert d.confidence <= 0.5
    assert f"is {lr / TOP:.2g}x above the top of AdamW's fine-tuning range" in said(d)
    assert "a frozen backbone" in d.suggestion.rationale


@pytest.mark.parametrize("lr", [BOTTOM, 2e-5, TOP])
def test_a_fine_tune_inside_its_range_keeps_its_lr(lr: float) -> None:
    d = analyze(_run(lr))
    assert d.status is Status.HEALTHY, said(d)
    assert d.suggestion.action is not Action.RANGE_TEST, said(d)
    assert "fine-tuning range" not in said(d)


def test_just_outside_the_range_is_not_yet_far() -> None:
    # 2x below the bottom and 2x above the top: less than LIKELY_LOW / LIKELY_HIGH (3.2x)
    for lr in (BOTTOM / 2, TOP * 2):
        d = analyze(_run(lr))
        assert d.suggestion.action is not Action.RANGE_TEST, (lr, said(d))


def test_the_fine_tune_reading_needs_a_fine_tune() -> None:
    # the same curve trained from scratch at 3e-3 (the top of AdamW's usual range) keeps its LR
    d = analyze(_run(TOP * 10, fine_tune=False))
    assert "fine-tuning range" not in said(d)


def test_the_live_analyzer_agrees() -> None:
    for lr in (BOTTOM / 10, TOP * 10):
        assert online_agrees(_run(lr))
