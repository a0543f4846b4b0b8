"""Round 51's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps51 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 50) has, neither by name nor by model, loss and optimizer together: a **linear-attention
transformer** (Katharopoulos et al. 2020: softmax attention replaced by the feature map elu + 1
and running sums; no earlier round had linear attention) byte LM on a standard-library module
under PyTorch's **AdamW with the LLM recipe** (betas 0.9/0.95, weight decay 0.1, clipping 1.0)
and a **long linear warmup** (15% of the run) then a cosine decay to a tenth; an **LP-FT
fine-tune** (Kumar et al. 2022: a linear probe fitted first on the frozen features, then every
weight fine-tuned from it; no earlier round fitted the head before fine-tuning, nor tagged each
byte) of round 41's byte transformer pretrained here, **tagging each byte** of another module
as code, string or comment, under PyTorch's **SGD with momentum 0.9 and a per-step cosine
decay to 0** (the LP-FT paper's optimizer); and a **capsule network** (Sabour et al. 2017:
primary capsules, dynamic routing, the margin loss; no earlier round had capsules) classifying
made images under PyTorch's **Adam** with **ExponentialLR 0.9 an epoch** (the CapsNet recipe),
**logged once per epoch**. On data made here (no downloads; the text ships with Python). One is
a fine-tune of a model pretrained here, one logs once per epoch, two are sequence models (the
LM and the tagger), both attention models.

- ``linattn_lm_httpclient_adamw_llm_warmcos``: a **linear-attention transformer** (d 48, 2
  pre-LayerNorm layers of 4 causal heads of elu + 1 linear attention, feed-forward 128 (GELU),
  learned positions, context 64, a final LayerNorm and a linear head) on the next bytes of the
  standard library's ``http/client.py`` (non-ASCII as ``?``; ``fresh_sweeps41.block_windows``:
  blocks of 1024 dealt 80/10/10, windows every 16 bytes in training, end to end in validation
  and test) under PyTorch's **AdamW** (betas 0.9/0.95, weight decay 0.1 on the matrices and
  embeddings, none on biases and LayerNorms; gradients clipped at 1.0) at a peak ``lr`` after a
  **linear warmup of 45 steps** (15% of the run), then a cosine decay to a tenth
  (``made_tasks.warmup_cosine``), 300 steps of 16, logged every 10 steps with a ``val_loss``
  every 50.
- ``gpt_lpft_tagging_pydoc_sgd_cos``: round 41's byte transformer (d 48, 2 pre-LayerNorm layers
  of 4 causal heads, feed-forward 128, context 64) **pretrained here** on ``zipfile.py``
  (``fresh_sweeps41.pretrained_lm``; the same weights for every run), its head replaced by a
  **linear probe** of 3 tags (code, string, comment: each byte's tag from Python's own
  ``tokenize`` of ``pydoc.py``) fitted once on the frozen features of the training windows
  (full-batch L-BFGS, 100 iterations, the same probe for every run), then **every weight
  fine-tuned** from it on each byte's tag (``block_windows`` of 64 every 32 bytes in training,
  end to end in validation and test) under PyTorch's **SGD** (momentum 0.9, no weight decay) at
  ``lr`` with a **cosine decay to 0 stepped every step**, 300 steps of 16, logged every 10 steps
  with a ``val_loss`` every 50.
- ``capsnet_shapes_margin_adam_exp_epochs``: a **capsule network** (a convolution of 16 of 5,
  ReLU; primary capsules: a convolution of 5, stride 2, to 8 capsule types of 4 dimensions on a
  3 by 3 grid (72 capsules, squashed); 4 class capsules of 8 dimensions by 3 iterations of
  **dynamic routing** by agreement; no reconstruction decoder) classifying **made 12 by 12
  images** of 4 shapes (a bar across, a bar down, a cross, a square's outline; moved at random,
  an intensity 0.6 to 1.4, Gaussian noise of 0.5 on every pixel), 10% of the labels moved to
  another shape (the floor); 2048 / 512 / 1024 images; the **margin loss** (m+ 0.9, m- 0.1,
  down-weighting 0.5, summed over classes, averaged over images) under PyTorch's **Adam** at
  ``lr``, multiplied by 0.9 after each epoch (``ExponentialLR``), batches of 64, **logged once
  per epoch** (15 epochs of 32 steps: each epoch's mean training loss, a ``val_loss`` after it).

13 quarter-decade LRs each (every step 1.78x, so a best within 2x is a grid point), seed 47. The
grids were fixed from what users pick before any probe, then probed (the README's round 51
section gives the probes, any move of a grid, the seed noise at the bests and the labels).

The truth is the loss on a test split that no log holds; each log's ``val_loss`` comes from a
separate validation split, as in rounds 8 to 50 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh51.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r51made.jsonl``: the ``round51-made`` side of
the one-run diagnosis). The LM and the tagger train through ``fresh_sweeps31.minibatch_run``
with the scheduler each steps every step; the capsule network through
``fresh_sweeps8.train_by_epoch`` with its ``ExponentialLR`` stepped once an epoch.

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 50's were; a
retrain on other kernels drifts within the tests' retrained-truth tolerance.
"""

