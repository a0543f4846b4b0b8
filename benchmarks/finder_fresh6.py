"""Fresh held-out families for the range test's sixth round (issue 17), never used before.

Written down, and their runs generated, before any rule change of the round; the rule is tuned
on earlier splits only, frozen, and these are evaluated once. Models and data that no earlier
finder task has; small, CPU-only, nothing downloaded (the text ships with Python).

- ``gpt-pydoc-topics``: a decoder-only byte LM (two causal pre-norm layers, d=32, 4 heads, the
  output tied to the byte embedding) on the help texts of ``pydoc_data.topics``, a
  standard-library text no earlier LM read; AdamW.
- ``softmax-bag-of-words``: softmax regression on log counts of 6 synthetic topics' words
  (300-word vocabulary, 40-120 words a document); plain SGD and SGD with momentum 0.9.
- ``bn-cnn-shapes``: two conv-BatchNorm-ReLU blocks classify 12x12 noisy images of 6 shapes
  (bars, diagonals, a square outline, a cross) at random places; Adam.
- ``sigmoid-deep-shells``: a sigmoid MLP (6 hidden layers of 48) tells which of 4 shells
  around the origin an 8-dimensional point lies in; plain SGD.
- ``finetune-lora-teacher-shift``: rank-4 LoRA adapters on a ReLU MLP pretrained here on a
  random teacher's 6 classes, the pretrained weights frozen, fine-tuned on 300 samples of a
  perturbed teacher; AdamW, a fine-tune (``fine_tune=True``, its sweep on ``FINE_TUNE_GRID``).
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.finder_families import (CONTEXT, Data, _lm_split, _pretrained, _split, _task,
                                        next_byte_loss, plain_mlp)
from benchmarks.finder_tasks import Task

SPLIT = "fresh6-held-out"


# -- a decoder-only byte LM ------------------------------------------------------------------


@lru_cache(maxsize=None)
def _topics_text() -> bytes:
    """The interactive help's topic texts (English prose with code), in their stored order."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[k] for k in sorted(topics)).encode()


@lru_cache(maxsize=None)
def _topics_lm() -> tuple[Data, Data]:
    return _lm_split(_topics_text(), 2000, 400, seed=61)


class TiedDecoder(nn.Module):
    """GPT-like: byte and learned position embeddings, two causal pre-norm layers (GELU), a
    final norm, logits from the byte embedding's own weights (tied)."""

    def __init__(self, width: int = 32, layers: int = 2) -> None:
        super().__init__()
        self.embed = nn.Embedding(256, width)
        nn.init.normal_(self.embed.weight, std=0.02)  # GPT-2's: tied logits start near uniform
        self.position = nn.Parameter(0.02 * torch.randn(1, CONTEXT, width))
        layer = nn.TransformerEncoderLayer(width, 4, dim_feedforward=4 * width, dropout=0.0,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(CONTEXT))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        n = tokens.shape[1]
        h = self.embed(tokens) + self.position[:, :n]
        h = self.norm(self.blocks(h, mask=self.mask[:n, :n], is_causal=True))
        return h @ self.embed.weight.T


# -- a convex model ----------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _bag_of_words() -> tuple[Data, Data]:
    """2500 documents of 40-120 words drawn from one of 6 topics (each a Dirichlet(0.1) word
    distribution over 300 words, mixed 70/30 with a shared background); features are
    ``log1p`` counts. 2000 to train, 500 to validate."""
    g = torch.Generator().manual_seed(62)
    with torch.random.fork_rng():  # Dirichlet draws from the global RNG
        torch.manual_seed(62)
        topics = torch.distributions.Dirichlet(torch.full((300,), 0.1)).sample((6,))
        background = torch.distributions.Dirichlet(torch.ones(300)).sample()
    labels = torch.randint(0, 6, (2500,), generator=g)
    lengths = torch.randint(40, 121, (2500,), generator=g)
    x = torch.zeros(2500, 300)
    for i, (label, length) in enumerate(zip(labels.tolist(), lengths.tolist())):
        words = torch.multinomial(0.7 * topics[label] + 0.3 * background, length,
                                  replacement=True, generator=g)
        x[i] = torch.bincount(words, minlength=300).float()
    return _split(torch.log1p(x), labels, 2000, seed=62)


# -- a BatchNorm CNN with Adam -----------------------------------------------------------------


def _shape(kind: int, size: int = 5) -> torch.Tensor:
    """One of 6 ``size`` x ``size`` stamps: horizontal bar, vertical bar, diagonal,
    anti-diagonal, square outline, cross."""
    s = torch.zeros(size, size)
    mid = size // 2
    if kind == 0:
        s[mid] = 1
    elif kind == 1:
        s[:, mid] = 1
    elif kind == 2:
        s = torch.eye(size)
    elif kind == 3:
        s = torch.eye(size).flip(1)
    elif kind == 4:
        s[0], s[-1], s[:, 0], s[:, -1] = 1, 1, 1, 1
    else:
        s[mid], s[:, mid] = 1, 1
    return s


