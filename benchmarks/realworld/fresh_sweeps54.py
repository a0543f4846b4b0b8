"""Round 54's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps54 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 53) has, neither by name nor by model, loss and optimizer together: a **minGRU** byte LM
(Feng et al. 2024, "Were RNNs All We Needed?": a GRU whose gates read only the input, computed
by a parallel log-space scan; no earlier round) on the standard library's ``calendar.py`` under
PyTorch's **AdamW** (betas 0.9/0.95, weight decay 0.1) with a **warmup-stable-decay** schedule
(a **10% linear warmup**, the peak held, a linear decay to 0 over the last 20%) in **batches of
4 windows** (a loss with large step-to-step noise); a **frozen-backbone transfer** of round 41's
byte transformer pretrained here (the backbone frozen, a **new MLP head** trained alone: the
feature-extraction recipe; no earlier round trained a head on frozen features alone) telling
which of five standard-library modules a 32-byte window comes from, under PyTorch's **AdamW**
(its defaults) with a per-step cosine decay to 0; and a **Deep & Cross Network v2** (Wang et al.
2021: cross layers beside a deep MLP over field embeddings; no earlier round) predicting made
clicks with the binary cross-entropy under PyTorch's **Adam** with **MultiStepLR** (a tenth at
epochs 6 and 8), **logged once per epoch**. On data made here (no downloads; the texts ship
with Python). One is a transfer of a model pretrained here (its backbone frozen: marked
``fine_tune: false, frozen_backbone: true``), one logs once per epoch, one is a sequence model
(the minGRU LM; the transfer reads sequences through the pretrained attention model too).

- ``mingru_bytelm_calendar_adamw_wsd_b4``: a **minGRU** byte LM (byte embeddings of 64, 2
  pre-LayerNorm residual blocks of a minGRU of 64 units then a GELU feed-forward of 128, a final
  LayerNorm and a linear head; context 64) on the next bytes of ``calendar.py`` (non-ASCII as
  ``?``; ``fresh_sweeps41.block_windows``: blocks of 512 dealt 80/10/10, windows every 16 bytes
  in training, end to end in validation and test) under PyTorch's **AdamW** (betas 0.9/0.95,
  weight decay 0.1) at a peak ``lr``, **warmup-stable-decay**: 40 steps of linear warmup (10%),
  the peak held to step 320, then linear to 0 over the last 80; 400 steps of **4 windows**,
  logged every 10 steps with a ``val_loss`` every 50.
- ``gpt_frozen_head_modules_adamw_cos``: round 41's byte transformer (d 48, 2 pre-LayerNorm
  layers of 4 causal heads, feed-forward 128, context 64) **pretrained here** on ``zipfile.py``
  (``fresh_sweeps41.pretrained_lm``; the same weights for every run), **frozen** (no gradient,
  not in the optimizer); its final-LayerNorm features averaged over the window's positions feed
  a **new head** (48-64-5, GELU) telling which of ``heapq.py``, ``textwrap.py``, ``pprint.py``,
  ``gettext.py`` and ``csv.py`` a 32-byte window comes from (480 non-overlapping windows of
  each, dealt 80/10/10), cross-entropy, under PyTorch's **AdamW** (its defaults: weight decay
  0.01) at ``lr`` with a **cosine decay to 0 stepped every step**, 300 steps of 16, logged every
  10 steps with a ``val_loss`` every 50.
- ``dcnv2_clicks_bce_adam_multistep_epochs``: a **DCN-v2** (6 categorical fields embedded in 8
  each beside 4 dense features: a 52-wide input, 2 full-rank cross layers
  ``x0 * (W x + b) + x`` in parallel with a 52-64-64 ReLU MLP, both read by one logit) on
  **made clicks** (a click drawn from a logistic model of field effects, two field-pair
  interactions and a dense cross term: the floor is the draw's own noise), the binary
  cross-entropy under PyTorch's **Adam** (its defaults) at ``lr`` with **MultiStepLR** (a tenth
  after epochs 6 and 8), 32768 / 4096 / 8192 rows, batches of 256, **logged once per epoch** (10
  epochs of 128 steps: each epoch's mean training loss, a ``val_loss`` after it).

13 quarter-decade LRs each (every step 1.78x, so a best within 2x is a grid point), seed 50. The
grids were fixed from what users pick before any probe, then probed (the README's round 54
section gives the probes, any move of a grid, the seed noise at the bests and the labels).

The truth is the loss on a test split that no log holds; each log's ``val_loss`` comes from a
separate validation split, as in rounds 8 to 53 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh54.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r54made.jsonl``: the ``round54-made`` side of
the one-run diagnosis). The LM and the transfer train through ``fresh_sweeps31.minibatch_run``
(their ``LambdaLR`` stepped every step); the DCN through ``fresh_sweeps8.train_by_epoch``.

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 53's were; a
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

SEED = 50  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 49)
OUT = HERE / "sweeps_fresh54.json"
MANIFEST = HERE / "manifest_r54made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps54.py"

# a minGRU byte LM, AdamW + warmup-stable-decay, batches of 4 windows
MG_TEXT, MG_BLOCK, MG_CTX, MG_STRIDE = "calendar.py", 512, 64, 16
MG_D, MG_LAYERS, MG_FF = 64, 2, 128
MG_STEPS, MG_BATCH, MG_EVAL_EVERY, MG_WARMUP, MG_DECAY = 400, 4, 50, 40, 80
MG_BETAS, MG_WD = (0.9, 0.95), 0.1
# a frozen pretrained byte transformer, a new head telling modules apart, AdamW + cosine
FH_MODULES = ("heapq.py", "textwrap.py", "pprint.py", "gettext.py", "csv.py")
FH_CTX, FH_PER_MODULE, FH_HIDDEN = 32, 480, 64
FH_STEPS, FH_BATCH, FH_EVAL_EVERY = 300, 16, 50
# a DCN-v2 on made clicks, BCE, Adam + MultiStepLR per epoch
DC_CARDS, DC_DENSE, DC_EMBED, DC_CROSS, DC_HIDDEN = (20, 15, 10, 30, 8, 12), 4, 8, 2, 64
DC_TRAIN, DC_VAL, DC_TEST = 32768, 4096, 8192
DC_EPOCHS, DC_BATCH, DC_MILESTONES = 10, 256, (6, 8)


# -- a minGRU byte LM, AdamW + warmup-stable-decay, batches of 4 --------------------------------


@lru_cache(maxsize=None)
def calendar_windows() -> tuple[tuple, tuple, tuple]:
    """``MG_TEXT``'s windows (non-ASCII as ``?``; ``block_windows`` in blocks of
    ``MG_BLOCK``)."""
    return block_windows(ascii_stream(MG_TEXT), MG_CTX, MG_STRIDE, MG_BLOCK)


def log_g(x: torch.Tensor) -> torch.Tensor:
    """The log of minGRU's positive candidate map ``g`` (x + 0.5 above 0, sigmoid below)."""
    return torch.where(x >= 0, torch.log(F.relu(x) + 0.5), -F.softplus(-x))


