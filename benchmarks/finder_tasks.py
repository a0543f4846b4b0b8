"""The tasks and optimizers of the finder benchmark: small, CPU-only, nothing downloaded.

Each task is a dataset (scikit-learn's bundled digits or a synthetic one), a model builder and
a loss. ``split`` keeps them apart: the rule of ``lrwatch.analysis.rangetest`` was developed and
tuned on the "tune" tasks only. The "report" tasks were written down before the rule was
frozen and run once after: they are what the benchmark reports. (The first six of the tune tasks
began as report tasks; once their results had shaped the rule they moved here.)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

BATCH_SIZE = 32
VERSION = 1  # bump when a task changes: cached results are keyed by it


@dataclass(frozen=True)
class Task:
    name: str
    split: str  # "tune" | "report" (the families benchmark: "tune" | "held-out")
    data: Callable[[], tuple[torch.Tensor, torch.Tensor]]
    model: Callable[[], nn.Module]
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    optimizers: tuple[str, ...] = ("SGD", "SGD-momentum", "AdamW")
    validation: Callable[[], tuple[torch.Tensor, torch.Tensor]] | None = None  # sweeps score
    # on it when given, else on the training data
    family: str = ""
    fine_tune: bool = False  # the model starts from pretrained weights


# -- data ------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def digits() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y, dtype=torch.long)


def digits_images() -> tuple[torch.Tensor, torch.Tensor]:
    x, y = digits()
    return x.reshape(-1, 1, 8, 8), y


def digits_reconstruction() -> tuple[torch.Tensor, torch.Tensor]:
    x, _ = digits()
    return x, x


@lru_cache(maxsize=None)
def blobs() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=2000, n_features=20, n_informative=10, n_classes=5,
                               n_clusters_per_class=2, class_sep=1.0, flip_y=0.05,
                               random_state=1)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.long)


@lru_cache(maxsize=None)
def linear_regression() -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2000, 32)) * rng.uniform(0.2, 2.0, size=32)  # uneven curvature
    w = rng.normal(size=(32, 1))
    y = x @ w + 0.5 * rng.normal(size=(2000, 1))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


@lru_cache(maxsize=None)
def moons() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=2000, noise=0.2, random_state=3)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.long)


@lru_cache(maxsize=None)
def friedman() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import make_friedman1

    x, y = make_friedman1(n_samples=2000, n_features=10, noise=1.0, random_state=4)
    y = (y - y.mean()) / y.std()
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y[:, None], dtype=torch.float32)


# -- models ----------------------------------------------------------------------------------


class DigitsCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.head = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.head(x.flatten(1))


class RowGRU(nn.Module):
    """Reads a digit row by row (8 steps of 8 pixels) and classifies it."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(8, 32, batch_first=True)
        self.head = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h = self.gru(x.reshape(-1, 8, 8))
        return self.head(h[-1])


def mlp(sizes: list[int], act: type[nn.Module] = nn.ReLU, norm: bool = False) -> nn.Module:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            if norm:
                layers.append(nn.BatchNorm1d(b))
            layers.append(act())
    return nn.Sequential(*layers)


def mse(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(out, target)


def bce(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(out, target)


@lru_cache(maxsize=None)
def spirals() -> tuple[torch.Tensor, torch.Tensor]:
    """Three interleaved spiral arms, 600 points each."""
    rng = np.random.default_rng(5)
    r = rng.uniform(0.1, 1.0, size=1800)
    arm = np.repeat(np.arange(3), 600)
    angle = arm * 2 * np.pi / 3 + 3 * np.pi * r
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], 1) + 0.04 * rng.normal(size=(1800, 2))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(arm, dtype=torch.long)


@lru_cache(maxsize=None)
def teacher_student() -> tuple[torch.Tensor, torch.Tensor]:
    """Targets from a fixed random tanh network on 16 inputs, plus noise, standardised."""
    g = torch.Generator().manual_seed(6)
    x = torch.randn(2000, 16, generator=g)
    w1, w2 = torch.randn(16, 32, generator=g) / 4, torch.randn(32, 1, generator=g) / 3
    y = torch.tanh(x @ w1) @ w2 + 0.1 * torch.randn(2000, 1, generator=g)
    return x, (y - y.mean()) / y.std()


@lru_cache(maxsize=None)
def high_dim_logistic() -> tuple[torch.Tensor, torch.Tensor]:
    """100 features, a label drawn from a logistic model of them."""
    g = torch.Generator().manual_seed(7)
    x = torch.randn(2000, 100, generator=g)
    w = torch.randn(100, 1, generator=g) / 5
    y = torch.bernoulli(torch.sigmoid(x @ w), generator=g)
    return x, y


