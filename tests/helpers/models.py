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


def spiky_loader(n: int = 2048, batch_size: int = 32, every: int = 10, noise: float = 2.0) -> DataLoader:
    """``loader``'s data with every ``every``-th batch of an epoch corrupted (targets plus
    noise of std ``noise``): the loss of those batches spikes, at lr 0.05 with momentum 0.9
    some 30x above the level of the others."""
    data = regression_data(n)
    x, y = data.tensors
    y = y.clone()
    generator = torch.Generator().manual_seed(3)
    for start in range((every - 1) * batch_size, n, every * batch_size):
        y[start:start + batch_size] += noise * torch.randn(y[start:start + batch_size].shape,
                                                           generator=generator)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size)


def make_module(pl: ModuleType, lr: float = 0.05, optimizer: str = "SGD",
                scheduler_step: int | None = None, nan_at_step: int | None = None,
                log_val: bool = True, momentum: float = 0.0,
                loss_jump: tuple[int, int, float] | None = None) -> Any:
    """A small MLP regressor; records the loss of every training step in ``seen_losses``.

    ``loss_jump=(rank, step, factor)``: from ``step`` on, the loss that process ``rank``
    reports is ``factor`` times its value, with unchanged gradients (a spike only that rank
    sees)."""
    return _regressor_class(pl)(lr, optimizer, scheduler_step, nan_at_step, log_val, momentum,
                                loss_jump)


def _regressor_class(pl: ModuleType) -> type:
    """One module-level class per Lightning package, so ddp_spawn can pickle instances."""
    name = "TinyRegressor_" + pl.__name__.replace(".", "_")
    if name in globals():
        return globals()[name]

    class TinyRegressor(pl.LightningModule):
        def __init__(self, lr: float, optimizer: str, scheduler_step: int | None,
                     nan_at_step: int | None, log_val: bool, momentum: float = 0.0,
                     loss_jump: tuple[int, int, float] | None = None) -> None:
            super().__init__()
            self.save_hyperparameters({"lr": lr, "optimizer": optimizer})
            self.momentum, self.loss_jump = momentum, loss_jump
            self.scheduler_step, self.nan_at_step, self.log_val = scheduler_step, nan_at_step, log_val
            torch.manual_seed(0)
            self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
            self.seen_losses: list[float] = []

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            if self.nan_at_step is not None and self.trainer.global_step >= self.nan_at_step:
                loss = loss * float("nan")
            if self.loss_jump is not None:
                rank, step, factor = self.loss_jump
                if self.global_rank == rank and self.trainer.global_step >= step:
                    loss = loss + (factor - 1) * loss.detach()
            self.seen_losses.append(float(loss.detach()))
            return loss

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            if self.log_val:
                x, y = batch
                self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

        def configure_optimizers(self) -> Any:
            extra = {"momentum": self.momentum} if self.momentum else {}
            opt = getattr(torch.optim, self.hparams.optimizer)(self.parameters(),
                                                               lr=self.hparams.lr, **extra)
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


def blobs_loader(n: int = 2048, batch_size: int = 32) -> DataLoader:
    """10 Gaussian classes in 16 dimensions, in a fixed order."""
    g = torch.Generator().manual_seed(0)
    centers = 2 * torch.randn(10, 16, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    return DataLoader(TensorDataset(centers[y] + torch.randn(n, 16, generator=g), y),
                      batch_size=batch_size)


def make_classifier(pl: ModuleType, lr: float, momentum: float = 0.0,
                    step_size: int | None = None) -> Any:
    """A ReLU MLP classifier trained with SGD (a StepLR halving the LR every ``step_size``
    steps when given). At lr 2 with momentum 0.9 its loss blows up to ~1e13 within ten steps,
    then its units die and the loss sits near ln(10) again: a blow-up the last rows hide."""

    class Classifier(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(0)
            self.net = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(),
                                           torch.nn.Linear(32, 32), torch.nn.ReLU(),
                                           torch.nn.Linear(32, 10))

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            return torch.nn.functional.cross_entropy(self.net(x), y)

        def configure_optimizers(self) -> Any:
            opt = torch.optim.SGD(self.parameters(), lr=lr, momentum=momentum)
            if step_size is None:
                return opt
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=0.5)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    return Classifier()


def make_gan(pl: ModuleType, lr: float = 2e-4) -> Any:
    """A tiny GAN on 2-D points with manual optimization: ``training_step`` returns nothing and
    logs ``g_loss`` and ``d_loss``; the generator's and the discriminator's Adam step in turn."""

    class TinyGAN(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.automatic_optimization = False
            torch.manual_seed(0)
            self.generator = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(),
                                                 torch.nn.Linear(16, 2))
            self.discriminator = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(),
                                                     torch.nn.Linear(16, 1))

        def training_step(self, batch: Any, batch_idx: int) -> None:
            real = batch[0]
            g_opt, d_opt = self.optimizers()
            bce = torch.nn.functional.binary_cross_entropy_with_logits
            fake = self.generator(torch.randn(real.shape[0], 4))
            g_loss = bce(self.discriminator(fake), torch.ones(real.shape[0], 1))
            g_opt.zero_grad()
            self.manual_backward(g_loss)
            g_opt.step()
            d_loss = (bce(self.discriminator(real), torch.ones(real.shape[0], 1))
                      + bce(self.discriminator(fake.detach()), torch.zeros(real.shape[0], 1))) / 2
            d_opt.zero_grad()
            self.manual_backward(d_loss)
            d_opt.step()
            self.log_dict({"g_loss": g_loss, "d_loss": d_loss})

        def configure_optimizers(self) -> Any:
            return (torch.optim.Adam(self.generator.parameters(), lr=lr, betas=(0.5, 0.999)),
                    torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=(0.5, 0.999)))

    return TinyGAN()


def ring_loader(n: int = 1024, batch_size: int = 32) -> DataLoader:
    """2-D points on a noisy ring: the GAN's real data."""
    g = torch.Generator().manual_seed(0)
    angle = 2 * torch.pi * torch.rand(n, generator=g)
    points = torch.stack([angle.cos(), angle.sin()], 1) + 0.05 * torch.randn(n, 2, generator=g)
    return DataLoader(TensorDataset(points), batch_size=batch_size)
