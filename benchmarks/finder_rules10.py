"""Round 10 of the range test's rule (issue 17): the suggestion rules other libraries ship.

fastai's four suggestion rules (``valley``, its default since 2021; ``slide``; ``steep``;
``minimum / 10``), written here from their published description and applied to the curves
``find_lr`` recorded (every split evaluated before round 10: ``finder_general``'s eight and
``finder``'s tune and report tasks), as candidates and as landmarks beside lrwatch's own pick:
the geometric mean of lrwatch's pick and the valley, the valley less an offset fitted per
optimizer family, the valley where lrwatch's own landmarks (the bottom less its margin and the
steepest descent) disagree by more than their usual spread, and the median of the three
landmarks. Each is scored per split, per family and left one split out (offsets fitted and the
variant chosen without the split); the fine-tunes of every split are checked against lrwatch's
fine-tuning range.

``python -m benchmarks.finder_rules10`` prints every table (about a minute on one core; nothing
is trained: the cached curves and sweeps are read). Round 10's fresh families
(``fresh10-held-out``) are never read here.

fastai's reading, as ``Learner.lr_find`` does it: the recorder keeps a debiased exponential
moving average of the loss (beta 0.98); the test stops once that average exceeds four times its
lowest value; the rules read the averaged losses from ``num_it // 10`` to five before the end,
cut at the first NaN.
"""

from __future__ import annotations

import math
from statistics import median
from unittest import mock

import numpy as np

from benchmarks import finder_runs as runs
from benchmarks.finder import MOMENTUM
from benchmarks.finder_tune import (DEGENERATE, ROUND9_SPLITS, SHIPPED_MARGINS, _points,
                                    _scores, print_split_table, split_curves,
                                    split_groups)
from lrwatch.analysis.optimizers import FINE_TUNE_RANGES, is_adaptive, typical_range
from lrwatch.analysis.rangetest import RuleSettings, read_range_test

ROUND10_SPLITS = ROUND9_SPLITS + ("fresh9-held-out",)
WITHIN = math.log10(3)
BETA = 0.98  # fastai's AvgSmoothLoss
STOP_FACTOR = 4.0  # fastai's LRFinder stops once the smoothed loss exceeds 4x its lowest


# -- fastai's reading of a range test -------------------------------------------------------


