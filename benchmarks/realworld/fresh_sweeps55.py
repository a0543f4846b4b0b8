"""Round 55's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps55 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 54) has, neither by name nor by model, loss and optimizer together: an **ALiBi** byte
transformer LM (Press et al. 2022: no position embeddings, each head's attention scores biased
by minus its slope times the distance; no earlier round) on the standard library's
``fractions.py`` under PyTorch's **AdamW** (its defaults) with a **15% linear warmup** then a
linear decay to 0, in **batches of 2 windows** (a loss with large step-to-step noise); a full
**RMSprop fine-tune** of round 41's byte transformer pretrained here (on ``zipfile.py``) on the
next bytes of ``ftplib.py``, every weight trained under PyTorch's **RMSprop** (its defaults: no
momentum, no clipping) with a **20% linear warmup** then a cosine to 0 (no earlier round fine-
tuned an LM's next bytes under RMSprop; round 46's RMSprop fine-tune was a preference loss); and
a **highway network** (Srivastava et al. 2015: gated carry layers; no earlier round) tagging
made rows with 8 labels under PyTorch's **MultiLabelSoftMarginLoss** (no earlier round) and
**Nesterov SGD** (momentum 0.9) with the word_language_model's **plateau** schedule (the LR a
quarter after each epoch whose validation loss is no new best), **logged once per epoch**. On
data made here (no downloads; the texts ship with Python). One is a fine-tune of a model
pretrained here, one logs once per epoch, one is a sequence (attention) model.

- ``alibi_bytelm_fractions_adamw_warmlin_b2``: an ALiBi byte transformer (byte embeddings of
  48, no position embeddings, 2 pre-LayerNorm layers of 4 causal heads with ALiBi slopes 1/4,
  1/16, 1/64, 1/256, feed-forward 128 GELU, a final LayerNorm and a linear head; context 64) on
  the next bytes of ``fractions.py`` (non-ASCII as ``?``; ``fresh_sweeps41.block_windows``:
  blocks of 512 dealt 80/10/10, windows every 16 bytes in training, end to end in validation
  and test) under PyTorch's **AdamW** (its defaults: betas 0.9/0.999, weight decay 0.01) at a
  peak ``lr``, 60 steps of linear warmup (15%) then linear to 0 (``made_tasks.warmup_linear``);
  400 steps of **2 windows**, logged every 10 steps with a ``val_loss`` every 50.
- ``gpt_ft_ftplib_rmsprop_warmcos``: round 41's byte transformer (d 48, 2 pre-LayerNorm layers
  of 4 causal heads, feed-forward 128, context 64) **pretrained here** on ``zipfile.py``
  (``fresh_sweeps41.pretrained_lm``; the same weights for every run), every weight fine-tuned
  on the next bytes of ``ftplib.py`` (blocks of 512 dealt 80/10/10, windows every 32 bytes in
  training) under PyTorch's **RMSprop** (its defaults) at a peak ``lr``, 60 steps of linear
  warmup (20%) then a cosine to 0 (``fresh_sweeps7.warmup_cosine_to_zero``), 300 steps of 16,
  no clipping, logged every 10 steps with a ``val_loss`` every 50.
- ``highway_multilabel_softmargin_nesterov_plateau_epochs``: a **highway network** (20 inputs
  to 64, 3 highway layers ``t * relu(W x) + (1 - t) * x`` with ``t = sigmoid(W_t x + b_t)``,
  ``b_t`` starting at -2, then 8 logits) on **made multi-label rows** (20 Gaussian features; 8
  labels each drawn from a logistic of a random two-layer tanh map of the features: the floor
  is the draw's own noise), PyTorch's **MultiLabelSoftMarginLoss** under **SGD** (Nesterov
  momentum 0.9) at ``lr``, the **plateau** schedule stepped each epoch, 8192 / 2048 / 4096
  rows, batches of 64, **logged once per epoch** (10 epochs of 128 steps: each epoch's mean
  training loss, a ``val_loss`` after it).

13 quarter-decade LRs each (every step 1.78x, so a best within 2x is a grid point), seed 51. The
grids were fixed from what users pick before any probe, then probed (the README's round 55
section gives the probes, any move of a grid, the seed noise at the bests and the labels).

The truth is the loss on a test split that no log holds; each log's ``val_loss`` comes from a
separate validation split, as in rounds 8 to 54 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh55.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r55made.jsonl``: the ``round55-made`` side of
the one-run diagnosis). The LM and the fine-tune train through ``fresh_sweeps31.minibatch_run``
(their ``LambdaLR`` stepped every step); the highway network through
``fresh_sweeps8.train_by_epoch``.

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 54's were; a
retrain on other kernels drifts within the tests' retrained-truth tolerance.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.realworld import HERE
from benchmarks.realworld.fresh_sweeps import FreshSweep, cli
from benchmarks.realworld.fresh_sweeps7 import warmup_cosine_to_zero
from benchmarks.realworld.fresh_sweeps8 import (TestedRun, finite_or_inf, make,
                                                tested_manifest_rows, train_by_epoch)
from benchmarks.realworld.fresh_sweeps21 import batches_of, split3
from benchmarks.realworld.fresh_sweeps26 import ascii_stream
from benchmarks.realworld.fresh_sweeps31 import minibatch_run, shuffled_batches
from benchmarks.realworld.fresh_sweeps41 import (FT_CTX, FT_D, FT_FF, FT_HEADS, FT_LAYERS,
                                                 SEED as PRETRAIN_SEED, block_windows,
                                                 code_lm, next_byte_loss, pretrained_lm)
from benchmarks.realworld.made_tasks import warmup_linear
from benchmarks.realworld.make_runs import quarter_decades

SEED = 51  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 50)
OUT = HERE / "sweeps_fresh55.json"
MANIFEST = HERE / "manifest_r55made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps55.py"

# an ALiBi byte transformer LM, AdamW + 15% warmup / linear decay, batches of 2 windows
AL_TEXT, AL_BLOCK, AL_CTX, AL_STRIDE = "fractions.py", 512, 64, 16
AL_D, AL_LAYERS, AL_HEADS, AL_FF = 48, 2, 4, 128
AL_STEPS, AL_BATCH, AL_EVAL_EVERY, AL_WARMUP = 400, 2, 50, 60
# round 41's pretrained byte transformer fine-tuned on ftplib.py, RMSprop + 20% warmup / cosine
RF_TEXT, RF_BLOCK, RF_STRIDE = "ftplib.py", 512, 32
RF_STEPS, RF_BATCH, RF_EVAL_EVERY, RF_WARMUP = 300, 16, 50, 60
# a highway network, 8 labels, MultiLabelSoftMarginLoss, Nesterov SGD + plateau, per epoch
HW_FEATURES, HW_LABELS, HW_LATENT, HW_WIDTH, HW_LAYERS, HW_GATE_BIAS = 20, 8, 16, 64, 3, -2.0
HW_TRAIN, HW_VAL, HW_TEST, HW_EPOCHS, HW_BATCH, HW_MOMENTUM = 8192, 2048, 4096, 10, 64, 0.9


# -- an ALiBi byte transformer LM, AdamW + warmup / linear decay, batches of 2 ------------------


@lru_cache(maxsize=None)
def fractions_windows() -> tuple[tuple, tuple, tuple]:
    """``AL_TEXT``'s windows (non-ASCII as ``?``; ``block_windows`` in blocks of
    ``AL_BLOCK``)."""
    return block_windows(ascii_stream(AL_TEXT), AL_CTX, AL_STRIDE, AL_BLOCK)


def alibi_bias(heads: int, n: int) -> torch.Tensor:
    """ALiBi's additive attention bias (heads, n, n): ``-slope_h * (i - j)`` where key j is not
    after query i, ``-inf`` after it; the slopes ``2 ** (-8 (h + 1) / heads)``."""
    slopes = 2.0 ** (-8.0 * torch.arange(1, heads + 1) / heads)
    dist = torch.arange(n)[:, None] - torch.arange(n)[None, :]
    bias = -slopes[:, None, None] * dist.clamp(min=0)
    return bias.masked_fill(dist < 0, float("-inf"))


class AlibiBlock(nn.Module):
    """A pre-LayerNorm block: causal self-attention of ``AL_HEADS`` heads biased by ALiBi, then
    a GELU feed-forward of ``AL_FF``, each in a residual."""

    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(AL_D), nn.LayerNorm(AL_D)
        self.qkv, self.proj = nn.Linear(AL_D, 3 * AL_D), nn.Linear(AL_D, AL_D)
        self.ff = nn.Sequential(nn.Linear(AL_D, AL_FF), nn.GELU(), nn.Linear(AL_FF, AL_D))

    def forward(self, h: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, n, _ = h.shape
        q, k, v = (t.view(b, n, AL_HEADS, -1).transpose(1, 2)
                   for t in self.qkv(self.norm1(h)).chunk(3, dim=-1))
        att = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        h = h + self.proj(att.transpose(1, 2).reshape(b, n, AL_D))
        return h + self.ff(self.norm2(h))


class AlibiLM(nn.Module):
    """Byte embeddings (no positions), ``AL_LAYERS`` ``AlibiBlock`` s, a final LayerNorm and a
    linear head: the next byte's logits at each position."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(128, AL_D)
        self.blocks = nn.ModuleList(AlibiBlock() for _ in range(AL_LAYERS))
        self.norm = nn.LayerNorm(AL_D)
        self.head = nn.Linear(AL_D, 128)
        self.register_buffer("bias", alibi_bias(AL_HEADS, AL_CTX), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, h = x.shape[1], self.tok(x)
        for block in self.blocks:
            h = block(h, self.bias[:, :n, :n])
        return self.head(self.norm(h))


def alibi_run(lr: float, seed: int = SEED) -> TestedRun:
    """The ALiBi LM under PyTorch's AdamW (its defaults) at a peak ``lr``, ``AL_WARMUP`` steps
    of linear warmup then linear to 0, ``AL_STEPS`` steps of ``AL_BATCH`` shuffled windows, the
    next byte's cross-entropy, logged every 10 steps with a ``val_loss`` every
    ``AL_EVAL_EVERY``; the test windows' loss the truth."""
    splits = fractions_windows()
    order = shuffled_batches(len(splits[0][0]), AL_BATCH, AL_STEPS, seed)
    torch.manual_seed(seed)
    model = AlibiLM()
    factor = warmup_linear(AL_WARMUP, AL_STEPS)
    return minibatch_run(model, torch.optim.AdamW(model.parameters(), lr=lr), next_byte_loss,
                         splits, order, AL_STEPS, AL_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor))


