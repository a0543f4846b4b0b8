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
   (``benchmarks/finder_tune.py``), never on the tasks it reports. A wider adaptive margin
   (0.7, which centred the earlier splits' Adam-family pairs) tied on round 7's held-out
   families and widened their worst miss, so 0.6 stays (BENCHMARKS.md, finder round 7). Other
   landmarks (the steepest descent, the blow-up) averaged with the bottom did not survive
   leaving a split out (round 8), so the bottom alone sets the pick; nor did drawing a pick
   whose landmarks disagree toward the optimizer's usual LR (round 9, ``prior_width``).
4. **A flat curve that blows up still says something.** When a test is too short for the
   loss to fall visibly before the LR gets too high, the last point before the blow-up stands
   in for the bottom (status ``EDGE_ONLY``, and the reason says so).
5. **Say when the curve cannot be read**: too few steps, a loss that was not finite from the
   start, that neither fell nor rose beyond its noise, or that rose from the first steps. The
   suggestion is then ``None`` and the reason says what to change: never a silent bogus number.
6. **A fine-tune is read as one** (``fine_tune=True``, or detected with None): a pretrained
   loss blows up only at large LRs, so the pick steps well back from where it starts to be
   damaged and stays in the optimizer's fine-tuning range unless the curve says otherwise
   (``_fine_tune_pick``). ``fine_tune=False`` is the reading of steps 1-5, unchanged.

The safe range runs from where the descent starts (the smoothed loss leaves, for good, the band
within a tenth of its total drop from the starting level) to the bottom. Also here: Lightning's
own rule (steepest descent against the linear LR since Lightning 2.5.3) on Lightning's EMA, so
users can compare. numpy and scipy only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Callable

import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter

from lrwatch.analysis.curve import mad_sigma
from lrwatch.analysis.optimizers import FINE_TUNE_RANGES, is_adaptive, typical_range
from lrwatch.analysis.types import RangeTestSummary
from lrwatch.errors import InputError

MIN_STEPS = 20  # fewer points cannot tell a trend from minibatch noise
LIGHTNING_BETA = 0.98  # the EMA Lightning and fastai smooth range tests with
# Fine-tunes (``_fine_tune_pick``, ``looks_fine_tuned``), from the tuning side of
# ``benchmarks/finder_general`` (falls are in log-loss: 0.15 is a 14% fall). Its LM fine-tune
# (AdamW) was damaged from 1.3e-2-1.7e-2 and trained best at 3.2e-4, 1.6 decades lower; it fell
# 7-8% first, where every Adam curve of a model trained from scratch there fell 31% or more,
# and under SGD from scratch the flat ones (deep tanh, an autoencoder) were damaged from 0.39.
FINE_TUNE_MARGIN = 1.5  # decades below where the pretrained loss starts to be damaged
FINE_TUNE_MAX_DROP = 0.15  # a curve that fell less than this before the damage reads as one
FINE_TUNE_MAX_ONSET = {"adaptive": 3e-2, "sgd": 0.1}  # ... if damaged from below this
NEW_TASK_DROP = 0.69  # a fine-tune whose loss halved is learning a new task (its CNN fine-tune
# with a new head fell 80-85% and trained best at 1e-2, 1.5 decades above the range)
# ... and is read 0.7 decades below its from-scratch pick: the pretrained part still has to be
# spared. On the five earlier fine-tunes that fall that far (``benchmarks/finder_tune.py
# step-back``), the from-scratch pick was 0.61 decades off in median (20% within 3x); 0.3, 0.5,
# 0.7, 1.0, 1.3 decades back gave 0.58 / 0.38 / 0.18 / 0.40 / 0.70 (40 / 60 / 73 / 73 / 33%).
NEW_TASK_STEP_BACK = 0.7


@dataclass(frozen=True)
class RuleSettings:
    """The rule's knobs; the defaults come from the benchmark's tuning tasks."""

    smooth_sigma: float = 0.05  # Gaussian width, as a share of the planned steps
    margin: float = 0.2  # decades below the bottom: plain SGD and other non-adaptive optimizers
    momentum_margin: float = 0.3  # ... the same with momentum 0.9 (interpolated by the lag)
    adaptive_margin: float = 0.6  # ... Adam-family optimizers (and unknown ones)
    min_drop: float = 0.03  # the smoothed loss must fall at least 3% ...
    noise_multiple: float = 4.0  # ... and this many times the smoothed curve's noise
    # Other landmarks of the curve, each with its own offset above the best LR (decades; plain
    # SGD, momentum 0.9, adaptive; None: not read for that family): the steepest descent and the
    # blow-up. With them, the pick is the median of the estimates the curve gives (the mean of
    # two). None, the default: the bottom alone. Measured in round 8 (``benchmarks/finder_tune.py
    # landmarks``): none of the combinations survived leaving a split out, so none is on.
    steep_offset: tuple[float | None, float | None, float | None] | None = None
    edge_offset: tuple[float | None, float | None, float | None] | None = None
    # "Say less where the curve says less" (round 9): where the bottom's estimate and the
    # steepest descent's (less ``disagreement_offset``, its usual place above the best LR: round
    # 8's fits) disagree by more than ``usual_spread`` decades, the estimate is drawn toward the
    # middle of the optimizer's usual range (``typical_range``, log scale) with weight
    # e^2 / (e^2 + prior_width^2), e the excess disagreement: a prior plus evidence. None, the
    # default: not drawn (measured in ``benchmarks/finder_tune.py shrink``).
    prior_width: float | None = None
    usual_spread: float = 0.3
    disagreement_offset: tuple[float | None, float | None, float] = (-0.45, -0.46, -0.01)


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
    fine_tune: bool = False  # read as a fine-tune (see ``_fine_tune_pick``)

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
    fine_tune: bool | None = False,
    fine_tune_because: str = "",
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
        fine_tune: the model starts from pretrained weights: the pick is where the pretrained
            loss starts to be damaged, less a margin, kept in the optimizer's fine-tuning range
            unless the curve says otherwise (``_fine_tune_pick``). None detects it from the
            curve (``looks_fine_tuned``); False (the default) reads it as training from scratch.
        fine_tune_because: why the caller knows it is a fine-tune (e.g. "12% of the
            parameters are frozen"), for the reason.

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
            f"{ran}; reading the curve needs at least {MIN_STEPS}: run more steps "
            "(find_lr's num_training, LRFinder's num_training_steps), give the test more "
            "training data, or lower min_lr if the loss blew up early")

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
    target, landmarks = x[bottom] - margin, ""
    if fell:
        blow_up = edge if back_up.size else (n - 1 if blew_up else None)  # last finite point
        target, landmarks = _combine(target, x, z, start, bottom, blow_up, optimizer, momentum,
                                     settings)
        target, drawn = _draw_to_prior(target, x[bottom] - margin, x, z, start, bottom,
                                       optimizer, momentum, settings)
        landmarks += drawn
    pick = int(np.clip(np.argmin(np.abs(x - target)), start or 0, bottom))
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
              f"{margin:.2f}{landmarks})")
    scratch = RangeTestReading(status, float(lrs[pick]), lower, float(lrs[bottom]), reason,
                               lightning_lr, smoothed, pick)
    onset = bottom if rising else None  # where the pretrained loss starts to be damaged
    if fine_tune is None and np.all(losses[:n] > 0):  # the falls it reads are of log-losses
        fine_tune_because = looks_fine_tuned(lrs[:n], z, level, onset, optimizer)
        fine_tune = bool(fine_tune_because)
    if not fine_tune:
        return scratch
    return _fine_tune_pick(scratch, lrs[:n], z, level, onset, optimizer,
                           fine_tune_because or "you said so (fine_tune=True)")


