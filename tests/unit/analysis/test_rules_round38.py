"""Round 38: an oscillating run far above the usual range goes two thirds of the way (in decades)
toward the range's top, at least 10x. The cut went to the top, up to 300x; on the real-world
corpus's one-run reduces whose label names the sweep's best LR, that left 28 runs 10x or more
below their best (18 of them small models made here, whose best LRs sit 1-2 decades above the
range), and a run cut below its best reads healthy and stays there. A diverging run still goes
to the top of the range."""

from __future__ import annotations

import math

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(10, 610, 10)
ADAM_TOP = 0.003  # the top of Adam's usual range, as the evidence names it


def _adam(loss: np.ndarray, lr: float) -> RunCurves:
    return RunCurves(loss=Series(STEPS, loss), optimizer="Adam",
                     lr=Series(STEPS, np.full(STEPS.size, lr)))


def _swinging() -> np.ndarray:
    """Falls from 2.3 toward 0.8, then from step 300 climbs back and swings by 30%."""
    rng = np.random.default_rng(38)
    loss = 0.8 + 1.5 * np.exp(-STEPS / 60.0)
    late = STEPS > 300
    loss[late] *= np.linspace(1.0, 1.6, late.sum()) * (1.0 + 0.3 * (np.arange(late.sum()) % 2))
    return loss * np.exp(rng.normal(0.0, 0.01, STEPS.size))


def _blowing_up() -> np.ndarray:
    """Falls, then from step 300 climbs 100x above where it started."""
    loss = 0.8 + 1.5 * np.exp(-STEPS / 60.0)
    late = STEPS > 300
    loss[late] *= np.geomspace(1.0, 300.0, late.sum())
    return loss


def test_an_oscillating_run_far_above_the_range_goes_two_thirds_of_the_way():
    d = analyze(_adam(_swinging(), 1.0))
    words = said(d)
    assert d.status is Status.OSCILLATING, words
    assert d.suggestion.action is Action.REDUCE, words
    assert "Adam's usual 0.0001-0.003" in words
    expected = 10 ** (-(2 / 3) * math.log10(1.0 / ADAM_TOP))  # 2.5 decades above: 1.7 down
    assert math.isclose(d.suggestion.suggested_lr, expected, rel_tol=1e-6), words
    assert "two thirds of the way there (in decades), at least 10x" in words


def test_one_a_decade_and_a_half_above_is_cut_10x():
    lr = ADAM_TOP * 10 ** 1.4
    d = analyze(_adam(_swinging(), lr))
    assert d.status is Status.OSCILLATING, said(d)
    assert math.isclose(d.suggestion.factor, 0.1, rel_tol=1e-6), said(d)


def test_a_diverging_run_far_above_the_range_still_goes_down_to_it():
    d = analyze(_adam(_blowing_up(), 1.0))
    words = said(d)
    assert d.status is Status.DIVERGING, words
    assert d.suggestion.action is Action.REDUCE, words
    assert d.suggestion.suggested_lr <= ADAM_TOP * 1.2, words
    assert "two thirds of the way" not in words


def test_the_online_analyzer_cuts_the_same():
    live = online_agrees(_adam(_swinging(), 1.0), chunk=10)
    assert math.isclose(live.suggestion.suggested_lr,
                        10 ** (-(2 / 3) * math.log10(1.0 / ADAM_TOP)), rel_tol=1e-6)
