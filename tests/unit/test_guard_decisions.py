"""The guard's decisions without Lightning: spike skipping, and the vote that joins the ranks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lrwatch import keys
from lrwatch.analysis import OnlineAnalyzer
from lrwatch.errors import ConfigError
from lrwatch.guard import (
    MAX_CONSECUTIVE_SKIPS,
    SPIKE_WARMUP,
    Decision,
    Guard,
    GuardConfig,
    SpikeFilter,
    decode_vote,
    encode_vote,
)


def _noisy_level(n: int, seed: int = 0, level: float = 1.0) -> np.ndarray:
    """Mini-batch-like losses: a level with 10% lognormal noise."""
    return level * np.exp(np.random.default_rng(seed).normal(0.0, 0.1, n))


def _judge_all(spikes: SpikeFilter, losses: np.ndarray, grad_norms: np.ndarray) -> list[int]:
    """The indices judged outliers."""
    return [i for i, (x, g) in enumerate(zip(losses, grad_norms)) if spikes.judge(x, g)]


def test_ordinary_noise_is_never_skipped():
    losses = _noisy_level(5000)
    assert _judge_all(SpikeFilter(), losses, _noisy_level(5000, seed=1)) == []


def test_no_step_is_skipped_before_the_warm_up():
    losses = _noisy_level(SPIKE_WARMUP)
    losses[-1] = 40.0
    assert _judge_all(SpikeFilter(), losses, np.ones(SPIKE_WARMUP)) == []


def test_spikes_every_tenth_step_are_all_skipped():
    """A mean/std window would hide them: at 1 in 10 steps their z-score stays below 3."""
    losses = _noisy_level(600)
    spikes = np.arange(SPIKE_WARMUP + 5, 600, 10)
    losses[spikes] *= 35
    assert _judge_all(SpikeFilter(), losses, _noisy_level(600, seed=1)) == spikes.tolist()


def test_a_gradient_norm_spike_alone_is_skipped_and_named():
    spikes = SpikeFilter()
    for x, g in zip(_noisy_level(100), _noisy_level(100, seed=1)):
        assert spikes.judge(x, g) is None
    reason = spikes.judge(1.0, 30.0)
    assert reason is not None and reason.startswith("grad norm 30 is ")


def test_a_level_that_moved_stops_being_skipped():
    losses = np.concatenate([_noisy_level(200), _noisy_level(200, seed=2, level=50.0)])
    skipped = _judge_all(SpikeFilter(), losses, np.ones(400))
    assert skipped == list(range(200, 200 + MAX_CONSECUTIVE_SKIPS))


def test_nonfinite_values_are_left_to_the_divergence_guard():
    spikes = SpikeFilter()
    for x in _noisy_level(100):
        spikes.judge(x, 1.0)
    assert spikes.judge(math.nan, 1.0) is None and spikes.judge(1.0, math.inf) is None


def test_on_spike_accepts_only_skip():
    assert GuardConfig(on_spike="skip").on_every_rank
    assert not GuardConfig().on_every_rank
    with pytest.raises(ConfigError, match="on_spike must be None or 'skip'"):
        GuardConfig(on_spike="drop")


def _joint(*ranks: tuple[Decision | None, bool]) -> list[tuple[Decision | None, bool]]:
    """What each rank gets from the all-reduce (max) of every rank's vote."""
    votes = np.array([encode_vote(d, s, rank) for rank, (d, s) in enumerate(ranks)])
    joint = votes.max(axis=0).tolist()
    return [decode_vote(joint, 40, d) for d, _ in ranks]


def test_a_decision_on_rank_1_alone_is_taken_by_every_rank():
    recover = Decision("recover", 38, "loss jumped", 0.1, restore_step=20)
    (d0, snap0), (d1, snap1) = _joint((None, True), (recover, False))
    assert d0 is not None and d1 is not None
    assert (d0.action, d0.step, d0.restore_step, d0.lr_factor) == ("recover", 40, 20, 0.1)
    assert (d1.action, d1.step, d1.restore_step, d1.lr_factor) == ("recover", 40, 20, 0.1)
    assert d0.reason == "rank 1 saw its loss blow up" and d1.reason == "loss jumped"
    assert not snap0 and not snap1  # rank 1 finds the run not worth a snapshot


def test_the_earliest_snapshot_and_smallest_factor_win_and_a_stop_beats_a_recovery():
    a = Decision("recover", 40, "a", 0.5, restore_step=30)
    b = Decision("recover", 40, "b", 0.1, restore_step=20)
    (d, _), _ = _joint((a, True), (b, True))
    assert d is not None and (d.action, d.restore_step, d.lr_factor) == ("recover", 20, 0.1)
    stop = Decision("stop", 40, "gave up", 0.1)
    (d, _), _ = _joint((a, True), (stop, True))
    assert d is not None and d.action == "stop"


