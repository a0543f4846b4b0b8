"""How far can one run's curves go? Learned models beside the rules, on the tuning tasks only.

The diagnosis sees one run; its labels come from the run's whole sweep. This suite asks how
much of a label one run's curves hold, by training flexible models (scikit-learn's gradient
boosting) on them and scoring them leave-one-task-out, so each task is scored by a model that
never saw it:

- a classifier of the label from the whole curve: a 24-point profile of the log loss (relative
  to the first loss), a 12-point profile of the log gradient norm, the LR against the top of the
  optimizer's usual range, optimizer, schedule, batch size (with and without the rules' status
  as one more input);
- a regressor of the sweep's best LR from the same inputs, scored like the suggestions (median
  factor to the best LR, share within 3x);
- a "prior only" guess: each optimizer's median best LR on the other tasks, ignoring the run.

Only the tuning tasks are used (the held-out tasks stay for the rules' one evaluation). Writes
``benchmarks/out/diagnosis_ceiling.{json,md}``.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np

from benchmarks.corpus import UNLABELABLE, CorpusRun, load
from benchmarks.diagnosis import WITHIN_3X
from lrwatch.analysis import analyze
from lrwatch.analysis.optimizers import typical_range

OUT = Path(__file__).with_name("out")
STATUSES = ["diverging", "oscillating", "stalled", "healthy", "insufficient_data"]
LOSS_POINTS, GRAD_POINTS = 24, 12


def profile(values: np.ndarray, points: int) -> np.ndarray:
    """Medians of ``points`` equal slices (a non-finite slice reads as 50: far off the scale)."""
    edges = np.linspace(0, values.size, points + 1).astype(int)
    out = []
    for a, b in itertools.pairwise(edges):
        part = values[a:max(b, a + 1)]
        part = part[np.isfinite(part)]
        out.append(float(np.median(part)) if part.size else 50.0)
    return np.array(out)


def features(run: CorpusRun) -> list[float]:
    """The inputs of the learned models: curve profiles and what is known about the run."""
    c = run.curves
    loss = c.loss.values.astype(np.float64)
    first = loss[0] if np.isfinite(loss[0]) and loss[0] > 0 else 1.0
    with np.errstate(all="ignore"):
        z = np.log(np.clip(loss / first, 1e-12, 1e12))
        z[~np.isfinite(loss)] = 30.0
        g = np.log(np.clip(c.grad_norm.values.astype(np.float64), 1e-12, 1e12))
    head = g[:5][np.isfinite(g[:5])]
    g = g - (float(np.median(head)) if head.size else 0.0)
    _, top = typical_range(c.optimizer, c.momentum) or (1.0, 1.0)
    return [*profile(z, LOSS_POINTS), *profile(g, GRAD_POINTS), math.log10(run.lr / top),
            float(run.schedule != "constant"), float(run.optimizer.startswith("SGD")),
            float(run.optimizer == "SGDm"), math.log(run.batch_size)]


def leave_one_task_out(x: np.ndarray, y: np.ndarray, tasks: np.ndarray, make) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Predictions for each task from a model fitted on all the other tasks."""
    pred = np.empty(y.shape, dtype=y.dtype)
    for task in np.unique(tasks):
        held = tasks == task
        pred[held] = make().fit(x[~held], y[~held]).predict(x[held])
    return pred


def factor_figures(log_pred: np.ndarray, log_best: np.ndarray) -> dict:
    err = np.abs(log_pred - log_best)
    return {"median_factor_to_best": float(10 ** np.median(err)),
            "within_3x_of_best": float(np.mean(err <= math.log10(WITHIN_3X)))}


def main() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.metrics import f1_score

    runs = [r for r in load() if r.label != UNLABELABLE and not r.heldout]
    diagnoses = [analyze(r.curves) for r in runs]
    status = np.array([d.status.value for d in diagnoses])
    labels = np.array([r.label for r in runs])
    tasks = np.array([r.task for r in runs])
    curve_x = np.nan_to_num(np.array([features(r) for r in runs]), posinf=50.0, neginf=-50.0)
    with_status = np.hstack([curve_x, (status[:, None] == np.array(STATUSES)).astype(float)])

    def classifier():  # type: ignore[no-untyped-def]
        return HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_depth=5,
                                              random_state=0)

    def regressor():  # type: ignore[no-untyped-def]
        return HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05, max_depth=4,
                                             loss="absolute_error", random_state=0)

    def scores(pred: np.ndarray) -> dict:
        return {"accuracy": float(np.mean(pred == labels)),
                "macro_f1": float(f1_score(labels, pred, average="macro"))}

    log_lr = np.log10([r.lr for r in runs])
    log_best = np.log10([r.best_lr for r in runs])
    need = log_best - log_lr
    suggested = np.log10([d.suggestion.suggested_lr or r.lr for d, r in zip(diagnoses, runs)])
    optimizers = np.array([r.optimizer for r in runs])
    prior = np.empty_like(log_best)
    for task in np.unique(tasks):
        held = tasks == task
        for opt in np.unique(optimizers):
            mine = held & (optimizers == opt)
            prior[mine] = np.median(log_best[~held & (optimizers == opt)])
    learned = log_lr + leave_one_task_out(curve_x, need, tasks, regressor)
    results = {
        "runs": len(runs), "tasks": int(np.unique(tasks).size),
        "rules": {**scores(status), **factor_figures(suggested, log_best)},
        "learned_curve_only": scores(leave_one_task_out(curve_x, labels, tasks, classifier)),
        "learned_curve_and_status": scores(
            leave_one_task_out(with_status, labels, tasks, classifier)),
        "learned_best_lr": factor_figures(learned, log_best),
        "prior_only_best_lr": factor_figures(prior, log_best),
        "median_best_lr_by_optimizer": {o: float(10 ** np.median(log_best[optimizers == o]))
                                        for o in np.unique(optimizers)},
    }
    r = results

    def row(name: str, cls: dict | None = None, fac: dict | None = None) -> str:
        cells = [f"{cls['accuracy']:.1%}", f"{cls['macro_f1']:.3f}"] if cls else ["", ""]
        cells += ([f"{fac['median_factor_to_best']:.2f}x", f"{fac['within_3x_of_best']:.0%}"]
                  if fac else ["", ""])
        return f"| {name} | " + " | ".join(cells) + " |"

    priors = ", ".join(f"{o} {v:.3g}" for o, v in r["median_best_lr_by_optimizer"].items())
    title = (f"## How far one run's curves go ({r['runs']} tuning runs, {r['tasks']} tasks, "
             "learned models scored leave-one-task-out)")
    md = [title, "",
          "| | accuracy | macro-F1 | median factor to best LR | within 3x |",
          "|---|---|---|---|---|",
          row("the rules (tuned on these tasks)", r["rules"], r["rules"]),
          row("gradient boosting, curve profiles + run facts", r["learned_curve_only"]),
          row("... + the rules' status", r["learned_curve_and_status"]),
          row("gradient boosting regressor of the best LR", fac=r["learned_best_lr"]),
          row("prior only: each optimizer's median best LR", fac=r["prior_only_best_lr"]), "",
          f"Median best LR by optimizer: {priors}", ""]
    text = "\n".join(md)
    print(text)
    OUT.mkdir(exist_ok=True)
    (OUT / "diagnosis_ceiling.md").write_text(text)
    (OUT / "diagnosis_ceiling.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
