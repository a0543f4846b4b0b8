"""The model the examples train: a small MLP on scikit-learn's 8x8 digits (bundled with
scikit-learn, nothing to download). Not an example itself; the numbered scripts import it."""

from __future__ import annotations

import torch
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

try:
    import lightning.pytorch as pl
except ImportError:  # the standalone package works the same
    import pytorch_lightning as pl  # type: ignore[no-redef]


class DigitsClassifier(pl.LightningModule):
    def __init__(self, lr: float = 3e-3, optimizer: str = "Adam") -> None:
        super().__init__()
        self.save_hyperparameters()
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.Tanh(),
                                       torch.nn.Linear(128, 10))

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.cross_entropy(self.net(x), y)

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", torch.nn.functional.cross_entropy(self.net(x), y))

    def configure_optimizers(self):
        return getattr(torch.optim, self.hparams.optimizer)(self.parameters(), lr=self.hparams.lr)


def digits_loaders(batch_size: int = 64):
    digits = load_digits()
    x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
    y = torch.tensor(digits.target)
    train = DataLoader(TensorDataset(x[:1500], y[:1500]), batch_size=batch_size, shuffle=True)
    val = DataLoader(TensorDataset(x[1500:], y[1500:]), batch_size=300)
    return train, val


def trainer(callbacks, max_steps: int = 100) -> pl.Trainer:
    """A quiet CPU Trainer."""
    return pl.Trainer(max_steps=max_steps, accelerator="cpu", logger=False,
                      enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False, callbacks=callbacks)


class DigitsData(pl.LightningDataModule):
    """The same loaders as a DataModule, for configuration files (LightningCLI, Hydra)."""

    def __init__(self, batch_size: int = 64) -> None:
        super().__init__()
        self.batch_size = batch_size

    def train_dataloader(self):
        return digits_loaders(self.batch_size)[0]

    def val_dataloader(self):
        return digits_loaders(self.batch_size)[1]
