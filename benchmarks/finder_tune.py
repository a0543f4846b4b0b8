"""How the range-test rule's settings were chosen: a grid over them, on the tuning tasks only.

``python -m benchmarks.finder_tune`` reads the cached range tests and sweeps of the "tune"
tasks (run ``python -m benchmarks finder`` first) and prints, for each setting, the median
``|log10(suggested / best)|`` and the share within 3x of best. The defaults of
``lrwatch.analysis.rangetest.RuleSettings`` sit on the plateau of this table; the "report"
tasks are never read here.

``python -m benchmarks.finder_tune step-back`` does the same for ``NEW_TASK_STEP_BACK`` (how far
below the from-scratch pick a fine-tune that learns a new task is read), on the fine-tunes that
earlier rounds already evaluated (``finder_families``' two, ``finder_finetunes``' five): the
fifth round's fresh families (``finder_fresh``) are never read here.
"""

from __future__ import annotations

import itertools
import math
import sys
from statistics import median
from unittest import mock

import numpy as np

from benchmarks import finder_runs as runs
from benchmarks.finder import FINDER_SEEDS, MOMENTUM, best_lr, lrwatch_reading
from benchmarks.finder_families import FAMILY_TASKS, FINE_TUNE_GRID
from benchmarks.finder_finetunes import FINE_TUNE_TASKS
from benchmarks.finder_tasks import OPTIMIZERS, TASKS
from lrwatch.analysis import rangetest
from lrwatch.analysis.rangetest import RuleSettings, read_range_test


def main() -> None:
    curves = []
    for task in (t for t in TASKS if t.split == "tune"):
        for optimizer in OPTIMIZERS:
            best, _ = best_lr(task, optimizer)
            for seed in FINDER_SEEDS:
                curves.append((optimizer, best, runs.lrwatch(task, optimizer, seed)))
    print("| smooth_sigma | margin | momentum_margin | adaptive_margin | median error "
          "| within 3x |")
    print("|---|---|---|---|---|---|")
    for sigma, margin, momentum, adaptive in itertools.product(
            (0.03, 0.05, 0.07), (0.1, 0.2, 0.3), (0.2, 0.3, 0.4, 0.5), (0.4, 0.5, 0.6)):
        settings = RuleSettings(smooth_sigma=sigma, margin=margin, momentum_margin=momentum,
                                adaptive_margin=adaptive)
        errors = []
        for optimizer, best, curve in curves:
            pick = read_range_test(np.asarray(curve["lr"]), np.asarray(curve["raw_loss"]),
                                   optimizer=optimizer.split("-")[0],
                                   momentum=MOMENTUM[optimizer], planned_steps=runs.NUM_TRAINING,
                                   settings=settings).suggested_lr
            errors.append(math.inf if pick is None else abs(math.log10(pick / best)))
        within = sum(e <= math.log10(3) + 1e-9 for e in errors) / len(errors)
        print(f"| {sigma} | {margin} | {momentum} | {adaptive} | {median(errors):.2f} | "
              f"{within:.0%} |")


def step_back() -> None:
    """The fine-tunes' scores for each ``NEW_TASK_STEP_BACK``, read with ``fine_tune=True``."""
    curves = []
    for task in (t for t in FAMILY_TASKS + FINE_TUNE_TASKS if t.fine_tune):
        for optimizer in task.optimizers:
            if not runs.swept(task, optimizer, FINE_TUNE_GRID, 0):
                print(f"(skipped, not swept: {task.name} {optimizer})")
                continue
            best, _ = best_lr(task, optimizer, FINE_TUNE_GRID, (0,))
            for seed in FINDER_SEEDS:
                curves.append((task.name, optimizer, best, runs.lrwatch(task, optimizer, seed)))
    print("| step back (decades) | median error | within 3x | picks per pair |")
    print("|---|---|---|---|")
    for back in (0.0, 0.3, 0.5, 0.7, 1.0, 1.3):
        with mock.patch.object(rangetest, "NEW_TASK_STEP_BACK", back):
            picks = [(name, optimizer, best,
                      lrwatch_reading(curve, optimizer, fine_tune=True).suggested_lr)
                     for name, optimizer, best, curve in curves]
        errors = [abs(math.log10(pick / best)) for _, _, best, pick in picks]
        within = sum(e <= math.log10(3) + 1e-9 for e in errors) / len(errors)
        per_pair = "; ".join(f"{name} {optimizer} (best {best:.2g}): " + ", ".join(
            f"{p:.2g}" for n, o, _, p in picks if (n, o) == (name, optimizer))
            for name, optimizer, best in dict.fromkeys((n, o, b) for n, o, b, _ in picks))
        print(f"| {back} | {median(errors):.2f} | {within:.0%} | {per_pair} |")


if __name__ == "__main__":
    if sys.argv[1:] == ["step-back"]:
        step_back()
    else:
        main()
