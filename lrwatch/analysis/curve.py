"""The per-bin view of a run that the detectors read: loss level, its log, a robust smooth, LR,
gradient norm and "LR time" (the cumulative learning rate), with small robust helpers."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import median_filter

from lrwatch.analysis.summary import Summary

MAD_TO_SIGMA = 1.4826
LEVEL_NOISE = 0.03  # target noise of a level (log units): 3%


def mad_sigma(x: np.ndarray) -> float:
    """Robust standard deviation: 1.4826 x the median absolute deviation (0 when empty)."""
    if x.size == 0:
        return 0.0
    return float(MAD_TO_SIGMA * np.median(np.abs(x - np.median(x))))


@dataclass(frozen=True)
class Curve:
    """Bins whose loss is finite, in step order (all arrays have one entry per bin)."""

    first: np.ndarray  # first step of each bin
    last: np.ndarray  # last step of each bin
    count: np.ndarray  # raw points in each bin
    loss: np.ndarray  # mean finite loss of the bin
    log_loss: np.ndarray  # log of the loss (shifted first when the loss can be <= 0)
    trend: np.ndarray  # running median of log_loss: the level, spikes and batch noise removed
    noise: float  # robust std of the step-to-step change of log_loss (mini-batch noise)
    window: int  # bins in the running median: wide enough to average the noise down
    lr: np.ndarray  # last LR of the bin, NaN when unknown
    grad_norm: np.ndarray  # mean gradient norm of the bin, NaN when unknown
    update_ratio: np.ndarray  # mean update/weight ratio of the bin, NaN when unknown
    lr_time: np.ndarray  # cumulative LR (or steps when the LR is unknown) at each bin's end
    summary: Summary
    scale: float = 1.0  # log_loss = log(loss / scale + shift)
    shift: float = 0.0

    def to_loss(self, z: float) -> float:
        """A level (log units) back in the loss's own units, for messages."""
        return self.scale * (math.exp(min(z, 709.0)) - self.shift)

    def times(self, ratio: float) -> str:
        """A ratio of two loss levels for a message ("9.67x"). A loss that goes below 0 (a
        log-likelihood) is compared shifted above 0 (``log_loss``), and the words say so: its
        own values (-1240 -> -1030) have no ratio that means "rose"."""
        if self.shift == 0.0:
            return f"{ratio:.3g}x"
        return f"{ratio:.3g}x on the loss shifted above 0 (it goes below 0)"

    @property
    def size(self) -> int:
        return int(self.loss.size)

    @property
    def steps(self) -> int:
        """Optimizer steps spanned by the curve."""
        return int(self.last[-1] - self.first[0] + 1) if self.size else 0

    def head(self, stop: int) -> Curve:
        """The curve's first ``stop`` bins (levels keep the smoothing of the whole curve)."""
        sl = slice(0, max(1, stop))
        return replace(self, first=self.first[sl], last=self.last[sl], count=self.count[sl],
                       loss=self.loss[sl], log_loss=self.log_loss[sl], trend=self.trend[sl],
                       lr=self.lr[sl], grad_norm=self.grad_norm[sl],
                       update_ratio=self.update_ratio[sl], lr_time=self.lr_time[sl])

    def before_decay(self) -> Curve:
        """The curve up to the last bin whose LR is at least half its peak (all of it when the
        LR is unknown): where a decaying schedule has not yet taken over."""
        ok = np.isfinite(self.lr) & (self.lr > 0)
        if not ok.any():
            return self
        high = np.flatnonzero(ok & (self.lr >= 0.5 * float(self.lr[ok].max())))
        return self.head(int(high[-1]) + 1)

    @property
    def start_level(self) -> float:
        """Log-loss at the start: the median of the first bins (3 to a fiftieth of the run)."""
        return self.level(0, max(3, min(self.window // 2, self.size // 50)))

    @property
    def first_level(self) -> float:
        """Log-loss where training started: the median of the first 3 bins (one noisy or
        already blown-up point does not move it)."""
        return self.level(0, 3)

    @property
    def end_level(self) -> float:
        """Log-loss at the end: the median of the last tenth (at least 3 bins)."""
        return self.level(self.size - max(3, self.size // 10), self.size)

    def level(self, start: int, stop: int) -> float:
        """Median log-loss of bins ``start:stop`` (clipped to at least one bin)."""
        start = int(np.clip(start, 0, self.size - 1))
        stop = int(np.clip(stop, start + 1, self.size))
        return float(np.median(self.log_loss[start:stop]))

    def spread(self, start: int, stop: int) -> float:
        """Robust std of bins ``start:stop`` around the level (log units): the mini-batch noise
        there, which grows as the loss nears 0."""
        start = int(np.clip(start, 0, self.size - 1))
        stop = int(np.clip(stop, start + 1, self.size))
        return mad_sigma(self.log_loss[start:stop] - self.trend[start:stop])

    def level_error(self, start: int, stop: int) -> float:
        """Standard error of :meth:`level` over bins ``start:stop`` (a median: 1.25 sigma /
        sqrt n)."""
        n = max(1, min(stop, self.size) - max(start, 0))
        return 1.2533 * self.spread(start, stop) / math.sqrt(n)

    def at_lr_time(self, t: float) -> int:
        """Index of the first bin whose LR time reaches ``t``."""
        return int(min(np.searchsorted(self.lr_time, t, side="left"), self.size - 1))


def curve_from(summary: Summary) -> Curve:
    """Build the view from a summary (bins with no finite loss are left out)."""
    b = summary.all_bins()
    keep = b["loss_n"] > 0
    n = np.maximum(b["loss_n"][keep], 1)
    loss = b["loss_sum"][keep] / n
    with np.errstate(invalid="ignore", divide="ignore"):
        gn = np.where(b["gn_n"][keep] > 0, b["gn_sum"][keep] / np.maximum(b["gn_n"][keep], 1),
                      np.nan)
        ur = np.where(b["ur_n"][keep] > 0, b["ur_sum"][keep] / np.maximum(b["ur_n"][keep], 1),
                      np.nan)
    lr = b["lr_last"][keep].astype(np.float64)
    z, scale, shift = log_loss(loss)
    noise = mad_sigma(np.diff(z)) / math.sqrt(2) if z.size > 2 else 0.0
    # the window averages the noise down to ~3% in the level (sigma / sqrt(w)), within 5..m/5
    window = int(np.clip((noise / LEVEL_NOISE) ** 2, 5, max(5, z.size // 5))) | 1
    zs = median_filter(z, size=window, mode="mirror") if z.size > 1 else z
    count = b["count"][keep]
    filled = _fill(lr)
    lr_time = np.cumsum(count).astype(np.float64)
    if filled.size and np.isfinite(filled).all():
        by_lr = np.cumsum(np.maximum(filled, 0.0) * count)
        if by_lr[-1] > 0:
            lr_time = by_lr
    return Curve(first=b["first"][keep], last=b["last"][keep], count=count, loss=loss,
                 log_loss=z, trend=zs, noise=noise, window=window, lr=lr, grad_norm=gn,
                 update_ratio=ur, lr_time=lr_time,
                 summary=summary,
                 scale=scale, shift=shift)


def log_loss(loss: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``(z, scale, shift)`` with ``z = log(loss / scale + shift)``, so ``loss = scale * (exp(z) -
    shift)``. Positive losses: ``log(loss)``; exact zeros (a float32 loss that fits a batch
    perfectly) are floored at the smallest positive loss. A loss that goes below 0 is scaled into
    [-1, 1] and shifted above 0 by a tenth of its range, so ratios stay meaningful for the usual
    positive losses and defined for the rest."""
    if loss.size == 0:
        return loss.astype(np.float64), 1.0, 0.0
    low = float(loss.min())
    if low > 0:
        return np.log(loss), 1.0, 0.0
    if low == 0 and (loss > 0).any():
        return np.log(np.maximum(loss, float(loss[loss > 0].min()))), 1.0, 0.0
    scale = float(np.abs(loss).max()) or 1.0
    scaled = loss / scale
    span = float(scaled.max() - scaled.min())
    if span <= 0:
        return np.zeros_like(scaled), scale, 1.0 - float(scaled[0])
    shift = -float(scaled.min()) + 0.1 * span
    return np.log(scaled + shift), scale, shift


def _fill(values: np.ndarray) -> np.ndarray:
    """Carry the last finite value forward (and the first one backward)."""
    ok = np.isfinite(values)
    if not ok.any() or ok.all():
        return values
    idx = np.where(ok, np.arange(values.size), 0)
    np.maximum.accumulate(idx, out=idx)
    out = values[idx]
    first = int(np.argmax(ok))
    out[:first] = values[first]
    return out
