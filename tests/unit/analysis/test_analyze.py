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
    elif s.action is Action.RANGE_TEST:
        # a smooth fall still falling at the end: healthy as far as one run tells, and the test
        # that tells is the action (round 10), never a move
        assert s.factor is None and "range test" in s.rationale
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


def _as(curves: RunCurves, optimizer: str | None, lr: float | None = None) -> RunCurves:
    """The same curves, logged with another optimizer (and LR)."""
    n = len(curves.loss)
    lr_series = curves.lr if lr is None else Series(curves.loss.steps, np.full(n, lr))
    return RunCurves(loss=curves.loss, lr=lr_series, grad_norm=curves.grad_norm,
                     optimizer=optimizer, total_steps=curves.total_steps)


def test_reduce_about_10x_when_diverging_and_3x_when_oscillating() -> None:
    div = analyze(_as(synth.diverging_blowup().curves, None)).suggestion
    assert div.factor == pytest.approx(0.1) and div.suggested_lr == pytest.approx(0.5)
    osc = analyze(_as(synth.oscillating_rebound().curves, None)).suggestion
    assert osc.factor == pytest.approx(1 / 3) and osc.suggested_lr == pytest.approx(0.5 / 3)


def test_far_outside_the_usual_range_moves_toward_it_at_most_300x() -> None:
    high = analyze(_as(synth.diverging_blowup().curves, "Adam", lr=0.1)).suggestion
    assert high.action is Action.REDUCE and high.suggested_lr == pytest.approx(3e-3)  # its top
    assert "far above Adam's usual" in high.rationale
    higher = analyze(_as(synth.diverging_blowup().curves, "Adam", lr=10.0)).suggestion
    assert higher.suggested_lr == pytest.approx(10 / 300)  # 3e-3 is 3333x away: 300x at most
    low = analyze(_as(synth.stalled_linear().curves, "Adam", lr=1e-4)).suggestion
    assert low.action is Action.INCREASE
    assert low.suggested_lr == pytest.approx(3e-3)  # held back below the range's top: to its top
    assert "below Adam's usual" in low.rationale
    lower = analyze(_as(synth.stalled_linear().curves, "Adam", lr=1e-6)).suggestion
    assert lower.suggested_lr == pytest.approx(3e-4)  # 3e-3 is 3000x away: 300x at most
    sgdm = RunCurves(loss=synth.stalled_linear().curves.loss, lr=Series([0], [1e-5]),
                     optimizer="SGD", momentum=0.9)
    d = analyze(sgdm)  # heavy momentum: SGD's usual 0.001-0.3 divided by 3; its top,
    assert d.suggestion.suggested_lr == pytest.approx(3e-3)  # 0.1, is 10^4x away: 300x
    assert any("usual range 0.000333-0.1" in e.message for e in d.evidence)


def test_warmup_when_it_blows_up_in_the_first_percent_at_a_usual_lr() -> None:
    s = analyze(synth.diverging_early().curves).suggestion
    assert s.action is Action.ADD_WARMUP and s.suggested_lr == pytest.approx(1e-3 / 3)
    assert "warm up" in s.rationale and "3x lower peak" in s.rationale


def test_no_warmup_advice_when_the_lr_already_warmed_up() -> None:
    c = synth.diverging_early().curves
    ramp = 1e-3 * np.minimum(1.0, (c.loss.steps + 1) / 20)  # warms up over 20 steps
    warmed = RunCurves(loss=c.loss, lr=Series(c.loss.steps, ramp), optimizer="Adam",
                       total_steps=c.total_steps)
    d = analyze(warmed)
    assert d.status is Status.DIVERGING
    assert d.suggestion.action is Action.REDUCE and d.suggestion.factor == pytest.approx(0.1)
    assert "although the LR warmed up" in d.suggestion.rationale