class MinGRU(nn.Module):
    """minGRU: ``z = sigmoid(W_z x)``, ``h~ = g(W_h x)``, ``h_t = (1 - z) h_{t-1} + z h~`` from
    ``h_0 = 0``, all positions at once by the log-space scan (``logcumsumexp``), then a linear
    map out."""

    def __init__(self, d: int):
        super().__init__()
        self.gates = nn.Linear(d, 2 * d)
        self.out = nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, pre = self.gates(x).chunk(2, dim=-1)
        log_keep, log_z = -F.softplus(k), -F.softplus(-k)  # log(1 - z), log z
        a = torch.cumsum(log_keep, dim=1)
        log_h = a + torch.logcumsumexp(log_z + log_g(pre) - a, dim=1)
        return self.out(torch.exp(log_h))


class MinGRULM(nn.Module):
    """Byte embeddings, ``MG_LAYERS`` pre-LayerNorm residual blocks (a ``MinGRU``, then a GELU
    feed-forward of ``MG_FF``), a final LayerNorm and a linear head: the next byte's logits at
    each position."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(128, MG_D)
        self.blocks = nn.ModuleList(
            nn.ModuleList([nn.LayerNorm(MG_D), MinGRU(MG_D), nn.LayerNorm(MG_D),
                           nn.Sequential(nn.Linear(MG_D, MG_FF), nn.GELU(),
                                         nn.Linear(MG_FF, MG_D))])
            for _ in range(MG_LAYERS))
        self.norm = nn.LayerNorm(MG_D)
        self.head = nn.Linear(MG_D, 128)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.tok(x)
        for norm1, rnn, norm2, ff in self.blocks:
            h = h + rnn(norm1(h))
            h = h + ff(norm2(h))
        return self.head(self.norm(h))


def warmup_stable_decay(warmup: int, decay: int, total: int):
    """The LR factor at each step: linear warmup over ``warmup`` steps, 1 until the last
    ``decay`` steps, then linear to 0."""
    def factor(i: int) -> float:
        if i < warmup:
            return (i + 1) / warmup
        return min(1.0, (total - i) / decay)
    return factor


def mingru_run(lr: float, seed: int = SEED) -> TestedRun:
    """The minGRU LM under PyTorch's AdamW (betas ``MG_BETAS``, weight decay ``MG_WD``) at a
    peak ``lr`` shaped by ``warmup_stable_decay``, ``MG_STEPS`` steps of ``MG_BATCH`` shuffled
    windows, the next byte's cross-entropy, logged every 10 steps with a ``val_loss`` every
    ``MG_EVAL_EVERY``; the test windows' loss the truth."""
    splits = calendar_windows()
    order = shuffled_batches(len(splits[0][0]), MG_BATCH, MG_STEPS, seed)
    torch.manual_seed(seed)
    model = MinGRULM()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=MG_BETAS, weight_decay=MG_WD)
    factor = warmup_stable_decay(MG_WARMUP, MG_DECAY, MG_STEPS)
    return minibatch_run(model, opt, next_byte_loss, splits, order, MG_STEPS, MG_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor))


