"""The range test's fine-tune reading on curves with a known answer."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from lrwatch.analysis.optimizers import FINE_TUNE_RANGES
from lrwatch.analysis.rangetest import (FINE_TUNE_MARGIN, NEW_TASK_STEP_BACK, RangeTestStatus,
                                        read_range_test)

LRS = np.geomspace(1e-6, 10, 100)


def pretrained(bottom: float = 1.5e-2, fall: float = 0.08, level: float = 2.9,
               noise: float = 0.01) -> np.ndarray:
    """A pretrained model's range test: the loss falls by ``fall`` (0.08 = 8%) over the decade
    below ``bottom``, then the weights are damaged and it climbs far above where it started."""
    x = np.log10(LRS)
    xb = math.log10(bottom)
    down = fall / (1 + np.exp(-(x - (xb - 0.7)) / 0.15))
    rise = np.where(x > xb, np.expm1(3.0 * (x - xb)), 0.0)
    jitter = np.exp(noise * np.random.default_rng(0).normal(size=len(LRS)))
    return level * (1 - down) * (1 + rise) * jitter


def from_scratch(bottom: float = 1e-2) -> np.ndarray:
    """Training from scratch: the loss falls by 80% before it turns up."""
    return pretrained(bottom=bottom, fall=0.8, level=2.3)


def test_a_fine_tune_is_kept_in_its_range_and_says_why() -> None:
    low, high = FINE_TUNE_RANGES["adaptive"]
    scratch = read_range_test(LRS, pretrained(), optimizer="AdamW", momentum=0.9)
    told = read_range_test(LRS, pretrained(), optimizer="AdamW", momentum=0.9, fine_tune=True)
    assert not scratch.fine_tune and scratch.suggested_lr > 5 * high  # far above the range
    assert told.fine_tune and told.status is RangeTestStatus.OK
    # FINE_TUNE_MARGIN below where the damage starts, inside the range
    assert told.suggested_lr == pytest.approx(told.upper_lr / 10 ** FINE_TUNE_MARGIN)
    assert low <= told.suggested_lr <= high
    assert told.lower_lr <= told.suggested_lr <= told.upper_lr
    assert "you said so (fine_tune=True)" in told.reason
    assert "inside the fine-tuning range 1e-05-0.0003" in told.reason
    assert f"training from scratch would suggest {scratch.suggested_lr:.3g}" in told.reason


def test_damage_above_the_range_keeps_the_pick_at_its_top() -> None:
    high = FINE_TUNE_RANGES["adaptive"][1]
    reading = read_range_test(LRS, pretrained(bottom=0.1), optimizer="AdamW", fine_tune=True)
    assert reading.suggested_lr == pytest.approx(high)
    assert "above the fine-tuning range" in reading.reason


def test_detection_reads_the_small_fall_of_a_pretrained_model() -> None:
    detected = read_range_test(LRS, pretrained(), optimizer="AdamW", momentum=0.9,
                               fine_tune=None)
    assert detected.fine_tune
    assert re.search(r"because the loss fell only \d% before it started to rise", detected.reason)
    assert "pass fine_tune=False" in detected.reason


@pytest.mark.parametrize("curve, optimizer", [
    (from_scratch(), "AdamW"),  # falls far
    (pretrained(bottom=0.5), "SGD"),  # flat-ish until far above a fine-tuning LR
    (pretrained(bottom=0.2), "AdamW"),
])
def test_detection_leaves_other_curves_as_they_were(curve: np.ndarray, optimizer: str) -> None:
    plain = read_range_test(LRS, curve, optimizer=optimizer, momentum=0.0)
    detected = read_range_test(LRS, curve, optimizer=optimizer, momentum=0.0, fine_tune=None)
    assert not detected.fine_tune
    assert (detected.suggested_lr, detected.reason) == (plain.suggested_lr, plain.reason)


def test_damage_below_the_range_is_followed_down_and_said() -> None:
    low = FINE_TUNE_RANGES["adaptive"][0]
    reading = read_range_test(LRS, pretrained(bottom=3e-4), optimizer="Adam", fine_tune=True)
    assert reading.suggested_lr < low
    assert math.log10(reading.upper_lr / reading.suggested_lr) == pytest.approx(
        FINE_TUNE_MARGIN, abs=0.1)
    assert "the curve says this model takes less" in reading.reason


def test_a_fine_tune_that_learns_a_new_task_steps_back_from_the_scratch_pick() -> None:
    scratch = read_range_test(LRS, from_scratch(), optimizer="AdamW")
    told = read_range_test(LRS, from_scratch(), optimizer="AdamW", fine_tune=True)
    assert told.fine_tune
    assert math.log10(scratch.suggested_lr / told.suggested_lr) == pytest.approx(
        NEW_TASK_STEP_BACK)
    assert told.lower_lr <= told.suggested_lr <= told.upper_lr
    assert "learning much it did not know" in told.reason
    assert f"training from scratch, {scratch.suggested_lr:.3g}, stepped back" in told.reason
    assert "above the fine-tuning range" in told.reason


def test_the_step_back_stops_at_the_bottom_of_the_fine_tuning_range() -> None:
    low = FINE_TUNE_RANGES["adaptive"][0]
    # learns fast and is damaged early: the from-scratch pick sits just above the range's bottom
    scratch = read_range_test(LRS, from_scratch(bottom=1e-4), optimizer="AdamW")
    assert low < scratch.suggested_lr < low * 10 ** NEW_TASK_STEP_BACK
    told = read_range_test(LRS, from_scratch(bottom=1e-4), optimizer="AdamW", fine_tune=True)
    assert told.suggested_lr == pytest.approx(low)
    assert "inside the fine-tuning range" in told.reason


def test_sgd_gets_the_sgd_fine_tuning_range() -> None:
    high = FINE_TUNE_RANGES["sgd"][1]
    reading = read_range_test(LRS, pretrained(bottom=3.0), optimizer="SGD", momentum=0.9,
                              fine_tune=True)
    assert reading.upper_lr / 10 ** FINE_TUNE_MARGIN > high
    assert reading.suggested_lr == pytest.approx(high)
