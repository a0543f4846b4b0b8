"""Read an LR range test: which learning rate to start with, how far it may go, and why.

A range test raises the LR step by step over a short run and records the loss at each step.
``read_range_test`` turns that curve into a suggestion. The rule, and why it is built this way:

1. **Lag-free smoothing.** Lightning and fastai smooth with a debiased EMA (beta 0.98), whose
   time constant of 50 steps drags every feature of a 100-step curve towards higher LRs. Here
   the log-loss goes through a 5-point median (spikes) and a centred Gaussian, so the curve's
   features stay where they are.
2. **The bottom, not the steepest point.** The steepest slope is a derivative of a noisy curve
   and jumps around (Lightning issue #21141, torch-lr-finder #106); the lowest point of the
   smoothed curve moves little from seed to seed. Past it the LR is too high: the loss turns up.
3. **A safety margin below the bottom, by optimizer family.** The best constant LR for a
   real training lies below the bottom: by 0.2 decades for plain SGD, 0.3 with momentum 0.9
   (the loss answers a too-high LR later, so the bottom overshoots more), 0.6 for adaptive
   optimizers (Adam, AdamW, RMSprop ...), whose noise floor grows with the LR over a longer
   run. The margins and the smoothing width were set on the benchmark's tuning tasks
   (``benchmarks/finder_tune.py``), never on the tasks it reports.
4. **A flat curve that blows up still says something.** When a test is too short for the
   loss to fall visibly before the LR gets too high, the last point before the blow-up stands
   in for the bottom (status ``EDGE_ONLY``, and the reason says so).
5. **Say when the curve cannot be read**: too few steps, a loss that was not finite from the
   start, that neither fell nor rose beyond its noise, or that rose from the first steps. The
   suggestion is then ``None`` and the reason says what to change: never a silent bogus number.

The safe range runs from where the descent starts (the smoothed loss leaves, for good, the band
within a tenth of its total drop from the starting level) to the bottom. Also here: Lightning's
own rule (steepest descent against the linear LR since Lightning 2.5.3) on Lightning's EMA, so
users can compare. numpy and scipy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable

import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter

from lrwatch.analysis.curve import mad_sigma
from lrwatch.analysis.optimizers import is_adaptive
from lrwatch.analysis.types import RangeTestSummary
from lrwatch.errors import InputError

MIN_STEPS = 20  # fewer points cannot tell a trend from minibatch noise
LIGHTNING_BETA = 0.98  # the EMA Lightning and fastai smooth range tests with


@dataclass(frozen=True)
class RuleSettings:
    """The rule's knobs; the defaults come from the benchmark's tuning tasks."""

    smooth_sigma: float = 0.05  # Gaussian width, as a share of the planned steps
    margin: float = 0.2  # decades below the bottom: plain SGD and other non-adaptive optimizers
    momentum_margin: float = 0.3  # ... the same with momentum 0.9 (interpolated by the lag)
    adaptive_margin: float = 0.6  # ... Adam-family optimizers (and unknown ones)
    min_drop: float = 0.03  # the smoothed loss must fall at least 3% ...
    noise_multiple: float = 4.0  # ... and this many times the smoothed curve's noise


class RangeTestStatus(str, Enum):
    """How far a range test can be trusted."""

    OK = "ok"  # the loss fell, then turned up: the suggestion is sound
    EDGE_ONLY = "edge_only"  # flat, then it blew up: the suggestion rests on the blow-up alone
    STILL_FALLING = "still_falling"  # it fell until max_lr: a lower bound, try a larger max_lr
    INCONCLUSIVE = "inconclusive"  # no suggestion; the reason says why


@dataclass(frozen=True)
class RangeTestReading:
    """What a range test says. LRs are ``None`` where the curve does not tell them."""

    status: RangeTestStatus
    suggested_lr: float | None
    lower_lr: float | None  # where the loss starts to fall: below it training crawls
    upper_lr: float | None  # the bottom: above it the loss rises, training turns unstable
    reason: str
    lightning_lr: float | None  # Lightning's steepest-descent pick on its own EMA
    smoothed: np.ndarray  # lrwatch's lag-free smoothed loss, NaN where the loss was not finite
    suggested_index: int | None

    def summary(self) -> RangeTestSummary | None:
        """The three numbers a run links to, or None when there is no suggestion."""
        if self.suggested_lr is None or self.lower_lr is None or self.upper_lr is None:
            return None
        return RangeTestSummary(self.suggested_lr, self.lower_lr, self.upper_lr)


def lightning_ema_step(average: float, loss: float, index: int,
                       beta: float = LIGHTNING_BETA) -> tuple[float, float]:
    """One step of Lightning's range-test smoother: the new running average and the debiased
    value it records for the ``index``-th step of the test (from 0). Lightning divides by
    ``1 - beta**(global_step + 1)`` after the step, i.e. ``1 - beta**(index + 2)``. Used by
    :func:`lightning_ema` and by the finder's early stop, so both read the same curve."""
    average = beta * average + (1 - beta) * loss
    return average, average / (1 - beta ** (index + 2))