# -- a frozen pretrained byte transformer and a new head, AdamW + cosine -----------------------


@lru_cache(maxsize=None)
def module_windows() -> tuple[tuple, tuple, tuple]:
    """``FH_PER_MODULE`` non-overlapping ``FH_CTX``-byte windows of each of ``FH_MODULES``
    (non-ASCII as ``?``), each module's dealt at random (seed ``SEED``) 80/10/10; the label the
    module's index."""
    g = torch.Generator().manual_seed(SEED)
    parts: list[list[tuple[torch.Tensor, torch.Tensor]]] = [[], [], []]
    for k, name in enumerate(FH_MODULES):
        rows = ascii_stream(name)[:FH_PER_MODULE * FH_CTX].view(FH_PER_MODULE, FH_CTX)
        rows = rows[torch.randperm(FH_PER_MODULE, generator=g)]
        cuts = (0, int(0.8 * FH_PER_MODULE), int(0.9 * FH_PER_MODULE), FH_PER_MODULE)
        for s in range(3):
            part = rows[cuts[s]:cuts[s + 1]]
            parts[s].append((part, torch.full((len(part),), k)))
    return tuple((torch.cat([x for x, _ in p]), torch.cat([y for _, y in p]))  # type: ignore
                 for p in parts)


class FrozenBackboneClassifier(nn.Module):
    """Round 41's pretrained byte transformer, frozen (its weights need no gradient and stay in
    eval mode), its final-LayerNorm features averaged over the positions, and a new head
    48-``FH_HIDDEN``-classes (GELU): the only weights that train."""

    def __init__(self, backbone: nn.Module, classes: int):
        super().__init__()
        self.backbone = backbone.requires_grad_(False).eval()
        self.new_head = nn.Sequential(nn.Linear(FT_D, FH_HIDDEN), nn.GELU(),
                                      nn.Linear(FH_HIDDEN, classes))

    def train(self, mode: bool = True) -> "FrozenBackboneClassifier":
        super().train(mode)
        self.backbone.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lm, n = self.backbone, x.shape[1]
        with torch.no_grad():
            h = lm.tok(x) + lm.pos.weight[:n]
            h = lm.norm(lm.blocks(h, mask=lm.mask[:n, :n], is_causal=True)).mean(dim=1)
        return self.new_head(h)


def frozen_head_run(lr: float, seed: int = SEED) -> TestedRun:
    """The frozen backbone's new head under PyTorch's AdamW (its defaults) at ``lr`` annealed to
    0 by a cosine stepped every step, ``FH_STEPS`` steps of ``FH_BATCH`` shuffled windows, the
    module's cross-entropy, logged every 10 steps with a ``val_loss`` every ``FH_EVAL_EVERY``;
    the test windows' loss the truth."""
    splits = module_windows()
    weights = pretrained_lm()  # before the seed: pretraining draws from the global RNG
    order = shuffled_batches(len(splits[0][0]), FH_BATCH, FH_STEPS, seed)
    torch.manual_seed(seed)
    backbone = code_lm()
    backbone.load_state_dict(weights)
    model = FrozenBackboneClassifier(backbone, len(FH_MODULES))
    opt = torch.optim.AdamW(model.new_head.parameters(), lr=lr)
    return minibatch_run(model, opt, F.cross_entropy, splits, order, FH_STEPS, FH_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
                             o, FH_STEPS))