def test_thrown_up_by_the_first_update_and_stuck_there_is_diverging() -> None:
    n, rng = 300, np.random.default_rng(5)
    loss = 2.3 * 5 * np.exp(rng.normal(0, 1.0, n))  # a very noisy level 5x above ...
    loss[0] = 2.3  # ... the loss before any update
    steps = np.arange(n)
    d = analyze(RunCurves(loss=Series(steps, loss), lr=Series(steps, np.full(n, 1.0)),
                          optimizer="Adam", total_steps=n))
    assert d.status is Status.DIVERGING
    assert d.evidence[0].message.startswith("loss ended 4.6x above its first value (2.3 ->")
    assert d.suggestion.action is Action.REDUCE and d.suggestion.factor < 0.1


def test_gradient_collapse_at_a_small_lr_is_a_slow_run_not_dead_units() -> None:
    n, rng = 600, np.random.default_rng(3)
    steps = np.arange(n)
    loss = (2.3 - 0.4 * (1 - np.exp(-steps / 50))) * np.exp(rng.normal(0, 0.05, n))
    gn = (0.3 + 0.7 * np.exp(-steps / 50)) * np.exp(rng.normal(0, 0.1, n))  # falls ~2.3x

    def at(lr: float) -> Status:
        return analyze(RunCurves(loss=Series(steps, loss), lr=Series(steps, np.full(n, lr)),
                                 grad_norm=Series(steps, gn), optimizer="Adam",
                                 total_steps=n)).status

    assert at(3e-3) is Status.OSCILLATING  # at the top of Adam's usual range: too high
    assert at(2e-4) is Status.STALLED  # more than a decade below that top: too low


def test_healthy_far_above_the_usual_range_suggests_a_little_lower() -> None:
    n = 1000
    steps = np.arange(n)
    loss = synth.converging(steps, n / 3) * np.exp(np.random.default_rng(0).normal(0, 0.05, n))

    def at(lr: float):  # type: ignore[no-untyped-def]
        return analyze(RunCurves(loss=Series(steps, loss), lr=Series(steps, np.full(n, lr)),
                                 optimizer="Adam", total_steps=n))

    inside, above = at(1e-3), at(0.3)
    assert inside.status is above.status is Status.HEALTHY
    assert inside.suggestion.action is Action.KEEP
    assert above.suggestion.action is Action.REDUCE
    assert above.suggestion.suggested_lr == pytest.approx(0.1)
    assert "2.0 decades above Adam's usual range" in above.evidence[0].message


def test_no_warmup_advice_when_the_lr_is_far_above_the_usual_range() -> None:
    case = synth.diverging_early()
    c = case.curves
    hot = RunCurves(loss=c.loss, lr=Series(c.lr.steps, c.lr.values * 100), optimizer="Adam",
                    total_steps=c.total_steps)
    assert analyze(hot).suggestion.action is Action.REDUCE


def test_stalled_asks_a_bigger_increase_the_less_the_loss_moved() -> None:
    slow, falling = (analyze(_as(case.curves, None)).suggestion.factor for case in (
        synth.stalled_linear(), synth.stalled_still_falling()))
    assert 3 < slow < 10  # fell by a third
    assert falling == pytest.approx(3)  # fell 20x but is still falling: the field's 3x


def test_a_flat_loss_with_nothing_known_asks_for_a_range_test_not_a_move() -> None:
    # issue 12: a flat loss reads as too low or as too high (collapsed); with the optimizer or
    # the LR unknown nothing tells which (was: increase 50-100x at confidence 1.0)
    c = synth.stalled_flat().curves
    for curves in (RunCurves(loss=c.loss), _as(c, None)):
        d = analyze(curves)
        assert d.status is Status.STALLED and d.confidence <= 0.5
        assert d.suggestion.action is Action.RANGE_TEST and d.suggestion.factor is None
        assert d.suggestion.suggested_lr is None
        assert "range test" in d.suggestion.rationale
        assert any("reads two ways" in e.message for e in d.evidence)


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
    assert d.status is Status.HEALTHY and d.suggestion.peak_lr == 1.0


