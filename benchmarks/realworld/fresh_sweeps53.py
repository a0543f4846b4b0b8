"""Round 53's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps53 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 52) has, neither by name nor by model, loss and optimizer together: a byte transformer LM
trained in **bfloat16 mixed precision** (``torch.autocast`` on the CPU: the matrix products in
bf16, the weights, optimizer state and loss in fp32; no earlier round) on the standard library's
``functools.py`` under PyTorch's **Adam** with a **long linear warmup (20% of the run)** and a
cosine decay, in **batches of 4 windows** (a loss with large step-to-step noise); an **Adagrad
fine-tune** (no earlier round fine-tuned under Adagrad) of round 41's byte transformer
pretrained here, on English prose at a constant LR (Adagrad's own per-weight decay); and a
**self-normalizing network** (Klambauer et al. 2017: SELU, LeCun-normal weights, alpha
dropout; no earlier round) classifying made tabular points with PyTorch's **``SoftMarginLoss``**
(the logistic loss of +-1 targets; no earlier round) under PyTorch's **SGD with momentum** and
a per-epoch cosine decay, **logged once per epoch**. On data made here (no downloads; the texts
ship with Python). One is a fine-tune of a model pretrained here, one logs once per epoch, two
are attention models on sequences (the bf16 LM and the fine-tuned LM).

- ``gpt_bytelm_bf16_adam_warmup20_cos_b4``: a byte transformer (``CausalTransformer``: d 48, 2
  pre-LayerNorm layers of 4 causal heads, feed-forward 128, context 64) on the next bytes of
  ``functools.py`` (blocks of 512 dealt 80/10/10, windows every 16 bytes in training), its
  forward pass under ``torch.autocast("cpu", dtype=torch.bfloat16)`` (the cross-entropy taken
  of the fp32 logits), under PyTorch's **Adam** (its defaults) at a peak ``lr``, a linear warmup
  over the first 20% of the steps then a cosine to a tenth, 400 steps of **4 windows**, logged
  every 10 steps with a ``val_loss`` every 50 (evaluated in bf16 too, as the test loss).
- ``gpt_adagrad_ft_prose``: round 41's byte transformer (d 48, 2 layers of 4 heads, feed-forward
  128, context 64) **pretrained here** on ``zipfile.py`` (``fresh_sweeps41.pretrained_lm``; the
  same weights for every run), every weight fine-tuned on the next bytes of English prose
  (blocks 160 to 240 of ``pydoc_data.topics``: after rounds 41's and 52's) under PyTorch's
  **Adagrad** (its defaults: no LR decay, initial accumulator 0) at a constant ``lr``, 200
  steps of 16 windows, logged every 10 steps with a ``val_loss`` every 50.
- ``snn_selu_softmargin_sgd_cos_epochs``: a **self-normalizing MLP** 24-64-64-64-1 (SELU,
  LeCun-normal weights, ``AlphaDropout`` 0.05 after each hidden layer) on **made points** of two
  overlapping classes (a label +-1 from the sign of a fixed random two-layer tanh map of 24
  Gaussian features plus noise: some labels flipped, the floor), PyTorch's **``SoftMarginLoss``**
  under PyTorch's **SGD** (momentum 0.9) at ``lr`` annealed to 0 by a cosine stepped each epoch
  (``train_by_epoch``'s "cosine"), 4096 / 1024 / 2048 points, batches of 32, **logged once per
  epoch** (12 epochs of 128 steps: each epoch's mean training loss, a ``val_loss`` after it).

13 quarter-decade LRs each (every step 1.78x, so a best within 2x is a grid point), seed 49. The
grids were fixed from what users pick before any probe, then probed (the README's round 53
section gives the probes, any move of a grid, the seed noise at the bests and the labels).

The truth is the loss on a test split that no log holds; each log's ``val_loss`` comes from a
separate validation split, as in rounds 8 to 52 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh53.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r53made.jsonl``: the ``round53-made`` side of
the one-run diagnosis). Both LMs train through ``fresh_sweeps31.minibatch_run`` (the bf16 LM's
``LambdaLR`` stepped every step); the SNN through ``fresh_sweeps8.train_by_epoch``.

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 52's were; a
retrain on other kernels drifts within the tests' retrained-truth tolerance (bf16 products round
more than fp32 ones, so the bf16 LM's drift may be larger).
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
from benchmarks.realworld.fresh_sweeps36 import CausalTransformer
from benchmarks.realworld.fresh_sweeps41 import (BLOCK, FT_CTX, FT_D, FT_FF, FT_HEADS,
                                                 FT_LAYERS, block_windows, code_lm,
                                                 next_byte_loss, pretrained_lm)
from benchmarks.realworld.made_tasks import python_docs, warmup_cosine
from benchmarks.realworld.make_runs import quarter_decades

SEED = 49  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 48)
OUT = HERE / "sweeps_fresh53.json"
MANIFEST = HERE / "manifest_r53made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps53.py"

# a bf16 mixed-precision byte LM, Adam + 20% warmup + cosine, batches of 4 windows
BF_TEXT, BF_BLOCK, BF_CTX, BF_STRIDE = "functools.py", 512, 64, 16
BF_D, BF_LAYERS, BF_HEADS, BF_FF = 48, 2, 4, 128
BF_STEPS, BF_BATCH, BF_EVAL_EVERY, BF_WARMUP = 400, 4, 50, 80
# an Adagrad fine-tune of round 41's byte transformer on later prose, constant LR
AG_BLOCKS, AG_STEPS, AG_BATCH, AG_EVAL_EVERY = (160, 240), 200, 16, 50
# a self-normalizing network, SoftMarginLoss, SGD momentum + per-epoch cosine
SN_DIM, SN_LATENT, SN_HIDDEN, SN_DEPTH, SN_DROP, SN_NOISE = 24, 16, 64, 3, 0.05, 0.3
SN_TRAIN, SN_VAL, SN_TEST = 4096, 1024, 2048
SN_EPOCHS, SN_BATCH, SN_MOMENTUM = 12, 32, 0.9


# -- a bf16 mixed-precision byte LM, Adam + 20% warmup + cosine, batches of 4 ------------------


@lru_cache(maxsize=None)
def bf16_windows() -> tuple[tuple, tuple, tuple]:
    """``BF_TEXT``'s windows (non-ASCII as ``?``; ``block_windows`` in blocks of
    ``BF_BLOCK``)."""
    return block_windows(ascii_stream(BF_TEXT), BF_CTX, BF_STRIDE, BF_BLOCK)


class BF16LM(nn.Module):
    """A ``CausalTransformer`` whose forward pass runs under CPU bfloat16 autocast, its logits
    returned in fp32 (the loss and the optimizer see fp32, as AMP's recipe has it)."""

    def __init__(self):
        super().__init__()
        self.lm = CausalTransformer(128, BF_CTX, BF_D, BF_LAYERS, BF_HEADS, BF_FF)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = self.lm(x)
        return out.float()


def bf16_lm_run(lr: float, seed: int = SEED) -> TestedRun:
    """The bf16 LM under PyTorch's Adam (its defaults) at a peak ``lr``, a linear warmup over
    ``BF_WARMUP`` steps then a cosine to a tenth, ``BF_STEPS`` steps of ``BF_BATCH`` shuffled
    windows, the next byte's cross-entropy, logged every 10 steps with a ``val_loss`` every
    ``BF_EVAL_EVERY``; the test windows' loss the truth."""
    splits = bf16_windows()
    order = shuffled_batches(len(splits[0][0]), BF_BATCH, BF_STEPS, seed)
    torch.manual_seed(seed)
    model = BF16LM()
    factor = warmup_cosine(BF_WARMUP, BF_STEPS)
    return minibatch_run(model, torch.optim.Adam(model.parameters(), lr=lr), next_byte_loss,
                         splits, order, BF_STEPS, BF_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor))


