"""Does the range test's suggestion carry over to new kinds of model? (issue 17)

The families of ``finder_families`` (autoencoders, convex models, normalisation layers with Adam,
deep tanh networks with SGD, a small transformer LM, fine-tuning), run as ``finder`` runs its
tasks: the same three finders with the same arguments (1e-6 to 10, 100 steps, three seeds), a
half-decade grid sweep from 1e-5 to 10 (1e-6 to 1 for a fine-tune; 300 steps, one seed) as
the reference, scored on each task's validation split. Scored per split ("tune",
"held-out"): the share of tests within 3x of the sweep's best, the median of
``|log10(suggested / best)|`` (decades off), and the worst family's median; a missing
suggestion counts as a miss. Runs are cached with ``finder``'s, so
lrwatch's rule is re-read from the raw curves without training.

lrwatch reads a fine-tune's curve with ``fine_tune=True`` and every other with
``fine_tune=False``, as their callers would say; "lrwatch, detected" reads every curve with
``fine_tune=None`` (lrwatch decides from the curve). The fresh fine-tunes of
``finder_finetunes`` are their own split, "fine-tune-held-out", and the fifth round's fresh
families of ``finder_fresh`` theirs, "fresh-held-out", the sixth round's (``finder_fresh6``)
"fresh6-held-out", the seventh round's (``finder_fresh7``) "fresh7-held-out", the eighth round's
(``finder_fresh8``) "fresh8-held-out", the ninth round's (``finder_fresh9``)
"fresh9-held-out", the tenth round's (``finder_fresh10``) "fresh10-held-out", and the eleventh
round's (``finder_fresh11``) "fresh11-held-out".

``python -m benchmarks.finder_general [SPLIT ...]`` (the ``SPLITS`` below, all by default);
``--generate SPLIT ...`` only runs (and caches) the sweeps and range tests, printing no score
and no pick (the finders' own log lines and printed suggestions are silenced): how held-out
runs are made before the rule they will judge is frozen.
``--sweep SPLIT [TASK ...]`` runs only the sweeps (no range test) and prints each one's losses,
its best LR, the loss of a model that learned nothing, and the best and its grid neighbours
again with ``NOISE_SEEDS``: whether a family is a sound reference, judged before any of its
range tests exists.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import sys
import time
import warnings
from collections.abc import Iterator
from statistics import median
from typing import Any

from benchmarks import finder_runs as runs
from benchmarks.finder import FINDER_SEEDS, WITHIN, best_lr, error, lrwatch_reading
from benchmarks.finder_families import FAMILY_TASKS, FINE_TUNE_GRID, SCRATCH_GRID
from benchmarks.finder_finetunes import FINE_TUNE_TASKS
from benchmarks.finder_fresh import FRESH_TASKS
from benchmarks.finder_fresh6 import FRESH6_TASKS
from benchmarks.finder_fresh7 import FRESH7_TASKS
from benchmarks.finder_fresh8 import FRESH8_TASKS
from benchmarks.finder_fresh9 import FRESH9_TASKS
from benchmarks.finder_fresh10 import FRESH10_TASKS
from benchmarks.finder_fresh11 import FRESH11_TASKS

OUT = runs.OUT.parent / "finder_general"
SWEEP_SEEDS = (0,)
NOISE_SEEDS = (1, 2)  # --sweep looks again at the best and its neighbours: never the reference
TASKS = (FAMILY_TASKS + FINE_TUNE_TASKS + FRESH_TASKS + FRESH6_TASKS + FRESH7_TASKS
         + FRESH8_TASKS + FRESH9_TASKS + FRESH10_TASKS + FRESH11_TASKS)
SPLITS = ("tune", "held-out", "fine-tune-held-out", "fresh-held-out", "fresh6-held-out",
          "fresh7-held-out", "fresh8-held-out", "fresh9-held-out", "fresh10-held-out",
          "fresh11-held-out")
FINDERS = ("lrwatch", "lrwatch_detected", "lightning", "torch_lr_finder")
NAMES = {"lrwatch": "lrwatch `find_lr`", "lrwatch_detected": "lrwatch, fine-tune detected",
         "lightning": "Lightning `Tuner.lr_find`", "torch_lr_finder": "torch-lr-finder"}


def collect(split: str) -> list[dict[str, Any]]:
    """One row per task x optimizer x finder seed: the best LR and each finder's pick."""
    rows = []
    for task in (t for t in TASKS if t.split == split):
        for optimizer in task.optimizers:
            best, grid = best_lr(task, optimizer,
                                 FINE_TUNE_GRID if task.fine_tune else SCRATCH_GRID, SWEEP_SEEDS)
            for seed in FINDER_SEEDS:
                curve = runs.lrwatch(task, optimizer, seed)
                reading = lrwatch_reading(curve, optimizer, fine_tune=task.fine_tune)
                detected = lrwatch_reading(curve, optimizer, fine_tune=None)
                rows.append({
                    "task": task.name, "family": task.family, "split": split,
                    "optimizer": optimizer, "seed": seed, "best": best, "grid": grid,
                    "lrwatch": reading.suggested_lr, "lrwatch_status": reading.status.value,
                    "lrwatch_reason": reading.reason,
                    "lrwatch_detected": detected.suggested_lr,
                    "detected_fine_tune": detected.fine_tune,
                    "lightning": runs.lightning(task, optimizer, seed)["suggestion"],
                    "torch_lr_finder": runs.torch_lr_finder(task, optimizer, seed)["suggestion"],
                })
            print(f"  {task.name:30s} {optimizer:12s} best {best:8.3g}  " + "  ".join(
                f"{f}={', '.join(_fmt(r[f]) for r in rows[-len(FINDER_SEEDS):])}"
                for f in FINDERS), flush=True)
    return rows


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence what the finders say while they run: find_lr's log line and warnings (through
    Lightning's logger and ``warnings``) and torch-lr-finder's printed suggestion would show
    held-out picks."""
    # every logger, not one: Lightning logs under ``lightning.pytorch`` or ``pytorch_lightning``
    # and a child logger given its own level (as other code may do) ignores its parent's
    disabled = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(disabled)


def generate(split: str) -> None:
    """Run and cache every sweep and range test of ``split``, showing no result."""
    for task in (t for t in TASKS if t.split == split):
        for optimizer in task.optimizers:
            start = time.perf_counter()
            with quiet():
                best_lr(task, optimizer, FINE_TUNE_GRID if task.fine_tune else SCRATCH_GRID,
                        SWEEP_SEEDS)
                for seed in FINDER_SEEDS:
                    runs.lrwatch(task, optimizer, seed)
                    runs.lightning(task, optimizer, seed)
                    runs.torch_lr_finder(task, optimizer, seed)
            print(f"  {task.name:30s} {optimizer:12s} generated in "
                  f"{time.perf_counter() - start:.0f} s", flush=True)


def nothing_learned(task: Any) -> dict[str, float]:
    """Validation losses of models that learned nothing: the model as it starts (for a
    fine-tune, the pretrained one), and the best constant prediction from the training targets
    (their mean for a regression, their class frequencies for a classification)."""
    import torch

    (_, y), (xv, yv) = task.data(), (task.validation or task.data)()
    with torch.no_grad():
        out = {"initial": float(task.loss(runs.model(task, 0).eval()(xv), yv))}
        if y.is_floating_point():
            out["constant"] = float(task.loss(y.mean(0).expand_as(yv), yv))
        elif y.dim() == 1:
            counts = torch.bincount(y, minlength=int(max(y.max(), yv.max())) + 1).float()
            logits = torch.log((counts + 1e-3) / counts.sum()).expand(len(yv), -1)
            out["constant"] = float(task.loss(logits, yv))
    return out


def sweep_only(split: str, names: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Run (and cache) only the sweeps of ``split`` (of its tasks named in ``names``, all when
    empty) and print what says whether each is a sound reference; no range test is run."""
    rows = []
    tasks = [t for t in TASKS if t.split == split and (not names or t.name in names)]
    if not tasks:
        raise SystemExit(f"no task of split {split!r} named {', '.join(names) or '(any)'}")
    for task in tasks:
        grid = FINE_TUNE_GRID if task.fine_tune else SCRATCH_GRID
        for optimizer in task.optimizers:
            start, cpu = time.perf_counter(), time.process_time()
            best, losses = best_lr(task, optimizer, grid, SWEEP_SEEDS)
            at = grid.index(best)
            seeds = {f"{lr:.3g}": [runs.sweep(task, optimizer, lr, s)
                                   for s in SWEEP_SEEDS + NOISE_SEEDS]
                     for lr in grid[max(at - 1, 0):at + 2]}
            row = {"task": task.name, "optimizer": optimizer, "best": best, "losses": losses,
                   "inside": 0 < at < len(grid) - 1, "nothing_learned": nothing_learned(task),
                   "neighbours": seeds, "wall_s": time.perf_counter() - start,
                   "cpu_s": time.process_time() - cpu}
            rows.append(row)
            print(f"  {task.name} {optimizer}: best {best:.3g} "
                  f"({'inside the grid' if row['inside'] else 'AT THE GRID EDGE'}), "
                  f"val loss {losses[f'{best:.3g}']:.4g}; learned nothing: "
                  + ", ".join(f"{k} {v:.4g}" for k, v in row["nothing_learned"].items())
                  + f"; {row['wall_s']:.0f} s wall, {row['cpu_s']:.0f} s CPU", flush=True)
            print("    grid: " + "  ".join(f"{k} {v:.4g}" for k, v in losses.items()))
            print("    best and neighbours, seeds " + "/".join(map(str, SWEEP_SEEDS + NOISE_SEEDS))
                  + ": " + "  ".join(f"{k} " + "/".join(f"{v:.4g}" for v in vs)
                                     for k, vs in seeds.items()), flush=True)
    return rows