def _margin(optimizer: str | None, momentum: float | None, settings: RuleSettings) -> float:
    """Decades below the bottom: by optimizer family (an unknown optimizer gets the adaptive
    margin, the largest: the safe side); SGD's grows with momentum's reaction lag (none at 0,
    full at 0.9 and above: ``log10(1 / (1 - momentum))``, capped at 1)."""
    if optimizer is None or is_adaptive(optimizer):
        return settings.adaptive_margin
    lag = min(1.0, max(0.0, float(np.log10(1.0 / (1.0 - min(momentum or 0.0, 0.999))))))
    return settings.margin + lag * (settings.momentum_margin - settings.margin)


def _offset(values: tuple[float | None, float | None, float | None], optimizer: str | None,
            momentum: float | None) -> float | None:
    """A landmark's offset for the optimizer, interpolated by momentum's lag as ``_margin``
    (None: the landmark is not read for this optimizer family)."""
    if optimizer is None or is_adaptive(optimizer):
        return values[2]
    if values[0] is None or values[1] is None:
        return None
    lag = min(1.0, max(0.0, float(np.log10(1.0 / (1.0 - min(momentum or 0.0, 0.999))))))
    return values[0] + lag * (values[1] - values[0])


def _combine(target: float, x: np.ndarray, z: np.ndarray, start: int, bottom: int,
             edge: int | None, optimizer: str | None, momentum: float | None,
             settings: RuleSettings) -> tuple[float, str]:
    """The estimate of the best log10 LR from the landmarks the settings name: the median of
    the bottom's (``target``), the steepest descent's and the blow-up's, each less its offset
    (the mean of two), and a clause for the reason ("" when the bottom is read alone)."""
    estimates, named = [target], []
    steep_offset = edge_offset = None
    if settings.steep_offset is not None:
        steep_offset = _offset(settings.steep_offset, optimizer, momentum)
    if settings.edge_offset is not None:
        edge_offset = _offset(settings.edge_offset, optimizer, momentum)
    if steep_offset is not None and bottom > start:
        slope = np.gradient(z, x)
        steep = start + int(np.argmin(slope[start:bottom + 1]))
        estimates.append(float(x[steep]) - steep_offset)
        named.append(f"the steepest descent, lr={10 ** x[steep]:.3g}, less {steep_offset:.2f}")
    if edge_offset is not None and edge is not None:
        estimates.append(float(x[edge]) - edge_offset)
        named.append(f"the blow-up, lr={10 ** x[edge]:.3g}, less {edge_offset:.2f}")
    if not named:
        return target, ""
    return float(np.median(estimates)), (
        f", {'the mean' if len(estimates) == 2 else 'the median'} of {10 ** target:.3g} "
        f"and {' and '.join(named)}")