# -- an Adagrad fine-tune of round 41's byte transformer on later prose -------------------------


@lru_cache(maxsize=None)
def later_prose_windows() -> tuple[tuple, tuple, tuple]:
    """Blocks ``AG_BLOCKS`` of the documentation topics that ship with Python (after rounds 41's
    and 52's; non-ASCII as ``?``), ``block_windows`` of ``FT_CTX`` every ``FT_CTX // 2`` bytes
    in training."""
    docs = python_docs()[AG_BLOCKS[0] * BLOCK:AG_BLOCKS[1] * BLOCK]
    return block_windows(torch.where(docs < 128, docs, ord("?")), FT_CTX, FT_CTX // 2)


def adagrad_ft_run(lr: float, seed: int = SEED) -> TestedRun:
    """Round 41's byte transformer pretrained on ``zipfile.py``, every weight fine-tuned on the
    later prose's next bytes under PyTorch's Adagrad (its defaults) at a constant ``lr``,
    ``AG_STEPS`` steps of ``AG_BATCH`` shuffled windows, logged every 10 steps with a
    ``val_loss`` every ``AG_EVAL_EVERY``; the test windows' loss the truth."""
    splits = later_prose_windows()
    weights = pretrained_lm()  # before the seed: pretraining draws from the global RNG
    order = shuffled_batches(len(splits[0][0]), AG_BATCH, AG_STEPS, seed)
    torch.manual_seed(seed)
    model = code_lm()
    model.load_state_dict(weights)
    return minibatch_run(model, torch.optim.Adagrad(model.parameters(), lr=lr), next_byte_loss,
                         splits, order, AG_STEPS, AG_EVAL_EVERY)


# -- a self-normalizing network, SoftMarginLoss, SGD momentum + cosine, per epoch --------------


@lru_cache(maxsize=None)
def made_points() -> tuple[tuple, tuple, tuple]:
    """Points of ``SN_DIM`` Gaussian features, labelled +-1 by the sign of a fixed random
    two-layer tanh map (``SN_LATENT`` hidden units) plus Gaussian noise ``SN_NOISE`` (so some
    labels flip: the floor). Split ``SN_TRAIN`` / ``SN_VAL`` / ``SN_TEST``."""
    rng = np.random.default_rng(SEED)
    n = SN_TRAIN + SN_VAL + SN_TEST
    x = rng.standard_normal((n, SN_DIM))
    w1 = rng.standard_normal((SN_DIM, SN_LATENT)) / math.sqrt(SN_DIM) * 2.0
    w2 = rng.standard_normal(SN_LATENT) / math.sqrt(SN_LATENT)
    score = np.tanh(x @ w1) @ w2
    score = score / score.std() + SN_NOISE * rng.standard_normal(n)
    return split3(SN_TRAIN, SN_VAL, torch.tensor(x, dtype=torch.float32),
                  torch.tensor(np.where(score > 0, 1.0, -1.0), dtype=torch.float32))


def snn() -> nn.Module:
    """``SN_DEPTH`` hidden layers of ``SN_HIDDEN`` SELU units, each followed by
    ``AlphaDropout(SN_DROP)``, LeCun-normal weights and zero biases (the SNN paper's), one
    output: a margin a point."""
    layers: list[nn.Module] = []
    width = SN_DIM
    for _ in range(SN_DEPTH):
        layers += [nn.Linear(width, SN_HIDDEN), nn.SELU(), nn.AlphaDropout(SN_DROP)]
        width = SN_HIDDEN
    layers.append(nn.Linear(width, 1))
    model = nn.Sequential(*layers)
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, nonlinearity="linear")  # LeCun normal
            nn.init.zeros_(m.bias)
    return model


