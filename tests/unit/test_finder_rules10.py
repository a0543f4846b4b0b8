"""Round 10's study reads range tests with fastai's four suggestion rules, written here from
their published description: each rule on a curve built in the test, where the answer can be
worked out by hand."""

from __future__ import annotations

import math

import numpy as np

from benchmarks.finder_rules10 import fastai_curve, minimum_tenth, slide, steep, valley

LRS = 10.0 ** np.arange(40) / 1e20  # one decade a point: an index reads as a power of ten


def test_valley_reads_two_thirds_down_the_longest_decreasing_run() -> None:
    # falls for seven points (0..6), then rises: the run counts from one before its start
    # (fastai's start - 1), so a third of its 7 steps is 2.33 and the pick is -1 + 2 + 1 = 2
    losses = np.array([10.0, 9, 8, 7, 6, 5, 4, 9, 20])
    assert valley(LRS[:9], losses) == LRS[2]
    # a deep dip at point 1 does not hold the pick: the longest run is 12 down to 4 (points
    # 2..10, counted from 1), a third of its 9 steps is 3, and the pick is 1 + 3 + 1 = 5
    dip = np.array([10.0, 3, 12, 11, 10, 9, 8, 7, 6, 5, 4, 30])
    assert valley(LRS[:12], dip) == LRS[5]
    assert valley(LRS[:1], np.array([1.0])) is None


def test_slide_stops_once_the_window_lies_on_a_straight_descent() -> None:
    # a straight fall over points 0..29, then a parabola up: the 15-point window slides left
    # until its right end sits on the straight part (point 28, whose gradient is the fall's);
    # the pick is the left end of the window before that, point 14
    losses = np.r_[np.linspace(10, 1, 30), 1 + np.arange(1, 11) ** 2]
    assert slide(LRS, losses) == LRS[14]
    assert slide(LRS[:15], losses[:15]) is None  # no room for the window


def test_steep_and_minimum_over_ten() -> None:
    losses = np.array([5.0, 4.0, 1.0, 0.8, 3.0])
    assert steep(LRS[:5], losses) == LRS[1]  # the fall from point 1 to 2 is the steepest
    assert math.isclose(minimum_tenth(LRS[:5], losses), LRS[3] / 10)


def test_fastai_reading_stops_at_four_times_the_lowest_and_trims_the_ends() -> None:
    lrs = 10.0 ** np.linspace(-6, 1, 100)
    blown = np.r_[np.ones(60), np.full(40, 100.0)]
    x, y = fastai_curve(lrs, blown)
    # the moving average passes 4x its lowest at point 61; lr_find reads points 10 to 5 before
    # the last one recorded: 10..56, all before the blow-up
    assert len(x) == 47 and x[0] == lrs[10] and np.allclose(y, 1.0)
    nan = blown.copy()
    nan[40] = np.nan
    x, _ = fastai_curve(lrs, nan)
    assert len(x) == 30 and x[-1] == lrs[39]  # cut at the first NaN
