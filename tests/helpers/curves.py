"""Synthetic training curves with known answers, for the detector tests (and the README's
pictures of each status).

Every curve is built from a loss that follows "LR time" (the cumulative learning rate), the way a
real run does, plus multiplicative mini-batch noise, so schedules shape it as they would.
"""

from __future__ import annotations

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
