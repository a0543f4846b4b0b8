"""Round 25: a log too short for a verdict whose loss rose. Under 12 points a step log (each
point a summary of several steps) and under 6 an epoch log got no verdict, even where the loss
ended well above its first point, on its last two points: an LM pretraining run at LR 30 logged
6 times (9.3 -> 668), a Whisper fine-tune logged every 500 steps (1.24 -> 1.79), a GRU LM over 5
epochs (36.8 -> 59.6). Such a log now reads diverging at 0.5 with a range test (so few points
say the loss went up, not how far the LR is off); a short log that fell, one whose last point
alone rose, and a log of every step from step 0 still get no verdict."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said


def _sparse(values: list[float], every: int = 500, lr: float | None = 3e-3) -> RunCurves:
    """A step log with one point every ``every`` steps, from step ``every``."""
    steps = np.arange(1, len(values) + 1) * every
    return RunCurves(loss=Series(steps, np.asarray(values, float)),
                     lr=None if lr is None else Series(steps, np.full(len(values), lr)),
                     optimizer="AdamW")


def test_a_short_sparse_log_that_ends_above_its_first_point_reads_diverging() -> None:
    d = analyze(_sparse([1.24, 2.03, 2.16, 1.98, 1.79]))  # ends 1.44x above its first point
    words = said(d)
    assert d.status is Status.DIVERGING, words
    assert d.confidence <= 0.5, words
    assert "1.44x above its first point" in words, words
    assert d.suggestion.action is Action.RANGE_TEST, words  # a rise, not how far to move
    assert d.suggestion.factor is None and d.suggestion.suggested_lr is None, words


def test_a_short_epoch_log_that_ends_above_its_first_epoch_reads_diverging() -> None:
    epochs = np.arange(1, 6)
    loss = np.array([36.8, 52.6, 91.5, 78.8, 59.6])  # a GRU LM at SGD 50 over 5 epochs
    d = analyze(RunCurves(loss=Series(epochs, loss), optimizer="SGD", epoch_points=True))
    words = said(d)
    assert d.status is Status.DIVERGING, words
    assert d.confidence <= 0.5, words
    assert d.suggestion.action is Action.RANGE_TEST, words


def test_a_short_log_that_fell_or_barely_rose_still_gets_no_verdict() -> None:
    for values in ([2.3, 2.2, 2.0, 1.9, 1.8], [6.6, 5.8, 5.5, 5.3, 5.2],
                   [2.0, 2.2, 2.1, 2.3],  # 1.15x, inside EPOCH_RISE (1.25x)
                   [2.0, 1.9, 1.8, 2.6]):  # 1.3x on its last point alone: one bad batch
        d = analyze(_sparse(values))
        assert d.status is Status.INSUFFICIENT_DATA, said(d)
        assert d.confidence == 0.0


def test_a_log_of_every_step_from_step_0_is_left_to_its_noise() -> None:
    steps = np.arange(0, 10)  # ten steps of a run logged every step: too young, whatever it shows
    loss = np.array([2.3, 2.2, 2.5, 2.4, 2.9, 2.6, 3.0, 2.8, 3.1, 3.0])
    d = analyze(RunCurves(loss=Series(steps, loss), optimizer="AdamW"))
    assert d.status is Status.INSUFFICIENT_DATA, said(d)


def test_the_online_analyzer_says_the_same_at_the_run_end() -> None:
    for chunk in (1, 2, 5):
        live = online_agrees(_sparse([9.26, 604.0, 156.0, 14.0, 153.0, 668.0], every=8, lr=30.0),
                             chunk)
        assert live.status is Status.DIVERGING
        assert live.suggestion.action is Action.RANGE_TEST
