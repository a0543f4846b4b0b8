"""Round 20's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps20 [--family F] [--manifest COMMIT]``.

DOCSTRING_TO_FILL
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.realworld import HERE
from benchmarks.realworld.fresh_sweeps import FreshSweep, cli
from benchmarks.realworld.fresh_sweeps8 import (TestedRun, finite_or_inf, make,
                                                tested_manifest_rows)
from benchmarks.realworld.fresh_sweeps10 import sampled_every
from benchmarks.realworld.made_tasks import train, warmup_cosine
from benchmarks.realworld.make_runs import quarter_decades

SEED = 16  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 15)
OUT = HERE / "sweeps_fresh20.json"
MANIFEST = HERE / "manifest_r20made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps20.py"

# the ViT: 16x16 synthetic shapes (four kinds), 10% of labels flipped, NAdamW + warmup/cosine
VIT_SIZE, VIT_PATCH, VIT_D, VIT_LAYERS, VIT_HEADS = 16, 4, 32, 2, 4
VIT_CLASSES, VIT_FLIP, VIT_NOISE = 4, 0.1, 0.3
VIT_TRAIN, VIT_VAL, VIT_TEST, VIT_BATCH, VIT_EPOCHS = 1920, 384, 768, 32, 5
VIT_WD, VIT_WARMUP, VIT_LOG_EVERY = 0.05, 30, 10
VIT_STEPS_PER_EPOCH = VIT_TRAIN // VIT_BATCH
VIT_STEPS = VIT_EPOCHS * VIT_STEPS_PER_EPOCH
# the 1-D CNN: synthetic "reviews" (token ids), 10% of labels flipped, Adadelta at a constant LR
TXT_VOCAB, TXT_LEN, TXT_CUES, TXT_EMB, TXT_CH = 200, 40, 16, 32, 64
TXT_FLIP, TXT_TRAIN, TXT_VAL, TXT_TEST, TXT_BATCH, TXT_EPOCHS = 0.1, 1600, 400, 800, 32, 8
TXT_LOG_EVERY, TXT_PER, TXT_SPREAD = 10, 4, 0.3
TXT_STEPS_PER_EPOCH = TXT_TRAIN // TXT_BATCH
TXT_STEPS = TXT_EPOCHS * TXT_STEPS_PER_EPOCH


def noisy_labels(y: np.ndarray, classes: int, rate: float, rng: np.random.Generator
                 ) -> np.ndarray:
    """``y`` with a fraction ``rate`` of its labels replaced by another class, at random."""
    flip = rng.random(len(y)) < rate
    other = (y + rng.integers(1, classes, size=len(y))) % classes
    return np.where(flip, other, y)


# -- a small ViT on synthetic shapes, NAdamW with warmup + cosine, every 10 steps ----------------


@lru_cache(maxsize=None)
def shapes() -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """16x16 images of one shape of four kinds (a filled rectangle, a disc, a ring, a cross),
    at a random place, size and brightness (0.5 to 1), in Gaussian noise of deviation
    ``VIT_NOISE``; 10% of the labels flipped to another kind (the floor of the loss); split
    train / validation / test."""
    rng = np.random.default_rng(SEED)
    n = VIT_TRAIN + VIT_VAL + VIT_TEST
    yy, xx = np.mgrid[0:VIT_SIZE, 0:VIT_SIZE]
    y = rng.integers(0, VIT_CLASSES, size=n)
    img = np.zeros((n, VIT_SIZE, VIT_SIZE))
    for k in range(n):
        cy, cx = rng.uniform(5, VIT_SIZE - 5, size=2)
        r = rng.uniform(3, 5)
        if y[k] == 0:
            mask = (abs(yy - cy) <= r * 0.8) & (abs(xx - cx) <= r * rng.uniform(0.5, 1.0))
        elif y[k] == 1:
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2
        elif y[k] == 2:
            d = (yy - cy) ** 2 + (xx - cx) ** 2
            mask = (d <= r ** 2) & (d >= (r - 1.5) ** 2)
        else:
            mask = ((abs(yy - cy) <= 0.8) & (abs(xx - cx) <= r)) | \
                   ((abs(xx - cx) <= 0.8) & (abs(yy - cy) <= r))
        img[k][mask] = rng.uniform(0.5, 1.0)
    img += rng.normal(0.0, VIT_NOISE, size=img.shape)
    y = noisy_labels(y, VIT_CLASSES, VIT_FLIP, rng)
    x = torch.tensor(img, dtype=torch.float32)[:, None]
    t = torch.tensor(y)
    a, b = VIT_TRAIN, VIT_TRAIN + VIT_VAL
    return (x[:a], t[:a]), (x[a:b], t[a:b]), (x[b:], t[b:])


class ViT(nn.Module):
    """A small Vision Transformer: 4x4 patches embedded (a strided convolution) to d 32, a
    class token and learned positions, 2 pre-norm encoder layers of 4 heads (MLP 64), a
    LayerNorm and a linear head on the class token."""

    def __init__(self):
        super().__init__()
        tokens = (VIT_SIZE // VIT_PATCH) ** 2
        self.patch = nn.Conv2d(1, VIT_D, VIT_PATCH, VIT_PATCH)
        self.cls = nn.Parameter(torch.zeros(1, 1, VIT_D))
        self.pos = nn.Parameter(0.02 * torch.randn(1, tokens + 1, VIT_D))
        layer = nn.TransformerEncoderLayer(VIT_D, VIT_HEADS, 2 * VIT_D, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, VIT_LAYERS, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(VIT_D)
        self.head = nn.Linear(VIT_D, VIT_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.patch(x).flatten(2).transpose(1, 2)
        h = torch.cat([self.cls.expand(len(x), -1, -1), p], 1) + self.pos
        return self.head(self.norm(self.encoder(h)[:, 0]))


def vit_run(lr: float, seed: int = SEED) -> TestedRun:
    """The ViT: NAdam with decoupled weight decay 0.05 (timm's ``nadamw``), linear warmup over
    30 steps to ``lr`` then cosine to zero, 5 epochs of shuffled batches of 32 (60 steps an
    epoch), logged every 10 steps (that step's loss) with a ``val_loss`` at each epoch's end;
    the test cross-entropy the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = shapes()
    g = torch.Generator().manual_seed(seed)
    order = torch.cat([torch.randperm(VIT_TRAIN, generator=g) for _ in range(VIT_EPOCHS)]
                      ).view(-1, VIT_BATCH)
    torch.manual_seed(seed)
    model = ViT()
    opt = torch.optim.NAdam(model.parameters(), lr=lr, weight_decay=VIT_WD,
                            decoupled_weight_decay=True)

    @torch.no_grad()
    def ce(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(F.cross_entropy(model(x), y))

    def step_loss(i: int) -> torch.Tensor:
        return F.cross_entropy(model(xtr[order[i]]), ytr[order[i]])
    test0 = ce(xte, yte)
    log = train(model, opt, warmup_cosine(VIT_WARMUP, VIT_STEPS, floor=0.0), VIT_STEPS,
                step_loss, lambda: ce(xva, yva), VIT_STEPS_PER_EPOCH, None)
    return TestedRun(sampled_every(log, VIT_LOG_EVERY), test0, finite_or_inf(ce(xte, yte)))


# -- a 1-D CNN sentiment classifier of synthetic reviews, Adadelta, every 10 steps ---------------


@lru_cache(maxsize=None)
def reviews() -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """Synthetic "reviews": 40 token ids from a Zipf-like vocabulary of 200, four of them (at
    random places) drawn from 16 cue tokens, 8 positive and 8 negative (each a weight 0.5 to
    2); the class the sign of the summed cues plus logistic noise (scale 0.3), a "not" (token
    1) before a cue flipping it; 10% of the labels flipped (the floor of the loss); split
    train / validation / test."""
    rng = np.random.default_rng(SEED + 1000)
    n = TXT_TRAIN + TXT_VAL + TXT_TEST
    freq = 1.0 / np.arange(1, TXT_VOCAB + 1)
    tokens = rng.choice(TXT_VOCAB, size=(n, TXT_LEN), p=freq / freq.sum())
    cues = rng.choice(np.arange(10, TXT_VOCAB), size=TXT_CUES, replace=False)
    weight = np.zeros(TXT_VOCAB)
    weight[cues] = rng.uniform(0.5, 2.0, size=TXT_CUES) * np.repeat([1, -1], TXT_CUES // 2)
    # cues are rare under Zipf: put TXT_PER of them into each review at random places
    for k in range(n):
        at = rng.choice(TXT_LEN - 1, size=TXT_PER, replace=False) + 1
        tokens[k, at] = rng.choice(cues, size=TXT_PER)
    w = weight[tokens]
    negated = np.concatenate([np.zeros((n, 1), bool), tokens[:, :-1] == 1], 1)
    score = np.where(negated, -w, w).sum(1) + rng.logistic(0.0, TXT_SPREAD, size=n)
    y = noisy_labels((score > 0).astype(int), 2, TXT_FLIP, rng)
    x, t = torch.tensor(tokens), torch.tensor(y)
    a, b = TXT_TRAIN, TXT_TRAIN + TXT_VAL
    return (x[:a], t[:a]), (x[a:b], t[a:b]), (x[b:], t[b:])


class TextCNN(nn.Module):
    """Kim's CNN for sentences, small: an embedding of 32, one convolution of 64 filters of
    width 3, ReLU, max over time, a linear layer over the two classes."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(TXT_VOCAB, TXT_EMB)
        self.conv = nn.Conv1d(TXT_EMB, TXT_CH, 3, padding=1)
        self.out = nn.Linear(TXT_CH, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.conv(self.emb(x).transpose(1, 2)))
        return self.out(h.max(2).values)


def textcnn_run(lr: float, seed: int = SEED) -> TestedRun:
    """The 1-D CNN: Adadelta (rho 0.9, PyTorch's defaults) at a constant ``lr``, 8 epochs of
    shuffled batches of 32 (50 steps an epoch), logged every 10 steps with a ``val_loss`` at
    each epoch's end; the test cross-entropy the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = reviews()
    g = torch.Generator().manual_seed(seed)
    order = torch.cat([torch.randperm(TXT_TRAIN, generator=g) for _ in range(TXT_EPOCHS)]
                      ).view(-1, TXT_BATCH)
    torch.manual_seed(seed)
    model = TextCNN()
    opt = torch.optim.Adadelta(model.parameters(), lr=lr)

    @torch.no_grad()
    def ce(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(F.cross_entropy(model(x), y))

    def step_loss(i: int) -> torch.Tensor:
        return F.cross_entropy(model(xtr[order[i]]), ytr[order[i]])
    test0 = ce(xte, yte)
    log = train(model, opt, lambda step: 1.0, TXT_STEPS, step_loss, lambda: ce(xva, yva),
                TXT_STEPS_PER_EPOCH, None)
    return TestedRun(sampled_every(log, TXT_LOG_EVERY), test0, finite_or_inf(ce(xte, yte)))


# -- the plan and the manifest -------------------------------------------------------------------

VIT_RANGE, TXT_RANGE = (-4.0, -1.0), (-1.5, 1.5)


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("vit_shapes_nadamw_cosine", quarter_decades(*VIT_RANGE), VIT_STEPS, vit_run,
                   {"optimizer": "NAdam", "decoupled_weight_decay": True,
                    "weight_decay": VIT_WD, "batch_size": VIT_BATCH, "fine_tune": False,
                    "clip": None, "warmup_steps": VIT_WARMUP, "schedule": "cosine to 0",
                    "epochs": VIT_EPOCHS,
                    "logged": f"every {VIT_LOG_EVERY} steps (that step's loss), val_loss each "
                              "epoch",
                    "model": f"ViT: {VIT_PATCH}x{VIT_PATCH} patches, d {VIT_D}, {VIT_LAYERS} "
                             f"pre-norm layers, {VIT_HEADS} heads, class token",
                    "data": f"synthetic {VIT_SIZE}x{VIT_SIZE} rectangles, discs, rings and "
                            f"crosses in noise sd {VIT_NOISE:g}, {VIT_FLIP:.0%} of labels "
                            f"flipped: {VIT_TRAIN} train, {VIT_VAL} validation, "
                            f"{VIT_TEST} test"}),
        FreshSweep("textcnn_synthreviews_adadelta_const", quarter_decades(*TXT_RANGE),
                   TXT_STEPS, textcnn_run,
                   {"optimizer": "Adadelta", "rho": 0.9, "batch_size": TXT_BATCH,
                    "fine_tune": False, "clip": None, "warmup_steps": 0,
                    "schedule": "constant", "epochs": TXT_EPOCHS,
                    "logged": f"every {TXT_LOG_EVERY} steps (that step's loss), val_loss each "
                              "epoch",
                    "model": f"1-D CNN (Kim): embedding {TXT_EMB}, {TXT_CH} filters of width "
                             "3, max over time, linear",
                    "data": f"synthetic reviews: {TXT_LEN} tokens of a Zipf vocabulary of "
                            f"{TXT_VOCAB}, {TXT_CUES} cue tokens and a negator, "
                            f"{TXT_FLIP:.0%} of labels flipped: {TXT_TRAIN} train, "
                            f"{TXT_VAL} validation, {TXT_TEST} test"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"vit_shapes_nadamw_cosine": "classifier",
                 "textcnn_synthreviews_adadelta_const": "classifier"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 20's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
