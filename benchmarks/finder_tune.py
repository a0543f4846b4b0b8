"""How the range-test rule's settings were chosen: a grid over them, on the tuning tasks only.

``python -m benchmarks.finder_tune`` reads the cached range tests and sweeps of the "tune"
tasks (run ``python -m benchmarks finder`` first) and prints, for each setting, the median
``|log10(suggested / best)|`` and the share within 3x of best. The defaults of
``lrwatch.analysis.rangetest.RuleSettings`` sit on the plateau of this table; the "report"
tasks are never read here.
"""

from __future__ import annotations

import itertools
import math
from statistics import median

import numpy as np

from benchmarks import finder_runs as runs
from benchmarks.finder import FINDER_SEEDS, MOMENTUM, best_lr
from benchmarks.finder_tasks import TASKS
from lrwatch.analysis.rangetest import RuleSettings, read_range_test


def main() -> None:
    curves = []
    for task in (t for t in TASKS if t.split == "tune"):
        for optimizer in task.optimizers:
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


if __name__ == "__main__":
    main()
