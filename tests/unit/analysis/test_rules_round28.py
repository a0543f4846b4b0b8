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
from tests.helpers.said import said


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
    words = said(d)
    assert d.status is Status.DIVERGING, words
    assert d.confidence == 0.7, words  # a NaN is sure; its cause is not
    assert d.suggestion.action is Action.REDUCE, words
    assert d.suggestion.factor == 0.5, words
    assert "trained for 60 logged points" in words, words
    assert "bad batch, an fp16 overflow" in words, words
    assert "reduce the LR ~2x" in d.suggestion.rationale, words


def test_with_the_lr_logged_the_cut_names_it() -> None:
    d = analyze(_nan_after(60, lr=1e-3))
    assert d.suggestion.factor == 0.5 and d.suggestion.suggested_lr == 5e-4, said(d)


def test_a_nan_within_the_first_points_still_gets_10x() -> None:
    d = analyze(_nan_after(8))
    words = said(d)
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
    words = said(d)
    assert d.status is Status.DIVERGING, words
    assert d.suggestion.factor == 0.1, words


def test_the_online_analyzer_says_the_same_at_the_run_end_online() -> None:
    for chunk in (1, 7, 20):
        live = online_agrees(_nan_after(60), chunk)
        assert live.suggestion.factor == 0.5


def _fine_tune_unsettled(lr: float) -> RunCurves:
    """A fine-tune whose loss fell 2.3 -> 1.45 by step 280 and rose back 20% by the end (400
    steps, every step logged), at a constant ``lr`` under AdamW."""
    rng = np.random.default_rng(1)
    steps = np.arange(400)
    base = np.where(steps < 280, 2.3 - 0.85 * (1 - np.exp(-steps / 70)) / (1 - np.exp(-4)),
                    1.45 + 0.3 * (steps - 280) / 120)
    loss = base * (1 + 0.03 * rng.standard_normal(400))
    return RunCurves(loss=Series(steps, loss), lr=Series(steps, np.full(400, lr)),
                     optimizer="AdamW", fine_tune=True, total_steps=400)


def test_a_fine_tune_that_did_not_settle_near_the_fine_tuning_range_gets_a_range_test() -> None:
    d = analyze(_fine_tune_unsettled(5.6e-3))  # 1.3 decades above AdamW's 3e-4
    words = said(d)
    assert d.status is Status.OSCILLATING, words
    assert d.confidence == 0.4, words
    assert d.suggestion.action is Action.RANGE_TEST, words
    assert d.suggestion.factor is None, words
    assert "small model whose best LR sits above that range" in words, words


def test_further_above_the_fine_tuning_range_it_is_still_told_to_reduce() -> None:
    d = analyze(_fine_tune_unsettled(3e-2))  # 2 decades above
    words = said(d)
    assert d.status is Status.OSCILLATING, words
    assert d.suggestion.action is Action.REDUCE, words
    assert d.suggestion.factor is not None and d.suggestion.factor < 1 / 2.9, words


def test_a_fine_tune_near_the_range_online_says_the_same_at_the_run_end() -> None:
    for chunk in (1, 25):
        live = online_agrees(_fine_tune_unsettled(5.6e-3), chunk)
        assert live.suggestion.action is Action.RANGE_TEST


def _early_blowup(lr: float | None, optimizer: str = "AdamW") -> RunCurves:
    """A loss that climbs from 2.3 to over 1000 in its first 30 steps and then NaN, logged every
    step to step 999 (its planned steps unknown)."""
    steps = np.arange(1000)
    loss = np.full(1000, np.nan)
    loss[:30] = 2.3 * np.geomspace(1, 600, 30)
    return RunCurves(loss=Series(steps, loss), optimizer=optimizer,
                     lr=None if lr is None else Series(steps, np.full(1000, lr)))


def test_a_run_that_blew_up_in_its_first_steps_names_warmup_beside_the_10x_cut() -> None:
    for lr in (None, 1e-3):  # not logged, or in AdamW's usual range (the plan unknown)
        d = analyze(_early_blowup(lr))
        words = said(d)
        assert d.status is Status.DIVERGING, words
        assert d.suggestion.action is Action.REDUCE and d.suggestion.factor == 0.1, words
        assert "a warmup (over ~5% of the steps)" in d.suggestion.rationale, words


def test_far_above_the_usual_range_an_early_blow_up_names_no_warmup() -> None:
    d = analyze(_early_blowup(3.0))
    words = said(d)
    assert d.status is Status.DIVERGING, words
    assert "warmup" not in d.suggestion.rationale, words


def test_an_early_blow_up_online_says_the_same_at_the_run_end() -> None:
    for chunk in (1, 50):
        live = online_agrees(_early_blowup(None), chunk)
        assert "a warmup" in live.suggestion.rationale