def lightning_ema(losses: np.ndarray, beta: float = LIGHTNING_BETA) -> np.ndarray:
    """The smoothed loss Lightning's range test records as ``results["loss"]``.

    Non-finite losses give NaN and leave the average alone.
    """
    out = np.full(len(losses), np.nan)
    avg = 0.0
    for k, loss in enumerate(np.asarray(losses, dtype=np.float64)):
        if np.isfinite(loss):
            avg, out[k] = lightning_ema_step(avg, float(loss), k, beta)
    return out


def lightning_suggestion(lrs: np.ndarray, smoothed: np.ndarray, skip_begin: int = 10,
                         skip_end: int = 1) -> int | None:
    """The index Lightning's ``_LRFinder.suggestion`` picks: steepest drop against linear LR.

    Lightning >= 2.5.3 takes ``torch.gradient(loss, spacing=[lr])`` over
    ``[skip_begin:-skip_end]`` without non-finite points, and returns the argmin.
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    smoothed = np.asarray(smoothed, dtype=np.float64)
    index = np.arange(len(lrs))[skip_begin:-skip_end]
    index = index[np.isfinite(smoothed[index])]
    if len(index) < 2:
        return None
    slope = np.gradient(smoothed[index], lrs[index])
    return int(index[int(np.argmin(slope))])


def smooth(losses: np.ndarray, planned_steps: int | None = None,
           settings: RuleSettings = RuleSettings()) -> np.ndarray:
    """lrwatch's lag-free smoothing of range-test losses (NaN where a loss is not finite).

    A 5-point median takes the spikes out, then a centred Gaussian ``smooth_sigma`` of the
    planned steps wide; losses that are all positive are smoothed on a log scale.
    """
    losses = np.asarray(losses, dtype=np.float64)
    out = np.full(len(losses), np.nan)
    finite = np.isfinite(losses)
    if finite.sum() < 3:
        return out
    y, back = _scale(losses[finite])
    out[finite] = back(_smooth_scaled(y, _sigma(len(losses), planned_steps, settings)))
    return out


def _scale(values: np.ndarray) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Log of positive losses (so a fall reads as a ratio), else the losses over their range."""
    if np.all(values > 0):
        return np.log(values), np.exp
    span = max(float(np.ptp(values)), 1e-12)
    return values / span, lambda y: y * span


def _smooth_scaled(y: np.ndarray, sigma: float) -> np.ndarray:
    return gaussian_filter1d(median_filter(y, size=5, mode="nearest"), sigma, mode="nearest")


