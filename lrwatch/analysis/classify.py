"""Weigh the symptoms into one status, its confidence, and the step it began."""

from __future__ import annotations

from dataclasses import dataclass, replace

from lrwatch.analysis import detectors as d
from lrwatch.analysis.curve import Curve
from lrwatch.analysis.status_rules import Findings, Reading, ordered_clauses
from lrwatch.analysis.summary import Summary
from lrwatch.analysis.types import Evidence, RunCurves, Status, SymptomName

MIN_POINTS = 40  # finite loss points for a verdict at full confidence ...
EARLY_POINTS = 4  # ... a blow-up is called from this many points on ...
# ... and a short sparse log (12-39 points, the run SPARSE_GAP or more steps along per logged
# point: each a summary of several steps, or a log of a run already under way; public logs: 12
# of 57 tuning runs), or a log indexed by epoch (each point an epoch's summary), is judged at a
# confidence of at most SHORT_CONFIDENCE; a run logged every step from step 0 is too young to
# judge before MIN_POINTS
JUDGE_POINTS = 12
SPARSE_GAP = 2
SHORT_CONFIDENCE = 0.5
# A finished log of FEW_EPOCHS to JUDGE_POINTS epochs is read for what so few epochs can say: a
# NaN or a rise (diverging), a fall (healthy as far as those epochs tell), a flat loss at chance
# (a range test); a slow fall it leaves to a range test (real-world round 7: 26 of 33 public runs
# held 6-15 epoch points, 10-epoch MNIST sweeps and an early-stopped grid; read from 6 points,
# its slow falls were told "increase 6-21x", labelled healthy or too high, one repository)
FEW_EPOCHS = 6
# A log too short for a verdict whose loss rose (detectors.short_rise: 3 of 4 such logs labelled
# diverging, the fourth too high; on the first points of longer logs 37 of 55 diverging and 52
# too high or diverging, none healthy): diverging at no more than a short log's confidence, with
# a range test, not a move (real-world round 25); a log of every step from step 0 is left to
# its noise, as before
SHORT_RISE_CONFIDENCE = SHORT_CONFIDENCE
# "Too short to judge" is no verdict on the LR, so it carries no confidence: at 1.0 a table or a
# JSON reader saw "insufficient_data, keep, confidence 1.00" next to runs it could not judge
NO_VERDICT = 0.0


@dataclass(frozen=True)
class Verdict:
    """The classification, before it becomes a Diagnosis with a suggestion."""

    status: Status
    confidence: float
    since_step: int | None
    evidence: tuple[Evidence, ...]
    symptoms: frozenset[SymptomName] = frozenset()  # names of the symptoms found
    progress: float | None = None  # log-loss drop from the start level to the end level
    alarm: Evidence | None = None
    needed_points: int | None = None


# A loss that went NaN and stayed diverged for sure, but with no climb before it the LR is only
# one suspect (real-world corpus round 3, tuning side: 4 EEG transformer runs went NaN from a
# flat or falling loss, their sources cannot tell whether the LR caused it).
SUDDEN_NAN_CONFIDENCE = 0.7
# ... and where the loss trained for this many finite points before such a NaN, the LR held for
# all of them: if it caused the NaN it sits just past the edge of stability, so the move is a
# small one (suggest: ~2x), not the ~10x of a blow-up (real-world round 28, every side: of 21
# sudden NaNs told "reduce ~10x", the 4 EEG transformer runs above (16-bit, 30-301 points
# before the NaN; their source cannot tell the LR from a bad batch or an fp16 overflow) were
# 10x the wrong way; of the 17 labelled too high, one (DeepOBS's 3c3d at SGD 0.1, 69 epochs)
# had as many points before it, and a 2x cut is still the right way there; the rest went NaN
# within 12 points)
SUDDEN_NAN_TRAINED = MIN_POINTS // 2


def classify(curve: Curve, summary: Summary, meta: RunCurves) -> Verdict:
    """``_classify``'s verdict, or diverging where the log ends on a NaN/inf gradient norm that
    nothing else read (``detectors.gradient_gone_at_end``: a run that died before its loss
    showed it, however few points it logged)."""
    verdict = _classify(curve, summary, meta)
    if verdict.status is Status.DIVERGING:
        return verdict
    died = d.gradient_gone_at_end(meta.loss, meta.grad_norm)
    if died is None:
        return verdict
    return Verdict(Status.DIVERGING, SUDDEN_NAN_CONFIDENCE, died.since_step, (died.evidence,),
                   alarm=verdict.alarm)