def _draw_to_prior(target: float, bottom_estimate: float, x: np.ndarray, z: np.ndarray,
                   start: int, bottom: int, optimizer: str | None, momentum: float | None,
                   settings: RuleSettings) -> tuple[float, str]:
    """The estimate drawn toward the middle of the optimizer's usual range where the bottom's
    and the steepest descent's estimates disagree by more than their usual spread (see
    ``RuleSettings.prior_width``), and a clause for the reason ("" when not drawn)."""
    usual = typical_range(optimizer, momentum) if optimizer else None
    if settings.prior_width is None or usual is None or bottom <= start:
        return target, ""
    steep = start + int(np.argmin(np.gradient(z, x)[start:bottom + 1]))
    offset = _offset(settings.disagreement_offset, optimizer, momentum)
    if offset is None:  # not read for this optimizer family
        return target, ""
    disagreement = abs(bottom_estimate - (float(x[steep]) - offset))
    excess = max(0.0, disagreement - settings.usual_spread)
    weight = excess ** 2 / (excess ** 2 + settings.prior_width ** 2)
    if weight < 0.005:
        return target, ""
    centre = 0.5 * float(np.log10(usual[0]) + np.log10(usual[1]))
    drawn = (1 - weight) * target + weight * centre
    return drawn, (
        f"; the bottom and the steepest descent (lr={10 ** x[steep]:.3g}) disagree by "
        f"{disagreement:.2f} decades, more than their usual {settings.usual_spread:.2f}, so the "
        f"curve says less: the estimate {10 ** target:.3g} is drawn {weight:.0%} of the way "
        f"toward {10 ** centre:.3g}, the middle of {optimizer}'s usual range")


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


# -- fine-tunes ------------------------------------------------------------------------------


def _fine_tune_range(optimizer: str | None) -> tuple[float, float]:
    """The optimizer family's fine-tuning range; an unknown optimizer gets the adaptive one,
    the lower (the safe side)."""
    return typical_range(optimizer, fine_tune=True) or FINE_TUNE_RANGES["adaptive"]


def looks_fine_tuned(lrs: np.ndarray, z: np.ndarray, level: float, onset: int | None,
                     optimizer: str | None) -> str:
    """Why the curve reads as a fine-tune's, or "" when it does not.

    A pretrained model is already near a minimum: the loss falls little (under
    ``FINE_TUNE_MAX_DROP``) before a rising LR starts to damage it, and the damage starts at an
    LR a fine-tune could still use (below ``FINE_TUNE_MAX_ONSET``). A model trained from
    scratch falls much further, or (deep networks under SGD) stays flat until far higher LRs.
    """
    if onset is None or onset < 3:
        return ""
    drop = level - float(z[:onset + 1].min())
    sgd = optimizer is not None and not is_adaptive(optimizer)
    if drop >= FINE_TUNE_MAX_DROP or lrs[onset] > FINE_TUNE_MAX_ONSET["sgd" if sgd else "adaptive"]:
        return ""
    return (f"the loss fell only {_fall(drop)} before it started to rise at "
            f"lr={lrs[onset]:.3g}, as a pretrained model's does (one trained from scratch falls "
            "much further first); pass fine_tune=False if it is not a fine-tune")