# -- an RMSprop fine-tune of round 41's byte transformer on ftplib.py ---------------------------


@lru_cache(maxsize=None)
def ftplib_windows() -> tuple[tuple, tuple, tuple]:
    """``RF_TEXT``'s windows of ``FT_CTX`` (non-ASCII as ``?``; ``block_windows`` in blocks of
    ``RF_BLOCK``, every ``RF_STRIDE`` bytes in training)."""
    return block_windows(ascii_stream(RF_TEXT), FT_CTX, RF_STRIDE, RF_BLOCK)


def rmsprop_ft_run(lr: float, seed: int = SEED) -> TestedRun:
    """Round 41's byte transformer pretrained on ``zipfile.py``, every weight fine-tuned on
    ``RF_TEXT``'s next bytes under PyTorch's RMSprop (its defaults) at a peak ``lr``,
    ``RF_WARMUP`` steps of linear warmup then a cosine to 0, ``RF_STEPS`` steps of ``RF_BATCH``
    shuffled windows, logged every 10 steps with a ``val_loss`` every ``RF_EVAL_EVERY``; the
    test windows' loss the truth."""
    splits = ftplib_windows()
    weights = pretrained_lm()  # before the seed: pretraining draws from the global RNG
    order = shuffled_batches(len(splits[0][0]), RF_BATCH, RF_STEPS, seed)
    torch.manual_seed(seed)
    model = code_lm()
    model.load_state_dict(weights)
    factor = warmup_cosine_to_zero(RF_WARMUP, RF_STEPS)
    return minibatch_run(model, torch.optim.RMSprop(model.parameters(), lr=lr), next_byte_loss,
                         splits, order, RF_STEPS, RF_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor))


