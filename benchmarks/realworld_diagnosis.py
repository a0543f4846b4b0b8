"""Diagnosis on the real-world corpus (``benchmarks/realworld``): public training logs and runs
made here, each labelled from its source (a sweep, a later fix, the maintainers, a NaN).

Reports, for one side of the repository-hash split: status accuracy and macro-F1 (a status the
label's ``also`` names counts right); whether the action points the way the label says (down:
reduce or add warmup; up: increase; keep: keep or add decay; ``unknown``: anything but a move
of 3x or more; ``range_test`` counts right everywhere, and how often it was the answer is
reported beside); wrong-way moves (the LR moved against the label, or 3x or more where the
label says keep or cannot tell) at confidence >= 0.9; the share of runs told to move the LR 10x
or more the wrong way; a reliability table (confidence bin -> share right); and all of it per
family and per label. Runs whose CSV is missing from the cache are counted, never dropped
silently. Writes ``benchmarks/out/realworld.{json,md}`` (each side evaluated so far).

``python -m benchmarks realworld_diagnosis`` evaluates the tuning side;
``python -m benchmarks.realworld_diagnosis --side heldout`` the held-out side (once, after the
rules are frozen). Round 3 (``--side round3-tuning`` / ``round3-heldout``) tunes on every run of
rounds 1-2 and holds out the families made for it (``ROUND3_HELDOUT``). Round 4
(``--side round4-tuning`` / ``round4-heldout``) tunes on every earlier run and half of the fresh
public repositories of ``manifest_r4.jsonl`` (``ROUND4_REPOS``, split by ``round4_heldout``).
Round 5 (``--side round5-heldout``) holds out every repository of ``manifest_r5.jsonl`` and
``manifest_r5b.jsonl`` (``ROUND5_REPOS``); round 6 (``--side round6-heldout``) every repository
of ``manifest_r6.jsonl`` (``ROUND6_REPOS``); round 7 (``--side round7-heldout``) every repository
of ``manifest_r7.jsonl`` (``ROUND7_REPOS``); ``--side round7-made`` the families made for round 7
(``manifest_r7made.jsonl``, ``ROUND7_MADE``); round 8 (``--side round8-heldout``) every repository
of ``manifest_r8.jsonl`` (``ROUND8_REPOS``); ``--side round8-made`` the families made for round 8
(``manifest_r8made.jsonl``, ``ROUND8_MADE``); ``--side round9-made`` the families made for
round 9 (``manifest_r9made.jsonl``, ``ROUND9_MADE``); round 10 (``--side round10-heldout``)
every repository of ``manifest_r10.jsonl`` (``ROUND10_REPOS``); ``--side round10-made`` the
families made for round 10 (``manifest_r10made.jsonl``, ``ROUND10_MADE``); ``--side
round11-made`` the families made for round 11 (``manifest_r11made.jsonl``, ``ROUND11_MADE``);
``--side round12-made`` the families made for round 12 (``manifest_r12made.jsonl``,
``ROUND12_MADE``); round 13 (``--side round13-heldout``) every repository of
``manifest_r13.jsonl`` (``ROUND13_REPOS``); ``--side round13-made`` the families made for
round 13 (``manifest_r13made.jsonl``, ``ROUND13_MADE``); ``--side round14-made`` the families
made for round 14 (``manifest_r14made.jsonl``, ``ROUND14_MADE``); ``--side round15-made`` the
families made for round 15 (``manifest_r15made.jsonl``, ``ROUND15_MADE``); round 16 (``--side
round16-heldout``) every repository of ``manifest_r16.jsonl`` (``ROUND16_REPOS``); ``--side
round16-made`` the families made for round 16 (``manifest_r16made.jsonl``, ``ROUND16_MADE``);
``--side round17-made`` the families made for round 17 (``manifest_r17made.jsonl``,
``ROUND17_MADE``); ``--side round18-made`` the families made for round 18
(``manifest_r18made.jsonl``, ``ROUND18_MADE``); ``--side round19-made`` the families made for
round 19 (``manifest_r19made.jsonl``, ``ROUND19_MADE``); ``--side round20-made`` the families
made for round 20 (``manifest_r20made.jsonl``, ``ROUND20_MADE``); round 21 (``--side
round21-heldout``) every repository of ``manifest_r21.jsonl`` (``ROUND21_REPOS``); ``--side
round21-made`` the families made for round 21 (``manifest_r21made.jsonl``, ``ROUND21_MADE``);
round 22 (``--side round22-heldout``) every repository of ``manifest_r22.jsonl``
(``ROUND22_REPOS``); ``--side round22-made`` the families made for round 22
(``manifest_r22made.jsonl``, ``ROUND22_MADE``); round 23 (``--side round23-heldout``) every
repository of ``manifest_r23.jsonl`` (``ROUND23_REPOS``); ``--side round23-made`` the families
made for round 23 (``manifest_r23made.jsonl``, ``ROUND23_MADE``); round 24 (``--side
round24-heldout``) every repository of ``manifest_r24.jsonl`` (``ROUND24_REPOS``); ``--side
round24-made`` the families made for round 24 (``manifest_r24made.jsonl``, ``ROUND24_MADE``);
round 25 (``--side round25-heldout``) every repository of ``manifest_r25.jsonl``
(``ROUND25_REPOS``); ``--side round25-made`` the families made for round 25
(``manifest_r25made.jsonl``, ``ROUND25_MADE``); round 26 (``--side round26-heldout``) every
repository of ``manifest_r26.jsonl`` (``ROUND26_REPOS``); ``--side round26-made`` the families
made for round 26 (``manifest_r26made.jsonl``, ``ROUND26_MADE``); round 27 (``--side
round27-heldout``) every repository of ``manifest_r27.jsonl`` (``ROUND27_REPOS``); ``--side
round27-made`` the families made for round 27 (``manifest_r27made.jsonl``, ``ROUND27_MADE``);
round 28 (``--side round28-heldout``) every repository of ``manifest_r28.jsonl``
(``ROUND28_REPOS``); ``--side round28-made`` the families made for round 28
(``manifest_r28made.jsonl``, ``ROUND28_MADE``); round 29 (``--side round29-heldout``) every
repository of ``manifest_r29.jsonl`` (``ROUND29_REPOS``); ``--side round29-made`` the families
made for round 29 (``manifest_r29made.jsonl``, ``ROUND29_MADE``); round 30 (``--side
round30-heldout``) every repository of ``manifest_r30.jsonl`` (``ROUND30_REPOS``); ``--side
round30-made`` the families made for round 30 (``manifest_r30made.jsonl``, ``ROUND30_MADE``);
round 31 (``--side round31-heldout``) every repository of ``manifest_r31.jsonl``
(``ROUND31_REPOS``); ``--side round31-made`` the families made for round 31
(``manifest_r31made.jsonl``, ``ROUND31_MADE``); round 32 (``--side round32-heldout``) every
repository of ``manifest_r32.jsonl`` (``ROUND32_REPOS``); ``--side round32-made`` the families
made for round 32 (``manifest_r32made.jsonl``, ``ROUND32_MADE``); round 33 (``--side
round33-heldout``) every repository of ``manifest_r33.jsonl`` (``ROUND33_REPOS``); ``--side
round33-made`` the families made for round 33 (``manifest_r33made.jsonl``, ``ROUND33_MADE``);
round 34 (``--side round34-heldout``) every repository of ``manifest_r34.jsonl``
(``ROUND34_REPOS``); ``--side round34-made`` the families made for round 34
(``manifest_r34made.jsonl``, ``ROUND34_MADE``); round 35 (``--side round35-heldout``) every
repository of ``manifest_r35.jsonl`` (``ROUND35_REPOS``); ``--side round35-made`` the families
made for round 35 (``manifest_r35made.jsonl``, ``ROUND35_MADE``); ``--side round36-made`` the
families made for round 36 (``manifest_r36made.jsonl``, ``ROUND36_MADE``); ``--side
round37-made`` the families made for round 37 (``manifest_r37made.jsonl``, ``ROUND37_MADE``);
``--side round38-made`` the families made for round 38 (``manifest_r38made.jsonl``,
``ROUND38_MADE``); round 38 (``--side round38-heldout``) every repository of
``manifest_r38.jsonl`` (``ROUND38_REPOS``); round 39 (``--side round39-heldout``) every repository
of ``manifest_r39.jsonl`` (``ROUND39_REPOS``); ``--side round39-made`` the families made for
round 39 (``manifest_r39made.jsonl``, ``ROUND39_MADE``); round 40 (``--side round40-heldout``) every
repository of ``manifest_r40.jsonl`` (``ROUND40_REPOS``); ``--side round40-made`` the families
made for round 40 (``manifest_r40made.jsonl``, ``ROUND40_MADE``); ``--side round41-made`` the
families made for round 41 (``manifest_r41made.jsonl``, ``ROUND41_MADE``); ``--side
round42-made`` the families made for round 42 (``manifest_r42made.jsonl``, ``ROUND42_MADE``);
``--side round43-made`` the families made for round 43 (``manifest_r43made.jsonl``,
``ROUND43_MADE``); ``--side round44-made`` the families made for round 44
(``manifest_r44made.jsonl``, ``ROUND44_MADE``); ``--side round45-made`` the families made for
round 45 (``manifest_r45made.jsonl``, ``ROUND45_MADE``); ``--side round46-made`` the families
made for round 46 (``manifest_r46made.jsonl``, ``ROUND46_MADE``); ``--side round47-made`` the
families made for round 47 (``manifest_r47made.jsonl``, ``ROUND47_MADE``); ``--side
round48-made`` the families made for round 48 (``manifest_r48made.jsonl``, ``ROUND48_MADE``);
``--side round49-made`` the families made for round 49 (``manifest_r49made.jsonl``,
``ROUND49_MADE``); ``--side round50-made`` the families made for round 50
(``manifest_r50made.jsonl``, ``ROUND50_MADE``); ``--side round51-made`` the families made for
round 51 (``manifest_r51made.jsonl``, ``ROUND51_MADE``); ``--side round52-made`` the families
made for round 52 (``manifest_r52made.jsonl``, ``ROUND52_MADE``); ``--side round53-made`` the
families made for round 53 (``manifest_r53made.jsonl``, ``ROUND53_MADE``); ``--side
round54-made`` the families made for round 54 (``manifest_r54made.jsonl``, ``ROUND54_MADE``);
``--side round55-made`` the families made for round 55 (``manifest_r55made.jsonl``,
``ROUND55_MADE``); ``--side round56-made`` the families made for round 56
(``manifest_r56made.jsonl``, ``ROUND56_MADE``);
round 52 (``--side round52-heldout``) every repository of ``manifest_r52.jsonl``
(``ROUND52_REPOS``); round 54 (``--side round54-heldout``) every repository of
``manifest_r54.jsonl`` (``ROUND54_REPOS``).
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from benchmarks.realworld import STATUSES, RealRun, in_side, load
from lrwatch.analysis import Action, Diagnosis, Status, analyze

OUT = Path(__file__).with_name("out")
CONFIDENT = 0.9  # "confident": what the targets hold to a higher standard
BIG_MOVE = 3.0  # a move of 3x or more is a real change of the LR
WRONG_WAY_FAR = 10.0  # ... and 10x or more the wrong way ruins a good run
CONFIDENCE_BINS = (0.0, 0.5, 0.7, 0.9, 1.0 + 1e-9)
# every side this benchmark knows (``--side``); round3-tuning and round4-tuning are unions
SIDES = ("tuning", "heldout", "round3-tuning", "round3-heldout", "round4-tuning",
         "round4-heldout", "round5-heldout", "round6-heldout", "round7-heldout", "round7-made",
         "round8-heldout", "round8-made", "round9-made", "round10-heldout", "round10-made",
         "round11-made", "round12-made", "round13-heldout", "round13-made", "round14-made",
         "round15-made", "round16-heldout", "round16-made", "round17-made", "round18-made",
         "round19-made", "round20-made", "round21-heldout", "round21-made", "round22-heldout",
         "round22-made", "round23-heldout", "round23-made", "round24-heldout", "round24-made",
         "round25-heldout", "round25-made", "round26-heldout", "round26-made", "round27-heldout",
         "round27-made", "round28-heldout", "round28-made", "round29-heldout", "round29-made",
         "round30-heldout", "round30-made", "round31-heldout", "round31-made",
         "round32-heldout", "round32-made", "round33-heldout", "round33-made",
         "round34-heldout", "round34-made", "round35-heldout", "round35-made", "round36-made",
         "round37-made", "round38-heldout", "round38-made", "round39-heldout",
         "round39-made", "round40-heldout", "round40-made", "round41-made",
         "round42-made", "round43-made", "round44-made", "round45-made",
         "round46-made", "round47-made", "round48-made", "round49-made",
         "round50-made", "round51-made", "round52-heldout", "round52-made",
         "round53-made", "round54-heldout", "round54-made", "round55-made",
         "round56-made")


def move_of(action: str, factor: float | None) -> tuple[str, float]:
    """Which way an action moves the LR (down, up, keep, test) and by how much (>= 1)."""
    if action == Action.RANGE_TEST.value:
        return "test", 1.0
    f = 1.0 if factor is None or not math.isfinite(factor) or factor <= 0 else factor
    if action in (Action.REDUCE.value, Action.ADD_WARMUP.value) and f < 1.0:
        return "down", 1.0 / f
    if action == Action.INCREASE.value and f > 1.0:
        return "up", f
    return "keep", 1.0


def entry_of(d: Diagnosis) -> dict:
    """A diagnosis as ``lrwatch analyze --json`` gives it (the confidence unrounded)."""
    return {**d.to_dict(), "confidence": float(d.confidence), "sweep": None, "notes": []}


def judge(run: RealRun, entry: dict) -> dict:
    """One run's row: what lrwatch said (an ``lrwatch analyze`` entry) and whether it is right
    by the label."""
    way, size = move_of(entry["action"], entry["factor"])
    want = run.label.direction
    if way == "test":
        right = True
    elif want == "unknown":
        right = size < BIG_MOVE
    else:
        right = way == want
    # a move against the label, or a real move where the label says keep / cannot tell
    wrong_way = not right and way in ("down", "up") and (want in ("down", "up") or
                                                           size >= BIG_MOVE)
    status = entry["status"]
    return {
        "id": run.id, "family": run.family, "label": run.label.status,
        "also": list(run.label.also), "direction": want, "status": status,
        "status_right": status == run.label.status or status in run.label.also,
        "verdict": status != Status.INSUFFICIENT_DATA.value,
        "action": entry["action"], "factor": entry["factor"],
        "way": way, "size": size, "right_way": right, "wrong_way": wrong_way,
        "wrong_way_far": wrong_way and size >= WRONG_WAY_FAR,
        "confidence": float(entry["confidence"] or 0.0),
        "evidence": entry["evidence"][:3],
        "rationale": entry["rationale"],
        "in_sweep": entry["sweep"] is not None,
    }


def read_with_sweeps(runs: list[RealRun], entries: list[dict]) -> None:
    """Give the runs of each sweep (the manifest's ``sweep``: one source's runs of one setup at
    several LRs) their sweep's reading, as ``lrwatch analyze --as-one`` does for the runs of one
    sweep: the same members (each run's curves, its logged LR or else its source's), the same
    reading, the same ``advise_in_sweep``. Sweeps of fewer than three LRs are left alone, as
    ``analyze`` leaves them."""
    from lrwatch.sweep_advice import advise_in_sweep
    from lrwatch.sweeps import MIN_LRS, member, read_sweep

    by_sweep: dict[str, list[int]] = defaultdict(list)
    for i, run in enumerate(runs):
        if run.sweep and run.curves is not None:
            by_sweep[run.sweep].append(i)
    for indices in by_sweep.values():
        members = [member(runs[i].repo, str(i), runs[i].curves,
                          {"lr": runs[i].meta["peak_lr"]} if runs[i].meta.get("peak_lr")
                          else None) for i in indices]
        if len({m.lr for m in members if m.lr is not None}) < MIN_LRS:
            continue
        reading = read_sweep(members).reading
        for place in reading.runs:
            advise_in_sweep(entries[int(place.name)], place, reading)


def scores(rows: list[dict]) -> dict:
    """The figures of a set of judged rows."""
    n = len(rows)
    if n == 0:
        return {"runs": 0}
    f1s = []
    for c in STATUSES:
        tp = sum(r["status_right"] and r["status"] == c for r in rows)
        predicted = sum(r["status"] == c for r in rows)
        actual = sum(r["label"] == c for r in rows)
        if actual == 0:
            continue
        p = tp / predicted if predicted else 0.0
        rc = tp / actual
        f1s.append(2 * p * rc / (p + rc) if p + rc > 0 else 0.0)
    # "not enough data" is sure of itself, not of the run: it counts as a wrong status, but not
    # among the confident verdicts
    confident = [r for r in rows if r["confidence"] >= CONFIDENT and r["verdict"]]
    return {
        "runs": n,
        "status_right": _mean(r["status_right"] for r in rows),
        "macro_f1": float(np.mean(f1s)) if f1s else float("nan"),
        "right_way": _mean(r["right_way"] for r in rows),
        "both_right": _mean(r["right_way"] and r["status_right"] for r in rows),
        "range_test_share": _mean(r["way"] == "test" for r in rows),
        "no_verdict": sum(not r["verdict"] for r in rows),
        "confident_runs": len(confident),
        "confident_wrong_way": sum(r["wrong_way"] for r in confident),
        "confident_right": _mean(r["right_way"] and r["status_right"] for r in confident),
        "wrong_way_far_share": _mean(r["wrong_way_far"] for r in rows),
        "read_with_sweep": sum(r["in_sweep"] for r in rows),
    }


def reliability(rows: list[dict]) -> list[dict]:
    """Confidence bin -> runs, share with the status right, the way right, both right (runs
    with a verdict: "insufficient data" is left out)."""
    table = []
    for lo, hi in zip(CONFIDENCE_BINS, CONFIDENCE_BINS[1:]):
        inside = [r for r in rows if lo <= r["confidence"] < hi and r["verdict"]]
        table.append({"bin": f"{lo:.1f}-{min(hi, 1.0):.1f}", "runs": len(inside),
                      "status_right": _mean(r["status_right"] for r in inside),
                      "right_way": _mean(r["right_way"] for r in inside),
                      "both_right": _mean(r["status_right"] and r["right_way"] for r in inside)})
    return table


def _mean(values) -> float:  # type: ignore[no-untyped-def]
    v = list(values)
    return float(np.mean(v)) if v else float("nan")


def _pct(x: float) -> str:
    return "-" if isinstance(x, float) and math.isnan(x) else f"{x:.0%}"


def evaluate(runs: list[RealRun], with_sweeps: bool = False) -> dict:
    """Judge every run and gather the figures, overall, per family and per label; with
    ``with_sweeps``, each run of a sweep as ``lrwatch analyze`` reads it beside its sweep."""
    runs = [run for run in runs if run.curves is not None]
    entries = [entry_of(analyze(run.curves)) for run in runs]
    if with_sweeps:
        read_with_sweeps(runs, entries)
    rows = [judge(run, entry) for run, entry in zip(runs, entries)]
    by_family, by_label = defaultdict(list), defaultdict(list)
    for r in rows:
        by_family[r["family"]].append(r)
        by_label[r["label"]].append(r)
    return {
        "overall": scores(rows),
        "reliability": reliability(rows),
        "per_family": {k: scores(v) for k, v in sorted(by_family.items())},
        "per_label": {k: scores(v) for k, v in sorted(by_label.items())},
        "confusion": {t: dict(Counter(r["status"] for r in rows if r["label"] == t))
                      for t in STATUSES},
        "rows": rows,
    }


def report(side: str, res: dict, missing: int) -> list[str]:
    o = res["overall"]
    lines = [f"## Real-world diagnosis, {side} side: {o['runs']} runs ({missing} missing from "
             "the cache)", ""]
    if not o["runs"]:
        return lines + ["No runs to evaluate.", ""]
    lines += [
        f"status right {_pct(o['status_right'])}, macro-F1 {o['macro_f1']:.3f}; action the "
        f"right way {_pct(o['right_way'])} (range test {_pct(o['range_test_share'])} of the "
        f"answers); both right {_pct(o['both_right'])}; no verdict (insufficient data) "
        f"{o['no_verdict']}; confidence >= {CONFIDENT}: "
        f"{o['confident_runs']} runs, {_pct(o['confident_right'])} right, "
        f"{o['confident_wrong_way']} wrong-way; told to move >= {WRONG_WAY_FAR:g}x the wrong "
        f"way: {_pct(o['wrong_way_far_share'])}; read beside their sweep: "
        f"{o.get('read_with_sweep', 0)}", "",
        "| confidence | runs | status right | way right | both |", "|---|---|---|---|---|"]
    lines += [f"| {b['bin']} | {b['runs']} | {_pct(b['status_right'])} | {_pct(b['right_way'])}"
              f" | {_pct(b['both_right'])} |" for b in res["reliability"]]
    for title, key in (("family", "per_family"), ("label", "per_label")):
        lines += ["", f"| {title} | runs | status right | way right | >= {WRONG_WAY_FAR:g}x "
                  "wrong way |", "|---|---|---|---|---|"]
        lines += [f"| {k} | {s['runs']} | {_pct(s['status_right'])} | {_pct(s['right_way'])} "
                  f"| {_pct(s['wrong_way_far_share'])} |" for k, s in res[key].items()]
    lines += ["", "| label \\ status | " + " | ".join(STATUSES) + " | insufficient_data |",
              "|---" * (len(STATUSES) + 2) + "|"]
    for t in STATUSES:
        row = res["confusion"][t]
        lines.append(f"| {t} | " + " | ".join(str(row.get(p, 0)) for p in
                                             (*STATUSES, "insufficient_data")) + " |")
    return lines + [""]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.realworld_diagnosis")
    parser.add_argument("--side", choices=SIDES,
                        default="tuning",
                        help="which side of the split to evaluate (a held-out side: once, "
                             "after the rules are frozen); round 3 tunes on every run of "
                             "rounds 1-2 and holds out the families made for it; round 4 tunes "
                             "on every earlier run and half of its fresh public repositories; "
                             "rounds 5-8's fresh repositories are all held out, "
                             "and so are rounds 7-31's made families")
    parser.add_argument("--with-sweeps", action="store_true",
                        help="read each run of a sweep beside its sweep, as `lrwatch analyze "
                             "--as-one` reads the runs of one sweep (saved as SIDE+sweeps)")
    parser.add_argument("--errors", action="store_true",
                        help="print every run that is not right, with its evidence")
    args = parser.parse_args(argv or [])
    runs, missing_ids = load()
    runs = [r for r in runs if in_side(r.repo, args.side)]
    everything, _ = load(with_curves=False)
    wanted = {r.id for r in everything if in_side(r.repo, args.side)}
    missing = [i for i in missing_ids if i in wanted]
    res = evaluate(runs, with_sweeps=args.with_sweeps)
    res["missing"] = missing
    side = f"{args.side}+sweeps" if args.with_sweeps else args.side
    print("\n".join(report(side, res, len(missing))))
    if args.errors:
        for r in res["rows"]:
            if not (r["status_right"] and r["right_way"]):
                print(f"- {r['id']} [{r['family']}] label {r['label']}/{r['direction']} -> "
                      f"{r['status']} {r['action']} x{r['factor'] or 1:.3g} "
                      f"conf {r['confidence']:.2f}: {' | '.join(r['evidence'])}")
    OUT.mkdir(exist_ok=True)
    saved = OUT / "realworld.json"
    sides = json.loads(saved.read_text()) if saved.exists() else {}
    sides[side] = res
    saved.write_text(json.dumps(sides, indent=1, default=float))
    (OUT / "realworld.md").write_text("\n".join(
        line for side, r in sorted(sides.items(), reverse=True)
        for line in report(side, r, len(r["missing"]))))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