def soft_margin(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """PyTorch's ``SoftMarginLoss``: ``log(1 + exp(-y * out))`` averaged."""
    return F.soft_margin_loss(out[:, 0], y)


def snn_run(lr: float, seed: int = SEED) -> TestedRun:
    """The SNN under PyTorch's SGD (momentum ``SN_MOMENTUM``) at ``lr`` annealed to 0 by a
    cosine stepped each epoch, ``SN_EPOCHS`` epochs of ``SN_BATCH`` shuffled points,
    ``SoftMarginLoss``, **logged once per epoch** (its mean training loss, a ``val_loss`` after
    it); the test points' loss the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = made_points()
    order = batches_of(SN_TRAIN, SN_BATCH, SN_EPOCHS, seed).view(SN_EPOCHS, -1, SN_BATCH)
    torch.manual_seed(seed)
    model = snn()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=SN_MOMENTUM)

    @torch.no_grad()
    def evaluate(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(soft_margin(model(x), y))

    test0 = evaluate(xte, yte)
    log = train_by_epoch(model, opt, SN_EPOCHS, list(order),
                         lambda idx: soft_margin(model(xtr[idx]), ytr[idx]),
                         lambda: evaluate(xva, yva), schedule="cosine")
    return TestedRun(log, test0, finite_or_inf(evaluate(xte, yte)), by_epoch=True)


# -- the plan and the manifest -------------------------------------------------------------------

BF_RANGE, AG_RANGE, SN_RANGE = (-3.0, 0.0), (-3.0, 0.0), (-4.0, -1.0)
EVERY = "every 10 steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("gpt_bytelm_bf16_adam_warmup20_cos_b4", quarter_decades(*BF_RANGE), BF_STEPS,
                   bf16_lm_run,
                   {"optimizer": "Adam", "batch_size": BF_BATCH, "fine_tune": False,
                    "clip": None, "warmup_steps": BF_WARMUP, "weight_decay": 0.0,
                    "precision": "bf16 autocast (CPU)",
                    "schedule": "linear warmup 20% then cosine to 0.1x (per step)",
                    "loss": "next-byte cross-entropy",
                    "logged": f"{EVERY}, val_loss every {BF_EVAL_EVERY} steps",
                    "model": f"byte transformer d {BF_D}, {BF_LAYERS} layers, {BF_HEADS} "
                             f"heads, feed-forward {BF_FF}, context {BF_CTX}",
                    "data": f"{BF_TEXT} of the standard library in blocks of {BF_BLOCK} dealt "
                            "80/10/10"}),
        FreshSweep("gpt_adagrad_ft_prose", quarter_decades(*AG_RANGE), AG_STEPS, adagrad_ft_run,
                   {"optimizer": "Adagrad", "batch_size": AG_BATCH, "fine_tune": True,
                    "clip": None, "warmup_steps": 0, "weight_decay": 0.0,
                    "schedule": "constant (Adagrad's own per-weight decay)",
                    "loss": "next-byte cross-entropy",
                    "logged": f"{EVERY}, val_loss every {AG_EVAL_EVERY} steps",
                    "model": f"byte transformer d {FT_D}, {FT_LAYERS} layers, {FT_HEADS} "
                             f"heads, feed-forward {FT_FF}, context {FT_CTX}, pretrained here "
                             "on zipfile.py, every weight fine-tuned",
                    "data": f"blocks {AG_BLOCKS[0]} to {AG_BLOCKS[1]} of pydoc_data.topics "
                            "(English prose), dealt 80/10/10"}),
        FreshSweep("snn_selu_softmargin_sgd_cos_epochs", quarter_decades(*SN_RANGE), SN_EPOCHS,
                   snn_run,
                   {"optimizer": "SGD", "momentum": SN_MOMENTUM, "batch_size": SN_BATCH,
                    "epochs": SN_EPOCHS, "weight_decay": 0.0, "fine_tune": False,
                    "clip": None, "warmup_steps": 0, "schedule": "cosine to 0 per epoch",
                    "loss": "SoftMarginLoss (logistic, +-1 targets)",
                    "logged": "once per epoch (its mean training loss), val_loss each epoch",
                    "model": f"self-normalizing MLP {SN_DIM}-{SN_HIDDEN}x{SN_DEPTH}-1, SELU, "
                             f"LeCun normal, AlphaDropout {SN_DROP}",
                    "data": f"made points of two overlapping classes: {SN_TRAIN} train, "
                            f"{SN_VAL} validation, {SN_TEST} test"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"gpt_bytelm_bf16_adam_warmup20_cos_b4": "lm_pretrain",
                 "gpt_adagrad_ft_prose": "llm_finetune",
                 "snn_selu_softmargin_sgd_cos_epochs": "classifier"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 53's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
