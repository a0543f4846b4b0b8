"""Round 56's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps56 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 55) has, neither by name nor by model, loss and optimizer together: a **LLaMA-style** byte
transformer LM (rotary position embeddings, RMSNorm, a SwiGLU feed-forward: no earlier round
has any of the three) on the standard library's ``shutil.py`` under PyTorch's **AdamW** with the
LLaMA recipe (betas 0.9/0.95, weight decay 0.1, gradients clipped at 1) and a **long warmup**
(a quarter of the run) then a cosine to a tenth of the peak, in **batches of 4 windows**; a full
**RAdam fine-tune** of round 41's byte transformer pretrained here (on ``zipfile.py``) on the
next bytes of ``tokenize.py`` under PyTorch's **RAdam** (its defaults, no warmup: RAdam's own
rectification is its warmup) with a per-step cosine to 0 and no clipping (no earlier round fine-
tuned under RAdam); and a **Siamese encoder** scoring made pairs with PyTorch's
**CosineEmbeddingLoss** (no earlier round) under **Adamax** with a **MultiplicativeLR** (x0.8 an
epoch; no earlier round), **logged once per epoch**. On data made here (no downloads; the texts
ship with Python). One is a fine-tune of a model pretrained here, one logs once per epoch, one
is a sequence (attention) model.

- ``llama_bytelm_shutil_adamw_warm25cos_b4``: a LLaMA-style byte transformer (byte embeddings
  of 48, no learned positions, 2 pre-RMSNorm layers of 4 causal heads with rotary embeddings on
  queries and keys, a SwiGLU feed-forward of 128, a final RMSNorm and a linear head; context
  64) on the next bytes of ``shutil.py`` (non-ASCII as ``?``; ``fresh_sweeps41.block_windows``:
  blocks of 512 dealt 80/10/10, windows every 16 bytes in training) under PyTorch's **AdamW**
  (betas 0.9/0.95, weight decay 0.1) at a peak ``lr``, 100 steps of linear warmup (25%) then a
  cosine to 10% of the peak, gradients clipped at 1; 400 steps of **4 windows**, logged every
  10 steps with a ``val_loss`` every 50.
- ``gpt_ft_tokenize_radam_cos``: round 41's byte transformer (d 48, 2 pre-LayerNorm layers of 4
  causal heads, feed-forward 128, context 64) **pretrained here** on ``zipfile.py``
  (``fresh_sweeps41.pretrained_lm``; the same weights for every run), every weight fine-tuned
  on the next bytes of ``tokenize.py`` (blocks of 512 dealt 80/10/10, windows every 16 bytes in
  training) under PyTorch's **RAdam** (its defaults) at ``lr``, a per-step cosine to 0
  (``CosineAnnealingLR``), 300 steps of 16, no clipping, logged every 10 steps with a
  ``val_loss`` every 50.
- ``siamese_cosine_embedding_adamax_multiplicative_epochs``: a **Siamese encoder** (one MLP,
  24-64-64-16 ReLU, for both sides of a pair) on **made pairs** (rows of 24 features: one of 16
  classes' centres seen through a fixed random tanh map, plus noise; a pair's target +1 when
  its rows share a class, -1 when not, half and half: the classes overlap, so the floor is the
  noise's), PyTorch's **CosineEmbeddingLoss** (margin 0.2) under **Adamax** (its defaults) at
  ``lr``, a **MultiplicativeLR** (x0.8 after each epoch), 8192 / 2048 / 4096 pairs, batches of
  64, **logged once per epoch** (10 epochs of 128 steps: each epoch's mean training loss, a
  ``val_loss`` after it).

13 quarter-decade LRs each (every step 1.78x, so a best within 2x is a grid point), seed 52. The
grids were fixed from what users pick before any probe, then probed (the README's round 56
section gives the probes, any move of a grid, the seed noise at the bests and the labels).

The truth is the loss on a test split that no log holds; each log's ``val_loss`` comes from a
separate validation split, as in rounds 8 to 55 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh56.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r56made.jsonl``: the ``round56-made`` side of
the one-run diagnosis). The LM and the fine-tune train through ``fresh_sweeps31.minibatch_run``
(their scheduler stepped every step); the Siamese encoder through
``fresh_sweeps8.train_by_epoch``.

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 55's were; a
retrain on other kernels drifts within the tests' retrained-truth tolerance.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.realworld import HERE
from benchmarks.realworld.fresh_sweeps import FreshSweep, cli
from benchmarks.realworld.fresh_sweeps8 import (TestedRun, finite_or_inf, make,
                                                tested_manifest_rows, train_by_epoch)
from benchmarks.realworld.fresh_sweeps21 import batches_of, split3
from benchmarks.realworld.fresh_sweeps26 import ascii_stream
from benchmarks.realworld.fresh_sweeps31 import minibatch_run, shuffled_batches
from benchmarks.realworld.fresh_sweeps41 import (FT_CTX, FT_D, FT_FF, FT_HEADS, FT_LAYERS,
                                                 SEED as PRETRAIN_SEED, block_windows,
                                                 code_lm, next_byte_loss, pretrained_lm)
from benchmarks.realworld.make_runs import quarter_decades

SEED = 52  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 51)
OUT = HERE / "sweeps_fresh56.json"
MANIFEST = HERE / "manifest_r56made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps56.py"

# a LLaMA-style byte LM (RoPE, RMSNorm, SwiGLU), AdamW + 25% warmup / cosine to 10%, batch 4
LL_TEXT, LL_BLOCK, LL_CTX, LL_STRIDE = "shutil.py", 512, 64, 16
LL_D, LL_LAYERS, LL_HEADS, LL_FF = 48, 2, 4, 128
LL_STEPS, LL_BATCH, LL_EVAL_EVERY, LL_WARMUP, LL_FLOOR = 400, 4, 50, 100, 0.1
LL_BETAS, LL_WD, LL_CLIP = (0.9, 0.95), 0.1, 1.0
# round 41's pretrained byte transformer fine-tuned on tokenize.py, RAdam + cosine
RA_TEXT, RA_BLOCK, RA_STRIDE = "tokenize.py", 512, 16
RA_STEPS, RA_BATCH, RA_EVAL_EVERY = 300, 16, 50
# a Siamese encoder, CosineEmbeddingLoss, Adamax + MultiplicativeLR, per epoch
SI_FEATURES, SI_CLASSES, SI_LATENT, SI_WIDTH, SI_EMBED, SI_NOISE = 24, 16, 8, 64, 16, 1.0
SI_TRAIN, SI_VAL, SI_TEST, SI_EPOCHS, SI_BATCH = 8192, 2048, 4096, 10, 64
SI_MARGIN, SI_DECAY = 0.2, 0.8


# -- a LLaMA-style byte transformer LM, AdamW + long warmup / cosine, batches of 4 ---------------


@lru_cache(maxsize=None)
def shutil_windows() -> tuple[tuple, tuple, tuple]:
    """``LL_TEXT``'s windows (non-ASCII as ``?``; ``block_windows`` in blocks of
    ``LL_BLOCK``)."""
    return block_windows(ascii_stream(LL_TEXT), LL_CTX, LL_STRIDE, LL_BLOCK)


def rotary(n: int, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotary embeddings' cos and sin (n, dim): pair i of a head's channels turned by
    ``position * 10000 ** (-2 i / dim)``, halves rotated (the GPT-NeoX / LLaMA layout)."""
    inv = 10000.0 ** (-torch.arange(0, dim, 2) / dim)
    angle = torch.arange(n)[:, None] * inv[None, :]
    angle = torch.cat([angle, angle], dim=-1)
    return angle.cos(), angle.sin()


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    turned = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + turned * sin


