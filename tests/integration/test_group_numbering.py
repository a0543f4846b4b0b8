"""Param-group keys as Lightning names them, in real trainings: lrwatch's ``lr/pg2`` is
LearningRateMonitor's ``lr-SGD/pg2``, and a run stored with the old numbering (its ``lr/pg1``
was the second group) resumed by a new training continues one series, never two."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lrwatch import LRWatch, Store
from tests.helpers.models import loader, trainer

GROUP_LRS = (0.05, 0.02, 0.01)  # weights of the first layer, its bias, the head ("head")
STEP_SIZE, GAMMA = 3, 0.5  # StepLR, stepped every optimizer step
STEPS_PER_EPOCH = 8  # loader(): 256 samples in batches of 32


def _three_groups(pl: Any) -> Any:
    class ThreeGroups(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(0)
            self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(),
                                           torch.nn.Linear(16, 1))

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            return torch.nn.functional.mse_loss(self.net(x), y)

        def configure_optimizers(self) -> Any:
            opt = torch.optim.SGD([
                {"params": [self.net[0].weight], "lr": GROUP_LRS[0]},
                {"params": [self.net[0].bias], "lr": GROUP_LRS[1], "momentum": 0.5},
                {"params": self.net[2].parameters(), "lr": GROUP_LRS[2], "name": "head"},
            ], lr=GROUP_LRS[0], momentum=0.9)
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=STEP_SIZE, gamma=GAMMA)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    return ThreeGroups()


def _expected_lr(group: int, steps: np.ndarray) -> np.ndarray:
    return GROUP_LRS[group] * GAMMA ** (steps // STEP_SIZE)


def _monitor_columns(csv_path: Path) -> dict[str, dict[int, float]]:
    """LearningRateMonitor's columns of a CSVLogger file: name -> {step: value}."""
    out: dict[str, dict[int, float]] = {}
    with open(csv_path, newline="") as fh:
        for row in csv.DictReader(fh):
            for name, value in row.items():
                if name.startswith("lr-") and value:
                    out.setdefault(name, {})[int(row["step"])] = float(value)
    return out


def test_lrwatch_names_the_groups_as_learning_rate_monitor_does(pl, tmp_path):
    logger = pl.loggers.CSVLogger(tmp_path / "csv", name="run", version=0)
    monitor = pl.callbacks.LearningRateMonitor(logging_interval="step", log_momentum=True)
    trainer(pl, [LRWatch(store=tmp_path / "s"), monitor], tmp_path, max_epochs=1, logger=logger,
            log_every_n_steps=1).fit(_three_groups(pl), loader())

    logged = _monitor_columns(tmp_path / "csv" / "run" / "version_0" / "metrics.csv")
    assert set(logged) == {"lr-SGD/pg1", "lr-SGD/pg2", "lr-SGD/head", "lr-SGD/pg1-momentum",
                           "lr-SGD/pg2-momentum", "lr-SGD/head-momentum"}
    ours = {"lr-SGD/pg1": "lr", "lr-SGD/pg2": "lr/pg2", "lr-SGD/head": "lr/head",
            "lr-SGD/pg1-momentum": "momentum", "lr-SGD/pg2-momentum": "momentum/pg2",
            "lr-SGD/head-momentum": "momentum/head"}
    with Store(tmp_path / "s", readonly=True) as store:
        run = store.run()
        assert {"lr/pg2", "lr/head", "momentum/pg2"} <= set(store.keys(run))
        assert not {"lr/pg1", "lr/pg3", "momentum/pg1"} & set(store.keys(run))
        for column, key in ours.items():
            steps, values = store.scalars(run, key)
            assert steps.tolist() == list(range(STEPS_PER_EPOCH))
            assert dict(zip(steps.tolist(), values.tolist())) == logged[column], key
    np.testing.assert_allclose(list(logged["lr-SGD/pg2"].values()),
                               _expected_lr(1, np.arange(STEPS_PER_EPOCH)))


def _as_old_numbering(store_file: Path) -> None:
    """The store as lrwatch wrote it before Lightning's numbering: the second group's series
    under its old names (``lr/pg1``), the file marked with that schema (3)."""
    with sqlite3.connect(store_file) as conn:
        for base in ("lr", "momentum", "weight_decay"):
            conn.execute("UPDATE series SET name = ? WHERE name = ?", (f"{base}/pg1", f"{base}/pg2"))
        conn.execute("PRAGMA user_version=3")
    conn.close()


def test_a_run_stored_with_the_old_numbering_resumes_into_one_series(pl, tmp_path):
    checkpoint = pl.callbacks.ModelCheckpoint(dirpath=tmp_path / "ckpt", save_top_k=-1,
                                              every_n_epochs=1)
    trainer(pl, [LRWatch(store=tmp_path / "s"), checkpoint], tmp_path, max_epochs=2,
            enable_checkpointing=True).fit(_three_groups(pl), loader())
    store_file = tmp_path / "s" / "lrwatch.db"
    _as_old_numbering(store_file)
    with Store(tmp_path / "s", readonly=True) as store:  # read as today's names already
        assert store.scalars(store.run(), "lr/pg2")[0].tolist() == list(range(16))

    after_epoch_0 = sorted((tmp_path / "ckpt").glob("epoch=0*.ckpt"))[0]
    trainer(pl, [LRWatch(store=tmp_path / "s")], tmp_path, max_epochs=3).fit(
        _three_groups(pl), loader(), ckpt_path=str(after_epoch_0))

    with sqlite3.connect(store_file) as conn:
        stored = {r[0] for r in conn.execute("SELECT name FROM series")}
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    conn.close()
    assert {"lr/pg2", "momentum/pg2", "lr/head"} <= stored
    assert not {"lr/pg1", "momentum/pg1", "weight_decay/pg1"} & stored
    with Store(tmp_path / "s", readonly=True) as store:
        (run,) = store.runs()
        steps, lr = store.scalars(run, "lr/pg2")
        assert steps.tolist() == list(range(3 * STEPS_PER_EPOCH))  # no gap, no duplicate
        np.testing.assert_allclose(lr, _expected_lr(1, steps))
        np.testing.assert_allclose(store.scalars(run, "momentum/pg2")[1], 0.5)
        np.testing.assert_allclose(store.scalars(run, "lr")[1], _expected_lr(0, steps))
