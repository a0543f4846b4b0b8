"""OnlineAnalyzer: the same answers as analyze() on the same points, fed in any chunks."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from lrwatch.analysis import OnlineAnalyzer, RunCurves, Series, Status, analyze
from lrwatch.analysis.summary import MAX_BINS
from lrwatch.errors import ConfigError
from tests.helpers import curves as synth
from tests.helpers.online import feed

CATALOGUE = synth.catalogue()


@pytest.mark.parametrize("chunk", [1, 7, 100])
@pytest.mark.parametrize("case", CATALOGUE, ids=[c.name for c in CATALOGUE])
def test_online_agrees_with_analyze(case: synth.Labeled, chunk: int) -> None:
    live = feed(case.curves, chunk).diagnose()
    batch = analyze(case.curves)
    assert live.status is batch.status is case.status
    assert live.since_step == batch.since_step
    assert live.confidence == pytest.approx(batch.confidence, abs=1e-9)
    assert live.suggestion == batch.suggestion
    assert [e.message for e in live.evidence] == [e.message for e in batch.evidence]


def test_agrees_after_many_bin_merges() -> None:
    n = 20 * MAX_BINS + 37  # the summary widens its bins several times, with a partial bin left
    t = np.arange(n)
    loss = synth.converging(t, n / 10) * np.exp(np.random.default_rng(0).normal(0, 0.1, n))
    loss[n - 500:] *= np.exp(np.arange(500) / 50)
    c = RunCurves(loss=Series(t, loss), lr=Series(t, np.full(n, 0.1)))
    live, batch = feed(c, 333).diagnose(), analyze(c)
    assert live.status is batch.status is Status.DIVERGING
    assert live.since_step == batch.since_step


def test_diagnosis_follows_the_run_as_it_goes() -> None:
    case = synth.diverging_nan(at=600)
    c = case.curves
    online = OnlineAnalyzer(optimizer="SGD")
    statuses = {}
    for stop in (30, 400, 640):
        start = online.points
        online.update(c.loss.steps[start:stop], c.loss.values[start:stop],
                      lr=c.lr.values[start:stop], grad_norm=c.grad_norm.values[start:stop])
        statuses[stop] = online.diagnose().status
    assert statuses == {30: Status.INSUFFICIENT_DATA, 400: Status.HEALTHY,
                        640: Status.DIVERGING}


def test_diverging_now_fires_on_nan_at_once() -> None:
    online = feed(synth.healthy_exponential().curves, 50)
    assert online.diverging_now() is None
    online.update(1000, math.inf)
    alarm = online.diverging_now()
    assert alarm is not None and alarm.start_step == 1000
    assert online.diagnose().status is Status.DIVERGING


def test_diverging_now_fires_on_a_grad_norm_explosion_before_the_loss_moves() -> None:
    c = synth.healthy_exponential().curves
    online = feed(c, 100)
    n = len(c.loss)
    steps = np.arange(n, n + 3)
    online.update(steps, c.loss.values[-3:], grad_norm=[50.0, 80.0, 120.0])
    assert online.diverging_now() is None  # no grad norm history yet: nothing to compare with
    online = OnlineAnalyzer()
    online.update(c.loss.steps, c.loss.values, grad_norm=np.ones(n))
    online.update(steps, c.loss.values[-3:], grad_norm=[50.0, 80.0, 120.0])
    alarm = online.diverging_now()
    assert alarm is not None and alarm.signal == "grad_norm" and alarm.value > 10
    assert "grad norm jumped" in alarm.message


def test_one_mini_batch_spike_is_not_an_alarm() -> None:
    c = synth.healthy_exponential(noise=0.3).curves
    online = feed(c, 100)
    online.update(len(c.loss), 40.0)  # one bad batch
    online.update(len(c.loss) + 1, float(c.loss.values[-1]))
    assert online.diverging_now() is None


def test_repeated_steps_are_dropped_and_counted() -> None:
    online = OnlineAnalyzer()
    online.update([0, 1, 2], [3.0, 2.0, 1.0])
    online.update([2, 1, 3, 3, 4], [9.0, 9.0, 1.0, 9.0, 1.0])
    assert online.dropped == 3 and online.points == 5 and online.last_step == 4


def test_state_dict_round_trip_resumes_exactly() -> None:
    c = synth.oscillating_rebound().curves
    half = len(c.loss) // 2
    first = OnlineAnalyzer()
    first.update(c.loss.steps[:half], c.loss.values[:half], lr=c.lr.values[:half])
    resumed = OnlineAnalyzer()
    resumed.load_state_dict(first.state_dict())
    for online in (first, resumed):
        online.update(c.loss.steps[half:], c.loss.values[half:], lr=c.lr.values[half:])
    assert resumed.diagnose() == first.diagnose()
    with pytest.raises(ConfigError, match="not an OnlineAnalyzer state dict"):
        OnlineAnalyzer().load_state_dict({"width": 1})


def test_scalars_broadcast_and_bad_lengths_are_config_errors() -> None:
    online = OnlineAnalyzer()
    online.update(np.arange(3), [1.0, 1.0, 1.0], lr=0.1)
    with pytest.raises(ConfigError, match="lr has 2 values for 3 steps"):
        online.update(np.arange(3, 6), [1.0, 1.0, 1.0], lr=[0.1, 0.1])
    with pytest.raises(ConfigError, match="update\\(\\) needs numbers"):
        online.update(["a"], [1.0])


def _first_alarm(loss: list[float] | np.ndarray, grad_norm: list[float] | None = None) -> int | None:
    """The step at which diverging_now() first fires when the run is fed one step at a time."""
    online = OnlineAnalyzer()
    for step, value in enumerate(loss):
        online.update(step, value, grad_norm=None if grad_norm is None else grad_norm[step])
        if online.diverging_now() is not None:
            return step
    return None


def test_a_blowup_in_the_first_steps_is_caught_before_the_loss_is_nan() -> None:
    # a regression at far too high an SGD LR (the guard benchmark's numbers): NaN at step 7
    loss = [43.9, 24.6, 515.0, 3.5e5, 5.8e7, 1.1e10, 2.2e12, math.nan]
    assert _first_alarm(loss) == 4
    # a jump at the first update that stays up (Adam at lr 3): no NaN ever, called at step 4
    assert _first_alarm([2.31, 1436.0, 1901.0, 780.0, 1250.0, 2190.0]) == 4
    # the gradient norm alone, while the loss still looks fine
    assert _first_alarm([2.3] * 8, grad_norm=[0.5, 0.6, 0.5, 9.0, 80.0, 700.0, 900.0, 950.0]) == 5


def test_low_first_batches_or_a_loss_near_zero_do_not_fake_a_blowup() -> None:
    # batch-of-8 MSE: a first batch 10x below the rest is noise, not a 10x rise
    assert _first_alarm([0.087, 1.24, 0.9, 1.1, 1.3, 0.8, 1.0, 1.2, 0.95, 1.05]) is None
    # a cross-entropy that fell to 1e-4 and doubles, twice in a row: far below where it started
    t = np.arange(300)
    loss = 2.3 * np.exp(-t / 30) + 1e-4
    loss[-2:] = 1e-3
    assert _first_alarm(loss) is None


def test_heavy_mini_batch_noise_raises_no_alarm() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(400)
    for seed in range(20):  # batch-of-4 MSE: chi-square noise with 4 degrees of freedom
        noise = np.random.default_rng(seed).chisquare(4, t.size) / 4
        assert _first_alarm(synth.converging(t, 80, floor=0.05) * noise,
                            grad_norm=np.exp(rng.normal(0, 0.3, t.size)).tolist()) is None


@pytest.mark.parametrize("block", [4, 64, 300])
def test_every_row_is_seen_by_the_alarm_whatever_the_block_size(block: int) -> None:
    # the guard's host copies bring rows in blocks: a blow-up that died down again inside one
    # block (the loss back near its start, the last rows calm) is still found, at its own step
    t = np.arange(300)
    loss = 2.3 * np.exp(-t / 200) * np.exp(np.random.default_rng(1).normal(0, 0.05, t.size))
    loss[150:156] = [20.7, 259.0, 2.48e4, 1.09e8, 7.61e12, 1.59e13]
    one_at_a_time = _first_alarm(loss)
    online = OnlineAnalyzer()
    found = None
    for start in range(0, t.size, block):
        online.update(t[start:start + block], loss[start:start + block])
        found = found or online.diverging_now()
    assert found is not None and found.end_step == one_at_a_time
    assert 150 <= one_at_a_time <= 153
    assert online.rows_checked == t.size


def test_an_epoch_log_fed_point_by_point_reads_as_analyze_reads_it() -> None:
    # a short per-epoch log (a Keras history): each point is an epoch, which analyze() is told
    # through RunCurves.epoch_points and the online analyzer through epoch_points=
    epochs = np.arange(1, 9)
    loss = np.array([2.1, 1.4, 1.1, 0.95, 0.88, 0.84, 0.82, 0.81])
    online = OnlineAnalyzer(optimizer="Adam", epoch_points=True)
    for e, x in zip(epochs, loss):
        online.update([e], [x], lr=1e-3)
    offline = analyze(RunCurves(loss=Series(epochs, loss), lr=Series(epochs, np.full(8, 1e-3)),
                                optimizer="Adam", epoch_points=True))
    assert online.diagnose().to_dict() == offline.to_dict()


def test_an_alarm_names_the_point_its_ratio_is_read_from() -> None:
    # the ratio is the least of the last points against the level before: the message says so,
    # and names the last point where it is far above (it read "from 3.42 to 6.74e+14" beside
    # a ratio of 2e3)
    t = np.arange(60)
    loss = np.concatenate([np.full(57, 3.4), [7.0e3, 6.7e14, 9.0e14]])
    online = OnlineAnalyzer()
    online.update(t, loss * np.exp(np.random.default_rng(0).normal(0, 0.01, t.size)))
    found = online.diverging_now()
    assert found is not None
    assert re.search(r"from 3\.\d+ to at least 7\.\d+e\+03, 6\.\d+e\+14 at step 58\)",
                     found.message), found.message
