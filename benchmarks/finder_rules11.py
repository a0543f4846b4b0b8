"""Round 11 of the range test's rule (issue 17): the fine-tune reading and the high misses.

Every split evaluated before round 11 is read (``finder_general``'s nine, ``fresh10-held-out``
included, and ``finder``'s tune and report tasks: 11 splits), each curve as its caller would
(fine-tunes with ``fine_tune=True``). Two questions, each left one split out:

1. The fine-tune reading. Where do the fine-tunes' bests lie against lrwatch's fine-tuning range
   (and how large are the fine-tuned models), and does a reading that leaves it ("mean(lrwatch,
   valley)": the geometric mean of lrwatch's fine-tune pick and fastai's valley, named in round
   10; the range's top raised 3x or 10x; the mean capped at the range's top raised 3x or 10x)
   beat the shipped reading on most splits? "Round 11 candidate" is the mean for a model of at
   most ``SMALL_MODEL`` parameters only (a larger or unknown one keeps the range); every
   fine-tune here is far smaller, so on these curves it equals the mean.
2. The high misses (issue 17: autoencoders, convex models, BatchNorm under Adam). Is the signed
   error of the shipped pick on models trained from scratch predicted by what the curve shows
   (how far the smoothed log-loss falls before its bottom, how many decades the fall spans, the
   optimizer family, the loss's floor: log10 of the lowest smoothed loss), and does a linear
   correction fitted on 10 splits hold on the 11th?

``python -m benchmarks.finder_rules11`` prints every table (a few seconds; nothing is trained:
the cached curves and sweeps are read). Round 11's fresh families (``fresh11-held-out``) are
never read here.
"""

from __future__ import annotations

import math
from statistics import median
from unittest import mock

import numpy as np

from benchmarks import finder_runs as runs
from benchmarks.finder import MOMENTUM
from benchmarks.finder_rules10 import (ROUND10_SPLITS, WITHIN, _err, _kind, _rank,
                                       fastai_curve, valley)
from benchmarks.finder_tune import DEGENERATE, _descent, _scores, print_split_table, \
    split_curves, split_groups
from lrwatch.analysis.optimizers import FINE_TUNE_RANGES, typical_range
from lrwatch.analysis.rangetest import RuleSettings, read_range_test

ROUND11_SPLITS = ROUND10_SPLITS + ("fresh10-held-out",)
FINE_VARIANTS = ("shipped", "round 11 candidate", "valley", "mean(lrwatch, valley)",
                 "range top x3", "range top x10",
                 "mean(lrwatch, valley), at most range top x3",
                 "mean(lrwatch, valley), at most range top x10")
FEATURES = ("fall", "width", "floor", "optimizer kind")
KINDS = ("plain SGD", "momentum", "adaptive")


SMALL_MODEL = 1_000_000  # the candidate's size guard: above it (or unknown), the range is kept


def _read(curve: dict, optimizer: str, fine: bool, factor: float = 1.0,
          param_count: int | None = None) -> float | None:
    """log10 of lrwatch's pick, with the fine-tuning ranges' top raised ``factor`` times; with
    ``param_count`` at most ``SMALL_MODEL``, round 11's candidate: a fine-tune's pick is the
    geometric mean of lrwatch's and fastai's valley (any other reading as it is)."""
    wider = {k: (lo, hi * factor) for k, (lo, hi) in FINE_TUNE_RANGES.items()}
    with mock.patch.dict(FINE_TUNE_RANGES, wider):
        r = read_range_test(np.asarray(curve["lr"], dtype=float),
                            np.asarray(curve["raw_loss"], dtype=float),
                            optimizer=optimizer.split("-")[0], momentum=MOMENTUM[optimizer],
                            planned_steps=runs.NUM_TRAINING, settings=RuleSettings(),
                            fine_tune=fine).suggested_lr
    own = None if r is None else math.log10(r)
    if not fine or own is None or param_count is None or param_count > SMALL_MODEL:
        return own
    val = _valley(curve)
    return own if val is None else 0.5 * (own + val)