class ResidualMLP(nn.Module):
    """Two pre-norm residual blocks (LayerNorm) between a stem and a head."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Linear(64, 64)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(64), nn.Linear(64, 128), nn.GELU(), nn.Linear(128, 64))
            for _ in range(2))
        self.head = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = x + block(x)
        return self.head(x)


class RowTransformer(nn.Module):
    """One transformer encoder layer over a digit's 8 rows as tokens."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(8, 32)
        self.position = nn.Parameter(torch.zeros(1, 8, 32))
        self.encoder = nn.TransformerEncoderLayer(32, 2, dim_feedforward=64, dropout=0.0,
                                                  batch_first=True)
        self.head = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.embed(x.reshape(-1, 8, 8)) + self.position
        return self.head(self.encoder(tokens).mean(1))


class DigitsBNCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU())
        self.head = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean((2, 3)))


TASKS: list[Task] = [
    # tuning tasks: the rule was developed and its settings chosen on these only
    Task("digits-mlp-bn", "tune", digits, lambda: mlp([64, 128, 10], norm=True), F.cross_entropy),
    Task("blobs-mlp-tanh", "tune", blobs, lambda: mlp([20, 64, 64, 5], nn.Tanh), F.cross_entropy),
    Task("linear-regression", "tune", linear_regression, lambda: nn.Linear(32, 1), mse),
    Task("digits-autoencoder", "tune", digits_reconstruction,
         lambda: mlp([64, 32, 16, 32, 64], nn.Tanh), mse),
    Task("digits-logreg", "tune", digits, lambda: nn.Linear(64, 10), F.cross_entropy),
    Task("digits-mlp", "tune", digits, lambda: mlp([64, 128, 10]), F.cross_entropy),
    Task("digits-cnn", "tune", digits_images, DigitsCNN, F.cross_entropy),
    Task("digits-gru", "tune", digits, RowGRU, F.cross_entropy),
    Task("moons-deep-mlp", "tune", moons, lambda: mlp([2, 32, 32, 32, 32, 32, 2]),
         F.cross_entropy),
    Task("friedman-mlp-regression", "tune", friedman, lambda: mlp([10, 64, 64, 1], nn.Tanh),
         mse),
    # reported tasks: written down before the rule was frozen, run once after
    Task("digits-resmlp-layernorm", "report", digits, ResidualMLP, F.cross_entropy),
    Task("digits-transformer", "report", digits, RowTransformer, F.cross_entropy),
    Task("digits-cnn-batchnorm", "report", digits_images, DigitsBNCNN, F.cross_entropy),
    Task("digits-deep-tanh", "report", digits, lambda: mlp([64, 32, 32, 32, 32, 10], nn.Tanh),
         F.cross_entropy),
    Task("spirals-mlp-silu", "report", spirals, lambda: mlp([2, 64, 64, 64, 3], nn.SiLU),
         F.cross_entropy),
    Task("teacher-student-regression", "report", teacher_student,
         lambda: mlp([16, 64, 64, 1]), mse),
    Task("high-dim-logistic", "report", high_dim_logistic, lambda: nn.Linear(100, 1), bce),
]

class ClippedAdam(torch.optim.Adam):
    """Adam that first clips the gradients' global norm to ``max_norm`` (what an RNN's user
    sets with ``clip_grad_norm_`` or Lightning's ``gradient_clip_val``). Clipping inside the
    step keeps it for every finder: a closure (Lightning's) is run first, then the clip."""

    def __init__(self, params: Any, lr: float, max_norm: float = 1.0) -> None:
        super().__init__(params, lr=lr)
        self.max_norm = max_norm

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        grads = [p for g in self.param_groups for p in g["params"] if p.grad is not None]
        torch.nn.utils.clip_grad_norm_(grads, self.max_norm)
        super().step()
        return loss


OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "SGD": lambda params, lr: torch.optim.SGD(params, lr=lr),
    "SGD-momentum": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "AdamW": lambda params, lr: torch.optim.AdamW(params, lr=lr, weight_decay=0.01),
    "Adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
    "RMSprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr),  # torch's defaults
    "SGD-nesterov": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9,
                                                       nesterov=True),
    "Adagrad": lambda params, lr: torch.optim.Adagrad(params, lr=lr),  # torch's defaults
    "Adam-clip": lambda params, lr: ClippedAdam(params, lr),  # gradient norm clipped to 1
}


def task(name: str) -> Task:
    return next(t for t in TASKS if t.name == name)
