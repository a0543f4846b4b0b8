"""What a run's sweep says of it: the status, confidence, action and evidence a run of a sweep
takes from its place (``lrwatch.analysis.sweep.RunPlace``) in the sweep's reading.

``lrwatch analyze`` gives them to each run it reads beside its sweep (``lrwatch.cli.sweep``),
and a training's last word does too, beside the other runs of its setup in its store
(``lrwatch.engine``). The entry is ``lrwatch analyze``'s JSON entry of the run, from its own
diagnosis (``Diagnosis.to_dict()`` with ``notes`` and ``sweep``), changed in place.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

_ACTIONS = {"too_low": "increase", "near_best": "keep", "too_high": "reduce", "diverged": "reduce"}
# The status a place in a sweep stands for, in the words of the status table: an LR below the
# sweep's best is too low (stalled), one above it too high (oscillating), one that blew up
# diverging. One run's curve cannot tell a smooth run 3x from its best from the best itself; its
# sweep can, so a ranked place sets the status (what the run's own curve says stays beside it).
_STATUSES = {"too_low": "stalled", "near_best": "healthy", "too_high": "oscillating",
             "diverged": "diverging"}
_TOO_HIGH = ("oscillating", "diverging")  # the run's own curve already says how it went wrong
# The confidence of a status read from the sweep, as the sweep's evidence earns it (BENCHMARKS.md,
# "Real-world round 26": the runs of every side through round 25 whose status a sweep set).
# Where its evidence is thin (``thin_evidence``) the place's status was right on 72% of 419 runs
# (98 sources; made 55%, public 76%); elsewhere on 92% of 944 (91 sources; made 91%, public
# 92%), short of the 97% that 0.9 asks; a run's own verdict above these stands where the two agree
SWEEP_CONFIDENCE = 0.85
THIN_SWEEP_CONFIDENCE = 0.7
# A run the sweep reads as diverged (a non-finite loss before the budget, or a tail above its
# start) was labelled diverging on all 39 (16 sources; 24 labelled by the blow-up itself, 15 by
# their sweep), whatever else its sweep's evidence held: 0.9, the only place that earns it
DIVERGED_CONFIDENCE = 0.9
# A sweep of this many LRs or fewer cannot outvote the run's own curve: where the two disagree,
# the sweep's status was right on 73% of 97 runs (36 sources), where they agree on 91% of 103
FEW_LRS = 4
# A run this close to the estimate, in grid steps (the median ratio of neighbouring LRs), sits
# where the band's edge decides its place: right on 69% of 227 runs (91 sources) from 0.5 to
# 1.5 steps, 91% under 0.5 and 88% from 1.5 up. (A best at an end of the grid: 80% of 182 runs
# against 86%; a run stopped early: 64% of 67 against 87%.)
ONE_STEP = (0.5, 1.5)
# A run placed above the best whose ranked loss ended no lower than where it started (under
# the sweep's ``BLOWUP``, so not placed ``diverged``) learned nothing at its LR or lost what it
# learned: its status is ``diverging``, not ``oscillating``. Of the 23 such runs on the
# real-world corpus (9 sources) that the sweep read oscillating, 6 were right; diverging, 18
# (made 5 of 6, public 13 of 17): 0.7, as the 0.7-0.8 bin (BENCHMARKS.md, "Real-world round 27")
ROSE = 1.0
ROSE_CONFIDENCE = 0.7
# A run whose loss ends within noise of the best run's (``tied``: the sweep cannot rank it) did
# as well as the best the sweep found: of the 294 such runs on every side through round 53 (2368
# runs read beside their sweep), 251 were labelled healthy; they kept their own curve's status,
# right on 188. Read healthy: 75 gained (34 sources), 11 lost (7): 0.7, a little
# under the 85% it earned in-sample (BENCHMARKS.md, "Sweep round 28")
TIED_CONFIDENCE = 0.7
# A run placed below or above the best whose loss ends within this share of the best run's
# (both run to the budget; outside the level's noise, so ranked) sits where a seed decides:
# of 30 such runs (23 sources), the sweep's move was the right way on 13 and wrong on 10 (one
# 10x): a range test and 0.5. Its place's status (too low or too high) was right on 12 of the
# 46 such runs of every side through round 53; 34 were labelled healthy (sweep round 28):
# healthy, as a tied run is
CLOSE_LEVEL = 0.02
CLOSE_CONFIDENCE = 0.5
# A run placed near the best by its LR whose loss ends ``CLOSE_LEVEL`` or more above the best
# run's (both run to the budget) is not one to keep: of 61 such runs (35 sources; made 37, public
# 24), "keep" was right on 20 (made 8, public 12): a range test instead, at 0.4. Its status
# follows its loss, not its LR (sweep round 29, every side through round 54: of 66 such runs,
# the side of the best its LR lies on was right on 43, "healthy" on 18; made 30 / 6, public 13 /
# 12)
WORSE_CONFIDENCE = 0.4


def _loss_name(reading: Any) -> str:
    return {"val_loss": "validation loss",
            "best_val_loss": "lowest validation loss",
            "val_metric": "validation metric (as an error: lower is better)",
            "best_val_metric": "best validation metric (as an error: lower is better)"
            }.get(reading.ranked_by, "loss")


def disputed(lr: float, reading: Any) -> bool:
    """Whether ``lr`` lies where the training and validation losses rank runs differently
    (``SweepReading.disputed_lrs``: between their best LRs and across the validation loss's
    band)."""
    if reading.disputed_lrs is None:
        return False
    low, high = reading.disputed_lrs
    return low / (1 + 1e-9) <= lr <= high * (1 + 1e-9)


def status_in_sweep(place: Any, reading: Any, own: str) -> str:
    """The status of a run placed in its sweep, given what its own curve says (``own``).

    A run with no LR verdict of its own (several optimizers) keeps it. A run whose loss ends
    within noise of the best run's (``tied``), or ranked within ``CLOSE_LEVEL`` of it, did as
    well as the best the sweep found, or within a seed's reach of it: healthy, unless its own
    curve blew up. A run placed near the best by its LR whose loss ends ``CLOSE_LEVEL`` or more
    above the best run's (``worse_than_best``) takes the side of the best its LR lies on, too
    high or too low. Any other place the sweep cannot rank (``unranked`` where the two losses
    disagree, or ``beyond_edge``) leaves the run's own status. A flat sweep says the LR is not
    what limits the model: healthy, unless the run's own curve blew up. Above the best, a run
    whose own curve already reads oscillating or diverging keeps that word, and one whose
    ranked loss ended no lower than it started (``no_lower``) is diverging."""
    if own == "no_lr_verdict":
        return own
    healthy = own if own == "diverging" else "healthy"  # a blow-up of its own stays one
    if tied(place, reading):
        return healthy
    if place.unranked or beyond_edge(place, reading):
        return own
    if close_to_best(place, reading):
        return healthy
    if worse_than_best(place, reading):
        if reading.best_lr is not None and place.lr > reading.best_lr:
            return own if own in _TOO_HIGH else "oscillating"
        return own if own == "diverging" else "stalled"
    if reading.flat:
        return healthy
    if place.position == "too_high" and own in _TOO_HIGH:
        return own
    if place.position == "too_high" and no_lower(place):
        return "diverging"
    return _STATUSES[place.position]


def tied(place: Any, reading: Any) -> bool:
    """Whether the sweep cannot rank the run because its loss ends within noise of the best
    run's (not because the training and validation losses rank it differently)."""
    return bool(place.unranked) and not reading.flat and not disputed(place.lr, reading)


