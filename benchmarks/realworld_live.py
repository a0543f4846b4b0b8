"""The live advice on the real-world corpus (``benchmarks/realworld``): what a user of
``LRWatch`` / ``Watch`` / the Hugging Face callback would have seen mid-run.

Each labelled run of a side is replayed point by point through the code the engine runs: a
``Guard`` (``lrwatch/guard.py``, its default ``check_every_n_steps``) around an
``OnlineAnalyzer`` told what the manifest knows (optimizer, momentum, batch size, clipping,
classes, model size, fine-tuning, whether points are epochs) and the run's planned steps (its
last logged step + 1: a front end knows its plan). Every logged point is one block of rows, as
``on_diverge="stop"`` / ``"recover"`` copy every step to the host, with the ``nonfinite`` flag
the recorder sets; validation-loss points reach the analyzer as ``Engine.add_value`` passes them,
once training reached their step. After each block the guard is asked for its notices and its
decision (``Guard.check``), as ``Engine.guard_step`` does. The notices are the same under every
``on_diverge`` (the decision does not change the guard's state), so one replay gives what
``warn`` prints and where ``stop`` would have ended the run (``recover`` acts at the same step;
what a recovered run would have done next is not in the log, so only the first decision is
counted). A log whose points are epochs is checked at every point (an epoch holds at least the
100 steps between checks on such logs); any other log's step numbers are its optimizer steps.

Reported per side and pooled over the sides (``round3-tuning`` and ``round4-tuning`` are unions
of other sides and are left out of the pool):

1. false alarms: runs labelled healthy or too low (direction keep or up, or healthy) on which the
   guard would have stopped (or rolled back), or announced diverging / oscillating with "reduce":
   when (fraction of the logged points) and what was said; those whose label's ``also`` names
   the status announced are counted apart;
2. detection: runs labelled diverging or too high (direction down): announced (an alarm, a
   diverging or oscillating status, or a "reduce"), points between the first such announcement
   and the blow-up (the first NaN/inf, else the point from which the loss stayed above its first
   logged value), and
   whether ``stop`` acted at or before it;
3. flicker: announcements per run, status changes, back-and-forths (A -> B -> A);
4. the end: the last status announced against ``analyze()`` of the whole run with the same facts
   (the final verdict the engine prints is that ``analyze``); every disagreement is listed.

``python -m benchmarks.realworld_live --side S`` (every side ``realworld_diagnosis`` knows, or
``all``: each disjoint side and the pool). Writes ``benchmarks/out/realworld_live.json``.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.realworld import RealRun, in_side, load, side_of
from benchmarks.realworld_diagnosis import SIDES
from lrwatch import keys
from lrwatch.analysis import OnlineAnalyzer, RunCurves, analyze
from lrwatch.config import RecordConfig
from lrwatch.guard import Guard, GuardConfig

OUT = Path(__file__).with_name("out")
UNIONS = ("round3-tuning", "round4-tuning")  # sides made of other sides: not pooled twice
POOLED = tuple(s for s in SIDES if s not in UNIONS)
TOO_HIGH = ("diverging", "oscillating")
# rows a block brings at most: warn mode's host copy (RecordConfig.host_copy_every_n_steps)
HOST_BLOCK = RecordConfig.host_copy_every_n_steps


def planned(curves: RunCurves) -> RunCurves:
    """The run with its planned steps known, as a front end knows them."""
    return replace(curves, total_steps=int(curves.loss.steps[-1]) + 1)


def replay(curves: RunCurves, check_every: int | None = None,
           one_row: bool = False) -> dict[str, Any]:
    """Feed ``curves`` point by point to a ``Guard`` as the engine does; return what it
    announced (``notices``: index of the point, step, status, action, factor, message), its
    first decision under ``on_diverge="stop"`` and the status it announced last.

    Rows go in blocks that end where the guard diagnoses next; a block whose look brings news
    (a notice, the first decision) is replayed from the guard as it was before it, one row at
    a time, as ``stop`` feeds the guard (``one_row``: every block one row; slower)."""
    curves = planned(curves)
    if check_every is None:
        check_every = 1 if curves.epoch_points else GuardConfig.check_every_n_steps

    def make() -> OnlineAnalyzer:
        return OnlineAnalyzer(optimizer=curves.optimizer, momentum=curves.momentum,
                              batch_size=curves.batch_size, total_steps=curves.total_steps,
                              clip=curves.clip, fine_tune=curves.fine_tune,
                              classes=curves.classes, param_count=curves.param_count,
                              epoch_points=curves.epoch_points)

    guard = Guard(GuardConfig(on_diverge="stop", check_every_n_steps=check_every), make,
                  "replay")
    steps = np.asarray(curves.loss.steps, dtype=np.int64)
    loss = np.asarray(curves.loss.values, dtype=np.float64)
    side = {key: (np.asarray(s.steps, dtype=np.int64), np.asarray(s.values, dtype=np.float64))
            for key, s in ((keys.LR, curves.lr), (keys.GRAD_NORM, curves.grad_norm))
            if s is not None and len(s)}
    gn = side.get(keys.GRAD_NORM)
    # a NaN/inf gradient norm the run went on from is fp16 AMP skipping the step, which the
    # recorder does not flag; the log's last one, with nothing after it, is the run dying
    died = int(gn[0][-1]) if gn is not None and not np.isfinite(gn[1][-1]) \
        and gn[0][-1] >= steps[-1] and np.isfinite(gn[1]).any() else None
    val = (np.asarray(curves.val_loss.steps, dtype=np.int64),
           np.asarray(curves.val_loss.values, dtype=np.float64)) \
        if curves.val_loss is not None and len(curves.val_loss) else None
    notices: list[dict[str, Any]] = []
    decision = None

    def feed(guard: Guard, i: int, j: int, v: int) -> tuple[list[Any], Any, int]:
        """Rows i..j as one block, the validation points up to row j, then the guard's look."""
        rows = {keys.LOSS: (steps[i:j + 1], loss[i:j + 1]), **side}
        bad = ~np.isfinite(loss[i:j + 1]) | (steps[i:j + 1] == died)
        if bad.any():
            rows[keys.NONFINITE] = (steps[i:j + 1][bad], np.ones(int(bad.sum())))
        guard.observe(rows)
        while val is not None and v < val[0].size and val[0][v] <= steps[j]:
            guard.analyzer.update_val_loss(val[0][v], val[1][v])
            v += 1
        said, decided = guard.check(int(steps[j]))
        return said, decided, v

    def note(said: list[Any], decided: Any, j: int) -> None:
        nonlocal decision
        alarm_at = j
        for notice in said:
            p = notice.payload
            k = int(np.searchsorted(steps, notice.step)) if p.get("status") == "alarm" else j
            alarm_at = k if p.get("status") == "alarm" else alarm_at
            notices.append({"index": k, "step": int(steps[k]), "status": p.get("status"),
                            "action": p.get("action"), "factor": p.get("factor"),
                            "confidence": p.get("confidence"), "message": notice.message})
        if decided is not None and decision is None:
            decision = {"index": alarm_at, "step": int(steps[alarm_at]),
                        "action": decided.action, "reason": decided.reason}

    i = v = 0
    while i < steps.size:
        # one block: the rows up to the next step the guard diagnoses at (at most HOST_BLOCK)
        due = np.flatnonzero(steps[i:] - guard._last_check >= check_every)
        j = i if one_row else min(i + (int(due[0]) if due.size else steps.size - i),
                                  i + HOST_BLOCK - 1, steps.size - 1)
        before = (copy.deepcopy(guard), v) if j > i else None
        said, decided, after = feed(guard, i, j, v)
        if before is not None and (said or (decided is not None and decision is None)):
            # news in this block: replay it a row at a time, as "stop" feeds the guard, so the
            # news and the decision come at the row they would have come at
            guard, v = before
            for k in range(i, j + 1):
                said, decided, v = feed(guard, k, k, v)
                note(said, decided, k)
        else:
            v = after
            note(said, decided, j)
        i = j + 1
    last = guard._announced  # the status the guard announced last (None: nothing announced)
    pending = guard._candidate  # news seen at the last check, waiting for a second one
    return {"points": int(steps.size), "notices": notices, "decision": decision,
            "last": None if last is None else {"status": last.status.value,
                                               "action": last.suggestion.action.value},
            "pending": None if pending is None else pending.status.value,
            "checked_last": guard._last_check == int(steps[-1]),
            "online_end": guard.analyzer.diagnose().status.value}


