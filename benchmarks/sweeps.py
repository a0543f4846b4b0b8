"""Sweep benchmark: does reading runs of one model at several LRs together find the best LR,
call flat sweeps flat, and tell each run where it stands?

Data: the corpus (``benchmarks/corpus/runs.npz``): real Lightning sweeps on a half-decade LR
grid, each run's final loss on the whole training set measured without mini-batch noise
(``final_eval_loss``). lrwatch reads only the curves a user's logs have: the training loss and,
where a cached CSV logs one (made, fresh and public sweeps; not the corpus), the validation loss.

- **Best LR.** Each corpus sweep gives two coarse sweeps on a one-decade grid (the even and the
  odd grid points). The truth is the best LR of the full half-decade grid: the grid point of
  lowest ``final_eval_loss`` (``grid`` truth), and that point moved to the vertex of a parabola
  of log ``final_eval_loss`` through it and its two grid neighbours (``interpolated`` truth: a
  grid point is only the best to within half a step, 1.8x). The estimate from a coarse sweep is
  right when within 2x of the truth. A coarse sweep whose truth lies outside its range is
  scored on ``edge`` instead (it must say which).
- **Positions.** Each run of a coarse sweep against the full grid's best: ``diverged`` when the
  corpus labels it so; else ``near_best`` at the best LR, ``too_low`` / ``too_high`` at 10x or
  more from it. A run at one half-decade step (3.16x) from the best is near it by the loss and
  too far by the LR: either label counts as right, and how many such runs there are is said.
- **A run 10x below the best is never told 'keep'.** Counted for the sweep reading (position
  ``near_best``; told keep by ``lrwatch analyze`` unless ``unranked``: a run the sweep cannot
  rank gets ``range_test``) and, for comparison, for the one-run diagnosis (action ``keep``).
- **Flat.** Windows of 4 consecutive grid LRs (a 32x range) where every run's
  ``final_eval_loss`` is within ``FLAT_TRUTH`` of the lowest and the lowest is 10% below the
  starting loss are flat (windows of runs that all sat at their starting loss learned nothing:
  the LR is what limits them, they are not flat); windows with a spread over ``STEEP_TRUTH`` are
  not. The sweep reading must call the first flat and the second not.

Tasks: tuned on ``TUNE_TASKS`` only; ``HELDOUT_TASKS`` reported. ``--tuning-only`` prints the
tuning side alone. ``benchmarks/realworld/sweeps_made.json`` (made sweeps of transformer LMs,
fine-tunes, LSTMs), when present, is scored the same way, and so is
``benchmarks/realworld/sweeps_fresh.json`` (round 4's held-out families), ``sweeps_fresh5.json``
(round 5's), ``sweeps_fresh7.json`` (round 7's), ``sweeps_fresh8.json`` (round 8's, ranked by a
test loss no CSV logs), ``sweeps_fresh9.json`` (round 9's, the same), ``sweeps_fresh10.json``
(round 10's, the same), ``sweeps_fresh11.json`` (round 11's, the same), ``sweeps_fresh12.json``
(round 12's, the same), ``sweeps_fresh13.json`` (round 13's, the same),
``sweeps_fresh14.json`` (round 14's, the same), ``sweeps_fresh15.json`` (round 15's, the
same), ``sweeps_fresh16.json`` (round 16's, the same), ``sweeps_fresh17.json`` (round 17's,
the same), ``sweeps_fresh18.json`` (round 18's, the same), ``sweeps_fresh19.json`` (round
19's, the same), ``sweeps_fresh20.json`` (round 20's, the same), ``sweeps_fresh21.json``
(round 21's, the same), ``sweeps_fresh22.json`` (round 22's, the same),
``sweeps_fresh23.json`` (round 23's, the same), ``sweeps_fresh24.json`` (round 24's, the
same), ``sweeps_fresh25.json`` (round 25's, the same), ``sweeps_fresh26.json`` (round
26's, the same), ``sweeps_fresh27.json`` (round 27's, the same), ``sweeps_fresh28.json``
(round 28's, the same), ``sweeps_fresh29.json`` (round 29's, the same),
``sweeps_fresh30.json`` (round 30's, the same) and ``sweeps_fresh31.json`` (round 31's, the
same); on a quarter-decade
grid of 17+ LRs every fourth LR also makes a one-decade sweep (``decade``). Each estimate's band
is scored too: does it hold the truth. The real-world corpus's public sweeps are scored against
their sources' labels on six lines: round 5's, round 7's, round 8's, round 10's and round 13's
held-out repositories each on a line of their own, every other repository on ``real-world``
(round 13's public grids have 3 LRs each, under the 5 a scored sweep needs, so its line stays
empty until a 5-LR grid joins it). Writes ``benchmarks/out/sweeps.json``.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmarks.corpus import CACHE, HELDOUT_TASKS, TUNE_TASKS, UNLABELABLE, load
from benchmarks.corpus.fine import FINE_CACHE, QUARTERS
from benchmarks.corpus.generate import diverged
from lrwatch.analysis import Series, analyze
from lrwatch.analysis.sweep import SweepRun, analyze_sweep
from lrwatch.errors import ConfigError

OUT = Path(__file__).with_name("out")
MADE = Path(__file__).with_name("realworld") / "sweeps_made.json"
FRESH = Path(__file__).with_name("realworld") / "sweeps_fresh.json"
FRESH5 = Path(__file__).with_name("realworld") / "sweeps_fresh5.json"
FRESH7 = Path(__file__).with_name("realworld") / "sweeps_fresh7.json"
FRESH8 = Path(__file__).with_name("realworld") / "sweeps_fresh8.json"
FRESH9 = Path(__file__).with_name("realworld") / "sweeps_fresh9.json"
FRESH10 = Path(__file__).with_name("realworld") / "sweeps_fresh10.json"
FRESH11 = Path(__file__).with_name("realworld") / "sweeps_fresh11.json"
FRESH12 = Path(__file__).with_name("realworld") / "sweeps_fresh12.json"
FRESH13 = Path(__file__).with_name("realworld") / "sweeps_fresh13.json"
FRESH14 = Path(__file__).with_name("realworld") / "sweeps_fresh14.json"
FRESH15 = Path(__file__).with_name("realworld") / "sweeps_fresh15.json"
FRESH16 = Path(__file__).with_name("realworld") / "sweeps_fresh16.json"
FRESH17 = Path(__file__).with_name("realworld") / "sweeps_fresh17.json"
FRESH18 = Path(__file__).with_name("realworld") / "sweeps_fresh18.json"
FRESH19 = Path(__file__).with_name("realworld") / "sweeps_fresh19.json"
FRESH20 = Path(__file__).with_name("realworld") / "sweeps_fresh20.json"
FRESH21 = Path(__file__).with_name("realworld") / "sweeps_fresh21.json"
FRESH22 = Path(__file__).with_name("realworld") / "sweeps_fresh22.json"
FRESH23 = Path(__file__).with_name("realworld") / "sweeps_fresh23.json"
FRESH24 = Path(__file__).with_name("realworld") / "sweeps_fresh24.json"
FRESH25 = Path(__file__).with_name("realworld") / "sweeps_fresh25.json"
FRESH26 = Path(__file__).with_name("realworld") / "sweeps_fresh26.json"
FRESH27 = Path(__file__).with_name("realworld") / "sweeps_fresh27.json"
FRESH28 = Path(__file__).with_name("realworld") / "sweeps_fresh28.json"
FRESH29 = Path(__file__).with_name("realworld") / "sweeps_fresh29.json"
FRESH30 = Path(__file__).with_name("realworld") / "sweeps_fresh30.json"
FRESH31 = Path(__file__).with_name("realworld") / "sweeps_fresh31.json"
FRESH32 = Path(__file__).with_name("realworld") / "sweeps_fresh32.json"
FRESH33 = Path(__file__).with_name("realworld") / "sweeps_fresh33.json"
FRESH34 = Path(__file__).with_name("realworld") / "sweeps_fresh34.json"
FRESH35 = Path(__file__).with_name("realworld") / "sweeps_fresh35.json"
FRESH36 = Path(__file__).with_name("realworld") / "sweeps_fresh36.json"
FRESH37 = Path(__file__).with_name("realworld") / "sweeps_fresh37.json"
FRESH38 = Path(__file__).with_name("realworld") / "sweeps_fresh38.json"
FRESH39 = Path(__file__).with_name("realworld") / "sweeps_fresh39.json"
FRESH40 = Path(__file__).with_name("realworld") / "sweeps_fresh40.json"
FRESH41 = Path(__file__).with_name("realworld") / "sweeps_fresh41.json"
FRESH42 = Path(__file__).with_name("realworld") / "sweeps_fresh42.json"
FRESH43 = Path(__file__).with_name("realworld") / "sweeps_fresh43.json"
FRESH44 = Path(__file__).with_name("realworld") / "sweeps_fresh44.json"
FRESH45 = Path(__file__).with_name("realworld") / "sweeps_fresh45.json"
FRESH46 = Path(__file__).with_name("realworld") / "sweeps_fresh46.json"
FRESH47 = Path(__file__).with_name("realworld") / "sweeps_fresh47.json"
FRESH48 = Path(__file__).with_name("realworld") / "sweeps_fresh48.json"
FRESH49 = Path(__file__).with_name("realworld") / "sweeps_fresh49.json"
FRESH50 = Path(__file__).with_name("realworld") / "sweeps_fresh50.json"
FRESH51 = Path(__file__).with_name("realworld") / "sweeps_fresh51.json"
FRESH52 = Path(__file__).with_name("realworld") / "sweeps_fresh52.json"
FRESH53 = Path(__file__).with_name("realworld") / "sweeps_fresh53.json"
FRESH54 = Path(__file__).with_name("realworld") / "sweeps_fresh54.json"
FRESH55 = Path(__file__).with_name("realworld") / "sweeps_fresh55.json"
FRESH56 = Path(__file__).with_name("realworld") / "sweeps_fresh56.json"
WITHIN_2X = math.log10(2.0) + 1e-9
FLAT_TRUTH = 0.02  # a window is flat when all eval losses are within 2% of the lowest ...
LEARNED_TRUTH = 0.9  # ... and the best is 10% below where it started (else nothing learned)
STEEP_TRUTH = 0.25  # ... and steep when some run's is 25% above it
WINDOW = 4  # 4 grid LRs: 1.5 decades, a 32x range (the plateaus span 20-40x)


def eval_losses(path: Path = CACHE) -> dict[tuple[str, float], tuple[float, float]]:
    """``(sweep, lr) -> (initial_eval_loss, final_eval_loss)`` from the corpus table (the loader
    leaves them out)."""
    with np.load(path) as data:
        table = json.loads(str(data["table"]))
    return {(row["sweep"], row["lr"]): (row["initial_eval_loss"], row["final_eval_loss"])
            for row in table}


def sweep_runs(rows: list[dict]) -> list[SweepRun]:
    """The rows as lrwatch reads them: each run's training loss and, where logged, validation
    loss."""
    return [SweepRun(r["name"], r["lr"], r["loss"], r.get("val_loss"), r.get("val_metric"))
            for r in rows]


def val_series(cols: dict[str, np.ndarray], key: str = "val_loss") -> Series | None:
    """The finite points of a cached CSV's ``val_loss`` column, or ``key``'s (``val_metric``:
    the validation accuracy where the extraction kept it); None when it has none."""
    v = cols.get(key)
    keep = np.isfinite(v) if v is not None else None
    if keep is None or not keep.any():
        return None
    return Series(cols["step"].astype(np.int64)[keep], v[keep])


def score_sweep(runs: list[dict], truth: float) -> dict:
    """Score one (coarse) sweep: ``runs`` hold name, lr, loss series, label; ``truth``: the
    fine grid's best LR."""
    reading = analyze_sweep(sweep_runs(runs))
    lrs = [r["lr"] for r in runs]
    inside = min(lrs) <= truth * (1 + 1e-9) and truth <= max(lrs) * (1 + 1e-9)
    band = None if reading.best_lr is None or reading.flat else \
        [reading.best_lr_low, reading.best_lr_high]
    result: dict = {"best_lr": reading.best_lr, "true_best": truth, "inside": inside, "band": band,
                    "flat": reading.flat, "edge": reading.edge, "positions": []}
    if inside and reading.best_lr is not None:
        result["log_error"] = abs(math.log10(reading.best_lr / truth))
    else:
        want = "low" if truth < min(lrs) else "high"
        result["edge_right"] = reading.edge == want
    for run in runs:
        place = reading.place(run["name"])
        assert place is not None
        result["positions"].append({**_position_score(run, place.position, truth),
                                    "unranked": place.unranked})
    return result