def no_lower(place: Any) -> bool:
    """Whether the loss that ranked the run ended no lower than it started (``ROSE``)."""
    return (place.final_loss is not None and place.start_loss is not None
            and place.start_loss > 0 and place.final_loss >= ROSE * place.start_loss)


def _above_best(place: Any, reading: Any) -> float | None:
    """How far the run's loss ends above the best run's, as a share of it (both run to the
    budget; None where that cannot be said)."""
    if place.pruned or place.final_loss is None or reading.flat:
        return None
    levels = [run.final_loss for run in reading.runs if run.final_loss is not None
              and not run.pruned and run.position != "diverged"
              and math.isfinite(run.final_loss)]
    best = min(levels, default=None)
    if best is None or not best > 0:
        return None
    return (place.final_loss - best) / best


def close_to_best(place: Any, reading: Any) -> bool:
    """Whether a run ranked below or above the best ends within ``CLOSE_LEVEL`` of the best
    run's loss: ranked by a margin a seed can undo."""
    gap = _above_best(place, reading)
    return place.position in ("too_low", "too_high") and gap is not None and gap < CLOSE_LEVEL


def worse_than_best(place: Any, reading: Any) -> bool:
    """Whether a run placed near the best by its LR ends ``CLOSE_LEVEL`` or more above the
    best run's loss: its LR says near, its loss says worse."""
    gap = _above_best(place, reading)
    return (place.position == "near_best" and not place.unranked
            and gap is not None and gap >= CLOSE_LEVEL)


def beyond_edge(place: Any, reading: Any) -> bool:
    """Whether the run lies past the end of the grid where the sweep's best sits (the best at the
    high end, the run above it; or at the low end, the run below it): a run cut short, placed
    by its LR alone, where the sweep itself says to extend the grid. The sweep cannot say it is
    too far: of 18 such runs on the real-world corpus (5 sources), 17 were labelled healthy, and
    the sweep told 5 of them to cut their LR 10x (BENCHMARKS.md, "Real-world round 26"). Since
    sweep round 20 ranks a run that stopped early ahead by the level it reached, none of those
    18 reaches this any more; a run cut short before it learned still does."""
    return ((reading.edge == "high" and place.position == "too_high")
            or (reading.edge == "low" and place.position == "too_low"))


