"""Round 52's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps52 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 51) has, neither by name nor by model, loss and optimizer together: a **Set Transformer**
(Lee et al. 2019: induced set attention blocks and attention pooling; no earlier round had one)
counting the clusters of made point sets with PyTorch's **Huber loss** (``SmoothL1Loss``; no
earlier round) under PyTorch's **AdamW** and **OneCycleLR** (a long warmup: 30% of the run), in
**batches of 4 sets** (a loss with large step-to-step noise); a **SAM fine-tune** (sharpness-aware
minimization, Foret et al. 2021: each step's gradient taken at weights moved ``rho`` up the
gradient; no earlier round) of round 41's byte transformer pretrained here, on English prose
under **SGD with momentum** and a per-step cosine decay; and a **Siamese encoder** trained on
made pairs with PyTorch's **``HingeEmbeddingLoss``** of the pair distance (no earlier
round) under PyTorch's **RMSprop** with the LR divided by 4 after each epoch whose validation
loss is no new best (``ReduceLROnPlateau``), **logged once per epoch**. On data made here (no
downloads; the text ships with Python). One is a fine-tune of a model pretrained here, one logs
once per epoch, two are attention models (the Set Transformer and the fine-tuned LM, a
sequence model).

- ``settransformer_count_huber_adamw_onecycle``: a **Set Transformer** (a linear embedding of
  each point to d 32, 2 induced set attention blocks of 8 inducing points and 4 heads,
  attention pooling by 1 seed, a linear head) reading **made sets of 24 points in 2-D** drawn
  around 1 to 4 cluster centres (centres uniform in a square of side 8, points spread 0.8
  around them: clusters overlap, so the count is uncertain: the floor) and regressing the
  number of clusters with the **Huber loss** (beta 1) under PyTorch's **AdamW** (its defaults:
  betas 0.9/0.999, weight decay 0.01) and **``OneCycleLR``** at a peak ``lr`` (PyTorch's
  defaults: 30% of the run warming up from ``lr / 25`` with the momentum cycled 0.95 to 0.85,
  then a cosine to ``lr / 25e4``), 400 steps of **4 sets**, logged every 10 steps with a
  ``val_loss`` every 50.
- ``gpt_sam_ft_prose_sgd_cos``: round 41's byte transformer (d 48, 2 pre-LayerNorm layers of 4
  causal heads, feed-forward 128, context 64) **pretrained here** on ``zipfile.py``
  (``fresh_sweeps41.pretrained_lm``; the same weights for every run), every weight fine-tuned on
  the next bytes of English prose (blocks 80 to 160 of ``pydoc_data.topics``: not round 41's
  first 80) under **SAM** (``rho`` 0.05, the SAM paper's: the gradient taken at the weights
  moved ``rho`` along the normalised gradient, written here in torch with ``functional_call``)
  over PyTorch's **SGD** (momentum 0.9, no weight decay) at ``lr`` with a **cosine decay to 0**
  stepped every step, 200 steps of 16 windows, logged every 10 steps (the loss at the unmoved
  weights) with a ``val_loss`` every 50.
- ``siamese_pairs_hingeemb_rmsprop_plateau_epochs``: a **Siamese encoder** (one MLP 32-64-64-16,
  ReLU, applied to both sides of a pair) trained on **made pairs** of points of 24 overlapping
  classes (centres N(0, 1) in 8 latent dimensions, points spread 0.8 around them, seen through
  a fixed random tanh map to 32 features plus noise of 0.1), a pair's target +1 when both come
  from one class (half the pairs) and -1 otherwise, with PyTorch's
  **``HingeEmbeddingLoss``** of the embeddings' Euclidean distance (margin 1) under PyTorch's
  **RMSprop** (its defaults: alpha 0.99, no momentum) at ``lr``, divided by 4 after each epoch
  whose validation loss is no new best (``ReduceLROnPlateau(factor=0.25, patience=0)``,
  ``train_by_epoch``'s "plateau"), 4096 / 1024 / 2048 pairs, batches of 64, **logged once per
  epoch** (15 epochs of 64 steps: each epoch's mean training loss, a ``val_loss`` after it).

13 quarter-decade LRs each (every step 1.78x, so a best within 2x is a grid point), seed 48. The
grids were fixed from what users pick before any probe, then probed (the README's round 52
section gives the probes, any move of a grid, the seed noise at the bests and the labels).

The truth is the loss on a test split that no log holds; each log's ``val_loss`` comes from a
separate validation split, as in rounds 8 to 51 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh52.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r52made.jsonl``: the ``round52-made`` side of
the one-run diagnosis). The Set Transformer trains through ``fresh_sweeps31.minibatch_run``
with its ``OneCycleLR`` stepped every step; the SAM fine-tune through ``made_tasks.train`` (its
step's loss carries SAM's gradient); the Siamese encoder through ``fresh_sweeps8.train_by_epoch``.

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 51's were; a
retrain on other kernels drifts within the tests' retrained-truth tolerance.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from torch import nn
from torch.func import functional_call
from torch.nn import functional as F

from benchmarks.realworld import HERE
from benchmarks.realworld.fresh_sweeps import FreshSweep, cli
from benchmarks.realworld.fresh_sweeps8 import (TestedRun, finite_or_inf, make,
                                                tested_manifest_rows, train_by_epoch)
from benchmarks.realworld.fresh_sweeps10 import sampled_every
from benchmarks.realworld.fresh_sweeps21 import batches_of, split3
from benchmarks.realworld.fresh_sweeps31 import minibatch_run, shuffled_batches
from benchmarks.realworld.fresh_sweeps41 import (BLOCK, FT_CTX, FT_D, FT_FF, FT_HEADS,
                                                 FT_LAYERS, block_windows, code_lm,
                                                 next_byte_loss, pretrained_lm)
from benchmarks.realworld.made_tasks import python_docs, train
from benchmarks.realworld.make_runs import quarter_decades

SEED = 48  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 47)
OUT = HERE / "sweeps_fresh52.json"
MANIFEST = HERE / "manifest_r52made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps52.py"
LOG_EVERY = 10

# a Set Transformer counting clusters, Huber loss, AdamW + OneCycleLR, batches of 4 sets
ST_POINTS, ST_MAX_K, ST_BOX, ST_SPREAD = 24, 4, 8.0, 0.8
ST_TRAIN, ST_VAL, ST_TEST = 2000, 500, 1000
ST_D, ST_HEADS, ST_INDUCING, ST_BLOCKS = 32, 4, 8, 2
ST_STEPS, ST_BATCH, ST_EVAL_EVERY = 400, 4, 50
# a SAM fine-tune of round 41's byte transformer on prose, SGD momentum + per-step cosine
SM_BLOCKS, SM_RHO, SM_MOMENTUM = (80, 160), 0.05, 0.9
SM_STEPS, SM_BATCH, SM_EVAL_EVERY = 200, 16, 50
# a Siamese encoder on made pairs, HingeEmbeddingLoss, RMSprop + ReduceLROnPlateau, per epoch
SI_CLASSES, SI_LATENT, SI_DIM, SI_SPREAD, SI_NOISE = 24, 8, 32, 0.8, 0.1
SI_HIDDEN, SI_EMBED, SI_MARGIN = 64, 16, 1.0
SI_TRAIN, SI_VAL, SI_TEST = 4096, 1024, 2048
SI_EPOCHS, SI_BATCH = 15, 64


# -- a Set Transformer counting clusters, Huber loss, AdamW + OneCycleLR ------------------------


@lru_cache(maxsize=None)
def cluster_sets() -> tuple[tuple, tuple, tuple]:
    """Made sets of ``ST_POINTS`` 2-D points around 1 to ``ST_MAX_K`` centres (uniform in a
    square of side ``ST_BOX``; each point's centre drawn at random among them, spread
    ``ST_SPREAD``), the target the number of centres. Split ``ST_TRAIN`` / ``ST_VAL`` /
    ``ST_TEST``."""
    rng = np.random.default_rng(SEED)
    n = ST_TRAIN + ST_VAL + ST_TEST
    k = rng.integers(1, ST_MAX_K + 1, n)
    centres = rng.uniform(-ST_BOX / 2, ST_BOX / 2, (n, ST_MAX_K, 2))
    which = (rng.random((n, ST_POINTS)) * k[:, None]).astype(int)
    x = (np.take_along_axis(centres, which[..., None], 1)
         + ST_SPREAD * rng.standard_normal((n, ST_POINTS, 2)))
    return split3(ST_TRAIN, ST_VAL, torch.tensor(x, dtype=torch.float32),
                  torch.tensor(k, dtype=torch.float32))


class MAB(nn.Module):
    """The Set Transformer's multihead attention block: ``x`` attending to ``y``, each of the
    attention and a feed-forward residual and LayerNormed (post-norm, as the paper's code)."""

    def __init__(self):
        super().__init__()
        self.att = nn.MultiheadAttention(ST_D, ST_HEADS, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(ST_D, ST_D), nn.ReLU())
        self.norm1, self.norm2 = nn.LayerNorm(ST_D), nn.LayerNorm(ST_D)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x + self.att(x, y, y, need_weights=False)[0])
        return self.norm2(h + self.ff(h))