class LlamaBlock(nn.Module):
    """A pre-RMSNorm block: causal self-attention of ``LL_HEADS`` heads with rotary queries and
    keys, then a SwiGLU feed-forward ``w2(silu(w1 x) * w3 x)`` of ``LL_FF``, each in a residual;
    no biases."""

    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = nn.RMSNorm(LL_D), nn.RMSNorm(LL_D)
        self.qkv = nn.Linear(LL_D, 3 * LL_D, bias=False)
        self.proj = nn.Linear(LL_D, LL_D, bias=False)
        self.w1 = nn.Linear(LL_D, LL_FF, bias=False)
        self.w3 = nn.Linear(LL_D, LL_FF, bias=False)
        self.w2 = nn.Linear(LL_FF, LL_D, bias=False)

    def forward(self, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        b, n, _ = h.shape
        q, k, v = (t.view(b, n, LL_HEADS, -1).transpose(1, 2)
                   for t in self.qkv(self.norm1(h)).chunk(3, dim=-1))
        att = F.scaled_dot_product_attention(rotate(q, cos, sin), rotate(k, cos, sin), v,
                                             is_causal=True)
        h = h + self.proj(att.transpose(1, 2).reshape(b, n, LL_D))
        x = self.norm2(h)
        return h + self.w2(F.silu(self.w1(x)) * self.w3(x))


class LlamaLM(nn.Module):
    """Byte embeddings (positions only by rotation), ``LL_LAYERS`` ``LlamaBlock`` s, a final
    RMSNorm and a linear head: the next byte's logits at each position."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(128, LL_D)
        self.blocks = nn.ModuleList(LlamaBlock() for _ in range(LL_LAYERS))
        self.norm = nn.RMSNorm(LL_D)
        self.head = nn.Linear(LL_D, 128, bias=False)
        cos, sin = rotary(LL_CTX, LL_D // LL_HEADS)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, h = x.shape[1], self.tok(x)
        for block in self.blocks:
            h = block(h, self.cos[:n], self.sin[:n])
        return self.head(self.norm(h))


def warmup_cosine_floor(warmup: int, steps: int, floor: float):
    """The LR factor at step s: linear from 1/warmup to 1 over ``warmup`` steps, then a cosine
    from 1 to ``floor`` at ``steps`` (the LLaMA recipe's shape)."""
    def factor(s: int) -> float:
        if s < warmup:
            return (s + 1) / warmup
        frac = min(1.0, (s - warmup) / max(1, steps - warmup))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * frac))
    return factor


