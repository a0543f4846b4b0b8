"""Fresh fine-tuning tasks for the range test's fine-tune rule (issue 17), held out.

``finder_families`` has two fine-tunes (a digits CNN, a character LM); both were evaluated in
the first round, so the fine-tune rule may be tuned on them. These four were written down, and
their runs generated, before the rule was written, and are evaluated once after it is frozen:
other models, each pretrained here on one task and fine-tuned on a shifted one, the best LR from
a sweep of the fine-tune itself (``FINE_TUNE_GRID``, 300 steps, scored on a validation split).

- ``finetune-mlp-teacher-shift``: a SiLU MLP pretrained on a random GELU teacher, fully
  fine-tuned (same head) on 200 samples of a perturbed teacher; Adam.
- ``finetune-mlp-latent-newtask``: an MLP pretrained to classify 6 classes of a latent code seen
  through a nonlinear map, fine-tuned with a new 4-class head on 300 samples of another labelling
  of the same latent code; AdamW.
- ``finetune-cnn-digits-domain``: a pooling CNN pretrained on clean digits, fully fine-tuned on
  300 shifted, dimmed, noisy digits (a domain shift, same classes); SGD with momentum and AdamW.
- ``finetune-lm-prose-to-code``: a two-layer character transformer (d=48) pretrained on
  docstring prose, fine-tuned on 400 windows of Python source; AdamW.
"""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.finder_families import (CharTransformer, Data, _code_text, _lm_split, _pretrained,
                                        _prose_lm, _split, _task, next_byte_loss, plain_mlp)
from benchmarks.finder_tasks import Task, digits, mse

SPLIT = "fine-tune-held-out"


# -- a shifted regression teacher --------------------------------------------------------------


def _teacher_data(shift: float, count: int, seed: int) -> Data:
    """A random GELU teacher on 16 inputs (perturbed by ``shift``), standardised targets."""
    g = torch.Generator().manual_seed(41)
    w1, w2 = torch.randn(16, 48, generator=g) / 3, torch.randn(48, 1, generator=g) / 5
    w1 = w1 + shift * torch.randn(16, 48, generator=g) / 3
    w2 = w2 + shift * torch.randn(48, 1, generator=g) / 5
    x = torch.randn(count, 16, generator=torch.Generator().manual_seed(seed))
    y = F.gelu(x @ w1) @ w2
    y = y + 0.1 * y.std() * torch.randn(count, 1, generator=torch.Generator().manual_seed(seed))
    return x, (y - y.mean()) / y.std()


@lru_cache(maxsize=None)
def _teacher_shift() -> tuple[Data, Data, Data]:
    """Pretraining data, 200 fine-tuning samples of the shifted teacher, 1000 to validate."""
    train, val = _split(*_teacher_data(0.6, 1200, seed=43), 200, seed=44)
    return _teacher_data(0.0, 2000, seed=42), train, val


def _teacher_mlp() -> nn.Module:
    return plain_mlp([16, 64, 64, 64, 1], nn.SiLU)


def _finetuned_teacher_mlp() -> nn.Module:
    net = _teacher_mlp()
    net.load_state_dict(_pretrained("teacher-mlp-silu", _teacher_mlp, _teacher_shift()[0], mse,
                                    1500))
    return net


# -- a new labelling of a shared latent code -------------------------------------------------


@lru_cache(maxsize=None)
def _latent_tasks() -> tuple[Data, Data, Data]:
    """32-d views of an 8-d latent code; 6 classes to pretrain on, 4 others (300 samples) to
    fine-tune on, 1500 to validate."""
    g = torch.Generator().manual_seed(45)
    z = torch.randn(3800, 8, generator=g)
    a, b = torch.randn(8, 24, generator=g), torch.randn(24, 32, generator=g) / 3
    x = torch.tanh(z @ a) @ b + 0.1 * torch.randn(3800, 32, generator=g)
    pretrain_labels = (z @ torch.randn(8, 6, generator=g)).argmax(1)
    new_labels = (z @ torch.randn(8, 4, generator=g)).argmax(1)
    train, val = _split(x[2000:], new_labels[2000:], 300, seed=46)
    return (x[:2000], pretrain_labels[:2000]), train, val


class LatentMLP(nn.Module):
    """A ReLU trunk (32-96-96) and a linear head; fine-tuning swaps the head."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(32, 96), nn.ReLU(), nn.Linear(96, 96), nn.ReLU())
        self.head = nn.Linear(96, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x))


def _finetuned_latent_mlp() -> nn.Module:
    weights = _pretrained("latent-mlp-6", lambda: LatentMLP(6), _latent_tasks()[0],
                          F.cross_entropy, 1500)
    net = LatentMLP(4)
    net.trunk.load_state_dict({k[len("trunk."):]: v for k, v in weights.items()
                               if k.startswith("trunk.")})
    return net  # a new head, initialised by the benchmark's seed


# -- a domain shift of digits ----------------------------------------------------------------


@lru_cache(maxsize=None)
def _digits_domain() -> tuple[Data, Data, Data]:
    """The first 1000 digits clean (pretraining); the rest moved one pixel, dimmed and noisy:
    300 to fine-tune on, the others to validate."""
    x, y = digits()
    images = x.reshape(-1, 8, 8)
    shifted = 0.6 * torch.roll(images, shifts=(1, 1), dims=(1, 2))
    noise = torch.randn(shifted.shape, generator=torch.Generator().manual_seed(47))
    shifted = shifted + 0.2 * noise
    train, val = _split(shifted[1000:].reshape(-1, 64), y[1000:], 300, seed=48)
    return (x[:1000], y[:1000]), train, val


class PoolingCNN(nn.Module):
    """Conv-pool-conv and a two-layer head: unlike ``DigitsCNN``'s global pooling."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.Flatten(),
                                 nn.Linear(256, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(-1, 1, 8, 8))


def _finetuned_pooling_cnn() -> nn.Module:
    net = PoolingCNN()
    net.load_state_dict(_pretrained("digits-pooling-cnn-clean", PoolingCNN, _digits_domain()[0],
                                    F.cross_entropy, 1500))
    return net


# -- a character LM from prose to code ---------------------------------------------------------


def _wide_lm() -> nn.Module:
    return CharTransformer(width=48, layers=2)


@lru_cache(maxsize=None)
def _code_finetune() -> tuple[Data, Data]:
    """400 windows of Python source to fine-tune on, 400 more to validate."""
    return _lm_split(_code_text(), 400, 400, seed=49)


def _finetuned_prose_lm() -> nn.Module:
    net = _wide_lm()
    net.load_state_dict(_pretrained("char-lm-prose-wide", _wide_lm, _prose_lm()[0],
                                    next_byte_loss, 1000))
    return net


FINE_TUNE_TASKS: list[Task] = [
    _task("finetune-mlp-teacher-shift", SPLIT, "fine-tune", _teacher_shift,
          _finetuned_teacher_mlp, mse, ("Adam",), fine_tune=True),
    _task("finetune-mlp-latent-newtask", SPLIT, "fine-tune", _latent_tasks,
          _finetuned_latent_mlp, F.cross_entropy, ("AdamW",), fine_tune=True),
    _task("finetune-cnn-digits-domain", SPLIT, "fine-tune", _digits_domain,
          _finetuned_pooling_cnn, F.cross_entropy, ("SGD-momentum", "AdamW"), fine_tune=True),
    _task("finetune-lm-prose-to-code", SPLIT, "fine-tune", _code_finetune, _finetuned_prose_lm,
          next_byte_loss, ("AdamW",), fine_tune=True),
]
