"""Real-world round 14: a swing must stand out of the run's own noise to show too high an LR,
and a short epoch log of a loss that still falls asks for a range test, not a move."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, Status, analyze
from lrwatch.analysis.curve import curve_from
from lrwatch.analysis.detectors import swung_up, unsettled
from lrwatch.analysis.prepare import align
from lrwatch.analysis.summary import Summary
from lrwatch.analysis.types import RunCurves, Series


def _curve(loss: np.ndarray):  # type: ignore[no-untyped-def]
    steps = np.arange(1, loss.size + 1) * 10
    summary = Summary()
    summary.extend(*align(RunCurves(loss=Series(steps, loss))))
    return curve_from(summary)


def _noisy_fall(noise: float, n: int = 60, seed: int = 0) -> np.ndarray:
    """A byte LM's slow fall (26% over the log) logged every 10 steps, ``noise`` a point."""
    rng = np.random.default_rng(seed)
    return 2.5 * np.exp(-np.linspace(0.0, 0.3, n) + noise * rng.standard_normal(n))


def test_a_rise_of_about_the_noise_above_the_lowest_level_is_no_swing() -> None:
    # 60 points at 6% noise a point: the running best is the lowest of noisy levels, so the
    # level sits 5%+ above it on 19 of these 20 seeds by chance alone (3 errors of a level, the
    # line before round 14, called 10 of them a swing)
    for seed in range(20):
        curve = _curve(_noisy_fall(0.06, seed=seed))
        assert not swung_up(curve), seed
        assert unsettled(curve) is None, seed


def test_a_rise_that_stands_out_of_the_noise_is_a_swing_and_is_named() -> None:
    loss = _noisy_fall(0.06, seed=1)
    loss[30:] *= np.linspace(1.0, 1.6, 30)  # the level climbs 60% in the second half
    curve = _curve(loss)
    assert swung_up(curve)
    found = unsettled(curve)
    assert found is not None and "above its best level" in found.evidence.message


def _epoch_fall(epochs: int = 20) -> np.ndarray:
    # a CIFAR-10 classifier under Adam: 2.29 -> 1.6 over 20 epoch means, still falling steadily
    t = np.arange(epochs)
    return 1.0 + 1.29 * np.exp(-t / 25.0)


def test_a_short_epoch_log_of_a_steady_fall_asks_for_a_range_test_not_an_increase() -> None:
    loss = _epoch_fall()
    d = analyze(RunCurves(loss=Series(np.arange(1, loss.size + 1), loss), optimizer="Adam",
                          classes=10, epoch_points=True))
    assert d.status is Status.STALLED
    assert d.suggestion.action is Action.RANGE_TEST and d.suggestion.factor is None
    assert "epoch log" in d.suggestion.rationale
    assert d.confidence <= 0.5


def test_below_the_usual_range_the_epoch_log_keeps_its_increase() -> None:
    # the same fall at Adam 1e-5, a decade below Adam's usual range: the LR's place says too low
    loss = _epoch_fall()
    epochs = np.arange(1, loss.size + 1)
    d = analyze(RunCurves(loss=Series(epochs, loss), lr=Series(epochs, np.full(loss.size, 1e-5)),
                          optimizer="Adam", classes=10, epoch_points=True))
    assert d.status is Status.STALLED
    assert d.suggestion.action is Action.INCREASE and d.suggestion.factor >= 3


def test_a_step_log_of_the_same_slow_fall_is_still_told_to_increase() -> None:
    # step logs are left as they were: 1000 steps of a fall that halves nothing and keeps going
    # (at an LR logged 30x below the top of Adam's range: with none logged, round 18 asks for a
    # range test, tests/unit/analysis/test_rules_round18.py)
    n = 1000
    t = np.arange(n)
    rng = np.random.default_rng(3)
    loss = (1.0 + 1.29 * np.exp(-t / 1250.0)) * np.exp(0.02 * rng.standard_normal(n))
    d = analyze(RunCurves(loss=Series(t + 1, loss), lr=Series(t + 1, np.full(n, 1e-4)),
                          optimizer="Adam", classes=10))
    assert d.status is Status.STALLED
    assert d.suggestion.action is Action.INCREASE