class ISAB(nn.Module):
    """An induced set attention block: ``ST_INDUCING`` learned points attend to the set, the
    set attends to what they read (cost linear in the set's size)."""

    def __init__(self):
        super().__init__()
        self.inducing = nn.Parameter(torch.randn(1, ST_INDUCING, ST_D) / math.sqrt(ST_D))
        self.read, self.write = MAB(), MAB()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.write(x, self.read(self.inducing.expand(len(x), -1, -1), x))


class SetTransformer(nn.Module):
    """A linear embedding of each point, ``ST_BLOCKS`` ``ISAB``, pooling by attention of one
    learned seed (PMA), a linear head: one number a set."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(2, ST_D)
        self.blocks = nn.Sequential(*[ISAB() for _ in range(ST_BLOCKS)])
        self.seed = nn.Parameter(torch.randn(1, 1, ST_D) / math.sqrt(ST_D))
        self.pool = MAB()
        self.head = nn.Linear(ST_D, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.embed(x))
        return self.head(self.pool(self.seed.expand(len(x), -1, -1), h))[:, 0, 0]


def huber(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.smooth_l1_loss(out, y)


def set_count_run(lr: float, seed: int = SEED) -> TestedRun:
    """The Set Transformer under PyTorch's AdamW (its defaults) and ``OneCycleLR`` peaking at
    ``lr`` (its defaults: 30% warmup from ``lr / 25``, momentum cycled, a cosine down),
    ``ST_STEPS`` steps of ``ST_BATCH`` shuffled sets, the Huber loss, logged every 10 steps
    with a ``val_loss`` every ``ST_EVAL_EVERY``; the test sets' loss the truth."""
    splits = cluster_sets()
    order = shuffled_batches(ST_TRAIN, ST_BATCH, ST_STEPS, seed)
    torch.manual_seed(seed)
    model = SetTransformer()
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    return minibatch_run(model, opt, huber, splits, order, ST_STEPS, ST_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.OneCycleLR(
                             o, max_lr=lr, total_steps=ST_STEPS))