def blow_up(curves: RunCurves) -> tuple[int | None, str | None]:
    """The point a too-high run blew up at: its first NaN/inf loss, else the point from which
    its loss stayed above its first logged value to the end (the "ended above its start" the
    diverging labels name); None when neither happened."""
    loss = np.asarray(curves.loss.values, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(loss))
    if bad.size:
        return int(bad[0]), "first NaN/inf"
    below = np.flatnonzero(loss <= loss[0])
    after = int(below[-1]) + 1
    return (after, "above its start from here on") if after < loss.size else (None, None)


def good(run: RealRun) -> bool:
    """Labelled healthy or too low: a user who lowers its LR ruins a good run."""
    return run.label.direction in ("keep", "up") or run.label.status == "healthy"


def too_high(run: RealRun) -> bool:
    return run.label.status == "diverging" or run.label.direction == "down"


def _reduce_alarm(n: dict[str, Any]) -> bool:
    """An announcement that tells the user to lower the LR: an alarm, or diverging /
    oscillating with "reduce"."""
    return n["status"] == "alarm" or (n["status"] in TOO_HIGH and n["action"] == "reduce")


def judge(run: RealRun, seen: dict[str, Any]) -> dict[str, Any]:
    """One run's row."""
    n = seen["points"]
    notices, decision = seen["notices"], seen["decision"]

    def frac(i: int) -> float:
        return (i + 1) / n

    statuses = [x["status"] for x in notices if x["status"] != "alarm"]
    changes = [b for a, b in zip([None] + statuses, statuses) if a != b]
    back = sum(a == c != b for a, b, c in zip(changes, changes[1:], changes[2:]))
    row: dict[str, Any] = {
        "id": run.id, "repo": run.repo, "family": run.family, "side": side_of(run.repo),
        "label": run.label.status, "direction": run.label.direction,
        "also": list(run.label.also), "points": n, "announcements": len(notices),
        "status_changes": len(changes), "back_and_forth": back,
        "statuses": changes,
        "decision": decision if decision is None else {**decision, "at": frac(decision["index"])},
    }
    if good(run):
        first = next((x for x in notices if _reduce_alarm(x)), None)
        row["false_alarm"] = decision is not None or first is not None
        said = first or (decision and {"status": "alarm", "index": decision["index"],
                                       "message": decision["reason"]})
        if row["false_alarm"]:
            shown = said if said is not None else {}
            row["alarm"] = {"index": shown.get("index"), "at": frac(shown.get("index", 0)),
                            "status": shown.get("status"), "message": shown.get("message")}
            named = {"diverging", "oscillating"} & ({run.label.status} | set(run.label.also))
            row["label_supports"] = bool(
                shown.get("status") in named or (shown.get("status") == "alarm"
                                                 and "diverging" in named))
    if too_high(run):
        first = next((x for x in notices if _reduce_alarm(x) or x["status"] in TOO_HIGH
                      or x["action"] == "reduce"), None)
        at, what = blow_up(run.curves)  # type: ignore[arg-type]
        row["announced"] = first is not None or decision is not None
        index = min([x["index"] for x in (first, decision) if x is not None], default=None)
        row["first_said"] = None if index is None else {"index": index, "at": frac(index)}
        row["blow_up"] = None if at is None else {"index": at, "what": what}
        row["lead_points"] = None if at is None or index is None else at - index
        row["stop_in_time"] = None if at is None else (decision is not None
                                                       and decision["index"] <= at)
    return row