@pytest.mark.parametrize(("optimizer", "lr", "factor"), [("SGD", 0.1, 4.0), ("AdamW", 1e-3, 2.0)])
def test_batch_size_scaling_linear_for_sgd_sqrt_for_adam(optimizer: str, lr: float,
                                                         factor: float) -> None:
    c = synth.healthy_exponential().curves
    curves = RunCurves(loss=c.loss, lr=Series(c.lr.steps, np.full(len(c.lr), lr)),
                       optimizer=optimizer, batch_size=32)
    s = analyze(curves, target_batch_size=128).suggestion
    assert s.action is Action.KEEP
    assert s.factor == pytest.approx(factor)
    assert s.suggested_lr == pytest.approx(lr * factor)
    assert "batch size 32 -> 128" in s.rationale


def test_range_test_picks_the_lr_when_it_points_the_right_way() -> None:
    c = _as(synth.stalled_linear().curves, "SGD", lr=1e-3)
    rt = RangeTestSummary(suggested_lr=5e-3, lower_lr=1e-5, upper_lr=1e-1)
    with_rt = RunCurves(loss=c.loss, lr=c.lr, optimizer="SGD", range_test=rt)
    assert analyze(with_rt).suggestion.suggested_lr == pytest.approx(5e-3)
    wrong_way = RunCurves(loss=c.loss, lr=c.lr, optimizer="SGD",
                          range_test=RangeTestSummary(1e-5, 1e-6, 1e-1))
    without = RunCurves(loss=c.loss, lr=c.lr, optimizer="SGD")
    assert analyze(wrong_way).suggestion.suggested_lr == analyze(without).suggestion.suggested_lr
    assert analyze(without).suggestion.suggested_lr > 1e-3


# --------------------------------------------------------------------------- awkward inputs
def _loss(values: list[float] | np.ndarray,
          steps: list[int] | np.ndarray | None = None) -> RunCurves:
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
    assert d.suggestion.peak_lr == pytest.approx(1e-4)


def test_the_peak_lr_keeps_its_old_name_for_one_release() -> None:
    d = analyze(synth.stalled_linear().curves)
    with pytest.warns(DeprecationWarning, match="peak_lr"):
        assert d.suggestion.current_lr == d.suggestion.peak_lr
    doc = d.to_dict()
    assert doc["current_lr"] == doc["peak_lr"] == pytest.approx(d.suggestion.peak_lr)


def test_bad_arguments_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="needs a RunCurves"):
        analyze(np.arange(10))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="target_batch_size must be a positive int"):
        analyze(synth.healthy_no_lr().curves, target_batch_size=0)
    with pytest.raises(ConfigError, match="target_batch_size must be a positive int"):
        analyze(synth.healthy_no_lr().curves, target_batch_size=True)
    doubled = analyze(synth.stalled_linear().curves, target_batch_size=np.int64(64))
    assert doubled.suggestion.factor == pytest.approx(  # batch 32 -> 64, SGD: linear
        2 * analyze(synth.stalled_linear().curves).suggestion.factor)


LOSS = Series(np.arange(5), np.ones(5))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"loss": np.ones(5)}, r"RunCurves\(loss=...\) needs a Series\(steps, values\), got ndarray"),
    ({"loss": LOSS, "lr": 1e-3}, r"RunCurves\(lr=...\) needs a Series"),
    ({"loss": LOSS, "optimizer": object}, r"RunCurves\(optimizer=...\) needs the optimizer's "),
    ({"loss": LOSS, "momentum": "0.9"}, r"RunCurves\(momentum=...\) needs a number"),
    ({"loss": LOSS, "batch_size": "64"}, r"RunCurves\(batch_size=...\) needs a positive int"),
    ({"loss": LOSS, "total_steps": 0}, r"RunCurves\(total_steps=...\) needs a positive int"),
])
def test_run_curves_names_a_wrong_field(kwargs, message) -> None:
    with pytest.raises(ConfigError, match=message):
        RunCurves(**kwargs)


