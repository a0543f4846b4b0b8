"""From a status to an LR suggestion: how much to change, to what, and why.

Each status's own advice (action, factor, wording) is its rule's, in ``status_rules``; here is
what every status shares: the usual-range moves, the caps, the range test and batch scaling.

The field's rules: too high and diverging, reduce ~10x; only oscillating, ~3x; blowing up within
the first few percent of steps with an LR in the usual range, add warmup (and lower the peak ~3x:
on the tuning sweeps every such run had its sweep's best LR 3-100x lower, and the one that
already warmed up blew up too; a run that already warmed up is told to reduce); too low,
increase 3-10x or run a range test; healthy, keep, and consider decay once the loss levels off
(a healthy run far above the usual range: try ~3x lower, it sits where runs turn unstable). A
linked range test picks the LR when it points the right way. A new batch size scales the result
linearly for SGD and by its square root for Adam-style optimizers (Goyal et al. 2017; Malladi et
al. 2022).

Two refinements make the step proportional to the evidence, always within MAX_STEP:
- too low: while the LR is small the loss falls in proportion to it (gradient flow: the curve
  depends on the cumulative LR only), so a run that fell by ``drop`` (log) needs about
  ``GOOD_DROP / drop`` times the LR to make the drop a good LR makes: at least 3x, more the less
  it moved (a run that fell 1% asks for 230x).
- the optimizer's usual range: from far above it, the LR goes down to its top; a run that made
  little progress below the top goes up to the top, since the best LR of a run is usually the
  largest stable one, at or above the top of the usual range (on the tuning tasks the sweeps'
  best LRs sit there, and the LRs of stalled runs are 30-1000x below them, more than their
  progress alone says); never more than MAX_STEP at once, since the usual ranges are priors,
  and an oscillating run only two thirds of the way down (in decades, at least the field's ~10x).
"""

from __future__ import annotations

import math

from lrwatch.analysis.optimizers import (
    FINE_TUNE_MAX_INCREASE,
    LR_FAR,
    fine_tune_or_too_low,
    batch_scale,
    is_lr_free,
    plausible_max,
    typical_range,
)
from lrwatch.analysis.status_rules import MAX_STEP, AdviceContext, StatusRule, rule_for
from lrwatch.analysis.types import (
    Action,
    RangeTestSummary,
    RunCurves,
    Status,
    Suggestion,
    SymptomName,
)

# A loss that hardly moved (less than ~10%, or not at all), or fell less than half and still
# falls, is held back: its increase goes to the top of the usual range. One that fell 10-50% and
# then went flat (a PLATEAU) inside the usual range is not: "did not halve" is no stall where the
# floor is unknown, and the flat stretch does not say the LR is too low (real-world round 22,
# every side: such runs were told 10x or more the wrong way at 0.7 from 3 sources, an NT-Xent
# encoder at its best LR, DeepOBS's 3c3d at momentum 0.99, an IMDB classifier under Signum), so
# it takes stall_factor's move; below the range, the LR's place says too low and it still goes
# to the top (the benchmark corpus's stalled sweeps: within 3x of the best 39% -> 37% without).
HARDLY_MOVED = frozenset({SymptomName.NO_PROGRESS, SymptomName.FLAT})
LITTLE_MOVED = frozenset({SymptomName.LITTLE_PROGRESS})
# an increase capped below this (the LR at the optimizer's plausible maximum) is no move at all
NO_ROOM = 1.5
# An oscillating run sits at its edge of stability, not past it: from far above the usual range
# it goes two thirds of the way (in decades) toward the range's top, at least the ~10x of the
# field's rule for too high (the whole way when closer), and is read again at the new LR; a
# diverging run still goes to the top. The range is a prior: small models train 1-2 decades
# above it. Diagnosis round 38, tuned on the benchmark corpus's tuning sweeps and the real-world
# corpus's one-run reduces whose label names the sweep's best LR (every side evaluated through
# round 41), to the top / 10x at most / two thirds: corpus within 3x of the best 38% / 34% / 39%;
# real-world within 3x made 29 / 54 / 47 of 91, public 49 / 46 / 48 of 144; cut 10x or more below
# the best 28 / 10 / 12, left 10x or more above it 53 / 62 / 59 (a run left too high is told to
# reduce again; one cut below its best often reads healthy, and stays there).
OSCILLATING_SHARE = 2 / 3
OSCILLATING_LEAST_CUT = 10.0


