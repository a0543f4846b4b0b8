"""A W&B run file as the installed ``wandb`` writes it offline: ``lrwatch analyze`` reads the run
folder from its ``run-<id>.wandb``, at the trainer's step, without wandb. wandb is only the
writer (its record layout changed across versions: wandb-core writes each key as a path)."""

from __future__ import annotations

import json
import math

import pytest

from lrwatch.readers import find_runs, read_run
from tests.helpers.cli import run_cli

wandb = pytest.importorskip("wandb")


def test_an_offline_run_is_read_from_its_run_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run = wandb.init(project="lrwatch-test", dir=str(tmp_path), config={"lr": 0.01})
    for i in range(200):
        run.log({"train/loss": 2 * math.exp(-i / 80) + 0.5, "lr": 0.01,
                 "trainer/global_step": 4 * i})
        if i % 50 == 49:
            run.log({"val_loss": 2 * math.exp(-i / 80) + 0.6, "trainer/global_step": 4 * i})
    run.finish()
    (found,) = find_runs(tmp_path)
    assert found.format == "wandb" and found.name.split("/")[-1].endswith(run.id)
    result = read_run(found)
    assert result.curves.loss.steps.tolist() == [4 * i for i in range(200)]
    assert result.curves.loss.values[-1] == pytest.approx(2 * math.exp(-199 / 80) + 0.5)
    assert result.curves.val_loss.steps.tolist() == [196, 396, 596, 796]
    code, out, err = run_cli(capsys, str(tmp_path), "--json")
    (entry,) = json.loads(out)["runs"]
    assert code == 0 and entry["error"] is None, err
    assert entry["columns"] == {"loss": "train/loss", "lr": "lr", "val_loss": "val_loss"}
