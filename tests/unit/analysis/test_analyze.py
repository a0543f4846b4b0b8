"""analyze(): labeled synthetic curves, suggestions, and the awkward inputs real logs have."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrwatch.analysis import Action, RangeTestSummary, RunCurves, Series, Status, analyze
from lrwatch.errors import ConfigError
from tests.helpers import curves as synth

CATALOGUE = synth.catalogue()


@pytest.mark.parametrize("case", CATALOGUE, ids=[c.name for c in CATALOGUE])
def test_labeled_curve_gets_its_status(case: synth.Labeled) -> None:
    d = analyze(case.curves)
    assert d.status is case.status, [e.message for e in d.evidence]
    assert 0.0 <= d.confidence <= 1.0
    if case.since is not None:
        assert case.since[0] <= d.since_step <= case.since[1]
    if case.status is not Status.HEALTHY:
        assert d.evidence, "a problem must come with evidence"


@pytest.mark.parametrize("case", CATALOGUE, ids=[c.name for c in CATALOGUE])
def test_suggestion_points_the_way_the_status_says(case: synth.Labeled) -> None:
    s = analyze(case.curves).suggestion
    if case.status is Status.DIVERGING:
        assert s.action in (Action.REDUCE, Action.ADD_WARMUP)
        assert s.factor <= 1.0
    elif case.status is Status.OSCILLATING:
        assert s.action is Action.REDUCE and s.factor < 1.0
    elif case.status is Status.STALLED:
        assert s.action in (Action.INCREASE, Action.RANGE_TEST) and s.factor > 1.0
    else:
        assert s.action in (Action.KEEP, Action.ADD_DECAY) and s.factor == 1.0


def test_evidence_numbers_can_be_checked_on_the_curve() -> None:
    case = synth.diverging_nan()
    d = analyze(case.curves)
    assert d.evidence[0].message.startswith("loss became non-finite (NaN/inf) at step 600")
    climb = d.evidence[1]
    assert climb.signal == "loss" and "grad norm grew" in climb.message
    loss = case.curves.loss.values
    assert loss[climb.end_step] / np.nanmin(loss) == pytest.approx(climb.value, rel=0.5)


def test_reduce_about_10x_when_diverging_and_3x_when_oscillating() -> None:
    div = analyze(synth.diverging_blowup().curves).suggestion
    assert div.factor == pytest.approx(0.1) and div.suggested_lr == pytest.approx(0.5)
    osc = analyze(synth.oscillating_rebound().curves).suggestion
    assert osc.factor == pytest.approx(1 / 3) and osc.suggested_lr == pytest.approx(0.5 / 3)


def test_warmup_when_it_blows_up_in_the_first_percent_at_a_usual_lr() -> None:
    s = analyze(synth.diverging_early().curves).suggestion
    assert s.action is Action.ADD_WARMUP and s.suggested_lr == pytest.approx(1e-3)
    assert "warm up" in s.rationale


def test_no_warmup_advice_when_the_lr_is_far_above_the_usual_range() -> None:
    case = synth.diverging_early()
    c = case.curves
    hot = RunCurves(loss=c.loss, lr=Series(c.lr.steps, c.lr.values * 100), optimizer="Adam",
                    total_steps=c.total_steps)
    assert analyze(hot).suggestion.action is Action.REDUCE


def test_stalled_with_no_progress_asks_10x_otherwise_3x() -> None:
    assert analyze(synth.stalled_flat().curves).suggestion.factor == pytest.approx(10)
    assert analyze(synth.stalled_linear().curves).suggestion.factor == pytest.approx(3)


def test_unknown_lr_gives_a_factor_only() -> None:
    c = synth.stalled_flat().curves
    d = analyze(RunCurves(loss=c.loss))
    assert d.status is Status.STALLED
    assert d.suggestion.current_lr is None and d.suggestion.suggested_lr is None
    assert d.suggestion.factor == pytest.approx(10)
    assert d.suggestion.action is Action.RANGE_TEST
    assert "factor to your current LR" in d.suggestion.rationale


def test_healthy_constant_lr_that_levelled_off_suggests_decay() -> None:
    d = analyze(synth.healthy_exponential(noise=0.35, seed=7).curves)
    assert d.status is Status.HEALTHY and d.suggestion.action is Action.ADD_DECAY


def test_warmup_and_decay_tails_are_not_stalls() -> None:
    assert analyze(synth.warming_up().curves).status is Status.HEALTHY
    d = analyze(synth.healthy_warmup_cosine().curves)
    assert d.status is Status.HEALTHY
    assert any("decayed" in e.message for e in d.evidence)


def test_lr_free_optimizer_at_lr_1_is_fine() -> None:
    d = analyze(synth.healthy_lr_free().curves)
    assert d.status is Status.HEALTHY and d.suggestion.current_lr == 1.0


@pytest.mark.parametrize(("optimizer", "factor"), [("SGD", 4.0), ("AdamW", 2.0)])
def test_batch_size_scaling_linear_for_sgd_sqrt_for_adam(optimizer: str, factor: float) -> None:
    c = synth.healthy_exponential().curves
    curves = RunCurves(loss=c.loss, lr=c.lr, optimizer=optimizer, batch_size=32)
    s = analyze(curves, target_batch_size=128).suggestion
    assert s.factor == pytest.approx(factor)
    assert s.suggested_lr == pytest.approx(0.1 * factor)
    assert "batch size 32 -> 128" in s.rationale


def test_range_test_picks_the_lr_when_it_points_the_right_way() -> None:
    c = synth.stalled_linear().curves
    rt = RangeTestSummary(suggested_lr=2e-3, lower_lr=1e-5, upper_lr=1e-1)
    with_rt = RunCurves(loss=c.loss, lr=c.lr, optimizer="SGD", range_test=rt)
    assert analyze(with_rt).suggestion.suggested_lr == pytest.approx(2e-3)
    wrong_way = RunCurves(loss=c.loss, lr=c.lr, optimizer="SGD",
                          range_test=RangeTestSummary(1e-5, 1e-6, 1e-1))
    assert analyze(wrong_way).suggestion.suggested_lr == pytest.approx(3e-4)


# --------------------------------------------------------------------------- awkward inputs
def _loss(values: list[float] | np.ndarray, steps: list[int] | np.ndarray | None = None) -> RunCurves:
    v = np.asarray(values, dtype=float)
    s = np.arange(v.size) if steps is None else np.asarray(steps)
    return RunCurves(loss=Series(s, v))


def test_empty_run_needs_data() -> None:
    d = analyze(_loss([]))
    assert d.status is Status.INSUFFICIENT_DATA and d.steps == 0 and d.needed_steps == 40


def test_short_run_says_how_many_steps_it_needs() -> None:
    d = analyze(_loss(np.linspace(2, 1, 10), steps=np.arange(0, 100, 10)))
    assert d.status is Status.INSUFFICIENT_DATA
    assert d.needed_steps == 400  # 40 points, logged every 10 steps
    assert d.to_dict()["needed_steps"] == 400


def test_all_nan_is_diverging_with_a_hint_about_inputs() -> None:
    d = analyze(_loss([math.nan] * 50))
    assert d.status is Status.DIVERGING and d.confidence <= 0.5
    assert "from the first recorded step" in d.evidence[0].message


def test_isolated_nan_that_recovers_is_not_diverging() -> None:
    loss = synth.converging(np.arange(500), 50)
    loss[200] = math.nan
    d = analyze(_loss(loss))
    assert d.status is Status.HEALTHY


def test_constant_loss_is_stalled() -> None:
    d = analyze(_loss(np.full(300, 0.7)))
    assert d.status is Status.STALLED
    assert d.to_dict()["evidence"]  # JSON-ready, no NaN


def test_unsorted_and_duplicated_steps_give_the_same_answer_as_clean_ones() -> None:
    case = synth.diverging_blowup()
    steps, values = case.curves.loss.steps, case.curves.loss.values
    rng = np.random.default_rng(0)
    order = rng.permutation(steps.size)
    dup = np.r_[steps[order], steps[:50]]
    dup_values = np.r_[values[order], values[:50]]  # repeats carry the same values
    messy = analyze(RunCurves(loss=Series(dup, dup_values), lr=case.curves.lr))
    clean = analyze(case.curves)
    assert messy.status is clean.status and messy.since_step == clean.since_step


def test_a_repeated_step_keeps_the_last_value_logged() -> None:
    loss = np.r_[synth.converging(np.arange(300), 30), np.full(100, 50.0)]
    steps = np.r_[np.arange(300), np.arange(200, 300)]  # resumed at 200, rewrote 100 steps
    d = analyze(_loss(loss, steps))
    assert d.status is Status.DIVERGING


def test_negative_losses_are_analysed() -> None:
    t = np.arange(600)
    loss = -5.0 + 4.0 * np.exp(-t / 60) + 0.05 * np.random.default_rng(1).normal(size=600)
    assert analyze(_loss(loss)).status is Status.HEALTHY


def test_huge_run_is_decimated_but_keeps_its_verdict() -> None:
    n = 2_000_000
    t = np.arange(n)
    loss = synth.converging(t, n / 10) * np.exp(np.random.default_rng(2).normal(0, 0.1, n))
    loss[int(0.9 * n):] = np.nan
    d = analyze(_loss(loss))
    assert d.status is Status.DIVERGING and d.since_step == int(0.9 * n)
    assert d.steps == n


def test_lr_logged_less_often_than_the_loss_holds_in_between() -> None:
    c = synth.stalled_linear().curves
    sparse = Series(c.lr.steps[::50], c.lr.values[::50])
    d = analyze(RunCurves(loss=c.loss, lr=sparse, optimizer="SGD"))
    assert d.suggestion.current_lr == pytest.approx(1e-4)


def test_bad_arguments_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="needs a RunCurves"):
        analyze(np.arange(10))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="target_batch_size must be a positive int"):
        analyze(synth.healthy_no_lr().curves, target_batch_size=0)