# -- a DCN-v2 on made clicks, BCE, Adam + MultiStepLR, per epoch --------------------------------


@lru_cache(maxsize=None)
def made_clicks() -> tuple[tuple, tuple, tuple]:
    """Rows of ``len(DC_CARDS)`` categorical fields (uniform over their cardinalities) and
    ``DC_DENSE`` Gaussian features; a click drawn from a logistic model: a base rate, each
    field value's own effect, the interactions of fields 0 x 1 and 2 x 3, a dense linear term
    and the dense product x0 * x1. Split ``DC_TRAIN`` / ``DC_VAL`` / ``DC_TEST``."""
    rng = np.random.default_rng(SEED)
    n = DC_TRAIN + DC_VAL + DC_TEST
    cats = np.stack([rng.integers(0, c, n) for c in DC_CARDS], axis=1)
    dense = rng.standard_normal((n, DC_DENSE))
    logit = -1.0 + sum(rng.normal(0, 1.0, c)[cats[:, f]] for f, c in enumerate(DC_CARDS))
    for a, b in ((0, 1), (2, 3)):
        logit += rng.normal(0, 1.5, (DC_CARDS[a], DC_CARDS[b]))[cats[:, a], cats[:, b]]
    logit += dense @ rng.normal(0, 0.5, DC_DENSE) + 0.8 * dense[:, 0] * dense[:, 1]
    click = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    return split3(DC_TRAIN, DC_VAL, torch.tensor(cats), torch.tensor(dense, dtype=torch.float32),
                  torch.tensor(click))


class DCNv2(nn.Module):
    """Deep & Cross Network v2 (parallel): field embeddings of ``DC_EMBED`` beside the dense
    features make ``x0``; ``DC_CROSS`` full-rank cross layers ``x0 * (W x + b) + x`` beside a
    ReLU MLP of two ``DC_HIDDEN`` layers; one logit of both."""

    def __init__(self):
        super().__init__()
        self.embed = nn.ModuleList(nn.Embedding(c, DC_EMBED) for c in DC_CARDS)
        width = len(DC_CARDS) * DC_EMBED + DC_DENSE
        self.cross = nn.ModuleList(nn.Linear(width, width) for _ in range(DC_CROSS))
        self.deep = nn.Sequential(nn.Linear(width, DC_HIDDEN), nn.ReLU(),
                                  nn.Linear(DC_HIDDEN, DC_HIDDEN), nn.ReLU())
        self.logit = nn.Linear(width + DC_HIDDEN, 1)

    def forward(self, cats: torch.Tensor, dense: torch.Tensor) -> torch.Tensor:
        x0 = torch.cat([e(cats[:, f]) for f, e in enumerate(self.embed)] + [dense], dim=1)
        x = x0
        for layer in self.cross:
            x = x0 * layer(x) + x
        return self.logit(torch.cat([x, self.deep(x0)], dim=1))[:, 0]