from __future__ import annotations

import io
import tokenize
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
                                                 block_windows, code_lm, next_byte_loss,
                                                 pretrained_lm)
from benchmarks.realworld.made_tasks import warmup_cosine
from benchmarks.realworld.make_runs import quarter_decades

SEED = 47  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 46)
OUT = HERE / "sweeps_fresh51.json"
MANIFEST = HERE / "manifest_r51made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps51.py"
LOG_EVERY = 10

# a linear-attention byte LM under AdamW with the LLM recipe, long warmup + cosine
LA_TEXT, LA_CTX, LA_STRIDE = "http/client.py", 64, 16
LA_D, LA_LAYERS, LA_HEADS, LA_FF = 48, 2, 4, 128
LA_STEPS, LA_WARMUP, LA_BATCH, LA_EVAL_EVERY = 300, 45, 16, 50
LA_BETAS, LA_WD, LA_CLIP = (0.9, 0.95), 0.1, 1.0
# an LP-FT byte tagger: round 41's byte transformer, a linear probe then a full fine-tune, SGD
TG_TEXT, TG_TAGS, TG_PROBE_ITERS = "pydoc.py", 3, 100
TG_STEPS, TG_BATCH, TG_EVAL_EVERY, TG_MOMENTUM = 300, 16, 50, 0.9
# a capsule network classifying made images, Adam + ExponentialLR, logged once per epoch
CN_SIDE, CN_NOISE, CN_FLIP, CN_CLASSES = 12, 0.5, 0.1, 4
CN_TRAIN, CN_VAL, CN_TEST = 2048, 512, 1024
CN_CONV, CN_TYPES, CN_PRIMARY_DIM, CN_CLASS_DIM, CN_ROUTING = 16, 8, 4, 8, 3
CN_EPOCHS, CN_BATCH, CN_GAMMA = 15, 64, 0.9
CN_M_PLUS, CN_M_MINUS, CN_DOWN = 0.9, 0.1, 0.5


# -- a linear-attention byte LM, AdamW with the LLM recipe, long warmup + cosine -----------------


class LinearAttention(nn.Module):
    """Causal multi-head linear attention (Katharopoulos et al. 2020): queries and keys through
    the feature map elu + 1, each position reading the running sums of the keys' outer products
    with the values over the positions up to it, normalised by the running sum of the keys."""

    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).unbind(2)
        q, k = F.elu(q) + 1, F.elu(k) + 1
        kv = torch.einsum("bnhi,bnhj->bnhij", k, v).cumsum(1)
        num = torch.einsum("bnhi,bnhij->bnhj", q, kv)
        den = torch.einsum("bnhi,bnhi->bnh", q, k.cumsum(1))[..., None]
        return self.out((num / (den + 1e-6)).reshape(b, n, d))


