"""Real, tiny Lightning trainings that write the logs the readers read (CSVLogger, TensorBoard).

A linear regression on synthetic data: a few dozen optimizer steps, about a second each.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset


@dataclass(frozen=True)
class Trained:
    """Where the logs went and what the training did."""

    csv_dir: Path  # the CSVLogger version folder (metrics.csv, hparams.yaml)
    tb_dir: Path | None  # the TensorBoardLogger version folder
    steps: int  # optimizer steps taken
    lr: float
    batch_size: int


def train_tiny(pl: ModuleType, save_dir: Path, *, lr: float = 0.05, optimizer: str = "SGD",
               momentum: float = 0.9, epochs: int = 2, batches: int = 12, batch_size: int = 8,
               tensorboard: bool = True, seed: int = 0, callbacks: tuple[Any, ...] = ()
               ) -> Trained:
    """Train a linear model with ``pl`` (lightning.pytorch or pytorch_lightning) and log it.

    Logs ``train_loss`` on step and epoch, ``val_loss``, the total gradient norm (Lightning's
    ``grad_norm`` utility) and, through ``LearningRateMonitor(log_momentum=True)``, the LR.
    ``callbacks`` are added to the Trainer's (``LRWatch`` records the same run into a store).
    """
    torch.manual_seed(seed)
    x = torch.randn(batches * batch_size, 8)
    y = x @ torch.linspace(-1, 1, 8).unsqueeze(1) + 0.1 * torch.randn(len(x), 1)
    data = DataLoader(TensorDataset(x, y), batch_size=batch_size)

    class Regression(pl.LightningModule):  # type: ignore[name-defined,misc]
        def __init__(self, lr: float, optimizer: str, batch_size: int) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.layer = torch.nn.Linear(8, 1)

        def training_step(self, batch, batch_idx):
            inputs, target = batch
            loss = torch.nn.functional.mse_loss(self.layer(inputs), target)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch, batch_idx):
            inputs, target = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self.layer(inputs), target))

        def on_before_optimizer_step(self, optimizer):
            self.log_dict(pl.utilities.grad_norm(self, norm_type=2))

        def configure_optimizers(self):
            kind = getattr(torch.optim, self.hparams.optimizer)
            if kind is torch.optim.SGD:
                return kind(self.parameters(), lr=self.hparams.lr, momentum=momentum)
            return kind(self.parameters(), lr=self.hparams.lr)

    loggers = [pl.loggers.CSVLogger(save_dir, name="lightning_logs")]
    if tensorboard:
        loggers.append(pl.loggers.TensorBoardLogger(save_dir / "tb", name="lightning_logs"))
    trainer = pl.Trainer(
        max_epochs=epochs, logger=loggers, log_every_n_steps=1, accelerator="cpu",
        callbacks=[pl.callbacks.LearningRateMonitor(log_momentum=True), *callbacks],
        enable_progress_bar=False, enable_checkpointing=False, enable_model_summary=False,
    )
    trainer.fit(Regression(lr, optimizer, batch_size), data, data)
    return Trained(
        csv_dir=Path(loggers[0].log_dir),
        tb_dir=Path(loggers[1].log_dir) if tensorboard else None,
        steps=trainer.global_step, lr=lr, batch_size=batch_size,
    )
