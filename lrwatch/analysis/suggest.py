"""From a status to an LR suggestion: how much to change, to what, and why.

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
  progress alone says); never more than MAX_STEP at once, since the usual ranges are priors.
"""

from __future__ import annotations

import math

from lrwatch.analysis.optimizers import (
    FINE_TUNE_MAX_INCREASE,
    LR_FAR,
    batch_scale,
    is_adaptive,
    is_lr_free,
    plausible_max,
    typical_range,
)
from lrwatch.analysis.types import (
    Action,
    RangeTestSummary,
    RunCurves,
    Status,
    Suggestion,
    SymptomName,
)

EARLY_SHARE = 0.05  # "the first few percent of steps": where a blow-up asks for warmup
# No suggestion changes the LR by more than this factor (2.5 decades) at once: the usual ranges
# are priors, but a stalled run sits 30-1000x below its sweep's best LR (tuning tasks), and a cap
# of 100x left the stalled runs' median factor to their best LR at 10x (300x: 3.3x).
MAX_STEP = 300.0
# The log-loss drop a well-chosen LR makes over a run (a 10x lower loss); a stalled run that fell by
# less is asked for GOOD_DROP / drop times its LR (3x at least).
GOOD_DROP = math.log(10.0)
# a blow-up (or NaN) that came back: an LR at the edge of stability
CAME_BACK = frozenset({SymptomName.RECOVERED_SPIKE, SymptomName.RECOVERED_NAN,
                       SymptomName.STARTED_ABOVE_CHANCE})
# a loss that made little progress: a move toward the usual range is held back only then
HARDLY_MOVED = frozenset({SymptomName.LITTLE_PROGRESS, SymptomName.NO_PROGRESS, SymptomName.FLAT})
# A smooth fall that cannot exclude a too-low LR, well below the usual range: the step a second
# run should take to tell (the evidence says "likelier", not "sure": no more than that).
OPEN_LOW_STEP = 3.0


