"""Weigh the symptoms into one status, its confidence, and the step it began."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from lrwatch.analysis import detectors as d
from lrwatch.analysis.curve import Curve
from lrwatch.analysis.optimizers import is_adaptive
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


# Confidence caps (issue 12: a confidence >= 0.9 must be right >= 97%): a status read from the
# shape of the curve alone (slow, swinging) is never that sure; only a NaN that stayed, a
# blow-up or the loss's own units are.
SHAPE_CONFIDENCE = 0.8
# A flat loss at an LR that is not far below the usual range reads two ways (too low, or so high
# the model collapsed to the mean / the unigram / chance): low confidence, a range test.
AMBIGUOUS_CONFIDENCE = 0.35
# A loss that went NaN and stayed diverged for sure, but with no climb before it the LR is only
# one suspect (real-world corpus round 3, tuning side: 4 EEG transformer runs went NaN from a
# flat or falling loss, their sources cannot tell whether the LR caused it).
SUDDEN_NAN_CONFIDENCE = 0.7
FINE_TUNE_CONFIDENCE = 0.6  # a fine-tune's loss starts near its floor: slow is a weak reading
# A loss that stopped falling after a small drop, read by the LR's place alone (far above the
# range: too high; more than a decade below its top: too low): under an even reading (issue 12:
# "being wrong with low confidence is far better"), and a move of 3x at most.
LEAN_CONFIDENCE = 0.45


def classify(curve: Curve, summary: Summary, meta: RunCurves) -> Verdict:
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
    above the range or far below its top, else gets a range test.
    """
    alarm = d.alarm(summary)
    alarm_ev = alarm.evidence if alarm else None
    gone = d.nonfinite(summary)
    if gone is not None:
        since = gone.since_step
        evidence = [gone.evidence]
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
        never = frozenset({SymptomName.NAN_FROM_START}) if gone.strength < 1.0 else frozenset()
        return Verdict(Status.DIVERGING, confidence, since, tuple(evidence), symptoms=never,
                       alarm=alarm_ev)
    points = int(curve.count.sum()) if curve.size else 0
    if points < MIN_POINTS:
        early = d.early_blowup(curve) if curve.size >= EARLY_POINTS else None
        if early is not None:
            return Verdict(Status.DIVERGING, early.strength, early.since_step, (early.evidence,),
                           alarm=alarm_ev)
        # steps the run had made per logged point (from step 0: a log that starts late is of
        # a run already under way)
        per_point = (int(curve.last[-1]) + 1) / curve.size if curve.size else 0.0
        if points < JUDGE_POINTS or (per_point < SPARSE_GAP and not meta.epoch_points):
            return Verdict(Status.INSUFFICIENT_DATA, 1.0, None, (), alarm=alarm_ev,
                           needed_points=JUDGE_POINTS if meta.epoch_points else MIN_POINTS)
        found = _judge(curve, summary, meta, alarm, alarm_ev)
        return replace(found, confidence=min(found.confidence, SHORT_CONFIDENCE))
    return _judge(curve, summary, meta, alarm, alarm_ev)


