"""A range test whose loss stops gaining long before it turns up is read from where its flat
bottom begins, not from the lowest point inside it (issue 17, round 6)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrwatch.analysis.rangetest import RangeTestStatus, RuleSettings, read_range_test

LRS = np.geomspace(1e-6, 10, 100)
X = np.log10(LRS)
OFF = RuleSettings(basin_share=0.0)  # the rule before round 6: the bottom is the lowest point


def flat_bottom(fall_at: float = -3.0, turn_at: float = -0.5, extra: float = 0.03,
                noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Flat at 0.25, falls 70% around ``fall_at`` (log10 LR), then creeps ``extra`` lower
    (a share of the loss) over a wide bottom until ``turn_at``, where it blows up: an
    autoencoder's curve under Adam."""
    fall = 0.7 / (1 + np.exp(-(X - fall_at) / 0.15))
    creep = extra * np.clip((X - fall_at) / (turn_at - fall_at), 0, 1)
    rise = np.where(X > turn_at, np.expm1(4.0 * (X - turn_at)), 0.0)
    loss = 0.25 * (1 - fall) * (1 - creep) * (1 + rise)
    return loss * np.exp(noise * np.random.default_rng(seed).normal(size=len(X)))


def valley(bottom: float = -2.0, depth: float = 0.8, noise: float = 0.0,
           seed: int = 0) -> np.ndarray:
    """``tests/unit/test_rangetest.py``'s curve: a fall over the decade below ``bottom``,
    then a blow-up: its bottom is sharp."""
    fall = depth / (1 + np.exp(-(X - (bottom - 0.7)) / 0.15))
    rise = np.where(X > bottom, np.expm1(4.0 * (X - bottom)), 0.0)
    loss = 2.3 * (1 - fall) * (1 + rise)
    return loss * np.exp(noise * np.random.default_rng(seed).normal(size=len(X)))


def test_a_flat_bottom_is_read_from_where_it_begins() -> None:
    loss = flat_bottom()
    before = read_range_test(LRS, loss, optimizer="Adam", momentum=0.9, settings=OFF)
    reading = read_range_test(LRS, loss, optimizer="Adam", momentum=0.9)
    log_loss = np.log(loss)
    lowest = int(np.argmin(log_loss))
    near = log_loss <= log_loss[lowest] + 0.1 * (log_loss[0] - log_loss[lowest])
    begins = X[int(np.flatnonzero(near)[0])]  # within 10% of the fall of the lowest from here

    assert begins == pytest.approx(-2.5, abs=0.1)
    assert math.log10(before.upper_lr) > -1.9  # read before from deep inside the flat bottom
    assert reading.status is RangeTestStatus.OK
    assert math.log10(reading.upper_lr) == pytest.approx(begins, abs=0.25)
    assert math.log10(reading.upper_lr / reading.suggested_lr) == pytest.approx(0.6, abs=0.04)
    assert math.log10(before.suggested_lr / reading.suggested_lr) > 0.5
    assert "a flat bottom, read from where it begins" in reading.reason
    assert f"to lr={before.upper_lr:.3g}, where it was lowest" in reading.reason


def test_a_narrow_flat_stretch_keeps_the_lowest_point() -> None:
    """A stretch within 10% of the fall shorter than two smoothing widths (0.7 decades here)
    is part of a sharp bottom: read as before."""
    loss = flat_bottom(turn_at=-2.3)
    assert (read_range_test(LRS, loss, optimizer="Adam", momentum=0.9).suggested_lr
            == read_range_test(LRS, loss, optimizer="Adam", momentum=0.9,
                               settings=OFF).suggested_lr)


@pytest.mark.parametrize("fine_tune", [False, True, None])
@pytest.mark.parametrize("optimizer, momentum", [("SGD", 0.0), ("SGD", 0.9), ("AdamW", 0.9)])
@pytest.mark.parametrize("loss", [valley(), valley(noise=0.05, seed=3), valley(bottom=-3.5),
                                  valley(depth=0.07, bottom=-2.3, noise=0.01)],
                         ids=["valley", "noisy", "low", "fine-tune-like"])
def test_a_sharp_bottom_reads_exactly_as_before(loss: np.ndarray, optimizer: str,
                                                momentum: float, fine_tune: bool | None) -> None:
    new = read_range_test(LRS, loss, optimizer=optimizer, momentum=momentum,
                          fine_tune=fine_tune)
    old = read_range_test(LRS, loss, optimizer=optimizer, momentum=momentum,
                          fine_tune=fine_tune, settings=OFF)
    assert (new.status, new.suggested_lr, new.lower_lr, new.upper_lr, new.reason,
            new.fine_tune) == (old.status, old.suggested_lr, old.lower_lr, old.upper_lr,
                               old.reason, old.fine_tune)
