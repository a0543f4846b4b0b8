"""Round 10 of issue 12: the action says what the evidence says. A smooth fall still falling
below the top of the usual range reads "healthy, or too low": its action is the range test that
tells, not keep; a loss that sits at a level far above the range after it trained is a floor or
too high: a range test at 0.5, not "reduce 3x"; a run that halved its loss and still fell before
its LR decayed is told to increase 3x at 0.6 at most, naming the schedule as the other reading."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Status, analyze
from tests.helpers import curves as synth
from tests.helpers.said import evidence_said


def test_a_smooth_fall_still_falling_a_little_below_the_top_gets_a_range_test() -> None:
    """The TinyStories-like LM at AdamW 1.5e-3 (2x under the usual top 3e-3): still falling at
    the end, healthy or too low; the action is the range test (it was keep)."""
    d = analyze(synth.smooth_lm_fall(1.5e-3).curves)
    assert d.status is Status.HEALTHY and d.confidence <= 0.5
    assert "healthy, or too low" in evidence_said(d)
    assert d.suggestion.action is Action.RANGE_TEST and d.suggestion.factor is None
    assert "~3x the LR" in d.suggestion.rationale


def test_at_the_top_of_the_range_the_smooth_fall_is_still_kept() -> None:
    """At the top (3e-3) keep stays: the range's top is where good LRs sit."""
    d = analyze(synth.smooth_lm_fall(3e-3).curves)
    assert d.status is Status.HEALTHY and d.suggestion.action is Action.KEEP


def _tagger_fine_tune(lr: float, late_fall: float) -> RunCurves:
    """A byte tagger fine-tuned with AdamW far above the fine-tuning range, warmup + linear decay:
    it fell 1.8 -> 0.6 early, then changed by ``late_fall`` (a share) over its last 40%."""
    n = 300
    steps = np.arange(n)
    lr_curve = lr * np.where(steps < 15, (steps + 1) / 15, (n - steps) / (n - 15))
    level = 0.6 + 1.2 * np.exp(-steps / 12.0)
    tail = np.clip((steps - 0.6 * n) / (0.4 * n), 0, 1)
    loss = level * (1 - late_fall * tail) * synth._noise(n, 0.02, 71)
    return synth._with(synth._curves(loss, lr_curve, optimizer="AdamW"), classes=256,
                       fine_tune=True)


def test_a_fine_tune_at_a_level_far_above_its_range_is_no_reduce() -> None:
    d = analyze(_tagger_fine_tune(1e-2, 0.0))
    assert d.status is not Status.DIVERGING
    assert d.confidence <= 0.5
    assert d.suggestion.action is Action.RANGE_TEST
    assert "a floor it reached or as too high" in evidence_said(d)


def test_still_falling_fast_far_above_the_range_still_reduces() -> None:
    """Outside the level band (falling 15% over the last 40%) 27 of 30 such runs were too high:
    reduce ~3x stays."""
    d = analyze(_tagger_fine_tune(1e-2, 0.15))
    assert d.status is Status.OSCILLATING
    assert d.suggestion.action is Action.REDUCE and d.suggestion.factor < 1


def test_an_exponential_decay_tail_is_no_confident_stall() -> None:
    """Adam at 1e-3 with an exponential LR decay to 5% of its peak: the loss halved and was still
    falling when the decay took over. Too low is the likelier reading, a schedule that ended
    early the other: increase 3x at 0.6 at most (it was 0.7), naming both."""
    n = 1000
    lr = 1e-3 * np.exp(-0.003 * np.arange(n))
    time = np.cumsum(lr) / lr.sum() * n
    loss = synth.converging(time, 500, start=2.3, floor=0.4) * synth._noise(n, 0.03, 7)
    d = analyze(synth._curves(loss, lr, optimizer="Adam"))
    assert d.status is Status.STALLED
    assert d.confidence <= 0.6
    assert d.suggestion.action is Action.INCREASE and d.suggestion.factor <= 3.0 + 1e-9
    assert "schedule" in d.suggestion.rationale