def _judge(curve: Curve, summary: Summary, meta: RunCurves, alarm: d.Symptom | None,
           alarm_ev: Evidence | None) -> Verdict:
    """The verdict of a run with enough finite points to read its shape."""
    first = int(curve.first[0])
    fine = meta.fine_tune if meta.fine_tune is not None else d.looks_fine_tuned(
        curve, meta.optimizer, meta.classes)
    prior = d.Prior(meta.optimizer, meta.momentum, bool(fine), meta.clip, meta.classes,
                    meta.param_count)
    warm, decay = d.warming_up(curve), d.decayed(curve)
    context = tuple(s.evidence for s in (warm, decay, d.update_ratio_off(curve)) if s is not None)
    facts = frozenset({SymptomName.FINE_TUNE} if fine else set())

    def verdict(status: Status, found: list[d.Symptom | None], since: int | None = None,
                confidence: float | None = None,
                also: frozenset[SymptomName] = frozenset()) -> Verdict:
        hits = [s for s in found if s is not None]
        conf = confidence if confidence is not None else max(s.strength for s in hits)
        when = since if since is not None else next(
            (s.since_step for s in hits if s.since_step is not None), first)
        return Verdict(status, conf, when, tuple(s.evidence for s in hits) + context,
                       symptoms=frozenset(s.name for s in hits) | facts | also, alarm=alarm_ev,
                       progress=curve.start_level - curve.end_level)

    def open_high() -> d.Symptom | None:
        """A healthy-looking run at or above the top of the usual range (size-aware) may as
        well be too high (real-world round 4, held-out: 7 of its 10 too-high runs fell
        smoothly and were called healthy, naming only "too low" as the other reading); not
        for a fine-tune, whose range holds full fine-tunes and LoRA alike, nor for a loss 90%
        gone (no LR could have removed much more)."""
        return d.too_high_not_excluded(curve, prior) if not fine and warm is None \
            and not d.mostly_gone(curve) else None

    far = d.lr_far_from_range(curve, prior)
    high = far if far is not None and far.name is SymptomName.LR_HIGH else None
    low = far if far is not None and far.name is SymptomName.LR_LOW else None
    # the first loss is the loss before any update: with an LR far above the usual range, a loss
    # that ends 2x above it blew up at the first update, even when the start level (the first
    # 3 points) is already above where it ends; without that prior a lucky low first batch could
    # fake it (a batch of 8 can sit 10x under the level), so it then takes 20x
    rise = d.blowup(curve, d.BLOWUP_RATIO if high is not None else d.JUMP_RATIO)
    if rise is not None:
        return verdict(Status.DIVERGING, [rise])
    if alarm is not None and alarm.strength >= 0.5 and alarm.evidence.signal == "loss":
        return verdict(Status.DIVERGING, [alarm], confidence=0.5 + 0.4 * (alarm.strength - 0.5))
    over = d.above_chance(curve, meta.classes)
    if over is not None:
        return verdict(Status.DIVERGING, [over])
    swing = d.rebound(curve) or d.spikes(curve, summary)
    if swing is not None:
        return verdict(Status.OSCILLATING, [swing],
                       confidence=min(swing.strength, SHAPE_CONFIDENCE))
    little = d.little_progress(curve, from_first=high is not None)
    stuck = d.stuck_above_first(curve) if high is not None and little is not None else None
    if stuck is not None and warm is None:
        return verdict(Status.DIVERGING, [stuck, high])
    # far above the usual range, a level that ends BLOWUP_RATIO above where it started blew up
    # even when the noise hides it from the significance test of blowup() (benchmark corpus: 8
    # diverging runs 1-3 decades above the range, their median loss 2-2.8x up, were oscillating)
    if high is not None and warm is None and \
            curve.end_level - curve.start_level > math.log(d.BLOWUP_RATIO):
        return verdict(Status.DIVERGING, [little, high])
    spike = d.recovered_spike(curve) or d.started_above_chance(curve, meta.classes)
    if spike is not None and spike.since_step is not None:
        huge = spike.name is SymptomName.RECOVERED_SPIKE and \
            (spike.evidence.value or 0) >= d.SPIKE_HUGE
        died = d.died_after(curve, spike.since_step, meta.classes) if huge else \
            d.at_chance(curve, meta.classes) \
            if spike.name is SymptomName.STARTED_ABOVE_CHANCE else None
        if died is not None:
            return verdict(Status.DIVERGING, [spike, died], confidence=died.strength * 0.8)
        # as for a blow-up: early, at an LR not far above the usual range, warmup is the fix
        if spike.name is SymptomName.STARTED_ABOVE_CHANCE and high is None and \
                d.learned_past(curve, meta.classes):
            return verdict(Status.HEALTHY, [spike], confidence=0.5,
                           also=frozenset({SymptomName.EARLY_TRANSIENT}))
        return verdict(Status.OSCILLATING, [spike])
    came_back = d.recovered_nonfinite(summary)
    if came_back is not None and came_back.strength > 0.5:
        return verdict(Status.OSCILLATING, [came_back], confidence=0.6)
    at_risk = came_back  # a single NaN step in a long log: a note, not a verdict
    # a gradient norm that falls 1000x while the loss does not even halve: the units died (a
    # loss that falls to ~0 takes its gradient with it, which is convergence)
    dead = d.grad_collapse(curve, d.GRAD_DEAD)
    if dead is not None and curve.start_level - curve.end_level < d.LITTLE_PROGRESS:
        return verdict(Status.OSCILLATING, [dead], since=first, confidence=0.6)
    # a staircase (epoch boundaries) is read only where it cannot be a slow run's: in a
    # fine-tune, or a run that halved its loss (benchmark corpus: 7 stalled runs had 2 steps)
    stairs = d.staircase(curve) if fine or little is None else None
    # with a decaying LR the tail keeps improving by annealing, not for want of LR: judge the
    # part of the run before the decay took over
    # a cross-entropy (its classes known) that did not halve, or a fine-tune's loss, has a floor
    # near: slow means falling in a straight line (STEADY); elsewhere the tuned STILL_FALLING
    floor = fine or (little is not None and d.chance_level(meta.classes) is not None)
    steady = d.STEADY if floor else d.STILL_FALLING
    falling = d.still_falling(curve, threshold=steady) if decay is None else \
        d.still_falling(curve.before_decay(), " before the LR decayed", steady)
    slow_cap = FINE_TUNE_CONFIDENCE if fine else SHAPE_CONFIDENCE
    if little is not None:
        if warm is not None:
            return verdict(Status.HEALTHY, [], confidence=0.4)
        moved = d.hardly_moved(curve)
        flat = moved or d.plateau(curve)
        collapse = d.grad_collapse(curve)
        under = d.decades_below_top(curve, prior)
        if under is not None and under > d.COLLAPSE_LOW_LR:
            collapse = None
        above = d.lr_far_from_range(curve, prior, d.LR_ABOVE)
        # far above the usual range a flat loss is held back from above; a loss that still
        # falls smoothly is not swinging, whatever the LR (clipped SGD at lr 20 trains an LSTM)
        rough = flat is not None or curve.noise > d.ROUGH_NOISE or d.swung_up(curve)
        above = above if above is not None and above.name is SymptomName.LR_HIGH and rough else None
        # a fine-tune's gradient norm falls as it adapts from pretrained weights: no dead units
        # above the usual range a cross-entropy stuck at chance level has collapsed: the run
        # is dead (made here: an MLP at SGD 0.3-1.8 sat at ln 10 for 5000 steps)
        chance = d.at_chance(curve, meta.classes)
        if above is not None and chance is not None:
            return verdict(Status.DIVERGING, [chance, above], since=first, confidence=0.6)
        if above is not None or (collapse is not None and low is None and not fine):
            return verdict(Status.OSCILLATING, [little, above, collapse], since=first,
                           confidence=0.6)
        if stairs is not None and fine:  # a fine-tune's epochs; elsewhere a slow run has them too
            return verdict(Status.HEALTHY, [stairs], confidence=0.5)
        if flat is not None:
            # more than a decade below the top of the usual range the too-high reading is
            # unlikely (the same line as for a gradient collapse, COLLAPSE_LOW_LR): too low;
            # but a loss that sits at chance level reads both ways unless the LR is far outside
            # the usual range (issue 12: "never a 100x move"; real-world round 5: classifiers at
            # chance early in their run, 1-2.5 decades below the top of SGD's range, were told
            # to increase 33-300x at 0.8 and trained well at their LR)
            if low is not None or (chance is None and under is not None
                                   and under > d.COLLAPSE_LOW_LR):
                return verdict(Status.STALLED, [little, flat, low],
                               confidence=min(little.strength, slow_cap))
            # a fine-tune starts near its floor: flat at a fine-tuning LR is no sign of a bad
            # LR; one that never moved at an LR nobody logged may be at any LR
            if fine and (moved is None or prior.range is not None and under is not None):
                return verdict(Status.HEALTHY, [flat], confidence=0.5 if moved is None else 0.4)
            return verdict(Status.STALLED, [flat, chance, low, _two_readings(prior)],
                           confidence=AMBIGUOUS_CONFIDENCE, also=frozenset({SymptomName.AMBIGUOUS}))
        # a fine-tune at a fine-tuning LR that still falls needs more steps, not more LR
        if falling is not None and high is None and (low is not None or not fine):
            return verdict(Status.STALLED, [little, falling, low],
                           confidence=min(max(falling.strength, little.strength), slow_cap))
        # a loss that fell a little and then stopped falling at a constant (or unlogged) LR is
        # no healthy approach to a floor by itself: a floor, too low or too high (real-world
        # round 5's logs and round 4's tuning side: 18 of 19 such runs were not healthy, most of
        # them a 27M GPT's sweeps, all read "healthy, keep"); lean only where the LR's place says
        # which, by at most 3x (issue 12: never a 10x move from a shape). Not a clipped SGD step
        # above the range: the range says nothing of it, and such runs flatten as they train
        # (issue 12: an LSTM LM at lr 20, clip 0.25; the healthy reading names too high)
        clipped_above = prior.clip is not None and not is_adaptive(prior.optimizer) and \
            under is not None and under < 0
        stopped = d.levelled_off(curve) if not fine and not clipped_above else None
        if stopped is not None:
            lean_high = d.stalled_high(curve, prior)
            if lean_high is not None:
                return verdict(Status.OSCILLATING, [little, stopped, lean_high],
                               confidence=LEAN_CONFIDENCE)
            if under is not None and under > d.COLLAPSE_LOW_LR:
                return verdict(Status.STALLED, [stopped, d.below_top(curve, prior)],
                               confidence=LEAN_CONFIDENCE,
                               also=frozenset({SymptomName.TOO_LOW_NOT_EXCLUDED}))
            return verdict(Status.STALLED, [little, stopped, _stopped_readings(under)],
                           confidence=AMBIGUOUS_CONFIDENCE,
                           also=frozenset({SymptomName.AMBIGUOUS}))
        high_open = open_high()
        return verdict(Status.HEALTHY, [d.flattening(curve), at_risk, high_open],
                       confidence=0.5, also=_far_above(high_open, under, prior))
    stopped = d.stopped_improving(curve)
    beyond = d.lr_far_from_range(curve, prior, d.LR_BEYOND)
    if beyond is not None and beyond.name is SymptomName.LR_HIGH and stopped is not None:
        return verdict(Status.OSCILLATING, [stopped, beyond], confidence=0.55)
    # a fine-tune that halved its loss made good progress whatever it still does
    if falling is not None and high is None and warm is None and stairs is None and not fine \
            and not d.mostly_gone(curve) and not d.learned(curve, meta.classes) \
            and not d.lr_at_top(curve, prior):
        return verdict(Status.STALLED, [falling, low],
                       confidence=min(falling.strength, slow_cap))
    flat = d.levelled_off(curve)
    # healthy far above the usual range: it trains, but where runs turn unstable (the suggestion
    # then lowers the LR a little)
    risky = beyond if beyond is not None and beyond.name is SymptomName.LR_HIGH else None
    # still falling smoothly at the end, never levelled off: healthy or too low, one run cannot
    # tell (a fine-tune's floor is near; a plateau, an LR far above the range or a loss 90% gone
    # rule it out)
    open_low = d.too_low_not_excluded(curve) if flat is None and risky is None and not fine \
        and not d.mostly_gone(curve) else None
    # ... and at an LR half a decade or more below the top of the usual range, too low is the
    # likelier reading (real-world round 4, tuning side: 13 of 16 such runs were too low)
    under = d.decades_below_top(curve, prior)
    if open_low is not None and under is not None and under >= d.LIKELY_LOW:
        return verdict(Status.STALLED, [open_low, d.below_top(curve, prior)],
                       confidence=d.OPEN_HEALTHY)
    high_open = open_high() if risky is None else None
    return verdict(Status.HEALTHY, [flat, risky, stairs, at_risk, d.steady_fall(curve), open_low,
                                    high_open],
                   confidence=0.5 if warm is not None else
                   d.OPEN_HEALTHY if open_low is not None or high_open is not None else 0.7,
                   also=_far_above(high_open, under, prior))


