"""Tiny real LightningModules for tests, built for whichever Lightning package is given."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset


def regression_data(n: int = 256, features: int = 8, seed: int = 0) -> TensorDataset:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=generator)
    w = torch.randn(features, 1, generator=generator)
    return TensorDataset(x, x @ w + 0.1 * torch.randn(n, 1, generator=generator))


def loader(n: int = 256, batch_size: int = 32, seed: int = 0) -> DataLoader:
    return DataLoader(regression_data(n, seed=seed), batch_size=batch_size)


def make_module(pl: ModuleType, lr: float = 0.05, optimizer: str = "SGD",
                scheduler_step: int | None = None, nan_at_step: int | None = None,
                log_val: bool = True) -> Any:
    """A small MLP regressor; records the loss of every training step in ``seen_losses``."""
    return _regressor_class(pl)(lr, optimizer, scheduler_step, nan_at_step, log_val)


def _regressor_class(pl: ModuleType) -> type:
    """One module-level class per Lightning package, so ddp_spawn can pickle instances."""
    name = "TinyRegressor_" + pl.__name__.replace(".", "_")
    if name in globals():
        return globals()[name]

    class TinyRegressor(pl.LightningModule):
        def __init__(self, lr: float, optimizer: str, scheduler_step: int | None,
                     nan_at_step: int | None, log_val: bool) -> None:
            super().__init__()
            self.save_hyperparameters({"lr": lr, "optimizer": optimizer})
            self.scheduler_step, self.nan_at_step, self.log_val = scheduler_step, nan_at_step, log_val
            torch.manual_seed(0)
            self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
            self.seen_losses: list[float] = []

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            if self.nan_at_step is not None and self.trainer.global_step >= self.nan_at_step:
                loss = loss * float("nan")
            self.seen_losses.append(float(loss.detach()))
            return loss

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            if self.log_val:
                x, y = batch
                self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

        def configure_optimizers(self) -> Any:
            opt = getattr(torch.optim, self.hparams.optimizer)(self.parameters(), lr=self.hparams.lr)
            if self.scheduler_step is None:
                return opt
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=self.scheduler_step, gamma=0.5)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    TinyRegressor.__name__ = "TinyRegressor"
    TinyRegressor.__qualname__ = name
    globals()[name] = TinyRegressor
    return TinyRegressor


def trainer(pl: ModuleType, callbacks: list[Any], tmp_path: Any, **kwargs: Any) -> Any:
    """A quiet CPU Trainer writing under ``tmp_path``."""
    options: dict[str, Any] = dict(
        accelerator="cpu", devices=1, max_epochs=2, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, default_root_dir=str(tmp_path),
        num_sanity_val_steps=0,
    )
    options.update(kwargs)
    return pl.Trainer(callbacks=callbacks, **options)


# Define the classes at import, so a spawned process (ddp_spawn) finds them when unpickling.
for _package in ("lightning.pytorch", "pytorch_lightning"):
    try:
        _regressor_class(importlib.import_module(_package))
    except ImportError:
        pass
