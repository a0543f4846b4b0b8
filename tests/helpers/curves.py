"""Synthetic training curves with known answers, for the detector tests (and the README's
pictures of each status).

Every curve is built from a loss that follows "LR time" (the cumulative learning rate), the way a
real run does, plus multiplicative mini-batch noise, so schedules shape it as they would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lrwatch.analysis import RunCurves, Series, Status


@dataclass(frozen=True)
class Labeled:
    """A curve, the status it must get, and the steps its ``since_step`` may fall in."""

    name: str
    curves: RunCurves
    status: Status
    since: tuple[int, int] | None = None


def _noise(n: int, sigma: float, seed: int) -> np.ndarray:
    return np.exp(np.random.default_rng(seed).normal(0.0, sigma, n))


def _curves(loss: np.ndarray, lr: np.ndarray | float | None, *, grad_norm: np.ndarray | None = None,
            optimizer: str | None = "SGD", total_steps: int | None = None,
            batch_size: int | None = 32) -> RunCurves:
    n = loss.size
    steps = np.arange(n)
    lr_series = None if lr is None else Series(steps, np.broadcast_to(lr, (n,)).astype(float))
    gn_series = None if grad_norm is None else Series(steps, grad_norm)
    return RunCurves(loss=Series(steps, loss), lr=lr_series, grad_norm=gn_series,
                     optimizer=optimizer, batch_size=batch_size,
                     total_steps=total_steps if total_steps is not None else n)


def converging(t: np.ndarray, tau: float, start: float = 2.3, floor: float = 0.05) -> np.ndarray:
    """A healthy fall: fast first, then levelling off toward ``floor``."""
    return floor + (start - floor) * np.exp(-t / tau)


def warmup_cosine(n: int, peak: float, warm: float = 0.05) -> np.ndarray:
    steps = np.arange(n)
    w = max(1, int(warm * n))
    cos = 0.5 * (1 + np.cos(np.pi * np.clip((steps - w) / (n - w), 0, 1)))
    return peak * np.where(steps < w, (steps + 1) / w, cos)


def healthy_exponential(n: int = 1000, noise: float = 0.05, seed: int = 0) -> Labeled:
    t = np.arange(n)
    loss = converging(t, n / 10) * _noise(n, noise, seed)
    return Labeled(f"healthy_exponential_noise{noise:g}", _curves(loss, 0.1), Status.HEALTHY)


def healthy_power_law(n: int = 2000, seed: int = 1) -> Labeled:
    t = np.arange(n)
    loss = 2.3 * (1 + t / 20) ** -0.4 * _noise(n, 0.1, seed)
    return Labeled("healthy_power_law", _curves(loss, 1e-3, optimizer="AdamW"), Status.HEALTHY)


def healthy_warmup_cosine(n: int = 1500, seed: int = 2) -> Labeled:
    lr = warmup_cosine(n, 3e-3)
    time = np.cumsum(lr) / lr.sum() * n  # LR time rescaled to steps
    loss = converging(time, n / 8) * _noise(n, 0.08, seed)
    return Labeled("healthy_warmup_cosine", _curves(loss, lr, optimizer="AdamW"), Status.HEALTHY)


def healthy_step_decay(n: int = 1200, seed: int = 3) -> Labeled:
    steps = np.arange(n)
    lr = 0.1 * np.where(steps < n // 2, 1.0, np.where(steps < 3 * n // 4, 0.1, 0.01))
    time = np.cumsum(lr) / 0.1
    loss = converging(time, n / 12, floor=0.3) * _noise(n, 0.1, seed)
    # each LR drop lowers the noise floor
    loss *= np.where(steps < n // 2, 1.0, np.where(steps < 3 * n // 4, 0.7, 0.6))
    return Labeled("healthy_step_decay", _curves(loss, lr), Status.HEALTHY)


def healthy_edge_of_stability(n: int = 1000, seed: int = 4) -> Labeled:
    """Wobbles step to step (period 2) but falls long-term: not too high an LR."""
    t = np.arange(n)
    wobble = 1 + 0.08 * np.where(t % 2 == 0, 1.0, -1.0)
    loss = converging(t, n / 8, floor=0.2) * wobble * _noise(n, 0.03, seed)
    return Labeled("healthy_edge_of_stability", _curves(loss, 0.5), Status.HEALTHY)


def healthy_lr_free(n: int = 800, seed: int = 5) -> Labeled:
    """Prodigy runs at lr = 1 on purpose."""
    t = np.arange(n)
    loss = converging(t, n / 10) * _noise(n, 0.1, seed)
    return Labeled("healthy_prodigy_lr1", _curves(loss, 1.0, optimizer="Prodigy"), Status.HEALTHY)


def healthy_no_lr(n: int = 600, seed: int = 6) -> Labeled:
    t = np.arange(n)
    loss = converging(t, n / 10) * _noise(n, 0.1, seed)
    return Labeled("healthy_no_lr_logged", _curves(loss, None, optimizer=None), Status.HEALTHY)


def stalled_linear(n: int = 1000, seed: int = 10) -> Labeled:
    """Too low an LR: the loss falls at the same slow rate from start to end."""
    t = np.arange(n)
    loss = (2.3 - 0.8 * t / n) * _noise(n, 0.05, seed)
    return Labeled("stalled_linear", _curves(loss, 1e-4), Status.STALLED, since=(0, 0))


def stalled_flat(n: int = 500, seed: int = 11) -> Labeled:
    t = np.arange(n)
    loss = (2.3 - 0.02 * t / n) * _noise(n, 0.02, seed)
    return Labeled("stalled_flat", _curves(loss, 1e-6, optimizer="Adam"), Status.STALLED,
                   since=(0, 0))


def stalled_slow_exponential(n: int = 3000, seed: int = 12) -> Labeled:
    t = np.arange(n)
    loss = converging(t, 2 * n) * _noise(n, 0.1, seed)
    return Labeled("stalled_slow_exponential", _curves(loss, 1e-3), Status.STALLED, since=(0, 0))


def stalled_still_falling(n: int = 1000, seed: int = 13) -> Labeled:
    """Made good progress but has not levelled off: the last 40% still brings a fifth of it."""
    t = np.arange(n)
    loss = converging(t, n / 2) * _noise(n, 0.05, seed)
    return Labeled("stalled_still_falling", _curves(loss, 0.01), Status.STALLED, since=(0, 0))


def stalled_cosine(n: int = 1500, seed: int = 14) -> Labeled:
    """Too low a peak LR under warmup + cosine: still falling fast when the decay takes over."""
    lr = warmup_cosine(n, 3e-4)
    time = np.cumsum(lr) / lr.sum() * n
    loss = converging(time, 1.2 * n) * _noise(n, 0.05, seed)
    return Labeled("stalled_cosine", _curves(loss, lr, optimizer="AdamW"), Status.STALLED,
                   since=(0, 0))


def oscillating_rebound(n: int = 1000, seed: int = 20) -> Labeled:
    """Falls, then swings back up and keeps swinging: too high to settle, but no blow-up."""
    t = np.arange(n)
    base = converging(t, n / 20, floor=0.3)
    swing = 1 + 1.5 * np.clip((t - 0.3 * n) / (0.4 * n), 0, 1) * (1 + np.sin(t / 15)) / 2
    loss = base * swing * _noise(n, 0.1, seed)
    return Labeled("oscillating_rebound", _curves(loss, 0.5), Status.OSCILLATING,
                   since=(int(0.25 * n), int(0.8 * n)))


def oscillating_dead_units(n: int = 600, seed: int = 21) -> Labeled:
    """An early jolt kills the units: the gradient norm falls to 0 and the loss freezes."""
    t = np.arange(n)
    loss = np.where(t < 30, 2.3 - 0.03 * t, 1.4) * _noise(n, 0.05, seed)
    gn = np.where(t < 30, 3.0, 0.0) * _noise(n, 0.1, seed + 1)
    return Labeled("oscillating_dead_units", _curves(loss, 0.05, grad_norm=gn, optimizer="Adam"),
                   Status.OSCILLATING, since=(0, 0))


def diverging_nan(n: int = 800, at: int = 600, seed: int = 30) -> Labeled:
    """Healthy, then the loss and the gradient norm explode and the loss turns NaN."""
    t = np.arange(n)
    loss = converging(t, n / 10) * _noise(n, 0.05, seed)
    gn = np.ones(n) * _noise(n, 0.1, seed + 1)
    grow = np.clip(t - (at - 40), 0, None)
    loss = loss * np.exp(grow / 8.0)
    gn = gn * np.exp(grow / 5.0)
    loss[t >= at] = np.nan
    gn[t >= at] = np.nan
    return Labeled("diverging_nan", _curves(loss, 0.3, grad_norm=gn), Status.DIVERGING,
                   since=(at - 40, at))


def diverging_blowup(n: int = 500, seed: int = 31) -> Labeled:
    """The loss grows from the start, 100x by the end, never NaN."""
    t = np.arange(n)
    loss = 2.3 * np.exp(t / (n / 4.6)) * _noise(n, 0.05, seed)
    return Labeled("diverging_blowup", _curves(loss, 5.0), Status.DIVERGING, since=(0, n // 2))


def diverging_early(n: int = 400, seed: int = 32, total: int = 20_000) -> Labeled:
    """An Adam run at a usual LR that blows up in its first percent of a long planned run."""
    t = np.arange(n)
    loss = 2.3 * np.exp(np.clip(t - 50, 0, None) / 40.0) * _noise(n, 0.05, seed)
    return Labeled("diverging_early_no_warmup",
                   _curves(loss, 1e-3, optimizer="Adam", total_steps=total),
                   Status.DIVERGING, since=(40, 250))


def diverging_first_steps(n: int = 300, seed: int = 33) -> Labeled:
    """Blows up within 3 steps (far too high an LR) and wanders at a huge loss, never NaN."""
    t = np.arange(n)
    loss = np.where(t < 3, 2.3 * 30.0 ** np.minimum(t, 3), 900.0) * _noise(n, 0.3, seed)
    loss[0] = 2.3
    return Labeled("diverging_first_steps", _curves(loss, 3.0, optimizer="Adam"),
                   Status.DIVERGING, since=(0, 3))


def warming_up(n: int = 200, seed: int = 40) -> Labeled:
    """Still in warmup: the loss has barely moved, but the LR is still rising."""
    t = np.arange(n)
    lr = 1e-3 * (t + 1) / 1000
    loss = (2.3 - 0.05 * (t / n) ** 2) * _noise(n, 0.03, seed)
    return Labeled("in_warmup", _curves(loss, lr, optimizer="AdamW", total_steps=10_000),
                   Status.HEALTHY)


def catalogue() -> list[Labeled]:
    """Every labeled synthetic curve."""
    return [
        healthy_exponential(), healthy_exponential(noise=0.35, seed=7), healthy_power_law(),
        healthy_warmup_cosine(), healthy_step_decay(), healthy_edge_of_stability(),
        healthy_lr_free(), healthy_no_lr(),
        stalled_linear(), stalled_flat(), stalled_slow_exponential(), stalled_still_falling(),
        stalled_cosine(),
        oscillating_rebound(), oscillating_dead_units(),
        diverging_nan(), diverging_blowup(), diverging_early(), diverging_first_steps(),
        warming_up(),
    ]


# --------------------------------------------------------------------------- public-log patterns
# Shapes met in public training logs (issue 12), each with the answer its source supports. The
# expectations on them are in tests/unit/analysis/test_public_patterns.py.
def _with(curves: RunCurves, **meta: object) -> RunCurves:
    fields = {k: getattr(curves, k) for k in ("loss", "lr", "grad_norm", "optimizer", "momentum",
                                              "batch_size", "total_steps")}
    return RunCurves(**{**fields, **meta})  # type: ignore[arg-type]


def lm_with_a_floor(n: int = 2000, seed: int = 50) -> Labeled:
    """A healthy LM pretraining run: 7.0 -> 3.7 (cross-entropy cannot fall below the text's
    entropy), AdamW 6e-4, warmup + cosine."""
    lr = warmup_cosine(n, 6e-4, warm=0.02)
    time = np.cumsum(lr) / lr.sum() * n
    loss = (3.4 + 3.6 * (1 + time / 40) ** -0.7) * _noise(n, 0.02, seed)
    return Labeled("lm_with_a_floor", _with(_curves(loss, lr, optimizer="AdamW"), classes=50257),
                   Status.HEALTHY)


def sft_with_a_floor(n: int = 400, seed: int = 51) -> Labeled:
    """A healthy supervised fine-tune: 2.08 -> 1.04 at 2e-5, warmup + linear decay."""
    steps = np.arange(n)
    w = n // 20
    lr = 2e-5 * np.where(steps < w, (steps + 1) / w, (n - steps) / (n - w))
    time = np.cumsum(lr) / lr.sum() * n
    loss = (0.95 + 1.13 * np.exp(-time / (n / 6))) * _noise(n, 0.04, seed)
    return Labeled("sft_with_a_floor", _with(_curves(loss, lr, optimizer="AdamW"),
                                             fine_tune=True), Status.HEALTHY)


def stuck_at_unigram(n: int = 1500, seed: int = 52) -> Labeled:
    """A transformer LM at AdamW 1e-3 without warmup: a quick fall to the unigram level, then
    flat there for the rest of the run (too high, in its source; one run cannot tell)."""
    t = np.arange(n)
    loss = (7.4 + 3.4 * np.exp(-t / 15)) * _noise(n, 0.01, seed)
    return Labeled("stuck_at_unigram", _with(_curves(loss, 1e-3, optimizer="AdamW"),
                                             classes=50257), Status.STALLED)


def stuck_at_chance(n: int = 600, seed: int = 53) -> Labeled:
    """A 10-class classifier whose loss sits at ln 10 from start to end (collapsed, in its
    source; one run cannot tell that from too low an LR)."""
    loss = np.log(10.0) * _noise(n, 0.01, seed)
    return Labeled("stuck_at_chance", _with(_curves(loss, 1e-3, optimizer="Adam"), classes=10),
                   Status.STALLED)


def clipped_sgd_lstm(n: int = 400, seed: int = 54) -> Labeled:
    """An LSTM LM with SGD at lr 20 and gradient clipping at 0.25 (the PyTorch word-language
    example): smooth fall 6.9 -> 4.6, gradient norms well above the clip."""
    t = np.arange(n)
    loss = (4.3 + 2.6 * (1 + t / 10) ** -0.6) * _noise(n, 0.01, seed)
    gn = 2.0 * _noise(n, 0.2, seed + 1)
    return Labeled("clipped_sgd_lstm", _with(_curves(loss, 20.0, grad_norm=gn), clip=0.25,
                                             classes=33278), Status.HEALTHY)


def blown_before_first_log(n: int = 120, seed: int = 55) -> Labeled:
    """Logged every 200 batches: the first logged loss already sits above chance (ln 10) and the
    loss drifts up from there."""
    t = np.arange(n)
    loss = (2.9 + 0.6 * t / n) * _noise(n, 0.03, seed)
    return Labeled("blown_before_first_log", _with(_curves(loss, 0.1), classes=10),
                   Status.DIVERGING)


def recovered_spike(n: int = 1000, seed: int = 56) -> Labeled:
    """Falls well, jumps 40x above its running best around step 500, and comes back: an LR at
    the edge of stability, though it ends well."""
    t = np.arange(n)
    loss = converging(t, n / 10, floor=0.2) * _noise(n, 0.05, seed)
    hit = (t >= 500) & (t < 540)
    loss[hit] *= 40.0 * np.exp(-(t[hit] - 500) / 12.0) + 1.0
    return Labeled("recovered_spike", _curves(loss, 3e-3, optimizer="Adam"), Status.OSCILLATING)


def nan_epoch_in_the_middle(n: int = 80, seed: int = 57) -> Labeled:
    """Per-epoch log: one NaN epoch in the middle, then it trains on and ends well."""
    t = np.arange(n)
    loss = converging(t, n / 6, floor=0.3) * _noise(n, 0.03, seed)
    loss[40] = np.nan
    return Labeled("nan_epoch_in_the_middle", _curves(loss, 0.05), Status.OSCILLATING)


def epoch_staircase(epochs: int = 3, per_epoch: int = 50, seed: int = 58) -> Labeled:
    """A 3-epoch fine-tune logged 50 times an epoch: the loss falls in steps at each epoch
    boundary (the model meets the same examples again) and is flat in between."""
    n = epochs * per_epoch
    t = np.arange(n)
    epoch = t // per_epoch
    loss = (1.2 * 0.6 ** epoch) * (1 + 0.3 * np.exp(-t / 8)) * _noise(n, 0.06, seed)
    steps = t * 20
    lr = 3e-5 * (1 - steps / (n * 20))
    curves = RunCurves(loss=Series(steps, loss), lr=Series(steps, lr), optimizer="AdamW",
                       fine_tune=True)
    return Labeled("epoch_staircase", curves, Status.HEALTHY)


def flat_unnormalised(n: int = 200, seed: int = 59) -> Labeled:
    """A flat loss around 1e12 (a sum over an unnormalised target), LR and optimizer unknown:
    the scale says nothing about the LR."""
    loss = 1.3e12 * _noise(n, 0.05, seed)
    return Labeled("flat_unnormalised", _curves(loss, None, optimizer=None), Status.STALLED)


def slow_fine_tune(n: int = 600, seed: int = 60) -> Labeled:
    """A fine-tune at 1e-6 falling at the same slow rate to the end: too low, but a fine-tune's
    LR goes up a little at a time."""
    t = np.arange(n)
    loss = (1.6 - 0.25 * t / n) * _noise(n, 0.02, seed)
    return Labeled("slow_fine_tune", _with(_curves(loss, 1e-6, optimizer="AdamW"),
                                           fine_tune=True), Status.STALLED)


def blew_up_then_died(n: int = 300, seed: int = 61) -> Labeled:
    """Blows up to 1.4e17 at step 14, then the gradients vanish and the loss sits at chance
    (ln 10): diverged, and the weights are dead."""
    t = np.arange(n)
    loss = np.log(10.0) * _noise(n, 0.005, seed)
    loss[:14] = 2.3 - 0.02 * t[:14]
    loss[14] = 1.4e17
    loss[15:18] = [3e9, 4e4, 40.0]
    gn = np.where(t < 15, 1.5, 1e-9) * _noise(n, 0.1, seed + 1)
    return Labeled("blew_up_then_died", _with(_curves(loss, 0.5, grad_norm=gn), classes=10),
                   Status.DIVERGING)


def smooth_lm_fall(lr_peak: float, n: int = 2000, seed: int = 62) -> Labeled:
    """A TinyStories-like LM (vocabulary 10000) under AdamW, warmup + cosine: 9.2 -> 1.5, still
    falling at the end. The same curve came from a sweep's best LR and from one 30x lower: at an
    LR near the top of the usual range it is healthy, far below it too low is the likelier
    reading; either way one run cannot exclude the other (real-world round 4)."""
    lr = warmup_cosine(n, lr_peak, warm=0.02)
    time = np.cumsum(lr) / lr.sum() * n
    loss = (1.2 + 8.0 * (1 + time / 15) ** -0.75) * _noise(n, 0.02, seed)
    status = Status.HEALTHY if lr_peak >= 1e-3 else Status.STALLED
    return Labeled(f"smooth_lm_fall_lr{lr_peak:g}",
                   _with(_curves(loss, lr, optimizer="AdamW"), classes=10000), status)


def gpt_pretrain(lr_peak: float, param_count: int | None, n: int = 3000,
                 seed: int = 63) -> RunCurves:
    """A GPT-style pretraining run logged every step: AdamW, warmup (3%) + cosine to 0, a smooth
    fall 10.9 -> 3.3 (GPT-2's vocabulary, 50257) still going at the end, as a 124M GPT-2 at 6e-4
    or a 1B LLM at 3e-4 (both textbook, both good) draws it."""
    lr = warmup_cosine(n, lr_peak, warm=0.03)
    time = np.cumsum(lr) / lr.sum() * n
    # floor + (10.9 - floor) (1 + t/10)^-0.5, with the floor set so that it ends at 3.3
    shape = (1 + time / 10) ** -0.5
    floor = (3.3 - 10.9 * shape[-1]) / (1 - shape[-1])
    loss = (floor + (10.9 - floor) * shape) * _noise(n, 0.02, seed)
    return _with(_curves(loss, lr, optimizer="AdamW", batch_size=512), classes=50257,
                 param_count=param_count)


def small_mlp_still_falling(param_count: int | None, n: int = 1000, seed: int = 64
                            ) -> RunCurves:
    """A 10-class MLP under Adam at a constant 1e-4: it halved its loss and still falls fast at
    the end (too low an LR for a small model)."""
    t = np.arange(n)
    loss = converging(t, n / 2) * _noise(n, 0.03, seed)
    return _with(_curves(loss, 1e-4, optimizer="Adam"), classes=10, param_count=param_count)


def stopped_early(lr: float | None, n: int = 1880, seed: int = 65) -> RunCurves:
    """A 27M GPT (vocabulary 16000) under AdamW, like a pretraining challenge's sweep runs far
    from its best LR: 10.6 -> 7.3 in its first tenth, then a slow 26% fall in all that stops
    over the last 30% (those at 10x under and 4-30x over the best fell 19-26% and stopped).
    ``lr`` is logged constant, or not logged at all (None, as in the challenge's logs)."""
    t = np.arange(n)
    loss = (7.3 + 3.3 * np.exp(-t / 60) + 0.5 * np.exp(-t / (n / 3))) * _noise(n, 0.01, seed)
    return _with(_curves(loss, lr, optimizer="AdamW"), classes=16000, param_count=27_000_000)


def halved_then_stopped(lr: float, n: int = 1000, seed: int = 66) -> RunCurves:
    """A small byte LM (256 classes) under Adam at a constant ``lr``: 5.4 -> 2.4 in its first
    tenth, then flat (a made bigram LM's sweep: healthy at 0.056-0.1, 19-33x above Adam's usual
    top, as well as at 0.01)."""
    t = np.arange(n)
    loss = (2.4 + 3.0 * np.exp(-t / 40)) * _noise(n, 0.03, seed)
    return _with(_curves(loss, lr, optimizer="Adam"), classes=256)


def public_patterns() -> list[Labeled]:
    """Every public-log pattern above."""
    return [lm_with_a_floor(), sft_with_a_floor(), stuck_at_unigram(), stuck_at_chance(),
            clipped_sgd_lstm(), blown_before_first_log(), recovered_spike(),
            nan_epoch_in_the_middle(), epoch_staircase(), flat_unnormalised(), slow_fine_tune(),
            blew_up_then_died(), smooth_lm_fall(3e-3), smooth_lm_fall(1e-4)]


def epoch_log(loss: np.ndarray, *, optimizer: str = "SGD", classes: int | None = 10) -> RunCurves:
    """A finished log indexed by epoch (one mean training loss a point, epochs 1..N, no LR):
    a Keras CSVLogger, a sweep script's per-epoch CSV."""
    epochs = np.arange(1, loss.size + 1)
    return RunCurves(loss=Series(epochs, loss), optimizer=optimizer, classes=classes,
                     epoch_points=True)


def epochs_falling(epochs: int = 10, seed: int = 70) -> RunCurves:
    """A 10-epoch MNIST CNN sweep's run at a good LR: 0.44 -> 0.03, each epoch lower."""
    t = np.arange(epochs)
    return epoch_log(0.03 + 0.4 * np.exp(-t / 2.2) * _noise(epochs, 0.02, seed))


def epochs_rising(epochs: int = 10, seed: int = 71) -> RunCurves:
    """A frozen-backbone classifier at 10x its grid's best LR: 0.23 in the first epoch, then
    ~0.58 for the rest (2.5x up)."""
    loss = np.full(epochs, 0.58) * _noise(epochs, 0.03, seed)
    loss[0], loss[1] = 0.23, 0.30
    return epoch_log(loss, optimizer="AdamW", classes=None)


def epochs_slow_fall(epochs: int = 10, seed: int = 72) -> RunCurves:
    """A CIFAR-10 classifier's 10 epochs that fell a third, 2.26 -> 1.41, still falling: too
    low an LR or a run that needs more epochs."""
    t = np.arange(epochs)
    return epoch_log((2.26 - 0.094 * t) * _noise(epochs, 0.005, seed), optimizer="Adam")


def epochs_at_chance(epochs: int = 10, seed: int = 73) -> RunCurves:
    """A CIFAR-10 classifier's 10 epochs flat at ln 10 (chance)."""
    return epoch_log(np.full(epochs, math.log(10)) * _noise(epochs, 0.003, seed),
                     optimizer="Adam")


def epochs_lm_first_mean(epochs: int = 40, seed: int = 74) -> RunCurves:
    """A word-level LM's per-epoch log (vocabulary not logged): its first epoch's mean is
    already 6.0 nats (from ln V ~ 9.2 before training), then 6.0 -> 4.7 over 40 epochs, still
    falling at the end, as a Penn Treebank LSTM at its grid's best SGD LR does."""
    t = np.arange(epochs)
    loss = (4.2 + 1.8 / (1 + t / 6) ** 0.6) * _noise(epochs, 0.004, seed)
    return epoch_log(loss, classes=None)


def epochs_below_chance_slow(epochs: int = 15, seed: int = 75) -> RunCurves:
    """A 10-class classifier's per-epoch log whose first epoch's mean, 1.9, is already below
    chance level ln 10 = 2.3, then 1.9 -> ~1.1 over 15 epochs, still falling (an I2DL grid's
    run labelled near its best)."""
    t = np.arange(epochs)
    return epoch_log((1.0 + 0.9 / (1 + t / 4) ** 0.8) * _noise(epochs, 0.004, seed),
                     optimizer="Adam")


def epochs_at_chance_slow(epochs: int = 15, seed: int = 76) -> RunCurves:
    """The same classifier at too low an LR: its first epoch's mean sits at chance level (the
    start is in the log), then a straight, slow fall 2.3 -> ~1.8."""
    t = np.arange(epochs)
    return epoch_log((2.3 - 0.035 * t) * _noise(epochs, 0.004, seed), optimizer="Adam")


def epochs_low_lr_below_chance(epochs: int = 15, seed: int = 77) -> RunCurves:
    """A binary MLP's per-epoch log at SGD lr 0.018, well below the top of SGD's range: its
    first epoch's mean 0.58 is below chance ln 2 = 0.69, then a smooth fall to ~0.1 that
    still falls fast at the end (a made Nesterov MLP sweep's run labelled too low)."""
    t = np.arange(epochs)
    loss = 0.58 * np.exp(-t / 8) * _noise(epochs, 0.01, seed)
    return RunCurves(loss=Series(t + 1, loss), lr=Series(t + 1, np.full(epochs, 0.018)),
                     optimizer="SGD", momentum=0.9, classes=2, epoch_points=True)
