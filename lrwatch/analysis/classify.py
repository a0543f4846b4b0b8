"""Weigh the symptoms into one status, its confidence, and the step it began."""

from __future__ import annotations

from dataclasses import dataclass

from lrwatch.analysis import detectors as d
from lrwatch.analysis.curve import Curve
from lrwatch.analysis.summary import Summary
from lrwatch.analysis.types import Evidence, Status

MIN_POINTS = 40  # finite loss points needed before a run is judged


@dataclass(frozen=True)
class Verdict:
    status: Status
    confidence: float
    since_step: int | None
    evidence: tuple[Evidence, ...]
    symptoms: frozenset[str] = frozenset()  # names of the symptoms found
    alarm: Evidence | None = None
    needed_points: int | None = None


def classify(curve: Curve, summary: Summary) -> Verdict:
    """Diverging beats oscillating beats stalled beats healthy; context symptoms (warmup,
    decay, a levelled-off loss) travel along as evidence."""
    alarm = d.alarm(summary)
    alarm_ev = alarm.evidence if alarm else None
    gone = d.nonfinite(summary)
    if gone is not None:
        since = gone.since_step
        evidence = [gone.evidence]
        climb = d.climb_before_nan(curve)
        if climb is not None and climb.since_step is not None and since is not None \
                and climb.since_step < since:
            since = climb.since_step
            evidence.append(climb.evidence)
        return Verdict(Status.DIVERGING, gone.strength, since, tuple(evidence), alarm=alarm_ev)
    points = int(curve.count.sum()) if curve.size else 0
    if points < MIN_POINTS:
        return Verdict(Status.INSUFFICIENT_DATA, 1.0, None, (), alarm=alarm_ev,
                       needed_points=MIN_POINTS)
    context = [s for s in (d.warming_up(curve), d.decayed(curve)) if s is not None]
    context_ev = tuple(s.evidence for s in context)
    rise = d.blowup(curve)
    if rise is not None:
        return Verdict(Status.DIVERGING, rise.strength, rise.since_step,
                       (rise.evidence, *context_ev), alarm=alarm_ev)
    if alarm is not None and alarm.strength >= 0.5 and alarm.evidence.signal == "loss":
        return Verdict(Status.DIVERGING, 0.5 + 0.4 * (alarm.strength - 0.5), alarm.since_step,
                       (alarm.evidence, *context_ev), alarm=alarm_ev)
    swing = d.rebound(curve)
    if swing is not None:
        return Verdict(Status.OSCILLATING, swing.strength, swing.since_step,
                       (swing.evidence, *context_ev), alarm=alarm_ev)
    slow = d.slow_progress(curve)
    warm = next((s for s in context if s.name == "warmup"), None)
    if slow is not None and warm is None:
        return Verdict(Status.STALLED, slow.strength, slow.since_step, (slow.evidence, *context_ev),
                       symptoms=frozenset({slow.name}), alarm=alarm_ev)
    flat = d.levelled_off(curve)
    evidence = tuple(s.evidence for s in (flat,) if s is not None) + context_ev
    confidence = 0.5 if warm is not None else 0.7
    names = frozenset(s.name for s in (flat, *context) if s is not None)
    return Verdict(Status.HEALTHY, confidence, int(curve.first[0]), evidence, symptoms=names,
                   alarm=alarm_ev)
