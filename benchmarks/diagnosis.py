"""Diagnosis benchmark: accuracy on real runs of held-out tasks, suggestion quality, early
warning before NaN, and speed (a 1 M-step run; online updates).

The corpus (``benchmarks/corpus/runs.npz``) holds real Lightning runs labeled from their own LR
sweeps (see ``benchmarks/corpus/generate.py``). The rules were tuned on the runs of
``TUNE_TASKS`` only; the figures that count are those of ``HELDOUT_TASKS``: other data sets and
architectures, never looked at while tuning. Runs of sweeps the corpus marks ``unlabelable``
(their best LR did not halve the loss even trained longer) are left out and counted. Writes
``benchmarks/out/diagnosis.{json,md}``.

``python -m benchmarks.diagnosis [--corpus PATH] [--tuning-only]``: another cache (e.g. one
labeled by earlier rules), or the tuning tasks alone (what tuning the rules may look at).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks.corpus import CACHE, UNLABELABLE, CorpusRun, load
from lrwatch.analysis import OnlineAnalyzer, RunCurves, Series, Status, analyze

OUT = Path(__file__).with_name("out")
CLASSES = ["diverging", "oscillating", "stalled", "healthy"]
DOWN, UP, KEEP = -1, 1, 0
# "within 3x" includes exactly 3x: a 3x move from a run at the best LR gives 3 up to rounding
WITHIN_3X = 3.0 * (1 + 1e-9)


def evaluate(runs: list[CorpusRun]) -> dict:
    """Classification and suggestion figures for a set of runs."""
    truth, pred, right, factors, rows = [], [], [], [], []
    for run in runs:
        d = analyze(run.curves)
        status = d.status.value
        truth.append(run.label)
        pred.append(status)
        s = d.suggestion
        right.append(direction_right(run.label, run.lr, run.best_lr, s.factor))
        if s.suggested_lr:
            factors.append(max(s.suggested_lr / run.best_lr, run.best_lr / s.suggested_lr))
        rows.append({"sweep": run.sweep, "lr": run.lr, "label": run.label, "status": status,
                     "action": s.action.value, "suggested_lr": s.suggested_lr,
                     "best_lr": run.best_lr})
    confusion = {t: {p: 0 for p in CLASSES + ["insufficient_data"]} for t in CLASSES}
    for t, p in zip(truth, pred):
        confusion[t][p] += 1
    per_class = {}
    for c in CLASSES:
        tp = confusion[c][c]
        predicted = sum(confusion[t][c] for t in CLASSES)
        actual = sum(confusion[c].values())
        precision = tp / predicted if predicted else float("nan")
        recall = tp / actual if actual else float("nan")
        f1 = (2 * precision * recall / (precision + recall)
              if predicted and actual and precision + recall > 0 else 0.0)
        per_class[c] = {"precision": precision, "recall": recall, "f1": f1, "support": actual}
    present = [c for c in CLASSES if per_class[c]["support"]]
    return {
        "runs": len(runs),
        "sweeps": len({r.sweep for r in runs}),
        "accuracy": float(np.mean([t == p for t, p in zip(truth, pred)])),
        "macro_f1": float(np.mean([per_class[c]["f1"] for c in present])),
        "per_class": per_class,
        "confusion": confusion,
        "direction_right": float(np.mean(right)),
        "median_factor_to_best": float(np.median(factors)) if factors else float("nan"),
        "within_3x_of_best": (float(np.mean(np.array(factors) <= WITHIN_3X)) if factors
                              else float("nan")),
        "rows": rows,
    }


def direction_right(label: str, lr: float, best_lr: float, factor: float | None) -> bool:
    """Down for diverging/oscillating, up for stalled; for healthy runs keeping the LR, or a
    move toward the sweep's best LR that does not overshoot it, is right."""
    f = 1.0 if factor is None else factor
    move = DOWN if f < 0.99 else UP if f > 1.01 else KEEP
    if label in ("diverging", "oscillating"):
        return move == DOWN
    if label == "stalled":
        return move == UP
    if move == KEEP:
        return True
    target = best_lr / lr
    return (move == UP and 1 < f <= target * 1.5) or (move == DOWN and target / 1.5 <= f < 1)


