"""Round 5's fresh held-out LR sweeps for the sweep reading (issue 14):
``python -m benchmarks.realworld.fresh_sweeps5 [--family F]``.

Four model families that no earlier sweep has: a GRU classifier reading digits row by row with
Adam, a small residual CNN on digits with AdamW and a one-cycle LR shape, a wide linear softmax
on fixed random ReLU features of digits with plain SGD (no momentum), and an LSTM byte LM with
Adam and gradient clipping; 13 quarter-decade LRs each. They were made, and committed, before
round 5's sweep rules changed, and are read once with the rules frozen.

The machinery is round 4's (``fresh_sweeps.py``): each run's CSV goes to the cache as
``fresh-<family>-lr<lr>.csv``, ``sweeps_fresh5.json`` (committed) holds each sweep's LRs, the
eval loss before the first step and at the end (the truth), and each run's label from its place
in the sweep. No manifest line: these runs are the sweep benchmark's held-out side only.

Sizes were set by a CPU budget (the whole plan under ~12 CPU minutes on one thread), not by
results. Each LR range was chosen before any run was made, except the residual CNN's: its
first 13 LRs (to 0.1) put the best eval loss at 0.056, one step from the top, so two more LRs
(0.18, 0.32) were added, from the eval losses alone, before lrwatch read any of these runs.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.realworld import HERE
from benchmarks.realworld.fresh_sweeps import FreshSweep, cli, digits
from benchmarks.realworld.made_tasks import (VOCAB, Logged, mean_loss, python_docs, split,
                                             train, windows)
from benchmarks.realworld.make_runs import quarter_decades

SEED = 2  # not round 4's seed 1 nor the made runs' 0
OUT = HERE / "sweeps_fresh5.json"
FEATURES = 2048  # the linear model's random ReLU features of the 64 pixels


def _digits_batches(steps: int, batch: int, n_train: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(SEED)
    return torch.randint(0, n_train, (steps, batch), generator=g)


class GRUClassifier(nn.Module):
    """A one-layer GRU reading an 8x8 digit as 8 rows of 8 pixels; the last state classifies."""

    def __init__(self, hidden: int = 64):
        super().__init__()
        self.rnn = nn.GRU(8, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(x.view(-1, 8, 8))[0][:, -1])


def gru_run(lr: float) -> Logged:
    """The GRU classifier, Adam at a constant LR, 1000 steps of 32 digits."""
    xtr, ytr, xva, yva = digits()
    steps = 1000
    idx = _digits_batches(steps, 32, len(ytr))
    torch.manual_seed(SEED)
    model = GRUClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def step_loss(i: int) -> torch.Tensor:
        return F.cross_entropy(model(xtr[idx[i]]), ytr[idx[i]])
    return train(model, opt, lambda i: 1.0, steps, step_loss,
                 lambda: mean_loss(model, [(xva, yva)]), 200, None)


class ResBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus the input, then ReLU (He et al.'s basic block)."""

    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(width, width, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU(),
                                  nn.Conv2d(width, width, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


def one_cycle(steps: int, warm: float = 0.3, div: float = 25.0, final_div: float = 1e4):
    """PyTorch's ``OneCycleLR`` LR shape as a factor of the peak: cosine up from peak/``div``
    over the first ``warm`` of the steps, then cosine down to peak/(``div`` x ``final_div``)."""
    up = max(1, int(warm * steps))

    def factor(i: int) -> float:
        if i < up:
            lo, hi, p = 1 / div, 1.0, i / up
        else:
            lo, hi, p = 1.0, 1 / (div * final_div), (i - up) / max(1, steps - up)
        return hi + (lo - hi) * 0.5 * (1 + math.cos(math.pi * min(1.0, p)))
    return factor


def resnet_run(lr: float) -> Logged:
    """A residual digits CNN (stem conv 16, two basic blocks, global average pool, linear),
    AdamW (weight decay 0.01) with the one-cycle shape peaking at ``lr``, 600 steps of 32."""
    xtr, ytr, xva, yva = digits()
    steps = 600
    idx = _digits_batches(steps, 32, len(ytr))
    torch.manual_seed(SEED)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16),
                          nn.ReLU(), ResBlock(16), ResBlock(16), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(16, 10))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)

    def step_loss(i: int) -> torch.Tensor:
        return F.cross_entropy(model(xtr[idx[i]]), ytr[idx[i]])
    return train(model, opt, one_cycle(steps), steps, step_loss,
                 lambda: mean_loss(model, [(xva, yva)]), 150, None)