def test_no_decision_anywhere_is_none_and_the_snapshot_goes_ahead():
    assert _joint((None, True), (None, True)) == [(None, True), (None, True)]


def test_a_rank_judges_its_own_losses_kept_on_the_device():
    """What rank k > 0 does under DDP: keep losses, read them at the decision step, decide."""
    guard = Guard(GuardConfig(on_diverge="stop", check_every_n_steps=5), OnlineAnalyzer, "r")
    for step, loss in enumerate(_noisy_level(40)):
        guard.add_own_loss(step, torch.tensor(loss * (1000.0 if step >= 30 else 1.0)))
    guard.observe_own_losses()
    _, decision = guard.check(39)
    assert decision is not None and decision.action == "stop"
    assert guard.rows_seen == 40


def test_spike_check_drops_nothing_in_line_and_names_the_outlier_step():
    guard = Guard(GuardConfig(on_spike="skip"), OnlineAnalyzer, "r")
    weight = torch.nn.Parameter(torch.ones(3))
    optimizer = torch.optim.SGD([weight], lr=0.1)
    notices = []
    for step, loss in enumerate(_noisy_level(100)):
        weight.grad = torch.full((3,), float(loss))
        guard.add_backward_loss(torch.tensor(loss * (35.0 if step == 90 else 1.0)))
        notice = guard.spike_check(step, optimizer)
        if notice is not None:
            notices.append(notice)
    (notice,) = notices
    assert notice.step == 90 and notice.kind == keys.EVENT_ACTION and notice.log
    assert notice.payload["action"] == "skip" and notice.payload["skipped_steps"] == 1
    assert "loss" in notice.payload["reason"]


def test_a_rise_over_a_few_points_is_announced_not_acted_on():
    """Recorded every 5 steps, a loss 35% above its first point after 6 points reads diverging
    at 0.5 with a range test (too few points to say how far the LR is off): the guard says so
    once and leaves the run going; a blow-up that follows is acted on as ever."""
    guard = Guard(GuardConfig(on_diverge="stop", check_every_n_steps=1), OnlineAnalyzer, "r")
    losses = [2.0, 2.1, 2.3, 2.4, 2.6, 2.7, 2.9, 3.0, 3.1]
    said = []
    for i, loss in enumerate(losses):
        guard.observe({keys.LOSS: (np.array([5 * i]), np.array([loss]))})
        notices, decision = guard.check(5 * i)
        assert decision is None, f"acted at point {i}: {decision}"
        said += [n.message for n in notices]
    assert len(said) == 1 and "diverging" in said[0] and "confidence 0.50" in said[0]
    assert guard.analyzer.diagnose().suggestion.action.value == "range_test"
    guard.observe({keys.LOSS: (np.array([45, 50]), np.array([math.nan, math.nan]))})
    _, decision = guard.check(50)
    assert decision is not None and decision.action == "stop"


def _stop_guard_on(loss: np.ndarray) -> tuple[list[str], Decision | None]:
    """A "stop" guard fed ``loss`` a step at a time (SGD at 1e-3, 10 classes, 2,000 steps
    planned): what it announced, and its first decision."""
    guard = Guard(GuardConfig(on_diverge="stop"),
                  lambda: OnlineAnalyzer(optimizer="SGD", momentum=0.9, total_steps=2000,
                                         classes=10), "run")
    steps = np.arange(loss.size)
    said: list[str] = []
    for i in range(loss.size):
        guard.observe({keys.LOSS: (steps[i:i + 1], loss[i:i + 1]),
                       keys.LR: (steps[i:i + 1], np.array([1e-3]))})
        notices, decision = guard.check(i)
        said += [n.message for n in notices]
        if decision is not None:
            return said, decision
    return said, None


def test_a_loss_above_chance_from_its_first_points_that_falls_is_told_not_stopped() -> None:
    # a too-low LR on a badly scaled start: above ln(10) from the first point, falling slowly;
    # the verdict says so, but nothing blows up that stopping would save
    rng = np.random.default_rng(0)
    loss = np.linspace(3.5, 3.1, 200) * np.exp(rng.normal(0, 0.02, 200))
    said, decision = _stop_guard_on(loss)
    assert any("diverging" in m and "chance level" in m for m in said)
    assert decision is None


def test_a_loss_that_rose_above_its_start_past_chance_is_still_stopped() -> None:
    rng = np.random.default_rng(0)
    loss = np.concatenate([np.linspace(2.5, 3.5, 60), np.full(140, 3.5)])
    said, decision = _stop_guard_on(loss * np.exp(rng.normal(0, 0.02, 200)))
    assert decision is not None and decision.action == "stop" and decision.step == 99
    assert "chance level" in decision.reason