def thin_evidence(place: Any, reading: Any, agrees: bool) -> list[str]:
    """Why the sweep's evidence for this run's place is thin (empty where it is not): the best
    at an end of the grid (beyond it, the grid cannot place the best), a run stopped before the
    budget (placed by its LR alone), other settings that differ across the runs (a random
    search: the LR is not all that sets them apart), a sweep of ``FEW_LRS`` LRs or fewer that
    disagrees with the run's own curve (``agrees``: the status the sweep gives is the one the
    curve read), or a run about one grid step from the estimate (``ONE_STEP``)."""
    if reading.flat or place.position == "diverged":  # its own blow-up placed it
        return []
    reasons = []
    if reading.also_varied:
        reasons.append(f"{', '.join(reading.also_varied)} also differ across its runs")
    if reading.edge:
        reasons.append(f"the best is at the {reading.edge} end of the grid")
    if place.pruned:
        reasons.append("it stopped early: placed by its LR alone")
    lrs = sorted({run.lr for run in reading.runs})
    if len(lrs) <= FEW_LRS and not agrees:
        reasons.append(f"{len(lrs)} LRs against what its own curve reads")
    step = float(statistics.median([high / low for low, high in zip(lrs, lrs[1:])]))
    if place.factor and place.factor > 0 and step > 1:
        steps = abs(math.log(place.factor)) / math.log(step)
        if ONE_STEP[0] <= steps < ONE_STEP[1]:
            reasons.append("about one grid step from the estimate: the band's edge decides")
    return reasons


def _confidence_in_sweep(status: str, own: str, own_confidence: float | None, placed: bool,
                         earned: float) -> float | None:
    """The sweep's confidence (``earned``) where it set or backed the status; the run's own
    where the sweep could not rank it."""
    if status != own:
        return earned
    if not placed or own == "no_lr_verdict":
        return own_confidence
    return max(earned, own_confidence or 0.0)


