"""Round 39's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps39 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 38) has, neither by name nor by model, loss and optimizer together: a causal transformer
with two heads trained on a **multi-task loss** (no earlier round summed two tasks' losses)
under PyTorch's RAdam and ``PolynomialLR`` (no earlier round ran that scheduler), a BatchNorm
CNN trained on a **von Mises likelihood** (no earlier round regressed an angle) under **LARS**
(no earlier round; written here), and a **BitFit** fine-tune (only the biases trained: no
earlier round) of an MLP pretrained here with the **Tweedie deviance** (no earlier round) under
PyTorch's Adam, on data made here (no downloads). One is an attention model, one logs once per
epoch, one is a fine-tune of a model pretrained here.

- ``transformer_multitask_brackets_radam_poly``: round 36's **causal transformer**
  (``CausalTransformer``: pre-LayerNorm, 2 layers of 4 heads, d 32, feed-forward 64, learned
  positions) over **bracket strings** of 24 of two kinds (a random balanced string, and in half
  of them one bracket replaced by one of the three others, which always unbalances it), its head
  giving at each position the logits of the prefix's **depth** (opened minus closed) and one
  logit of the string being **balanced** (read at the last position); the **multi-task loss**
  is the depths' mean cross-entropy plus the balance label's binary cross-entropy, that label
  flipped with probability 0.1 (the loss's floor: 0.3251 nats); 8000 training, 500 validation,
  2000 test strings; **PyTorch's RAdam** (its defaults, no weight decay) under **PyTorch's
  ``PolynomialLR``** (power 2, from the LR to 0 at the last step), no clipping, 600 steps of
  64, logged every 10 steps with a ``val_loss`` every 100.
- ``cnn_orientation_vonmises_lars_epochs``: a **CNN** (two 3x3 convolutions of 16 and 32
  channels, each with BatchNorm and ReLU, a 2x2 max-pool between, a global average pool, a
  linear layer to a mean direction and a concentration ``1 + softplus``) reading the
  **orientation of made noisy 12x12 gratings** (orientation uniform in [0, pi), 0.2 to 0.3
  cycles a pixel, a random phase, Gaussian pixel noise of sd 1; the target twice the
  orientation), trained on the **von Mises negative log-likelihood** (the density per degree,
  so that it stays positive) under **LARS** (You et al. 2017 as SimCLR's code runs it: momentum
  0.9, trust coefficient 1e-3, biases and BatchNorm's parameters stepped at the plain LR, no
  weight decay; written here) with the LR **cosine-annealed per epoch**, **logged once per
  epoch** (30 epochs of 40 batches of 100 of 4000 images: a point an epoch, its mean training
  loss, and a ``val_loss`` after it); 500 validation, 2000 test images.
- ``mlp_ft_bitfit_rain_tweedie_adam``: a **BitFit fine-tune of a rainfall MLP pretrained
  here** (8 weather covariates, 64-64 ReLU, the log of the mean amount; pretrained on 5000 days
  of a first region with the **Tweedie deviance** of power 1.5, Adam 1e-3, 1500 steps of 64;
  the same weights for every run), then every weight matrix frozen and only its **biases**
  trained (Ben Zaken et al. 2022) on a **shifted region** (the intercept and two effects moved;
  amounts drawn as a Poisson number of Gamma showers, dispersion 1, so many days are dry; 800
  training, 400 validation, 3000 test days) with the same deviance under **PyTorch's Adam** (its
  defaults) at a constant LR, 300 steps of 32, logged every 10 steps with a ``val_loss`` every
  50; a seed moves the batches only.

13 quarter-decade LRs each (every step 1.78x, so a best within 2x is a grid point), seed 35.
**The grids were fixed from what users pick before any probe, and two moved once after a first
probe** (every other grid point, seed 35, at LRs rounded to three digits): the transformer's
10**-4..10**-1 (RAdam's default 1e-3; small-transformer users pick 1e-4 to 1e-2), whose probe
put the best at its top, 1e-1 (0.3454; 3.16e-2 0.3669, 1e-2 0.5241), moved up 1.5 decades to
10**-2.5..10**0.5; the CNN's 10**-1.5..10**1.5 (LARS users pick 0.1 to 10 with a trust
coefficient of 1e-3), whose probe put the best at 0.316 (3.8485; 0.1 3.9163, 1 5.1323, per
degree: the probe ran before the unit change, its numbers shifted here by log(180/pi)), a
decade from the bottom with its unprobed neighbour 0.178 able to take the best inside that
decade, moved down half a decade to 10**-2..10**1; the fine-tune's 10**-4..10**-1 (BitFit users
pick 1e-4 to 1e-2; Adam's default 1e-3 inside), whose probe put the best at 1e-2 (1.2675;
3.16e-3 1.2880, 3.16e-2 1.3169, and 1e-1 only +1.8%, 1.2907), a decade from the top, moved up
half a decade to 10**-3.5..10**-0.5. Every sweep best is 1.25 to 1.75 decades from both ends
(transformer 1e-1, CNN 1.78e-1, fine-tune 1.78e-2).

**Designs changed before the sweeps, each probe then remade**: the transformer's balance label
first had no noise, and its probe reached 0.0399 at 3.16e-2 (no floor to speak of), so one label
in ten was flipped; the CNN first had 8 and 16 channels, no BatchNorm, gratings of 0.12 to 0.3
cycles, a concentration of ``softplus`` alone and 20 epochs, and its runs fell either to a good
fit or to a plateau by the seed (1.78 ended 0.71 nats a radian at seed 35, 0.30 and 1.57 at
seeds 34 and 33): the concentration got its floor of 1, the gratings a narrower band, the
network BatchNorm and wider layers, 30 epochs, and its NLL the density per degree.

Probe test losses at each best and its neighbours (seeds 33/34/35; seed 35 the sweep's own
runs; a seed moves the batches and the initialisation, of the fine-tune the batches only, not
the data or the pretrained weights; the seed checks at three-digit LRs):

- **The transformer's best holds at 1e-1 at every seed, its level does not**: 0.5137, 0.4176,
  0.3454 (the floor 0.3251); 5.62e-2 +0.6%, +7.7%, +13.2%; 1.78e-1 +0.1%, +18.2%, +1.5%: how
  low the best gets moves with the seed, from 6% to 58% over the floor.
- **The CNN's best moves between 0.178 and 0.316**: 0.316 at seeds 33 and 34 (3.7013, 3.7432;
  0.178 +2.5% and +0.9%), 0.178 at seed 35 (3.8161; 0.316 +0.6%); 0.1 +5.7%, +3.8%, +2.6%. From
  0.562 up every run ends at 5.13 (1's log flat from its fifth epoch), at every seed checked
  (0.562: 5.1315, 5.1327, 5.1333).
- **The fine-tune's best moves between 1.78e-2 and 3.16e-2**: 3.16e-2 at seed 33 (1.2638;
  1.78e-2 +0.1%), 1.78e-2 at seeds 34 and 35 (1.2704, 1.2665); 1e-2 +0.4%, +0.1%, +0.1%;
  3.16e-2 +0.8% and +3.6% at seeds 34 and 35. Above, the frozen weights keep the runs from
  blowing up: 3.16e-2 to 1e-1 end +1.9% to +3.6% (1e-1 ``healthy`` by a hair), 0.316 +11.9%.

Best test losses: the transformer 0.3454 at 1e-1 from 4.1994 (it fell 92%, 99.5% of the way to
its floor of 0.3251); the CNN 3.8161 nats a degree at 1.78e-1 from 6.1840 (38%); the fine-tune
1.2665 at 1.78e-2 from 1.7132 (26%). Labels: 15 stalled, 9 healthy, 15 oscillating, 0 diverging
(transformer 6/2/5/0, CNN 5/2/6/0, fine-tune 4/5/4/0): no run ended above its start or went
non-finite (the transformer's top, 3.16, ends at 2.50 from 4.20; the CNN's top runs at 5.13
from 6.18). Training took 140.6 CPU s on one thread for the 39 runs in the sweeps (transformer
82.4, CNN 56.8, fine-tune 1.4; each run's own CPU time, on a machine shared with other work),
and about 350 CPU s for the timing checks, the probes (those of the designs given up too), an
Adam check of a CNN design given up and the seed checks (the CPU time each printed): about 490
CPU s in all, under 9 CPU minutes (the processes' imports and data not counted), under the
plan's ~25.

The truth is the loss on a test split that no log holds; each log's ``val_loss`` comes from a
separate validation split, as in rounds 8 to 38 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh39.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r39made.jsonl``: the ``round39-made`` side of
the one-run diagnosis). The transformer and the fine-tune train through
``fresh_sweeps31.minibatch_run`` (the transformer with the scheduler it steps each step); the
CNN through ``fresh_sweeps8.train_by_epoch``.

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 38's were; a
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
from benchmarks.realworld.fresh_sweeps8 import (TestedRun, adam_pretrained, finite_or_inf, make,
                                                tested_manifest_rows, train_by_epoch)
from benchmarks.realworld.fresh_sweeps21 import batches_of, split3
from benchmarks.realworld.fresh_sweeps31 import minibatch_run, shuffled_batches
from benchmarks.realworld.fresh_sweeps36 import CausalTransformer
from benchmarks.realworld.make_runs import quarter_decades

SEED = 35  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 34)
OUT = HERE / "sweeps_fresh39.json"
MANIFEST = HERE / "manifest_r39made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps39.py"
LOG_EVERY = 10

# the multi-task transformer: bracket strings, each prefix's depth and the string's balance
BR_LEN, BR_D, BR_LAYERS, BR_HEADS, BR_FF = 24, 32, 2, 4, 64
BR_TRAIN, BR_VAL, BR_TEST = 8000, 500, 2000
BR_STEPS, BR_BATCH, BR_EVAL_EVERY, BR_POWER, BR_FLIP = 600, 64, 100, 2.0, 0.1
# the CNN: made noisy gratings, their orientation under a von Mises NLL, LARS, once per epoch
OR_SIDE, OR_NOISE, OR_C1, OR_C2 = 12, 1.0, 16, 32
OR_TRAIN, OR_VAL, OR_TEST, OR_EPOCHS, OR_BATCH = 4000, 500, 2000, 30, 100
OR_TRUST, OR_MOMENTUM = 1e-3, 0.9
# the BitFit fine-tune: an MLP pretrained here on rainfall amounts, Tweedie deviance, Adam
TW_FEATS, TW_WIDTH, TW_POWER, TW_PHI = 8, 64, 1.5, 1.0
TW_PRE_N, TW_PRE_STEPS, TW_PRE_BATCH, TW_PRE_LR = 5000, 1500, 64, 1e-3
TW_TRAIN, TW_VAL, TW_TEST = 800, 400, 3000
TW_STEPS, TW_BATCH, TW_EVAL_EVERY = 300, 32, 50


# -- a causal transformer with two heads: bracket depths and balance, RAdam, polynomial decay ---

BR_CHARS = "([)]"
BR_DEPTHS = BR_LEN + 3  # a prefix's depth (opened minus closed) lies in -2..BR_LEN, shifted by 2


@lru_cache(maxsize=None)
def brackets() -> tuple[tuple, tuple, tuple]:
    """Strings of ``BR_LEN`` brackets of two kinds: a random balanced string (each step opens
    a random kind with probability 1/2 while it can still close, else closes the innermost),
    and in half of them one bracket replaced by another of the three others (which always
    unbalances it). The targets side by side: each prefix's depth (opened minus closed,
    shifted by 2) and, last, whether the string is balanced, that label flipped with
    probability ``BR_FLIP`` (the loss's floor: ``noise_floor``)."""
    rng = np.random.default_rng(SEED)
    n = BR_TRAIN + BR_VAL + BR_TEST
    seq = np.zeros((n, BR_LEN), dtype=np.int64)
    for i in range(n):
        stack = []
        for t in range(BR_LEN):
            if not stack or (len(stack) < BR_LEN - t and rng.random() < 0.5):
                stack.append(int(rng.integers(2)))
                seq[i, t] = stack[-1]
            else:
                seq[i, t] = 2 + stack.pop()
    broken = rng.random(n) < 0.5
    where = rng.integers(0, BR_LEN, size=n)
    shift = rng.integers(1, 4, size=n)
    seq[broken, where[broken]] = (seq[broken, where[broken]] + shift[broken]) % 4
    depth = np.cumsum(np.where(seq < 2, 1, -1), axis=1) + 2
    balanced = ~broken ^ (rng.random(n) < BR_FLIP)
    y = np.concatenate([depth, balanced[:, None].astype(np.int64)], 1)
    return split3(BR_TRAIN, BR_VAL, torch.tensor(seq), torch.tensor(y))


def noise_floor() -> float:
    """The Bayes-optimal predictor's loss: every depth known (0 nats), the balance label's
    binary entropy at ``BR_FLIP``."""
    return -(BR_FLIP * math.log(BR_FLIP) + (1 - BR_FLIP) * math.log(1 - BR_FLIP))


class BracketTagger(CausalTransformer):
    """Round 36's ``CausalTransformer`` (d ``BR_D``, ``BR_LAYERS`` layers of ``BR_HEADS``
    heads, feed-forward ``BR_FF``) over the four brackets, its head giving at each position
    the logits of the prefix's depth and one logit of the string being balanced (read at the
    last position, the one that sees the whole string)."""

    def __init__(self):
        super().__init__(len(BR_CHARS), BR_LEN, BR_D, BR_LAYERS, BR_HEADS, BR_FF)
        self.head = nn.Linear(BR_D, BR_DEPTHS + 1)


def multitask_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The two tasks' losses summed: the mean cross-entropy of every prefix's depth plus the
    binary cross-entropy of the string's balance."""
    depth = F.cross_entropy(out[..., :BR_DEPTHS].reshape(-1, BR_DEPTHS), y[:, :-1].reshape(-1))
    return depth + F.binary_cross_entropy_with_logits(out[:, -1, -1], y[:, -1].float())


def brackets_run(lr: float, seed: int = SEED) -> TestedRun:
    """The bracket tagger: PyTorch's RAdam (its defaults: betas 0.9/0.999, eps 1e-8, no
    weight decay) at a peak ``lr`` under PyTorch's ``PolynomialLR`` (power ``BR_POWER``, to 0
    at the last step), no clipping, ``BR_STEPS`` steps of ``BR_BATCH`` shuffled strings,
    logged every 10 steps with a ``val_loss`` every ``BR_EVAL_EVERY``; the test strings'
    summed loss the truth."""
    splits = brackets()
    order = shuffled_batches(BR_TRAIN, BR_BATCH, BR_STEPS, seed)
    torch.manual_seed(seed)
    model = BracketTagger()
    opt = torch.optim.RAdam(model.parameters(), lr=lr)
    return minibatch_run(model, opt, multitask_loss, splits, order, BR_STEPS, BR_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.PolynomialLR(
                             o, total_iters=BR_STEPS, power=BR_POWER))


# -- a CNN of noisy gratings, their orientation's von Mises NLL, LARS, logged once per epoch ----


@lru_cache(maxsize=None)
def gratings() -> tuple[tuple, tuple, tuple]:
    """``OR_SIDE`` x ``OR_SIDE`` sinusoidal gratings (orientation uniform in [0, pi),
    frequency uniform in 0.12..0.3 cycles a pixel, a uniform phase) under Gaussian pixel
    noise of sd ``OR_NOISE``; the target twice the orientation (an angle on the full circle,
    as an axis's is). Split ``OR_TRAIN`` / ``OR_VAL`` / ``OR_TEST``."""
    rng = np.random.default_rng(SEED)
    n = OR_TRAIN + OR_VAL + OR_TEST
    theta = rng.uniform(0, math.pi, n)
    freq, phase = rng.uniform(0.2, 0.3, n), rng.uniform(0, 2 * math.pi, n)
    yy, xx = np.mgrid[:OR_SIDE, :OR_SIDE] - (OR_SIDE - 1) / 2
    along = xx[None] * np.cos(theta)[:, None, None] + yy[None] * np.sin(theta)[:, None, None]
    img = np.cos(2 * math.pi * freq[:, None, None] * along + phase[:, None, None])
    img += rng.normal(scale=OR_NOISE, size=img.shape)
    return split3(OR_TRAIN, OR_VAL, torch.tensor(img[:, None], dtype=torch.float32),
                  torch.tensor(2 * theta, dtype=torch.float32))


def orientation_cnn() -> nn.Module:
    """Two 3x3 convolutions (``OR_C1``, ``OR_C2`` channels, ReLU, a 2x2 max-pool between),
    a global average pool, a linear layer to the mean direction's cosine and sine (any
    length) and the concentration's pre-softplus."""
    return nn.Sequential(nn.Conv2d(1, OR_C1, 3, padding=1), nn.BatchNorm2d(OR_C1), nn.ReLU(),
                         nn.MaxPool2d(2),
                         nn.Conv2d(OR_C1, OR_C2, 3, padding=1), nn.BatchNorm2d(OR_C2), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(OR_C2, 3))


def von_mises_nll(out: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """The mean von Mises negative log-likelihood of the angles (radians in, the density per
    degree out, so that the NLL stays positive, as the sweep labels need): the mean direction
    that of ``out[:, :2]``, the concentration ``1 + softplus(out[:, 2])`` (at least 1, so the
    mean direction never loses its gradient to a collapsed concentration); ``log I0`` through
    ``i0e``."""
    cos = (out[:, 0] * torch.cos(angle) + out[:, 1] * torch.sin(angle)) / torch.sqrt(
        out[:, 0] ** 2 + out[:, 1] ** 2 + 1e-12)
    kappa = 1 + F.softplus(out[:, 2])
    return (-kappa * cos + math.log(360.0) + torch.log(torch.special.i0e(kappa))
            + kappa).mean()


class LARS(torch.optim.Optimizer):
    """LARS (You et al. 2017) as SimCLR and BYOL's code runs it: SGD with momentum whose
    every weight matrix or kernel takes the step ``lr * trust * |w| / |g|`` times its
    gradient (biases excluded from the adaptation and stepped at ``lr``), no weight decay."""

    def __init__(self, params, lr: float, momentum: float = OR_MOMENTUM,
                 trust_coefficient: float = OR_TRUST):
        super().__init__(params, {"lr": lr, "momentum": momentum, "trust": trust_coefficient})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                if p.ndim > 1:
                    w_norm, g_norm = torch.linalg.norm(p), torch.linalg.norm(g)
                    if w_norm > 0 and g_norm > 0:
                        g = g * (group["trust"] * w_norm / g_norm)
                buf = self.state[p].get("momentum")
                if buf is None:
                    buf = self.state[p]["momentum"] = torch.zeros_like(p)
                buf.mul_(group["momentum"]).add_(g)
                p.add_(buf, alpha=-group["lr"])


def orientation_run(lr: float, seed: int = SEED) -> TestedRun:
    """The orientation CNN: LARS (momentum ``OR_MOMENTUM``, trust coefficient ``OR_TRUST``)
    at ``lr`` cosine-annealed per epoch, ``OR_EPOCHS`` epochs of batches of ``OR_BATCH``
    shuffled images, logged once per epoch (its mean training loss) with a ``val_loss``
    after each; the test images' von Mises NLL the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = gratings()
    per_epoch = OR_TRAIN // OR_BATCH
    order = batches_of(OR_TRAIN, OR_BATCH, OR_EPOCHS, seed)
    epochs = [list(order[e * per_epoch:(e + 1) * per_epoch]) for e in range(OR_EPOCHS)]
    torch.manual_seed(seed)
    model = orientation_cnn()
    opt = LARS(model.parameters(), lr=lr)

    @torch.no_grad()
    def evaluate(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(von_mises_nll(model(x), y))
    test0 = evaluate(xte, yte)
    log = train_by_epoch(model, opt, OR_EPOCHS, epochs,
                         lambda idx: von_mises_nll(model(xtr[idx]), ytr[idx]),
                         lambda: evaluate(xva, yva))
    return TestedRun(log, test0, finite_or_inf(evaluate(xte, yte)), by_epoch=True)


# -- a BitFit fine-tune of a rainfall MLP pretrained here, Tweedie deviance, Adam -------------


def rainfall(rng: np.random.Generator, n: int, shifted: bool) -> tuple[torch.Tensor, ...]:
    """``n`` made days: ``TW_FEATS`` standard normal weather covariates and a rainfall amount
    drawn from the Tweedie law of power ``TW_POWER`` and dispersion ``TW_PHI`` (a Poisson
    number of Gamma showers: often exactly 0) around a mean whose log is nonlinear in them;
    ``shifted`` (the fine-tune's data, another region) moves the intercept and two effects."""
    x = rng.normal(size=(n, TW_FEATS))
    log_mu = (0.3 + 0.6 * x[:, 0] - 0.4 * x[:, 1] + 0.4 * np.sin(2 * x[:, 2])
              + 0.3 * x[:, 3] * x[:, 4])
    if shifted:
        log_mu += -0.5 - 0.4 * x[:, 0] + 0.4 * np.tanh(2 * x[:, 5])
    mu, p = np.exp(log_mu), TW_POWER
    showers = rng.poisson(mu ** (2 - p) / (TW_PHI * (2 - p)))
    y = rng.gamma(showers * (2 - p) / (p - 1) + (showers == 0), TW_PHI * (p - 1) * mu ** (p - 1))
    y[showers == 0] = 0.0
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


@lru_cache(maxsize=None)
def rain_tables() -> tuple[tuple, tuple]:
    """The pretraining table (``TW_PRE_N`` days) and the shifted region's splits (``TW_TRAIN``
    / ``TW_VAL`` / ``TW_TEST``)."""
    rng = np.random.default_rng(SEED)
    pre = rainfall(rng, TW_PRE_N, False)
    return pre, split3(TW_TRAIN, TW_VAL, *rainfall(rng, TW_TRAIN + TW_VAL + TW_TEST, True))


def tweedie_deviance(log_mu: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The mean Tweedie unit deviance (power ``TW_POWER``, log link) of the amounts: 0 where
    the predicted mean is the amount."""
    p, eta = TW_POWER, log_mu.squeeze(1)
    return (2 * (y ** (2 - p) / ((1 - p) * (2 - p)) - y * torch.exp((1 - p) * eta) / (1 - p)
                 + torch.exp((2 - p) * eta) / (2 - p))).mean()


def rain_mlp() -> nn.Module:
    """``TW_FEATS``-``TW_WIDTH``-``TW_WIDTH``-1, ReLU; the log of the mean amount."""
    return nn.Sequential(nn.Linear(TW_FEATS, TW_WIDTH), nn.ReLU(),
                         nn.Linear(TW_WIDTH, TW_WIDTH), nn.ReLU(), nn.Linear(TW_WIDTH, 1))


@lru_cache(maxsize=None)
def pretrained_rain() -> dict[str, torch.Tensor]:
    """The rainfall MLP after pretraining on the first region: the Tweedie deviance, Adam
    ``TW_PRE_LR``, ``TW_PRE_STEPS`` steps of ``TW_PRE_BATCH`` (seed ``SEED``, the same
    weights for every run)."""
    (x, y), _ = rain_tables()
    model = adam_pretrained(rain_mlp, x, y, tweedie_deviance, steps=TW_PRE_STEPS,
                            batch=TW_PRE_BATCH, lr=TW_PRE_LR, seed=SEED)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def bitfit_run(lr: float, seed: int = SEED) -> TestedRun:
    """The fine-tune: the pretrained rainfall MLP with every weight matrix frozen and only
    its biases trained (BitFit, Ben Zaken et al. 2022) under PyTorch's Adam (its defaults:
    betas 0.9/0.999, no weight decay) at a constant ``lr``, the Tweedie deviance,
    ``TW_STEPS`` steps of ``TW_BATCH`` shuffled days, logged every 10 steps with a
    ``val_loss`` every ``TW_EVAL_EVERY``; the test days' deviance the truth."""
    _, splits = rain_tables()
    weights = pretrained_rain()  # before the seed: pretraining draws from the global RNG
    order = shuffled_batches(TW_TRAIN, TW_BATCH, TW_STEPS, seed)
    torch.manual_seed(seed)
    model = rain_mlp()
    model.load_state_dict(weights)
    biases = []
    for name, p in model.named_parameters():
        p.requires_grad_(name.endswith("bias"))
        if p.requires_grad:
            biases.append(p)
    opt = torch.optim.Adam(biases, lr=lr)
    return minibatch_run(model, opt, tweedie_deviance, splits, order, TW_STEPS, TW_EVAL_EVERY)


# -- the plan and the manifest -------------------------------------------------------------------

BR_RANGE, OR_RANGE, TW_RANGE = (-2.5, 0.5), (-2.0, 1.0), (-3.5, -0.5)
EVERY = f"every {LOG_EVERY} steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("transformer_multitask_brackets_radam_poly", quarter_decades(*BR_RANGE),
                   BR_STEPS, brackets_run,
                   {"optimizer": "RAdam", "batch_size": BR_BATCH, "fine_tune": False,
                    "clip": None, "warmup_steps": 0, "weight_decay": 0.0,
                    "schedule": f"polynomial decay (power {BR_POWER:g}) to 0",
                    "loss": "multi-task: depth cross-entropy (each prefix) + balance BCE",
                    "logged": f"{EVERY}, val_loss every {BR_EVAL_EVERY} steps",
                    "model": f"causal transformer, {BR_LAYERS} layers, d {BR_D}, "
                             f"{BR_HEADS} heads, two heads",
                    "data": f"made bracket strings of {BR_LEN}, half unbalanced: {BR_TRAIN} "
                            f"train, {BR_VAL} validation, {BR_TEST} test"}),
        FreshSweep("cnn_orientation_vonmises_lars_epochs", quarter_decades(*OR_RANGE),
                   OR_EPOCHS * (OR_TRAIN // OR_BATCH), orientation_run,
                   {"optimizer": "LARS", "batch_size": OR_BATCH, "epochs": OR_EPOCHS,
                    "momentum": OR_MOMENTUM, "weight_decay": 0.0, "fine_tune": False,
                    "clip": None, "warmup_steps": 0, "schedule": "cosine per epoch",
                    "loss": "von Mises negative log-likelihood (an angle)",
                    "logged": "once per epoch (its mean training loss), val_loss each epoch",
                    "model": f"CNN of two 3x3 convolutions ({OR_C1}, {OR_C2} channels)",
                    "data": f"made noisy {OR_SIDE}x{OR_SIDE} gratings: {OR_TRAIN} train, "
                            f"{OR_VAL} validation, {OR_TEST} test"}),
        FreshSweep("mlp_ft_bitfit_rain_tweedie_adam", quarter_decades(*TW_RANGE),
                   TW_STEPS, bitfit_run,
                   {"optimizer": "Adam", "batch_size": TW_BATCH, "fine_tune": True,
                    "clip": None, "warmup_steps": 0, "weight_decay": 0.0,
                    "schedule": "constant",
                    "loss": f"Tweedie deviance (power {TW_POWER:g}, log link)",
                    "logged": f"{EVERY}, val_loss every {TW_EVAL_EVERY} steps",
                    "model": f"MLP {TW_FEATS}-{TW_WIDTH}-{TW_WIDTH}-1 pretrained on a first "
                             f"region, only its biases trained (BitFit)",
                    "data": f"made rainfall table, a shifted region: {TW_TRAIN} train, "
                            f"{TW_VAL} validation, {TW_TEST} test days"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"transformer_multitask_brackets_radam_poly": "other",
                 "cnn_orientation_vonmises_lars_epochs": "other",
                 "mlp_ft_bitfit_rain_tweedie_adam": "other"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 39's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