def suggest(status: Status, curves: RunCurves, peak_lr: float | None, *,
            since_step: int | None, first_step: int,
            symptoms: frozenset[SymptomName] = frozenset(), progress: float | None = None,
            target_batch_size: int | None = None, warmed_up: bool = False) -> Suggestion:
    """The suggestion for a run in ``status``: one action, one factor, stated once at the end
    of the rationale.

    Args:
        status: the diagnosis.
        curves: the run (optimizer, batch size, planned steps, range test, clipping).
        peak_lr: the peak LR of the run (None when unknown).
        since_step: where the status began (for the warmup rule).
        first_step: the run's first step.
        symptoms: names of the symptoms found ("ambiguous": a flat loss one run cannot read, or
            a healthy-looking run 3x or more above the usual range, a range test; "nan_from_start": a loss never finite, inputs first, then a range test;
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
    """
    lr = peak_lr if peak_lr is not None and math.isfinite(peak_lr) and peak_lr > 0 else None
    lr_free = is_lr_free(curves.optimizer)
    fine = SymptomName.FINE_TUNE in symptoms
    # with clipping the step is lr x clip / |g|: the LR's usual range says nothing about it
    rng = None if curves.clip is not None else typical_range(curves.optimizer, curves.momentum,
                                                             fine, curves.param_count)
    usual = "fine-tuning range" if fine else "usual"
    reasons: list[str] = []
    factor: float | None
    if status is Status.DIVERGING and SymptomName.NAN_FROM_START in symptoms:
        action, factor = Action.RANGE_TEST, None
        reasons.append("the loss was never finite, so no LR can be blamed yet: check the inputs "
                       "and the loss function, then let a range test pick the LR")
    elif status is Status.DIVERGING:
        action, factor = Action.REDUCE, 0.1
        early = _early(since_step, first_step, curves.total_steps)
        in_range = lr is not None and rng is not None and lr <= rng[1]
        if {SymptomName.DIED, SymptomName.AT_CHANCE} & symptoms:
            reasons.append("the loss blew up and the weights did not survive it: re-initialise "
                           "(or restart from a checkpoint before the blow-up)")
        elif early and in_range and not lr_free and not warmed_up:
            action, factor = Action.ADD_WARMUP, 1 / 3
            reasons.append("it blew up in the first few percent of steps with an LR in the usual "
                           f"range for {curves.optimizer}: warm up over ~5% of the steps")
        elif early and warmed_up:
            reasons.append("it blew up although the LR warmed up")
        else:
            reasons.append("the loss diverged")
    elif status is Status.OSCILLATING:
        action, factor = Action.REDUCE, 1 / 3
        if CAME_BACK & symptoms:
            reasons.append("a blow-up that came back is an LR at the edge of stability (or clip "
                           "the gradients)")
        elif SymptomName.STALLED_HIGH in symptoms:
            reasons.append("the loss stopped falling after a small drop, far above the usual "
                           "range: too high is the likelier reading, not a certain one (a range "
                           "test tells for sure)")
        else:
            reasons.append("the loss does not settle")
    elif status is Status.STALLED and SymptomName.AMBIGUOUS in symptoms:
        action, factor = Action.RANGE_TEST, None
        reasons.append("a flat loss here may mean too low or too high an LR: run a range test "
                       "(lrwatch's find_lr) before moving it")
    elif status is Status.STALLED and SymptomName.TOO_LOW_NOT_EXCLUDED in symptoms:
        action, factor = Action.INCREASE, OPEN_LOW_STEP
        # an unknown size reads an adaptive optimizer's LR against a small model's range
        assumed = curves.param_count is None and is_adaptive(curves.optimizer) and not fine
        shape = "it fell a little and stopped" if SymptomName.LEVELLED_OFF in symptoms else \
            "it still falls smoothly at the end"
        reasons.append(f"{shape}, at an LR well below the top of the "
                       "usual range" + (" of a small model" if assumed else "") + ": too low is "
                       "the likelier reading, not a certain one (a range test tells for sure)")
    elif status is Status.STALLED:
        action, factor = Action.INCREASE, stall_factor(progress)
        if SymptomName.NO_PROGRESS in symptoms and lr is None:
            action = Action.RANGE_TEST
        reasons.append("the loss falls too slowly for its LR"
                       + (" (or run a range test)" if factor >= 10 else ""))
    elif status is Status.HEALTHY and SymptomName.EARLY_TRANSIENT in symptoms:
        action, factor = Action.ADD_WARMUP, None
        reasons.append("it blew up in its first steps and learned well past it: keep the peak LR "
                       + ("and lengthen the warmup" if warmed_up
                          else "and warm up over ~5% of the steps"))
    elif status is Status.HEALTHY and SymptomName.AMBIGUOUS in symptoms:
        action, factor = Action.RANGE_TEST, None
        reasons.append("healthy as far as one run tells, but 3x or more above the top of the "
                       "usual range a smooth fall looks the same at the best LR, past it and "
                       "(a small model) below it: run a range test (lrwatch's find_lr) or short "
                       "runs at ~3x lower and higher LR before keeping it")
    elif status is Status.HEALTHY and SymptomName.LR_HIGH in symptoms:
        action, factor = Action.REDUCE, 1 / 3
        reasons.append(f"it trains, but far above {curves.optimizer}'s usual range, where runs "
                       "turn unstable: a lower LR is likely as good and safer")
    elif status is Status.HEALTHY and SymptomName.LEVELLED_OFF in symptoms:
        action, factor = Action.ADD_DECAY, 1.0
        reasons.append("the loss has levelled off at a constant LR: keep the peak LR and decay it "
                       "(cosine or step) to lower the noise floor")
    elif status is Status.HEALTHY and SymptomName.TOO_HIGH_NOT_EXCLUDED in symptoms:
        action, factor = Action.KEEP, 1.0
        both = SymptomName.TOO_LOW_NOT_EXCLUDED in symptoms
        other = ("too high or too low an LR, run a range test (lrwatch's find_lr) or short runs "
                 "at ~3x lower and at 3x higher LR" if both else "too high an LR, run a range "
                 "test (lrwatch's find_lr) or a short run at ~3x lower LR")
        reasons.append(f"smooth decrease at the top of the usual range: keep it, or, to rule out "
                       f"{other} and keep whichever gets lower")
    elif status is Status.HEALTHY and SymptomName.TOO_LOW_NOT_EXCLUDED in symptoms:
        action, factor = Action.KEEP, 1.0
        reasons.append("smooth, steady decrease, still falling at the end: keep it, or, to rule "
                       "out too low an LR, run a range test (lrwatch's find_lr) or a short run "
                       "at ~3x the LR and keep whichever gets lower")
    elif status is Status.HEALTHY:
        action, factor = Action.KEEP, 1.0
        reasons.append("smooth, steady decrease")
    elif status is Status.INSUFFICIENT_DATA:
        action, factor = Action.KEEP, 1.0
        reasons.append("not enough steps to judge yet")
    else:  # a status classify gives must have its advice here, not "too short" by default
        raise ValueError(f"suggest() has no advice for status {status.value!r}")
    if status is Status.HEALTHY and SymptomName.RECOVERED_NAN in symptoms:
        reasons.append("a NaN came back once: if it recurs, reduce the LR ~3x or clip the "
                       "gradients")
    if factor is not None:
        factor = _within_priors(status, action, factor, lr, rng, curves, symptoms, reasons, usual)
    if factor is not None and lr_free and status in (Status.DIVERGING, Status.OSCILLATING,
                                                     Status.STALLED):
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
        if action is not Action.ADD_DECAY or factor != 1.0:
            reasons.append(_move(action, factor, lr, suggested))
    if lr is None and factor is not None and action is not Action.KEEP:
        reasons.append("the LR was not logged: apply the factor to your current LR")
    return Suggestion(action=action, peak_lr=lr, suggested_lr=suggested, factor=factor,
                      rationale="; ".join(reasons))