def suggest(status: Status, curves: RunCurves, peak_lr: float | None, *,
            since_step: int | None, first_step: int,
            symptoms: frozenset[SymptomName] = frozenset(), progress: float | None = None,
            target_batch_size: int | None = None, warmed_up: bool = False,
            last_step: int | None = None) -> Suggestion:
    """The suggestion for a run in ``status``: one action, one factor, stated once at the end
    of the rationale.

    Args:
        status: the diagnosis.
        curves: the run (optimizer, batch size, planned steps, range test, clipping).
        peak_lr: the peak LR of the run (None when unknown).
        since_step: where the status began (for the warmup rule).
        first_step: the run's first step.
        symptoms: names of the symptoms found ("ambiguous": a flat loss one run cannot read, or
            a healthy-looking run 3x or more above the usual range, a range test;
            "nan_from_start": a loss never finite, inputs first, then a range test;
            "no_progress": a range test when the LR is unknown; "fine_tune": moves within
            fine-tuning LRs; "died", "at_chance" when diverging: re-initialise; "levelled_off"
            on a healthy run: add decay; "early_transient" on a healthy run: a blow-up in the
            first steps it learned past, add warmup and keep the peak LR;
            "too_low_not_excluded": on a healthy run keep, naming the test for too low; on a
            stalled one increase ~3x, no more; "too_high_not_excluded": on a healthy run keep,
            naming the test for too high).
        progress: the log-loss drop over the run, which sizes the increase of a stalled run.
        target_batch_size: the batch size the next run will use, for batch-size scaling.
        warmed_up: the LR already ramped up from below half its peak (no warmup to add).
        last_step: the last logged step (where a blow-up began in the run, when its planned
            steps are unknown).
    """
    lr = peak_lr if peak_lr is not None and math.isfinite(peak_lr) and peak_lr > 0 else None
    lr_free = is_lr_free(curves.optimizer)
    fine = SymptomName.FINE_TUNE in symptoms
    # with clipping the step is lr x clip / |g|: the LR's usual range says nothing about it
    rng = None if curves.clip is not None else typical_range(curves.optimizer, curves.momentum,
                                                             fine, curves.param_count)
    usual = "fine-tuning range" if fine else "usual"
    rule = rule_for(status)
    advice = rule.advise(AdviceContext(curves, lr, rng, since_step, first_step, symptoms,
                                       progress, warmed_up, lr_free, last_step))
    action, factor, reasons = advice.action, advice.factor, list(advice.reasons)
    if factor is not None:
        factor = _within_priors(rule, action, factor, lr, rng, curves, symptoms, reasons, usual)
    if action is Action.INCREASE and factor is not None and factor < NO_ROOM:
        # the LR already sits at what the optimizer plausibly takes: "increase ~1x" says nothing,
        # and a slow fall there reads as too high an LR as well
        action, factor = Action.RANGE_TEST, None
        reasons.append("the LR is already at that most, where a slow fall reads as too high an "
                       "LR as well as too low: run a range test (lrwatch's find_lr) or a short "
                       "run at ~3x lower LR before moving it")
    if factor is not None and lr_free and rule.lr_wrong:
        reasons.append(f"{curves.optimizer} sets its own step size (lr ~ 1 is expected): scale "
                       "its lr as a multiplier, or its d_coef")
    if factor is not None and lr is not None and curves.range_test is not None \
            and action in (Action.REDUCE, Action.INCREASE):
        picked = _from_range_test(curves.range_test, lr, factor)
        if picked is not None:
            factor = picked / lr
            reasons.append(f"the linked range test points to {picked:.3g}")
    scale = batch_scale(curves.optimizer, curves.batch_size, target_batch_size)
    if factor is not None and scale != 1.0:
        factor *= scale
        linear = abs(scale - (target_batch_size or 0) / (curves.batch_size or 1)) < 1e-12
        rule = "linear" if linear else "square-root"
        reasons.append(f"scaled for batch size {curves.batch_size} -> {target_batch_size} "
                       f"({rule} scaling for {curves.optimizer or 'this optimizer'})")
    suggested = None
    if factor is not None:
        factor = min(max(factor, 1e-12), 1e12)  # an LR logged as a denormal must not give inf
        suggested = lr * factor if lr is not None else None
        if suggested is not None and not math.isfinite(suggested):  # an LR near float max
            suggested = None
        # a keep in warmup keeps the schedule, not the LR it has reached so far
        if factor != 1.0 or action not in (Action.ADD_DECAY, Action.KEEP) \
                or action is Action.KEEP and SymptomName.WARMUP not in symptoms:
            reasons.append(_move(action, factor, lr, suggested))
    if lr is None and factor is not None and action is not Action.KEEP:
        reasons.append("the LR was not logged: apply the factor to your current LR")
    return Suggestion(action=action, peak_lr=lr, suggested_lr=suggested, factor=factor,
                      rationale="; ".join(reasons))