# -- a highway network, MultiLabelSoftMarginLoss, Nesterov SGD + plateau, per epoch -------------


@lru_cache(maxsize=None)
def made_multilabel() -> tuple[tuple, tuple, tuple]:
    """``HW_FEATURES`` Gaussian features; ``HW_LABELS`` labels, each drawn from a logistic of
    a random two-layer map (``tanh`` of ``HW_LATENT`` projections, then a linear map and a bias
    per label). Split ``HW_TRAIN`` / ``HW_VAL`` / ``HW_TEST``."""
    rng = np.random.default_rng(SEED)
    n = HW_TRAIN + HW_VAL + HW_TEST
    x = rng.standard_normal((n, HW_FEATURES))
    z = np.tanh(x @ rng.normal(0, 1 / np.sqrt(HW_FEATURES) * 1.5, (HW_FEATURES, HW_LATENT)))
    logit = z @ rng.normal(0, 1.5, (HW_LATENT, HW_LABELS)) + rng.normal(0, 1.0, HW_LABELS)
    y = (rng.random((n, HW_LABELS)) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    return split3(HW_TRAIN, HW_VAL, torch.tensor(x, dtype=torch.float32), torch.tensor(y))


class Highway(nn.Module):
    """One highway layer: ``t * relu(W x + b) + (1 - t) * x``, the gate ``t = sigmoid(W_t x +
    b_t)`` with ``b_t`` starting at ``HW_GATE_BIAS`` (carry first, as the paper has it)."""

    def __init__(self, d: int):
        super().__init__()
        self.transform, self.gate = nn.Linear(d, d), nn.Linear(d, d)
        nn.init.constant_(self.gate.bias, HW_GATE_BIAS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = torch.sigmoid(self.gate(x))
        return t * F.relu(self.transform(x)) + (1 - t) * x


def highway_net() -> nn.Module:
    return nn.Sequential(nn.Linear(HW_FEATURES, HW_WIDTH),
                         *(Highway(HW_WIDTH) for _ in range(HW_LAYERS)),
                         nn.Linear(HW_WIDTH, HW_LABELS))


def highway_run(lr: float, seed: int = SEED) -> TestedRun:
    """The highway network under PyTorch's SGD (Nesterov momentum ``HW_MOMENTUM``) at ``lr``,
    the plateau schedule (``train_by_epoch``'s "plateau": a quarter after each epoch whose
    validation loss is no new best), ``HW_EPOCHS`` epochs of ``HW_BATCH`` shuffled rows,
    ``MultiLabelSoftMarginLoss``, **logged once per epoch**; the test rows' loss the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = made_multilabel()
    order = batches_of(HW_TRAIN, HW_BATCH, HW_EPOCHS, seed).view(HW_EPOCHS, -1, HW_BATCH)
    torch.manual_seed(seed)
    model = highway_net()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=HW_MOMENTUM, nesterov=True)
    loss = nn.MultiLabelSoftMarginLoss()

    @torch.no_grad()
    def evaluate(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(loss(model(x), y))

    test0 = evaluate(xte, yte)
    log = train_by_epoch(model, opt, HW_EPOCHS, list(order),
                         lambda idx: loss(model(xtr[idx]), ytr[idx]),
                         lambda: evaluate(xva, yva), schedule="plateau")
    return TestedRun(log, test0, finite_or_inf(evaluate(xte, yte)), by_epoch=True)


# -- the plan and the manifest -------------------------------------------------------------------

AL_RANGE, RF_RANGE, HW_RANGE = (-3.5, -0.5), (-4.0, -1.0), (-2.0, 1.0)  # moved once: README
EVERY = "every 10 steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("alibi_bytelm_fractions_adamw_warmlin_b2", quarter_decades(*AL_RANGE),
                   AL_STEPS, alibi_run,
                   {"optimizer": "AdamW", "batch_size": AL_BATCH, "fine_tune": False,
                    "clip": None, "warmup_steps": AL_WARMUP, "weight_decay": 0.01,
                    "schedule": f"linear warmup {AL_WARMUP} steps (15%), then linear to 0 "
                                "(per step)",
                    "loss": "next-byte cross-entropy",
                    "logged": f"{EVERY}, val_loss every {AL_EVAL_EVERY} steps",
                    "model": f"ALiBi byte transformer: d {AL_D}, {AL_LAYERS} pre-LayerNorm "
                             f"layers of {AL_HEADS} causal heads (ALiBi, no position "
                             f"embeddings), feed-forward {AL_FF}, context {AL_CTX}",
                    "data": f"{AL_TEXT} of the standard library in blocks of {AL_BLOCK} dealt "
                            "80/10/10"}),
        FreshSweep("gpt_ft_ftplib_rmsprop_warmcos", quarter_decades(*RF_RANGE), RF_STEPS,
                   rmsprop_ft_run,
                   {"optimizer": "RMSprop", "batch_size": RF_BATCH, "fine_tune": True,
                    "clip": None, "warmup_steps": RF_WARMUP, "weight_decay": 0.0,
                    "schedule": f"linear warmup {RF_WARMUP} steps (20%), then cosine to 0 "
                                "(per step)",
                    "loss": "next-byte cross-entropy",
                    "logged": f"{EVERY}, val_loss every {RF_EVAL_EVERY} steps",
                    "model": f"byte transformer d {FT_D}, {FT_LAYERS} layers, {FT_HEADS} "
                             f"heads, feed-forward {FT_FF}, context {FT_CTX}, pretrained here "
                             f"on zipfile.py (seed {PRETRAIN_SEED}), every weight fine-tuned",
                    "data": f"{RF_TEXT} of the standard library in blocks of {RF_BLOCK} dealt "
                            "80/10/10"}),
        FreshSweep("highway_multilabel_softmargin_nesterov_plateau_epochs",
                   quarter_decades(*HW_RANGE), HW_EPOCHS, highway_run,
                   {"optimizer": "SGD", "momentum": HW_MOMENTUM, "nesterov": True,
                    "batch_size": HW_BATCH, "epochs": HW_EPOCHS, "weight_decay": 0.0,
                    "fine_tune": False, "clip": None, "warmup_steps": 0,
                    "schedule": "plateau: x0.25 after each epoch whose val_loss is no new best",
                    "loss": f"MultiLabelSoftMarginLoss over {HW_LABELS} labels",
                    "logged": "once per epoch (its mean training loss), val_loss each epoch",
                    "model": f"highway network: {HW_FEATURES}-{HW_WIDTH}, {HW_LAYERS} highway "
                             f"layers of {HW_WIDTH} (gate bias {HW_GATE_BIAS}), {HW_LABELS} "
                             "logits",
                    "data": f"made multi-label rows: {HW_TRAIN} train, {HW_VAL} validation, "
                            f"{HW_TEST} test"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"alibi_bytelm_fractions_adamw_warmlin_b2": "lm_pretrain",
                 "gpt_ft_ftplib_rmsprop_warmcos": "llm_finetune",
                 "highway_multilabel_softmargin_nesterov_plateau_epochs": "classifier"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 55's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