def test_a_diverging_verdict_below_half_confidence_is_told_not_acted_on() -> None:
    # a binary classifier whose first points blew up above chance and came back to sit at it:
    # "diverging" at 0.4, one reading of several (a too-low LR sits at chance too); the guard
    # says so and lets the run go on (replayed live, such verdicts stopped 3 too-low runs)
    rng = np.random.default_rng(0)
    loss = np.concatenate([[0.53], np.full(30, 1.2), np.linspace(1.2, 0.69, 40),
                           np.full(329, 0.69)]) * np.exp(rng.normal(0, 0.03, 400))
    guard = Guard(GuardConfig(on_diverge="stop"),
                  lambda: OnlineAnalyzer(optimizer="Adam", total_steps=4000, classes=2), "run")
    said = []
    for i in range(loss.size):
        guard.observe({keys.LOSS: (np.array([i]), loss[i:i + 1]),
                       keys.LR: (np.array([i]), np.array([1e-5]))})
        notices, decision = guard.check(i)
        said += [n.message for n in notices]
        assert decision is None, f"acted at step {i}: {decision}"
    assert any("diverging" in m and "confidence 0.40" in m for m in said)


def test_a_block_that_brings_the_alarm_and_the_verdict_names_the_row_first() -> None:
    # warn mode copies rows to the host in blocks (up to 256 steps): a loss that blows up at
    # step 9 of such a block is told as the row that raised it, then as a verdict, both at once
    guard = Guard(GuardConfig(on_diverge="warn"), OnlineAnalyzer, "run")
    steps = np.arange(256)
    loss = np.where(steps < 9, 2.3 - 0.01 * steps, 2.3 * 10.0 ** np.minimum(steps - 8, 12))
    guard.observe({keys.LOSS: (steps, loss)})
    notices, decision = guard.check(255)
    assert decision is None  # warn mode only tells
    rise, blown = steps[loss > loss[0]][0], steps[loss > 1e4 * loss[0]][0]
    alarm = notices[0]  # the row that raised it, inside the blow-up, not the block's end
    assert rise <= alarm.step <= blown and alarm.message.startswith(
        f"lrwatch: run 'run' is blowing up at step {alarm.step} (seen at step 255): ")
    assert any(n.payload.get("status") == "diverging" for n in notices[1:])


def _announced(loss: np.ndarray, steps: np.ndarray) -> list[tuple[str, int]]:
    """A "warn" guard (AdamW, the run's steps planned, checks every 100 steps) fed ``loss``
    logged at ``steps`` a point at a time: the (status, step) of every line it announced."""
    guard = Guard(GuardConfig(on_diverge="warn"),
                  lambda: OnlineAnalyzer(optimizer="AdamW", total_steps=int(steps[-1]) + 1),
                  "run")
    said = []
    for i in range(steps.size):
        guard.observe({keys.LOSS: (steps[i:i + 1], loss[i:i + 1])})
        notices, _ = guard.check(int(steps[i]))
        said += [(n.payload["status"], int(steps[i])) for n in notices]
    return said


def _slow_fall(seed: int, noise: float, tau: float = 3000.0) -> tuple[np.ndarray, np.ndarray]:
    """Logged every 100 steps like the C4 LM logs: a fall to a level, its tail at the healthy /
    stalled boundary for the trend rules."""
    steps = np.arange(0, 20000, 100)
    rng = np.random.default_rng(seed)
    return steps, (3.2 + 7 * np.exp(-steps / tau)) * np.exp(rng.normal(0, noise, steps.size))


def test_a_tail_at_the_healthy_stalled_boundary_is_announced_once() -> None:
    # its readings go stalled / healthy / stalled / healthy at confidence 0.5 (the rules cannot
    # tell the two apart there): the guard said each one before, now only the first
    steps, loss = _slow_fall(seed=0, noise=0.02)
    assert [status for status, _ in _announced(loss, steps)] == ["stalled"]


def test_a_confident_change_after_an_unsure_reading_is_still_announced() -> None:
    steps, loss = _slow_fall(seed=1, noise=0.01)
    said = _announced(loss, steps)
    assert [status for status, _ in said] == ["stalled", "healthy"]
    assert said[1][1] < steps[-1]


def test_a_blow_up_after_the_boundary_readings_is_announced_at_once() -> None:
    steps, loss = _slow_fall(seed=0, noise=0.02)
    blown = loss.copy()
    blown[150:] = loss[150] * 10.0 ** np.arange(1, 51)
    said = _announced(blown, steps)
    first_bad = [s for status, s in said if status in ("alarm", "diverging")]
    assert first_bad and first_bad[0] <= int(steps[151])