def _classify(curve: Curve, summary: Summary, meta: RunCurves) -> Verdict:
    """Diverging beats oscillating beats stalled beats healthy.

    Too high shows as NaN, a blow-up (the loss ends 2x above where it started, or, with an LR
    far above the optimizer's usual range, 2x above its first loss: a blow-up at the first
    update), a cross-entropy that stays above chance level, a loss that climbs back from its
    best level, keeps spiking back above where it started or jumped 5x and came back, a NaN
    that came back, or a gradient norm that dies while the loss stays put. Noise is not any of
    these: every comparison of levels clears their standard errors.

    Progress is judged in units that fit the loss: a cross-entropy cannot fall below the data's
    entropy, so a run whose loss did not halve is slow only when it still falls steadily at the
    end; a fall that flattens toward a floor is healthy, and a flat loss (hardly moved, or flat
    over the second half) is too low an LR only far below the usual range: elsewhere it may as
    well be too high (collapsed), and the verdict says so with low confidence and a range test.
    A run that halved its loss is healthy, unless it is still falling at the end with less than
    90% of its loss gone at an LR below the top of the usual range (too low) or stopped
    improving at an LR more than a decade above that range (too high). Gradient clipping makes
    the step ``lr x clip / |g|``; a fine-tune is read against fine-tuning LRs; warmup and decay
    are read through "LR time"; a run still in warmup is never called stalled; a staircase
    (epoch boundaries) is not a stall. An adaptive optimizer's usual range moves down with the
    model's parameter count when known; a smooth run at or above its top names too high as the
    other reading, at low confidence; LIKELY_HIGH decades or more above the top it reads every
    way, and gets a range test. A loss that fell a little and then stopped reads as a
    floor, too low or too high: it leans (3x at most, low confidence) only where the LR sits far
    above the range or far below its top, else gets a range test. A slow fall with the LR not
    logged, and a loss whose only sign of too high an LR is its noise up to LR_BEYOND above the
    range, read both ways too (an open reading and a range test).
    """
    alarm = d.alarm(summary)
    alarm_ev = alarm.evidence if alarm else None
    gone = d.nonfinite(summary)
    if gone is not None:
        since = gone.since_step
        evidence = [gone.evidence]
        symptoms: frozenset[SymptomName] = frozenset()
        climb = d.climb_before_nan(curve)
        confidence = gone.strength
        if climb is not None and climb.since_step is not None and since is not None \
                and climb.since_step < since:
            since = climb.since_step
            evidence.append(climb.evidence)
        elif gone.strength >= 1.0:
            confidence = SUDDEN_NAN_CONFIDENCE
            evidence.append(Evidence(
                "the loss did not climb before it: a sudden NaN can come from the LR, or from a "
                "bad batch, an fp16 overflow or a log of 0; if it recurs at the same step with a "
                "lower LR, look at the data", "loss", since, since))
            trained = int(curve.count[curve.last < since].sum()) if curve.size and \
                since is not None else 0
            if trained >= SUDDEN_NAN_TRAINED:
                symptoms = frozenset({SymptomName.TRAINED_BEFORE_NAN})
                evidence.append(Evidence(
                    f"the loss trained for {trained} logged points at this LR before the NaN",
                    "loss", int(curve.first[0]), since, float(trained)))
        never = frozenset({SymptomName.NAN_FROM_START}) if gone.strength < 1.0 else frozenset()
        return Verdict(Status.DIVERGING, confidence, since, tuple(evidence),
                       symptoms=never | symptoms, alarm=alarm_ev)
    points = int(curve.count.sum()) if curve.size else 0
    if points < MIN_POINTS:
        early = d.early_blowup(curve) if curve.size >= EARLY_POINTS else None
        if early is not None:
            return Verdict(Status.DIVERGING, early.strength, early.since_step, (early.evidence,),
                           alarm=alarm_ev)
        # steps the run had made per logged point (from step 0: a log that starts late is of
        # a run already under way)
        per_point = (int(curve.last[-1]) + 1) / curve.size if curve.size else 0.0
        least = FEW_EPOCHS if meta.epoch_points else JUDGE_POINTS
        if points < least or (per_point < SPARSE_GAP and not meta.epoch_points):
            rise = d.short_rise(curve) if meta.epoch_points or per_point >= SPARSE_GAP \
                else None
            if rise is not None:
                return Verdict(Status.DIVERGING, SHORT_RISE_CONFIDENCE, rise.since_step,
                               (rise.evidence,), symptoms=frozenset({rise.name}),
                               alarm=alarm_ev)
            return Verdict(Status.INSUFFICIENT_DATA, NO_VERDICT, None, (), alarm=alarm_ev,
                           needed_points=JUDGE_POINTS if meta.epoch_points else MIN_POINTS)
        found = _judge(curve, summary, meta, alarm, alarm_ev)
        found = replace(found, confidence=min(found.confidence, SHORT_CONFIDENCE))
        return _few_epochs(found, points) if meta.epoch_points else found
    return _judge(curve, summary, meta, alarm, alarm_ev)