def param_counts(curves: list) -> dict[str, int]:
    """The parameter count of each fine-tune task's model, as ``find_lr`` counts it (the
    LightningModule built for the range test; nothing is trained)."""
    from benchmarks.finder_general import TASKS
    names = {c[1] for c in curves if c[6]}
    return {t.name: sum(p.numel() for p in runs._lightning_module(
        t, t.optimizers[0], 0).parameters()) for t in TASKS if t.name in names}


def _valley(curve: dict) -> float | None:
    x, y = fastai_curve(np.asarray(curve["lr"], dtype=float),
                        np.asarray(curve["raw_loss"], dtype=float))
    v = valley(x, y)
    return None if v is None else math.log10(v)


def _wins(errs: dict[str, list[float]], at: dict[str, list[int]], names: tuple[str, ...]
          ) -> dict[str, list[int]]:
    """Per variant, the splits on which it beats / loses to "shipped" (within 3x, then median)."""
    out = {v: [0, 0] for v in names}
    for keep in at.values():
        base = _rank([errs["shipped"][k] for k in keep])
        for v in names:
            r = _rank([errs[v][k] for k in keep])
            out[v][0] += r > base
            out[v][1] += r < base
    return out


# -- 1. the fine-tune reading ------------------------------------------------------------------


def fine_tunes(curves: list, sizes: dict[str, int]) -> None:
    idx = [i for i, c in enumerate(curves) if c[6]]
    print(f"\n## 1. The fine-tune reading ({len(idx)} fine-tune tests)\n")
    print("Parameters of the fine-tuned models: " + ", ".join(
        f"{n} {k:,}" for n, k in sorted(sizes.items(), key=lambda kv: kv[1])))
    print("Where each fine-tune's best lies against the fine-tuning range (the grid's 3.2e-4 "
          "counts as the range's top, 3e-4), and the picks (median over the range tests):\n")
    print("| split | task | optimizer | best | fine-tuning range | best inside? | shipped | "
          "valley | mean(lrwatch, valley) |")
    print("|---|---|---|---|---|---|---|---|---|")
    seen = set()
    for i in idx:
        s, name, _, optimizer, best, _, _ = curves[i]
        if (s, name, optimizer) in seen:
            continue
        seen.add((s, name, optimizer))
        same = [j for j in idx if curves[j][:4] == curves[i][:4]]
        low, high = typical_range(optimizer.split("-")[0], fine_tune=True)
        inside = "yes" if low <= best * 1.06 and best <= high * 1.06 else (
            f"no, {math.log10(best / high):+.1f} dec above" if best > high else
            f"no, {math.log10(best / low):+.1f} dec below")
        own = [_read(curves[j][5], optimizer, True) for j in same]
        val = [_valley(curves[j][5]) for j in same]
        mean = [o if v is None or o is None else 0.5 * (o + v) for o, v in zip(own, val)]

        def med(vals):
            vals = [v for v in vals if v is not None]
            return f"{10 ** median(vals):.2g}" if vals else "none"
        print(f"| {s} | {name} | {optimizer} | {best:.2g} | {low:g}-{high:g} | {inside} | "
              f"{med(own)} | {med(val)} | {med(mean)} |")

    errs: dict[str, list[float]] = {v: [] for v in FINE_VARIANTS}
    for i in idx:
        _, _, _, optimizer, best, curve, _ = curves[i]
        own, val = _read(curve, optimizer, True), _valley(curve)
        mean = own if val is None or own is None else 0.5 * (own + val)
        high = math.log10(typical_range(optimizer.split("-")[0], fine_tune=True)[1])
        errs["shipped"].append(_err(own, best))
        new = _read(curve, optimizer, True, param_count=sizes[curves[i][1]])
        errs["round 11 candidate"].append(_err(new, best))
        errs["valley"].append(_err(val, best))
        errs["mean(lrwatch, valley)"].append(_err(mean, best))
        errs["range top x3"].append(_err(_read(curve, optimizer, True, 3.0), best))
        errs["range top x10"].append(_err(_read(curve, optimizer, True, 10.0), best))
        for factor in (3, 10):  # the mean, never above both lrwatch's pick and the raised top
            cap = None if mean is None else min(mean, max(own, high + math.log10(factor)))
            errs[f"mean(lrwatch, valley), at most range top x{factor}"].append(_err(cap, best))
    splits = list(dict.fromkeys(curves[i][0] for i in idx))
    at = {s: [k for k, i in enumerate(idx) if curves[i][0] == s] for s in splits}
    print("\nThe fine-tunes alone (within 3x / median decades off / signed median):\n")
    print("| split | tests | " + " | ".join(FINE_VARIANTS) + " |")
    print("|---|---|" + "---|" * len(FINE_VARIANTS))
    for s, keep in [*at.items(), ("all", list(range(len(idx))))]:
        print(f"| {s} | {len(keep)} | " + " | ".join(
            _scores([errs[v][k] for k in keep]) for v in FINE_VARIANTS) + " |")
    picks_above = {v: sum(e + math.log10(curves[i][4]) > math.log10(
        typical_range(curves[i][3].split("-")[0], fine_tune=True)[1]) + 0.03
        for e, i in zip(errs[v], idx) if math.isfinite(e)) for v in FINE_VARIANTS}
    print("\nPicks above the fine-tuning range's top (of "
          f"{len(idx)}): " + "; ".join(f"{v} {n}" for v, n in picks_above.items()))
    print("\nLeft one split out (the reading chosen on the other splits' fine-tunes: most within "
          "3x, then lowest median):\n")
    print("| split left out | tests | chosen | shipped | chosen, left out |")
    print("|---|---|---|---|---|")
    chosen_errs = [math.nan] * len(idx)
    for left, out in at.items():
        keep = [k for k in range(len(idx)) if k not in out]
        chosen = max(FINE_VARIANTS, key=lambda v: _rank([errs[v][k] for k in keep]))
        for k in out:
            chosen_errs[k] = errs[chosen][k]
        print(f"| {left} | {len(out)} | {chosen} | {_scores([errs['shipped'][k] for k in out])} "
              f"| {_scores([errs[chosen][k] for k in out])} |")
    errs["chosen"] = chosen_errs
    w = _wins(errs, at, ("chosen",) + FINE_VARIANTS[1:])
    print(f"\nSplits holding fine-tunes (of {len(at)}) on which each beats / loses to the shipped "
          "reading: " + "; ".join(f"{v} {a} / {b}" for v, (a, b) in w.items()))


