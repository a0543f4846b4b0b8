"""Curves downloaded from TensorBoard's page ("Download CSV" / "Download JSON"): one file a
scalar tag, named run-<run>-tag-<tag> unless renamed; a run's files are one run."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lrwatch.errors import InputError
from lrwatch.readers import find_runs, read_run
from tests.helpers.cli import run_cli


def export_csv(path, values, start=0, every=10):
    """TensorBoard's "Download CSV": a header, then wall time, step, value."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = ["Wall time,Step,Value"] + [f"{1698314503.5367975 + i * 2.5},{start + i * every},{v}"
                                       for i, v in enumerate(values)]
    path.write_text("\n".join(rows) + "\n")
    return path


def export_json(path, values, every=100):
    """TensorBoard's "Download JSON": a list of [wall time, step, value]."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([[1698314503.5 + i, i * every, v] for i, v in enumerate(values)]))
    return path


LOSS = [2.3 * math.exp(-i / 30) + 0.2 for i in range(100)]


def test_a_folder_of_downloaded_curves_is_a_run_for_each_run_of_tensorboard(tmp_path):
    for run, lr in (("version_0", 1e-3), ("version_1", 1e-2)):
        export_csv(tmp_path / f"run-{run}-tag-train_loss.csv", LOSS)
        export_csv(tmp_path / f"run-{run}-tag-lr-AdamW.csv", [lr] * 100)
        export_json(tmp_path / f"run-{run}-tag-val_loss.json", LOSS[::10])
    (tmp_path / "metrics.csv").write_text("step,train_loss\n0,2.0\n1,1.9\n")  # not an export
    runs = find_runs(tmp_path)
    assert [(r.name, r.format) for r in runs] == [
        ("version_0", "tensorboard_export"), ("version_1", "tensorboard_export"),
        (f"{tmp_path.parent.name}/{tmp_path.name}", "csv")]
    exports = runs[:2]
    curves = read_run(exports[1]).curves
    np.testing.assert_allclose(curves.loss.values, LOSS)
    np.testing.assert_array_equal(curves.loss.steps, np.arange(0, 1000, 10))
    assert curves.lr.values[0] == 1e-2 and curves.optimizer == "AdamW"
    np.testing.assert_array_equal(curves.val_loss.steps, np.arange(0, 1000, 100))


def test_renamed_downloads_in_a_folder_are_its_run_and_one_file_reads_its_siblings(tmp_path,
                                                                                    capsys):
    run = tmp_path / "baseline"
    export_csv(run / "train_loss.csv", LOSS)
    export_csv(run / "val_loss.csv", LOSS[::10], every=100)
    (run_found,) = find_runs(run)
    assert (run_found.name, run_found.format) == ("baseline", "tensorboard_export")
    (alone,) = find_runs(run / "train_loss.csv")
    result = read_run(alone)
    assert result.curves.val_loss is not None and len(result.curves.loss) == 100
    assert result.notes[0] == "read TensorBoard's exported curves: train_loss, val_loss"
    code, out, err = run_cli(capsys, str(run / "train_loss.csv"), "--json")
    assert code == 0, err
    (entry,) = json.loads(out)["runs"]
    assert entry["columns"] == {"loss": "train_loss", "val_loss": "val_loss"}


def test_downloads_that_name_no_loss_or_hold_other_rows_are_one_line_errors(tmp_path, capsys):
    export_csv(tmp_path / "a" / "accuracy.csv", [0.5, 0.6, 0.7])
    code, out, err = run_cli(capsys, str(tmp_path / "a" / "accuracy.csv"))
    assert (code, out) == (1, "")
    assert "has no training-loss column; it has: accuracy; name the loss column with" in err
    assert err.count("\n") == 1
    bad = export_csv(tmp_path / "b" / "loss.csv", [1.0, 0.9])
    bad.write_text(bad.read_text() + "1698314600.0,20,oops\n")
    with pytest.raises(InputError, match=r"loss.csv: row 4 is not 'wall time, step, value'"):
        read_run(find_runs(bad)[0])


def test_a_json_of_number_triples_is_no_download(tmp_path):
    """TensorBoard's JSON rows start with a wall time in Unix seconds: a data file of triples
    (coordinates, a confusion table) is not taken for curves."""
    (tmp_path / "points.json").write_text(json.dumps([[1, 2, 3.5], [4, 5, 6.5]]))
    export_json(tmp_path / "run-a-tag-loss.json", LOSS[:20])
    assert [(r.name, r.format) for r in find_runs(tmp_path)] == [("a", "tensorboard_export")]