def _few_epochs(found: Verdict, points: int) -> Verdict:
    """A verdict on a short epoch log, said as what its epochs tell: under JUDGE_POINTS epochs
    a slow fall (stalled, with a move to make) is no verdict; any other status names the count."""
    if points < JUDGE_POINTS and found.status is Status.STALLED \
            and SymptomName.AMBIGUOUS not in found.symptoms:
        return Verdict(Status.INSUFFICIENT_DATA, NO_VERDICT, None, (Evidence(
            f"the loss fell slowly over {points} epochs: too low an LR or a run that needs more "
            "epochs, which so few epochs cannot tell apart", "loss"),),
            alarm=found.alarm, needed_points=JUDGE_POINTS)
    note = Evidence(f"judged on {points} epoch points: {found.status.value} as far as "
                    f"{points} epochs tell", "loss")
    return replace(found, evidence=(*found.evidence, note))


def _judge(curve: Curve, summary: Summary, meta: RunCurves, alarm: d.Symptom | None,
           alarm_ev: Evidence | None) -> Verdict:
    """The verdict of a run with enough finite points to read its shape: the first clause of
    the status rules, by precedence, that applies."""
    found = Findings(curve, summary, meta, alarm)
    for clause, rule in ordered_clauses():
        reading = clause.test(found)
        if reading is not None:
            return _verdict(rule.status, reading, found, alarm_ev)
    raise LookupError("no status rule applies: the last clause of the rules must apply to "
                      "every run")


def _verdict(status: Status, reading: Reading, found: Findings,
             alarm_ev: Evidence | None) -> Verdict:
    """A clause's reading as a verdict: its symptoms' evidence, then the run's context."""
    hits = [s for s in reading.found if s is not None]
    conf = reading.confidence if reading.confidence is not None else max(
        s.strength for s in hits)
    when = reading.since if reading.since is not None else next(
        (s.since_step for s in hits if s.since_step is not None), found.first)
    curve = found.curve
    return Verdict(status, conf, when, _said_once(hits) + found.context,
                   symptoms=frozenset(s.name for s in hits) | found.facts | reading.also,
                   alarm=alarm_ev, progress=curve.start_level - curve.end_level)


def _said_once(hits: list[d.Symptom]) -> tuple[Evidence, ...]:
    """The symptoms' evidence, with how far the loss moved said once: "loss moved only -1.0% ..."
    and "loss hardly moved: -1.0% ..." measure one fall over one span (the first one's words
    stay)."""
    seen: set[tuple[object, ...]] = set()
    kept = []
    for symptom in hits:
        e = symptom.evidence
        key = (e.signal, e.start_step, e.end_step, e.value)
        if symptom.name in _HOW_FAR_IT_MOVED:
            if key in seen:
                continue
            seen.add(key)
        kept.append(e)
    return tuple(kept)


_HOW_FAR_IT_MOVED = frozenset({SymptomName.FLAT, SymptomName.LITTLE_PROGRESS,
                               SymptomName.NO_PROGRESS})