# -- 2. the high misses --------------------------------------------------------------------------


def _features(curve: dict, optimizer: str) -> dict[str, float] | None:
    """What the curve shows, on the rule's own smoothed curve (``rangetest``'s): the fall of the
    smoothed scaled loss before its bottom, the decades from where the descent starts to the
    bottom, and log10 of the lowest smoothed loss (the floor); None where it did not fall."""
    d = _descent(curve, RuleSettings())
    if d is None:
        return None
    raw = np.asarray(curve["raw_loss"], dtype=float)[:d.n]
    floor = float(np.median(raw[max(0, d.lowest - 2):d.lowest + 3]))
    return {"fall": d.drop, "width": float(d.x[d.lowest] - d.x[d.start]),
            "floor": math.log10(floor) if floor > 0 else -6.0,
            "optimizer kind": float(_kind(optimizer))}


def _spearman(a: list[float], b: list[float]) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def _design(feats: list[dict], names: tuple[str, ...]) -> np.ndarray:
    """An intercept per optimizer kind, plus each named feature (the kind enters only as those
    intercepts)."""
    cols = [[float(f["optimizer kind"] == k) for f in feats] for k in range(3)]
    cols += [[f[n] for f in feats] for n in names if n != "optimizer kind"]
    return np.array(cols).T


