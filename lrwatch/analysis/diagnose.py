"""``analyze``: from a run's curves to a :class:`Diagnosis`."""

from __future__ import annotations

import math
import numbers

import numpy as np

from lrwatch.analysis.classify import classify
from lrwatch.analysis.curve import curve_from
from lrwatch.analysis.prepare import align
from lrwatch.analysis.suggest import suggest
from lrwatch.analysis.summary import Summary
from lrwatch.analysis.types import Diagnosis, RunCurves, Status
from lrwatch.errors import ConfigError


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
    summary = Summary()
    summary.extend(*align(curves))
    return diagnose(summary, curves, target_batch_size=target_batch_size)


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
                     target_batch_size=target_batch_size, warmed_up=warmed_up)
    span = _span(summary)
    needed = None
    if verdict.status is Status.INSUFFICIENT_DATA and verdict.needed_points:
        gaps = np.diff(summary.tail_steps)
        spacing = max(1.0, float(np.median(gaps))) if gaps.size else 1.0
        needed = int(math.ceil(verdict.needed_points * spacing))
    return Diagnosis(status=verdict.status, confidence=float(np.clip(verdict.confidence, 0, 1)),
                     since_step=verdict.since_step, steps=span, evidence=verdict.evidence,
                     suggestion=advice, needed_steps=needed, alarm=verdict.alarm)


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
