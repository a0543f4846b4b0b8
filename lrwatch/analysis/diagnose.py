"""``analyze``: from a run's curves to a :class:`Diagnosis`.

Three rules sit around the classification, shared by ``analyze`` and the online analyzer:

- *Early runs get modest confidence.* A trend verdict (oscillating, stalled, healthy) made on few
  points, or on a small part of the planned run, is capped (see ``confidence_ceiling``): a
  schedule may not have played out, and early verdicts often change.
- *The guard's last recovery starts the run anew.* What follows it is judged, at the LR it set,
  and the recoveries are named in the evidence (a cut read as a schedule would advise against
  what worked).
- *Several optimizers (GANs) get no LR verdict from the loss*, which is adversarial and not meant
  to fall; each optimizer's gradient and update health is given instead, and a non-finite loss
  or gradient is still divergence.
"""

from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np

from lrwatch.analysis.classify import MIN_POINTS, classify
from lrwatch.analysis.curve import curve_from
from lrwatch.analysis.prepare import align
from lrwatch.analysis.status_rules import RULES
from lrwatch.analysis.suggest import suggest
from lrwatch.analysis.summary import Summary
from lrwatch.analysis.types import (
    Action,
    Diagnosis,
    Evidence,
    GuardAction,
    OptimizerCurves,
    RunCurves,
    Series,
    Status,
    Suggestion,
)
from lrwatch.errors import ConfigError

# Verdicts on the trend of the loss, which need time; NaN and blow-ups do not (diverging): the
# statuses whose rule says so.
TREND_STATUSES = tuple(rule.status for rule in RULES if rule.trend)
# Confidence ceiling of a trend verdict: EARLY_CEILING at the first verdict (MIN_POINTS points),
# below CONFIDENT until CONFIDENT_POINTS points and CONFIDENT_SHARE of the planned run, none after.
# Set on the corpus' tuning tasks fed online in chunks of 20 steps (BENCHMARKS.md, "Early
# confidence"): trend verdicts were right 80% of the time before 50 points, 85% at 50-99, 89% at
# 100-149 and 92-93% (the plateau) from 150 points on; by share of the run 81-85% before 30%,
# 88-89% at 30-50%, 92-93% from 50% on. Tuned rules do worse on unseen tasks, and early verdicts
# are the ones that change: hence a ceiling well below what the tuning side reached.
EARLY_CEILING = 0.5
CONFIDENT = 0.9
CONFIDENT_POINTS = 150
CONFIDENT_SHARE = 0.5


def analyze(curves: RunCurves, *, target_batch_size: int | None = None) -> Diagnosis:
    """Diagnose a run's learning rate from its curves.

    Args:
        curves: the run's series (only ``loss`` is required) and what is known about it.
        target_batch_size: the batch size of the next run, when it changes; the suggested LR is
            then scaled linearly (SGD) or by the square root (Adam-style) of the ratio.

    Returns:
        The diagnosis: status, confidence, since when, evidence and an LR suggestion.

    Raises:
        ConfigError: if ``curves`` is not a RunCurves or ``target_batch_size`` is not positive.

    Example::

        >>> import numpy as np
        >>> from lrwatch.analysis import RunCurves, Series, analyze
        >>> steps = np.arange(500)
        >>> loss = 2.3 * np.exp(-steps / 60) + 0.1
        >>> analyze(RunCurves(loss=Series(steps, loss))).status.value
        'healthy'
    """
    if not isinstance(curves, RunCurves):
        raise ConfigError(f"analyze() needs a RunCurves, got {type(curves).__name__}")
    if target_batch_size is not None and (isinstance(target_batch_size, bool) or not isinstance(
            target_batch_size, numbers.Integral) or target_batch_size <= 0):
        raise ConfigError(f"target_batch_size must be a positive int, got {target_batch_size!r}")
    last = curves.guard_actions[-1] if curves.guard_actions else None
    if last is not None:
        curves = _after(curves, last.step)
    summary = Summary()
    summary.extend(*align(curves))
    if curves.other_optimizers:
        return _no_lr_verdict(summary, curves)
    found = diagnose(summary, curves, target_batch_size=target_batch_size)
    if last is None:
        return found
    return dataclasses.replace(found, evidence=_guard_evidence(curves.guard_actions)
                               + found.evidence)


