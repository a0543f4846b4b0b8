"""Task families for the generalisation round of the finder benchmark (issue 17).

Six kinds of model unlike most of ``finder_tasks``: autoencoders, convex models, normalisation
layers under Adam, deep tanh networks under SGD, a small character-level transformer LM, and
fine-tuning a model pretrained here. Small, CPU-only, nothing downloaded: the data are
synthetic, scikit-learn's bundled digits, or text that ships with Python (its standard
library's source code and docstrings).

Every family has two members, split when they were written, before any result was seen: the
first is a "tune" task (the rule may be developed on it), the second "held-out" (evaluated once,
after the rule is frozen). Sweeps score the final loss on a validation split the training never
sees; a fine-tune's sweep trains the pretrained model at each LR, so its best LR is the
fine-tune's own. One sweep seed per LR (``finder`` runs two): the machine these were made on
is two shared cores.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from functools import lru_cache
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.finder_runs import OUT
from benchmarks.finder_tasks import Task, digits, mse

SCRATCH_GRID = [10 ** (k / 2) for k in range(-10, 3)]  # 1e-5 ... 10, as finder_tasks
FINE_TUNE_GRID = [10 ** (k / 2) for k in range(-12, 1)]  # 1e-6 ... 1: fine-tuning LRs run low
PRETRAINED = OUT / "pretrained"
Data = tuple[torch.Tensor, torch.Tensor]


def _split(x: torch.Tensor, y: torch.Tensor, n_train: int, seed: int) -> tuple[Data, Data]:
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    train, val = order[:n_train], order[n_train:]
    return (x[train], y[train]), (x[val], y[val])


# -- autoencoders ----------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _digits_reconstruction() -> tuple[Data, Data]:
    x, _ = digits()
    return _split(x, x, 1400, seed=11)


@lru_cache(maxsize=None)
def _manifold() -> tuple[Data, Data]:
    """40-dimensional points near a curved 4-dimensional manifold."""
    g = torch.Generator().manual_seed(12)
    z = torch.randn(2500, 4, generator=g)
    a, b = torch.randn(4, 16, generator=g), torch.randn(16, 40, generator=g) / 4
    x = torch.tanh(z @ a) @ b + 0.05 * torch.randn(2500, 40, generator=g)
    return _split(x, x, 2000, seed=12)


# -- convex models ---------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _correlated_regression() -> tuple[Data, Data]:
    """50 correlated features of uneven scale, a linear target plus noise."""
    rng = np.random.default_rng(13)
    x = rng.normal(size=(2500, 50)) @ rng.normal(size=(50, 50)) / 7 * rng.uniform(0.3, 1.5, 50)
    y = x @ rng.normal(size=(50, 1)) / 3 + 0.3 * rng.normal(size=(2500, 1))
    return _split(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32),
                  2000, seed=13)


@lru_cache(maxsize=None)
def _gaussian_classes() -> tuple[Data, Data]:
    """Four Gaussian classes in 30 dimensions, a few features on a larger scale."""
    g = torch.Generator().manual_seed(14)
    y = torch.randint(0, 4, (2500,), generator=g)
    means = torch.randn(4, 30, generator=g) * 0.6
    scale = torch.ones(30)
    scale[:5] = 4.0
    x = (means[y] + torch.randn(2500, 30, generator=g)) * scale
    return _split(x, y, 2000, seed=14)


# -- normalisation layers, deep tanh networks --------------------------------------------------


@lru_cache(maxsize=None)
def _classification() -> tuple[Data, Data]:
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=2500, n_features=40, n_informative=15, n_classes=5,
                               n_clusters_per_class=2, flip_y=0.03, random_state=15)
    return _split(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.long),
                  2000, seed=15)


@lru_cache(maxsize=None)
def _teacher() -> tuple[Data, Data]:
    """A random two-layer GELU teacher on 16 inputs, plus noise, standardised."""
    g = torch.Generator().manual_seed(16)
    x = torch.randn(2500, 16, generator=g)
    w1, w2 = torch.randn(16, 48, generator=g) / 3, torch.randn(48, 1, generator=g) / 5
    y = F.gelu(x @ w1) @ w2 + 0.1 * torch.randn(2500, 1, generator=g)
    return _split(x, (y - y.mean()) / y.std(), 2000, seed=16)


@lru_cache(maxsize=None)
def _digits_classes() -> tuple[Data, Data]:
    x, y = digits()
    return _split(x, y, 1400, seed=17)


@lru_cache(maxsize=None)
def _friedman() -> tuple[Data, Data]:
    from sklearn.datasets import make_friedman1

    x, y = make_friedman1(n_samples=2500, n_features=10, noise=0.5, random_state=18)
    y = (y - y.mean()) / y.std()
    return _split(torch.tensor(x, dtype=torch.float32),
                  torch.tensor(y[:, None], dtype=torch.float32), 2000, seed=18)


def normed_mlp(sizes: list[int], norm: Callable[[int], nn.Module],
               act: type[nn.Module] = nn.ReLU) -> nn.Module:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers += [norm(b), act()]
    return nn.Sequential(*layers)


def plain_mlp(sizes: list[int], act: type[nn.Module]) -> nn.Module:
    return normed_mlp(sizes, lambda _: nn.Identity(), act)


# -- character-level language models -----------------------------------------------------------

CONTEXT = 32
CODE_MODULES = ("textwrap", "shlex", "fnmatch", "glob", "bisect", "heapq", "string", "copy",
                "dataclasses", "functools", "pprint", "calendar")
PROSE_MODULES = ("argparse", "json", "logging", "email.message", "http.client", "zipfile",
                 "tarfile", "subprocess", "unittest.case", "collections", "pathlib", "typing")


def source_text(modules: tuple[str, ...]) -> bytes:
    """The Python source of standard-library ``modules`` (they ship with Python)."""
    return "\n".join(inspect.getsource(importlib.import_module(m)) for m in modules).encode()


def docstring_text(modules: tuple[str, ...]) -> bytes:
    """English prose: the docstrings (over 80 characters) of standard-library ``modules``."""
    docs = []
    for name in modules:
        tree = ast.parse(inspect.getsource(importlib.import_module(name)))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)):
                doc = ast.get_docstring(node)
                if doc and len(doc) > 80:
                    docs.append(doc)
    return "\n\n".join(docs).encode()


@lru_cache(maxsize=None)
def _code_text() -> bytes:
    return source_text(CODE_MODULES)


@lru_cache(maxsize=None)
def _prose_text() -> bytes:
    return docstring_text(PROSE_MODULES)


def _windows(text: bytes, count: int, seed: int) -> Data:
    g = torch.Generator().manual_seed(seed)
    data = torch.tensor(list(text), dtype=torch.long)
    start = torch.randint(0, len(data) - CONTEXT - 1, (count,), generator=g)
    chunks = torch.stack([data[s:s + CONTEXT + 1] for s in start.tolist()])
    return chunks[:, :-1], chunks[:, 1:]


def _lm_split(text: bytes, train: int, val: int, seed: int,
              windows: Callable[[bytes, int, int], Data] = _windows) -> tuple[Data, Data]:
    """Training windows from the first 85% of the text, validation from the rest."""
    cut = int(0.85 * len(text))
    return windows(text[:cut], train, seed), windows(text[cut:], val, seed + 1)


@lru_cache(maxsize=None)
def _code_lm() -> tuple[Data, Data]:
    return _lm_split(_code_text(), 2000, 400, seed=19)


@lru_cache(maxsize=None)
def _prose_lm() -> tuple[Data, Data]:
    return _lm_split(_prose_text(), 2000, 400, seed=20)


class CharTransformer(nn.Module):
    """A one-layer causal transformer over bytes (d=32, 2 heads): small enough for a CPU."""

    def __init__(self, width: int = 32, layers: int = 1) -> None:
        super().__init__()
        self.embed = nn.Embedding(256, width)
        self.position = nn.Parameter(torch.zeros(1, CONTEXT, width))
        layer = nn.TransformerEncoderLayer(width, 2, dim_feedforward=2 * width, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, 256)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(CONTEXT))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.embed(tokens) + self.position[:, :tokens.shape[1]]
        n = tokens.shape[1]
        return self.head(self.norm(self.blocks(h, mask=self.mask[:n, :n], is_causal=True)))


def next_byte_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


# -- fine-tuning a model pretrained here -------------------------------------------------------


def _pretrained(name: str, build: Callable[[], nn.Module], data: Data,
                loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], steps: int
                ) -> dict[str, torch.Tensor]:
    """Weights of ``build()`` trained on ``data`` with AdamW (1e-3, batch 32), cached on disk;
    the global RNG is left as it was, so the benchmark's seeds mean what they say."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = build()
        size = sum(p.numel() for p in net.parameters())  # a changed model is a new file
        path = PRETRAINED / f"{name}-{size}.pt"
        if path.exists():
            return torch.load(path)
        opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.01)
        x, y = data
        for _ in range(steps):
            batch = torch.randint(0, len(x), (32,))
            opt.zero_grad()
            loss(net(x[batch]), y[batch]).backward()
            opt.step()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), path)
    return net.state_dict()


