"""Runs that train smoothly far above the usual range (round 7 of issue 12). Above the top of the
range a smooth fall came from a sweep's best LR, from one past it and, for a tiny model, from one
below it: one run cannot tell, so the answer is a range test, not a keep; and a run that halved
its loss before it stopped improving there is told to reduce 3x, never 30x to the range's top."""

from __future__ import annotations

import pytest

from lrwatch.analysis import Action, Status, analyze
from tests.helpers import curves as synth
from tests.helpers.said import evidence_said


@pytest.mark.parametrize("lr", [1e-2, 3e-2])
def test_a_smooth_lm_3x_or_more_above_the_top_gets_a_range_test(lr: float) -> None:
    """A TinyStories-like LM under AdamW at 1e-2 / 3e-2 (3.3x / 10x AdamW's usual top 3e-3):
    its sweep's too-high runs fell this smoothly. Healthy as far as one run tells, at low
    confidence; the action is a range test and the evidence says how far above the top."""
    d = analyze(synth.smooth_lm_fall(lr).curves)
    assert d.status is Status.HEALTHY
    assert d.suggestion.action is Action.RANGE_TEST
    assert d.confidence <= 0.5
    assert f"{lr / 3e-3:.2g}x above the top" in evidence_said(d)
    assert "range test" in d.suggestion.rationale


@pytest.mark.parametrize("lr", [3e-3, 6e-3])
def test_at_or_just_above_the_top_the_smooth_lm_is_still_kept(lr: float) -> None:
    """Within half a decade of the top the reading stays "keep, or test too high"."""
    d = analyze(synth.smooth_lm_fall(lr).curves)
    assert d.status is Status.HEALTHY
    assert d.suggestion.action is Action.KEEP


def test_a_run_that_halved_its_loss_then_sat_at_a_level_far_above_the_range_gets_a_range_test(
        ) -> None:
    """Adam at 0.1 (33x the usual top) on a byte LM that fell 5.4 -> 2.4 and then sat at a level:
    a floor or too high, one run cannot tell (round 10: such runs were 8 healthy, 8 too high),
    so a range test at 0.5, never a move to the range's top (this test said "reduce 3x" before
    round 10 moved it)."""
    d = analyze(synth.halved_then_stopped(0.1))
    assert d.status is Status.OSCILLATING
    assert d.confidence <= 0.5
    assert d.suggestion.action is Action.RANGE_TEST and d.suggestion.factor is None
    assert "a floor it reached or as too high" in evidence_said(d)
