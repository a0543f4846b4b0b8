"""Labels of the runs made here come from each run's place in its LR sweep."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.realworld.made_labels import SweepPoint, label_sweep, largest_rise

STEPS = 200


def point(lr: float, final: float, losses: np.ndarray | None = None) -> SweepPoint:
    if losses is None:
        losses = np.linspace(5.0, final, STEPS)
    return SweepPoint(lr, final, 5.5, losses, not np.isfinite(losses).all())


def test_largest_rise_is_zero_for_a_falling_loss_and_measures_a_spike() -> None:
    assert largest_rise(np.linspace(5.0, 1.0, STEPS)) == 0.0
    spiky = np.full(STEPS, 2.0)
    spiky[100:150] = 4.0  # 50 steps at twice the floor: the 25-step mean doubles
    assert largest_rise(spiky) == pytest.approx(1.0)


def test_a_sweep_labels_each_side_of_its_best_lr() -> None:
    exploded = np.linspace(5.0, 3.0, 50)
    exploded[-1] = math.nan
    spiked = np.linspace(5.0, 2.4, STEPS)
    spiked[120:150] = 6.0  # rose above where it started for 30 steps, then came back
    noisy = np.linspace(5.0, 2.9, STEPS)
    noisy[120] = 6.0  # one batch above the start: noise, not a blow-up
    points = [point(1e-4, 3.5), point(10 ** -3.5, 2.6), point(1e-3, 2.0),
              point(10 ** -2.75, 2.03), point(10 ** -2.5, 2.2, spiked),
              point(10 ** -2.25, 2.9, noisy), point(1e-2, 6.0),
              point(10 ** -1.5, math.inf, exploded)]
    best, labels = label_sweep(points, STEPS)
    assert best == 1e-3
    got = [(lab["status"], lab["direction"]) for lab in labels]
    assert got == [("stalled", "up"), ("stalled", "up"), ("healthy", "keep"),
                   ("healthy", "keep"),  # a quarter decade above, 1.5% worse
                   ("oscillating", "down"), ("oscillating", "down"),
                   ("diverging", "down"),  # ended above its start (6.0 > 5.5)
                   ("diverging", "down")]
    assert labels[4]["also"] == ["diverging"]
    assert "also" not in labels[5]
    assert labels[7]["source"] == "nonfinite"
    assert "best 0.001 (final eval loss 2.0000)" in labels[0]["why"]
    assert "+75.0% vs best" in labels[0]["why"]


def test_a_flat_stretch_of_the_sweep_is_healthy_however_far_from_the_best() -> None:
    """Within 2% of the best loss the LR is not what limits the model (a flat sweep), a decade
    away or not; 3% worse is beyond it."""
    _, labels = label_sweep([point(1e-4, 2.03), point(1e-3, 2.0), point(1e-2, 2.01),
                             point(1e-1, 2.06)], STEPS)
    assert [lab["status"] for lab in labels] == ["healthy", "healthy", "healthy", "oscillating"]


def test_a_sweep_where_every_run_exploded_cannot_be_labelled() -> None:
    exploded = np.array([5.0, 9.0, math.nan])
    with pytest.raises(ValueError, match="every run of the sweep went non-finite"):
        label_sweep([point(1.0, math.inf, exploded), point(10.0, math.inf, exploded)], STEPS)


def test_a_log_too_short_for_the_running_mean_says_no_rise_at_all() -> None:
    epochs = 15  # one point per epoch: fewer than the 25 points a running mean needs
    points = [point(1e-3, 2.0, np.linspace(5.0, 2.0, epochs)),
              point(1e-2, 2.5, np.linspace(5.0, 2.5, epochs))]
    _, labels = label_sweep(points, epochs)
    assert all("nan" not in lab["why"] and "largest rise" not in lab["why"] for lab in labels)
    assert "started at 5.5000" in labels[1]["why"]