def llama_run(lr: float, seed: int = SEED) -> TestedRun:
    """The LLaMA-style LM under PyTorch's AdamW (betas ``LL_BETAS``, weight decay ``LL_WD``)
    at a peak ``lr``, ``LL_WARMUP`` steps of linear warmup then a cosine to ``LL_FLOOR`` of
    the peak, gradients clipped at ``LL_CLIP``, ``LL_STEPS`` steps of ``LL_BATCH`` shuffled
    windows, the next byte's cross-entropy, logged every 10 steps with a ``val_loss`` every
    ``LL_EVAL_EVERY``; the test windows' loss the truth."""
    splits = shutil_windows()
    order = shuffled_batches(len(splits[0][0]), LL_BATCH, LL_STEPS, seed)
    torch.manual_seed(seed)
    model = LlamaLM()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=LL_BETAS, weight_decay=LL_WD)
    factor = warmup_cosine_floor(LL_WARMUP, LL_STEPS, LL_FLOOR)
    return minibatch_run(model, opt, next_byte_loss, splits, order, LL_STEPS, LL_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor),
                         clip=LL_CLIP)


# -- a RAdam fine-tune of round 41's byte transformer on tokenize.py ----------------------------


@lru_cache(maxsize=None)
def tokenize_windows() -> tuple[tuple, tuple, tuple]:
    """``RA_TEXT``'s windows of ``FT_CTX`` (non-ASCII as ``?``; ``block_windows`` in blocks of
    ``RA_BLOCK``, every ``RA_STRIDE`` bytes in training)."""
    return block_windows(ascii_stream(RA_TEXT), FT_CTX, RA_STRIDE, RA_BLOCK)