def _position_score(run: dict, predicted: str, true_best: float) -> dict:
    decades = math.log10(run["lr"] / true_best)
    if run["label"] == "diverging":
        # The labels' rules for diverging (the corpus: a loss ending 2x above its start; the
        # runs made here: above its start) may differ from lrwatch's; too_high says the same
        # thing (reduce): "right", while "strict" asks for diverged itself.
        allowed = {"diverged"} | ({"too_high"} if decades >= 0.25 else set())
        return {"lr": run["lr"], "decades": decades, "label": run["label"],
                "predicted": predicted, "right": predicted in allowed,
                "strict": predicted == "diverged", "boundary": False}
    elif abs(decades) < 0.25:
        allowed = {"near_best"}
    elif abs(decades) < 0.75:  # one half-decade step from the best
        allowed = {"near_best", "too_low" if decades < 0 else "too_high"}
    else:
        allowed = {"too_low" if decades < 0 else "too_high"}
        if decades > 0 and run["label"] != "healthy":
            allowed.add("diverged")  # far above the best and not learning: either says reduce
    return {"lr": run["lr"], "decades": decades, "label": run["label"], "predicted": predicted,
            "right": predicted in allowed, "strict": predicted in allowed,
            "boundary": len(allowed) > 1 and abs(decades) < 0.75}