# -- a SAM fine-tune of round 41's byte transformer on prose, SGD momentum + cosine ------------


@lru_cache(maxsize=None)
def later_prose_windows() -> tuple[tuple, tuple, tuple]:
    """Blocks ``SM_BLOCKS`` of the documentation topics that ship with Python (after round
    41's; non-ASCII as ``?``), ``block_windows`` of ``FT_CTX`` every ``FT_CTX // 2`` bytes in
    training."""
    docs = python_docs()[SM_BLOCKS[0] * BLOCK:SM_BLOCKS[1] * BLOCK]
    return block_windows(torch.where(docs < 128, docs, ord("?")), FT_CTX, FT_CTX // 2)


def sam_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, rho: float) -> torch.Tensor:
    """SAM's step loss: its value the loss at the weights ``w``, its gradient the loss's at
    ``w + rho g / |g|`` (``g`` the gradient at ``w``, held fixed), as SAM's two passes give."""
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    params = [p for n, p in model.named_parameters() if p.requires_grad]
    loss = next_byte_loss(model(x), y)
    grads = torch.autograd.grad(loss, params)
    norm = torch.sqrt(sum(g.pow(2).sum() for g in grads))
    moved = {n: p + (rho / (norm + 1e-12)) * g for n, p, g in zip(names, params, grads)}
    sharp = next_byte_loss(functional_call(model, moved, (x,)), y)
    return sharp + (loss.detach() - sharp.detach())


