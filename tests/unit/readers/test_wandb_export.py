"""A W&B panel's "Download CSV" export: several runs in one file, one run per run name."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from lrwatch.readers import find_runs, read_run
from tests.helpers.cli import lrwatch

RUNS = {"lr-1e-4": 1e-4, "lr-3e-4": 3e-4, "lr-1e-3": 1e-3, "lr-3e-3": 3e-3, "lr-1e-2": 1e-2}
STEPS = range(0, 200, 2)


def _loss(lr: float, step: int) -> float:
    return 3.0 * math.exp(-lr * 2.0 * step) + 0.5


def _export(path: Path, runs: dict[str, float], with_lr: set[str],
            metric: str = "train/loss") -> Path:
    """Write a panel export as W&B does: ``Step``, then per run the metric with its
    ``__MIN`` / ``__MAX`` and, for the runs in ``with_lr``, ``train/learning_rate``."""
    header = ["Step"]
    for name in runs:
        header += [f"{name} - {metric}", f"{name} - {metric}__MIN", f"{name} - {metric}__MAX"]
        if name in with_lr:
            header.append(f"{name} - train/learning_rate")
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        for step in STEPS:
            row: list[object] = [step]
            for name, lr in runs.items():
                loss = _loss(lr, step)
                row += [loss, loss * 0.9, loss * 1.1]  # the bucket's min and max differ
                if name in with_lr:
                    row.append(lr)
            writer.writerow(row)
    return path


def _analyze_json(capsys, path: Path, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    code, out, err = lrwatch(capsys, "analyze", str(path), "--json", *args)
    assert code == 0, err
    return json.loads(out)["runs"]


def test_runs_named_like_lrs_are_read_as_runs_not_as_lr_columns(tmp_path, capsys):
    """Today's bug: one run read, a loss column named ``lr-1e-2 - train/loss`` taken as the LR."""
    path = _export(tmp_path / "export.csv", RUNS, with_lr=set())
    runs = _analyze_json(capsys, path)
    assert [r["run"] for r in runs] == list(RUNS)
    for entry in runs:
        assert entry["error"] is None
        assert entry["columns"] == {"loss": "train/loss"}  # no LR column: none was logged
        assert entry["current_lr"] is None
    for found in find_runs(path):
        loss = read_run(found).curves.loss
        lr = RUNS[found.name]
        assert list(loss.steps) == list(STEPS)
        # the run's own loss: not its __MIN / __MAX, not another run's
        np.testing.assert_allclose(loss.values, [_loss(lr, s) for s in STEPS])


def test_each_run_takes_its_own_lr_and_the_file_reads_as_a_sweep(tmp_path, capsys):
    path = _export(tmp_path / "export.csv", RUNS, with_lr=set(RUNS))
    runs = _analyze_json(capsys, path)
    assert {r["run"]: r["current_lr"] for r in runs} == RUNS
    assert all(r["columns"]["lr"] == "train/learning_rate" for r in runs)

    code, out, err = lrwatch(capsys, "sweep", str(path), "--json")
    assert code == 0, err
    (reading,) = json.loads(out)["sweeps"]
    by_name = {r["run"]: r for r in reading["runs"]}
    assert {name: r["lr"] for name, r in by_name.items()} == RUNS
    last_quarter = STEPS[len(STEPS) * 3 // 4]
    for name, lr in RUNS.items():  # the end of its own loss (the sweep averages the last
        # points), not its bucket's min or max (10% off), not another run's
        assert _loss(lr, STEPS[-1]) <= by_name[name]["final_loss"] <= _loss(lr, last_quarter)
    assert by_name["lr-1e-2"]["position"] == "near_best"  # the fastest-falling loss


def test_sweep_with_no_lr_logged_says_each_run_needs_one(tmp_path, capsys):
    path = _export(tmp_path / "export.csv", RUNS, with_lr=set())
    code, out, err = lrwatch(capsys, "sweep", str(path))
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert "none of its 5 runs logs a learning rate" in lines[0]
    assert "a sweep needs each run's LR" in lines[0]

    # a metric the user names as the LR
    both = _export(tmp_path / "named.csv", RUNS, with_lr=set(RUNS))
    code, out, err = lrwatch(capsys, "sweep", str(both), "--lr-key", "train/learning_rate",
                             "--json")
    assert code == 0, err
    assert {r["run"]: r["lr"] for r in json.loads(out)["sweeps"][0]["runs"]} == RUNS


def test_some_runs_without_lr_are_named_in_the_one_line_error(tmp_path, capsys):
    path = _export(tmp_path / "export.csv", RUNS, with_lr={"lr-1e-3", "lr-1e-2"})
    code, _, err = lrwatch(capsys, "sweep", str(path))
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    # 2 runs with an LR cannot make a sweep, whatever --as-one does: the line says so
    assert "3 log no learning rate, 2 at 2 LRs; a sweep needs 3 runs" in err
    assert "name the LR column with --lr-key" in err


def test_one_run_export_is_that_run(tmp_path, capsys):
    path = _export(tmp_path / "one.csv", {"baseline": 1e-3}, with_lr={"baseline"})
    (entry,) = _analyze_json(capsys, path)
    assert entry["run"] == "baseline"
    assert entry["current_lr"] == 1e-3
    assert entry["columns"] == {"loss": "train/loss", "lr": "train/learning_rate"}


def test_run_without_a_loss_metric_is_named_and_the_others_read(tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_text('"Step","good - train/loss","good - train/loss__MIN","good - train/loss__MAX",'
                    '"probe - val/accuracy"\n'
                    + "".join(f"{s},{3 - s / 100},{2.9 - s / 100},{3.1 - s / 100},0.5\n"
                              for s in range(50)))
    runs = {r["run"]: r for r in _analyze_json(capsys, path)}
    assert runs["good"]["error"] is None
    error = runs["probe"]["error"]
    assert "W&B run 'probe'" in error and "no training-loss column" in error
    assert "\n" not in error


def test_empty_cells_are_no_points_nan_stays_and_metrics_keep_their_steps(tmp_path):
    path = tmp_path / "export.csv"
    rows = ['"Step","a - loss","a - lr","b - loss"']
    for step in range(10):
        a_loss = "NaN" if step == 7 else f"{2 - step / 10}"
        a_lr = "0.1" if step % 5 == 0 else ""  # the LR logged every 5 steps
        b_loss = f"{1 - step / 20}" if step < 4 else ""  # b stopped early
        rows.append(f"{step},{a_loss},{a_lr},{b_loss}")
    path.write_text("\n".join(rows) + "\n")
    found = {r.name: r for r in find_runs(path)}
    a = read_run(found["a"]).curves
    assert list(a.loss.steps) == list(range(10))
    assert math.isnan(a.loss.values[7]) and np.isfinite(np.delete(a.loss.values, 7)).all()
    assert a.lr is not None and list(a.lr.steps) == [0, 5]
    b = read_run(found["b"]).curves
    assert list(b.loss.steps) == [0, 1, 2, 3]
    np.testing.assert_allclose(b.loss.values, [1.0, 0.95, 0.9, 0.85])


def test_a_plain_csv_is_still_one_run(tmp_path, capsys):
    path = tmp_path / "metrics.csv"
    path.write_text("step,train_loss,lr-Adam\n" + "".join(
        f"{s},{3 - s / 100},0.001\n" for s in range(50)))
    (entry,) = _analyze_json(capsys, path)
    assert entry["error"] is None
    assert entry["columns"]["loss"] == "train_loss" and entry["columns"]["lr"] == "lr-Adam"
    assert entry["current_lr"] == 0.001