def true_best(lrs: list[float], finals: list[float], diverged: list[bool],
              interpolated: bool = True) -> float:
    """The fine grid's best LR: the LR of lowest final whole-training-set loss among runs that
    did not diverge; ``interpolated``: moved to the vertex of the parabola of log loss through
    it and its neighbours (kept between them)."""
    ok = [i for i in range(len(lrs)) if not diverged[i] and math.isfinite(finals[i])
          and finals[i] > 0]
    x = np.log10([lrs[i] for i in ok])
    y = np.log([finals[i] for i in ok])
    b = int(np.argmin(y))
    if not interpolated or b == 0 or b == len(ok) - 1:
        return float(10 ** x[b])
    a2, a1, _ = np.polyfit(x[b - 1:b + 2], y[b - 1:b + 2], 2)
    vertex = -a1 / (2 * a2) if a2 > 0 else x[b]
    return float(10 ** np.clip(vertex, x[b - 1], x[b + 1]))


def corpus_sweeps(tasks: list[str]) -> dict[str, list[dict]]:
    """The labelled corpus sweeps of ``tasks`` as rows, LR ascending: name, lr, loss (the
    training curve), label, final (whole-training-set loss at the end), curves."""
    evals = eval_losses()
    by_sweep: dict[str, list[dict]] = defaultdict(list)
    for r in load():
        if r.label != UNLABELABLE and r.task in tasks:
            by_sweep[r.sweep].append({"name": f"lr={r.lr:.3g}", "lr": r.lr, "loss": r.curves.loss,
                                      "label": r.label, "start": evals[(r.sweep, r.lr)][0],
                                      "final": evals[(r.sweep, r.lr)][1],
                                      "curves": r.curves})
    return {k: sorted(v, key=lambda row: row["lr"]) for k, v in by_sweep.items()}


