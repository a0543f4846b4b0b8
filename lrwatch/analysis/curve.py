"""The per-bin view of a run that the detectors read: loss level, its log, a robust smooth, LR,
gradient norm and "LR time" (the cumulative learning rate), with small robust helpers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter

from lrwatch.analysis.summary import Summary

MAD_TO_SIGMA = 1.4826


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
    z: np.ndarray  # log of the loss (shifted first when the loss can be <= 0)
    zs: np.ndarray  # running median of z: the level, spikes removed
    lr: np.ndarray  # last LR of the bin, NaN when unknown
    gn: np.ndarray  # mean gradient norm of the bin, NaN when unknown
    lr_time: np.ndarray  # cumulative LR (or steps when the LR is unknown) at each bin's end
    summary: Summary

    @property
    def size(self) -> int:
        return int(self.loss.size)

    @property
    def steps(self) -> int:
        """Optimizer steps spanned by the curve."""
        return int(self.last[-1] - self.first[0] + 1) if self.size else 0

    def level(self, start: int, stop: int) -> float:
        """Median log-loss of bins ``start:stop`` (clipped to at least one bin)."""
        start = int(np.clip(start, 0, self.size - 1))
        stop = int(np.clip(stop, start + 1, self.size))
        return float(np.median(self.z[start:stop]))

    def at_lr_time(self, t: float) -> int:
        """Index of the first bin whose LR time reaches ``t``."""
        return int(min(np.searchsorted(self.lr_time, t, side="left"), self.size - 1))

    @property
    def lr_known(self) -> bool:
        return bool(np.isfinite(self.lr).any())


def curve_from(summary: Summary) -> Curve:
    """Build the view from a summary (bins with no finite loss are left out)."""
    b = summary.all_bins()
    keep = b["loss_n"] > 0
    n = np.maximum(b["loss_n"][keep], 1)
    loss = b["loss_sum"][keep] / n
    with np.errstate(invalid="ignore", divide="ignore"):
        gn = np.where(b["gn_n"][keep] > 0, b["gn_sum"][keep] / np.maximum(b["gn_n"][keep], 1),
                      np.nan)
    lr = b["lr_last"][keep].astype(np.float64)
    z = log_loss(loss)
    window = max(5, (z.size // 25) | 1)
    zs = median_filter(z, size=window, mode="nearest") if z.size else z
    count = b["count"][keep]
    filled = _fill(lr)
    lr_time = np.cumsum(count).astype(np.float64)
    if filled.size and np.isfinite(filled).all():
        by_lr = np.cumsum(np.maximum(filled, 0.0) * count)
        if by_lr[-1] > 0:
            lr_time = by_lr
    return Curve(first=b["first"][keep], last=b["last"][keep], count=count, loss=loss, z=z, zs=zs,
                 lr=lr, gn=gn, lr_time=lr_time, summary=summary)


def log_loss(loss: np.ndarray) -> np.ndarray:
    """``log(loss)``; a loss that reaches 0 or below is first scaled into [-1, 1] and shifted
    above 0 by a tenth of its range, so ratios stay meaningful for the usual positive losses and
    defined for the rest."""
    if loss.size == 0 or float(loss.min()) > 0:
        return np.log(loss)
    scaled = loss / float(np.abs(loss).max()) if np.abs(loss).max() > 0 else loss
    low = float(scaled.min())
    span = float(scaled.max()) - low
    if span <= 0:
        return np.zeros_like(scaled)
    return np.log(scaled - low + 0.1 * span)


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