def early_warning(runs: list[CorpusRun]) -> dict:
    """For runs whose loss goes NaN: steps between the first DIVERGING status (or alarm) of an
    online analyzer fed one step at a time, and the first NaN."""
    leads_status, leads_alarm, nan_steps, missed = [], [], [], 0
    for run in runs:
        nan_step = run.first_nonfinite_step
        if nan_step is None:
            continue
        c = run.curves
        online = OnlineAnalyzer(optimizer=c.optimizer, momentum=c.momentum,
                                batch_size=c.batch_size, total_steps=c.total_steps)
        status_at = alarm_at = None
        for i, step in enumerate(c.loss.steps):
            online.update(step, c.loss.values[i], lr=c.lr.values[i],
                          grad_norm=c.grad_norm.values[i])
            if alarm_at is None and online.diverging_now() is not None:
                alarm_at = int(step)
            if status_at is None and online.diagnose().status is Status.DIVERGING:
                status_at = int(step)
            if step >= nan_step:
                break
        if status_at is None:
            missed += 1
            continue
        leads_status.append(nan_step - status_at)
        nan_steps.append(nan_step)
        leads_alarm.append(nan_step - (alarm_at if alarm_at is not None else nan_step))
    n = len(leads_status)
    return {
        "runs_reaching_nan": n + missed,
        "median_steps_before_nan_status": float(np.median(leads_status)) if n else float("nan"),
        "median_steps_before_nan_alarm": float(np.median(leads_alarm)) if n else float("nan"),
        "share_warned_before_nan": (float(np.mean(np.array(leads_status) > 0)) if n
                                    else float("nan")),
        "steps_before_nan_status": leads_status,
        "first_nan_steps": nan_steps,
    }