def _within_priors(status: Status, action: Action, factor: float, lr: float | None,
                   rng: tuple[float, float] | None, curves: RunCurves,
                   symptoms: frozenset[SymptomName], reasons: list[str], usual: str) -> float:
    """The factor moved toward the optimizer's usual range and kept within what is plausible:
    from far above the range down to its top, from below it (held back) up to its top, both at
    most MAX_STEP away; a fine-tune up at most FINE_TUNE_MAX_INCREASE; an increase never past
    the optimizer's plausible maximum."""
    if lr is not None and rng is not None and action in (Action.REDUCE, Action.INCREASE):
        low, top = rng
        held_back = bool(HARDLY_MOVED & symptoms)
        far_above, below = lr > top * 10 ** LR_FAR, lr < top and held_back
        move = min(max(top / lr, 1 / MAX_STEP), MAX_STEP)
        # a lean read off the LR's place alone moves 3x, never to the range (issue 12), and so
        # does a run that halved its loss before it stopped improving: it trained, the range is
        # a prior (rounds 4-6: 7 such runs, all made here, 3 of them healthy and told to reduce
        # 19-33x, from 2 families; the 4 too high still go down, 3x)
        if ((action is Action.REDUCE and far_above and move < factor
             and status is not Status.HEALTHY and SymptomName.STALLED_HIGH not in symptoms
             and SymptomName.STOPPED_IMPROVING not in symptoms)
                or (action is Action.INCREASE and below and move > factor)) \
                and math.isfinite(move):
            factor = move
            reasons.append(f"{lr:.3g} is {'far above' if far_above else 'below'} "
                           f"{curves.optimizer}'s {usual} {low:.3g}-{top:.3g}: toward the top "
                           f"of that range, at most {MAX_STEP:g}x at once")
    if action is Action.INCREASE and SymptomName.FINE_TUNE in symptoms \
            and factor > FINE_TUNE_MAX_INCREASE:
        factor = FINE_TUNE_MAX_INCREASE
        reasons.append(f"a fine-tune's LR goes up a little at a time (at most "
                       f"{FINE_TUNE_MAX_INCREASE:g}x)")
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


def stall_factor(progress: float | None) -> float:
    """How much to raise the LR of a stalled run that fell by ``progress`` (log units): about
    GOOD_DROP / progress (the loss falls in proportion to a small LR), within [3, MAX_STEP]."""
    if progress is None or not math.isfinite(progress):
        return 10.0
    return float(min(max(GOOD_DROP / max(progress, GOOD_DROP / MAX_STEP), 3.0), MAX_STEP))


def _early(since_step: int | None, first_step: int, total_steps: int | None) -> bool:
    if since_step is None or not total_steps or total_steps <= 0:
        return False
    return (since_step - first_step) <= EARLY_SHARE * total_steps


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