def test_a_series_of_text_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="integer steps and numeric values"):
        Series(np.arange(3), ["a", "b", "c"])


def test_a_blowup_in_the_first_steps_is_called_before_the_run_is_long_enough() -> None:
    d = analyze(_loss([2.3, 60.0, 1.9e4, 4.0e7, 1.1e10]))
    assert d.status is Status.DIVERGING and d.since_step == 1
    assert d.evidence[0].message.startswith("loss rose")
    assert analyze(_loss([2.3, 2.2, 2.4, 2.1, 2.0])).status is Status.INSUFFICIENT_DATA


@pytest.mark.parametrize("big", [8.98846567e307, 1e300, 1e-300])
def test_extreme_magnitudes_give_a_diagnosis(big: float) -> None:
    loss = np.full(60, big)
    loss[0] = 0.0
    steps = np.arange(60)
    for lr in (big, 1e-320):
        curves = RunCurves(loss=Series(steps, loss), lr=Series(steps, np.full(60, lr)),
                           grad_norm=Series(steps, loss[::-1]), optimizer="Adam", batch_size=16)
        d = analyze(curves, target_batch_size=64)
        assert 0 <= d.confidence <= 1
        assert d.suggestion.suggested_lr is None or math.isfinite(d.suggestion.suggested_lr)


def test_update_ratio_far_from_1e3_is_reported_as_context() -> None:
    c = synth.stalled_linear().curves
    steps = c.loss.steps
    tiny = RunCurves(loss=c.loss, lr=c.lr, optimizer="SGD",
                     update_ratio=Series(steps, np.full(steps.size, 2e-6)))
    d = analyze(tiny)
    assert d.status is Status.STALLED
    assert any(e.signal == "update_ratio" and "far below the ~1e-3" in e.message
               for e in d.evidence)
    usual = RunCurves(loss=c.loss, lr=c.lr, optimizer="SGD",
                      update_ratio=Series(steps, np.full(steps.size, 1e-3)))
    assert not any(e.signal == "update_ratio" for e in analyze(usual).evidence)


@pytest.mark.parametrize("batch", [2, 4])
@pytest.mark.parametrize("n", [90, 300])
def test_mini_batch_noise_on_a_falling_curve_is_healthy(batch: int, n: int) -> None:
    # MSE on a batch of 2 or 4: chi-square noise, with losses 10x under their level now and then
    t = np.arange(n)
    for seed in range(40):
        noise = np.random.default_rng(seed).chisquare(batch, n) / batch
        loss = synth.converging(t, n / 10, start=3.0, floor=0.01) * noise
        d = analyze(RunCurves(loss=Series(t, loss), lr=Series(t, np.full(n, 0.05)),
                              optimizer="SGD", batch_size=batch))
        assert d.status is Status.HEALTHY, (seed, [e.message for e in d.evidence])


def test_a_loss_near_zero_that_rises_10x_is_not_diverging() -> None:
    t = np.arange(400)
    loss = 2.3 * np.exp(-t / 20) + 1e-8
    loss[-60:] = 1e-4  # 10^4x its best level, still 10^4x under where it started
    d = analyze(_loss(loss))
    assert d.status is not Status.DIVERGING
    assert d.status is not Status.OSCILLATING  # it gave back nothing of its 2.3 drop


def test_losses_that_keep_spiking_above_the_start_are_oscillating() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(300)
    loss = synth.converging(t, 20, floor=0.3) * np.exp(rng.normal(0, 0.2, 300))
    spikes = rng.random(300) < 0.2
    loss[spikes & (t > 100)] = rng.uniform(3, 30, (spikes & (t > 100)).sum())  # 2.3 at start
    d = analyze(RunCurves(loss=Series(t, loss), lr=Series(t, np.full(300, 0.1)), optimizer="SGD"))
    assert d.status is Status.OSCILLATING
    assert "spiked back above the starting loss" in d.evidence[0].message
    assert d.suggestion.action is Action.REDUCE


