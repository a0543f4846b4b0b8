"""A W&B run file as the installed ``wandb`` writes it offline: ``lrwatch analyze`` reads the run
folder from its ``run-<id>.wandb``, at the trainer's step, without wandb. wandb is only the
writer (its record layout changed across versions: wandb-core writes each key as a path)."""

from __future__ import annotations

import json
import math

import pytest

from lrwatch.readers import find_runs, read_run
from tests.helpers.cli import lrwatch, run_cli

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


def test_offline_runs_at_three_lrs_of_one_config_are_one_sweep(tmp_path, capsys, monkeypatch):
    """Three offline runs of one config (its seed and output folder differ, its LR nested in
    ``optimizer``): ``lrwatch sweep wandb/`` finds them as one sweep at their config's LRs,
    which they do not log, and the config's optimizer and batch size reach the read."""
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    lrs = [1e-3, 1e-2, 1e-1]
    for seed, lr in enumerate(lrs):
        run = wandb.init(project="lrwatch-test", dir=str(tmp_path), reinit="create_new",
                         config={"optimizer": {"name": "sgd", "lr": lr, "momentum": 0.9},
                                 "batch_size": 64, "seed": seed, "output_dir": f"out/{seed}"})
        rate = {1e-3: 400, 1e-2: 60, 1e-1: 150}[lr]  # 1e-2 learns fastest
        for i in range(100):
            run.log({"train/loss": 2 * math.exp(-i / rate) + 0.3, "trainer/global_step": i})
        run.finish()
    runs = find_runs(tmp_path / "wandb")
    assert len(runs) == 3
    curves = read_run(runs[0]).curves
    assert (curves.optimizer, curves.batch_size, curves.momentum) == ("SGD", 64, 0.9)
    code, out, err = lrwatch(capsys, "sweep", str(tmp_path / "wandb"), "--json")
    assert code == 0, err
    (sweep,) = json.loads(out)["sweeps"]
    assert [r["lr"] for r in sweep["runs"]] == pytest.approx(lrs)
