"""Round 28: what one log alone gets.

A loss that went NaN with no climb before it, after it trained for many logged points at its
LR, was told "reduce the LR ~10x" at 0.7: four EEG transformer runs (16-bit, their source cannot
tell the LR from a bad batch or an fp16 overflow) were told so 10x the wrong way. Such a NaN now
gets a cut of ~2x (the LR held for all those points), the other causes still named; a NaN within
the first points of a run, or one the loss climbed to, still gets ~10x."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees


def _words(d) -> str:  # type: ignore[no-untyped-def]
    return " ".join(e.message for e in d.evidence) + " | " + d.suggestion.rationale


def _nan_after(trained: int, n: int = 120, lr: float | None = None) -> RunCurves:
    """A loss falling smoothly from 0.69 with a little noise for ``trained`` points, then NaN to
    the end of a run of ``n`` points logged every 10 steps."""
    rng = np.random.default_rng(0)
    steps = np.arange(1, n + 1) * 10
    loss = 0.25 + 0.44 * np.exp(-np.arange(n) / 20) * (1 + 0.02 * rng.standard_normal(n))
    loss[trained:] = np.nan
    return RunCurves(loss=Series(steps, loss), optimizer="AdamW",
                     lr=None if lr is None else Series(steps, np.full(n, lr)))


def test_a_sudden_nan_after_the_loss_trained_is_cut_about_2x_not_10x() -> None:
    d = analyze(_nan_after(60))
    words = _words(d)
    assert d.status is Status.DIVERGING, words
    assert d.confidence == 0.7, words  # a NaN is sure; its cause is not
    assert d.suggestion.action is Action.REDUCE, words
    assert d.suggestion.factor == 0.5, words
    assert "trained for 60 logged points" in words, words
    assert "bad batch, an fp16 overflow" in words, words
    assert "reduce the LR ~2x" in d.suggestion.rationale, words


def test_with_the_lr_logged_the_cut_names_it() -> None:
    d = analyze(_nan_after(60, lr=1e-3))
    assert d.suggestion.factor == 0.5 and d.suggestion.suggested_lr == 5e-4, _words(d)


def test_a_nan_within_the_first_points_still_gets_10x() -> None:
    d = analyze(_nan_after(8))
    words = _words(d)
    assert d.status is Status.DIVERGING, words
    assert d.suggestion.action is Action.REDUCE and d.suggestion.factor == 0.1, words
    assert "trained for" not in words, words


def test_a_nan_the_loss_climbed_to_still_gets_10x() -> None:
    n = 120
    steps = np.arange(1, n + 1) * 10
    loss = 0.25 + 0.44 * np.exp(-np.arange(n) / 20)
    loss[60:80] = loss[59] * np.geomspace(1.5, 40, 20)  # climbs 40x, then NaN
    loss[80:] = np.nan
    d = analyze(RunCurves(loss=Series(steps, loss), optimizer="AdamW"))
    words = _words(d)
    assert d.status is Status.DIVERGING, words
    assert d.suggestion.factor == 0.1, words


def test_the_online_analyzer_says_the_same_at_the_run_end_online() -> None:
    for chunk in (1, 7, 20):
        live = online_agrees(_nan_after(60), chunk)
        assert live.suggestion.factor == 0.5
