"""How close does each LR finder land to the best LR? lrwatch vs Lightning vs torch-lr-finder.

For every task x optimizer (``finder_tasks.py``): a grid sweep trains at each half-decade LR
from 1e-5 to 10 for a fixed budget of steps (two seeds), and the LR with the lowest mean final
training loss is "best". Then each finder runs its range test (1e-6 to 10, 100 steps, three
seeds, same initial weights and data order) and its suggestion is scored by
``|log10(suggested / best)|``; a missing suggestion scores as a miss. Reported per finder: the
median error and the share of tests within 3x of best, on the "report" tasks; the "tune" tasks,
on which lrwatch's rule was set, are shown apart.

Runs are cached under ``benchmarks/out/finder/cache`` (delete it to start over); lrwatch's
suggestion is read again from its cached raw curve, so it always reflects the current rule.
Costs about 20 minutes on one core the first time.
"""

from __future__ import annotations

import json
import math
import os
import sys
from statistics import median
from typing import Any

import numpy as np

from benchmarks import finder_runs as runs
from benchmarks.finder_tasks import TASKS
from lrwatch.analysis.rangetest import RangeTestReading, read_range_test

SWEEP_SEEDS = (0, 1)
FINDER_SEEDS = (0, 1, 2)
FINDERS = ("lrwatch", "lightning", "torch_lr_finder")
WITHIN = math.log10(3.0)
MOMENTUM = {"SGD": 0.0, "SGD-momentum": 0.9, "AdamW": 0.9, "Adam": 0.9,
            "RMSprop": 0.0, "SGD-nesterov": 0.9, "Adagrad": 0.0,
            "Adam-clip": 0.9}  # what find_lr reads


def best_lr(task: Any, optimizer: str, grid: list[float] = runs.GRID,
            seeds: tuple[int, ...] = SWEEP_SEEDS) -> tuple[float, dict[str, float]]:
    """The grid LR with the lowest mean final loss over the sweep seeds (on the task's
    validation data when it has some, else its training data)."""
    losses = {}
    for lr in grid:
        finals = [runs.sweep(task, optimizer, lr, seed) for seed in seeds]
        losses[f"{lr:.3g}"] = float(np.mean(finals))
    best = min(grid, key=lambda lr: losses[f"{lr:.3g}"])
    return best, losses


def lrwatch_reading(curve: dict[str, Any], optimizer: str, fine_tune: bool | None = False
                    ) -> RangeTestReading:
    """lrwatch's rule read again from the cached raw curve: what find_lr returns today
    (``fine_tune`` as its argument: False reads the curve as training from scratch)."""
    return read_range_test(np.asarray(curve["lr"]), np.asarray(curve["raw_loss"]),
                           optimizer=optimizer.split("-")[0], momentum=MOMENTUM[optimizer],
                           planned_steps=runs.NUM_TRAINING, fine_tune=fine_tune)


def collect(split: str | None = None) -> list[dict[str, Any]]:
    """One row per task x optimizer x finder seed: the best LR and each finder's pick."""
    rows = []
    for task in TASKS:
        if split and task.split != split:
            continue
        for optimizer in task.optimizers:
            best, grid = best_lr(task, optimizer)
            for seed in FINDER_SEEDS:
                curve = runs.lrwatch(task, optimizer, seed)
                light = runs.lightning(task, optimizer, seed)
                tlf = runs.torch_lr_finder(task, optimizer, seed)
                reading = lrwatch_reading(curve, optimizer)
                rows.append({
                    "task": task.name, "split": task.split, "optimizer": optimizer,
                    "seed": seed, "best": best, "grid": grid,
                    "lrwatch": reading.suggested_lr,
                    "lrwatch_safe_range": [reading.lower_lr, reading.upper_lr],
                    "lightning": light["suggestion"], "torch_lr_finder": tlf["suggestion"],
                    "seconds": {"lrwatch": curve["seconds"], "lightning": light["seconds"],
                                "torch_lr_finder": tlf["seconds"]},
                })
            print(f"  {task.name:24s} {optimizer:12s} best {best:8.3g}  "
                  + "  ".join(f"{f}={_fmt(np.median([r[f] or np.nan for r in rows[-3:]]))}"
                              for f in FINDERS), flush=True)
    return rows