def dcn_run(lr: float, seed: int = SEED) -> TestedRun:
    """The DCN-v2 under PyTorch's Adam (its defaults) at ``lr``, MultiStepLR (a tenth after
    epochs ``DC_MILESTONES``) stepped each epoch, ``DC_EPOCHS`` epochs of ``DC_BATCH`` shuffled
    rows, the binary cross-entropy, **logged once per epoch** (its mean training loss, a
    ``val_loss`` after it); the test rows' loss the truth."""
    (ctr, dtr, ytr), (cva, dva, yva), (cte, dte, yte) = made_clicks()
    order = batches_of(DC_TRAIN, DC_BATCH, DC_EPOCHS, seed).view(DC_EPOCHS, -1, DC_BATCH)
    torch.manual_seed(seed)
    model = DCNv2()
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    @torch.no_grad()
    def evaluate(c: torch.Tensor, d: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(F.binary_cross_entropy_with_logits(model(c, d), y))

    test0 = evaluate(cte, dte, yte)
    log = train_by_epoch(
        model, opt, DC_EPOCHS, list(order),
        lambda idx: F.binary_cross_entropy_with_logits(model(ctr[idx], dtr[idx]), ytr[idx]),
        lambda: evaluate(cva, dva, yva),
        scheduler=lambda o: torch.optim.lr_scheduler.MultiStepLR(o, list(DC_MILESTONES), 0.1))
    return TestedRun(log, test0, finite_or_inf(evaluate(cte, dte, yte)), by_epoch=True)


# -- the plan and the manifest -------------------------------------------------------------------

MG_RANGE, FH_RANGE, DC_RANGE = (-3.5, -0.5), (-3.5, -0.5), (-3.0, 0.0)
EVERY = "every 10 steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("mingru_bytelm_calendar_adamw_wsd_b4", quarter_decades(*MG_RANGE), MG_STEPS,
                   mingru_run,
                   {"optimizer": "AdamW", "betas": list(MG_BETAS), "batch_size": MG_BATCH,
                    "fine_tune": False, "clip": None, "warmup_steps": MG_WARMUP,
                    "weight_decay": MG_WD,
                    "schedule": f"warmup-stable-decay: linear warmup {MG_WARMUP} steps (10%), "
                                f"constant, linear to 0 over the last {MG_DECAY} (per step)",
                    "loss": "next-byte cross-entropy",
                    "logged": f"{EVERY}, val_loss every {MG_EVAL_EVERY} steps",
                    "model": f"minGRU byte LM: embeddings {MG_D}, {MG_LAYERS} pre-LayerNorm "
                             f"blocks of a minGRU ({MG_D} units, log-space parallel scan) and "
                             f"a feed-forward {MG_FF}, context {MG_CTX}",
                    "data": f"{MG_TEXT} of the standard library in blocks of {MG_BLOCK} dealt "
                            "80/10/10"}),
        FreshSweep("gpt_frozen_head_modules_adamw_cos", quarter_decades(*FH_RANGE), FH_STEPS,
                   frozen_head_run,
                   {"optimizer": "AdamW", "batch_size": FH_BATCH, "fine_tune": False,
                    "frozen_backbone": True, "clip": None, "warmup_steps": 0,
                    "weight_decay": 0.01, "schedule": "cosine to 0 (per step)",
                    "loss": f"cross-entropy over {len(FH_MODULES)} modules",
                    "logged": f"{EVERY}, val_loss every {FH_EVAL_EVERY} steps",
                    "model": f"byte transformer d {FT_D}, {FT_LAYERS} layers, {FT_HEADS} "
                             f"heads, feed-forward {FT_FF}, context {FT_CTX}, pretrained here "
                             f"on zipfile.py (seed {PRETRAIN_SEED}), frozen; a new head "
                             f"{FT_D}-{FH_HIDDEN}-{len(FH_MODULES)} on its mean features "
                             "trained alone",
                    "data": f"{FH_PER_MODULE} windows of {FH_CTX} bytes of each of "
                            f"{', '.join(FH_MODULES)}, dealt 80/10/10"}),
        FreshSweep("dcnv2_clicks_bce_adam_multistep_epochs", quarter_decades(*DC_RANGE),
                   DC_EPOCHS, dcn_run,
                   {"optimizer": "Adam", "batch_size": DC_BATCH, "epochs": DC_EPOCHS,
                    "weight_decay": 0.0, "fine_tune": False, "clip": None, "warmup_steps": 0,
                    "schedule": f"MultiStepLR x0.1 after epochs {list(DC_MILESTONES)}",
                    "loss": "binary cross-entropy (logits)",
                    "logged": "once per epoch (its mean training loss), val_loss each epoch",
                    "model": f"DCN-v2: {len(DC_CARDS)} fields embedded in {DC_EMBED} and "
                             f"{DC_DENSE} dense features, {DC_CROSS} cross layers beside a "
                             f"{DC_HIDDEN}x2 ReLU MLP",
                    "data": f"made clicks: {DC_TRAIN} train, {DC_VAL} validation, {DC_TEST} "
                            "test"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"mingru_bytelm_calendar_adamw_wsd_b4": "lm_pretrain",
                 "gpt_frozen_head_modules_adamw_cos": "classifier",
                 "dcnv2_clicks_bce_adam_multistep_epochs": "classifier"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 54's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