def speed() -> dict:
    """Time a 1 M-step analysis and online updates (medians of repeated runs)."""
    rng = np.random.default_rng(0)
    n = 1_000_000
    steps = np.arange(n)
    loss = (2.0 * (1 + steps / 1e4) ** -0.5) * np.exp(rng.normal(0, 0.2, n))
    curves = RunCurves(loss=Series(steps, loss), lr=Series(steps, np.full(n, 1e-3)),
                       grad_norm=Series(steps, np.exp(rng.normal(0, 0.3, n))), optimizer="AdamW")
    analyze(curves)
    big = [timed(lambda: analyze(curves)) for _ in range(5)]
    online = OnlineAnalyzer(optimizer="AdamW")
    online.update(steps[:200_000], loss[:200_000], lr=1e-3)
    one, ten, diag, alarm = [], [], [], []
    at = 200_000
    for _ in range(2000):
        one.append(timed(lambda: online.update(at, loss[at], lr=1e-3, grad_norm=1.0)))
        at += 1
        alarm.append(timed(online.diverging_now))
    for _ in range(500):
        ten.append(timed(lambda: online.update(steps[at:at + 10], loss[at:at + 10], lr=1e-3)))
        at += 10
    for _ in range(200):
        diag.append(timed(online.diagnose))
    return {
        "analyze_1M_steps_s": float(np.median(big)),
        "online_update_1_point_ms": 1e3 * float(np.median(one)),
        "online_update_10_points_ms": 1e3 * float(np.median(ten)),
        "online_update_1_point_p99_ms": 1e3 * float(np.percentile(one, 99)),
        "online_diverging_now_ms": 1e3 * float(np.median(alarm)),
        "online_diagnose_ms": 1e3 * float(np.median(diag)),
    }


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def report(name: str, res: dict) -> list[str]:
    lines = [f"### {name}: {res['runs']} runs in {res['sweeps']} sweeps", "",
             f"accuracy {res['accuracy']:.1%}, macro-F1 {res['macro_f1']:.3f}, "
             "suggestion direction "
             f"right {res['direction_right']:.1%}, median factor suggested/best LR "
             f"{res['median_factor_to_best']:.2f}x (within 3x: {res['within_3x_of_best']:.0%})", "",
             "| label \\ status | " + " | ".join(CLASSES + ["insufficient"]) + " | recall |",
             "|---" * (len(CLASSES) + 3) + "|"]
    for t in CLASSES:
        row = res["confusion"][t]
        pc = res["per_class"][t]
        lines.append(f"| {t} | " + " | ".join(str(row[p]) for p in CLASSES + ["insufficient_data"])
                     + f" | {_pct(pc['recall'])} |")
    lines.append("| precision | " + " | ".join(_pct(res["per_class"][c]["precision"])
                                             for c in CLASSES) + " | | |")
    return lines + [""]


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.0%}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.diagnosis")
    parser.add_argument("--corpus", type=Path, default=CACHE, help="the corpus cache to read")
    parser.add_argument("--tuning-only", action="store_true",
                        help="evaluate the tuning tasks only (never the held-out ones)")
    args = parser.parse_args(argv or [])
    every = load(args.corpus)
    runs = [r for r in every if r.label != UNLABELABLE]
    left_out = sorted({r.sweep for r in every if r.label == UNLABELABLE})
    tune = [r for r in runs if not r.heldout]
    held = [] if args.tuning_only else [r for r in runs if r.heldout]
    sides = (("heldout", held), ("tuning", tune)) if held else (("tuning", tune),)
    results: dict = {side: evaluate(rs) for side, rs in sides}
    for side, rs in sides:
        results[f"early_warning_{side}"] = early_warning(rs)
    results["unlabelable_sweeps"] = left_out
    results["speed"] = speed()
    md = ["## Diagnosis on real runs", "",
          f"Left out as unlabelable: {len(left_out)} sweeps ({', '.join(left_out) or 'none'}).", ""]
    if held:
        md += report("Held-out tasks " + ", ".join(sorted({r.task for r in held})),
                     results["heldout"])
    md += report("Tuning tasks " + ", ".join(sorted({r.task for r in tune})), results["tuning"])
    for side, _ in sides:
        ew = results[f"early_warning_{side}"]
        md += [f"Early warning ({side} runs reaching NaN: {ew['runs_reaching_nan']}, first NaN at "
               f"steps {sorted(ew['first_nan_steps'])}): the online status turned diverging a "
               f"median {ew['median_steps_before_nan_status']:g} steps before the first NaN "
               f"(steps before: {sorted(ew['steps_before_nan_status'])}); the alarm alone a median "
               f"{ew['median_steps_before_nan_alarm']:g}; warned before the NaN in "
               f"{_pct(ew['share_warned_before_nan'])} of them.", ""]
    sp = results["speed"]
    md += [f"Speed: 1 M-step run analysed in {sp['analyze_1M_steps_s']:.3f} s; online update "
           f"{sp['online_update_1_point_ms']:.3f} ms (1 point), "
           f"{sp['online_update_10_points_ms']:.3f} ms (10 points), p99 "
           f"{sp['online_update_1_point_p99_ms']:.3f} ms; diverging_now "
           f"{sp['online_diverging_now_ms']:.3f} ms; diagnose {sp['online_diagnose_ms']:.2f} ms.",
           ""]
    text = "\n".join(md)
    print(text)
    for side, _ in sides:
        errors = Counter((r["label"], r["status"]) for r in results[side]["rows"]
                         if r["label"] != r["status"])
        print(f"{side} errors (label -> status):", dict(errors))
    OUT.mkdir(exist_ok=True)
    (OUT / "diagnosis.md").write_text(text)
    (OUT / "diagnosis.json").write_text(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
