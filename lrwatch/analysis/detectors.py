"""Detectors: each reads one symptom off a curve and returns it as a :class:`Symptom` (with
evidence a person can check on the plot), or None when the symptom is absent.

Thresholds are named constants below; they were set on the tuning tasks of the benchmark corpus
(see ``benchmarks/diagnosis.py``) and on the field's rules of thumb quoted beside them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lrwatch.analysis.curve import Curve, mad_sigma
from lrwatch.analysis.summary import Summary
from lrwatch.analysis.types import Evidence

# A run that ends more than 2x above its starting loss has blown up (AutoTrainer flags the loss
# exploding; we use a ratio because losses have no common scale).
BLOWUP_RATIO = 2.0
# ... as has one that climbed 10x back up from its best level.
BLOWUP_FROM_BEST = 10.0
# Climbing back up from the best level by more than this (and by more than the noise) means the
# LR is too high to settle, even when it does not blow up.
REBOUND_RATIO = 1.3
# Share of the total drop made in the first tenth of the run (in LR time); below this the curve
# has no "knee" yet: too low an LR.
EARLY_SHARE_STALLED = 0.3
# Loss that moved less than this over the whole run has not started to learn.
NO_PROGRESS = 0.05
# Early alarm: the last ALARM_POINTS points all sit this far above the recent robust level.
ALARM_POINTS = 3
ALARM_Z = 6.0
ALARM_LOSS_RATIO = 2.0
ALARM_GRAD_RATIO = 10.0


@dataclass(frozen=True)
class Symptom:
    """A symptom found on the curve: how clearly (``strength`` in [0, 1]) and since when."""

    name: str
    strength: float
    evidence: Evidence
    since_step: int | None = None


def strength(value: float, threshold: float) -> float:
    """0.5 at the threshold, rising toward 1 as ``value`` passes it (both positive)."""
    if not (math.isfinite(value) and threshold > 0):
        return 1.0 if value == math.inf else 0.5
    return float(np.clip(0.5 + 0.5 * math.tanh(2.0 * (value / threshold - 1.0)), 0.0, 1.0))


def _edge(curve: Curve) -> tuple[int, int]:
    """How many bins make the 'start' and the 'end' levels."""
    return max(3, curve.size // 50), max(3, curve.size // 10)


def _fmt(x: float) -> str:
    return f"{x:.3g}"


# --------------------------------------------------------------------------- too high
def nonfinite(summary: Summary) -> Symptom | None:
    """The loss is NaN or inf at the end of the run and stayed so."""
    if summary.trailing_nonfinite is None:
        return None
    step = summary.trailing_nonfinite
    finite_before = summary.points > summary.nonfinite_count or summary.first_nonfinite != step
    msg = (f"loss became non-finite (NaN/inf) at step {step} and stayed so to step "
           f"{summary.last_step}")
    if not finite_before:
        msg = (f"loss was non-finite from the first recorded step ({step}): check the inputs and "
               "the loss function too, not only the LR")
    return Symptom("nonfinite", 1.0 if finite_before else 0.5,
                   Evidence(msg, "loss", step, summary.last_step, float(summary.nonfinite_count)),
                   since_step=step)


def climb_before_nan(curve: Curve) -> Symptom | None:
    """Where the loss started climbing before it went non-finite: the start of the final stretch
    that stays clearly above the best level (20%, or 3x the noise of the level)."""
    if curve.size < 8:
        return None
    best_i = int(np.argmin(curve.zs))
    best = float(curve.zs[best_i])
    noise = mad_sigma(curve.z - curve.zs) / math.sqrt(max(3, curve.size // 25))
    high = np.minimum(curve.z, curve.zs) > best + max(math.log(1.2), 3 * noise)
    if not high[-3:].all():
        return None
    low = np.flatnonzero(~high)
    start = int(low[-1]) + 1 if low.size else 0
    ratio = math.exp(float(curve.z[-3:].min()) - best)
    msg = (f"before that, loss climbed {ratio:.3g}x from {_fmt(math.exp(best))} over steps "
           f"{curve.first[start]}-{curve.last[-1]}") + _grad_growth(curve, start)
    return Symptom("climb", 1.0, Evidence(msg, "loss", int(curve.first[start]),
                                          int(curve.last[-1]), ratio),
                   since_step=int(curve.first[start]))


def blowup(curve: Curve) -> Symptom | None:
    """The loss ends far above where it started or far above its best level."""
    n0, ne = _edge(curve)
    start = curve.level(0, n0)
    # the end level: the last tenth of the run, or its last fiftieth when that is higher (a
    # blow-up in the last 2% of a long run must not wait for a tenth of it to show)
    end = max(curve.level(curve.size - ne, curve.size), curve.level(curve.size - n0, curve.size))
    best_i = int(np.argmin(curve.zs[: max(1, curve.size - ne // 2)]))
    best = float(curve.zs[best_i])
    vs_start, vs_best = math.exp(end - start), math.exp(end - best)
    if vs_start <= BLOWUP_RATIO and vs_best <= BLOWUP_FROM_BEST:
        return None
    rise_from = _rise_start(curve, best_i, end)
    msg = (f"loss rose {vs_best:.3g}x over steps {curve.first[rise_from]}-{curve.last[-1]} "
           f"(from {_fmt(math.exp(best))} to {_fmt(math.exp(end))}, {vs_start:.3g}x its start)")
    msg += _grad_growth(curve, rise_from)
    s = max(strength(vs_start, BLOWUP_RATIO), strength(vs_best, BLOWUP_FROM_BEST))
    return Symptom("blowup", s, Evidence(msg, "loss", int(curve.first[rise_from]),
                                         int(curve.last[-1]), vs_best),
                   since_step=int(curve.first[rise_from]))


def rebound(curve: Curve) -> Symptom | None:
    """The loss climbed back up from its best level, by more than its noise."""
    n0, ne = _edge(curve)
    end = curve.level(curve.size - ne, curve.size)
    best_i = int(np.argmin(curve.zs[: max(1, curve.size - ne // 2)]))
    best = float(curve.zs[best_i])
    noise = mad_sigma(curve.z - curve.zs) / math.sqrt(ne)
    ratio = math.exp(end - best)
    if ratio <= REBOUND_RATIO or end - best <= 4 * noise:
        return None
    rise_from = _rise_start(curve, best_i, end)
    msg = (f"loss climbed back {100 * (ratio - 1):.0f}% from its best "
           f"{_fmt(math.exp(best))} (step {curve.first[best_i]}) to {_fmt(math.exp(end))} "
           f"by step {curve.last[-1]}")
    msg += _grad_growth(curve, rise_from)
    return Symptom("rebound", strength(ratio, REBOUND_RATIO),
                   Evidence(msg, "loss", int(curve.first[best_i]), int(curve.last[-1]), ratio),
                   since_step=int(curve.first[rise_from]))


def _rise_start(curve: Curve, best_i: int, end: float) -> int:
    """First bin after the best one where the level is clearly above the best level (by 20%,
    or 3x the noise of the level when that is more)."""
    noise = mad_sigma(curve.z - curve.zs) / math.sqrt(max(3, curve.size // 25))
    margin = min(max(math.log(1.2), 3 * noise), 0.5 * (end - float(curve.zs[best_i])))
    above = np.flatnonzero(curve.zs[best_i:] > float(curve.zs[best_i]) + margin)
    return best_i + int(above[0]) if above.size else best_i


def _grad_growth(curve: Curve, since: int) -> str:
    gn = curve.gn
    ok = np.isfinite(gn) & (gn > 0)
    if ok[since:].sum() < 2 or ok[: since + 1].sum() < 1:
        return ""
    before = float(np.median(gn[: since + 1][ok[: since + 1]]))
    after = float(np.max(gn[since:][ok[since:]]))
    return f" while grad norm grew {after / before:.3g}x" if after > 2 * before else ""


# --------------------------------------------------------------------------- too low
def slow_progress(curve: Curve) -> Symptom | None:
    """The loss has not bent yet: most of its fall came late, or it barely moved at all.

    Read in "LR time" (cumulative LR), so warmup and decay tails neither hide nor fake a stall.
    """
    n0, ne = _edge(curve)
    start, end = curve.level(0, n0), curve.level(curve.size - ne, curve.size)
    total = start - end
    # shares of the drop are read on the loss itself (exp of the log level): in log space the
    # slow approach to a floor near 0 would look like progress still to come
    lin = np.exp(curve.zs)
    lin_start, lin_end = math.exp(start), math.exp(end)
    span = curve.lr_time[-1]
    tenth = curve.at_lr_time(span / 10)
    last40 = curve.at_lr_time(0.6 * span)
    late_drop = float(curve.zs[last40]) - end
    steps_late = max(1, int(curve.last[-1] - curve.first[last40]))
    per_k = 100 * (1 - math.exp(-late_drop * 1000 / steps_late))
    if total < NO_PROGRESS:
        msg = (f"loss moved {100 * (math.exp(-total) - 1):+.1f}% over the whole run "
               f"(steps {curve.first[0]}-{curve.last[-1]})")
        return Symptom("no_progress", strength(NO_PROGRESS, max(total, 1e-3)),
                       Evidence(msg, "loss", int(curve.first[0]), int(curve.last[-1]), total),
                       since_step=int(curve.first[0]))
    share = (lin_start - float(lin[tenth])) / (lin_start - lin_end)
    if share >= EARLY_SHARE_STALLED or late_drop <= 0:
        return None
    msg = (f"the first tenth of the run made only {100 * share:.0f}% of the loss drop, and "
           f"the loss still fell {per_k:.2g}% per 1000 steps over the last 40% "
           f"(steps {curve.first[last40]}-{curve.last[-1]}): it has not levelled off")
    return Symptom("slow_progress", strength(EARLY_SHARE_STALLED, max(share, 1e-3)),
                   Evidence(msg, "loss", int(curve.first[0]), int(curve.last[-1]), share),
                   since_step=int(curve.first[0]))


# --------------------------------------------------------------------------- schedule context
def warming_up(curve: Curve) -> Symptom | None:
    """The LR is still rising at the end of the curve: too early to call the run stalled."""
    lr = curve.lr
    ok = np.isfinite(lr) & (lr > 0)
    if ok.sum() < 3:
        return None
    vals = lr[ok]
    recent = vals[int(0.8 * vals.size):]
    if vals[-1] <= 1.02 * recent[0] or vals[-1] < 1.5 * vals[0] or vals[-1] < vals.max():
        return None
    msg = f"LR still rising (warmup): {_fmt(vals[0])} -> {_fmt(vals[-1])}"
    return Symptom("warmup", 1.0, Evidence(msg, "lr", int(curve.first[0]), int(curve.last[-1]),
                                           float(vals[-1])))


def decayed(curve: Curve) -> Symptom | None:
    """The LR has been decayed well below its peak (cosine or step tail)."""
    lr = curve.lr
    ok = np.isfinite(lr) & (lr > 0)
    if ok.sum() < 3:
        return None
    peak, now = float(lr[ok].max()), float(lr[ok][-1])
    if now > 0.5 * peak:
        return None
    msg = f"LR decayed to {100 * now / peak:.0f}% of its peak {_fmt(peak)}"
    return Symptom("decayed", 1.0, Evidence(msg, "lr", None, int(curve.last[-1]), now / peak))


def levelled_off(curve: Curve) -> Symptom | None:
    """A constant-LR run whose loss stopped improving: decay would lower the noise floor."""
    lr = curve.lr
    ok = np.isfinite(lr) & (lr > 0)
    if ok.sum() >= 3 and float(lr[ok][-1]) < 0.9 * float(lr[ok].max()):
        return None
    _, ne = _edge(curve)
    at70 = int(0.7 * curve.size)
    before, end = curve.level(at70 - ne, at70), curve.level(curve.size - ne, curve.size)
    noise = mad_sigma(curve.z - curve.zs) / math.sqrt(ne)
    if before - end > max(0.02, 2 * noise):
        return None
    msg = (f"loss levelled off: {100 * (1 - math.exp(end - before)):.1f}% lower over the last 30% "
           f"of the run (steps {curve.first[at70]}-{curve.last[-1]})")
    return Symptom("levelled_off", 1.0, Evidence(msg, "loss", int(curve.first[at70]),
                                                 int(curve.last[-1]), before - end))


# --------------------------------------------------------------------------- early alarm
def alarm(summary: Summary) -> Symptom | None:
    """Divergence starting now: a NaN/inf loss, or the last few points of loss or gradient norm
    far above the recent robust level (gradient-norm spikes usually precede loss spikes)."""
    steps, loss, gn = summary.tail_steps, summary.tail_loss, summary.tail_gn
    if steps.size == 0:
        return None
    if not np.isfinite(loss[-1]):
        return Symptom("alarm", 1.0, Evidence(f"loss is non-finite at step {steps[-1]}", "loss",
                                              int(steps[-1]), int(steps[-1]), float(loss[-1])),
                       since_step=int(steps[-1]))
    if steps.size < 4 * ALARM_POINTS:
        return None
    k = ALARM_POINTS
    for name, values, ratio_needed in (("loss", loss, ALARM_LOSS_RATIO),
                                       ("grad_norm", gn, ALARM_GRAD_RATIO)):
        ref = values[:-k]
        ref = ref[np.isfinite(ref) & (ref > 0)]
        recent = values[-k:]
        if ref.size < 3 * k or not np.all(np.isfinite(recent) & (recent > 0)):
            continue
        logs = np.log(ref)
        center = float(np.median(logs))
        sigma = max(mad_sigma(logs), 1e-3)
        low = float(np.log(recent.min()))
        ratio = math.exp(low - center)
        if (low - center) / sigma > ALARM_Z and ratio > ratio_needed:
            label = "loss" if name == "loss" else "grad norm"
            msg = (f"{label} jumped to {ratio:.3g}x its recent median over the last {k} steps "
                   f"({steps[-k]}-{steps[-1]}, robust z > {ALARM_Z:g})")
            return Symptom("alarm", strength(ratio, ratio_needed),
                           Evidence(msg, name, int(steps[-k]), int(steps[-1]), ratio),
                           since_step=int(steps[-k]))
    return None