def linear_run(lr: float) -> Logged:
    """A linear softmax on ``FEATURES`` fixed random ReLU features of the pixels, plain SGD
    (no momentum) at a constant LR, 1000 steps of 32 digits."""
    xtr, ytr, xva, yva = digits()
    g = torch.Generator().manual_seed(SEED)
    proj = torch.randn(64, FEATURES, generator=g) / 8.0

    def features(x: torch.Tensor) -> torch.Tensor:
        return F.relu(x.flatten(1) @ proj)
    ftr, fva = features(xtr), features(xva)
    steps = 1000
    idx = _digits_batches(steps, 32, len(ytr))
    torch.manual_seed(SEED)
    model = nn.Linear(FEATURES, 10)
    opt = torch.optim.SGD(model.parameters(), lr=lr)

    def step_loss(i: int) -> torch.Tensor:
        return F.cross_entropy(model(ftr[idx[i]]), ytr[idx[i]])
    return train(model, opt, lambda i: 1.0, steps, step_loss,
                 lambda: mean_loss(model, [(fva, yva)]), 200, None)


class LSTMByteLM(nn.Module):
    """A one-layer LSTM byte LM returning the logits only."""

    def __init__(self, size: int = 96):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, size)
        self.rnn = nn.LSTM(size, size, batch_first=True)
        self.head = nn.Linear(size, VOCAB)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(self.emb(x))[0])


def lstm_run(lr: float) -> Logged:
    """The LSTM LM on the documentation text, Adam at a constant LR, gradients clipped at 0.5,
    500 steps of 16 windows of 48 bytes; the eval loss on 4 x 64 windows of the held-out tail."""
    train_part, val_part = split(python_docs())
    ctx, steps = 48, 500
    g = torch.Generator().manual_seed(SEED)
    starts = torch.randint(0, train_part.numel() - ctx - 1, (steps, 16), generator=g)
    val = [windows(val_part, s, ctx) for s in
           torch.randint(0, val_part.numel() - ctx - 1, (4, 64), generator=g)]
    torch.manual_seed(SEED)
    model = LSTMByteLM()
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def step_loss(i: int) -> torch.Tensor:
        x, y = windows(train_part, starts[i], ctx)
        return F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
    return train(model, opt, lambda i: 1.0, steps, step_loss, lambda: mean_loss(model, val),
                 100, 0.5)


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("gru_digits_adam", quarter_decades(-4.0, -1.0), 1000, gru_run,
                   {"optimizer": "Adam", "schedule": "constant",
                    "model": "GRU 64 over 8 rows of a digit, linear head"}),
        FreshSweep("resnet_digits_onecycle", quarter_decades(-4.0, -0.5), 600, resnet_run,
                   {"optimizer": "AdamW", "schedule": "one-cycle (30% up, cosine)",
                    "model": "residual CNN, stem 16 + 2 basic blocks, digits"}),
        FreshSweep("linear_features_sgd", quarter_decades(-2.0, 1.0), 1000, linear_run,
                   {"optimizer": "SGD", "momentum": 0.0, "schedule": "constant",
                    "model": "linear softmax on 2048 random ReLU features, digits"}),
        FreshSweep("lstm_lm_adam_clip", quarter_decades(-4.0, -1.0), 500, lstm_run,
                   {"optimizer": "Adam", "schedule": "constant", "clip": 0.5,
                    "model": "LSTM 96 byte LM, pydoc text"}),
    ]


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