def end_of(run: RealRun, seen: dict[str, Any]) -> dict[str, Any]:
    """The last live announcement against ``analyze()`` of the whole run, same facts."""
    final = analyze(planned(run.curves))  # type: ignore[arg-type]
    last = seen["last"]
    live = last["status"] if last else None
    offline = final.status.value
    if live == offline:
        why = None
    elif seen["online_end"] != offline:
        why = "the online diagnosis of every point differs from analyze()"
    elif seen["pending"] == offline:
        why = "seen at the last check, waiting for a second check to confirm it"
    elif not seen["checked_last"]:
        why = "the last points came after the last check (fewer than check_every_n_steps)"
    else:
        why = "the last check's diagnosis was not news (insufficient data, or the same move)"
    return {"offline": offline, "offline_action": final.suggestion.action.value,
            "live": live, "live_action": last["action"] if last else None,
            "agree": live == offline, "why": why,
            "action_agree": last is not None and last["action"] == final.suggestion.action.value}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of a set of judged rows."""
    if not rows:
        return {"runs": 0}
    goods = [r for r in rows if "false_alarm" in r]
    alarms = [r for r in goods if r["false_alarm"]]
    highs = [r for r in rows if "announced" in r]
    with_blow = [r for r in highs if r["blow_up"] is not None]
    leads = [r["lead_points"] for r in with_blow if r["lead_points"] is not None]
    ends = [r["end"] for r in rows]
    return {
        "runs": len(rows),
        "good_runs": len(goods),
        "false_alarms": len(alarms),
        "false_alarms_label_supports": sum(r["label_supports"] for r in alarms),
        "false_alarm_stops": sum(r["decision"] is not None for r in alarms),
        # ... where analyze() of the whole run does not say reduce: the live path's own
        "false_alarms_live_only": sum(not _offline_reduces(r) for r in alarms),
        "false_alarm_at_median": _median([r["alarm"]["at"] for r in alarms]),
        "too_high_runs": len(highs),
        "announced": sum(r["announced"] for r in highs),
        "stopped": sum(r["decision"] is not None for r in highs),
        "with_blow_up": len(with_blow),
        "announced_before_blow_up": sum(x > 0 for x in leads),
        "lead_points_median": _median(leads),
        "stop_in_time": sum(bool(r["stop_in_time"]) for r in with_blow),
        "announcements_per_run": float(np.mean([r["announcements"] for r in rows])),
        "status_changes_per_run": float(np.mean([r["status_changes"] for r in rows])),
        "runs_with_back_and_forth": sum(r["back_and_forth"] > 0 for r in rows),
        "end_agree": sum(e["agree"] for e in ends),
        "end_disagree": sum(not e["agree"] for e in ends),
        "end_nothing_announced": sum(e["live"] is None for e in ends),
        "end_action_agree": sum(e["action_agree"] for e in ends),
        "end_disagree_why": dict(Counter(e["why"] for e in ends if e["why"])),
    }


def _offline_reduces(row: dict[str, Any]) -> bool:
    """Whether ``analyze()`` of the whole run says diverging / oscillating with "reduce" too."""
    e = row["end"]
    return e["offline"] in TOO_HIGH and e["offline_action"] == "reduce"


def _median(values: list[float]) -> float | None:
    return float(np.median(values)) if values else None


def evaluate(runs: list[RealRun]) -> list[dict[str, Any]]:
    rows = []
    for run in runs:
        if run.curves is None or len(run.curves.loss) == 0:
            continue
        seen = replay(run.curves)
        row = judge(run, seen)
        row["end"] = end_of(run, seen)
        rows.append(row)
    return rows


def report(side: str, s: dict[str, Any], missing: int) -> list[str]:
    if not s["runs"]:
        return [f"{side}: no runs ({missing} missing from the cache)"]
    lead = s["lead_points_median"]
    return [
        f"{side}: {s['runs']} runs ({missing} missing); false alarms {s['false_alarms']} of "
        f"{s['good_runs']} healthy/too-low ({s['false_alarms_live_only']} live only, "
        f"{s['false_alarm_stops']} stopped, "
        f"{s['false_alarms_label_supports']} where the label's also names it); too high "
        f"{s['too_high_runs']}: announced {s['announced']}, stopped {s['stopped']}, with a "
        f"blow-up {s['with_blow_up']}: said before it {s['announced_before_blow_up']} (median "
        f"{'-' if lead is None else f'{lead:g}'} points), stop in time {s['stop_in_time']}; "
        f"announcements {s['announcements_per_run']:.2f}/run, status changes "
        f"{s['status_changes_per_run']:.2f}/run, back-and-forth {s['runs_with_back_and_forth']}"
        f"; end agrees {s['end_agree']}/{s['runs']} (nothing announced "
        f"{s['end_nothing_announced']}, action agrees {s['end_action_agree']})"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.realworld_live")
    parser.add_argument("--side", choices=(*SIDES, "all"), default="all",
                        help="the side to replay (a held-out side: once, after the freeze); "
                             "all: every side evaluated so far and the pool")
    parser.add_argument("--list", action="store_true",
                        help="print every false alarm and every end that disagrees")
    args = parser.parse_args(argv or [])
    sides = POOLED if args.side == "all" else (args.side,)
    everything, missing_ids = load()
    by_id = {r.id: r for r in load(with_curves=False)[0]}
    started = time.process_time()
    res: dict[str, Any] = {}
    pool: list[dict[str, Any]] = []
    pool_missing = 0
    for side in sides:
        runs = [r for r in everything if in_side(r.repo, side)]
        missing = [i for i in missing_ids if in_side(by_id[i].repo, side)]
        rows = evaluate(runs)
        s = summarise(rows)
        res[side] = {**s, "missing": missing, "rows": rows}
        print("\n".join(report(side, s, len(missing))), flush=True)
        if side in POOLED:
            pool += rows
            pool_missing += len(missing)
    if len(sides) > 1:
        s = summarise(pool)
        res["pooled"] = {**s, "missing": pool_missing}
        print("\n".join(report("pooled", s, pool_missing)))
    print(f"replayed in {time.process_time() - started:.0f} s of CPU")
    if args.list:
        rows = pool if len(sides) > 1 else res[sides[0]]["rows"]
        for r in rows:
            if r.get("false_alarm"):
                a = r["alarm"]
                live = "" if _offline_reduces(r) else " LIVE ONLY"
                print(f"- false alarm{live} {r['id']} [{r['repo']}] {r['label']}/{r['direction']} "
                      f"also {r['also']} at {a['at']:.0%} stop={r['decision'] is not None}: "
                      f"{a['message']}")
        for r in rows:
            if not r["end"]["agree"]:
                e = r["end"]
                print(f"- end {r['id']} [{r['repo']}] live {e['live']} offline {e['offline']}: "
                      f"{e['why']}")
    OUT.mkdir(exist_ok=True)
    saved = OUT / "realworld_live.json"
    old = json.loads(saved.read_text()) if saved.exists() else {}
    old.update(res)
    saved.write_text(json.dumps(old, indent=1, default=float))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