class LinearBlock(nn.Module):
    """A pre-LayerNorm block: linear attention, then a feed-forward (GELU), each residual."""

    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(LA_D), nn.LayerNorm(LA_D)
        self.att = LinearAttention(LA_D, LA_HEADS)
        self.ff = nn.Sequential(nn.Linear(LA_D, LA_FF), nn.GELU(), nn.Linear(LA_FF, LA_D))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.att(self.norm1(x))
        return x + self.ff(self.norm2(x))


class LinearLM(nn.Module):
    """A byte embedding and learned positions, ``LA_LAYERS`` ``LinearBlock``, a final LayerNorm
    and a linear head: at each position the logits of the next byte."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(128, LA_D)
        self.pos = nn.Embedding(LA_CTX, LA_D)
        self.blocks = nn.Sequential(*[LinearBlock() for _ in range(LA_LAYERS)])
        self.norm = nn.LayerNorm(LA_D)
        self.head = nn.Linear(LA_D, 128)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.tok(x) + self.pos.weight[:x.shape[1]]
        return self.head(self.norm(self.blocks(h)))


@lru_cache(maxsize=None)
def client_windows() -> tuple[tuple, tuple, tuple]:
    """``LA_TEXT`` (non-ASCII as ``?``), ``block_windows`` of ``LA_CTX`` (every ``LA_STRIDE``
    bytes in training) and their next bytes."""
    return block_windows(ascii_stream(LA_TEXT), LA_CTX, LA_STRIDE)


def decayed_groups(model: nn.Module, wd: float) -> list[dict]:
    """Weight decay ``wd`` on the matrices and embeddings, none on biases and LayerNorms."""
    params = list(model.parameters())
    return [{"params": [p for p in params if p.dim() >= 2], "weight_decay": wd},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]


def linear_lm_run(lr: float, seed: int = SEED) -> TestedRun:
    """The linear-attention LM under PyTorch's AdamW (betas ``LA_BETAS``, weight decay
    ``LA_WD``, clipping ``LA_CLIP``: the LLM recipe) at a peak ``lr`` after a **linear warmup
    of ``LA_WARMUP`` steps** (15% of the run), then a cosine decay to a tenth, ``LA_STEPS``
    steps of ``LA_BATCH`` shuffled windows, logged every 10 steps with a ``val_loss`` every
    ``LA_EVAL_EVERY``; the test windows' loss the truth."""
    splits = client_windows()
    order = shuffled_batches(len(splits[0][0]), LA_BATCH, LA_STEPS, seed)
    torch.manual_seed(seed)
    model = LinearLM()
    opt = torch.optim.AdamW(decayed_groups(model, LA_WD), lr=lr, betas=LA_BETAS)
    factor = warmup_cosine(LA_WARMUP, LA_STEPS)
    return minibatch_run(model, opt, next_byte_loss, splits, order, LA_STEPS, LA_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor),
                         clip=LA_CLIP)


# -- an LP-FT byte tagger of round 41's byte transformer pretrained here, SGD + cosine ----------


def byte_tags(text: str) -> torch.Tensor:
    """Each character's tag from Python's own tokenizer: 1 inside a string literal (f-strings
    included), 2 inside a comment, 0 elsewhere (code, spaces, newlines)."""
    starts = np.cumsum([0] + [len(line) for line in text.splitlines(keepends=True)])
    tags = torch.zeros(len(text), dtype=torch.long)
    strings = {tokenize.STRING, getattr(tokenize, "FSTRING_START", -1),
               getattr(tokenize, "FSTRING_MIDDLE", -1), getattr(tokenize, "FSTRING_END", -1)}
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        tag = 1 if tok.type in strings else 2 if tok.type == tokenize.COMMENT else 0
        if tag:
            a = starts[tok.start[0] - 1] + tok.start[1]
            b = starts[tok.end[0] - 1] + tok.end[1]
            tags[a:b] = tag
    return tags