def _within_priors(rule: StatusRule, action: Action, factor: float, lr: float | None,
                   rng: tuple[float, float] | None, curves: RunCurves,
                   symptoms: frozenset[SymptomName], reasons: list[str], usual: str) -> float:
    """The factor moved toward the optimizer's usual range and kept within what is plausible:
    from far above the range down to its top, from below it (held back) up to its top, both at
    most MAX_STEP away (an oscillating run ``OSCILLATING_SHARE`` of the way down); a fine-tune up
    at most FINE_TUNE_MAX_INCREASE; an increase never past the optimizer's plausible maximum."""
    if lr is not None and rng is not None and action in (Action.REDUCE, Action.INCREASE):
        low, top = rng
        held_back = bool(HARDLY_MOVED & symptoms) or (
            bool(LITTLE_MOVED & symptoms) and (SymptomName.PLATEAU not in symptoms or lr < low))
        # a lean toward too low (TOO_LOW_NOT_EXCLUDED) is one step, as the advice says
        far_above = lr > top * 10 ** LR_FAR
        below = lr < top and held_back and SymptomName.TOO_LOW_NOT_EXCLUDED not in symptoms
        move = min(max(top / lr, 1 / MAX_STEP), MAX_STEP)
        # an oscillating run more than OSCILLATING_LEAST_CUT above the top goes part of the way
        share = action is Action.REDUCE and rule.status is Status.OSCILLATING \
            and lr > top * OSCILLATING_LEAST_CUT
        if share:
            decades = max(math.log10(OSCILLATING_LEAST_CUT),
                          OSCILLATING_SHARE * math.log10(lr / top))
            move = max(10 ** -decades, 1 / MAX_STEP)
        # a lean read off the LR's place alone moves 3x, never to the range (issue 12), and so
        # does a run that halved its loss before it stopped improving: it trained, the range is
        # a prior (rounds 4-6: 7 such runs, all made here, 3 of them healthy and told to reduce
        # 19-33x, from 2 families; the 4 too high still go down, 3x)
        if ((action is Action.REDUCE and far_above and move < factor
             and rule.lr_wrong and SymptomName.STALLED_HIGH not in symptoms
             and SymptomName.STOPPED_IMPROVING not in symptoms)
                or (action is Action.INCREASE and below and move > factor)) \
                and math.isfinite(move):
            factor = move
            how = (f"two thirds of the way there (in decades), at least "
                   f"{OSCILLATING_LEAST_CUT:g}x, ") if share else ""
            reasons.append(f"{lr:.3g} is {'far above' if far_above else 'below'} "
                           f"{curves.optimizer}'s {usual} {low:.3g}-{top:.3g}: toward the top "
                           f"of that range, {how}at most {MAX_STEP:g}x at once")
    # a fine-tune's LR goes up at most FINE_TUNE_MAX_INCREASE at a time; so does one at a
    # fine-tune's usual LR where nothing says whether the run is a fine-tune (issue 12:
    # "increase 300x" on a fine-tune at 2e-5 wrecks the pretrained weights)
    fine = SymptomName.FINE_TUNE in symptoms
    maybe_fine = not fine and lr is not None and curves.fine_tune is None \
        and curves.clip is None \
        and fine_tune_or_too_low(curves.optimizer, lr, curves.momentum, curves.param_count)
    if action is Action.INCREASE and factor > FINE_TUNE_MAX_INCREASE and (fine or maybe_fine):
        factor = FINE_TUNE_MAX_INCREASE
        reasons.append(
            f"a fine-tune's LR goes up a little at a time (at most {FINE_TUNE_MAX_INCREASE:g}x)"
            if fine else
            f"{lr:.3g} is a fine-tune's usual LR, though far too low from scratch, and nothing "
            f"says which this run is: at most {FINE_TUNE_MAX_INCREASE:g}x (say which: "
            "--fine-tune or --from-scratch, or fine_tune=)")
    top = plausible_max(curves.optimizer, curves.momentum, curves.clip)
    if action is Action.INCREASE and lr is not None and top is not None and lr * factor > top:
        factor = max(top / lr, 1.0)
        reasons.append(f"no higher than ~{top:g}, the most {curves.optimizer} plausibly takes")
    return factor


def _move(action: Action, factor: float, lr: float | None, suggested: float | None) -> str:
    """The one statement of the move: "reduce the LR ~10x (0.5 -> 0.05)"."""
    to = f" ({lr:.3g} -> {suggested:.3g})" if lr is not None and suggested is not None else ""
    if action is Action.ADD_WARMUP:
        return f"warm up to a ~{_times(1 / factor)} lower peak{to}"
    if factor < 1:
        return f"reduce the LR ~{_times(1 / factor)}{to}"
    if factor > 1:
        verb = "increase" if action is Action.INCREASE else "scale"
        return f"{verb} the LR ~{_times(factor)}{to}"
    return "keep the LR" + (f" ({lr:.3g})" if lr is not None else "")


def _times(x: float) -> str:
    return f"{x:.0f}x" if x >= 10 else f"{x:.2g}x"


def _from_range_test(rt: RangeTestSummary, lr: float, factor: float) -> float | None:
    """The range test's LR when it lies the way the diagnosis points, clipped to its range."""
    picked = rt.suggested_lr
    if not (math.isfinite(picked) and picked > 0):
        return None
    low, high = min(rt.lower_lr, rt.upper_lr), max(rt.lower_lr, rt.upper_lr)
    if math.isfinite(low) and math.isfinite(high) and 0 < low < high:
        picked = min(max(picked, low), high)
    if (factor < 1 and picked < lr) or (factor > 1 and picked > lr):
        return picked
    return None