def score(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per finder: within 3x, median decades off, and each family's median decades off."""
    out = {}
    for finder in FINDERS:
        errors = [error(r, finder) for r in rows]
        families = {}
        for family in dict.fromkeys(r["family"] for r in rows):
            families[family] = median(error(r, finder) for r in rows if r["family"] == family)
        worst = max(families, key=lambda f: families[f])
        out[finder] = {"within_3x": sum(e <= WITHIN + 1e-9 for e in errors) / len(errors),
                       "median_decades": median(errors), "families": families,
                       "worst_family": worst, "worst_family_median": families[worst],
                       "no_suggestion": sum(r[finder] is None for r in rows) / len(rows),
                       "tests": len(rows)}
    out["lrwatch_detected"]["read_as_fine_tune"] = sum(r["detected_fine_tune"] for r in rows)
    return out


def table(scores: dict[str, dict[str, Any]], title: str) -> str:
    families = list(scores["lrwatch"]["families"])
    lines = [title, "", "| finder | tests within 3x | median decades off | worst family (median) "
             "| no suggestion | " + " | ".join(families) + " |",
             "|---|---|---|---|---|" + "---|" * len(families)]
    for finder, s in scores.items():
        lines.append(
            f"| {NAMES[finder]} | {100 * s['within_3x']:.0f}% | {_fmt(s['median_decades'], 2)} "
            f"| {s['worst_family']} ({_fmt(s['worst_family_median'], 2)}) "
            f"| {100 * s['no_suggestion']:.0f}% | "
            + " | ".join(_fmt(s["families"][f], 2) for f in families) + " |")
    return "\n".join(lines)


def picks(rows: list[dict[str, Any]]) -> str:
    """The per-pair table: the best LR and each finder's picks over the seeds."""
    lines = ["| task | optimizer | best | " + " | ".join(NAMES[f] for f in FINDERS)
             + " | read as a fine-tune (detected) |", "|---|---|---|" + "---|" * (len(FINDERS) + 1)]
    for i in range(0, len(rows), len(FINDER_SEEDS)):
        group = rows[i:i + len(FINDER_SEEDS)]
        lines.append(f"| {group[0]['task']} | {group[0]['optimizer']} | {group[0]['best']:.2g} | "
                     + " | ".join(", ".join(_fmt(r[f]) for r in group) for f in FINDERS)
                     + f" | {sum(r['detected_fine_tune'] for r in group)} of {len(group)} |")
    return "\n".join(lines)


def main(splits: tuple[str, ...] = SPLITS, only_generate: bool = False) -> None:
    import torch

    torch.set_num_threads(1)
    os.environ.setdefault("TQDM_DISABLE", "1")
    unknown = [s for s in splits if s not in SPLITS]
    if unknown:
        raise SystemExit(f"unknown split {unknown[0]!r}: choose from {', '.join(SPLITS)}")
    if only_generate:
        for split in splits:
            print(f"-- generating {split}", flush=True)
            generate(split)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    for split in splits:
        print(f"-- {split} tasks", flush=True)
        rows = collect(split)
        scores = score(rows)
        text = table(scores, f"{split}: {len({(r['task'], r['optimizer']) for r in rows})} "
                             f"task x optimizer pairs, {len(rows)} range tests per finder")
        print(text + "\n\n" + picks(rows), flush=True)
        (OUT / f"{split}.json").write_text(json.dumps({"scores": scores, "rows": rows},
                                                      indent=1))
        (OUT / f"{split}.md").write_text(text + "\n\n" + picks(rows) + "\n")


def _fmt(x: float | None, digits: int = 2) -> str:
    if x is None or not math.isfinite(x):
        return "none" if x is None else "inf"
    return f"{x:.{digits}g}"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sweep"]:
        if len(sys.argv) < 3 or sys.argv[2] not in SPLITS:
            raise SystemExit(f"--sweep needs a split: one of {', '.join(SPLITS)}")
        import torch

        torch.set_num_threads(1)
        sweep_only(sys.argv[2], tuple(sys.argv[3:]))
    else:
        args = [a for a in sys.argv[1:] if a != "--generate"]
        main(tuple(args) or SPLITS, only_generate="--generate" in sys.argv[1:])