def advise_in_sweep(entry: dict[str, Any], place: Any, reading: Any) -> None:
    """One analyze entry (``ENTRY_KEYS``) takes its sweep's status and advice; what the run's
    own curve said stays in ``sweep["run_status"]`` / ``sweep["run_confidence"]`` and, where
    the sweep changed it, in an evidence line. A sweep that names no best LR (no run reached
    its budget without diverging) leaves the run its own reading, and says why."""
    position = place.position
    if reading.best_lr is None and not reading.flat:
        entry["evidence"] = [*entry["evidence"],
                             f"in a sweep of {len(reading.runs)} runs: {reading.summary}"]
        entry["sweep"] = _sweep_entry(place, reading, entry["status"], entry["confidence"])
        return
    if reading.flat:
        why = (f"in a flat sweep of {len(reading.runs)} runs (final loss within noise "
               f"from LR {min(r.lr for r in reading.runs):.3g} to "
               f"{max(r.lr for r in reading.runs):.3g}): the LR is not what limits this "
               "model")
    else:
        where = {"too_low": "below", "too_high": "above"}.get(position)
        gap = f", {max(place.factor or 1, 1 / (place.factor or 1)):.3g}x {where} it" \
            if where else ""
        ranked = {"val_loss": " by validation loss",
                  "best_val_loss": " by lowest validation loss",
                  "val_metric": " by validation metric",
                  "best_val_metric": " by best validation metric"}.get(reading.ranked_by, "")
        why = (f"{position.replace('_', ' ')} in a sweep of {len(reading.runs)} runs{ranked}: "
               f"best LR about {reading.best_lr:.3g} ({reading.best_lr_low:.3g} to "
               f"{reading.best_lr_high:.3g}){gap}")
        if reading.edge:
            why += f"; the best is at the {reading.edge} end of the grid: extend it"
        if place.unranked and disputed(place.lr, reading):
            why += (f"; the best runs by the training loss overfit, and by the validation loss "
                    f"the best LR is about {reading.validation_best_lr:.3g}: the two losses "
                    "rank this run differently, so this rests on its LR alone; not told to "
                    "move it: a range test (lrwatch's find_lr) or short runs at the LRs "
                    "between the two decide")
        elif place.unranked:
            why += (f"; its {_loss_name(reading)} ends within noise of the best run's: as good "
                    "as the best the sweep found, which cannot rank it, so not told to "
                    + ("keep it" if position == "near_best" else "move it") +
                    ": a range test (lrwatch's find_lr) or short runs at the LRs around it "
                    "decide")
        elif close_to_best(place, reading):
            why += (f"; its {_loss_name(reading)} ends within {CLOSE_LEVEL:.0%} of the best "
                    "run's: about as good, ranked by a margin a seed can undo, so not told to "
                    "move it: a range test (lrwatch's find_lr) or a second seed at its LR "
                    "decides")
        elif worse_than_best(place, reading):
            why += (f"; its {_loss_name(reading)} ends {_above_best(place, reading):.0%} above "
                    "the best run's: its LR says near the best, its loss says worse, so not "
                    "told to keep it: a range test (lrwatch's find_lr) or runs at the LRs "
                    "around it decide")
        elif beyond_edge(place, reading):
            why += ("; this run lies past that end, stopped early and placed by its LR alone: "
                    "the sweep cannot say it is too far, so not told to move it: a range test "
                    "(lrwatch's find_lr) or a full run at its LR decides")
    placed = not (place.unranked or beyond_edge(place, reading))  # the sweep ranks it
    close = placed and close_to_best(place, reading)  # ... by a margin a seed can undo
    worse = placed and worse_than_best(place, reading)  # near by its LR, worse by its loss
    peak = entry["peak_lr"] or place.lr
    if entry["peak_lr"] is None:  # its LR from its setup or its name: the sweep read it
        # the reader's note that the LR is unknown ends so; beside the sweep it is known
        from lrwatch.readers.series import RELATIVE

        entry.update({"peak_lr": place.lr, "current_lr": place.lr, "notes": [
            note[:-len(RELATIVE)] + f"; its LR ({place.lr:.3g}) read from its setup or name"
            if note.endswith(RELATIVE) else note for note in entry["notes"]]})
    # a run the sweep cannot rank is never told "keep" (a corpus run 30x below the best was),
    # nor told to move its LR on its LR alone: its loss is as good as the best run's, so the
    # sweep does not say it is worse (public sweeps flat over 0.02-4.8 told a run at 0.02
    # "increase 100x"; issue 14: a plateau across a range of LRs is no reason to move)
    # (nor a run past the end of the grid where the best sits: the sweep says to extend the
    # grid its way, and told such runs "reduce 10x", labelled healthy)
    action = _ACTIONS[position] if placed and not (close or worse) else "range_test"
    # a range test is the answer: no LR beside it (the sweep's estimate is in the evidence)
    suggested = None if action == "range_test" else place.suggested_lr
    own, own_confidence = entry["status"], entry["confidence"]
    status = status_in_sweep(place, reading, own)
    evidence = [why, *entry["evidence"]]
    if status != own:
        evidence.insert(1, f"its own curve alone reads {own.replace('_', ' ')} "
                           f"(confidence {own_confidence or 0:.2f}): the sweep says more")
    rose = (placed and not reading.flat and position == "too_high" and own not in _TOO_HIGH
            and no_lower(place))
    thin = thin_evidence(place, reading, status == own) \
        if placed and not (rose or close or worse) else []
    earned = (DIVERGED_CONFIDENCE if position == "diverged" and not reading.flat
              else TIED_CONFIDENCE if tied(place, reading)
              else ROSE_CONFIDENCE if rose else CLOSE_CONFIDENCE if close
              else WORSE_CONFIDENCE if worse
              else THIN_SWEEP_CONFIDENCE if thin else SWEEP_CONFIDENCE)
    confidence = _confidence_in_sweep(status, own, own_confidence, placed, earned)
    if rose:
        evidence.insert(1 if status == own else 2,
                        f"its {_loss_name(reading)} ended no lower than it started "
                        f"({place.start_loss:.4g} -> {place.final_loss:.4g}): above the best, "
                        "it learned nothing at this LR or lost what it learned: diverging rather "
                        f"than oscillating (confidence {confidence:.2f})")
    if thin:
        evidence.insert(1 if status == own else 2,  # after what its own curve reads
                        f"the sweep's evidence is thin here ({'; '.join(thin)}): "
                        f"confidence {confidence:.2f}")
    entry.update({
        "status": status,
        "confidence": confidence,
        "since_step": entry["since_step"] if status == own else None,
        "action": action, "suggested_lr": suggested,
        "factor": None if suggested is None else suggested / peak,
        "rationale": why, "evidence": evidence,
        "sweep": _sweep_entry(place, reading, own, own_confidence),
    })


def _sweep_entry(place: Any, reading: Any, own: str, own_confidence: float | None
                 ) -> dict[str, Any]:
    """An analyze entry's ``sweep`` object: the run's place and what its own curve read."""
    return {"position": place.position, "best_lr": reading.best_lr,
            "best_lr_low": reading.best_lr_low, "best_lr_high": reading.best_lr_high,
            "flat": reading.flat, "edge": reading.edge, "runs": len(reading.runs),
            "run_status": own, "run_confidence": own_confidence}
