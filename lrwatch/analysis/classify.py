"""Weigh the symptoms into one status, its confidence, and the step it began."""

from __future__ import annotations

from dataclasses import dataclass

from lrwatch.analysis import detectors as d
from lrwatch.analysis.curve import Curve
from lrwatch.analysis.summary import Summary
from lrwatch.analysis.types import Evidence, Status

MIN_POINTS = 40  # finite loss points needed before a run is judged ...
EARLY_POINTS = 4  # ... except a blow-up, called from this many points on


@dataclass(frozen=True)
class Verdict:
    """The classification, before it becomes a Diagnosis with a suggestion."""

    status: Status
    confidence: float
    since_step: int | None
    evidence: tuple[Evidence, ...]
    symptoms: frozenset[str] = frozenset()  # names of the symptoms found
    progress: float | None = None  # log-loss drop from the start level to the end level
    alarm: Evidence | None = None
    needed_points: int | None = None


def classify(curve: Curve, summary: Summary, optimizer: str | None = None,
             momentum: float | None = None) -> Verdict:
    """Diverging beats oscillating beats stalled beats healthy.

    Too high shows as NaN, a blow-up (the loss ends 2x above where it started, or, with an LR
    far above the optimizer's usual range, 2x above its first loss: a blow-up at the first
    update), a loss that climbs back from its best level or keeps spiking back above where it
    started, or a gradient norm that dies while the loss stays put. Noise is not any of these:
    every comparison of levels clears their standard errors. A run that made little progress is
    too low, unless its LR is above the optimizer's usual range or its gradient norm collapsed
    (then too high). A run that made progress is healthy, unless it is still falling at the end
    with less than 90% of its loss gone at an LR below the top of the usual range (too low) or
    stopped improving at an LR more than a decade above that range (too high). Warmup and decay
    are read through "LR time"; a run still in warmup is never called stalled.
    """
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
        early = d.early_blowup(curve) if curve.size >= EARLY_POINTS else None
        if early is not None:
            return Verdict(Status.DIVERGING, early.strength, early.since_step, (early.evidence,),
                           alarm=alarm_ev)
        return Verdict(Status.INSUFFICIENT_DATA, 1.0, None, (), alarm=alarm_ev,
                       needed_points=MIN_POINTS)
    first = int(curve.first[0])
    warm, decay = d.warming_up(curve), d.decayed(curve)
    context = tuple(s.evidence for s in (warm, decay, d.update_ratio_off(curve)) if s is not None)

    def verdict(status: Status, found: list[d.Symptom | None], since: int | None = None,
                confidence: float | None = None) -> Verdict:
        hits = [s for s in found if s is not None]
        conf = confidence if confidence is not None else max(s.strength for s in hits)
        when = since if since is not None else next(
            (s.since_step for s in hits if s.since_step is not None), first)
        return Verdict(status, conf, when, tuple(s.evidence for s in hits) + context,
                       symptoms=frozenset(s.name for s in hits), alarm=alarm_ev,
                       progress=curve.start_level - curve.end_level)

    far = d.lr_far_from_range(curve, optimizer, momentum)
    high = far if far is not None and far.name == "lr_high" else None
    low = far if far is not None and far.name == "lr_low" else None
    # the first loss is the loss before any update: with an LR far above the usual range, a loss
    # that ends 2x above it blew up at the first update, even when the start level (the first
    # 3 points) is already above where it ends; without that prior a lucky low first batch could
    # fake it (a batch of 8 can sit 10x under the level), so it then takes 20x
    rise = d.blowup(curve, d.BLOWUP_RATIO if high is not None else d.JUMP_RATIO)
    if rise is not None:
        return verdict(Status.DIVERGING, [rise])
    if alarm is not None and alarm.strength >= 0.5 and alarm.evidence.signal == "loss":
        return verdict(Status.DIVERGING, [alarm], confidence=0.5 + 0.4 * (alarm.strength - 0.5))
    swing = d.rebound(curve) or d.spikes(curve, summary)
    if swing is not None:
        return verdict(Status.OSCILLATING, [swing])
    # a gradient norm that falls 1000x while the loss does not even halve: the units died (a
    # loss that falls to ~0 takes its gradient with it, which is convergence)
    dead = d.grad_collapse(curve, d.GRAD_DEAD)
    if dead is not None and curve.start_level - curve.end_level < d.LITTLE_PROGRESS:
        return verdict(Status.OSCILLATING, [dead], since=first, confidence=0.6)
    little = d.little_progress(curve, from_first=high is not None)
    if little is not None:
        if warm is not None:
            return verdict(Status.HEALTHY, [], confidence=0.4)
        stuck = d.stuck_above_first(curve) if high is not None else None
        if stuck is not None:
            return verdict(Status.DIVERGING, [stuck, high])
        collapse = d.grad_collapse(curve)
        under = d.decades_below_top(curve, optimizer, momentum)
        if under is not None and under > d.COLLAPSE_LOW_LR:
            collapse = None
        above = d.lr_far_from_range(curve, optimizer, momentum, d.LR_ABOVE)
        above = above if above is not None and above.name == "lr_high" else None
        if above is not None or (collapse is not None and low is None):
            return verdict(Status.OSCILLATING, [little, above, collapse], since=first,
                           confidence=0.6)
        return verdict(Status.STALLED, [little, low])
    stopped = d.stopped_improving(curve)
    beyond = d.lr_far_from_range(curve, optimizer, momentum, d.LR_BEYOND)
    if beyond is not None and beyond.name == "lr_high" and stopped is not None:
        return verdict(Status.OSCILLATING, [stopped, beyond], confidence=0.55)
    # with a decaying LR the tail keeps improving by annealing, not for want of LR: judge the
    # part of the run before the decay took over
    falling = d.still_falling(curve) if decay is None else \
        d.still_falling(curve.before_decay(), " before the LR decayed")
    if falling is not None and high is None and warm is None and not d.mostly_gone(curve) \
            and not d.lr_at_top(curve, optimizer, momentum):
        return verdict(Status.STALLED, [falling, low])
    flat = d.levelled_off(curve)
    # healthy far above the usual range: it trains, but where runs turn unstable (the suggestion
    # then lowers the LR a little)
    risky = beyond if beyond is not None and beyond.name == "lr_high" else None
    return verdict(Status.HEALTHY, [flat, risky], confidence=0.5 if warm is not None else 0.7)