def fine_sweeps(tasks: list[str]) -> dict[str, list[dict]]:
    """The quarter-decade sweeps of ``benchmarks/corpus/fine.py`` (those made so far), as rows;
    diverged by the corpus's own rule (``generate.diverged``)."""
    if not FINE_CACHE.exists():
        return {}
    with np.load(FINE_CACHE) as data:
        table = json.loads(str(data["table"]))
        steps, loss = data["steps"], data["loss"]
    by_sweep: dict[str, list[dict]] = defaultdict(list)
    for row in table:
        if row["task"] not in tasks:
            continue
        sl = slice(row["offset"], row["offset"] + row["length"])
        gone = diverged({"loss": loss[sl], "initial_eval_loss": row["initial_eval_loss"]})
        by_sweep[row["sweep"]].append({
            "name": f"lr={row['lr']:.3g}", "lr": row["lr"],
            "loss": Series(steps[sl].astype(np.int64), loss[sl]),
            "label": "diverging" if gone else "unknown", "start": row["initial_eval_loss"],
            "final": row["final_eval_loss"]})
    return {k: sorted(v, key=lambda r: r["lr"]) for k, v in by_sweep.items()
            if len(v) == len(QUARTERS)}


def public_sweeps(min_runs: int = 5) -> dict[str, list[dict]]:
    """Sweeps of public logs in the real-world corpus (``benchmarks/realworld``; the runs made
    here are scored on their finer grid instead) labelled from the sweep itself, with
    ``min_runs`` or more runs whose CSV is cached: rows with name, lr (``meta.peak_lr``), loss,
    label (status) and direction."""
    from benchmarks.realworld import cache_dir, curves_of, manifest, read_csv

    by_sweep: dict[str, list[dict]] = defaultdict(list)
    for row in manifest():
        path = cache_dir() / f"{row['id']}.csv"
        lr = row.get("meta", {}).get("peak_lr")
        if not row.get("sweep") or row["label"]["source"] != "sweep" or not lr \
                or row["repo"].startswith("lrwatch-made/") or not path.exists():
            continue
        cols = read_csv(path)
        curves = curves_of(row, cols)
        by_sweep[row["sweep"]].append({
            "name": row["id"], "repo": row["repo"], "lr": float(lr), "loss": curves.loss,
            "val_loss": val_series(cols), "val_metric": val_series(cols, "val_metric"),
            "curves": curves,
            "label": row["label"]["status"], "direction": row["label"]["direction"],
            "also": row["label"].get("also", []), "family": row["family"]})
    return {k: sorted(v, key=lambda r: r["lr"]) for k, v in by_sweep.items()
            if len({r["lr"] for r in v}) >= min_runs}


