"""Round 36: a flat loss far above the usual range. A loss flat from its first logged points at an
LR in the usual range reads two ways (too low to get going, or so high the model collapsed):
"stalled, range test" at 0.35 (issue 12, pattern 2). Half a decade or more above the top of the
range, the collapse is the likelier reading (round 39's light-curve spot detectors under Adam at
1e-2 and 3e-2 sat at a constant prediction's loss from their first epoch; a char GPT under AdamW
at 3e-2 sat at the unigram level): "oscillating", still a range test, under a lean's
confidence, the evidence naming the LR's place. Below that line nothing changes."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(0, 1000, 10)


def _flat_run(lr: float, optimizer: str = "Adam", fine_tune: bool | None = None) -> RunCurves:
    """A loss at 0.53 from its first point to its last (1% noise) at a constant ``lr``."""
    rng = np.random.default_rng(36)
    loss = 0.53 * np.exp(rng.normal(0, 0.01, STEPS.size))
    return RunCurves(loss=Series(STEPS, loss), optimizer=optimizer, fine_tune=fine_tune,
                     lr=Series(STEPS, np.full(STEPS.size, lr)))


def test_a_flat_loss_far_above_the_usual_range_leans_too_high_and_asks_for_a_range_test():
    d = analyze(_flat_run(3e-2))
    words = said(d)
    assert d.status is Status.OSCILLATING, words
    assert d.suggestion.action is Action.RANGE_TEST, words
    assert d.confidence < 0.5, words
    assert "10x above the top of Adam's usual range" in words
    assert "more often means too high an LR" in words


def test_a_flat_loss_inside_the_usual_range_still_reads_two_ways():
    d = analyze(_flat_run(1e-3))
    words = said(d)
    assert d.status is Status.STALLED, words
    assert d.suggestion.action is Action.RANGE_TEST, words
    assert "reads two ways" in words


def test_a_fine_tune_far_above_its_range_is_not_read_so():
    d = analyze(_flat_run(3e-2, optimizer="AdamW", fine_tune=True))
    assert "more often means too high an LR" not in said(d)


def test_the_online_analyzer_agrees():
    live = online_agrees(_flat_run(3e-2), chunk=10)
    assert live.status is Status.OSCILLATING