def diagnose(summary: Summary, meta: RunCurves, *,
             target_batch_size: int | None = None) -> Diagnosis:
    """The diagnosis of a summarised run; ``meta`` gives the optimizer, batch size, planned
    steps and range test (its series are not read). Shared by ``analyze`` and the online
    analyzer, so both give the same answer on the same points."""
    with np.errstate(all="ignore"):  # losses near the float limits overflow quietly to inf
        curve = curve_from(summary)
        verdict = classify(curve, summary, meta)
    lr, warmed_up = _peak_lr(summary)
    first = int(curve.first[0]) if curve.size else int(summary.tail_steps[0]) \
        if summary.tail_steps.size else 0
    advice = suggest(verdict.status, meta, lr, since_step=verdict.since_step, first_step=first,
                     symptoms=verdict.symptoms, progress=verdict.progress,
                     target_batch_size=target_batch_size, warmed_up=warmed_up,
                     last_step=summary.last_step)
    span = _span(summary)
    gaps = np.diff(summary.tail_steps)
    spacing = max(1.0, float(np.median(gaps))) if gaps.size else 1.0
    needed = None
    if verdict.status is Status.INSUFFICIENT_DATA and verdict.needed_points:
        # steps per finite loss, where not every step logged one (a training_step that returned
        # None): 30 losses over 46 steps read "46 steps: too short, needs ~40 steps"
        points = int(curve.count.sum()) if curve.size else 0
        per_point = max(spacing, span / points) if points else spacing
        needed = int(math.ceil(verdict.needed_points * per_point))
    confidence = float(np.clip(verdict.confidence, 0, 1))
    extra = {}
    if verdict.status in TREND_STATUSES:
        full = confident_steps(spacing, meta.total_steps)
        ceiling = confidence_ceiling(span, full)
        if ceiling < confidence:
            confidence = ceiling
            extra["confident_from_steps"] = full
    return Diagnosis(status=verdict.status, confidence=confidence,
                     since_step=verdict.since_step, steps=span, evidence=verdict.evidence,
                     suggestion=advice, needed_steps=needed, alarm=verdict.alarm, extra=extra)


def confident_steps(spacing: float, total_steps: int | None) -> int:
    """Steps a trend verdict needs before it may be given with full confidence:
    ``CONFIDENT_POINTS`` recorded points, and ``CONFIDENT_SHARE`` of the planned run."""
    steps = CONFIDENT_POINTS * spacing
    if total_steps:
        steps = max(steps, CONFIDENT_SHARE * total_steps)
    return int(math.ceil(steps))


def confidence_ceiling(steps: int, full: int) -> float:
    """The highest confidence a trend verdict on ``steps`` steps may have: EARLY_CEILING at the
    first verdict, growing with the log of the steps seen toward CONFIDENT, none from ``full``
    steps on (so below ``full`` steps no verdict reaches CONFIDENT)."""
    if steps >= full:
        return 1.0
    start = MIN_POINTS
    if full <= start:
        return 1.0
    share = math.log(max(steps, start) / start) / math.log(full / start)
    return EARLY_CEILING + (CONFIDENT - EARLY_CEILING) * share * (1 - 1e-9)


def _after(curves: RunCurves, step: int) -> RunCurves:
    """The curves from the step after ``step`` on."""
    def cut(series: Series | None) -> Series | None:
        if series is None:
            return None
        keep = series.steps > step
        return Series(series.steps[keep], series.values[keep])

    return dataclasses.replace(
        curves, loss=cut(curves.loss), lr=cut(curves.lr), grad_norm=cut(curves.grad_norm),
        update_ratio=cut(curves.update_ratio), val_loss=cut(curves.val_loss),
        total_steps=curves.total_steps - step - 1 if curves.total_steps
        and curves.total_steps > step + 1 else None)


def _guard_evidence(actions: tuple[GuardAction, ...]) -> tuple[Evidence, ...]:
    """One line per recovery, the last one saying what was judged."""
    out = []
    for i, a in enumerate(actions):
        lr = (f", LR {a.lr_before:.3g} -> {a.lr_after:.3g}" if a.lr_before is not None
              and a.lr_after is not None else "")
        back = f" to the weights of step {a.restored_step}" if a.restored_step is not None else ""
        tail = ("; judged: the steps after it, at the LR it set" if i == len(actions) - 1
                else "")
        out.append(Evidence(f"the guard recovered at step {a.step}{back}{lr}{tail}", "guard",
                            a.step, a.step, a.lr_after))
    return tuple(out)