def error(row: dict[str, Any], finder: str) -> float:
    pick = row[finder]
    if pick is None or not pick > 0:
        return math.inf
    return abs(math.log10(pick / row["best"]))


def pair_errors(rows: list[dict[str, Any]], finder: str) -> list[float]:
    """Per task x optimizer: the error of the median pick over the finder seeds."""
    pairs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        pairs.setdefault((r["task"], r["optimizer"]), []).append(r)
    out = []
    for tests in pairs.values():
        logs = sorted(math.log10(r[finder]) if r[finder] else math.inf for r in tests)
        out.append(abs(median(logs) - math.log10(tests[0]["best"])))
    return out


def score(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out = {}
    for finder in FINDERS:
        errors = [error(r, finder) for r in rows]
        per_pair = pair_errors(rows, finder)
        out[finder] = {
            "median_abs_log10_error": median(errors),
            "within_3x": sum(e <= WITHIN + 1e-9 for e in errors) / len(errors),
            "pairs_within_3x": sum(e <= WITHIN + 1e-9 for e in per_pair) / len(per_pair),
            "no_suggestion": sum(r[finder] is None for r in rows) / len(rows),
            "median_seconds": median(r["seconds"][finder] for r in rows),
            "tests": len(rows),
        }
    return out


def table(scores: dict[str, dict[str, float]], title: str) -> str:
    lines = [f"{title}", "",
             "| finder | median abs(log10(suggested / best)) | tests within 3x of best "
             "| pairs within 3x (median of 3 seeds) | no suggestion | median seconds per test |",
             "|---|---|---|---|---|---|"]
    names = {"lrwatch": "lrwatch `find_lr`", "lightning": "Lightning `Tuner.lr_find`",
             "torch_lr_finder": "torch-lr-finder"}
    for finder, s in scores.items():
        lines.append(f"| {names[finder]} | {s['median_abs_log10_error']:.2f} | "
                     f"{100 * s['within_3x']:.0f}% | {100 * s['pairs_within_3x']:.0f}% | "
                     f"{100 * s['no_suggestion']:.0f}% | {s['median_seconds']:.2f} |")
    return "\n".join(lines)


def main(splits: tuple[str, ...] = ("tune", "report")) -> None:
    import torch

    torch.set_num_threads(1)  # small models: one thread is fastest and leaves a core free
    if hasattr(os, "nice"):
        os.nice(10)  # some thousand short trainings: yield to whoever shares the machine
    os.environ.setdefault("TQDM_DISABLE", "1")
    report: dict[str, Any] = {"settings": {
        "budget_steps": runs.BUDGET, "grid": runs.GRID, "sweep_seeds": SWEEP_SEEDS,
        "finder_seeds": FINDER_SEEDS, "min_lr": runs.MIN_LR, "max_lr": runs.MAX_LR,
        "num_training": runs.NUM_TRAINING}}
    text = []
    for split in splits:
        print(f"-- {split} tasks", flush=True)
        rows = collect(split)
        scores = score(rows)
        n_pairs = len({(r["task"], r["optimizer"]) for r in rows})
        title = (f"{split} tasks: {n_pairs} task x optimizer pairs, {len(rows)} range tests "
                 f"per finder")
        inside = [lo is not None and lo <= r["best"] <= hi
                  for r in rows for lo, hi in [r["lrwatch_safe_range"]]]
        scores["lrwatch"]["best_in_safe_range"] = sum(inside) / len(inside)
        text.append(table(scores, title) + f"\n\nlrwatch's safe range holds the best grid LR in "
                    f"{100 * scores['lrwatch']['best_in_safe_range']:.0f}% of the tests.")
        print(text[-1], flush=True)
        report[split] = {"scores": scores, "rows": rows}
    runs.OUT.mkdir(parents=True, exist_ok=True)
    (runs.OUT / "results.json").write_text(json.dumps(report, indent=1))
    (runs.OUT / "results.md").write_text("\n\n".join(text) + "\n")


def _fmt(x: float) -> str:
    return "none" if not np.isfinite(x) else f"{x:.3g}"


if __name__ == "__main__":
    main(tuple(sys.argv[1:]) or ("tune", "report"))
