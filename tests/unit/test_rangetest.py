"""The range-test reading rule on curves with a known answer."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrwatch.analysis.rangetest import (
    MIN_STEPS,
    RangeTestStatus,
    RuleSettings,
    lightning_ema,
    lightning_suggestion,
    read_range_test,
)
from lrwatch.analysis.types import RangeTestSummary
from lrwatch.errors import InputError

LRS = np.geomspace(1e-6, 10, 100)


def valley(lrs: np.ndarray = LRS, bottom: float = 1e-2, noise: float = 0.0, seed: int = 0,
           level: float = 2.3, depth: float = 0.8) -> np.ndarray:
    """A range-test loss: flat at ``level``, falls over the decade below ``bottom``, then
    explodes past it; multiplicative noise of ``noise`` (0.1 = 10%)."""
    x = np.log10(lrs)
    xb = math.log10(bottom)
    fall = depth / (1 + np.exp(-(x - (xb - 0.7)) / 0.15))
    rise = np.where(x > xb, np.expm1(4.0 * (x - xb)), 0.0)
    loss = level * (1 - fall) * (1 + rise)
    return loss * np.exp(noise * np.random.default_rng(seed).normal(size=len(lrs)))


def test_a_clean_valley_gives_a_suggestion_below_its_bottom() -> None:
    reading = read_range_test(LRS, valley(), optimizer="SGD", momentum=0.0)

    assert reading.status is RangeTestStatus.OK
    # the bottom of the smoothed curve: a little below the true one, as the rise is steep
    assert -2.35 < math.log10(reading.upper_lr) <= -2.0
    assert math.log10(reading.upper_lr / reading.suggested_lr) == pytest.approx(0.2, abs=0.04)
    assert reading.lower_lr < reading.suggested_lr < reading.upper_lr
    assert math.log10(reading.lower_lr) == pytest.approx(-3.0, abs=0.3)  # where it starts falling
    assert reading.summary() == RangeTestSummary(reading.suggested_lr, reading.lower_lr,
                                                 reading.upper_lr)
    assert "fell from 2.3" in reading.reason and "turned up" in reading.reason


def test_momentum_and_adaptive_optimizers_step_further_back() -> None:
    picks = [read_range_test(LRS, valley(), optimizer=name, momentum=momentum).suggested_lr
             for name, momentum in (("SGD", 0.0), ("SGD", 0.5), ("SGD", 0.9), ("AdamW", 0.9))]
    assert picks == sorted(picks, reverse=True)
    assert math.log10(picks[0] / picks[2]) == pytest.approx(0.1, abs=0.08)
    assert math.log10(picks[0] / picks[3]) == pytest.approx(0.3, abs=0.08)
    assert read_range_test(LRS, valley()).suggested_lr == picks[3]  # unknown: the safe side


def test_noise_barely_moves_the_suggestion_while_lightnings_pick_jumps() -> None:
    clean = math.log10(read_range_test(LRS, valley(), optimizer="SGD").suggested_lr)
    ours, lightning = [], []
    for seed in range(20):
        reading = read_range_test(LRS, valley(noise=0.1, seed=seed), optimizer="SGD")
        ours.append(math.log10(reading.suggested_lr))
        lightning.append(math.log10(reading.lightning_lr))
    assert max(abs(o - clean) for o in ours) < 0.3
    assert np.ptp(lightning) > 1.0  # Lightning's steepest slope vs linear LR: over a decade


def test_a_spike_does_not_move_the_suggestion() -> None:
    loss = valley(noise=0.03)
    spiked = loss.copy()
    spiked[60] *= 20
    base = read_range_test(LRS, loss, optimizer="SGD").suggested_index
    assert abs(read_range_test(LRS, spiked, optimizer="SGD").suggested_index - base) <= 1


def test_the_curve_is_read_up_to_the_first_non_finite_loss() -> None:
    loss = valley()
    cut = int(np.searchsorted(LRS, 0.05))
    loss[cut:] = np.nan
    reading = read_range_test(LRS, loss, optimizer="SGD")
    assert reading.status is RangeTestStatus.OK
    assert "no longer finite" in reading.reason
    assert np.isnan(reading.smoothed[cut:]).all() and np.isfinite(reading.smoothed[:cut]).all()


def test_linear_mode_curves_are_read_too() -> None:
    lrs = np.linspace(1e-4, 0.1, 100)
    reading = read_range_test(lrs, valley(lrs, bottom=0.05, noise=0.02), optimizer="SGD")
    assert reading.status is RangeTestStatus.OK
    assert reading.suggested_lr == pytest.approx(0.05 / 10 ** 0.2, rel=0.15)


@pytest.mark.parametrize("loss, reason", [
    (np.full(100, np.nan), "non-finite (nan) from the first step"),
    (np.r_[valley()[:10], np.full(90, np.inf)], "only 10 steps gave a finite loss"),
    (2.3 * np.exp(0.05 * np.random.default_rng(0).normal(size=100)), "neither fell nor rose"),
    (2.3 * np.exp(np.linspace(0, 3, 100)), "min_lr is already too high"),
])
def test_unreadable_curves_give_no_suggestion_and_say_why(loss: np.ndarray, reason: str) -> None:
    reading = read_range_test(LRS, loss, optimizer="SGD")
    assert reading.status is RangeTestStatus.INCONCLUSIVE
    assert reason in reading.reason
    assert reading.suggested_lr is None and reading.summary() is None


def test_too_few_steps_are_inconclusive() -> None:
    lrs = LRS[:: 100 // (MIN_STEPS - 1)][: MIN_STEPS - 1]
    reading = read_range_test(lrs, valley(lrs))
    assert reading.status is RangeTestStatus.INCONCLUSIVE
    assert f"only {MIN_STEPS - 1} steps ran" in reading.reason
    # the way out names each front end's argument (LRFinder's is num_training_steps)
    assert "num_training," in reading.reason and "num_training_steps" in reading.reason


def test_a_loss_still_falling_at_max_lr_asks_for_a_larger_range() -> None:
    lrs = LRS[LRS < 5e-3]
    reading = read_range_test(lrs, valley(lrs, bottom=1e-2), optimizer="SGD")
    assert reading.status is RangeTestStatus.STILL_FALLING
    assert "larger max_lr" in reading.reason
    assert reading.suggested_lr < lrs[-1]


def test_flat_then_blowing_up_suggests_below_the_blow_up_and_says_so() -> None:
    noise = np.exp(0.03 * np.random.default_rng(1).normal(size=100))
    loss = 2.3 * np.where(LRS > 0.3, np.exp(3 * np.log10(LRS / 0.3)), 1.0) * noise
    reading = read_range_test(LRS, loss, optimizer="SGD", momentum=0.0)
    assert reading.status is RangeTestStatus.EDGE_ONLY
    assert "too short to show the descent" in reading.reason
    assert 0.3 / 10 < reading.suggested_lr < 0.3 / 2  # within a decade below the blow-up
    assert reading.lower_lr == pytest.approx(reading.suggested_lr / 10)


def test_mismatched_lengths_are_an_input_error() -> None:
    with pytest.raises(InputError, match="one loss per LR .got 100 LRs and 99 losses"):
        read_range_test(LRS, valley()[:99])


def test_lightning_ema_is_lightnings_debiased_average() -> None:
    losses = np.array([4.0, 2.0, np.nan, 1.0])
    ema = lightning_ema(losses, beta=0.5)
    avg1 = 0.5 * 4.0
    avg2 = 0.5 * avg1 + 0.5 * 2.0
    avg3 = 0.5 * avg2 + 0.5 * 1.0
    assert ema[0] == pytest.approx(avg1 / (1 - 0.5 ** 2))
    assert ema[1] == pytest.approx(avg2 / (1 - 0.5 ** 3))
    assert np.isnan(ema[2])
    assert ema[3] == pytest.approx(avg3 / (1 - 0.5 ** 5))


def test_lightning_suggestion_needs_two_points_after_skipping() -> None:
    assert lightning_suggestion(LRS[:12], valley()[:12]) is None


@settings(max_examples=60, deadline=None)
@given(st.integers(MIN_STEPS, 200), st.floats(-3, 3), st.integers(0, 2 ** 31 - 1))
def test_any_curve_gives_a_consistent_reading(n: int, log_scale: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lrs = np.geomspace(1e-7, 10, n)
    loss = 10 ** log_scale * np.exp(np.cumsum(rng.normal(scale=0.2, size=n)))
    if rng.random() < 0.3:
        loss[rng.integers(0, n):] = np.nan
    reading = read_range_test(lrs, loss, optimizer=rng.choice(["SGD", "Adam", None]))
    assert reading.reason
    assert reading.smoothed.shape == loss.shape
    if reading.suggested_lr is None:
        assert reading.status is RangeTestStatus.INCONCLUSIVE
    else:
        assert reading.suggested_lr in lrs
        assert reading.lower_lr <= reading.suggested_lr <= reading.upper_lr <= lrs[-1]


def long_fall(lrs: np.ndarray = LRS, steepest: float = 1e-4, bottom: float = 1e-2) -> np.ndarray:
    """A loss that falls slowly over four decades, around ``steepest``, and blows up past
    ``bottom``: its steepest descent lies well over a decade below its bottom."""
    x = np.log10(lrs)
    xb = math.log10(bottom)
    fall = 0.8 / (1 + np.exp(-(x - math.log10(steepest)) / 0.5))
    rise = np.where(x > xb, np.expm1(4.0 * (x - xb)), 0.0)
    return 2.3 * (1 - fall) * (1 + rise)


def test_the_bottom_alone_sets_the_pick_unless_other_landmarks_are_asked_for() -> None:
    loss = long_fall()
    shipped = read_range_test(LRS, loss, optimizer="AdamW")
    assert math.log10(shipped.upper_lr / shipped.suggested_lr) == pytest.approx(0.6, abs=0.04)
    assert "steepest" not in shipped.reason

    both = RuleSettings(steep_offset=(None, None, 0.0))
    adam = read_range_test(LRS, loss, optimizer="AdamW", settings=both)
    # the mean of the bottom less 0.6 decades and the steepest descent of the log-loss (read
    # on the raw curve: it is smooth), over a quarter decade lower than the bottom alone
    x = np.log10(LRS)
    falling = x < math.log10(shipped.upper_lr)
    steepest = x[falling][np.argmin(np.gradient(np.log(loss), x)[falling])]
    assert steepest < math.log10(shipped.upper_lr) - 1.0
    expected = (math.log10(shipped.upper_lr) - 0.6 + steepest) / 2
    assert math.log10(adam.suggested_lr) == pytest.approx(expected, abs=0.1)
    assert math.log10(shipped.suggested_lr / adam.suggested_lr) > 0.25
    assert adam.upper_lr == shipped.upper_lr
    assert "the mean of" in adam.reason and "steepest descent" in adam.reason
    # plain SGD reads the bottom alone where the setting names no offset for it
    sgd = read_range_test(LRS, loss, optimizer="SGD", momentum=0.0, settings=both)
    alone = read_range_test(LRS, loss, optimizer="SGD", momentum=0.0)
    assert sgd.suggested_lr == alone.suggested_lr


def test_three_landmarks_give_their_median() -> None:
    loss = long_fall()
    x = np.log10(LRS)
    bottom = math.log10(read_range_test(LRS, loss, optimizer="SGD", momentum=0.0).upper_lr)
    falling = x < bottom
    steepest = x[falling][np.argmin(np.gradient(np.log(loss), x)[falling])]
    picks = []
    for blow_up_offset in (1.4, 1.6):  # the blow-up's estimate falls between the other two
        three = RuleSettings(steep_offset=(0.0, 0.0, 0.0),
                             edge_offset=(blow_up_offset,) * 3)
        reading = read_range_test(LRS, loss, optimizer="SGD", momentum=0.0, settings=three)
        assert steepest < math.log10(reading.suggested_lr) < bottom - 0.2 - 0.1
        assert "the median of" in reading.reason and "blow-up" in reading.reason
        picks.append(math.log10(reading.suggested_lr))
    # the median follows the middle estimate: 0.2 decades more offset, 0.2 decades lower
    assert picks[0] - picks[1] == pytest.approx(0.2, abs=0.06)


def test_a_pick_whose_landmarks_disagree_is_drawn_toward_the_usual_lr() -> None:
    # round 9's "say less where the curve says less", off by default: the bottom (about 0.2)
    # less 0.6 decades and the steepest descent (about 2.5e-3) disagree by over a decade, so
    # with a prior width of 1 decade the Adam pick moves toward the middle of Adam's usual range
    loss = long_fall(steepest=1e-3, bottom=1.0)
    shipped = read_range_test(LRS, loss, optimizer="Adam")
    drawn_settings = RuleSettings(prior_width=1.0, usual_spread=0.3,
                                  disagreement_offset=(None, None, 0.0))
    drawn = read_range_test(LRS, loss, optimizer="Adam", settings=drawn_settings)
    x = np.log10(LRS)
    falling = x < math.log10(shipped.upper_lr)
    steepest = x[falling][np.argmin(np.gradient(np.log(loss), x)[falling])]
    bottom_estimate = math.log10(shipped.upper_lr) - 0.6
    excess = abs(bottom_estimate - steepest) - 0.3
    assert excess > 0.9
    weight = excess ** 2 / (excess ** 2 + 1.0)
    centre = math.log10(math.sqrt(1e-4 * 3e-3))  # Adam's usual range, 1e-4 to 3e-3
    expected = (1 - weight) * bottom_estimate + weight * centre
    assert math.log10(drawn.suggested_lr) == pytest.approx(expected, abs=0.05)
    assert math.log10(shipped.suggested_lr / drawn.suggested_lr) > 0.8
    assert "disagree by" in drawn.reason and "usual range" in drawn.reason
    assert "disagree" not in shipped.reason
    # plain SGD, given no offset, is not drawn
    sgd = read_range_test(LRS, loss, optimizer="SGD", momentum=0.0, settings=drawn_settings)
    assert sgd.suggested_lr == read_range_test(LRS, loss, optimizer="SGD",
                                               momentum=0.0).suggested_lr


def test_a_pick_whose_landmarks_agree_is_not_drawn() -> None:
    # a valley whose fall ends at its bottom: the steepest descent sits about 0.6 decades
    # below the bottom, where the bottom's estimate is: no disagreement, the pick as shipped
    loss = valley(bottom=1e-1)
    drawn = read_range_test(LRS, loss, optimizer="Adam",
                            settings=RuleSettings(prior_width=1.0, usual_spread=0.3,
                                                  disagreement_offset=(None, None, 0.0)))
    shipped = read_range_test(LRS, loss, optimizer="Adam")
    assert drawn.suggested_lr == shipped.suggested_lr
    assert drawn.reason == shipped.reason
