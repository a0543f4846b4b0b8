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

``python -m benchmarks.finder_tune adaptive-margin`` (round 7) reads every split evaluated before
round 7 (``finder``'s tune and report tasks, ``finder_general``'s "tune", "held-out",
"fine-tune-held-out", "fresh-held-out" and "fresh6-held-out"), each curve as its caller would
(fine-tunes with ``fine_tune=True``), and prints for each ``adaptive_margin`` the share within 3x,
the median decades off and the signed median per split, each family's signed median under an
adaptive optimizer, and a leave-one-split-out check (the margin chosen on the other splits,
scored on the one left out). Pairs whose sweep is not cached are skipped and named. The round-7
fresh families are never read here. ``python -m benchmarks.finder_tune curve-points`` prints, on
the same curves (models trained from scratch whose loss fell, the degenerate deep-sigmoid family
left out), how far the best LR lies from each point of the smoothed curve, by optimizer.

``python -m benchmarks.finder_tune landmarks`` (round 8, re-run in round 9 over every split before
round 9, ``fresh8-held-out`` included; ``landmarks round8`` reads round 8's eight) combines
landmarks of the curve; ``python -m benchmarks.finder_tune shrink`` (round 9) draws a pick whose
bottom and steepest descent disagree toward the optimizer's usual LR (``RuleSettings.prior_width``),
per split, per family and left one split out. Round 9's fresh families are never read here.
"""

from __future__ import annotations

import itertools
import math
import sys
from dataclasses import dataclass, replace
from statistics import median
from typing import Any, Sequence
from unittest import mock

import numpy as np

from benchmarks import finder_runs as runs
from benchmarks.finder import FINDER_SEEDS, MOMENTUM, best_lr, lrwatch_reading
from benchmarks.finder_families import FAMILY_TASKS, FINE_TUNE_GRID
from benchmarks.finder_finetunes import FINE_TUNE_TASKS
from benchmarks.finder_tasks import TASKS
from lrwatch.analysis import rangetest
from lrwatch.analysis.rangetest import RuleSettings, read_range_test

# the optimizers this grid was tuned on (RMSprop, SGD-nesterov and Adagrad, added for
# rounds 8 and 9's held-out families, are not)
TUNED_OPTIMIZERS = ("SGD", "SGD-momentum", "AdamW", "Adam")


def split_groups(curves: list) -> dict[str, list[int]]:
    """The curves' indices by split, then ``finder_general``'s splits pooled (validation loss),
    ``finder``'s two (training loss), and all: the rows of every per-split table."""
    groups = {split: [i for i, c in enumerate(curves) if c[0] == split]
              for split in dict.fromkeys(c[0] for c in curves)}
    general = [split for split in groups if not split.startswith("finder ")]
    groups[f"finder_general, {len(general)} splits (validation loss)"] = [
        i for i, c in enumerate(curves) if not c[0].startswith("finder ")]
    groups["finder, 2 splits (training loss)"] = [
        i for i, c in enumerate(curves) if c[0].startswith("finder ")]
    groups["all"] = list(range(len(curves)))
    return groups

def print_split_table(groups: dict[str, list[int]], table: dict[str, list[float]],
                      columns: Sequence[Any], headers: Sequence[str] | None = None) -> None:
    """One row per group of ``split_groups``: its tests, then each column's scores (within 3x /
    median decades off / signed median) on that group's errors in ``table``."""
    print("| split | tests | " + " | ".join(headers or columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for split, keep in groups.items():
        print(f"| {split} | {len(keep)} | " + " | ".join(
            _scores([table[c][i] for i in keep]) for c in columns) + " |")



def main() -> None:
    curves = []
    for task in (t for t in TASKS if t.split == "tune"):
        for optimizer in TUNED_OPTIMIZERS:
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


ROUND7_SPLITS = ("tune", "held-out", "fine-tune-held-out", "fresh-held-out", "fresh6-held-out")
ADAPTIVE_MARGINS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
G = [10 ** (k / 2) for k in range(-16, 3)]  # G[16 + k] = 10 ** (k / 2)
# The best LRs BENCHMARKS.md published for the language-model pairs (their sweeps were the last
# to be regenerated in round 7, and all gave these but lm-python-code's, 1e-2): used only where
# the sweep is not cached, and named when used.
PUBLISHED_BEST = {
    ("lm-python-code", "AdamW"): G[16 - 3], ("lm-docstring-prose", "AdamW"): G[16 - 3],
    ("finetune-lm-code-to-prose", "AdamW"): G[16 - 7],
    ("finetune-lm-prose-to-code", "AdamW"): G[16 - 7],
    ("finetune-mlm-code-to-prose", "AdamW"): G[16 - 8], ("gpt-pydoc-topics", "AdamW"): G[16 - 5],
}
# ... and for ``finder``'s report tasks (two sweep seeds, training loss), whose range tests
# re-run in round 7 gave exactly the published picks (81% within 3x, 0.25 decades)
for _name, _bests in {
        "digits-resmlp-layernorm": (-2, -3, -6), "digits-transformer": (-1, -2, -4),
        "digits-cnn-batchnorm": (0, 0, -4), "digits-deep-tanh": (-1, -3, -4),
        "spirals-mlp-silu": (0, -1, -4), "teacher-student-regression": (-2, -3, -5),
        "high-dim-logistic": (-2, -4, -4)}.items():
    for _optimizer, _k in zip(("SGD", "SGD-momentum", "AdamW"), _bests):
        PUBLISHED_BEST[_name, _optimizer] = G[16 + _k]


def adaptive_margin() -> None:
    """Round 7: the adaptive margin over every split evaluated before it (see the docstring)."""
    # (split, family, optimizer, best, curve, fine_tune)
    curves = [(split, family, optimizer, best, curve, fine)
              for split, _, family, optimizer, best, curve, fine in split_curves(ROUND7_SPLITS,
                                                                                 say=True)]

    def errors(margin: float) -> list[float]:
        return _log_errors([c[2:] for c in curves], RuleSettings(adaptive_margin=margin))

    scores = _scores

    table = {m: errors(m) for m in ADAPTIVE_MARGINS}
    now = RuleSettings().adaptive_margin
    splits = list(dict.fromkeys(c[0] for c in curves))
    print("\nWithin 3x / median decades off / signed median decades, per split:\n")
    print_split_table(split_groups(curves), table, ADAPTIVE_MARGINS,
                      [f"adaptive_margin {m}" for m in ADAPTIVE_MARGINS])
    print("\nAdam-family pairs trained from scratch, each pair's median over its seeds (signed "
          "decades):\n")
    print("| adaptive_margin | pairs | median pair | pairs > 3x high | pairs > 3x low |")
    print("|---|---|---|---|---|")
    for m in ADAPTIVE_MARGINS:
        pairs: dict[tuple[str, str, str], list[float]] = {}
        for i, c in enumerate(curves):
            if "Adam" in c[2] and not c[5]:
                pairs.setdefault((c[0], c[1], c[2]), []).append(table[m][i])
        meds = [median(v) for v in pairs.values()]
        finite = [e for e in meds if math.isfinite(e)]
        print(f"| {m} | {len(meds)} | {median(finite):+.2f} | "
              f"{sum(e > math.log10(3) + 1e-9 for e in meds)} | "
              f"{sum(e < -math.log10(3) - 1e-9 for e in meds)} |")
    print(f"\nPer split and family, adaptive_margin 0.6 -> {now} (within 3x / median decades off "
          "/ signed median):\n")
    print("| split | family | optimizers | tests | 0.6 | " + f"{now} |")
    print("|---|---|---|---|---|---|")
    for split, family in dict.fromkeys((c[0], c[1]) for c in curves):
        keep = [i for i, c in enumerate(curves) if (c[0], c[1]) == (split, family)]
        optimizers = ", ".join(dict.fromkeys(curves[i][2] for i in keep))
        print(f"| {split} | {family} | {optimizers} | {len(keep)} | "
              f"{scores([table[0.6][i] for i in keep])} | "
              f"{scores([table[now][i] for i in keep])} |")
    print("\nLeave one split out (chosen: most tests within 3x on the other splits, then the "
          "lowest median; \"general only\": chosen on the other finder_general splits alone, "
          "the ones scored on validation loss as the held-out rounds are):\n")
    print("| split left out | chosen on | margin chosen | left out at 0.6 | left out at the "
          "chosen |")
    print("|---|---|---|---|---|")
    for left, general_only in [(s, False) for s in splits] + [
            (s, True) for s in splits if not s.startswith("finder ")]:
        keep = [i for i, c in enumerate(curves) if c[0] != left
                and not (general_only and c[0].startswith("finder "))]
        out = [i for i, c in enumerate(curves) if c[0] == left]

        def rank(m: float) -> tuple[float, float]:
            errs = [table[m][i] for i in keep]
            return (round(sum(abs(e) <= math.log10(3) + 1e-9 for e in errs) / len(errs), 3),
                    -median(abs(e) for e in errs))

        chosen = max(ADAPTIVE_MARGINS, key=rank)
        print(f"| {left} | {'general only' if general_only else 'all the rest'} | {chosen} | "
              f"{scores([table[0.6][i] for i in out])} | "
              f"{scores([table[chosen][i] for i in out])} |")


def _round7_curves() -> list[tuple[str, str, str, float, dict, bool]]:
    """(split, task, optimizer, best LR, lrwatch curve, fine-tune) of every swept (or published)
    pair of the splits evaluated before round 7."""
    return [(split, name, optimizer, best, curve, fine)
            for split, name, _, optimizer, best, curve, fine in split_curves(ROUND7_SPLITS)]


DEGENERATE = ("sigmoid-deep-shells",)  # no LR trains it in 300 steps (round 6)


@dataclass(frozen=True)
class _Descent:
    """A range-test curve as the rule reads it (``rangetest``'s smoothing), up to its first
    non-finite loss: log10 LRs ``x``, smoothed scaled loss ``z``, its opening ``level``, the
    ``drop`` to its ``lowest`` point and the rise ``needed`` to count, where the descent
    ``start``s and is ``steep``est, and the points after the bottom ``back`` above the level."""

    x: np.ndarray
    z: np.ndarray
    n: int
    lowest: int
    level: float
    drop: float
    start: int
    steep: int
    back: np.ndarray


def _descent(curve: dict, settings: RuleSettings) -> _Descent | None:
    """The descent of a curve that fell beyond its noise, or None where it did not."""
    lrs = np.asarray(curve["lr"], dtype=float)
    losses = np.asarray(curve["raw_loss"], dtype=float)
    finite = np.isfinite(losses)
    n = len(losses) if finite.all() else int(np.argmin(finite))
    x = np.log10(lrs[:n])
    y, _ = rangetest._scale(losses[:n])
    sigma = rangetest._sigma(len(losses), runs.NUM_TRAINING, settings)
    z = rangetest._smooth_scaled(y, sigma)
    lowest = int(np.argmin(z))
    level = float(np.median(z[:max(3, n // 10)]))
    drop = level - float(z[lowest])
    needed = max(settings.min_drop,
                 settings.noise_multiple * rangetest._smoothed_noise(y - z, sigma))
    if not (drop >= needed and lowest >= 3):
        return None
    back = np.flatnonzero((np.arange(n) > lowest) & (z > level + needed))
    above = np.flatnonzero(z[:lowest] >= level - 0.1 * drop)
    start = int(above[-1]) + 1 if above.size else 0
    slope = np.gradient(z, x)
    steep = start + int(np.argmin(slope[start:lowest + 1])) if lowest > start else lowest
    return _Descent(x, z, n, lowest, level, drop, start, steep, back)


def curve_points() -> None:
    """Round 7: how far the best LR lies from each point of the smoothed curve, by optimizer,
    on the curves of models trained from scratch that fell before they turned up."""
    settings = RuleSettings()
    offsets: dict[str, dict[str, dict[tuple[str, str], list[float]]]] = {}
    for split, name, optimizer, best, curve, fine_tune in _round7_curves():
        if fine_tune or name in DEGENERATE:
            continue
        d = _descent(curve, settings)
        if d is None:
            continue  # it did not fall: no descent to read
        half = int(np.flatnonzero(d.z <= d.level - 0.5 * d.drop)[0])
        edge = int(d.back[0]) if d.back.size else d.n - 1
        points = {"descent starts": d.start, "half the fall": half, "steepest": d.steep,
                  "bottom": d.lowest, "blow-up": edge}
        for point, index in points.items():
            offsets.setdefault(_optimizer_family(optimizer), {}).setdefault(
                point, {}).setdefault((split, name), []).append(
                    float(d.x[index]) - math.log10(best))
    print("Median over pairs of (point - best) in decades (median absolute deviation of the pair "
          "medians):\n")
    print("| optimizer | pairs | descent starts | half the fall | steepest | bottom | blow-up |")
    print("|---|---|---|---|---|---|---|")
    for family, by_point in offsets.items():
        cells = []
        for pairs in by_point.values():
            meds = [median(v) for v in pairs.values()]
            centre = median(meds)
            cells.append(f"{centre:+.2f} ({median(abs(m - centre) for m in meds):.2f})")
        print(f"| {family} | {len(next(iter(by_point.values())))} | " + " | ".join(cells) + " |")


ROUND8_SPLITS = ROUND7_SPLITS + ("fresh7-held-out",)
FAMILIES = ("SGD", "SGD, momentum 0.9", "Adam, AdamW")


def split_curves(splits: tuple[str, ...], say: bool = False
                 ) -> list[tuple[str, str, str, str, float, dict, bool]]:
    """(split, task, family, optimizer, best LR, lrwatch curve, fine-tune) of every swept (or
    published) pair of ``finder_general``'s ``splits`` and of ``finder``'s own tasks; with
    ``say``, each pair scored against a published best, or skipped, is named."""
    from benchmarks.finder_families import SCRATCH_GRID
    from benchmarks.finder_general import TASKS as GENERAL_TASKS

    out = []
    for task in [t for t in GENERAL_TASKS if t.split in splits] + list(TASKS):
        general = task in GENERAL_TASKS
        grid = (FINE_TUNE_GRID if task.fine_tune else SCRATCH_GRID) if general else runs.GRID
        seeds = (0,) if general else (0, 1)
        for optimizer in task.optimizers:
            if all(runs.swept(task, optimizer, grid, s) for s in seeds):
                best, _ = best_lr(task, optimizer, grid, seeds)
            elif (task.name, optimizer) in PUBLISHED_BEST:
                best = PUBLISHED_BEST[task.name, optimizer]
                if say:
                    print(f"(not swept, the published best {best:.2g}: {task.name} {optimizer})")
            else:
                if say:
                    print(f"(skipped, not swept: {task.name} {optimizer})")
                continue
            split = task.split if general else f"finder {task.split}"
            for seed in FINDER_SEEDS:
                out.append((split, task.name, task.family or task.name, optimizer, best,
                            runs.lrwatch(task, optimizer, seed), task.fine_tune))
    return out


def _log_errors(items: list[tuple[str, float, dict, bool]], settings: RuleSettings) -> list[float]:
    """log10(pick / best) of each (optimizer, best LR, lrwatch curve, fine-tune) read with
    ``settings`` (inf where there is no pick)."""
    out = []
    for optimizer, best, curve, fine_tune in items:
        pick = read_range_test(np.asarray(curve["lr"]), np.asarray(curve["raw_loss"]),
                               optimizer=optimizer.split("-")[0],
                               momentum=MOMENTUM[optimizer], planned_steps=runs.NUM_TRAINING,
                               settings=settings, fine_tune=fine_tune).suggested_lr
        out.append(math.inf if pick is None else math.log10(pick / best))
    return out


def _scores(errs: list[float]) -> str:
    """"within 3x / median decades off / signed median" of a list of log errors."""
    finite = [e for e in errs if math.isfinite(e)]
    within = sum(abs(e) <= math.log10(3) + 1e-9 for e in errs) / len(errs)
    signed = f"{median(finite):+.2f}" if finite else "none"
    return f"{within:.0%} / {median(abs(e) for e in errs):.2f} / {signed}"


def _points(curve: dict) -> dict[str, float] | None:
    """log10 LR of the steepest descent, the bottom and the blow-up of a curve that fell (the
    rule's own reading; the blow-up only where it blew up), or None if it did not fall."""
    d = _descent(curve, RuleSettings())
    if d is None or d.n < rangetest.MIN_STEPS:
        return None
    out = {"steepest": float(d.x[d.steep]), "bottom": float(d.x[d.lowest])}
    if d.back.size or d.n < len(curve["raw_loss"]):
        out["blow-up"] = float(d.x[int(d.back[0]) if d.back.size else d.n - 1])
    return out


def _optimizer_family(optimizer: str) -> str:
    return "Adam, AdamW" if "Adam" in optimizer else (
        "SGD, momentum 0.9" if optimizer == "SGD-momentum" else "SGD")


def _fit_offsets(curves: list, points: list) -> dict[str, tuple[float, float, float]]:
    """Per landmark, its offset above the best LR per optimizer family (SGD, momentum 0.9,
    adaptive): the median over pairs of each pair's median, on models trained from scratch
    (the degenerate deep-sigmoid family left out)."""
    by: dict[str, dict[str, dict[tuple[str, str], list[float]]]] = {}
    for (split, name, _, optimizer, best, _, fine_tune), p in zip(curves, points):
        if fine_tune or name in DEGENERATE or p is None:
            continue
        for point, value in p.items():
            by.setdefault(point, {}).setdefault(_optimizer_family(optimizer), {}).setdefault(
                (split, name), []).append(value - math.log10(best))
    return {point: tuple(round(median(median(v) for v in fam[f].values()), 2) for f in FAMILIES)
            for point, fam in by.items()}


def landmarks(splits: tuple[str, ...] = ROUND8_SPLITS) -> None:
    """Round 8: picks that combine landmarks of the curve (the bottom less its margin, the
    steepest descent and the blow-up less their offsets above the best LR; the median of the
    estimates, the mean of two) against the bottom alone, on every split evaluated before round
    8: per split, per family, and left one split out (the offsets fitted and the variant chosen
    without the split, scored on it)."""
    curves = split_curves(splits, say=True)
    points = [_points(c[5]) for c in curves]
    shipped = RuleSettings()
    variants = ("bottom (shipped)", "bottom + steep", "bottom + blow-up",
                "bottom + steep + blow-up", "fitted bottom + steep + blow-up",
                "adaptive: bottom + steep", "adaptive: bottom + blow-up",
                "adaptive: bottom + steep + blow-up", "adaptive: fitted bottom + steep",
                "adaptive: bottom + steep, offset 0")
    candidate, fixed = "adaptive: bottom + steep", "adaptive: bottom + steep, offset 0"

    def settings_for(variant: str, off: dict) -> RuleSettings:
        base = shipped
        if "adaptive: fitted bottom" in variant:
            base = RuleSettings(adaptive_margin=off["bottom"][2])
        elif "fitted bottom" in variant:
            base = RuleSettings(margin=off["bottom"][0], momentum_margin=off["bottom"][1],
                                adaptive_margin=off["bottom"][2])
        steep = (0.0, 0.0, 0.0) if "offset 0" in variant else off["steepest"]

        def only(values: tuple) -> tuple:  # adaptive optimizers only: SGD's read the bottom
            return (None, None, values[2]) if "adaptive" in variant else values

        return replace(base, steep_offset=only(steep) if "steep" in variant else None,
                       edge_offset=only(off["blow-up"]) if "blow-up" in variant else None)

    def errors(settings: RuleSettings) -> list[float]:
        return _log_errors([c[3:] for c in curves], settings)

    scores = _scores

    def rank(errs: list[float]) -> tuple[float, float]:
        return (round(sum(abs(e) <= math.log10(3) + 1e-9 for e in errs) / len(errs), 3),
                -median(abs(e) for e in errs))

    everything = list(range(len(curves)))
    offsets = _fit_offsets(curves, points)
    print("Offsets above the best LR fitted on every split (SGD, momentum 0.9, adaptive): "
          + "; ".join(f"{k} {v}" for k, v in offsets.items()))
    table = {v: errors(settings_for(v, offsets)) for v in variants}
    splits = list(dict.fromkeys(c[0] for c in curves))
    groups = split_groups(curves)
    print("\nWithin 3x / median decades off / signed median, per split (offsets fitted on every "
          "split: in-sample):\n")
    print_split_table(groups, table, variants)
    print(f"\nPer split and family, where a pick moves ({candidate}: Adam-family curves only):\n")
    print(f"| split | family | optimizers | tests | shipped | {candidate} | {fixed} |")
    print("|---|---|---|---|---|---|---|")
    for split, family in dict.fromkeys((c[0], c[2]) for c in curves):
        keep = [i for i in everything if (curves[i][0], curves[i][2]) == (split, family)]
        cells = [scores([table[v][i] for i in keep]) for v in (variants[0], candidate, fixed)]
        if len(set(cells)) > 1:
            optimizers = ", ".join(dict.fromkeys(curves[i][3] for i in keep))
            print(f"| {split} | {family} | {optimizers} | {len(keep)} | " + " | ".join(cells)
                  + " |")
    print("\nLeave one split out: the offsets fitted on the other splits (the adaptive steepest "
          "offset shown), the variant chosen on them (most tests within 3x, then the lowest "
          "median) and scored on the split left out; and the two-landmark candidate fitted "
          "without the split:\n")
    print(f"| split left out | tests | adaptive steep offset | chosen | shipped | chosen, left "
          f"out | {candidate} | {fixed} |")
    print("|---|---|---|---|---|---|---|---|")
    wins = {v: 0 for v in variants[1:]}
    for left in splits:
        keep = [i for i in everything if curves[i][0] != left]
        out = [i for i in everything if curves[i][0] == left]
        off = _fit_offsets([curves[i] for i in keep], [points[i] for i in keep])
        fitted = {v: errors(settings_for(v, off)) for v in variants}
        chosen = max(variants, key=lambda v: rank([fitted[v][i] for i in keep]))
        base = rank([fitted[variants[0]][i] for i in out])
        for v in variants[1:]:
            wins[v] += rank([fitted[v][i] for i in out]) > base
        print(f"| {left} | {len(out)} | {off['steepest'][2]:+.2f} | {chosen} | "
              + " | ".join(scores([fitted[v][i] for i in out])
                           for v in (variants[0], chosen, candidate, fixed)) + " |")
    print("\nSplits left out on which each variant, fitted without them, beats the shipped rule "
          f"(share within 3x, then median), of {len(splits)}: "
          + "; ".join(f"{v} {w}" for v, w in wins.items()))


ROUND9_SPLITS = ROUND8_SPLITS + ("fresh8-held-out",)
PRIOR_WIDTHS = (0.25, 0.5, 1.0, 2.0)
SHIPPED_MARGINS = (0.2, 0.3, 0.6)  # RuleSettings' margin, momentum_margin, adaptive_margin


def _usual_spread(curves: list, points: list, steep: tuple[float, float, float]) -> float:
    """The usual disagreement of the bottom's estimate (less the shipped margin) and the
    steepest descent's (less ``steep``): the median over from-scratch pairs of each pair's
    median |difference| (the degenerate deep-sigmoid family left out)."""
    pairs: dict[tuple[str, str, str], list[float]] = {}
    for (split, name, _, optimizer, _, _, fine_tune), p in zip(curves, points):
        if fine_tune or name in DEGENERATE or p is None:
            continue
        k = FAMILIES.index(_optimizer_family(optimizer))
        pairs.setdefault((split, name, optimizer), []).append(
            abs((p["bottom"] - SHIPPED_MARGINS[k]) - (p["steepest"] - steep[k])))
    return round(median(median(v) for v in pairs.values()), 2)


def shrink() -> None:
    """Round 9: "say less where the curve says less". Where the bottom's and the steepest
    descent's estimates disagree by more than their usual spread, the pick is drawn toward the
    middle of the optimizer's usual range (weight e^2 / (e^2 + width^2), e the excess); every
    split evaluated before round 9, per split, per family, and left one split out (the
    steepest offset and the usual spread fitted, the width and the variant chosen, without the
    split)."""
    curves = split_curves(ROUND9_SPLITS, say=True)
    points = [_points(c[5]) for c in curves]
    shipped = RuleSettings()
    everything = list(range(len(curves)))
    # (name, centre: the bottom or round 8's "adaptive: bottom + steep", scope, width)
    shapes = [(centre, scope) for centre in ("bottom", "adaptive: bottom + steep")
              for scope in ("every optimizer", "Adam family")]
    candidates = [(c, sc, w) for c, sc in shapes for w in PRIOR_WIDTHS]

    def name(c: tuple) -> str:
        return f"{c[0]}, drawn ({c[1]}), width {c[2]}"

    def settings_for(c: tuple | None, steep: tuple, spread: float) -> RuleSettings:
        if c is None:
            return shipped
        centre, scope, width = c
        off = steep if scope == "every optimizer" else (None, None, steep[2])
        return replace(shipped, prior_width=width, usual_spread=spread, disagreement_offset=off,
                       steep_offset=(None, None, steep[2]) if centre != "bottom" else None)

    def errors(settings: RuleSettings) -> list[float]:
        return _log_errors([c[3:] for c in curves], settings)

    def rank(errs: list[float]) -> tuple[float, float]:
        return (round(sum(abs(e) <= math.log10(3) + 1e-9 for e in errs) / len(errs), 3),
                -median(abs(e) for e in errs))

    steep = _fit_offsets(curves, points)["steepest"]
    spread = _usual_spread(curves, points, steep)
    print(f"Fitted on every split: steepest offsets {steep}, usual spread {spread} decades")
    base = errors(shipped)
    table = {c: errors(settings_for(c, steep, spread)) for c in candidates}
    splits = list(dict.fromkeys(c[0] for c in curves))
    groups = split_groups(curves)
    print("\nWithin 3x / median decades off / signed median, per split (in-sample fits):\n")
    for shape in shapes:
        print(f"\n{shape[0]}, drawn ({shape[1]}):\n")
        print("| split | tests | shipped | " + " | ".join(f"width {w}" for w in PRIOR_WIDTHS)
              + " |")
        print("|---|---|---|" + "---|" * len(PRIOR_WIDTHS))
        for split, keep in groups.items():
            print(f"| {split} | {len(keep)} | {_scores([base[i] for i in keep])} | " + " | ".join(
                _scores([table[(*shape, w)][i] for i in keep]) for w in PRIOR_WIDTHS) + " |")
    print("\nLeave one split out: steepest offsets and usual spread fitted on the other splits; "
          "the candidate (shape and width) chosen on them (most within 3x, then lowest median); "
          "and each shape with its width chosen on them:\n")
    print("| split left out | tests | spread | chosen | shipped | chosen, left out | "
          + " | ".join(f"{c}, drawn ({sc})" for c, sc in shapes) + " |")
    print("|---|---|---|---|---|---|" + "---|" * len(shapes))
    wins = {"chosen": 0, **{shape: 0 for shape in shapes}}
    picked: dict[tuple, list] = {shape: [] for shape in shapes}
    for left in splits:
        keep = [i for i in everything if curves[i][0] != left]
        out = [i for i in everything if curves[i][0] == left]
        sub_c, sub_p = [curves[i] for i in keep], [points[i] for i in keep]
        st = _fit_offsets(sub_c, sub_p)["steepest"]
        sp = _usual_spread(sub_c, sub_p, st)
        fitted = {c: errors(settings_for(c, st, sp)) for c in candidates}
        shipped_out = rank([base[i] for i in out])
        chosen = max(candidates, key=lambda c: rank([fitted[c][i] for i in keep]))
        wins["chosen"] += rank([fitted[chosen][i] for i in out]) > shipped_out
        cells = []
        for shape in shapes:
            best = max((c for c in candidates if c[:2] == shape),
                       key=lambda c: rank([fitted[c][i] for i in keep]))
            picked[shape].append(best[2])
            wins[shape] += rank([fitted[best][i] for i in out]) > shipped_out
            cells.append(f"w {best[2]}: " + _scores([fitted[best][i] for i in out]))
        print(f"| {left} | {len(out)} | {sp} | {name(chosen)} | {_scores([base[i] for i in out])}"
              f" | {_scores([fitted[chosen][i] for i in out])} | " + " | ".join(cells) + " |")
    print(f"\nSplits left out (of {len(splits)}) on which each beats the shipped rule (share "
          "within 3x, then median): " + "; ".join(
              f"{k if isinstance(k, str) else k[0] + ', drawn (' + k[1] + ')'} {v}"
              for k, v in wins.items()))
    print("\nPer split and family, where a pick moves (in-sample fits):\n")
    show = [(*shape, w) for shape in shapes for w in (0.5, 1.0)]
    print("| split | family | optimizers | tests | shipped | " + " | ".join(map(name, show))
          + " |")
    print("|---|---|---|---|---|" + "---|" * len(show))
    for split, family in dict.fromkeys((c[0], c[2]) for c in curves):
        keep = [i for i in everything if (curves[i][0], curves[i][2]) == (split, family)]
        cells = [_scores([base[i] for i in keep])] + [
            _scores([table[c][i] for i in keep]) for c in show]
        if len(set(cells)) > 1:
            optimizers = ", ".join(dict.fromkeys(curves[i][3] for i in keep))
            print(f"| {split} | {family} | {optimizers} | {len(keep)} | " + " | ".join(cells)
                  + " |")


if __name__ == "__main__":
    if sys.argv[1:] == ["shrink"]:
        shrink()
    elif sys.argv[1:] == ["curve-points"]:
        curve_points()
    elif sys.argv[1:] == ["landmarks"]:  # round 9: every split before it, fresh8 included
        landmarks(ROUND9_SPLITS)
    elif sys.argv[1:] == ["landmarks", "round8"]:
        landmarks()
    elif sys.argv[1:] == ["adaptive-margin"]:
        adaptive_margin()
    elif sys.argv[1:] == ["step-back"]:
        step_back()
    else:
        main()
