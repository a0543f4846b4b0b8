"""Round 31's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps31 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 30) has, neither by name nor by loss and optimizer: each a loss no earlier round trained
with, under an optimizer (or an optimizer's option) no earlier round ran, logged every 10 steps
with a ``val_loss`` every 50 (30 points a run), each with a floor its loss cannot pass at any LR.

- ``mlp_multilabel_bce_amsgrad_cosine``: a **multi-label tagger** (an MLP 16-64-64-8, one logit
  a tag) trained with **``BCEWithLogitsLoss`` over all tags** (the classifiers before were
  single-label cross-entropy) under **Adam with ``amsgrad=True``** (no earlier round set it) and
  a cosine decay to 0, 300 steps of 32 shuffled examples. The data are made here: Gaussian
  inputs of 16 features, each of 8 tags on with the probability a fixed random teacher
  (16-32-8, tanh) gives it, tags rare to common (23% to 64% on): the floor is the tags' mean
  binary entropy, 0.450 on the test split; 500 training, 250 validation, 2000 test examples.
- ``mlp_quantile_pinball_adabelief_const``: a **quantile regressor** (an MLP 8-64-64-3, SiLU,
  one output each for the 10th, 50th and 90th percentiles) trained with the **pinball loss**
  (no earlier round) under **AdaBelief** (Zhuang et al. 2020, as ``adabelief-pytorch`` 0.2
  defaults it: betas 0.9/0.999, eps 1e-16, no weight decay, no rectification; written here in
  torch, ``AdaBelief``) at a constant LR, 300 steps of 64. The data: Friedman's first function
  over 5 with **heteroscedastic** Gaussian noise (sd 0.1 to 0.6 rising with an input the mean
  ignores), standardised on the training split; 400 training, 200 validation, 2000 test
  examples; the floor, each quantile's pinball loss at the true quantile.
- ``mlp_triplet_embed_asgd_const``: a **metric-learning embedder** (an MLP 32-64-64-16, ReLU)
  trained with PyTorch's **``TripletMarginLoss``** (margin 1, Euclidean; no earlier round) under
  **``torch.optim.ASGD``** with PyTorch's defaults (lambd 1e-4, alpha 0.75, t0 1e6: its step
  size ``lr / (1 + 1e-4 lr t)**0.75`` stays within 0.4% of the LR at the best LR over 300 steps,
  7% at the top of the grid; the averaged copy is never read)
  at a constant LR, 300 steps of 32 random training triplets. The data: 30 overlapping classes
  (centres N(0, 1) in 8 latent dimensions, points spread 0.9 around them) seen through a fixed
  random nonlinear map to 32 features plus noise of 0.1; 40 training, 10 validation and 30 test
  points a class, the validation and test losses on 2000 fixed triplets of their own points.

13 quarter-decade LRs each, seed 27. **The grids were set from a first probe, not from what
users pick** (there was time for one probe of each before the sweep): the tagger's
10**-4..10**-1 (Adam's 1e-3 in its middle) as first written; the quantile regressor's
10**-3.5..10**-0.5, moved up half a decade from 10**-4..10**-1 when the probes (of the design
swept, over 10**-4..10**-0.5) put its best at 1.78e-2, within a decade of that top; the
embedder's 10**-2.5..10**0.5, moved from 10**-3..10**0 when the probe put its best at 0.316.
Every best is at least a decade from both ends: the tagger's (1.78e-3 in every probe) 1.25
decades from the bottom and 1.75 from the top, the regressor's (1.78e-2) 1.75 and 1.25, the
embedder's (0.178) 1.75 and 1.25.

**Redesigned before its sweep was final, from test losses alone (seed 27 unless said):**
- the quantile regressor: first batches of 32 and noise sd 0.2 to 1.2: flat over a decade and a
  half (1e-3 to 3.16e-2 all within 5.3% of the best, 1e-2 0.5110; 3.16e-2 +1.6%, 1.78e-2
  +2.2%); with 200 training examples the same (1e-2 the best, 5.62e-4 to 1.78e-2 within 3.1%).
  Noise sd 0.1 to 0.5 (0.1 + 0.5 x the sixth input: the design swept): batches of 32 put 3.16e-2
  best at seed 27 and 1e-2 at seed 26, jagged above it (5.62e-2 +19%, 1e-1 +3%), as were 200
  examples or batches of 16; 600 steps put 1.78e-2 best but 5.62e-2 +1.3% beside 3.16e-2 +21%.
  Batches of 64 (swept) put 1.78e-2 best at seeds 26, 27 and 28 (below).
- the embedder: first classes spread 0.6: too easy (the best fell 89% of its test loss, 0.0924
  at 0.316 from 0.8258; 0.178 +6.2%, 0.562 +69%); spread 1.2 flat at its top (0.1 and 0.178
  within 0.5%, 5.62e-2 +2.6%). Spread 0.9 was swept.

Probe test losses at each best and its neighbours (seeds 26/27/28; the same code in probe
processes; a seed moves the batches, the triplets drawn and the initialisation, not the data or
the held-out examples and triplets):

- **The tagger's best is the best at every seed**: 1.78e-3 0.4937/0.4964/0.4964; 1e-3 +3.8%,
  +3.5%, +3.4%; 3.16e-3 +2.1%, +1.6%, +1.4%: within 2% at seeds 27 and 28, so 3.16e-3's
  ``healthy`` or ``oscillating`` hangs on the seed; 5.62e-3 +7.4% to +7.6%.
- **The quantile regressor's best is the best at every seed**: 1.78e-2 0.3094/0.3313/0.3169;
  1e-2 +15.2%, +6.4%, +7.6%; 3.16e-2 +11.5%, +13.2%, +6.2%. Above its best the constant-LR
  runs end jagged (5.62e-2 +2.3%, +23.0%, +25.8%; 1e-1 +10.8%, +9.0%, +16.9%).
- **The embedder's best is the best at every seed**: 0.178 0.2796/0.2868/0.2925; 0.1 +4.2%,
  +9.2%, +5.0%; 0.316 +8.2%, +11.4%, +7.5%; 1.0 and above went non-finite (0.562 at seed 28
  +59%).

Best test losses, each above its floor: the tagger 0.4964 at 1.78e-3 from 0.6919 (it fell 28%;
the tags' entropy 0.450, so 81% of what it could learn); the quantile regressor 0.3313 at
1.78e-2 from 1.2870 (74%); the embedder 0.2868 at 0.178 from 0.8809 (67%). Labels: 19 stalled,
4 healthy, 10 oscillating, 6 diverging (tagger 5/2/3/3, regressor 7/1/5/0, embedder 7/1/2/3):
the tagger's 1.78e-2 to 5.62e-2 end at a test loss above their start (1e-1 ends below it:
oscillating), the embedder's 1.0 ends above its start and 1.78 and 3.16 went non-finite.
Training took 11.5 CPU s on one thread for the 39 runs in the sweeps (tagger 2.6, regressor
3.8, embedder 5.1; each run's own CPU time), and about 140 for the probes, the design probes and
the seed checks (the CPU time each probe printed): about 150 CPU s in all, far under the plan's
~25 minutes.

**The truth is the loss on a test split that no log holds**; each log's ``val_loss`` comes from
a separate validation split, as in rounds 8 to 30 (``fresh_sweeps8``, whose machinery this
reuses: the cache's side file beside each CSV holds the test losses, ``sweeps_fresh31.json``
ranks each run by its final test loss with ``made_labels.label_sweep``, and ``--manifest
COMMIT`` writes those labels, with their reasons, as ``manifest_r31made.jsonl``: the
``round31-made`` side of the one-run diagnosis).

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 30's were; a
retrain on other kernels drifts within the tests' retrained-truth tolerance.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.realworld import HERE
from benchmarks.realworld.fresh_sweeps import FreshSweep, cli
from benchmarks.realworld.fresh_sweeps8 import (TestedRun, finite_or_inf, make,
                                                tested_manifest_rows)
from benchmarks.realworld.fresh_sweeps10 import sampled_every
from benchmarks.realworld.fresh_sweeps21 import batches_of, split3
from benchmarks.realworld.made_tasks import train
from benchmarks.realworld.make_runs import quarter_decades

SEED = 27  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 26)
OUT = HERE / "sweeps_fresh31.json"
MANIFEST = HERE / "manifest_r31made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps31.py"
LOG_EVERY = 10

# the multi-label tagger: an MLP, BCE with logits over 8 tags, Adam with AMSGrad + cosine to 0
ML_IN, ML_TAGS, ML_TEACHER, ML_HIDDEN, ML_SCALE = 16, 8, 32, 64, 3.0
ML_TRAIN, ML_VAL, ML_TEST = 500, 250, 2000
ML_STEPS, ML_BATCH, ML_EVAL_EVERY = 300, 32, 50
# the quantile regressor: an MLP to three quantiles, pinball loss, AdaBelief at a constant LR
QR_IN, QR_HIDDEN, QR_QUANTILES, QR_SD = 8, 64, (0.1, 0.5, 0.9), (0.1, 0.5)
QR_TRAIN, QR_VAL, QR_TEST = 400, 200, 2000
QR_STEPS, QR_BATCH, QR_EVAL_EVERY = 300, 64, 50
# the triplet embedder: an MLP to 16 dimensions, triplet margin loss, ASGD (PyTorch's defaults)
TR_CLASSES, TR_LATENT, TR_DIM, TR_SPREAD, TR_HIDDEN, TR_EMBED = 30, 8, 32, 0.9, 64, 16
TR_TRAIN, TR_VAL, TR_TEST, TR_MARGIN = 40, 10, 30, 1.0  # points of each class
TR_STEPS, TR_BATCH, TR_EVAL_EVERY, TR_HELD_TRIPLETS = 300, 32, 50, 2000


def shuffled_batches(n: int, batch: int, steps: int, seed: int) -> torch.Tensor:
    """``steps`` batches of ``batch`` indices of ``n`` examples, a new order each epoch (the
    last short batch of each epoch dropped, as ``drop_last=True`` does): (steps, batch)."""
    per_epoch = n // batch
    return batches_of(n, batch, -(-steps // per_epoch), seed)[:steps]



def minibatch_run(model: nn.Module, opt: torch.optim.Optimizer, loss: Callable[..., torch.Tensor],
                  splits: tuple[tuple, tuple, tuple], order: torch.Tensor, steps: int,
                  eval_every: int, *,
                  scheduler: Callable[[torch.optim.Optimizer], object] | None = None,
                  clip: float | None = None) -> TestedRun:
    """``model`` trained at a constant LR (or as ``scheduler``, made of ``opt`` and stepped once
    a step, sets it: round 37) on the batches of the training split ``order`` picks,
    ``loss(model(x), y)``, gradients clipped at ``clip`` if given (round 48), with a
    ``val_loss`` every ``eval_every`` steps, logged every ``LOG_EVERY``; its test loss before
    the first step and at the end is the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = splits

    @torch.no_grad()
    def evaluate(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(loss(model(x), y))
    test0 = evaluate(xte, yte)
    log = train(model, opt, lambda i: 1.0, steps,
                lambda i: loss(model(xtr[order[i]]), ytr[order[i]]),
                lambda: evaluate(xva, yva), eval_every, clip, scheduler=scheduler)
    return TestedRun(sampled_every(log, LOG_EVERY), test0, finite_or_inf(evaluate(xte, yte)))

# -- a multi-label MLP tagger under Adam with AMSGrad and a cosine decay -------------------------


@lru_cache(maxsize=None)
def tag_data() -> tuple[tuple, tuple, tuple]:
    """Gaussian inputs of ``ML_IN`` features, each of ``ML_TAGS`` tags drawn on (1) with the
    probability a fixed random teacher (``ML_IN``-``ML_TEACHER``-``ML_TAGS``, tanh, its logits
    times ``ML_SCALE`` less a per-tag offset so tags are rare to common) gives it: the floor, the
    tags' mean binary entropy. Split ``ML_TRAIN`` / ``ML_VAL`` / ``ML_TEST``."""
    rng = np.random.default_rng(SEED)
    n = ML_TRAIN + ML_VAL + ML_TEST
    x = rng.normal(size=(n, ML_IN))
    w1 = rng.normal(size=(ML_IN, ML_TEACHER)) / math.sqrt(ML_IN)
    w2 = rng.normal(size=(ML_TEACHER, ML_TAGS)) / math.sqrt(ML_TEACHER)
    offset = np.linspace(-2.0, 1.0, ML_TAGS)
    logits = ML_SCALE * np.tanh(x @ w1) @ w2 + offset
    p = 1.0 / (1.0 + np.exp(-logits))
    y = (rng.random(p.shape) < p).astype(np.float32)
    return split3(ML_TRAIN, ML_VAL, torch.tensor(x, dtype=torch.float32), torch.tensor(y),
                  torch.tensor(p, dtype=torch.float32))


def tagger() -> nn.Module:
    """An MLP ``ML_IN``-``ML_HIDDEN``-``ML_HIDDEN``-``ML_TAGS`` (ReLU), one logit a tag."""
    return nn.Sequential(nn.Linear(ML_IN, ML_HIDDEN), nn.ReLU(), nn.Linear(ML_HIDDEN, ML_HIDDEN),
                         nn.ReLU(), nn.Linear(ML_HIDDEN, ML_TAGS))


def multilabel_run(lr: float, seed: int = SEED) -> TestedRun:
    """The tagger: Adam with ``amsgrad=True`` at ``lr`` and a cosine decay to 0
    (``CosineAnnealingLR`` over the run), ``BCEWithLogitsLoss`` over all tags, ``ML_STEPS`` steps
    of ``ML_BATCH`` shuffled examples (a new order each epoch), logged every 10 steps with a
    ``val_loss`` every ``ML_EVAL_EVERY``; the test BCE the truth."""
    (xtr, ytr, _), (xva, yva, _), (xte, yte, _) = tag_data()
    order = shuffled_batches(ML_TRAIN, ML_BATCH, ML_STEPS, seed)
    torch.manual_seed(seed)
    model = tagger()
    opt = torch.optim.Adam(model.parameters(), lr=lr, amsgrad=True)

    @torch.no_grad()
    def bce(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(F.binary_cross_entropy_with_logits(model(x), y))
    test0 = bce(xte, yte)
    log = train(model, opt, lambda i: 0.5 * (1 + math.cos(math.pi * i / ML_STEPS)), ML_STEPS,
                lambda i: F.binary_cross_entropy_with_logits(model(xtr[order[i]]), ytr[order[i]]),
                lambda: bce(xva, yva), ML_EVAL_EVERY, None)
    return TestedRun(sampled_every(log, LOG_EVERY), test0, finite_or_inf(bce(xte, yte)))


# -- a quantile-regression MLP under AdaBelief ---------------------------------------------------


class AdaBelief(torch.optim.Optimizer):
    """AdaBelief (Zhuang et al., 2020, as ``adabelief-pytorch`` 0.2 defaults it): Adam whose
    second moment is the EMA of ``(g - m)**2``, the gradient's spread around its own mean,
    plus ``eps`` inside the EMA; bias-corrected, no weight decay, no rectification."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-16):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["s"] = torch.zeros_like(p)
                state["step"] += 1
                m, s, g = state["m"], state["s"], p.grad
                m.mul_(b1).add_(g, alpha=1 - b1)
                s.mul_(b2).addcmul_(g - m, g - m, value=1 - b2).add_(group["eps"])
                t = state["step"]
                denom = (s / (1 - b2 ** t)).sqrt_().add_(group["eps"])
                p.addcdiv_(m, denom, value=-group["lr"] / (1 - b1 ** t))
        return None


@lru_cache(maxsize=None)
def quantile_data() -> tuple[tuple, tuple, tuple]:
    """Inputs uniform on [0, 1]^``QR_IN``, a target of Friedman's first function (its first five
    inputs; the rest carry nothing) over 5, with **heteroscedastic** Gaussian noise, its
    deviation 0.2 to 1.2 rising with the sixth input: the floor, each quantile's pinball loss at
    the true quantile. Split ``QR_TRAIN`` / ``QR_VAL`` / ``QR_TEST``."""
    rng = np.random.default_rng(SEED)
    n = QR_TRAIN + QR_VAL + QR_TEST
    x = rng.uniform(size=(n, QR_IN))
    clean = (10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2
             + 10 * x[:, 3] + 5 * x[:, 4]) / 5.0
    sd = QR_SD[0] + QR_SD[1] * x[:, 5]
    y = clean + rng.normal(size=n) * sd
    y = (y - y[:QR_TRAIN].mean()) / y[:QR_TRAIN].std()
    return split3(QR_TRAIN, QR_VAL, torch.tensor(x, dtype=torch.float32),
                  torch.tensor(y, dtype=torch.float32))


def pinball(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The mean pinball (quantile) loss of ``pred`` (one column a quantile of
    ``QR_QUANTILES``) for ``y``, summed over the quantiles."""
    q = torch.tensor(QR_QUANTILES)
    err = y[:, None] - pred
    return torch.maximum(q * err, (q - 1) * err).mean(0).sum()


def quantile_mlp() -> nn.Module:
    """An MLP ``QR_IN``-``QR_HIDDEN``-``QR_HIDDEN``-3 (SiLU), one output a quantile."""
    return nn.Sequential(nn.Linear(QR_IN, QR_HIDDEN), nn.SiLU(), nn.Linear(QR_HIDDEN, QR_HIDDEN),
                         nn.SiLU(), nn.Linear(QR_HIDDEN, len(QR_QUANTILES)))


def quantile_run(lr: float, seed: int = SEED) -> TestedRun:
    """The quantile regressor: AdaBelief at a constant ``lr``, the pinball loss of the 10th,
    50th and 90th percentiles, ``QR_STEPS`` steps of ``QR_BATCH`` shuffled examples, logged
    every 10 steps with a ``val_loss`` every ``QR_EVAL_EVERY``; the test pinball loss the
    truth."""
    splits = quantile_data()
    order = shuffled_batches(QR_TRAIN, QR_BATCH, QR_STEPS, seed)
    torch.manual_seed(seed)
    model = quantile_mlp()
    opt = AdaBelief(model.parameters(), lr=lr)
    return minibatch_run(model, opt, pinball, splits, order, QR_STEPS, QR_EVAL_EVERY)


# -- a triplet-loss embedder of synthetic classes under ASGD --------------------------------------


@lru_cache(maxsize=None)
def triplet_points() -> tuple[tuple, tuple, tuple]:
    """``TR_CLASSES`` classes, each a centre in a ``TR_LATENT``-dimensional latent space with
    points spread ``TR_SPREAD`` around it (classes overlap: the floor), seen through a fixed
    random nonlinear map to ``TR_DIM`` features (tanh of a linear map, then another, plus
    noise of 0.1). ``TR_TRAIN`` / ``TR_VAL`` / ``TR_TEST`` points of each class per split."""
    rng = np.random.default_rng(SEED)
    per = TR_TRAIN + TR_VAL + TR_TEST
    centres = rng.normal(size=(TR_CLASSES, TR_LATENT))
    y = np.repeat(np.arange(TR_CLASSES), per)
    z = centres[y] + TR_SPREAD * rng.normal(size=(len(y), TR_LATENT))
    a = rng.normal(size=(TR_LATENT, TR_DIM)) / math.sqrt(TR_LATENT)
    b = rng.normal(size=(TR_DIM, TR_DIM)) / math.sqrt(TR_DIM)
    x = np.tanh(z @ a) @ b * 2.0 + 0.1 * rng.normal(size=(len(y), TR_DIM))
    part = np.tile(np.repeat([0, 1, 2], [TR_TRAIN, TR_VAL, TR_TEST]), TR_CLASSES)
    xs, ys = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    return tuple((xs[part == k], ys[part == k]) for k in range(3))  # type: ignore[return-value]


def triplets(y: torch.Tensor, n: int, g: torch.Generator) -> torch.Tensor:
    """``n`` (anchor, positive, negative) index rows of ``y``: a positive of the anchor's class
    (not the anchor), a negative of another, all at random."""
    anchor = torch.randint(0, len(y), (n,), generator=g)
    rows = []
    for a in anchor.tolist():
        same = (y == y[a]).nonzero().flatten()
        same = same[same != a]
        other = (y != y[a]).nonzero().flatten()
        rows.append((a, int(same[torch.randint(0, len(same), (1,), generator=g)]),
                     int(other[torch.randint(0, len(other), (1,), generator=g)])))
    return torch.tensor(rows)


def embedder() -> nn.Module:
    """An MLP ``TR_DIM``-``TR_HIDDEN``-``TR_HIDDEN``-``TR_EMBED`` (ReLU), the embedding."""
    return nn.Sequential(nn.Linear(TR_DIM, TR_HIDDEN), nn.ReLU(), nn.Linear(TR_HIDDEN, TR_HIDDEN),
                         nn.ReLU(), nn.Linear(TR_HIDDEN, TR_EMBED))


def triplet_run(lr: float, seed: int = SEED) -> TestedRun:
    """The embedder: ``torch.optim.ASGD`` at ``lr`` (PyTorch's defaults: lambd 1e-4, alpha 0.75,
    t0 1e6), ``TripletMarginLoss`` (margin ``TR_MARGIN``, Euclidean), ``TR_STEPS`` steps of
    ``TR_BATCH`` random training triplets, logged every 10 steps with a ``val_loss`` every
    ``TR_EVAL_EVERY`` on ``TR_HELD_TRIPLETS`` fixed validation triplets; the loss on as many
    fixed test triplets the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = triplet_points()
    g = torch.Generator().manual_seed(SEED)
    val, test = triplets(yva, TR_HELD_TRIPLETS, g), triplets(yte, TR_HELD_TRIPLETS, g)
    batches = triplets(ytr, TR_STEPS * TR_BATCH, torch.Generator().manual_seed(seed)
                       ).view(TR_STEPS, TR_BATCH, 3)
    torch.manual_seed(seed)
    model = embedder()
    opt = torch.optim.ASGD(model.parameters(), lr=lr)
    loss_fn = nn.TripletMarginLoss(margin=TR_MARGIN)

    def loss_of(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        e = model(x)
        return loss_fn(e[t[:, 0]], e[t[:, 1]], e[t[:, 2]])

    @torch.no_grad()
    def held(x: torch.Tensor, t: torch.Tensor) -> float:
        model.eval()
        return float(loss_of(x, t))
    test0 = held(xte, test)
    log = train(model, opt, lambda i: 1.0, TR_STEPS, lambda i: loss_of(xtr, batches[i]),
                lambda: held(xva, val), TR_EVAL_EVERY, None)
    return TestedRun(sampled_every(log, LOG_EVERY), test0, finite_or_inf(held(xte, test)))


# -- the plan and the manifest -------------------------------------------------------------------

ML_RANGE, QR_RANGE, TR_RANGE = (-4.0, -1.0), (-3.5, -0.5), (-2.5, 0.5)
EVERY = f"every {LOG_EVERY} steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("mlp_multilabel_bce_amsgrad_cosine", quarter_decades(*ML_RANGE), ML_STEPS,
                   multilabel_run,
                   {"optimizer": "Adam", "amsgrad": True, "batch_size": ML_BATCH,
                    "fine_tune": False, "clip": None, "warmup_steps": 0,
                    "schedule": "cosine to 0", "loss": "BCE with logits (multi-label)",
                    "logged": f"{EVERY}, val_loss every {ML_EVAL_EVERY} steps",
                    "model": f"MLP {ML_IN}-{ML_HIDDEN}-{ML_HIDDEN}-{ML_TAGS} (ReLU), a logit a tag",
                    "data": f"Gaussian features, {ML_TAGS} tags drawn from a random teacher's "
                            f"probabilities: {ML_TRAIN} train, {ML_VAL} validation, {ML_TEST} "
                            "test"}),
        FreshSweep("mlp_quantile_pinball_adabelief_const", quarter_decades(*QR_RANGE), QR_STEPS,
                   quantile_run,
                   {"optimizer": "AdaBelief", "batch_size": QR_BATCH, "fine_tune": False,
                    "clip": None, "warmup_steps": 0, "schedule": "constant",
                    "loss": "pinball (quantiles 0.1, 0.5, 0.9)",
                    "logged": f"{EVERY}, val_loss every {QR_EVAL_EVERY} steps",
                    "model": f"MLP {QR_IN}-{QR_HIDDEN}-{QR_HIDDEN}-3 (SiLU), a quantile an "
                             "output",
                    "data": f"Friedman #1 with heteroscedastic noise (sd 0.2 to 1.2): "
                            f"{QR_TRAIN} train, {QR_VAL} validation, {QR_TEST} test"}),
        FreshSweep("mlp_triplet_embed_asgd_const", quarter_decades(*TR_RANGE), TR_STEPS,
                   triplet_run,
                   {"optimizer": "ASGD", "batch_size": TR_BATCH, "fine_tune": False,
                    "clip": None, "warmup_steps": 0, "schedule": "constant",
                    "loss": f"triplet margin (margin {TR_MARGIN})",
                    "logged": f"{EVERY}, val_loss every {TR_EVAL_EVERY} steps",
                    "model": f"MLP {TR_DIM}-{TR_HIDDEN}-{TR_HIDDEN}-{TR_EMBED} (ReLU), an "
                             "embedding",
                    "data": f"{TR_CLASSES} overlapping synthetic classes through a random "
                            f"nonlinear map, random triplets: {TR_TRAIN} train, {TR_VAL} "
                            f"validation, {TR_TEST} test points a class"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"mlp_multilabel_bce_amsgrad_cosine": "classifier",
                 "mlp_quantile_pinball_adabelief_const": "other",
                 "mlp_triplet_embed_asgd_const": "other"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 31's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