def radam_ft_run(lr: float, seed: int = SEED) -> TestedRun:
    """Round 41's byte transformer pretrained on ``zipfile.py``, every weight fine-tuned on
    ``RA_TEXT``'s next bytes under PyTorch's RAdam (its defaults) at ``lr``, a per-step cosine
    to 0, ``RA_STEPS`` steps of ``RA_BATCH`` shuffled windows, logged every 10 steps with a
    ``val_loss`` every ``RA_EVAL_EVERY``; the test windows' loss the truth."""
    splits = tokenize_windows()
    weights = pretrained_lm()  # before the seed: pretraining draws from the global RNG
    order = shuffled_batches(len(splits[0][0]), RA_BATCH, RA_STEPS, seed)
    torch.manual_seed(seed)
    model = code_lm()
    model.load_state_dict(weights)
    return minibatch_run(model, torch.optim.RAdam(model.parameters(), lr=lr), next_byte_loss,
                         splits, order, RA_STEPS, RA_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
                             o, RA_STEPS))


# -- a Siamese encoder, CosineEmbeddingLoss, Adamax + MultiplicativeLR, per epoch ---------------


@lru_cache(maxsize=None)
def made_pairs() -> tuple[tuple, tuple, tuple]:
    """Pairs of rows of ``SI_FEATURES``: each row one of ``SI_CLASSES`` classes' centres
    (Gaussian in ``SI_LATENT`` dimensions) seen through a fixed random map (``tanh`` of a
    linear map, then a second linear map) plus Gaussian noise of ``SI_NOISE``; the target +1
    when a pair's rows share a class, -1 when not (half each). Split ``SI_TRAIN`` /
    ``SI_VAL`` / ``SI_TEST``; x is (n, 2, ``SI_FEATURES``)."""
    rng = np.random.default_rng(SEED)
    n = SI_TRAIN + SI_VAL + SI_TEST
    centres = rng.standard_normal((SI_CLASSES, SI_LATENT))
    a = rng.normal(0, 1.5 / np.sqrt(SI_LATENT), (SI_LATENT, SI_FEATURES))
    b = rng.normal(0, 1 / np.sqrt(SI_FEATURES), (SI_FEATURES, SI_FEATURES))

    def rows(cls: np.ndarray) -> np.ndarray:
        z = centres[cls] + 0.3 * rng.standard_normal((len(cls), SI_LATENT))
        return np.tanh(z @ a) @ b * 2 + SI_NOISE * rng.standard_normal((len(cls), SI_FEATURES))

    first = rng.integers(0, SI_CLASSES, n)
    same = rng.random(n) < 0.5
    other = (first + rng.integers(1, SI_CLASSES, n)) % SI_CLASSES
    second = np.where(same, first, other)
    x = np.stack([rows(first), rows(second)], axis=1)
    y = np.where(same, 1.0, -1.0)
    return split3(SI_TRAIN, SI_VAL, torch.tensor(x, dtype=torch.float32),
                  torch.tensor(y, dtype=torch.float32))


def siamese_encoder() -> nn.Module:
    return nn.Sequential(nn.Linear(SI_FEATURES, SI_WIDTH), nn.ReLU(),
                         nn.Linear(SI_WIDTH, SI_WIDTH), nn.ReLU(),
                         nn.Linear(SI_WIDTH, SI_EMBED))


