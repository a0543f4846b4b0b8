"""The live replay of ``benchmarks/realworld_live``: a run fed point by point through the guard
the engine runs, judged as a user mid-run would see it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from benchmarks.realworld import Label, RealRun
from benchmarks.realworld_live import end_of, judge, replay, summarise
from lrwatch.analysis import RunCurves, Series


def _run(loss: np.ndarray, label: Label, lr: float = 0.1) -> RealRun:
    steps = np.arange(loss.size, dtype=np.int64)
    curves = RunCurves(loss=Series(steps, loss), lr=Series(steps, np.full(loss.size, lr)),
                       optimizer="SGD", momentum=0.9)
    return RealRun(id="test-run", repo="lrwatch-made/test_replay", commit="0" * 40,
                   path="test", format="made", family="other", meta={}, label=label,
                   sweep=None, heldout=False, curves=curves)


def _healthy_with_a_spike() -> np.ndarray:
    steps = np.arange(2000)
    rng = np.random.default_rng(3)
    loss = (2.3 * np.exp(-steps / 300) + 0.2) * np.exp(rng.normal(0, 0.03, steps.size))
    loss[1000] *= 6.0  # one bad batch; the next step is back on the curve
    return loss


def _blows_up_to_nan() -> tuple[np.ndarray, int]:
    steps = np.arange(1200)
    rng = np.random.default_rng(4)
    loss = (2.3 * np.exp(-steps / 150) + 0.3) * np.exp(rng.normal(0, 0.03, steps.size))
    rising = steps >= 600
    loss[rising] *= np.exp((steps[rising] - 600) / 25.0)  # the LR is too high from step 600
    first_nan = int(np.flatnonzero(loss > 1e6)[0])
    loss[first_nan:] = np.nan
    return loss, first_nan


def test_a_healthy_run_with_one_recovered_spike_gets_no_alarm_and_ends_as_analyze_says():
    run = _run(_healthy_with_a_spike(), Label("healthy", "keep", "made", "curve"))
    seen = replay(run.curves)
    row = judge(run, seen)
    assert seen["decision"] is None  # "stop" would not have ended this run
    assert row["false_alarm"] is False
    assert not any(n["status"] in ("alarm", "diverging") for n in seen["notices"])
    end = end_of(run, seen)
    assert end["live"] == end["offline"] == "healthy" and end["agree"]


def test_a_run_that_goes_nan_is_announced_and_stopped_before_its_first_nan():
    loss, first_nan = _blows_up_to_nan()
    run = _run(loss, Label("diverging", "down", "made", "nonfinite"))
    seen = replay(run.curves)
    row = judge(run, seen)
    assert row["announced"] and row["blow_up"] == {"index": first_nan, "what": "first NaN/inf"}
    assert seen["decision"] is not None and seen["decision"]["index"] < first_nan
    assert row["stop_in_time"] and row["lead_points"] > 0
    row["end"] = end_of(run, seen)
    figures = summarise([row])
    assert figures["too_high_runs"] == figures["announced"] == figures["stop_in_time"] == 1
    assert figures["false_alarms"] == 0 and figures["good_runs"] == 0


def _with_grad(grad: np.ndarray) -> RealRun:
    run = _run(_healthy_with_a_spike()[:grad.size], Label("healthy", "keep", "made", "curve"))
    steps = run.curves.loss.steps
    return replace(run, curves=replace(run.curves, grad_norm=Series(steps, grad)))


def test_a_nan_gradient_norm_the_run_went_on_from_is_an_amp_skip_not_a_stop():
    """The recorder does not flag a step fp16 AMP's scaler skipped; a log's NaN/inf gradient
    norm with training going on after it is one, and the replay reads it so."""
    grad = np.ones(2000)
    grad[[500, 1200]] = np.inf
    assert replay(_with_grad(grad).curves)["decision"] is None


def test_a_log_that_ends_on_a_nan_gradient_norm_is_stopped_there():
    grad = np.ones(300)
    grad[-1] = np.nan
    assert replay(_with_grad(grad).curves)["decision"] is not None