@lru_cache(maxsize=None)
def _shapes() -> tuple[Data, Data]:
    """2500 12x12 images: a shape stamped at a random place with a random brightness
    (0.5-1.5), Gaussian noise 0.4 on every pixel. 2000 to train, 500 to validate."""
    g = torch.Generator().manual_seed(63)
    labels = torch.randint(0, 6, (2500,), generator=g)
    places = torch.randint(0, 12 - 5 + 1, (2500, 2), generator=g)
    brightness = 0.5 + torch.rand(2500, generator=g)
    x = 0.4 * torch.randn(2500, 1, 12, 12, generator=g)
    for i, (label, (r, c)) in enumerate(zip(labels.tolist(), places.tolist())):
        x[i, 0, r:r + 5, c:c + 5] += brightness[i] * _shape(label)
    return _split(x, labels, 2000, seed=63)


class ShapesBNCNN(nn.Module):
    """conv(16)-BN-ReLU, max-pool, conv(32)-BN-ReLU, global average pool, linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(32, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


# -- a deep sigmoid network under plain SGD ---------------------------------------------------


@lru_cache(maxsize=None)
def _shells() -> tuple[Data, Data]:
    """2500 Gaussian points in 8 dimensions; the label is which quartile of the radius they
    fall in (4 balanced shells). 2000 to train, 500 to validate."""
    g = torch.Generator().manual_seed(64)
    x = torch.randn(2500, 8, generator=g)
    radius = x.norm(dim=1)
    labels = torch.bucketize(radius, torch.quantile(radius, torch.tensor([0.25, 0.5, 0.75])))
    return _split(x, labels, 2000, seed=64)


# -- a LoRA fine-tune ------------------------------------------------------------------------


def _teacher_classes(shift: float, count: int, seed: int) -> Data:
    """Inputs on 20 dimensions, labelled by the argmax of a random two-layer ReLU teacher's 6
    outputs, each centred on its mean over the ``count`` inputs (its weights moved by
    ``shift`` times fresh noise)."""
    g = torch.Generator().manual_seed(65)
    w1, w2 = torch.randn(20, 64, generator=g) / math.sqrt(20), torch.randn(64, 6, generator=g)
    moved = torch.Generator().manual_seed(66)
    w1 = w1 + shift * torch.randn(w1.shape, generator=moved) / math.sqrt(20)
    w2 = w2 + shift * torch.randn(w2.shape, generator=moved)
    x = torch.randn(count, 20, generator=torch.Generator().manual_seed(seed))
    out = F.relu(x @ w1) @ w2
    return x, (out - out.mean(0)).argmax(1)  # centred: no class swamps the rest


@lru_cache(maxsize=None)
def _teacher_shift() -> tuple[Data, Data, Data]:
    """3000 samples of the teacher to pretrain on; 300 of the shifted teacher (shift 0.4) to
    fine-tune on, 500 more to validate."""
    shifted = _teacher_classes(0.4, 800, seed=68)
    return (_teacher_classes(0.0, 3000, seed=67), (shifted[0][:300], shifted[1][:300]),
            (shifted[0][300:], shifted[1][300:]))


def _teacher_mlp() -> nn.Module:
    return plain_mlp([20, 96, 96, 6], nn.ReLU)


class LoRALinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update ``B @ A`` (B starts at zero, so
    the fine-tune starts from the pretrained function), scaled by ``alpha / rank``."""

    def __init__(self, base: nn.Linear, rank: int = 4, alpha: float = 8.0) -> None:
        super().__init__()
        self.base = base.requires_grad_(False)
        self.a = nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
        self.b = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = alpha / rank

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.scale * (x @ self.a.T) @ self.b.T


def _lora_finetune() -> nn.Module:
    net = _teacher_mlp()
    net.load_state_dict(_pretrained("teacher-mlp-6class", _teacher_mlp, _teacher_shift()[0],
                                    F.cross_entropy, 1500))
    for i, layer in enumerate(net):
        if isinstance(layer, nn.Linear):
            net[i] = LoRALinear(layer)
    return net


FRESH6_TASKS: list[Task] = [
    _task("gpt-pydoc-topics", SPLIT, "decoder-lm", _topics_lm, TiedDecoder, next_byte_loss,
          ("AdamW",)),
    _task("softmax-bag-of-words", SPLIT, "softmax-regression", _bag_of_words,
          lambda: nn.Linear(300, 6), F.cross_entropy, ("SGD", "SGD-momentum")),
    _task("bn-cnn-shapes", SPLIT, "batchnorm-cnn", _shapes, ShapesBNCNN, F.cross_entropy,
          ("Adam",)),
    _task("sigmoid-deep-shells", SPLIT, "deep-sigmoid", _shells,
          lambda: plain_mlp([8] + [48] * 6 + [4], nn.Sigmoid), F.cross_entropy, ("SGD",)),
    _task("finetune-lora-teacher-shift", SPLIT, "lora-fine-tune", _teacher_shift,
          _lora_finetune, F.cross_entropy, ("AdamW",), fine_tune=True),
]
