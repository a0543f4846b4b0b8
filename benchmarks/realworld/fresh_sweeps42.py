"""Round 42's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps42 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 41) has, neither by name nor by model, loss and optimizer together: a **byte transformer LM
under Sophia** (Liu et al. 2023, the second-order clipped optimizer made for LM pretraining: no
earlier round ran it) with a warmup and a cosine, **MADE** (a masked autoencoder for
distribution estimation, Germain et al. 2015: no earlier round trained an autoregressive
density model of binary vectors) on a Bernoulli NLL under Adam and ``StepLR``, and a
**Houlsby-adapter fine-tune** (bottleneck adapters: no earlier round's fine-tune used them) of an
MLP pretrained here, on a label-smoothed cross-entropy under **SGD with ``CyclicLR``** (no
earlier round ran ``CyclicLR``); on data made here (no downloads; the text ships with Python).
One is an attention model, one logs once per epoch, one is a fine-tune of a model pretrained
here.

- ``gpt_threading_sophia_warmcos``: a **byte-level decoder-only transformer**
  (``fresh_sweeps36.CausalTransformer``: d 48, 2 pre-LayerNorm layers of 4 causal heads,
  feed-forward 128, learned positions) on the standard library's ``threading.py`` (non-ASCII as
  ``?``; ``fresh_sweeps41.block_windows``: blocks of 512 bytes dealt at random 80/10/10,
  windows of 64 every 16 bytes in training, end to end in validation and test), the next
  byte's cross-entropy under **SophiaG** (written here in torch as the authors' ``SophiaG``
  computes it: betas 0.965/0.99, rho 0.04, decoupled weight decay 0.1, the Gauss-Newton-Bartlett
  Hessian estimate, the squared gradient of the loss at next bytes drawn from the model's own
  softmax on the current batch, every 10 steps from the first; no clipping) at a peak LR after
  a linear warmup of 30 steps, then a cosine to a tenth of it, 500 steps of 16, logged every 10
  steps with a ``val_loss`` every 50.
- ``made_blocks_bernoulli_adam_steplr_epochs``: **MADE** 64-128-128-64 (masked linear layers,
  ReLU, the natural order, one mask drawn once; as Karpathy's ``pytorch-made`` builds it) on
  **made 8x8 binary images** (a filled rectangle of random corners or'ed with a full row or
  column, every pixel flipped with probability 0.03; 4000 / 500 / 2000 images), the images'
  **Bernoulli negative log-likelihood** (nats an image) under **Adam** (weight decay 1e-4, as
  ``pytorch-made`` trains it) at an LR times 0.1 after epoch 12 (**``StepLR``**), **logged
  once per epoch** (24 epochs of 40 batches of 100: a point an epoch, its mean training loss,
  and a ``val_loss`` after it).
- ``mlp_ft_adapters_smoothce_sgdm_cyclic``: round 40's MLP 16-64-64-6 (LayerNorm, GELU)
  **pretrained here** on a first domain (``fresh_sweeps40.domain`` with a teacher of this
  round's seed: Adam 1e-3, 1500 steps of 64; the same weights for every run), then fine-tuned
  on a shifted domain (1000 / 300 / 3000 rows) through **Houlsby bottleneck adapters** (64-8-64,
  GELU, residual, the up-projection zero at the start) after each hidden layer, every
  pretrained weight frozen but the LayerNorms and the output layer, on the **cross-entropy
  with label smoothing 0.1** under **SGD with momentum 0.9** and **``CyclicLR``** (triangular2:
  from a tenth of the LR to the LR and back every 100 steps, each cycle's amplitude half the
  last's, the momentum cycled 0.8-0.9 against it: PyTorch's defaults), 300 steps of 32, logged
  every 10 steps with a ``val_loss`` every 50; a seed moves the batches and the adapters'
  initialisation only.

13 quarter-decade LRs each (every step 1.78x, so a best within 2x is a grid point), seed 38.
**The grids were fixed from what users pick before any probe, and one moved once after a first
probe** (every other grid point, seed 38, at LRs rounded to three digits): the transformer's
10**-4..10**-1 (Sophia's recipes: 1e-4 to 1e-3 for GPT-2, more for small models), whose probe put
the best at 3.16e-3 (2.1872; 1e-3 2.2847, 1e-2 2.4754), 1.5 decades from both ends, kept; MADE's
10**-4..10**-1 (Adam: 1e-4 to 1e-2; ``pytorch-made`` 1e-3), whose probe put the best at 1e-2
(23.2212; 3.16e-3 24.5354, 3.16e-2 24.6524), a decade from the top, moved up half a decade to
10**-3.5..10**-0.5; the adapters' 10**-3..10**0 (SGD fine-tunes: 1e-2 to 1e-1), whose probe put
the best at 3.16e-2 (1.4037; 1e-2 1.4280, 1e-1 1.4257), 1.5 decades from both ends, kept. The
sweep bests: transformer 3.16e-3 and adapters 3.16e-2 (1.5 decades from both ends), MADE 1e-2
(1.5 decades from both ends).

**The adapters' top is flat and its cliff lies past the grid**: from 1e-2 to 1 every run ends
within 5% of the best (0.316 the worst, 1.4737, +5.0%; 1 itself 1.4132, +0.7%), and a probe
above the grid broke at once (1.33 ended at 1.2e16, 1.78 and up non-finite). The grid was not
moved for it (its best is 1.5 decades from both ends); its labels are mostly stalled below and
healthy above.

Probe test losses at each best and its neighbours (seeds 36/37/38; seed 38 the sweep's own
runs, the others at three-digit LRs; a seed moves the batches and the initialisation, of the
fine-tune the batches and the adapters only, not the data or the pretrained weights):

- **The transformer's best moves between 1.78e-3 and 3.16e-3**: 1.78e-3 at seeds 36 and 37
  (2.2342, 2.2347; 3.16e-3 +1.7%, +2.6%; 1e-3 +3.1%, +3.3%; 5.62e-3 +6.6%, +8.4%), 3.16e-3 at
  seed 38 (2.1968; 1.78e-3 +0.6%, 5.62e-3 +5.5%).
- **MADE's best is 1e-2 at every seed**: 23.4464, 23.2426, 23.2212 at seeds 36/37/38;
  5.62e-3 +1.4%, +3.1%, +1.7%; 1.78e-2 +2.7%, +2.1%, +3.6%.
- **The adapters' best is 3.16e-2 at every seed, 1e-1 a hair behind**: 1.4026, 1.4021, 1.4037
  at seeds 36/37/38; 1e-2 +1.9%, +2.0%, +1.7%; 1e-1 +0.3%, +0.3%, +1.6%; 1 +3.5%, +0.6%, +0.7%.

Best test losses: the transformer 2.1968 at 3.16e-3 from 4.9833 (it fell 56%); MADE 23.2212 at
1e-2 from 44.2755 (48%); the adapters 1.4037 at 3.16e-2 from 2.4427 (43%). Labels: 14 stalled,
10 healthy, 15 oscillating, 0 diverging (transformer 5/2/6/0, MADE 5/2/6/0, adapters 4/6/3/0):
no run of these ends above its start or goes non-finite. Training took 99.2 CPU s on one thread
for the 39 runs in the sweeps (transformer 87.4, MADE 7.8, adapters 4.0; each run's own CPU
time, on a machine shared with other work), and about 125 CPU s for the timing checks, the
probes (those past the adapters' grid too), the seed checks and the pretrainings: about 225 CPU
s in all, under 4 CPU minutes (the processes' imports not counted), under the plan's ~25.

The truth is the loss on a test split that no log holds; each log's ``val_loss`` comes from a
separate validation split, as in rounds 8 to 41 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh42.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r42made.jsonl``: the ``round42-made`` side of
the one-run diagnosis). The transformer and the fine-tune train through
``fresh_sweeps31.minibatch_run`` with the scheduler each steps every step; MADE through
``fresh_sweeps8.train_by_epoch`` with ``StepLR`` stepped each epoch; the pretrained MLP through
``fresh_sweeps8.adam_pretrained``.

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 41's were; a
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
from benchmarks.realworld.fresh_sweeps8 import (TestedRun, adam_pretrained, finite_or_inf, make,
                                                tested_manifest_rows, train_by_epoch)
from benchmarks.realworld.fresh_sweeps21 import batches_of, split3
from benchmarks.realworld.fresh_sweeps26 import ascii_stream
from benchmarks.realworld.fresh_sweeps31 import minibatch_run, shuffled_batches
from benchmarks.realworld.fresh_sweeps36 import CausalTransformer
from benchmarks.realworld.fresh_sweeps40 import LN_CLASSES, LN_IN, LN_WIDTH, domain, ln_mlp
from benchmarks.realworld.fresh_sweeps41 import block_windows, next_byte_loss
from benchmarks.realworld.made_tasks import warmup_cosine
from benchmarks.realworld.make_runs import quarter_decades

SEED = 38  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 37)
OUT = HERE / "sweeps_fresh42.json"
MANIFEST = HERE / "manifest_r42made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps42.py"
LOG_EVERY = 10

# the byte transformer LM under Sophia: threading.py, warmup + cosine
SO_TEXT, SO_BLOCK, SO_CTX, SO_STRIDE = "threading.py", 512, 64, 16
SO_D, SO_LAYERS, SO_HEADS, SO_FF = 48, 2, 4, 128
SO_STEPS, SO_WARMUP, SO_BATCH, SO_EVAL_EVERY = 500, 30, 16, 50
SO_BETAS, SO_RHO, SO_WD, SO_HESS_EVERY = (0.965, 0.99), 0.04, 0.1, 10
# MADE (masked autoencoder for distribution estimation) on made binary images, Adam + StepLR
MA_SIDE, MA_HIDDEN, MA_FLIP = 8, 128, 0.03
MA_TRAIN, MA_VAL, MA_TEST, MA_EPOCHS, MA_BATCH = 4000, 500, 2000, 24, 100
MA_WD, MA_STEP_EPOCHS, MA_GAMMA = 1e-4, 12, 0.1
# the adapter fine-tune: round 40's MLP (pretrained here), Houlsby adapters, SGD + CyclicLR
AD_BOTTLENECK, AD_SMOOTH = 8, 0.1
AD_PRE_N, AD_PRE_STEPS, AD_PRE_BATCH, AD_PRE_LR = 5000, 1500, 64, 1e-3
AD_TRAIN, AD_VAL, AD_TEST = 1000, 300, 3000
AD_STEPS, AD_BATCH, AD_EVAL_EVERY, AD_MOMENTUM, AD_HALF_CYCLE = 300, 32, 50, 0.9, 50


# -- a byte transformer LM under Sophia (written here in torch), warmup + cosine ------------------


class SophiaG(torch.optim.Optimizer):
    """Sophia with the Gauss-Newton-Bartlett Hessian estimate (Liu et al. 2023, as their
    ``SophiaG`` computes it): ``m`` the gradient's moving average (beta1), ``h`` a moving
    average (beta2) of the squared gradient of the loss at labels sampled from the model's own
    softmax, refreshed every ``every`` steps from the first (``sampled_loss()`` gives that loss
    on the current batch); the step is ``lr`` times ``sign(m)`` times
    ``min(|m| / (rho * tokens * h + 1e-15), 1)`` after a decoupled weight decay
    ``lr * weight_decay``."""

    def __init__(self, params, sampled_loss, lr: float = 1e-4,
                 betas: tuple[float, float] = SO_BETAS, rho: float = SO_RHO,
                 weight_decay: float = SO_WD, tokens: int = SO_BATCH * SO_CTX,
                 every: int = SO_HESS_EVERY):
        super().__init__(params, {"lr": lr, "betas": betas, "rho": rho,
                                  "weight_decay": weight_decay})
        self.sampled_loss, self.tokens, self.every, self.t = sampled_loss, tokens, every, 0

    def refresh_hessian(self) -> None:
        """``h`` moves toward the squared gradient of ``sampled_loss()`` (computed apart from
        the parameters' ``.grad``)."""
        params = [p for g in self.param_groups for p in g["params"]]
        with torch.enable_grad():
            grads = iter(torch.autograd.grad(self.sampled_loss(), params, allow_unused=True))
        for group in self.param_groups:
            b2 = group["betas"][1]
            for p in group["params"]:
                g, state = next(grads), self.state[p]
                if not state:
                    state["m"], state["h"] = torch.zeros_like(p), torch.zeros_like(p)
                if g is not None:
                    state["h"].mul_(b2).addcmul_(g, g, value=1 - b2)

    @torch.no_grad()
    def step(self, closure=None):
        if self.t % self.every == 0:
            self.refresh_hessian()
        self.t += 1
        for group in self.param_groups:
            b1, lr = group["betas"][0], group["lr"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                state["m"].mul_(b1).add_(p.grad, alpha=1 - b1)
                p.mul_(1 - lr * group["weight_decay"])
                ratio = (state["m"].abs() / (group["rho"] * self.tokens * state["h"] + 1e-15)
                         ).clamp_(max=1.0)
                p.addcmul_(state["m"].sign(), ratio, value=-lr)


class RecordingTransformer(CausalTransformer):
    """``CausalTransformer`` that keeps its last training batch (``last``) for Sophia's
    Hessian estimate."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.last = x
        return super().forward(x)


def sampled_next_byte_loss(model: RecordingTransformer) -> torch.Tensor:
    """The cross-entropy of the model's last training batch at next bytes drawn from its own
    softmax (the Gauss-Newton-Bartlett estimator's loss)."""
    logits = model(model.last)
    with torch.no_grad():
        drawn = torch.distributions.Categorical(logits=logits.detach()).sample()
    return next_byte_loss(logits, drawn)


@lru_cache(maxsize=None)
def lm_windows() -> tuple[tuple, tuple, tuple]:
    """``SO_TEXT``'s windows (non-ASCII as ``?``): ``fresh_sweeps41.block_windows``, blocks of
    ``SO_BLOCK`` bytes dealt at random 80/10/10, windows of ``SO_CTX`` every ``SO_STRIDE``
    bytes in training, end to end in validation and test."""
    return block_windows(ascii_stream(SO_TEXT), SO_CTX, SO_STRIDE, SO_BLOCK)


def sophia_lm_run(lr: float, seed: int = SEED) -> TestedRun:
    """A byte-level decoder-only transformer (``CausalTransformer``: d ``SO_D``, ``SO_LAYERS``
    pre-LayerNorm layers of ``SO_HEADS`` heads, feed-forward ``SO_FF``) on the standard
    library's ``SO_TEXT``, the next byte's cross-entropy, under ``SophiaG`` (betas
    ``SO_BETAS``, rho ``SO_RHO``, weight decay ``SO_WD``, the Hessian every
    ``SO_HESS_EVERY`` steps: the authors' defaults) at a peak ``lr``, warmup ``SO_WARMUP``
    steps then a cosine to a tenth, ``SO_STEPS`` steps of ``SO_BATCH`` shuffled windows, logged
    every 10 steps with a ``val_loss`` every ``SO_EVAL_EVERY``; the test windows' loss the
    truth."""
    splits = lm_windows()
    order = shuffled_batches(len(splits[0][0]), SO_BATCH, SO_STEPS, seed)
    torch.manual_seed(seed)
    model = RecordingTransformer(128, SO_CTX, SO_D, SO_LAYERS, SO_HEADS, SO_FF)
    opt = SophiaG(model.parameters(), lambda: sampled_next_byte_loss(model), lr=lr)
    factor = warmup_cosine(SO_WARMUP, SO_STEPS)
    return minibatch_run(model, opt, next_byte_loss, splits, order, SO_STEPS, SO_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor))


# -- MADE on made binary images, Bernoulli NLL, Adam + StepLR, logged once per epoch ------------


@lru_cache(maxsize=None)
def block_images() -> tuple[tuple, tuple, tuple]:
    """``MA_SIDE`` x ``MA_SIDE`` binary images: a filled rectangle (random corners) or'ed with
    a full row or column line (one of the two at random), every pixel then flipped with
    probability ``MA_FLIP``; flattened. Split ``MA_TRAIN`` / ``MA_VAL`` / ``MA_TEST``."""
    rng = np.random.default_rng(SEED)
    n, side = MA_TRAIN + MA_VAL + MA_TEST, MA_SIDE
    a, b = rng.integers(0, side, (2, n, 2))
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    r, c = np.arange(side)[None, :, None], np.arange(side)[None, None, :]
    rect = ((r >= lo[:, 0, None, None]) & (r <= hi[:, 0, None, None])
            & (c >= lo[:, 1, None, None]) & (c <= hi[:, 1, None, None]))
    at, rows = rng.integers(0, side, n)[:, None, None], rng.random(n)[:, None, None] < 0.5
    line = np.where(rows, r == at, c == at)
    img = (rect | line) ^ (rng.random((n, side, side)) < MA_FLIP)
    return split3(MA_TRAIN, MA_VAL, torch.tensor(img.reshape(n, -1), dtype=torch.float32))


class MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied by a fixed 0/1 ``mask`` (out x in)."""

    def __init__(self, n_in: int, n_out: int, mask: torch.Tensor):
        super().__init__(n_in, n_out)
        self.register_buffer("mask", mask.float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


class MADE(nn.Module):
    """MADE (Germain et al. 2015; as Karpathy's ``pytorch-made`` builds it): ``n`` inputs in
    their natural order, two masked hidden layers of ``MA_HIDDEN`` (ReLU) whose units' degrees
    are drawn once (seed ``SEED``) from 1 to ``n - 1``, the output ``i`` seeing only inputs
    before ``i``; the outputs are each pixel's Bernoulli logit."""

    def __init__(self, n: int = MA_SIDE * MA_SIDE, hidden: int = MA_HIDDEN):
        super().__init__()
        g = torch.Generator().manual_seed(SEED)
        d_in = torch.arange(1, n + 1)
        d1 = torch.randint(1, n, (hidden,), generator=g)
        d2 = torch.randint(int(d1.min()), n, (hidden,), generator=g)
        self.net = nn.Sequential(
            MaskedLinear(n, hidden, d1[:, None] >= d_in[None, :]), nn.ReLU(),
            MaskedLinear(hidden, hidden, d2[:, None] >= d1[None, :]), nn.ReLU(),
            MaskedLinear(hidden, n, d_in[:, None] > d2[None, :]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The mean negative log-likelihood of the images, nats an image (the pixels' summed
    binary cross-entropies)."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)


def made_run(lr: float, seed: int = SEED) -> TestedRun:
    """MADE under PyTorch's Adam (weight decay ``MA_WD``, as ``pytorch-made`` trains it) at
    ``lr`` times ``MA_GAMMA`` every ``MA_STEP_EPOCHS`` epochs (``StepLR``), ``MA_EPOCHS``
    epochs of batches of ``MA_BATCH`` shuffled images on ``bernoulli_nll``, logged once per
    epoch (its mean training loss) with a ``val_loss`` after each; the test images' NLL the
    truth."""
    (xtr,), (xva,), (xte,) = block_images()
    per_epoch = MA_TRAIN // MA_BATCH
    order = batches_of(MA_TRAIN, MA_BATCH, MA_EPOCHS, seed)
    epochs = [list(order[e * per_epoch:(e + 1) * per_epoch]) for e in range(MA_EPOCHS)]
    torch.manual_seed(seed)
    model = MADE()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=MA_WD)

    @torch.no_grad()
    def evaluate(x: torch.Tensor) -> float:
        model.eval()
        return float(bernoulli_nll(model(x), x))
    test0 = evaluate(xte)
    log = train_by_epoch(model, opt, MA_EPOCHS, epochs,
                         lambda idx: bernoulli_nll(model(xtr[idx]), xtr[idx]),
                         lambda: evaluate(xva),
                         scheduler=lambda o: torch.optim.lr_scheduler.StepLR(
                             o, MA_STEP_EPOCHS, MA_GAMMA))
    return TestedRun(log, test0, finite_or_inf(evaluate(xte)), by_epoch=True)


# -- Houlsby adapters in an MLP pretrained here, label-smoothed CE, SGD + CyclicLR ---------------


@lru_cache(maxsize=None)
def ad_tables() -> tuple[tuple, tuple]:
    """The pretraining table (``AD_PRE_N`` rows) and the shifted domain's splits
    (``AD_TRAIN`` / ``AD_VAL`` / ``AD_TEST``), made as round 40's (``fresh_sweeps40.domain``)
    from a teacher of this round's seed."""
    rng = np.random.default_rng(SEED)
    teacher = (rng.normal(size=(LN_IN, 32)) / np.sqrt(LN_IN), rng.normal(size=32),
               rng.normal(size=(32, LN_CLASSES)) / np.sqrt(32), rng.normal(size=32))
    pre = domain(rng, AD_PRE_N, teacher, False)
    return pre, split3(AD_TRAIN, AD_VAL,
                       *domain(rng, AD_TRAIN + AD_VAL + AD_TEST, teacher, True))


@lru_cache(maxsize=None)
def pretrained_mlp() -> dict[str, torch.Tensor]:
    """Round 40's MLP (``ln_mlp``) after pretraining on the first domain: cross-entropy, Adam
    ``AD_PRE_LR``, ``AD_PRE_STEPS`` steps of ``AD_PRE_BATCH`` (seed ``SEED``, the same weights
    for every run)."""
    (x, y), _ = ad_tables()
    model = adam_pretrained(ln_mlp, x, y, F.cross_entropy, steps=AD_PRE_STEPS,
                            batch=AD_PRE_BATCH, lr=AD_PRE_LR, seed=SEED)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class Adapter(nn.Module):
    """A Houlsby bottleneck adapter (Houlsby et al. 2019): ``x + up(gelu(down(x)))``, ``width``
    to ``AD_BOTTLENECK`` and back, the up-projection zero at the start (the identity)."""

    def __init__(self, width: int = LN_WIDTH):
        super().__init__()
        self.down, self.up = nn.Linear(width, AD_BOTTLENECK), nn.Linear(AD_BOTTLENECK, width)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.up(F.gelu(self.down(x)))


def with_adapters(model: nn.Sequential) -> tuple[nn.Sequential, list[nn.Parameter]]:
    """The pretrained MLP with an ``Adapter`` after each hidden layer's GELU, every pretrained
    weight frozen but the LayerNorms and the output layer (what Houlsby's recipe trains besides
    the adapters); the model and its trained parameters."""
    for p in model.parameters():
        p.requires_grad_(False)
    layers = []
    for m in model:
        layers.append(m)
        if isinstance(m, nn.GELU):
            layers.append(Adapter())
    tuned = nn.Sequential(*layers)
    for m in list(tuned)[:-1]:
        if isinstance(m, (nn.LayerNorm, Adapter)):
            m.requires_grad_(True)
    tuned[-1].requires_grad_(True)
    return tuned, [p for p in tuned.parameters() if p.requires_grad]


def smoothed_ce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits, y, label_smoothing=AD_SMOOTH)


def adapter_run(lr: float, seed: int = SEED) -> TestedRun:
    """The fine-tune: the pretrained MLP ``with_adapters`` under PyTorch's SGD (momentum
    ``AD_MOMENTUM``) at ``CyclicLR``'s triangular2 cycles between a tenth of ``lr`` and
    ``lr`` (half-cycles of ``AD_HALF_CYCLE`` steps, each cycle's amplitude half the last's, the
    momentum cycled 0.8-0.9 against it: PyTorch's defaults), stepped every step, the
    label-smoothed (``AD_SMOOTH``) cross-entropy, ``AD_STEPS`` steps of ``AD_BATCH`` shuffled
    rows, logged every 10 steps with a ``val_loss`` every ``AD_EVAL_EVERY``; the test rows'
    label-smoothed cross-entropy the truth."""
    _, splits = ad_tables()
    weights = pretrained_mlp()  # before the seed: pretraining draws from the global RNG
    order = shuffled_batches(AD_TRAIN, AD_BATCH, AD_STEPS, seed)
    torch.manual_seed(seed)
    base = ln_mlp()
    base.load_state_dict(weights)
    model, tuned = with_adapters(base)
    opt = torch.optim.SGD(tuned, lr=lr, momentum=AD_MOMENTUM)
    return minibatch_run(model, opt, smoothed_ce, splits, order, AD_STEPS, AD_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.CyclicLR(
                             o, lr / 10, lr, step_size_up=AD_HALF_CYCLE, mode="triangular2"))


# -- the plan and the manifest -------------------------------------------------------------------

SO_RANGE, MA_RANGE, AD_RANGE = (-4.0, -1.0), (-3.5, -0.5), (-3.0, 0.0)
EVERY = f"every {LOG_EVERY} steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("gpt_threading_sophia_warmcos", quarter_decades(*SO_RANGE), SO_STEPS,
                   sophia_lm_run,
                   {"optimizer": "Sophia (SophiaG)", "batch_size": SO_BATCH,
                    "fine_tune": False, "clip": None, "warmup_steps": SO_WARMUP,
                    "weight_decay": SO_WD, "betas": list(SO_BETAS), "rho": SO_RHO,
                    "hessian_every": SO_HESS_EVERY,
                    "schedule": f"linear warmup {SO_WARMUP}, cosine to 0.1 of the peak",
                    "loss": "cross-entropy (next byte)",
                    "logged": f"{EVERY}, val_loss every {SO_EVAL_EVERY} steps",
                    "model": f"decoder-only byte transformer (GPT), d {SO_D}, {SO_LAYERS} "
                             f"layers, {SO_HEADS} heads, feed-forward {SO_FF}",
                    "data": f"the standard library's {SO_TEXT}, blocks of {SO_BLOCK} bytes "
                            f"dealt 80/10/10, windows of {SO_CTX}"}),
        FreshSweep("made_blocks_bernoulli_adam_steplr_epochs", quarter_decades(*MA_RANGE),
                   MA_EPOCHS * (MA_TRAIN // MA_BATCH), made_run,
                   {"optimizer": "Adam", "batch_size": MA_BATCH, "epochs": MA_EPOCHS,
                    "weight_decay": MA_WD, "fine_tune": False, "clip": None,
                    "warmup_steps": 0,
                    "schedule": f"StepLR x{MA_GAMMA:g} every {MA_STEP_EPOCHS} epochs",
                    "loss": "Bernoulli negative log-likelihood (nats an image)",
                    "logged": "once per epoch (its mean training loss), val_loss each epoch",
                    "model": f"MADE (masked autoencoder for distribution estimation), "
                             f"{MA_SIDE * MA_SIDE}-{MA_HIDDEN}-{MA_HIDDEN}-"
                             f"{MA_SIDE * MA_SIDE} masked MLP, ReLU",
                    "data": f"made {MA_SIDE}x{MA_SIDE} binary images (a rectangle and a line, "
                            f"{MA_FLIP:g} pixel flips): {MA_TRAIN} train, {MA_VAL} "
                            f"validation, {MA_TEST} test"}),
        FreshSweep("mlp_ft_adapters_smoothce_sgdm_cyclic", quarter_decades(*AD_RANGE),
                   AD_STEPS, adapter_run,
                   {"optimizer": "SGD", "batch_size": AD_BATCH, "momentum": AD_MOMENTUM,
                    "fine_tune": True, "clip": None, "warmup_steps": 0, "weight_decay": 0.0,
                    "schedule": f"CyclicLR triangular2, from 0.1x to the peak, half-cycles "
                                f"of {AD_HALF_CYCLE} steps",
                    "loss": f"cross-entropy, label smoothing {AD_SMOOTH:g}",
                    "logged": f"{EVERY}, val_loss every {AD_EVAL_EVERY} steps",
                    "model": f"MLP {LN_IN}-{LN_WIDTH}-{LN_WIDTH}-{LN_CLASSES} (LayerNorm, "
                             f"GELU) pretrained on a first domain, Houlsby adapters of "
                             f"{AD_BOTTLENECK} trained (with the LayerNorms and the head)",
                    "data": f"made table of a shifted domain: {AD_TRAIN} train, {AD_VAL} "
                            f"validation, {AD_TEST} test rows"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"gpt_threading_sophia_warmcos": "lm_pretrain",
                 "made_blocks_bernoulli_adam_steplr_epochs": "other",
                 "mlp_ft_adapters_smoothce_sgdm_cyclic": "classifier"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 42's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