def test_heavy_tailed_small_batch_losses_that_never_moved_are_not_spikes() -> None:
    # a run far below its best LR: the level never moves, a batch of 8 is heavy-tailed around it
    rng = np.random.default_rng(5)
    t = np.arange(300)
    loss = 0.9 * rng.chisquare(2, 300) / 2  # exponential: a quarter of them above twice ...
    loss[:3] = 0.9 * math.log(2)  # ... its median, where training started
    d = analyze(RunCurves(loss=Series(t, loss), lr=Series(t, np.full(300, 1e-5)),
                          optimizer="Adam", batch_size=8))
    assert d.status is Status.STALLED, [e.message for e in d.evidence]


def _first_update_blowup(lr: float, first: float = 2.3) -> RunCurves:
    """The loss before any update, then a jump at the first update, partly recovered."""
    rng = np.random.default_rng(7)
    t = np.arange(300)
    loss = (7.0 + 5.0 * np.exp(-t / 30)) * np.exp(rng.normal(0, 0.1, 300))  # ends 3x above
    loss[0] = first
    return RunCurves(loss=Series(t, loss), lr=Series(t, np.full(300, lr)), optimizer="Adam")


def test_a_jump_at_the_first_update_with_a_far_too_high_lr_is_diverging() -> None:
    d = analyze(_first_update_blowup(lr=1.0))  # 2.5 decades above Adam's usual range
    assert d.status is Status.DIVERGING, [e.message for e in d.evidence]
    assert "above where it started (2.3 ->" in d.evidence[0].message


def test_a_low_first_batch_does_not_fake_a_blowup() -> None:
    # the same shape at a usual LR: without the prior, a low first batch (e.g. a lucky batch of
    # 8) must not be read as a blow-up unless the loss ends 20x above it
    d = analyze(_first_update_blowup(lr=1e-3))
    assert d.status is not Status.DIVERGING, [e.message for e in d.evidence]


@pytest.mark.parametrize(("lr", "status"), [(1.0, Status.OSCILLATING), (0.03, Status.STALLED)])
def test_little_progress_above_the_usual_range_is_too_high(lr: float, status: Status) -> None:
    # the loss fell only 20%: at SGD lr 1 (half a decade above its usual 1e-3..0.3) the LR held
    # it back from above; inside the range, from below
    rng = np.random.default_rng(11)
    t = np.arange(300)
    loss = (1.8 + 0.5 * np.exp(-t / 50)) * np.exp(rng.normal(0, 0.05, 300))
    d = analyze(RunCurves(loss=Series(t, loss), lr=Series(t, np.full(300, lr)), optimizer="SGD"))
    assert d.status is status, [e.message for e in d.evidence]


def test_a_loss_that_fell_10x_and_still_falls_is_not_stalled() -> None:
    # 2.3 -> 0.1 and still falling: 95% of the loss is gone, no LR could remove much more
    t = np.arange(300)
    loss = 2.3 * np.exp(-t / 95)
    d = analyze(RunCurves(loss=Series(t, loss), lr=Series(t, np.full(300, 0.05)), optimizer="SGD"))
    assert d.status is Status.HEALTHY, [e.message for e in d.evidence]


def test_steps_without_a_loss_count_in_the_steps_a_short_run_needs() -> None:
    # a training_step that returns None on every third step: 31 losses over 46 steps; "needs
    # ~40 steps" beside "46 steps" read as a contradiction
    steps = np.arange(46)
    loss = np.where(steps % 3 != 2, 2.0 - 0.01 * steps, np.nan)
    d = analyze(RunCurves(loss=Series(steps, loss), optimizer="SGD"))
    assert d.status is Status.INSUFFICIENT_DATA and d.steps == 46
    assert d.needed_steps is not None and d.needed_steps > d.steps