def high_misses(curves: list) -> None:
    print("\n## 2. The signed error of the shipped pick against what the curve shows\n")
    rows = []  # (curve index, signed error, features) of from-scratch tests with a pick
    shipped: list[float] = []
    for i, (split, name, family, optimizer, best, curve, fine) in enumerate(curves):
        own = _read(curve, optimizer, fine)
        shipped.append(_err(own, best))
        if fine or name in DEGENERATE or own is None:
            continue
        f = _features(curve, optimizer)
        if f is not None:
            rows.append((i, own - math.log10(best), f))
    errs = [r[1] for r in rows]
    print(f"{len(rows)} from-scratch tests with a pick and a fall (fine-tunes and the degenerate "
          "deep-sigmoid family left out). Spearman correlation of the signed error with each "
          "feature, all splits and per optimizer kind:\n")
    print("| feature | all | " + " | ".join(KINDS) + " | median (all) |")
    print("|---|---|---|---|---|---|")
    for n in FEATURES:
        cells = [f"{_spearman([r[2][n] for r in rows], errs):+.2f}"]
        for k in range(3):
            sub = [r for r in rows if r[2]["optimizer kind"] == k]
            cells.append(f"{_spearman([r[2][n] for r in sub], [r[1] for r in sub]):+.2f}"
                         if n != "optimizer kind" and len(sub) > 3 else "-")
        print(f"| {n} | " + " | ".join(cells) + f" | {median(r[2][n] for r in rows):.2f} |")
    print("\nSigned error by optimizer kind (tests, median, share more than 3x high / low): "
          + "; ".join(f"{KINDS[k]} {len(s)}, {median(s):+.2f}, "
                      f"{sum(e > WITHIN for e in s) / len(s):.0%} / "
                      f"{sum(e < -WITHIN for e in s) / len(s):.0%}"
                      for k in range(3)
                      for s in [[r[1] for r in rows if r[2]["optimizer kind"] == k]]))
    # the misses named in issue 17: more than 3x high
    high = [r for r in rows if r[1] > WITHIN]
    print(f"\nThe {len(high)} tests more than 3x high against the rest (median feature):\n")
    print("| feature | more than 3x high | within 3x | more than 3x low |")
    print("|---|---|---|---|")
    for n in FEATURES[:3]:
        groups = ([r for r in rows if r[1] > WITHIN], [r for r in rows if abs(r[1]) <= WITHIN],
                  [r for r in rows if r[1] < -WITHIN])
        print(f"| {n} | " + " | ".join(f"{median(r[2][n] for r in g):.2f}" if g else "-"
                                       for g in groups) + " |")

    print("\nThe pairs read more than 3x high (median over their tests; the features as above):\n")
    print("| split | family | task | optimizer | tests high | signed error | fall | width | "
          "floor |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key in dict.fromkeys(curves[r[0]][:4] for r in high):
        same = [r for r in rows if curves[r[0]][:4] == key]
        print(f"| {key[0]} | {key[2]} | {key[1]} | {key[3]} | "
              f"{sum(r[1] > WITHIN for r in same)}/{len(same)} | "
              f"{median(r[1] for r in same):+.2f} | "
              + " | ".join(f"{median(r[2][n] for r in same):.2f}" for n in FEATURES[:3]) + " |")

    models = {"kind intercepts": ()} | {f"kind + {n}": (n,) for n in FEATURES[:3]} | {
        "kind + fall + width + floor": FEATURES[:3]}
    splits = list(dict.fromkeys(c[0] for c in curves))
    everything = list(range(len(curves)))
    groups = split_groups(curves)
    table: dict[str, list[float]] = {"shipped": shipped}
    fitted_all: dict[str, list[float]] = {"shipped": shipped}
    print("\nLinear corrections of the shipped pick (log10 LR less the fitted signed error), "
          "fitted by least squares on the other splits' from-scratch tests, applied to the split "
          "left out (tests without a fall or a pick, fine-tunes and the deep-sigmoid family keep "
          "the shipped pick). Coefficients fitted on every split:\n")
    for label, names in models.items():
        X = _design([r[2] for r in rows], names)
        coef, *_ = np.linalg.lstsq(X, np.array(errs), rcond=None)
        print(f"- {label}: " + ", ".join(f"{c:+.3f}" for c in coef))
        full = list(shipped)
        for r, fit in zip(rows, X @ coef):
            full[r[0]] = r[1] - fit
        fitted_all[label] = full
        out = list(shipped)
        for left in splits:
            train = [r for r in rows if curves[r[0]][0] != left]
            test = [r for r in rows if curves[r[0]][0] == left]
            if not test:
                continue
            c, *_ = np.linalg.lstsq(_design([r[2] for r in train], names),
                                    np.array([r[1] for r in train]), rcond=None)
            for r, fit in zip(test, _design([r[2] for r in test], names) @ c):
                out[r[0]] = r[1] - fit
        table[label] = out
    cols = ("shipped",) + tuple(models)
    print("\nPer split, each correction fitted without the split (left one split out; within 3x "
          "/ median decades off / signed median):\n")
    print_split_table(groups, table, cols)
    at = {s: groups[s] for s in splits}
    w = _wins(table, at, tuple(models))
    print(f"\nSplits left out (of {len(splits)}) on which each correction beats / loses to the "
          "shipped rule: " + "; ".join(f"{v} {a} / {b}" for v, (a, b) in w.items()))
    print("\nIn-sample (fitted on every split), for scale:\n")
    print_split_table({k: v for k, v in groups.items() if k not in at}, fitted_all, cols)
    print("\nPer split and family, where the best left-out correction moves a family by 0.1 "
          "decades or more (left one split out):\n")
    best = max(models, key=lambda v: (w[v][0] - w[v][1], _rank(table[v])))
    print(f"({best})\n")
    print("| split | family | optimizers | tests | shipped | corrected |")
    print("|---|---|---|---|---|---|")
    for s, family in dict.fromkeys((c[0], c[2]) for c in curves):
        keep = [i for i in everything if (curves[i][0], curves[i][2]) == (s, family)]
        a = [table["shipped"][i] for i in keep]
        b = [table[best][i] for i in keep]
        if any(math.isfinite(x) and abs(x - y) >= 0.1 for x, y in zip(a, b)):
            optimizers = ", ".join(dict.fromkeys(curves[i][3] for i in keep))
            print(f"| {s} | {family} | {optimizers} | {len(keep)} | {_scores(a)} | "
                  f"{_scores(b)} |")


def every_split(curves: list, sizes: dict[str, int]) -> None:
    """The shipped rule and round 11's candidate (a small model's fine-tune read higher) on
    every test, each read as its caller would, with the fine-tuned model's size; the candidate
    has nothing fitted, so each split's figures are its left-out figures."""
    table: dict[str, list[float]] = {"shipped": [], "round 11 candidate": []}
    for _, name, _, optimizer, best, curve, fine in curves:
        table["shipped"].append(_err(_read(curve, optimizer, fine), best))
        table["round 11 candidate"].append(_err(_read(
            curve, optimizer, fine, param_count=sizes.get(name) if fine else None), best))
    groups = split_groups(curves)
    print("\n## Round 11's candidate on every split (within 3x / median decades off / signed "
          "median; nothing fitted, so left out as in-sample)\n")
    print_split_table(groups, table, tuple(table))
    splits = list(dict.fromkeys(c[0] for c in curves))
    w = _wins(table, {s: groups[s] for s in splits}, ("round 11 candidate",))
    print(f"\nSplits (of {len(splits)}) on which the candidate beats / loses to the shipped "
          f"rule: {w['round 11 candidate'][0]} / {w['round 11 candidate'][1]}")
    print("\nPer split and family, where a pick moves:\n")
    print("| split | family | optimizers | tests | shipped | round 11 candidate |")
    print("|---|---|---|---|---|---|")
    for s, family in dict.fromkeys((c[0], c[2]) for c in curves):
        keep = [i for i, c in enumerate(curves) if (c[0], c[2]) == (s, family)]
        a, b = ([table[v][i] for i in keep] for v in table)
        if a != b:
            optimizers = ", ".join(dict.fromkeys(curves[i][3] for i in keep))
            print(f"| {s} | {family} | {optimizers} | {len(keep)} | {_scores(a)} | "
                  f"{_scores(b)} |")


def main() -> None:
    curves = split_curves(ROUND11_SPLITS, say=True)
    print(f"{len(curves)} tests in {len(set(c[0] for c in curves))} splits")
    sizes = param_counts(curves)
    fine_tunes(curves, sizes)
    every_split(curves, sizes)
    high_misses(curves)


if __name__ == "__main__":
    main()
