"""``benchmarks.realworld_raw``: a public run read from its own log file, as ``lrwatch analyze``
reads it, beside the extracted CSV the corpus benchmark judges; the setup a user can state
(``--optimizer``, ``--fine-tune``, ``--classes``, ``--params``) applied from the manifest."""

from __future__ import annotations

import json

import numpy as np

from benchmarks.realworld import Label, RealRun
from benchmarks.realworld_raw import figures, read_file
from lrwatch.analysis.types import RunCurves, Series

STEPS = np.arange(0, 600, 10)
LOSS = 2.0 * np.exp(-STEPS / 400) + 0.5


def run(meta: dict) -> RealRun:
    """A run labelled too low whose extracted CSV holds the same loss at a logged LR of 1e-4."""
    curves = RunCurves(loss=Series(STEPS, LOSS), lr=Series(STEPS, np.full(STEPS.size, 1e-4)),
                       optimizer=meta.get("optimizer"))
    return RealRun(id="t", repo="someone/logs", commit="0" * 40, path="train.jsonl",
                   format="text", family="cnn", meta=meta, sweep=None, heldout=False,
                   label=Label("stalled", "up", "test", "sweep"), curves=curves)


def test_the_file_is_read_as_lrwatch_reads_it_and_the_flags_add_the_setup(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"step": int(s), "loss": float(v), "lr": 1e-4}) + "\n"
                            for s, v in zip(STEPS, LOSS)))
    rows = read_file(run({"optimizer": "SGD"}), path)
    assert set(rows) == {"csv", "file", "file+flags", "folder"}
    assert rows["folder"]["status"] == rows["file"]["status"]  # a folder of this run alone
    assert "usual range" not in " ".join(rows["file"]["evidence"])  # the log names none
    assert "below SGD's usual range" in " ".join(rows["file+flags"]["evidence"])
    assert rows["csv"]["evidence"] == rows["file+flags"]["evidence"]


def test_files_lrwatch_cannot_read_or_that_hold_several_runs_are_counted_apart(tmp_path):
    unknown = tmp_path / "out.txt"
    unknown.write_text("nothing that names a loss\n" * 5)
    several = tmp_path / "runs.ipynb"
    text = "".join(f"iter {i}: loss {3 - i / 1000:.4f}, time 1.00ms, mfu 1.00%\n"
                   for i in range(0, 300, 10))
    several.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": [],
         "outputs": [{"output_type": "stream", "name": "stdout", "text": text * 2}]}]}))
    assert read_file(run({}), unknown) == {"error": "matches no known log layout"}
    assert read_file(run({}), several) == {"several": 2}
    good = tmp_path / "train.jsonl"
    good.write_text("".join(json.dumps({"step": int(s), "loss": float(v)}) + "\n"
                            for s, v in zip(STEPS, LOSS)))
    res = figures([{"error": "matches no known log layout"}, {"several": 2},
                   read_file(run({}), good)])
    assert (res["runs"], res["read"], res["several"]) == (3, 1, 1)
    assert res["errors"] == {"matches no known log layout": 1}
    assert set(res["file"]) == {"status_right", "right_way", "wrong_way_far"}


def test_a_run_in_a_file_of_several_is_found_by_its_losses_and_read_beside_its_sweep(tmp_path):
    """A sweep saved as one table: the labelled run (LR 1e-4) is the run whose losses are the
    extracted ones; read in its folder, the sweep places it too low."""
    rows = ["lr,epoch,train_loss,val_loss"]
    for lr, floor in ((1e-4, 1.6), (1e-3, 0.9), (1e-2, 0.5), (1e-1, 1.2)):
        rows += [f"{lr},{e},{floor + 2 * 0.7 ** e:.6f},{floor + 0.1 + 2 * 0.7 ** e:.6f}"
                 for e in range(1, 21)]
    path = tmp_path / "sweep.csv"
    path.write_text("\n".join(rows) + "\n")
    losses = np.array([float(r.split(",")[2]) for r in rows[1:21]])
    labelled = run({})
    labelled = RealRun(**{**vars(labelled), "curves": RunCurves(
        loss=Series(np.arange(20), losses), lr=Series(np.arange(20), np.full(20, 1e-4)))})
    found = read_file(labelled, path)
    assert found["of_several"] == 4
    assert found["folder"]["status"] == "stalled" and found["folder"]["way"] == "up"
    assert figures([found])["in_folder"]["runs"] == 1
