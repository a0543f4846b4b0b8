"""Choose the range-test rule's settings on the finder benchmarks' tuning tasks only.

Reads the cached runs of ``finder`` (its "tune" tasks) and of ``finder_general`` (the "tune"
member of each family; a task whose sweep is not cached yet is left out, an old one swept with
one seed so far counts with that seed) and prints, for each combination of settings, the
median error and the share within 3x of the sweep's best on each side, and the worst family's
median error. The
held-out side is never read here. ``python -m benchmarks.finder_tune``
"""

from __future__ import annotations

import itertools
import math
from statistics import median
from typing import Any

import numpy as np

from benchmarks import finder_runs as runs
from benchmarks.finder import FINDER_SEEDS, MOMENTUM, SWEEP_SEEDS, best_lr
from benchmarks.finder_families import FAMILY_TASKS, FINE_TUNE_GRID, SCRATCH_GRID
from benchmarks.finder_general import SWEEP_SEEDS as FAMILY_SWEEP_SEEDS
from benchmarks.finder_tasks import TASKS
from lrwatch.analysis.rangetest import RuleSettings, read_range_test

Curve = tuple[str, str, bool, float, dict[str, Any]]  # family, optimizer, fine-tune, best, curve


def curves() -> list[Curve]:
    """The tuning side: the old tuning tasks (as one family) and each family's tune member."""
    out: list[Curve] = []
    for task in (t for t in TASKS if t.split == "tune"):
        for optimizer in task.optimizers:
            seeds = tuple(s for s in SWEEP_SEEDS if runs.swept(task, optimizer, runs.GRID, s))
            if not seeds:  # not swept yet: left out, and said so
                print(f"left out, not swept: {task.name} {optimizer}")
                continue
            best, _ = best_lr(task, optimizer, runs.GRID, seeds)
            out += [("finder-tune", optimizer, False, best, runs.lrwatch(task, optimizer, seed))
                    for seed in FINDER_SEEDS]
    for task in (t for t in FAMILY_TASKS if t.split == "tune"):
        grid = FINE_TUNE_GRID if task.fine_tune else SCRATCH_GRID
        for optimizer in task.optimizers:
            if not runs.swept(task, optimizer, grid, FAMILY_SWEEP_SEEDS[0]):
                print(f"left out, not swept: {task.name} {optimizer}")
                continue
            best, _ = best_lr(task, optimizer, grid, FAMILY_SWEEP_SEEDS)
            out += [(task.family, optimizer, task.fine_tune, best,
                     runs.lrwatch(task, optimizer, seed)) for seed in FINDER_SEEDS]
    return out


def errors(data: list[Curve], settings: RuleSettings) -> dict[str, list[float]]:
    """Per family: ``|log10(pick / best)|`` of each test (inf without a suggestion)."""
    out: dict[str, list[float]] = {}
    for family, optimizer, fine_tune, best, curve in data:
        pick = read_range_test(np.asarray(curve["lr"]), np.asarray(curve["raw_loss"]),
                               optimizer=optimizer.split("-")[0], momentum=MOMENTUM[optimizer],
                               planned_steps=runs.NUM_TRAINING, fine_tune=fine_tune,
                               settings=settings).suggested_lr
        out.setdefault(family, []).append(
            math.inf if pick is None else abs(math.log10(pick / best)))
    return out


def main() -> None:
    data = curves()
    print("| adaptive_reach | reach | momentum_reach | edge_margin | finder-tune median "
          "| within 3x | families median | within 3x | worst family (median) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for adaptive, sgd, momentum, edge in itertools.product(
            (0.0, 0.2, 0.4, 0.6, 10.0), (0.5, 1.0, 10.0), (0.5, 1.0, 10.0), (0.0, 0.5, 0.7)):
        settings = RuleSettings(adaptive_reach=adaptive, reach=sgd, momentum_reach=momentum,
                                edge_margin=edge)
        by_family = errors(data, settings)
        old = by_family.pop("finder-tune", [math.nan])
        new = [e for family in by_family.values() for e in family]
        worst = max(by_family, key=lambda f: median(by_family[f]))
        print(f"| {adaptive} | {sgd} | {momentum} | {edge} | {median(old):.2f} | "
              f"{_within(old):.0%} | {median(new):.2f} | {_within(new):.0%} | "
              f"{worst} ({median(by_family[worst]):.2f}) |", flush=True)


def _within(errors: list[float]) -> float:
    return sum(e <= math.log10(3) + 1e-9 for e in errors) / len(errors)


if __name__ == "__main__":
    main()