def read_range_test(
    lrs: np.ndarray,
    losses: np.ndarray,
    *,
    optimizer: str | None = None,
    momentum: float | None = None,
    planned_steps: int | None = None,
    settings: RuleSettings = RuleSettings(),
) -> RangeTestReading:
    """Suggest a starting LR from a range test's raw per-step ``losses`` at increasing ``lrs``.

    Args:
        lrs: the LR of each step, increasing.
        losses: the raw (unsmoothed) training loss of each step; the curve is read up to the
            first one that is NaN or infinite.
        optimizer: the optimizer's class name (``"SGD"``, ``"AdamW"`` ...); with ``momentum``
            it sets the margin. Adam-family names get the adaptive margin, other names the
            SGD one; None (not known) gets the adaptive one, the largest.
        momentum: SGD's momentum (0 for plain SGD), when known.
        planned_steps: the steps the test was planned for, when it stopped early; sets the
            smoothing width.
        settings: the rule's knobs (the defaults are the tuned ones).

    Returns:
        A ``RangeTestReading``: status, suggestion, safe range, reason and Lightning's pick.

    Raises:
        InputError: ``lrs`` and ``losses`` differ in length.
    """
    lrs = np.asarray(lrs, dtype=np.float64).reshape(-1)
    losses = np.asarray(losses, dtype=np.float64).reshape(-1)
    if lrs.shape != losses.shape:
        raise InputError(f"a range test needs one loss per LR (got {lrs.size} LRs and "
                         f"{losses.size} losses)")
    lightning_index = lightning_suggestion(lrs, lightning_ema(losses))
    lightning_lr = None if lightning_index is None else float(lrs[lightning_index])
    finite = np.isfinite(losses)
    n = len(losses) if finite.all() else int(np.argmin(finite))  # the readable prefix
    smoothed = np.full(len(losses), np.nan)
    smoothed[:n] = smooth(losses[:n], planned_steps or len(losses), settings)

    def inconclusive(reason: str) -> RangeTestReading:
        return RangeTestReading(RangeTestStatus.INCONCLUSIVE, None, None, None, reason,
                                lightning_lr, smoothed, None)

    if len(losses) and n == 0:
        return inconclusive(
            f"the loss was non-finite ({losses[0]}) from the first step, at lr={lrs[0]:.3g}: "
            "the model or the data give NaN or inf whatever the LR; fix that first")
    if n < MIN_STEPS:
        ran = f"only {n} steps gave a finite loss" if n < len(losses) else f"only {n} steps ran"
        return inconclusive(
            f"{ran}; reading the curve needs at least {MIN_STEPS}: raise num_training, give the "
            "test more training data, or lower min_lr if the loss blew up early")

    x = np.log10(lrs[:n])
    s = smoothed[:n]
    y, _ = _scale(losses[:n])
    sigma = _sigma(len(losses), planned_steps, settings)
    z = _smooth_scaled(y, sigma)
    lowest = int(np.argmin(z))
    level = float(np.median(z[:max(3, n // 10)]))  # where the loss starts, robust to the edge
    drop = level - float(z[lowest])
    needed = max(settings.min_drop, settings.noise_multiple * _smoothed_noise(y - z, sigma))
    back_up = np.flatnonzero((np.arange(n) > lowest) & (z > level + needed))
    blew_up = n < len(losses) or back_up.size > 0  # non-finite, or clearly above the start
    edge = int(back_up[0]) if back_up.size else n  # first point too high to train at
    fell = drop >= needed and lowest >= 3

    if not fell and not blew_up:
        return inconclusive(
            f"the smoothed loss neither fell nor rose beyond its noise ({needed:.1%}) between "
            f"lr={lrs[0]:.3g} and lr={lrs[n - 1]:.3g}: the range is too low, the test too "
            "short, or the model does not learn; rerun with a larger max_lr or num_training, "
            "or check the model")
    if not fell and edge < max(3, n // 5):
        return inconclusive(
            f"the smoothed loss rose from the start, above {s[0]:.4g} by lr={lrs[edge]:.3g}: "
            "min_lr is already too high; rerun with a smaller min_lr")

    if fell:
        bottom = lowest
        above = np.flatnonzero(z[:bottom] >= level - 0.1 * drop)  # the descent begins after
        start = int(above[-1]) + 1 if above.size else 0
    else:  # flat, then it blew up: the bottom is the last point still at the lowest level
        bottom = int(np.flatnonzero(z[:edge] <= z[lowest] + needed)[-1])
        start = None
    margin = _margin(optimizer, momentum, settings)
    pick = int(np.clip(np.argmin(np.abs(x - (x[bottom] - margin))), start or 0, bottom))
    lower = float(lrs[start]) if start is not None else float(10 ** (x[pick] - 1.0))
    rising = blew_up or bool(z[bottom + 1:].max(initial=-np.inf) > z[bottom] + needed)

    ended = (f"the test ended at lr={lrs[len(losses) - 1]:.3g}"
             + (", where the loss was no longer finite" if n < len(losses) else ""))
    if not fell:
        status = RangeTestStatus.EDGE_ONLY
        story = (f"the smoothed loss barely moved (less than its noise, {needed:.1%}) until "
                 f"lr={lrs[bottom]:.3g}, then rose ({ended}); the test was too short to show "
                 "the descent, so the suggestion rests on where the loss blew up: rerun with a "
                 "larger num_training to confirm it")
    elif rising:
        status = RangeTestStatus.OK
        story = (f"the smoothed loss fell from {s[0]:.4g} to its lowest, {s[bottom]:.4g}, between "
                 f"lr={lrs[start]:.3g} and lr={lrs[bottom]:.3g}, then turned up ({ended})")
    else:
        status = RangeTestStatus.STILL_FALLING
        story = (f"the smoothed loss fell from {s[0]:.4g} to {s[bottom]:.4g} from "
                 f"lr={lrs[start]:.3g} on and was still falling at the last LR; the best LR may "
                 "be higher: rerun with a larger max_lr")
    reason = (f"{story}; suggesting {lrs[pick]:.3g}, {x[bottom] - x[pick]:.2f} decades below "
              f"lr={lrs[bottom]:.3g} (the margin for {_family(optimizer, momentum)} is "
              f"{margin:.2f})")
    return RangeTestReading(status, float(lrs[pick]), lower, float(lrs[bottom]), reason,
                            lightning_lr, smoothed, pick)


def _margin(optimizer: str | None, momentum: float | None, settings: RuleSettings) -> float:
    """Decades below the bottom: by optimizer family (an unknown optimizer gets the adaptive
    margin, the largest: the safe side); SGD's grows with momentum's reaction lag (none at 0,
    full at 0.9 and above: ``log10(1 / (1 - momentum))``, capped at 1)."""
    if optimizer is None or is_adaptive(optimizer):
        return settings.adaptive_margin
    lag = min(1.0, max(0.0, float(np.log10(1.0 / (1.0 - min(momentum or 0.0, 0.999))))))
    return settings.margin + lag * (settings.momentum_margin - settings.margin)


def _family(optimizer: str | None, momentum: float | None) -> str:
    if optimizer is None:
        return "an unknown optimizer (the adaptive margin, the largest)"
    if is_adaptive(optimizer):
        return f"{optimizer} (adaptive)"
    return f"{optimizer} with momentum {momentum:g}" if momentum else f"{optimizer}"


def _sigma(n: int, planned_steps: int | None, settings: RuleSettings) -> float:
    return max(1.0, settings.smooth_sigma * (planned_steps or n))


def _smoothed_noise(residuals: np.ndarray, sigma: float) -> float:
    """Noise left in the smoothed curve: the raw scatter (MAD) shrunk by the Gaussian's width.

    A Gaussian of width sigma averages about ``2 sqrt(pi) sigma`` points inside the curve but
    half as many at its ends, where a bottom at max_lr is read: the ends' figure is used.
    """
    return mad_sigma(residuals) / float(np.sqrt(np.sqrt(np.pi) * sigma))
