"""MLflow's file store as Lightning's ``MLFlowLogger`` writes it: ``lrwatch analyze`` reads each run
from its metric files, and ``lrwatch sweep`` finds runs of one setup at several LRs by their
params. The runs are real Lightning fits; MLflow itself is only the writer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import lightning.pytorch as lpl
import pytest
import torch

from lrwatch.readers import find_runs, read_run
from tests.helpers.cli import lrwatch, run_cli
from tests.helpers.models import loader

pytest.importorskip("mlflow")
LRS = (0.003, 0.03, 0.3)


class Regressor(lpl.LightningModule):
    """A small MLP that logs its training loss every step, as most Lightning users do."""

    def __init__(self, lr: float) -> None:
        super().__init__()
        self.save_hyperparameters({"lr": lr, "optimizer": "SGD"})
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(),
                                       torch.nn.Linear(16, 1))

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss, on_step=True)
        return loss

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


@pytest.fixture(scope="module")
def mlruns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import MLFlowLogger

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("mlflow") / "mlruns"
    with pytest.MonkeyPatch.context() as env:
        # mlflow-skinny has no SQL store; its file store is in maintenance mode, allowed on request
        env.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        for lr in LRS:
            logger = MLFlowLogger(experiment_name="regressor", tracking_uri=f"file:{root}",
                                  run_name=f"sgd-{lr}")
            trainer = lpl.Trainer(accelerator="cpu", devices=1, max_epochs=3, logger=logger,
                                  log_every_n_steps=1, enable_checkpointing=False,
                                  enable_progress_bar=False, enable_model_summary=False,
                                  callbacks=[LearningRateMonitor("step")])
            trainer.fit(Regressor(lr), loader(n=512, batch_size=16))
    return root


def test_each_run_is_read_from_its_metric_files(mlruns):
    runs = find_runs(mlruns)
    (experiment,) = {p.parent.parent.name for p in mlruns.glob("*/*/metrics")}
    assert sorted(r.name for r in runs) == sorted(f"mlruns/{experiment}/sgd-{lr}" for lr in LRS)
    assert {r.format for r in runs} == {"mlflow"}
    for run in runs:
        result = read_run(run)
        assert (result.columns.loss, result.columns.lr) == ("train_loss", "lr-SGD")
        assert result.curves.loss.steps.tolist() == list(range(96))  # 3 epochs of 32 batches
        assert result.curves.lr.values.size == 96
        assert result.curves.optimizer == "SGD"  # from the params MLFlowLogger logged


def test_lrwatch_analyze_and_sweep_read_an_mlruns_folder(mlruns, capsys):
    code, out, err = run_cli(capsys, str(mlruns), "--json")
    assert code == 0, err
    runs = json.loads(out)["runs"]
    assert sorted(r["current_lr"] for r in runs) == sorted(LRS)
    assert all(r["error"] is None and r["status"] for r in runs)
    code, out, err = lrwatch(capsys, "sweep", str(mlruns), "--json")
    assert code == 0, err
    (sweep,) = json.loads(out)["sweeps"]
    assert sorted(r["lr"] for r in sweep["runs"]) == sorted(LRS)


def test_deleted_runs_are_left_out_and_shared_names_told_apart(mlruns, tmp_path):
    copy = shutil.copytree(mlruns, tmp_path / "mlruns")
    first, second, third = sorted(copy.glob("*/*/metrics"))
    meta = first.parent / "meta.yaml"
    meta.write_text(meta.read_text().replace("lifecycle_stage: active", "lifecycle_stage: deleted"))
    for run in (second.parent, third.parent):  # reruns under one name
        meta = run / "meta.yaml"
        meta.write_text("\n".join("run_name: again" if line.startswith("run_name:") else line
                                  for line in meta.read_text().splitlines()))
    names = sorted(r.name.rsplit("/", 1)[1] for r in find_runs(copy))
    assert names == sorted(f"again ({run.parent.name[:8]})" for run in (second, third))
    (alone,) = find_runs(first.parent)  # a run folder given on its own is still read
    assert read_run(alone).curves.loss.steps.size == 96