def fastai_curve(lrs: np.ndarray, raw_loss: np.ndarray, num_it: int = runs.NUM_TRAINING
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The (lrs, smoothed losses) fastai's suggestion rules read from a range test's raw
    losses: the debiased moving average, stopped at 4x its lowest, trimmed as ``lr_find``
    trims it."""
    smooth, val, best = [], 0.0, math.inf
    for i, loss in enumerate(np.asarray(raw_loss, dtype=float)):
        val = BETA * val + (1 - BETA) * loss
        s = val / (1 - BETA ** (i + 1))
        smooth.append(s)
        if s > STOP_FACTOR * best:
            break
        if s < best:
            best = s
    n = len(smooth)
    lo, hi = num_it // 10, n - 5
    x, y = np.asarray(lrs[:n], dtype=float)[lo:hi], np.asarray(smooth)[lo:hi]
    nan = np.flatnonzero(np.isnan(y))
    if nan.size:
        x, y = x[:nan[0]], y[:nan[0]]
    return x, y


def valley(lrs: np.ndarray, losses: np.ndarray) -> float | None:
    """The longest run of decreasing losses (a longest decreasing subsequence, counted from
    its end back), read about two-thirds of the way down it."""
    n = len(losses)
    if n < 2:
        return None
    length = [1] * n
    start = end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and length[i] < length[j] + 1:
                length[i] = length[j] + 1
            if length[end] < length[i]:
                end, start = i, i - length[i]
    third = (end - start) / 3
    return float(lrs[start + int(third) + int(third / 2)])


def slide(lrs: np.ndarray, losses: np.ndarray, lr_diff: int = 15, thresh: float = 0.005
          ) -> float | None:
    """Slide a window of ``lr_diff`` points down from the end until the loss gradient (per
    step) at its two ends differs by no more than ``thresh``; the LR at its left end."""
    if len(losses) <= lr_diff:
        return None
    grad = np.gradient(np.asarray(losses, dtype=float))
    right, left = -1, -1 - lr_diff
    pick = lrs[left]
    while left >= -len(losses) and abs(grad[right] - grad[left]) > thresh:
        pick = lrs[left]
        right, left = right - 1, left - 1
    return float(pick)


def steep(lrs: np.ndarray, losses: np.ndarray) -> float | None:
    """Where the loss falls fastest per unit of log LR."""
    if len(losses) < 2:
        return None
    slope = np.diff(losses) / np.diff(np.log(lrs))
    return float(lrs[int(np.argmin(slope))])


def minimum_tenth(lrs: np.ndarray, losses: np.ndarray) -> float | None:
    """A tenth of the LR at the lowest loss."""
    if len(losses) < 1:
        return None
    return float(lrs[int(np.argmin(losses))]) / 10


FASTAI = {"valley": valley, "slide": slide, "steep": steep, "minimum / 10": minimum_tenth}


# -- candidates ------------------------------------------------------------------------------


def _kind(optimizer: str) -> int:
    """0 plain SGD, 1 SGD with momentum, 2 adaptive (``RuleSettings``' order)."""
    if is_adaptive(optimizer.split("-")[0]):
        return 2
    return 1 if MOMENTUM[optimizer] >= 0.5 else 0


def _fit(curves: list, landmarks: list[dict | None], keep: list[int]) -> dict:
    """Offsets above the best LR per optimizer kind (the median over from-scratch pairs of each
    pair's median; the degenerate deep-sigmoid family left out) of the valley and of the
    steepest descent, and the usual spread of lrwatch's two estimates (round 9's measure)."""
    by: dict[str, dict[int, dict[tuple, list[float]]]] = {}
    spread: dict[tuple, list[float]] = {}
    for i in keep:
        split, name, _, optimizer, best, _, fine = curves[i]
        p = landmarks[i]
        if fine or name in DEGENERATE or p is None:
            continue
        k = _kind(optimizer)
        for point in ("valley", "steepest"):
            if p.get(point) is not None:
                by.setdefault(point, {}).setdefault(k, {}).setdefault((split, name), []).append(
                    p[point] - math.log10(best))
    off = {point: tuple(round(median(median(v) for v in fam[k].values()), 2) if k in fam else 0.0
                        for k in range(3)) for point, fam in by.items()}
    for i in keep:
        split, name, _, optimizer, _, _, fine = curves[i]
        p = landmarks[i]
        if fine or name in DEGENERATE or p is None:
            continue
        k = _kind(optimizer)
        spread.setdefault((split, name, optimizer), []).append(abs(
            (p["bottom"] - SHIPPED_MARGINS[k]) - (p["steepest"] - off["steepest"][k])))
    off["spread"] = round(median(median(v) for v in spread.values()), 2)
    return off


VARIANTS = ("shipped", "valley", "slide", "steep", "minimum / 10",
            "mean(lrwatch, valley)", "mean(lrwatch, valley), Adam family",
            "valley less offset", "mean(lrwatch, valley less offset)",
            "valley where lrwatch's landmarks disagree",
            "median(bottom, steepest, valley less offset)",
            "median(bottom, steepest, valley less offset), Adam family")
FITTED = VARIANTS[7:]  # the variants with an offset or a spread fitted on the splits read


def _pick(variant: str, i: int, curves: list, shipped: list[float | None],
          fast: list[dict], landmarks: list[dict | None], off: dict) -> float | None:
    """log10 of ``variant``'s pick for test ``i`` (None: no pick). Fine-tunes keep lrwatch's
    fine-tune reading; with a combination, a curve lrwatch finds no fall in keeps lrwatch's
    answer (no pick)."""
    _, _, _, optimizer, _, _, fine = curves[i]
    own = shipped[i]
    if variant == "shipped" or fine:
        return own
    if variant in FASTAI:  # fastai's rule alone: a pick wherever it gives one
        v = fast[i][variant]
        return None if v is None else math.log10(v)
    if own is None:
        return own
    k = _kind(optimizer)
    v = fast[i]["valley"]
    if v is None:
        return own
    val = math.log10(v)
    if "Adam family" in variant and k != 2:
        return own
    if variant.startswith("mean(lrwatch, valley)"):
        return 0.5 * (own + val)
    shifted = val - off["valley"][k]
    if variant == "valley less offset":
        return shifted
    if variant == "mean(lrwatch, valley less offset)":
        return 0.5 * (own + shifted)
    p = landmarks[i]
    if p is None:
        return own
    bottom = p["bottom"] - SHIPPED_MARGINS[k]
    steepest = p["steepest"] - off["steepest"][k]
    if variant == "valley where lrwatch's landmarks disagree":
        return shifted if abs(bottom - steepest) > off["spread"] else own
    return float(np.median([bottom, steepest, shifted]))  # median(bottom, steepest, valley ...)


def _err(pick: float | None, best: float) -> float:
    return math.inf if pick is None else pick - math.log10(best)


def _rank(errs: list[float]) -> tuple[float, float]:
    return (round(sum(abs(e) <= WITHIN + 1e-9 for e in errs) / len(errs), 3),
            -median(abs(e) for e in errs))


def main() -> None:
    curves = split_curves(ROUND10_SPLITS, say=True)
    everything = list(range(len(curves)))
    shipped: list[float | None] = []
    fast: list[dict] = []
    landmarks: list[dict | None] = []
    for split, name, family, optimizer, best, curve, fine in curves:
        lrs, raw = np.asarray(curve["lr"], dtype=float), np.asarray(curve["raw_loss"], dtype=float)
        r = read_range_test(lrs, raw, optimizer=optimizer.split("-")[0],
                            momentum=MOMENTUM[optimizer], planned_steps=runs.NUM_TRAINING,
                            settings=RuleSettings(), fine_tune=fine).suggested_lr
        shipped.append(None if r is None else math.log10(r))
        x, y = fastai_curve(lrs, raw)
        fast.append({k: f(x, y) for k, f in FASTAI.items()})
        p = _points(curve)
        if p is not None and fast[-1]["valley"] is not None:
            p = {**p, "valley": math.log10(fast[-1]["valley"])}
        landmarks.append(p)

    def errors(variant: str, off: dict) -> list[float]:
        return [_err(_pick(variant, i, curves, shipped, fast, landmarks, off), curves[i][4])
                for i in everything]

    off_all = _fit(curves, landmarks, everything)
    print(f"\nFitted on every split (SGD, momentum, adaptive): valley {off_all['valley']}, "
          f"steepest {off_all['steepest']}, usual spread {off_all['spread']}")
    table = {v: errors(v, off_all) for v in VARIANTS}
    splits = list(dict.fromkeys(c[0] for c in curves))
    groups = split_groups(curves)
    print("\nWithin 3x / median decades off / signed median, per split (fitted on every split: "
          "in-sample):\n")
    print_split_table(groups, table, VARIANTS)

    print("\nLeave one split out: offsets and spread fitted on the other splits, the variant "
          "chosen on them (most within 3x, then lowest median), scored on the split left out:\n")
    show = ("mean(lrwatch, valley)", "mean(lrwatch, valley), Adam family", "valley",
            "median(bottom, steepest, valley less offset), Adam family",
            "valley where lrwatch's landmarks disagree")
    print("| split left out | tests | valley offsets | chosen | shipped | chosen, left out | "
          + " | ".join(show) + " |")
    print("|---|---|---|---|---|---|" + "---|" * len(show))
    wins = {v: [0, 0] for v in ("chosen",) + VARIANTS[1:]}  # [beats, loses]
    for left in splits:
        keep = [i for i in everything if curves[i][0] != left]
        out = groups[left]
        off = _fit(curves, landmarks, keep)
        fitted = {v: errors(v, off) for v in VARIANTS}
        chosen = max(VARIANTS, key=lambda v: _rank([fitted[v][i] for i in keep]))
        base = _rank([fitted["shipped"][i] for i in out])
        for v in wins:
            r = _rank([fitted[chosen if v == "chosen" else v][i] for i in out])
            wins[v][0] += r > base
            wins[v][1] += r < base
        print(f"| {left} | {len(out)} | {off['valley']} | {chosen} | "
              + " | ".join(_scores([fitted[v][i] for i in out])
                           for v in ("shipped", chosen) + show) + " |")
    print(f"\nSplits left out (of {len(splits)}) on which each, fitted without them, beats / "
          "loses to the shipped rule (share within 3x, then median): "
          + "; ".join(f"{v} {w[0]} / {w[1]}" for v, w in wins.items()))

    print("\nPer split and family, where a pick moves (in-sample):\n")
    cols = ("shipped", "valley", "mean(lrwatch, valley)",
            "median(bottom, steepest, valley less offset), Adam family")
    print("| split | family | optimizers | tests | " + " | ".join(cols) + " |")
    print("|---|---|---|---|" + "---|" * len(cols))
    for s, family in dict.fromkeys((c[0], c[2]) for c in curves):
        keep = [i for i in everything if (curves[i][0], curves[i][2]) == (s, family)]
        cells = [_scores([table[v][i] for i in keep]) for v in cols]
        if len(set(cells)) > 1:
            optimizers = ", ".join(dict.fromkeys(curves[i][3] for i in keep))
            print(f"| {s} | {family} | {optimizers} | {len(keep)} | " + " | ".join(cells) + " |")

    print("\nThe fine-tunes of every split against lrwatch's fine-tuning range (pick: median "
          "over the three range tests):\n")
    print("| split | task | optimizer | best | fine-tuning range | best inside? | shipped pick | "
          "valley on the same curve |")
    print("|---|---|---|---|---|---|---|---|")
    seen = set()
    for i in everything:
        s, name, _, optimizer, best, _, fine = curves[i]
        if not fine or (s, name, optimizer) in seen:
            continue
        seen.add((s, name, optimizer))
        same = [j for j in everything if curves[j][:4] == curves[i][:4]]
        low, high = typical_range(optimizer.split("-")[0], fine_tune=True)
        # the grid's 3.2e-4 counts as the range's top, 3e-4 (0.02 decades)
        inside = "yes" if low <= best * 1.06 and best <= high * 1.06 else (
            f"no, {math.log10(best / high):+.1f} dec above" if best > high else
            f"no, {math.log10(best / low):+.1f} dec below")
        picks = [shipped[j] for j in same if shipped[j] is not None]
        vals = [math.log10(fast[j]["valley"]) for j in same if fast[j]["valley"] is not None]
        pick = f"{10 ** median(picks):.2g}" if picks else "none"
        val = f"{10 ** median(vals):.2g}" if vals else "none"
        print(f"| {s} | {name} | {optimizer} | {best:.2g} | {low:g}-{high:g} | {inside} | "
              f"{pick} | {val} |")
    missing = sum(p is None for p in shipped)
    print(f"\n{len(curves)} tests; lrwatch gave no pick on {missing} (misses under every "
          "variant but fastai's rules alone)")
    fine_tunes(curves, shipped, fast)


FINE_VARIANTS = ("shipped", "valley", "mean(lrwatch, valley)", "range top x3", "range top x10")


def fine_tunes(curves: list, shipped: list[float | None], fast: list[dict]) -> None:
    """The fine-tunes alone (read with ``fine_tune=True``): lrwatch's fine-tune reading against
    fastai's valley on the same curve, their geometric mean, and lrwatch's reading with the
    fine-tuning ranges' top raised 3x and 10x; per split and left one split out."""
    idx = [i for i, c in enumerate(curves) if c[6]]
    errs: dict[str, list[float]] = {v: [] for v in FINE_VARIANTS}
    for i in idx:
        _, _, _, optimizer, best, curve, _ = curves[i]
        val = fast[i]["valley"]
        val = None if val is None else math.log10(val)
        own = shipped[i]
        errs["shipped"].append(_err(own, best))
        errs["valley"].append(_err(val, best))
        errs["mean(lrwatch, valley)"].append(_err(
            own if val is None or own is None else 0.5 * (own + val), best))
        for factor, name in ((3, "range top x3"), (10, "range top x10")):
            wider = {k: (lo, hi * factor) for k, (lo, hi) in FINE_TUNE_RANGES.items()}
            with mock.patch.dict(FINE_TUNE_RANGES, wider):
                r = read_range_test(np.asarray(curve["lr"]), np.asarray(curve["raw_loss"]),
                                    optimizer=optimizer.split("-")[0],
                                    momentum=MOMENTUM[optimizer],
                                    planned_steps=runs.NUM_TRAINING, fine_tune=True).suggested_lr
            errs[name].append(_err(None if r is None else math.log10(r), best))
    splits = list(dict.fromkeys(curves[i][0] for i in idx))
    at = {s: [k for k, i in enumerate(idx) if curves[i][0] == s] for s in splits}
    print("\nThe fine-tunes alone (within 3x / median decades off / signed median):\n")
    print("| split | tests | " + " | ".join(FINE_VARIANTS) + " |")
    print("|---|---|" + "---|" * len(FINE_VARIANTS))
    for s, keep in [*at.items(), ("all", list(range(len(idx))))]:
        print(f"| {s} | {len(keep)} | " + " | ".join(
            _scores([errs[v][k] for k in keep]) for v in FINE_VARIANTS) + " |")
    print("\nLeft one split out (the variant chosen on the other splits' fine-tunes):\n")
    print("| split left out | tests | chosen | shipped | chosen, left out |")
    print("|---|---|---|---|---|")
    beats = {v: [0, 0] for v in ("chosen",) + FINE_VARIANTS[1:]}
    for left, out in at.items():
        keep = [k for k in range(len(idx)) if k not in out]
        chosen = max(FINE_VARIANTS, key=lambda v: _rank([errs[v][k] for k in keep]))
        base = _rank([errs["shipped"][k] for k in out])
        for v in beats:
            r = _rank([errs[chosen if v == "chosen" else v][k] for k in out])
            beats[v][0] += r > base
            beats[v][1] += r < base
        print(f"| {left} | {len(out)} | {chosen} | {_scores([errs['shipped'][k] for k in out])} "
              f"| {_scores([errs[chosen][k] for k in out])} |")
    print(f"\nSplits left out (of {len(at)}) on which each beats / loses to the shipped reading: "
          + "; ".join(f"{v} {w[0]} / {w[1]}" for v, w in beats.items()))


if __name__ == "__main__":
    main()