def _fine_tune_pick(scratch: RangeTestReading, lrs: np.ndarray, z: np.ndarray, level: float,
                    onset: int | None, optimizer: str | None, because: str) -> RangeTestReading:
    """The fine-tune's suggestion: ``FINE_TUNE_MARGIN`` decades below where the pretrained loss
    starts to be damaged, kept in the optimizer's fine-tuning range, unless the curve says
    otherwise: damage below the range, well into the test (the pick follows the curve down;
    damage from the first fifth of the steps is too early to tell from noise), or a loss that fell
    by more than ``NEW_TASK_DROP`` (the model is learning much it did not know: a new head or
    a shifted task; the pick is the one for training from scratch, ``NEW_TASK_STEP_BACK``
    decades lower, not below the range's bottom unless that pick already was). The reason says
    which."""
    low, high = _fine_tune_range(optimizer)
    span = f"{low:.3g}-{high:.3g}"
    head = f"read as a fine-tune because {because}"
    drop = level - float(z[:(len(z) if onset is None else onset + 1)].min())
    if drop >= NEW_TASK_DROP and scratch.suggested_lr is not None:
        pick = max(scratch.suggested_lr / 10 ** NEW_TASK_STEP_BACK,
                   min(scratch.suggested_lr, low))
        where = "above" if pick > high else "below" if pick < low else "inside"
        index = int(np.argmin(np.abs(np.log10(lrs) - np.log10(pick))))
        return replace(scratch, suggested_lr=float(pick), suggested_index=index, fine_tune=True,
                       lower_lr=min(pick, scratch.lower_lr or pick), reason=(
            f"{scratch.reason}; {head}, but the loss fell by {_fall(drop)} before it turned up: "
            f"the model is learning much it did not know (a new head or a shifted task), so the "
            f"suggestion is the one for training from scratch, {scratch.suggested_lr:.3g}, "
            f"stepped back {NEW_TASK_STEP_BACK:g} decades to spare the pretrained weights: "
            f"{pick:.3g}, {where} the fine-tuning range {span}"))
    if onset is None:
        pick, story = high, (f"the pretrained loss was not damaged up to lr={lrs[-1]:.3g}: "
                             f"suggesting the top of the fine-tuning range {span}")
    else:
        damage = float(lrs[onset])
        target = damage / 10 ** FINE_TUNE_MARGIN
        story = (f"the pretrained loss started to be damaged above lr={damage:.3g}; "
                 f"{FINE_TUNE_MARGIN:g} decades below it is {target:.3g}")
        if target < low and onset >= len(z) // 5:
            pick = target
            story += (f", below the fine-tuning range {span}: the curve says this model takes "
                      "less, so the suggestion follows it")
        elif target < low:  # damaged from the first steps: too early to tell damage from noise
            pick = low
            story += (f", below the fine-tuning range {span}, but the loss rose from the first "
                      f"steps: suggesting its bottom, {low:.3g}; rerun with a smaller min_lr to "
                      "see where the damage starts")
        elif target > high:
            pick = high
            story += (f", above the fine-tuning range {span}: suggesting its top, {high:.3g}, "
                      "which keeps the pretrained weights safe")
        else:
            pick = target
            story += f", inside the fine-tuning range {span}"
    index = int(np.argmin(np.abs(np.log10(lrs) - np.log10(pick))))
    upper = max(pick, float(lrs[onset]) if onset is not None else scratch.upper_lr or pick)
    return replace(scratch, status=RangeTestStatus.OK if onset is not None else scratch.status,
                   suggested_lr=float(pick), lower_lr=min(pick, low), upper_lr=upper,
                   suggested_index=index, fine_tune=True,
                   reason=f"{head}: {story} (reading it as training from scratch would "
                          f"suggest {_lr(scratch.suggested_lr)})")


def _fall(drop: float) -> str:
    """A fall of the log-loss by ``drop``, as a percentage of the starting loss."""
    return f"{100 * (1 - np.exp(-drop)):.0f}%"


def _lr(value: float | None) -> str:
    return "none" if value is None else f"{value:.3g}"