def sam_ft_run(lr: float, seed: int = SEED) -> TestedRun:
    """Round 41's byte transformer pretrained on ``zipfile.py``, every weight fine-tuned on the
    later prose's next bytes under SAM (``SM_RHO``) over PyTorch's SGD (momentum
    ``SM_MOMENTUM``) at ``lr`` with a cosine decay to 0 stepped every step, ``SM_STEPS`` steps of
    ``SM_BATCH`` shuffled windows, logged every 10 steps with a ``val_loss`` every
    ``SM_EVAL_EVERY``; the test windows' loss the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = later_prose_windows()
    weights = pretrained_lm()  # before the seed: pretraining draws from the global RNG
    order = shuffled_batches(len(xtr), SM_BATCH, SM_STEPS, seed)
    torch.manual_seed(seed)
    model = code_lm()
    model.load_state_dict(weights)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=SM_MOMENTUM)

    @torch.no_grad()
    def evaluate(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(next_byte_loss(model(x), y))
    test0 = evaluate(xte, yte)
    log = train(model, opt, lambda i: 1.0, SM_STEPS,
                lambda i: sam_loss(model, xtr[order[i]], ytr[order[i]], SM_RHO),
                lambda: evaluate(xva, yva), SM_EVAL_EVERY, None,
                scheduler=lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, SM_STEPS))
    return TestedRun(sampled_every(log, LOG_EVERY), test0, finite_or_inf(evaluate(xte, yte)))


# -- a Siamese encoder on made pairs, HingeEmbeddingLoss, RMSprop + plateau, per epoch ---------


@lru_cache(maxsize=None)
def made_pairs() -> tuple[tuple, tuple, tuple]:
    """Pairs of points of ``SI_CLASSES`` overlapping classes (centres N(0, 1) in ``SI_LATENT``
    dimensions, spread ``SI_SPREAD``, through a fixed random tanh map to ``SI_DIM`` features
    plus noise ``SI_NOISE``), half of one class (target +1), half of two (-1): (pairs of shape
    (n, 2, ``SI_DIM``), targets). Split ``SI_TRAIN`` / ``SI_VAL`` / ``SI_TEST``."""
    rng = np.random.default_rng(SEED)
    n = SI_TRAIN + SI_VAL + SI_TEST
    centres = rng.standard_normal((SI_CLASSES, SI_LATENT))
    w = rng.standard_normal((SI_LATENT, SI_DIM)) / math.sqrt(SI_LATENT)
    first = rng.integers(0, SI_CLASSES, n)
    same = rng.random(n) < 0.5
    second = np.where(same, first, (first + rng.integers(1, SI_CLASSES, n)) % SI_CLASSES)
    latent = (centres[np.stack([first, second], 1)]
              + SI_SPREAD * rng.standard_normal((n, 2, SI_LATENT)))
    x = np.tanh(latent @ w) + SI_NOISE * rng.standard_normal((n, 2, SI_DIM))
    return split3(SI_TRAIN, SI_VAL, torch.tensor(x, dtype=torch.float32),
                  torch.tensor(np.where(same, 1.0, -1.0), dtype=torch.float32))


def siamese_encoder() -> nn.Module:
    """One MLP ``SI_DIM``-``SI_HIDDEN``-``SI_HIDDEN``-``SI_EMBED`` (ReLU), both sides through
    it: ``(n, 2, SI_DIM)`` pairs to ``(n, 2, SI_EMBED)`` embeddings."""
    return nn.Sequential(nn.Linear(SI_DIM, SI_HIDDEN), nn.ReLU(), nn.Linear(SI_HIDDEN, SI_HIDDEN),
                         nn.ReLU(), nn.Linear(SI_HIDDEN, SI_EMBED))


def hinge_embedding(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """PyTorch's ``HingeEmbeddingLoss`` of a pair's Euclidean distance: the distance itself for
    a pair of one class, ``max(0, SI_MARGIN - distance)`` for a pair of two."""
    return F.hinge_embedding_loss((out[:, 0] - out[:, 1]).norm(dim=1), y, margin=SI_MARGIN)


def siamese_run(lr: float, seed: int = SEED) -> TestedRun:
    """The Siamese encoder under PyTorch's RMSprop (its defaults) at ``lr``, divided by 4 after
    each epoch whose validation loss is no new best, ``SI_EPOCHS`` epochs of ``SI_BATCH``
    shuffled pairs, ``HingeEmbeddingLoss`` of the pair distance (margin ``SI_MARGIN``),
    **logged once per epoch** (its mean training loss, a ``val_loss`` after it); the test
    pairs' loss the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = made_pairs()
    order = batches_of(SI_TRAIN, SI_BATCH, SI_EPOCHS, seed).view(SI_EPOCHS, -1, SI_BATCH)
    torch.manual_seed(seed)
    model = siamese_encoder()
    opt = torch.optim.RMSprop(model.parameters(), lr=lr)

    @torch.no_grad()
    def evaluate(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(hinge_embedding(model(x), y))

    test0 = evaluate(xte, yte)
    log = train_by_epoch(model, opt, SI_EPOCHS, list(order),
                         lambda idx: hinge_embedding(model(xtr[idx]), ytr[idx]),
                         lambda: evaluate(xva, yva), schedule="plateau")
    return TestedRun(log, test0, finite_or_inf(evaluate(xte, yte)), by_epoch=True)


# -- the plan and the manifest -------------------------------------------------------------------

ST_RANGE, SM_RANGE, SI_RANGE = (-4.0, -1.0), (-2.0, 1.0), (-3.5, -0.5)
EVERY = f"every {LOG_EVERY} steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("settransformer_count_huber_adamw_onecycle", quarter_decades(*ST_RANGE),
                   ST_STEPS, set_count_run,
                   {"optimizer": "AdamW", "batch_size": ST_BATCH, "fine_tune": False,
                    "clip": None, "warmup_steps": int(0.3 * ST_STEPS), "weight_decay": 0.01,
                    "schedule": "OneCycleLR (30% warmup from lr/25, cosine down)",
                    "loss": "Huber (SmoothL1, beta 1) on the cluster count",
                    "logged": f"{EVERY}, val_loss every {ST_EVAL_EVERY} steps",
                    "model": f"Set Transformer d {ST_D}, {ST_BLOCKS} ISAB of {ST_INDUCING} "
                             f"inducing points, {ST_HEADS} heads, PMA pooling",
                    "data": f"made sets of {ST_POINTS} 2-D points around 1 to {ST_MAX_K} "
                            f"centres: {ST_TRAIN} train, {ST_VAL} validation, {ST_TEST} "
                            "test"}),
        FreshSweep("gpt_sam_ft_prose_sgd_cos", quarter_decades(*SM_RANGE), SM_STEPS,
                   sam_ft_run,
                   {"optimizer": "SAM over SGD", "rho": SM_RHO, "momentum": SM_MOMENTUM,
                    "batch_size": SM_BATCH, "fine_tune": True, "clip": None,
                    "warmup_steps": 0, "weight_decay": 0.0, "schedule": "cosine to 0 (per step)",
                    "loss": "next-byte cross-entropy",
                    "logged": f"{EVERY}, val_loss every {SM_EVAL_EVERY} steps",
                    "model": f"byte transformer d {FT_D}, {FT_LAYERS} layers, {FT_HEADS} "
                             f"heads, feed-forward {FT_FF}, context {FT_CTX}, pretrained here "
                             "on zipfile.py, every weight fine-tuned",
                    "data": f"blocks {SM_BLOCKS[0]} to {SM_BLOCKS[1]} of pydoc_data.topics "
                            "(English prose), dealt 80/10/10"}),
        FreshSweep("siamese_pairs_hingeemb_rmsprop_plateau_epochs", quarter_decades(*SI_RANGE),
                   SI_EPOCHS, siamese_run,
                   {"optimizer": "RMSprop", "batch_size": SI_BATCH, "epochs": SI_EPOCHS,
                    "weight_decay": 0.0, "fine_tune": False, "clip": None,
                    "warmup_steps": 0,
                    "schedule": "ReduceLROnPlateau (factor 0.25, patience 0) per epoch",
                    "loss": f"HingeEmbeddingLoss of the pair distance (margin "
                            f"{SI_MARGIN})",
                    "logged": "once per epoch (its mean training loss), val_loss each epoch",
                    "model": f"Siamese MLP {SI_DIM}-{SI_HIDDEN}-{SI_HIDDEN}-{SI_EMBED}",
                    "data": f"made pairs of {SI_CLASSES} overlapping classes (half of one "
                            f"class): {SI_TRAIN} train, {SI_VAL} validation, {SI_TEST} "
                            "test"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"settransformer_count_huber_adamw_onecycle": "regression",
                 "gpt_sam_ft_prose_sgd_cos": "llm_finetune",
                 "siamese_pairs_hingeemb_rmsprop_plateau_epochs": "metric_learning"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 52's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
