"""Round 18: confident moves from a slow fall, and noise read as too high. A loss still coming
down at a steady, slow rate read "stalled, increase x3" at 0.7 with its LR not logged (a CFD
surrogate's Lion runs, labelled keep and too high): where the LR's place in the usual range is
unknown, too low is one reading, not the likelier one, so the reading is open (0.5) and the
action a range test; with the LR logged well below the top the move stays. A loss that made
little progress a little above the usual range (up to LR_BEYOND) whose only sign of too high an
LR is its step-to-step noise (a TCN forecaster's MSE, as noisy at its best LR) read
"oscillating, reduce x0.333" at 0.6: the evidence names both readings, at 0.5, and the action is
a range test; a swing back up, or an LR far above the range, keeps the reduce."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(1, 2001)
NOISY_STEPS = np.arange(10, 2001, 10)


def _slow() -> np.ndarray:
    """A loss falling in a straight line from 3 to 1 (2% noise): two thirds gone, and the last
    40% of the run still made 40% of the drop."""
    rng = np.random.default_rng(1)
    return (3.0 - 2.0 * STEPS / STEPS.size) * np.exp(rng.normal(0.0, 0.02, STEPS.size))


def _noisy(swing: bool = False) -> np.ndarray:
    """An MSE at a noise floor: 0.45 -> 0.25 in the first tenth, then level, with 12% noise at
    every point; ``swing``: the level rises 60% over the last 30% of the run."""
    rng = np.random.default_rng(2)
    level = 0.25 + 0.2 * np.exp(-NOISY_STEPS / 150.0)
    if swing:
        level = level * np.where(NOISY_STEPS > 1400, 1.6, 1.0)
    return level * np.exp(rng.normal(0.0, 0.12, NOISY_STEPS.size))


def _slow_run(lr: float | None) -> RunCurves:
    return RunCurves(loss=Series(STEPS, _slow()), optimizer="Adam",
                     lr=None if lr is None else Series(STEPS, np.full(STEPS.size, lr)))


def _noisy_run(lr: float, swing: bool = False) -> RunCurves:
    return RunCurves(loss=Series(NOISY_STEPS, _noisy(swing)), optimizer="Adam",
                     lr=Series(NOISY_STEPS, np.full(NOISY_STEPS.size, lr)))


def test_a_slow_fall_with_no_lr_logged_asks_for_a_range_test() -> None:
    d = analyze(_slow_run(None))
    assert d.status is Status.STALLED, said(d)
    assert d.suggestion.action is Action.RANGE_TEST and d.suggestion.factor is None, said(d)
    assert d.confidence == 0.5
    assert "still coming down at a steady, slow rate" in said(d)
    assert "the LR is not logged, so its place in the usual range is unknown" in said(d)


def test_the_same_fall_far_below_the_top_keeps_its_move() -> None:
    d = analyze(_slow_run(1e-4))  # Adam: 30x below the top of 1e-4-3e-3
    assert d.status is Status.STALLED and d.confidence == 0.7, said(d)
    assert d.suggestion.action is Action.INCREASE and d.suggestion.factor == 3.0, said(d)
    assert "not logged" not in said(d)


def test_noise_alone_a_little_above_the_range_asks_for_a_range_test() -> None:
    d = analyze(_noisy_run(1e-2))  # 3.3x above the top of Adam's usual range
    assert d.status is Status.OSCILLATING, said(d)
    assert d.suggestion.action is Action.RANGE_TEST and d.suggestion.factor is None, said(d)
    assert d.confidence == 0.5
    assert "noisy, or too high: peak LR 0.01 sits 3.3x above Adam's usual range" in said(d)
    assert "step-to-step noise 12.3%" in said(d)


def test_a_swing_back_up_keeps_the_reduce() -> None:
    d = analyze(_noisy_run(1e-2, swing=True))
    assert d.status is Status.OSCILLATING, said(d)
    assert d.suggestion.action is Action.REDUCE, said(d)
    assert "noisy, or too high" not in said(d)


def test_far_above_the_range_the_noise_keeps_the_reduce() -> None:
    d = analyze(_noisy_run(0.1))  # 33x above the top: past LR_BEYOND
    assert d.status is Status.OSCILLATING and d.confidence == 0.6, said(d)
    assert d.suggestion.action is Action.REDUCE, said(d)
    assert "noisy, or too high" not in said(d)


def test_the_online_analyzer_agrees() -> None:
    for run in (_slow_run(None), _noisy_run(1e-2)):
        assert online_agrees(run, chunk=100).suggestion.action is Action.RANGE_TEST