def _no_lr_verdict(summary: Summary, curves: RunCurves) -> Diagnosis:
    """A run trained by several optimizers: divergence when a loss or gradient is NaN/inf, else
    no LR verdict, with each optimizer's gradient and update health as evidence."""
    first = OptimizerCurves(curves.optimizer or "optimizer 1", curves.grad_norm,
                            curves.update_ratio)
    health = [_health(o) for o in (first, *curves.other_optimizers)]
    broken = [ev for ev, ok in health if not ok]
    if summary.first_nonfinite is not None:
        broken.insert(0, Evidence(f"loss is non-finite from step {summary.first_nonfinite}",
                                  "loss", summary.first_nonfinite, summary.last_step, None))
    n = 1 + len(curves.other_optimizers)
    steps = [x.steps for o in (first, *curves.other_optimizers)
             for x in (o.grad_norm, o.update_ratio) if x is not None and len(x)]
    span = max(_span(summary), max((int(x[-1] - x[0]) + 1 for x in steps), default=0))
    if broken:
        advice = Suggestion(Action.REDUCE, None, None, None,
                            "a gradient or the loss went NaN/inf: lower the LR of the optimizer "
                            "it names")
        return Diagnosis(Status.DIVERGING, 1.0, broken[0].start_step, span, tuple(broken), advice)
    advice = Suggestion(Action.KEEP, None, None, None,
                        f"a run trained by {n} optimizers (adversarial, e.g. a GAN): its loss is "
                        "not meant to fall and says nothing of the LR; judge each optimizer's "
                        "gradient and update health (optimizers that step one loss together, "
                        "such as Muon + AdamW, are judged when recorded with shared_loss=True)")
    return Diagnosis(Status.NO_LR_VERDICT, 0.0, None, span, tuple(ev for ev, _ in health), advice)


# Update/weight ratio per step where training is usually healthy: about 1e-3 (Karpathy, "A
# Recipe for Training Neural Networks", 2019; CS231n notes, "ratio of updates to weights").
UPDATE_RATIO_RANGE = (1e-5, 1e-1)


def _health(o: OptimizerCurves) -> tuple[Evidence, bool]:
    """One optimizer's gradient and update health over its last quarter, and whether it is
    finite."""
    parts, ok, value = [], True, None
    for name, series in (("grad norm", o.grad_norm), ("update/weight ratio", o.update_ratio)):
        if series is None or not len(series):
            continue
        values = series.values[-max(1, len(series) // 4):]
        if not np.all(np.isfinite(series.values)):
            bad = int(series.steps[np.argmax(~np.isfinite(series.values))])
            parts.append(f"{name} non-finite from step {bad}")
            ok = False
            continue
        median = float(np.median(values))
        value = median if name == "grad norm" else value
        note = ""
        if name == "update/weight ratio" and not (
                UPDATE_RATIO_RANGE[0] <= median <= UPDATE_RATIO_RANGE[1]):
            note = (f" (outside {UPDATE_RATIO_RANGE[0]:g}-{UPDATE_RATIO_RANGE[1]:g}: LR "
                    + ("high" if median > UPDATE_RATIO_RANGE[1] else "low") + ")")
        parts.append(f"{name} median {median:.3g} over the last quarter{note}")
    text = "; ".join(parts) or "no gradient recorded"
    return Evidence(f"{o.label}: {text}", "grad_norm", None, None, value), ok


def _span(summary: Summary) -> int:
    b = summary.all_bins()
    if b["first"].size == 0:
        return 0
    return int(b["last"][-1] - b["first"][0] + 1)


def _peak_lr(summary: Summary) -> tuple[float | None, bool]:
    """The peak LR, what the user sets (with warmup or decay the LR at the last step is not),
    and whether the LR started below half of it: the run already has a warmup."""
    lr = summary.all_bins()["lr_last"]
    ok = lr[np.isfinite(lr) & (lr > 0)]
    if not ok.size:
        return None, False
    peak = float(ok.max())
    return peak, float(ok[0]) < 0.5 * peak