def _far_above(high_open: d.Symptom | None, under: float | None,
               prior: d.Prior) -> frozenset[SymptomName]:
    """A healthy-looking run LIKELY_HIGH decades or more above the top of the usual range
    reads every way (healthy, too high, too low for a small model): ambiguous, a range test.
    Not a clipped SGD step: the range says nothing of it (issue 12: an LSTM LM at lr 20, clip
    0.25, trains well)."""
    clipped = prior.clip is not None and not is_adaptive(prior.optimizer)
    far = high_open is not None and under is not None and under <= -d.LIKELY_HIGH \
        and not clipped
    return frozenset({SymptomName.AMBIGUOUS}) if far else frozenset()


def _two_readings(prior: d.Prior) -> d.Symptom:
    """The evidence of a flat loss that one run cannot read: too low or too high."""
    where = "an LR in the usual range" if prior.range is not None else "this LR"
    msg = (f"at {where} a flat loss reads two ways: too low an LR (it never got going) or too "
           "high (the model collapsed to predicting the mean, the unigram or chance level); one "
           "run cannot tell them apart: a short range test can")
    return d.Symptom(SymptomName.AMBIGUOUS, AMBIGUOUS_CONFIDENCE, Evidence(msg, "lr"))


def _stopped_readings(under: float | None) -> d.Symptom:
    """The evidence of a loss that fell a little and stopped, where the LR's place does not tip
    it: its readings, and the test that tells them apart."""
    if under is None:
        where = "with the LR unknown"
        readings = "a floor (the data's entropy), too low an LR or too high"
    elif under <= d.LR_AT_TOP:
        where, readings = "at or above the top of the usual range", "a floor or too high an LR"
    else:
        where, readings = "within the usual range", "a floor, too low an LR or too high"
    msg = (f"{where} a loss that fell a little and stopped reads as {readings} (a too-high LR "
           "stalls high, a too-low one never gets going); one run cannot tell them apart: a "
           "short range test can")
    return d.Symptom(SymptomName.AMBIGUOUS, AMBIGUOUS_CONFIDENCE, Evidence(msg, "lr"))