@lru_cache(maxsize=None)
def tagged_windows() -> tuple[tuple, tuple, tuple]:
    """``TG_TEXT`` (non-ASCII as ``?``) and each byte's ``byte_tags``, ``block_windows`` of
    ``FT_CTX`` (every ``FT_CTX // 2`` bytes in training): (the windows' bytes, their tags)."""
    stream = ascii_stream(TG_TEXT)
    tags = byte_tags(bytes(stream.tolist()).decode("ascii"))
    splits = block_windows(stream * TG_TAGS + tags, FT_CTX, FT_CTX // 2)
    return tuple((x // TG_TAGS, x % TG_TAGS) for x, _ in splits)


def tagger_body() -> nn.Module:
    """Round 41's byte transformer with its pretrained weights, its head a new linear layer
    of ``TG_TAGS`` (built from the global RNG)."""
    model = code_lm()
    model.load_state_dict(pretrained_lm())
    model.head = nn.Linear(FT_D, TG_TAGS)
    return model


@lru_cache(maxsize=None)
def linear_probe() -> dict[str, torch.Tensor]:
    """The LP of LP-FT: the new head fitted on the frozen pretrained features of the training
    windows (each byte's tag, the cross-entropy) by full-batch L-BFGS, ``TG_PROBE_ITERS``
    iterations (the same probe for every run)."""
    (x, y), _, _ = tagged_windows()
    torch.manual_seed(SEED)
    model = tagger_body()
    with torch.no_grad():
        feats = model.norm(model.blocks(model.tok(x) + model.pos.weight[:x.shape[1]],
                                        mask=model.mask, is_causal=True))
    head = model.head
    opt = torch.optim.LBFGS(head.parameters(), lr=1.0, max_iter=TG_PROBE_ITERS,
                            line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = next_byte_loss(head(feats), y)
        loss.backward()
        return loss
    opt.step(closure)
    return {k: v.detach().clone() for k, v in head.state_dict().items()}


def lpft_run(lr: float, seed: int = SEED) -> TestedRun:
    """Round 41's byte transformer pretrained on ``zipfile.py`` with the ``linear_probe`` head,
    every weight fine-tuned on each byte's tag under PyTorch's SGD (momentum ``TG_MOMENTUM``,
    no weight decay) at ``lr`` with a cosine decay to 0 stepped every step, ``TG_STEPS``
    steps of ``TG_BATCH`` shuffled windows, logged every 10 steps with a ``val_loss`` every
    ``TG_EVAL_EVERY``; the test windows' loss the truth."""
    splits = tagged_windows()
    probe = linear_probe()  # before the seed: pretraining draws from the global RNG
    order = shuffled_batches(len(splits[0][0]), TG_BATCH, TG_STEPS, seed)
    torch.manual_seed(seed)
    model = tagger_body()
    model.head.load_state_dict(probe)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=TG_MOMENTUM)
    return minibatch_run(model, opt, next_byte_loss, splits, order, TG_STEPS, TG_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
                             o, TG_STEPS))


# -- a capsule network classifying made images, Adam + ExponentialLR, logged once per epoch ----


@lru_cache(maxsize=None)
def shape_images() -> tuple[tuple, tuple, tuple]:
    """Made ``CN_SIDE`` by ``CN_SIDE`` images of ``CN_CLASSES`` shapes (a bar across, a bar
    down, a cross, a square's outline), each moved at random and drawn at an intensity 0.6 to
    1.4, Gaussian noise of ``CN_NOISE`` on every pixel; ``CN_FLIP`` of the labels moved to
    another shape at random (the floor). Split ``CN_TRAIN`` / ``CN_VAL`` / ``CN_TEST``."""
    rng = np.random.default_rng(SEED)
    n = CN_TRAIN + CN_VAL + CN_TEST
    shapes = rng.integers(0, CN_CLASSES, n)
    x = np.zeros((n, 1, CN_SIDE, CN_SIDE))
    for i, s in enumerate(shapes):
        size = int(rng.integers(5, 9))
        r, c = rng.integers(0, CN_SIDE - size + 1, 2)
        img, mid = x[i, 0, r:r + size, c:c + size], size // 2
        if s in (0, 2):
            img[mid, :] = 1.0
        if s in (1, 2):
            img[:, mid] = 1.0
        if s == 3:
            img[[0, -1], :] = 1.0
            img[:, [0, -1]] = 1.0
        x[i] *= rng.uniform(0.6, 1.4)
    x += CN_NOISE * rng.standard_normal(x.shape)
    flip = rng.random(n) < CN_FLIP
    labels = np.where(flip, (shapes + rng.integers(1, CN_CLASSES, n)) % CN_CLASSES, shapes)
    return split3(CN_TRAIN, CN_VAL, torch.tensor(x, dtype=torch.float32), torch.tensor(labels))


def squash(s: torch.Tensor) -> torch.Tensor:
    """The capsule non-linearity: each vector scaled to a length below 1, its direction kept."""
    n2 = s.pow(2).sum(-1, keepdim=True)
    return n2 / (1 + n2) * s / (n2 + 1e-8).sqrt()


class CapsNet(nn.Module):
    """A capsule network (Sabour et al. 2017) without the reconstruction decoder: a
    convolution of ``CN_CONV`` of 5 (ReLU), primary capsules (a convolution of 5, stride 2,
    to ``CN_TYPES`` types of ``CN_PRIMARY_DIM`` dimensions, squashed), ``CN_CLASSES`` class
    capsules of ``CN_CLASS_DIM`` dimensions by ``CN_ROUTING`` iterations of dynamic routing;
    ``forward`` returns the class capsules' lengths."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, CN_CONV, 5)
        self.primary = nn.Conv2d(CN_CONV, CN_TYPES * CN_PRIMARY_DIM, 5, stride=2)
        grid = ((CN_SIDE - 4) - 5) // 2 + 1
        self.W = nn.Parameter(0.1 * torch.randn(CN_TYPES * grid * grid, CN_CLASSES,
                                                CN_CLASS_DIM, CN_PRIMARY_DIM))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.primary(F.relu(self.conv(x)))
        b = u.shape[0]
        u = squash(u.view(b, CN_TYPES, CN_PRIMARY_DIM, -1).permute(0, 1, 3, 2)
                   .reshape(b, -1, CN_PRIMARY_DIM))
        u_hat = torch.einsum("ncdp,bnp->bncd", self.W, u)
        logits = torch.zeros(b, u_hat.shape[1], CN_CLASSES)
        for it in range(CN_ROUTING):
            c = logits.softmax(2)
            v = squash((c[..., None] * u_hat).sum(1))
            if it < CN_ROUTING - 1:
                logits = logits + (u_hat * v[:, None]).sum(-1)
        return v.norm(dim=-1)


def margin_loss(lengths: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """CapsNet's margin loss: the true class's capsule pushed past ``CN_M_PLUS``, the others
    below ``CN_M_MINUS`` (down-weighted by ``CN_DOWN``), summed over classes, averaged over
    images."""
    t = F.one_hot(y, CN_CLASSES).float()
    loss = (t * F.relu(CN_M_PLUS - lengths).pow(2)
            + CN_DOWN * (1 - t) * F.relu(lengths - CN_M_MINUS).pow(2))
    return loss.sum(1).mean()


def capsnet_run(lr: float, seed: int = SEED) -> TestedRun:
    """The capsule network under PyTorch's Adam at ``lr``, multiplied by ``CN_GAMMA`` after
    each epoch (``ExponentialLR``), ``CN_EPOCHS`` epochs of ``CN_BATCH`` shuffled images, the
    margin loss, **logged once per epoch** (its mean training loss, a ``val_loss`` after it);
    the test images' loss the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = shape_images()
    order = batches_of(CN_TRAIN, CN_BATCH, CN_EPOCHS, seed).view(CN_EPOCHS, -1, CN_BATCH)
    torch.manual_seed(seed)
    model = CapsNet()
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    @torch.no_grad()
    def evaluate(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(margin_loss(model(x), y))

    test0 = evaluate(xte, yte)
    log = train_by_epoch(model, opt, CN_EPOCHS, list(order),
                         lambda idx: margin_loss(model(xtr[idx]), ytr[idx]),
                         lambda: evaluate(xva, yva),
                         scheduler=lambda o: torch.optim.lr_scheduler.ExponentialLR(
                             o, CN_GAMMA))
    return TestedRun(log, test0, finite_or_inf(evaluate(xte, yte)), by_epoch=True)


# -- the plan and the manifest -------------------------------------------------------------------

LA_RANGE, TG_RANGE, CN_RANGE = (-3.0, 0.0), (-2.5, 0.5), (-4.0, -1.0)
EVERY = f"every {LOG_EVERY} steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("linattn_lm_httpclient_adamw_llm_warmcos", quarter_decades(*LA_RANGE),
                   LA_STEPS, linear_lm_run,
                   {"optimizer": "AdamW", "betas": list(LA_BETAS), "batch_size": LA_BATCH,
                    "fine_tune": False, "clip": LA_CLIP, "warmup_steps": LA_WARMUP,
                    "weight_decay": LA_WD,
                    "schedule": f"linear warmup {LA_WARMUP}, cosine decay to 0.1",
                    "loss": "next-byte cross-entropy",
                    "logged": f"{EVERY}, val_loss every {LA_EVAL_EVERY} steps",
                    "model": f"linear-attention transformer (elu+1) d {LA_D}, {LA_LAYERS} "
                             f"layers, {LA_HEADS} heads, feed-forward {LA_FF}, context "
                             f"{LA_CTX}",
                    "data": f"the standard library's {LA_TEXT}, blocks dealt 80/10/10"}),
        FreshSweep("gpt_lpft_tagging_pydoc_sgd_cos", quarter_decades(*TG_RANGE), TG_STEPS,
                   lpft_run,
                   {"optimizer": "SGD", "momentum": TG_MOMENTUM, "batch_size": TG_BATCH,
                    "fine_tune": True, "clip": None, "warmup_steps": 0,
                    "weight_decay": 0.0, "schedule": "cosine to 0 (per step)",
                    "loss": f"per-byte cross-entropy ({TG_TAGS} tags: code, string, comment)",
                    "logged": f"{EVERY}, val_loss every {TG_EVAL_EVERY} steps",
                    "model": f"byte transformer d {FT_D}, {FT_LAYERS} layers, {FT_HEADS} "
                             f"heads, feed-forward {FT_FF}, context {FT_CTX}, pretrained here "
                             "on zipfile.py, its head a linear probe fitted first (LP-FT)",
                    "data": f"the standard library's {TG_TEXT}, each byte tagged by "
                            "tokenize, blocks dealt 80/10/10"}),
        FreshSweep("capsnet_shapes_margin_adam_exp_epochs", quarter_decades(*CN_RANGE),
                   CN_EPOCHS, capsnet_run,
                   {"optimizer": "Adam", "batch_size": CN_BATCH, "epochs": CN_EPOCHS,
                    "weight_decay": 0.0, "fine_tune": False, "clip": None,
                    "warmup_steps": 0, "schedule": f"ExponentialLR {CN_GAMMA} per epoch",
                    "loss": f"margin loss (m+ {CN_M_PLUS}, m- {CN_M_MINUS}, {CN_DOWN})",
                    "logged": "once per epoch (its mean training loss), val_loss each epoch",
                    "model": f"capsule network: conv {CN_CONV}, {CN_TYPES} primary capsule "
                             f"types of {CN_PRIMARY_DIM}, {CN_CLASSES} class capsules of "
                             f"{CN_CLASS_DIM}, {CN_ROUTING} routing iterations",
                    "data": f"made {CN_SIDE}x{CN_SIDE} shape images ({CN_FLIP:.0%} labels "
                            f"moved): {CN_TRAIN} train, {CN_VAL} validation, {CN_TEST} "
                            "test"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"linattn_lm_httpclient_adamw_llm_warmcos": "lm_pretrain",
                 "gpt_lpft_tagging_pydoc_sgd_cos": "llm_finetune",
                 "capsnet_shapes_margin_adam_exp_epochs": "classifier"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 51's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