def made_sweeps() -> dict[str, list[dict]]:
    """The quarter-decade sweeps made by ``benchmarks/realworld/make_runs.py`` (transformer LM,
    fine-tune, LSTM, MLP; ``sweeps_made.json`` with each run's final eval loss), as rows; a run
    is diverged when its source labels it so. Empty when that file or the cached runs are
    missing."""
    from benchmarks.realworld import cache_dir, curves_of, manifest, read_csv

    if not MADE.exists():
        return {}
    labels = {row["id"]: row for row in manifest() if str(row.get("sweep", "")).startswith("made-")}
    out: dict[str, list[dict]] = {}
    for sweep_id, summary in json.loads(MADE.read_text()).items():
        rows = []
        for rid, lr, final in zip(summary["runs"], summary["lrs"], summary["final_eval_losses"]):
            path = cache_dir() / f"{rid}.csv"
            if rid not in labels or not path.exists():
                break
            cols = read_csv(path)
            curves = curves_of(labels[rid], cols)
            head = curves.loss.values[:max(1, curves.loss.values.size // 20)]
            rows.append({"name": rid, "lr": lr, "loss": curves.loss, "curves": curves,
                         "val_loss": val_series(cols),
                         "val_metric": val_series(cols, "val_metric"),
                         "label": labels[rid]["label"]["status"],
                         "start": float(np.nanmedian(head)) if np.isfinite(head).any()
                         else math.inf,
                         "final": math.inf if final is None else final})
        else:
            out[sweep_id] = rows
    return out


def fresh_sweeps(path: Path | None = None) -> dict[str, list[dict]]:
    """The held-out sweeps of ``benchmarks/realworld/fresh_sweeps.py`` (round 4,
    ``sweeps_fresh.json``), ``fresh_sweeps5.py`` (round 5, ``sweeps_fresh5.json``) or
    ``fresh_sweeps7.py`` (round 7, ``sweeps_fresh7.json``) or ``fresh_sweeps8.py`` /
    ``fresh_sweeps9.py`` / ``fresh_sweeps10.py`` / ``fresh_sweeps11.py`` /
    ``fresh_sweeps12.py`` / ``fresh_sweeps13.py`` / ``fresh_sweeps14.py`` /
    ``fresh_sweeps15.py`` / ``fresh_sweeps16.py`` / ``fresh_sweeps17.py`` /
    ``fresh_sweeps18.py`` / ``fresh_sweeps19.py`` / ``fresh_sweeps20.py`` /
    ``fresh_sweeps21.py`` / ``fresh_sweeps22.py`` / ``fresh_sweeps23.py`` /
    ``fresh_sweeps24.py`` / ``fresh_sweeps25.py`` / ``fresh_sweeps26.py`` /
    ``fresh_sweeps27.py`` / ``fresh_sweeps28.py`` / ``fresh_sweeps29.py`` /
    ``fresh_sweeps30.py`` / ``fresh_sweeps31.py`` (rounds 8-31, ``sweeps_fresh8.json`` ...
    ``sweeps_fresh31.json``,
    their final losses on a test split the CSVs never log): each run's
    final eval loss and label,
    the training curves from the cache, as rows. Empty when that file or a run's CSV is missing;
    ``path`` defaults to ``FRESH``."""
    from benchmarks.realworld import cache_dir, curves_of, read_csv

    path = FRESH if path is None else path
    if not path.exists():
        return {}
    out: dict[str, list[dict]] = {}
    for sweep_id, summary in json.loads(path.read_text()).items():
        rows = []
        for rid, lr, final, start, label in zip(summary["runs"], summary["lrs"],
                                                summary["final_eval_losses"],
                                                summary["start_eval_losses"], summary["labels"]):
            path = cache_dir() / f"{rid}.csv"
            if not path.exists():
                break
            cols = read_csv(path)
            curves = curves_of({"meta": summary["meta"]}, cols)
            rows.append({"name": rid, "lr": lr, "loss": curves.loss, "curves": curves,
                         "val_loss": val_series(cols),
                         "val_metric": val_series(cols, "val_metric"),
                         "label": label, "start": start,
                         "final": math.inf if final is None else final})
        else:
            out[sweep_id] = rows
    return out


# a source's direction for a run -> the positions that agree with it
AGREES = {"up": {"too_low"}, "keep": {"near_best"}, "down": {"too_high", "diverged"}}


def evaluate_labelled(sweeps: dict[str, list[dict]]) -> dict:
    """Sweeps whose runs carry their source's direction (up / keep / down) but no fine grid:
    each run's position against it; the best-LR estimate against the run labelled keep (the
    best of the grid, so 'within 2x' is as coarse as the grid); flat calls listed."""
    rows, best = [], []
    for name, sweep in sweeps.items():
        try:
            reading = analyze_sweep(sweep_runs(sweep))
        except ConfigError as exc:
            rows.append({"sweep": name, "error": str(exc)})
            continue
        kept = [r["lr"] for r in sweep if r["direction"] == "keep"]
        if kept and reading.best_lr is not None and not reading.flat:
            error = min(abs(math.log10(reading.best_lr / lr)) for lr in kept)
            best.append({"sweep": name, "best_lr": reading.best_lr, "keep_lrs": kept,
                         "within_2x": error <= WITHIN_2X})
        for r in sweep:
            place = reading.place(r["name"])
            assert place is not None
            rows.append({"sweep": name, "family": r["family"], "run": r["name"], "lr": r["lr"],
                         "direction": r["direction"], "position": place.position,
                         "flat": reading.flat, "edge": reading.edge,
                         "right": place.position in AGREES.get(r["direction"], set())})
    scored = [r for r in rows if "right" in r and r["direction"] != "unknown"]
    nonflat = [r for r in scored if not r["flat"]]
    return {"sweeps": len(sweeps), "families": sorted({r["family"] for r in scored}),
            "positions_right": _rate([r["right"] for r in scored]),
            "positions_right_nonflat": _rate([r["right"] for r in nonflat]),
            "best_within_2x_of_keep_run": _rate([b["within_2x"] for b in best]),
            "flat_sweeps": sorted({r["sweep"] for r in scored if r["flat"]}),
            "detail": {"runs": rows, "best": best}}


def flat_windows(sweep: list[dict]) -> list[tuple[bool, list[dict]]]:
    """Windows of ``WINDOW`` consecutive grid LRs with no diverged run, flat or steep by truth."""
    out = []
    for i in range(len(sweep) - WINDOW + 1):
        window = sweep[i:i + WINDOW]
        if any(r["label"] == "diverging" for r in window):
            continue
        finals = np.array([r["final"] for r in window])
        if not np.all(np.isfinite(finals)) or finals.min() <= 0:
            continue
        spread = finals.max() / finals.min() - 1
        learned = finals.min() < LEARNED_TRUTH * np.median([r["start"] for r in window])
        if spread <= FLAT_TRUTH and learned:
            out.append((True, window))
        elif spread >= STEEP_TRUTH:
            out.append((False, window))
    return out


def evaluate(sweeps: dict[str, list[dict]], single_run: bool = True) -> dict:
    """Every figure for a set of sweeps on a fine grid: coarse halves against the full grid's
    truth, the full grid, flat windows, and (``single_run``) the one-run diagnosis's 'keep'."""
    coarse, decade, full, flat_scores, keep_single = [], [], [], [], []
    for name, sweep in sweeps.items():
        lrs = [r["lr"] for r in sweep]
        finals = [r["final"] for r in sweep]
        gone = [r["label"] == "diverging" for r in sweep]
        best = true_best(lrs, finals, gone)
        grid_best = true_best(lrs, finals, gone, interpolated=False)
        for half in (sweep[0::2], sweep[1::2]):
            if len(half) >= 5:
                coarse.append({"sweep": name, "grid_best": grid_best,
                               **score_sweep(half, best)})
        full.append({"sweep": name, "grid_best": grid_best, **score_sweep(sweep, best)})
        for i in range(4):  # one-decade sweeps, where the grid is a quarter decade
            if len(sweep[i::4]) >= 5 and _quarter_decade(lrs):
                decade.append({"sweep": name, "grid_best": grid_best,
                               **score_sweep(sweep[i::4], best)})
        for truth, window in flat_windows(sweep):
            reading = analyze_sweep(sweep_runs(window))
            flat_scores.append({"sweep": name, "truth_flat": truth, "flat": reading.flat,
                                "lrs": [r["lr"] for r in window]})
        for run in sweep:
            if single_run and run["label"] != "diverging" and \
                    run["lr"] <= grid_best / 10 * (1 + 1e-9):
                keep_single.append(analyze(run["curves"]).suggestion.action.value == "keep")
    return {"coarse": summarise(coarse), "decade": summarise(decade), "full": summarise(full),
            "flat": _flat_summary(flat_scores),
            "single_run_keep_10x_below": _rate(keep_single),
            "detail": {"coarse": coarse, "decade": decade, "full": full, "flat": flat_scores}}


def _quarter_decade(lrs: list[float]) -> bool:
    """Whether a sweep's LRs are a quarter decade apart (every fourth is a one-decade grid)."""
    return bool(np.allclose(np.diff(np.log10(lrs)), 0.25, atol=0.01))


def summarise(scores: list[dict]) -> dict:
    inside = [s for s in scores if "log_error" in s]
    banded = [s for s in inside if s["band"] is not None]
    outside = [s for s in scores if "edge_right" in s]
    positions = [p for s in scores for p in s["positions"]]
    nonflat = [p for s in scores if not s["flat"] for p in s["positions"]]
    below10 = [p for p in positions if p["decades"] <= -1 + 1e-9 and p["label"] != "diverging"]
    return {
        "sweeps": len(scores),
        "best_within_2x": _rate([s["log_error"] <= WITHIN_2X for s in inside]),
        "best_within_2x_of_grid_point": _rate([
            abs(math.log10(s["best_lr"] / s["grid_best"])) <= WITHIN_2X for s in inside]),
        "median_error_factor": (10 ** float(np.median([s["log_error"] for s in inside]))
                                if inside else None),
        "band_covers_truth": _rate([s["band"][0] <= s["true_best"] * (1 + 1e-9) and
                                    s["true_best"] <= s["band"][1] * (1 + 1e-9) for s in banded]),
        "called_flat": sum(s["flat"] for s in scores),
        "edge_right": _rate([s["edge_right"] for s in outside]),
        "edge_false_alarms": sum(1 for s in inside if s["edge"] is not None),
        "positions_right_nonflat": _rate([p["right"] for p in nonflat]),
        "positions_boundary": sum(p["boundary"] for p in nonflat),
        "positions_strict_nonflat": _rate([p["strict"] for p in nonflat]),
        "near_best_10x_below": sum(p["predicted"] == "near_best" for p in below10),
        # what ``lrwatch analyze`` tells: keep for near_best, range_test where unranked
        "told_keep_10x_below": sum(p["predicted"] == "near_best" and not p["unranked"]
                                   for p in below10),
        "runs_10x_below": len(below10),
    }


def _flat_summary(scores: list[dict]) -> dict:
    flat = [s["flat"] for s in scores if s["truth_flat"]]
    steep = [not s["flat"] for s in scores if not s["truth_flat"]]
    return {"flat_windows": len(flat), "called_flat": _rate(flat),
            "steep_windows": len(steep), "steep_not_flat": _rate(steep)}


def _rate(flags: list[bool]) -> dict:
    n = len(flags)
    return {"n": n, "right": int(sum(flags)), "rate": sum(flags) / n if n else None}


def report(name: str, result: dict) -> None:
    for kind in ("coarse", "decade", "full"):
        s = result[kind]
        if not s["sweeps"]:
            continue
        print(f"{name} {kind}: {s['sweeps']} sweeps; best within 2x "
              f"{_fmt(s['best_within_2x'])} (median error x{s['median_error_factor'] or 0:.2f}; "
              f"band covers the truth {_fmt(s['band_covers_truth'])}; "
              f"of the grid point: {_fmt(s['best_within_2x_of_grid_point'])}); "
              f"edge right {_fmt(s['edge_right'])}, edge false alarms {s['edge_false_alarms']}; "
              f"called flat {s['called_flat']}; positions right (non-flat sweeps) "
              f"{_fmt(s['positions_right_nonflat'])} ({s['positions_boundary']} at one "
              f"half-decade step; diverged runs called diverged, not too_high: strict "
              f"{_fmt(s['positions_strict_nonflat'])}); near_best 10x below: "
              f"{s['near_best_10x_below']}/{s['runs_10x_below']}, told keep: "
              f"{s['told_keep_10x_below']}")
    f = result["flat"]
    print(f"{name} flat windows: {_fmt(f['called_flat'])} of flat called flat; "
          f"{_fmt(f['steep_not_flat'])} of steep not called flat")
    print(f"{name} one-run diagnosis, runs 10x+ below the best told 'keep': "
          f"{_fmt(result['single_run_keep_10x_below'])}")


def _fmt(rate: dict) -> str:
    return "-" if rate["rate"] is None else f"{rate['right']}/{rate['n']} ({rate['rate']:.0%})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweeps")
    parser.add_argument("--tuning-only", action="store_true")
    args = parser.parse_args(argv if argv is not None else [])
    sides = [("tuning", TUNE_TASKS)] + ([] if args.tuning_only else [("held-out", HELDOUT_TASKS)])
    results = {}
    for side, tasks in sides:
        results[f"corpus {side}"] = evaluate(corpus_sweeps(tasks))
        report(f"corpus {side}", results[f"corpus {side}"])
        fine = fine_sweeps(tasks)
        if fine:
            results[f"quarter-decade {side}"] = evaluate(fine, single_run=False)
            report(f"quarter-decade {side} ({len(fine)} sweeps)",
                   results[f"quarter-decade {side}"])
    made = {} if args.tuning_only else made_sweeps()
    if made:
        results["made quarter-decade"] = evaluate(made)
        report(f"made quarter-decade ({len(made)} sweeps)", results["made quarter-decade"])
    for key, path in (("fresh held-out", FRESH), ("fresh round 5", FRESH5),
                      ("fresh round 7", FRESH7), ("fresh round 8", FRESH8),
                      ("fresh round 9", FRESH9), ("fresh round 10", FRESH10),
                      ("fresh round 11", FRESH11), ("fresh round 12", FRESH12),
                      ("fresh round 13", FRESH13), ("fresh round 14", FRESH14),
                      ("fresh round 15", FRESH15), ("fresh round 16", FRESH16),
                      ("fresh round 17", FRESH17), ("fresh round 18", FRESH18),
                      ("fresh round 19", FRESH19), ("fresh round 20", FRESH20),
                      ("fresh round 21", FRESH21), ("fresh round 22", FRESH22),
                      ("fresh round 23", FRESH23), ("fresh round 24", FRESH24),
                      ("fresh round 25", FRESH25), ("fresh round 26", FRESH26),
                      ("fresh round 27", FRESH27), ("fresh round 28", FRESH28),
                      ("fresh round 29", FRESH29), ("fresh round 30", FRESH30),
                      ("fresh round 31", FRESH31), ("fresh round 32", FRESH32),
                      ("fresh round 33", FRESH33), ("fresh round 34", FRESH34),
                      ("fresh round 35", FRESH35), ("fresh round 36", FRESH36),
                      ("fresh round 37", FRESH37), ("fresh round 38", FRESH38),
                      ("fresh round 39", FRESH39), ("fresh round 40", FRESH40),
                      ("fresh round 41", FRESH41), ("fresh round 42", FRESH42),
                      ("fresh round 43", FRESH43), ("fresh round 44", FRESH44),
                      ("fresh round 45", FRESH45), ("fresh round 46", FRESH46),
                      ("fresh round 47", FRESH47), ("fresh round 48", FRESH48),
                      ("fresh round 49", FRESH49), ("fresh round 50", FRESH50),
                      ("fresh round 51", FRESH51), ("fresh round 52", FRESH52),
                      ("fresh round 53", FRESH53), ("fresh round 54", FRESH54),
                      ("fresh round 55", FRESH55), ("fresh round 56", FRESH56)):
        fresh = {} if args.tuning_only else fresh_sweeps(path)
        if fresh:
            results[key] = evaluate(fresh)
            report(f"{key} ({len(fresh)} sweeps)", results[key])
    if not args.tuning_only:
        from benchmarks.realworld import side_of

        public = public_sweeps()
        held = {side: {name for name, runs in public.items()
                       if side_of(runs[0]["repo"]) == side}
                for side in ("round5-heldout", "round7-heldout", "round8-heldout",
                             "round10-heldout", "round13-heldout", "round16-heldout",
                             "round21-heldout", "round22-heldout", "round23-heldout",
                             "round24-heldout", "round25-heldout", "round26-heldout",
                             "round27-heldout", "round28-heldout", "round29-heldout",
                             "round30-heldout", "round31-heldout", "round32-heldout",
                             "round33-heldout", "round34-heldout", "round35-heldout",
                             "round38-heldout", "round39-heldout", "round40-heldout",
                             "round52-heldout", "round54-heldout")}
        for key, names in (("real-world", set(public) - set().union(*held.values())),
                           ("real-world round 5 (held out)", held["round5-heldout"]),
                           ("real-world round 7 (held out)", held["round7-heldout"]),
                           ("real-world round 8 (held out)", held["round8-heldout"]),
                           ("real-world round 10 (held out)", held["round10-heldout"]),
                           ("real-world round 13 (held out)", held["round13-heldout"]),
                           ("real-world round 16 (held out)", held["round16-heldout"]),
                           ("real-world round 21 (held out)", held["round21-heldout"]),
                           ("real-world round 22 (held out)", held["round22-heldout"]),
                           ("real-world round 23 (held out)", held["round23-heldout"]),
                           ("real-world round 24 (held out)", held["round24-heldout"]),
                           ("real-world round 25 (held out)", held["round25-heldout"]),
                           ("real-world round 26 (held out)", held["round26-heldout"]),
                           ("real-world round 27 (held out)", held["round27-heldout"]),
                           ("real-world round 28 (held out)", held["round28-heldout"]),
                           ("real-world round 29 (held out)", held["round29-heldout"]),
                           ("real-world round 30 (held out)", held["round30-heldout"]),
                           ("real-world round 31 (held out)", held["round31-heldout"]),
                           ("real-world round 32 (held out)", held["round32-heldout"]),
                           ("real-world round 33 (held out)", held["round33-heldout"]),
                           ("real-world round 34 (held out)", held["round34-heldout"]),
                           ("real-world round 35 (held out)", held["round35-heldout"]),
                           ("real-world round 38 (held out)", held["round38-heldout"]),
                           ("real-world round 39 (held out)", held["round39-heldout"]),
                           ("real-world round 40 (held out)", held["round40-heldout"]),
                           ("real-world round 52 (held out)", held["round52-heldout"]),
                           ("real-world round 54 (held out)", held["round54-heldout"])):
            results[key] = r = evaluate_labelled({n: public[n] for n in sorted(names)})
            print(f"{key}: {r['sweeps']} sweeps of 5+ LRs ({', '.join(r['families'])}); "
                  f"positions agree with the source {_fmt(r['positions_right'])}, on non-flat "
                  f"sweeps {_fmt(r['positions_right_nonflat'])}; best within 2x of the run kept "
                  f"{_fmt(r['best_within_2x_of_keep_run'])}; flat: {r['flat_sweeps'] or 'none'}")
    OUT.mkdir(exist_ok=True)
    (OUT / "sweeps.json").write_text(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
