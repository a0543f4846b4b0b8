"""Round 43: a fall that flattens before the loss halved, trained from scratch at an LR a
decade or more below the top of the usual range, read "healthy, or too low: range test"; every
such run of the real-world corpus (16, 15 public from 5 repositories) was labelled too low. It
now reads stalled, too low the likelier reading, a 3x step at 0.5; near the top of the range it
is no move, and a fine-tune keeps it open."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(400)


def _flattening(lr: float, **kw: object) -> RunCurves:
    """Adam at a constant ``lr``: the loss falls a third (2.3 -> 1.53) and flattens."""
    rng = np.random.default_rng(7)
    loss = (1.5 + 0.8 * np.exp(-STEPS / 120)) * np.exp(rng.normal(0, 0.01, STEPS.size))
    return RunCurves(loss=Series(STEPS, loss), lr=Series(STEPS, np.full(STEPS.size, lr)),
                     optimizer="Adam", **kw)  # type: ignore[arg-type]


def test_a_flattening_fall_far_below_the_range_leans_too_low():
    d = analyze(_flattening(3e-5))
    assert d.status is Status.STALLED, said(d)
    assert d.suggestion.action is Action.INCREASE and d.suggestion.factor == 3.0, said(d)
    assert d.confidence <= 0.5, said(d)
    assert "too low is the likelier reading" in said(d), said(d)
    assert "flattens" in d.suggestion.rationale, said(d)


def test_near_the_top_of_the_range_it_is_no_move():
    d = analyze(_flattening(2e-3))
    assert d.suggestion.action is Action.RANGE_TEST, said(d)


def test_a_fine_tune_keeps_it_open():
    d = analyze(_flattening(3e-6, fine_tune=True))
    assert d.status is not Status.STALLED or d.suggestion.action is not Action.INCREASE, said(d)


def test_the_online_analyzer_agrees():
    assert online_agrees(_flattening(3e-5), chunk=40).status is Status.STALLED
