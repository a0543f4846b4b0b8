"""A loss that goes below 0 (a log-likelihood) is compared shifted above 0; its evidence must say
so, not print a ratio beside its own values that no reader can check ("loss rose 9.67x above
where it started (-1.24e+03 -> -1.03e+03)")."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import RunCurves, Series, Status, analyze
from tests.helpers.said import said

STEPS = np.arange(1, 301)


def _rising(start: float, end: float) -> RunCurves:
    """Falls for 100 steps, then climbs to ``end`` by the last step."""
    low = start - 0.3 * abs(start)
    loss = np.concatenate([np.linspace(start, low, 100), np.linspace(low, end, 200)])
    return RunCurves(loss=Series(STEPS, loss), optimizer="Adam",
                     lr=Series(STEPS, np.full(STEPS.size, 0.01)))


def test_a_negative_loss_that_rises_says_its_ratio_is_on_a_shifted_scale():
    d = analyze(_rising(-1240.0, -300.0))
    words = said(d)
    assert d.status is Status.DIVERGING, words
    assert "x on the loss shifted above 0 (it goes below 0)" in words
    assert "-1.24e+03" in words  # its own values are still the ones shown


def test_a_positive_loss_keeps_its_plain_ratio():
    d = analyze(_rising(2.0, 9.0))
    words = said(d)
    assert d.status is Status.DIVERGING, words
    assert "shifted above 0" not in words
    assert "x above where it started (1.99 -> " in words
