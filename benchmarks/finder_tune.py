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

``python -m benchmarks.finder_tune basin`` does the same for the sixth round's flat-bottom
settings (``RuleSettings.basin_share``, ``basin_widths``) on every earlier round's cached
pairs (``finder_general``'s "tune", "held-out", "fine-tune-held-out" and "fresh-held-out"
splits, each read as its caller would: fine-tunes with ``fine_tune=True``): the sixth round's
fresh families (``finder_fresh6``) are never read here.
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
from benchmarks.finder_families import FAMILY_TASKS, FINE_TUNE_GRID, SCRATCH_GRID
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


BASIN_SPLITS = ("tune", "held-out", "fine-tune-held-out", "fresh-held-out")


def basin() -> None:
    """Every earlier split's cached pairs, scored for each flat-bottom setting, with each
    pair's median signed error (decades; + is too high)."""
    from benchmarks.finder_general import TASKS

    curves = []
    for task in (t for t in TASKS if t.split in BASIN_SPLITS):
        grid = FINE_TUNE_GRID if task.fine_tune else SCRATCH_GRID
        for optimizer in task.optimizers:
            cached = [runs.cached_run("lrwatch", task, optimizer, seed) for seed in FINDER_SEEDS]
            if not runs.swept(task, optimizer, grid, 0) or None in cached:
                print(f"(skipped, not generated: {task.name} {optimizer})")
                continue
            best, _ = best_lr(task, optimizer, grid, (0,))
            curves += [(task, optimizer, best, curve) for curve in cached]
    print(f"{len(curves) // len(FINDER_SEEDS)} pairs, {len(curves)} range tests\n")
    print("| basin_share | basin_widths | median decades off | within 3x | per pair |")
    print("|---|---|---|---|---|")
    settings = [RuleSettings(basin_share=0.0)] + [  # off first: the rule before round 6
        RuleSettings(basin_share=share, basin_widths=widths)
        for share in (0.05, 0.1, 0.2) for widths in (1, 2, 3)]
    for setting in settings:
        signed: dict[str, list[float]] = {}
        for task, optimizer, best, curve in curves:
            pick = read_range_test(np.asarray(curve["lr"]), np.asarray(curve["raw_loss"]),
                                   optimizer=optimizer.split("-")[0],
                                   momentum=MOMENTUM[optimizer],
                                   planned_steps=runs.NUM_TRAINING, settings=setting,
                                   fine_tune=task.fine_tune).suggested_lr
            signed.setdefault(f"{task.name} {optimizer}", []).append(
                math.inf if pick is None else math.log10(pick / best))
        errors = [abs(e) for pair in signed.values() for e in pair]
        within = sum(e <= math.log10(3) + 1e-9 for e in errors) / len(errors)
        per_pair = "; ".join(f"{pair} {median(e):+.2f}" for pair, e in signed.items())
        print(f"| {setting.basin_share} | {setting.basin_widths} | {median(errors):.2f} | "
              f"{within:.0%} | {per_pair} |")


if __name__ == "__main__":
    if sys.argv[1:] == ["step-back"]:
        step_back()
    elif sys.argv[1:] == ["basin"]:
        basin()
    else:
        main()