def siamese_run(lr: float, seed: int = SEED) -> TestedRun:
    """The Siamese encoder under PyTorch's Adamax (its defaults) at ``lr``, a MultiplicativeLR
    (x``SI_DECAY`` after each epoch), ``SI_EPOCHS`` epochs of ``SI_BATCH`` shuffled pairs,
    ``CosineEmbeddingLoss`` (margin ``SI_MARGIN``) of the two sides' embeddings, **logged once
    per epoch**; the test pairs' loss the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = made_pairs()
    order = batches_of(SI_TRAIN, SI_BATCH, SI_EPOCHS, seed).view(SI_EPOCHS, -1, SI_BATCH)
    torch.manual_seed(seed)
    model = siamese_encoder()
    opt = torch.optim.Adamax(model.parameters(), lr=lr)
    loss = nn.CosineEmbeddingLoss(margin=SI_MARGIN)

    def pair_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return loss(model(x[:, 0]), model(x[:, 1]), y)

    @torch.no_grad()
    def evaluate(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(pair_loss(x, y))

    test0 = evaluate(xte, yte)
    log = train_by_epoch(model, opt, SI_EPOCHS, list(order),
                         lambda idx: pair_loss(xtr[idx], ytr[idx]),
                         lambda: evaluate(xva, yva),
                         scheduler=lambda o: torch.optim.lr_scheduler.MultiplicativeLR(
                             o, lambda e: SI_DECAY))
    return TestedRun(log, test0, finite_or_inf(evaluate(xte, yte)), by_epoch=True)


# -- the plan and the manifest -------------------------------------------------------------------

LL_RANGE, RA_RANGE, SI_RANGE = (-3.0, 0.0), (-2.5, 0.5), (-3.0, 0.0)  # moved once: README
EVERY = "every 10 steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("llama_bytelm_shutil_adamw_warm25cos_b4", quarter_decades(*LL_RANGE),
                   LL_STEPS, llama_run,
                   {"optimizer": "AdamW", "betas": list(LL_BETAS), "batch_size": LL_BATCH,
                    "fine_tune": False, "clip": LL_CLIP, "warmup_steps": LL_WARMUP,
                    "weight_decay": LL_WD,
                    "schedule": f"linear warmup {LL_WARMUP} steps (25%), then cosine to "
                                f"{LL_FLOOR:g} of the peak (per step)",
                    "loss": "next-byte cross-entropy",
                    "logged": f"{EVERY}, val_loss every {LL_EVAL_EVERY} steps",
                    "model": f"LLaMA-style byte transformer: d {LL_D}, {LL_LAYERS} pre-RMSNorm "
                             f"layers of {LL_HEADS} causal heads (rotary embeddings), SwiGLU "
                             f"feed-forward {LL_FF}, context {LL_CTX}",
                    "data": f"{LL_TEXT} of the standard library in blocks of {LL_BLOCK} dealt "
                            "80/10/10"}),
        FreshSweep("gpt_ft_tokenize_radam_cos", quarter_decades(*RA_RANGE), RA_STEPS,
                   radam_ft_run,
                   {"optimizer": "RAdam", "batch_size": RA_BATCH, "fine_tune": True,
                    "clip": None, "warmup_steps": 0, "weight_decay": 0.0,
                    "schedule": "cosine to 0 (per step)",
                    "loss": "next-byte cross-entropy",
                    "logged": f"{EVERY}, val_loss every {RA_EVAL_EVERY} steps",
                    "model": f"byte transformer d {FT_D}, {FT_LAYERS} layers, {FT_HEADS} "
                             f"heads, feed-forward {FT_FF}, context {FT_CTX}, pretrained here "
                             f"on zipfile.py (seed {PRETRAIN_SEED}), every weight fine-tuned",
                    "data": f"{RA_TEXT} of the standard library in blocks of {RA_BLOCK} dealt "
                            "80/10/10"}),
        FreshSweep("siamese_cosine_embedding_adamax_multiplicative_epochs",
                   quarter_decades(*SI_RANGE), SI_EPOCHS, siamese_run,
                   {"optimizer": "Adamax", "batch_size": SI_BATCH, "epochs": SI_EPOCHS,
                    "weight_decay": 0.0, "fine_tune": False, "clip": None, "warmup_steps": 0,
                    "schedule": f"MultiplicativeLR: x{SI_DECAY} after each epoch",
                    "loss": f"CosineEmbeddingLoss (margin {SI_MARGIN}) of a pair's embeddings",
                    "logged": "once per epoch (its mean training loss), val_loss each epoch",
                    "model": f"Siamese MLP encoder {SI_FEATURES}-{SI_WIDTH}-{SI_WIDTH}-"
                             f"{SI_EMBED} (ReLU), shared by both sides",
                    "data": f"made pairs of {SI_CLASSES} overlapping classes: {SI_TRAIN} "
                            f"train, {SI_VAL} validation, {SI_TEST} test"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"llama_bytelm_shutil_adamw_warm25cos_b4": "lm_pretrain",
                 "gpt_ft_tokenize_radam_cos": "llm_finetune",
                 "siamese_cosine_embedding_adamax_multiplicative_epochs": "metric_learning"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 56's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