class DigitsCNN(nn.Module):
    """Two conv layers and a linear head; pretrained on digits 0-4, fine-tuned on 5-9."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                                      nn.AdaptiveAvgPool2d(2), nn.Flatten())
        self.head = nn.Linear(128, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.reshape(-1, 1, 8, 8)))


@lru_cache(maxsize=None)
def _digits_low_high() -> tuple[Data, Data, Data]:
    """Digits 0-4 (pretraining), and 5-9 relabelled 0-4: 250 to fine-tune on, the rest to
    validate."""
    x, y = digits()
    low, high = y < 5, y >= 5
    train, val = _split(x[high], y[high] - 5, 250, seed=21)
    return (x[low], y[low]), train, val


def _finetuned_cnn() -> nn.Module:
    weights = _pretrained("digits-cnn-0to4", DigitsCNN, _digits_low_high()[0], F.cross_entropy,
                          1500)
    net = DigitsCNN()
    net.features.load_state_dict({k[len("features."):]: v for k, v in weights.items()
                                  if k.startswith("features.")})
    return net  # a new head, initialised by the benchmark's seed


@lru_cache(maxsize=None)
def _prose_finetune() -> tuple[Data, Data]:
    """A small fine-tuning set: 400 windows of docstring prose, 400 more to validate."""
    return _lm_split(_prose_text(), 400, 400, seed=22)


def _finetuned_lm() -> nn.Module:
    net = CharTransformer()
    net.load_state_dict(_pretrained("char-lm-code", CharTransformer, _code_lm()[0],
                                    next_byte_loss, 1000))
    return net


def _task(name: str, split: str, family: str, data: Callable[[], tuple[Data, ...]],
          model: Callable[[], nn.Module], loss: Callable[[torch.Tensor, torch.Tensor],
                                                           torch.Tensor],
          optimizers: tuple[str, ...], fine_tune: bool = False) -> Task:
    return Task(name, split, lambda: data()[-2], model, loss, optimizers,
                validation=lambda: data()[-1], family=family, fine_tune=fine_tune)


ADAPTIVE_AND_MOMENTUM = ("Adam", "SGD-momentum")
FAMILY_TASKS: list[Task] = [
    # autoencoders (MSE reconstruction)
    _task("ae-digits-relu", "tune", "autoencoder", _digits_reconstruction,
          lambda: plain_mlp([64, 48, 12, 48, 64], nn.ReLU), mse, ADAPTIVE_AND_MOMENTUM),
    _task("ae-manifold-silu", "held-out", "autoencoder", _manifold,
          lambda: plain_mlp([40, 64, 8, 64, 40], nn.SiLU), mse, ADAPTIVE_AND_MOMENTUM),
    # convex models
    _task("convex-linreg-correlated", "tune", "convex", _correlated_regression,
          lambda: nn.Linear(50, 1), mse, ("SGD", "Adam")),
    _task("convex-softmax-gaussians", "held-out", "convex", _gaussian_classes,
          lambda: nn.Linear(30, 4), F.cross_entropy, ("SGD", "Adam")),
    # normalisation layers with Adam
    _task("norm-batchnorm-mlp", "tune", "normalisation", _classification,
          lambda: normed_mlp([40, 128, 128, 128, 5], nn.BatchNorm1d), F.cross_entropy,
          ("Adam",)),
    _task("norm-layernorm-mlp", "held-out", "normalisation", _teacher,
          lambda: normed_mlp([16, 128, 128, 1], nn.LayerNorm, nn.GELU), mse, ("Adam",)),
    # deep saturating networks with plain SGD
    _task("tanh-deep8-digits", "tune", "deep-tanh", _digits_classes,
          lambda: plain_mlp([64] + [48] * 8 + [10], nn.Tanh), F.cross_entropy, ("SGD",)),
    _task("tanh-deep10-friedman", "held-out", "deep-tanh", _friedman,
          lambda: plain_mlp([10] + [32] * 10 + [1], nn.Tanh), mse, ("SGD",)),
    # small transformer LMs (character level)
    _task("lm-python-code", "tune", "transformer-lm", _code_lm, CharTransformer,
          next_byte_loss, ("AdamW",)),
    _task("lm-docstring-prose", "held-out", "transformer-lm", _prose_lm, CharTransformer,
          next_byte_loss, ("AdamW",)),
    # fine-tuning a model pretrained here
    _task("finetune-cnn-digits-0to4-5to9", "tune", "fine-tune", _digits_low_high, _finetuned_cnn,
          F.cross_entropy, ("AdamW",), fine_tune=True),
    _task("finetune-lm-code-to-prose", "held-out", "fine-tune", _prose_finetune, _finetuned_lm,
          next_byte_loss, ("AdamW",), fine_tune=True),
]
