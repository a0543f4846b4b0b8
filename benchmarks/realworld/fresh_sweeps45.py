"""Round 45's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps45 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 44) has, neither by name nor by model, loss and optimizer together: **prompt tuning**
(Lester et al. 2021: learned input vectors before a frozen model; no earlier round's fine-tune
used it) of round 41's byte transformer pretrained here, under **AdamW** with a linear decay
(PEFT's prompt-tuning recipe); a **neural additive model** (Agarwal et al. 2021: no earlier
round trained one) classifying a made table by the binary cross-entropy under full-batch
**Rprop** (no earlier round used it), **logged once per epoch**; and a **diagonal state-space
(S4D) byte LM** (Gu et al. 2022: no earlier round trained a state-space model) under **AdamW**
with ``CosineAnnealingLR``, as S4's own example trains it. On data made here (no downloads; the
text ships with Python). One is an attention model (the fine-tune), one a sequence LM, one logs
once per epoch, one is a fine-tune of a model pretrained here.

- ``gpt_ft_prompt_prose_adamw_linear``: round 41's byte transformer (d 48, 2 pre-LayerNorm
  layers of 4 causal heads, feed-forward 128, context 64) **pretrained here** on the standard
  library's ``zipfile.py`` (``fresh_sweeps41.pretrained_lm``: Adam 3e-3, 1200 steps of 16; the
  same weights for every run), every weight frozen, tuned on the English prose of
  ``pydoc_data`` (``fresh_sweeps41.prose_windows`` cut to 56 bytes) through **8 soft prompt
  vectors** put before each window (they take the first 8 positions; they start as the
  embeddings of 8 printable bytes drawn at random, the paper's vocabulary initialisation), the
  next byte's cross-entropy on the text's positions under **AdamW** (PyTorch's defaults, weight
  decay 0.01) at an LR decayed linearly to 0 with no warmup, 300 steps of 16, logged every 10
  steps with a ``val_loss`` every 50.
- ``nam_additive_bce_rprop_epochs``: a **neural additive model**, one MLP 1-32-32-1 (ReLU) for
  each of 6 features, summed into one logit, classifying a **made table** (6 features uniform
  on [-1, 1], a label drawn with the probability the sigmoid of additive log-odds gives: a sine,
  a parabola, a step, a line, a saturating exponential, one feature of no use; 2000 / 500 /
  2000 rows), the **binary cross-entropy** under PyTorch's **Rprop** (its defaults: etas 0.5 /
  1.2, step sizes 1e-6 to 50; the LR its initial step size), one full-batch step an epoch,
  **logged once per epoch** (30 epochs: the training loss before each step, a ``val_loss``
  after it).
- ``s4d_mailbox_adamw_cosine``: a **S4D byte LM** (2 pre-LayerNorm residual blocks of an S4D
  layer, GELU and a linear channel mixing, width 64; 8 complex modes a channel, S4D-Lin's
  ``A_n = -1/2 + i pi n``, a learned step log-uniform on [1e-3, 1e-1] at the start, a
  zero-order-hold kernel of the window's length applied by FFT, a skip ``D``) on the standard
  library's ``mailbox.py`` (``fresh_sweeps41.block_windows`` of 64 bytes, blocks of 1024
  dealt 80/10/10), the next byte's cross-entropy under **AdamW** (weight decay 0.01 on the
  matrices and embeddings, none on the state-space parameters, biases and LayerNorms, as S4's
  example sets it) annealed to 0 by **``CosineAnnealingLR``** with no warmup, 300 steps of 16,
  logged every 10 steps with a ``val_loss`` every 50.

13 quarter-decade LRs each (every step 1.78x, so a best within 2x is a grid point), seed 41.
**The grids were fixed from what users pick before any probe, and all three moved once after a
first probe** (every other grid point, seed 41, at LRs rounded to three digits): the prompt
tuning's 10**-3..10**0 (PEFT's 3e-2), whose probe put the best at the top, 1 (2.7690; 3.16e-1
2.7719, 1e-1 2.8075, 1e-3 2.9014), moved up 2 decades to 10**-1..10**2 (after three more probe
points, 3.16 2.7620, 10 2.7939, 31.6 2.8147: no cliff above); the NAM's 10**-3.5..10**-0.5
(Rprop's default 1e-2 in the middle), whose probe put the best at 3.16e-3 (0.5118; 1e-2 0.5135,
1e-3 0.5284, 3.16e-4 0.5361, 1e-1 0.5956, 3.16e-1 1.4653), a decade from the bottom, moved down
half a decade to 10**-4..10**-1; the S4D LM's 10**-3.5..10**-0.5 (S4's example 1e-2 in the
middle), whose probe put the best at 3.16e-2 (1.2257; 1e-2 1.4480, 1e-1 1.3486, 3.16e-1
1.7369), a decade from the top, moved up half a decade to 10**-3..10**0. **The NAM's first
design ran 60 epochs and was flat** (every LR from 3.16e-4 to 1e-1 within 0.3% at the probe:
Rprop grows each step size 1.2x an epoch while the gradient's sign holds, so a small first step
catches up long before the end); a second look at 20 and 30 epochs (9 LRs each, seed 41) kept
30, whose small first steps stay behind (that look is the probe above). The sweep bests: the prompt tuning 1, the NAM 3.16e-3, the S4D LM 5.62e-2,
each at least a decade from both ends.

**The prompt tuning is flat over three decades: 12 healthy labels, one oscillating, no stalled
or diverging one.** A frozen model moved only by 8 input vectors falls 5.5% at best, and every
LR from 1e-1 to 100 but 56.2 ends within 2% of the best (1e-1 +1.4%, 100 +1.8%, 56.2 +2.4%): a
held-out family where the LR hardly matters, as prompt tuning's users meet it. No family of this
round diverges: the S4D LM's top, 1, ends at 2.3903 from 5.1314 (oscillating).

Probe test losses at each best and its neighbours (seeds 39/40/41; seed 41 the sweep's own
runs, the others at three-digit LRs; a seed moves the batches and the initialisation, of the
fine-tune the batches and the prompt's start only, not the data or the pretrained weights):

- **The prompt tuning's best moves between 1 and 1.78, its neighbours within 0.7%**: 1 at
  seeds 40 and 41 (2.7811, 2.7690; 1.78 +0.05%, +0.4%; 5.62e-1 +0.5%, +0.6%), 1.78 at seed 39
  (2.7809; 1 +0.07%, 5.62e-1 +0.3%).
- **The NAM's best moves between 3.16e-3 and 5.62e-3 on a plateau**: 3.16e-3 at seeds 40 and
  41 (0.5128, 0.5131; 5.62e-3 +0.2%, +0.1%; 1.78e-3 +0.3%, +1.3%), 5.62e-3 at seed 39
  (0.5123; 3.16e-3 +0.04%, 1.78e-3 +0.9%).
- **The S4D LM's best is 5.62e-2 at every seed, its neighbours 1-16% above**: 1.1697, 1.2037,
  1.1630 at seeds 39/40/41; 3.16e-2 +4.9%, +1.2%, +5.1%; 1e-1 +7.2%, +11.4%, +16.0%.

Best test losses: the prompt tuning 2.7690 at 1 from 2.9295 (it fell 5.5%); the NAM 0.5131 at
3.16e-3 from 0.7027 (27%); the S4D LM 1.1630 at 5.62e-2 from 5.1314 (77%). Labels: 12 stalled,
18 healthy, 9 oscillating, 0 diverging (prompt tuning 0/12/1/0, NAM 5/5/3/0, S4D LM 7/1/5/0).
Training took 72.9 CPU s on one thread for the 39 runs in the sweeps (prompt tuning 33.1, NAM
1.3, S4D LM 38.5; each run's own CPU time, on a machine shared with other work), and about 150
CPU s for the pretraining (about 11 s a process), the timing checks, the probes (the NAM's first
design's included) and the seed checks: under 4 CPU minutes in all (the processes' imports not
counted), under the plan's ~25.

The truth is the loss on a test split that no log holds; each log's ``val_loss`` comes from a
separate validation split, as in rounds 8 to 44 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh45.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r45made.jsonl``: the ``round45-made`` side of
the one-run diagnosis). The prompt tuning and the S4D LM train through
``fresh_sweeps31.minibatch_run`` with the scheduler each steps every step; the NAM through
``fresh_sweeps8.train_by_epoch`` (one batch of every training row an epoch).

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 44's were; a
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
from benchmarks.realworld.fresh_sweeps21 import split3
from benchmarks.realworld.fresh_sweeps26 import ascii_stream
from benchmarks.realworld.fresh_sweeps31 import minibatch_run, shuffled_batches
from benchmarks.realworld.fresh_sweeps41 import (FT_CTX, FT_D, FT_FF, FT_HEADS, FT_LAYERS,
                                                 block_windows, code_lm, next_byte_loss,
                                                 pretrained_lm, prose_windows)
from benchmarks.realworld.made_tasks import warmup_linear
from benchmarks.realworld.make_runs import quarter_decades

SEED = 41  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 40)
OUT = HERE / "sweeps_fresh45.json"
MANIFEST = HERE / "manifest_r45made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps45.py"
LOG_EVERY = 10

# prompt tuning of round 41's byte transformer pretrained here, AdamW + linear decay
PT_PROMPT, PT_STEPS, PT_BATCH, PT_EVAL_EVERY = 8, 300, 16, 50
# the NAM (neural additive model) of a made table, full-batch Rprop, logged once per epoch
NA_FEATURES, NA_HIDDEN, NA_TRAIN, NA_VAL, NA_TEST, NA_EPOCHS = 6, 32, 2000, 500, 2000, 30
# the diagonal state-space (S4D) byte LM under AdamW + cosine
SS_TEXT, SS_CTX, SS_D, SS_STATE, SS_LAYERS = "mailbox.py", 64, 64, 16, 2
SS_STEPS, SS_BATCH, SS_EVAL_EVERY, SS_WD = 300, 16, 50, 0.01


# -- prompt tuning of a byte transformer pretrained here, under AdamW ---------------------------


class PromptTuned(nn.Module):
    """Prompt tuning (Lester et al. 2021): ``PT_PROMPT`` learned input vectors put before each
    window of a frozen ``CausalTransformer`` (they take its first positions, the text the
    rest); the logits of the text's positions only. The prompt starts as the embeddings of
    ``PT_PROMPT`` printable bytes drawn at random (the paper's vocabulary initialisation)."""

    def __init__(self, lm: nn.Module):
        super().__init__()
        self.lm = lm
        for p in lm.parameters():
            p.requires_grad_(False)
        start = torch.randint(32, 127, (PT_PROMPT,))
        self.prompt = nn.Parameter(lm.tok.weight[start].detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lm, n = self.lm, PT_PROMPT + x.shape[1]
        h = torch.cat([self.prompt.expand(len(x), -1, -1), lm.tok(x)], 1) + lm.pos.weight[:n]
        out = lm.head(lm.norm(lm.blocks(h, mask=lm.mask[:n, :n], is_causal=True)))
        return out[:, PT_PROMPT:]


@lru_cache(maxsize=None)
def short_prose() -> tuple[tuple, tuple, tuple]:
    """``fresh_sweeps41.prose_windows`` cut to their first ``FT_CTX - PT_PROMPT`` bytes, so
    that prompt and text fill the pretrained context."""
    keep = FT_CTX - PT_PROMPT
    return tuple((x[:, :keep], y[:, :keep]) for x, y in prose_windows())


def prompt_run(lr: float, seed: int = SEED) -> TestedRun:
    """Round 41's byte transformer pretrained here on ``zipfile.py``, prompt-tuned on the
    English prose of ``pydoc_data`` (every pretrained weight frozen) under AdamW (PyTorch's
    defaults, weight decay 0.01) at ``lr`` decayed linearly to 0 with no warmup (PEFT's
    prompt-tuning recipe), ``PT_STEPS`` steps of ``PT_BATCH`` shuffled windows, logged every
    10 steps with a ``val_loss`` every ``PT_EVAL_EVERY``; the test windows' loss the truth."""
    splits = short_prose()
    weights = pretrained_lm()  # before the seed: pretraining draws from the global RNG
    order = shuffled_batches(len(splits[0][0]), PT_BATCH, PT_STEPS, seed)
    torch.manual_seed(seed)
    lm = code_lm()
    lm.load_state_dict(weights)
    model = PromptTuned(lm)
    opt = torch.optim.AdamW([model.prompt], lr=lr)
    factor = warmup_linear(0, PT_STEPS)
    return minibatch_run(model, opt, next_byte_loss, splits, order, PT_STEPS, PT_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor))


# -- a neural additive model under full-batch Rprop, logged once per epoch ----------------------


def shape_functions(x: np.ndarray) -> np.ndarray:
    """The true additive log-odds: one shape per feature (a sine, a parabola, a step, a line,
    a saturating exponential, none), each of [-1, 1]."""
    return np.stack([1.5 * np.sin(np.pi * x[:, 0]), 2.0 * x[:, 1] ** 2 - 0.7,
                     np.where(x[:, 2] > 0.3, 1.2, -0.5), 1.0 * x[:, 3],
                     np.exp(1.5 * x[:, 4]) / 2.0 - 0.8, 0.0 * x[:, 5]], 1)


@lru_cache(maxsize=None)
def additive_table() -> tuple[tuple, tuple, tuple]:
    """``NA_FEATURES`` features uniform on [-1, 1]; a binary label drawn with the probability
    the sigmoid of ``shape_functions``' sum gives (so no model reaches zero loss): the rows
    dealt to ``NA_TRAIN`` / ``NA_VAL`` / ``NA_TEST``."""
    rng = np.random.default_rng(SEED)
    x = rng.uniform(-1, 1, size=(NA_TRAIN + NA_VAL + NA_TEST, NA_FEATURES))
    p = 1 / (1 + np.exp(-shape_functions(x).sum(1)))
    y = (rng.uniform(size=len(x)) < p).astype(np.float32)
    return split3(NA_TRAIN, NA_VAL, torch.tensor(x, dtype=torch.float32),
                  torch.tensor(y, dtype=torch.float32))


class NAM(nn.Module):
    """A neural additive model (Agarwal et al. 2021): one MLP 1-``NA_HIDDEN``-``NA_HIDDEN``-1
    (ReLU) a feature, their outputs summed with a bias into one logit; the feature nets run as
    one batched product (PyTorch's default initialisation, per feature net)."""

    def __init__(self):
        super().__init__()
        nets = [nn.Sequential(nn.Linear(1, NA_HIDDEN), nn.ReLU(), nn.Linear(NA_HIDDEN, NA_HIDDEN),
                              nn.ReLU(), nn.Linear(NA_HIDDEN, 1)) for _ in range(NA_FEATURES)]
        self.w = nn.ParameterList(
            nn.Parameter(torch.stack([net[i].weight.detach().T for net in nets]))
            for i in (0, 2, 4))
        self.b = nn.ParameterList(
            nn.Parameter(torch.stack([net[i].bias.detach() for net in nets])[:, None])
            for i in (0, 2, 4))
        self.bias = nn.Parameter(torch.zeros(()))

    def parts(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, features): each feature net's output."""
        h = x.T[:, :, None]  # (features, batch, 1)
        for k, (w, b) in enumerate(zip(self.w, self.b)):
            h = torch.baddbmm(b, h, w)
            if k < 2:
                h = F.relu(h)
        return h[..., 0].T

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.parts(x).sum(1) + self.bias


def nam_run(lr: float, seed: int = SEED) -> TestedRun:
    """The NAM under PyTorch's ``Rprop`` (its defaults: etas 0.5 / 1.2, step sizes 1e-6 to
    50) with ``lr`` its initial step size, one full-batch step an epoch on the binary
    cross-entropy, ``NA_EPOCHS`` epochs, logged once per epoch with a ``val_loss`` after each;
    the test rows' binary cross-entropy the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = additive_table()
    torch.manual_seed(seed)
    model = NAM()
    opt = torch.optim.Rprop(model.parameters(), lr=lr)

    @torch.no_grad()
    def evaluate(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(F.binary_cross_entropy_with_logits(model(x), y))
    test0 = evaluate(xte, yte)
    everyone = torch.arange(NA_TRAIN)
    log = train_by_epoch(model, opt, NA_EPOCHS, [[everyone]] * NA_EPOCHS,
                         lambda idx: F.binary_cross_entropy_with_logits(model(xtr[idx]),
                                                                        ytr[idx]),
                         lambda: evaluate(xva, yva), schedule="constant")
    return TestedRun(log, test0, finite_or_inf(evaluate(xte, yte)), by_epoch=True)


# -- a diagonal state-space (S4D) byte LM under AdamW + cosine ----------------------------------


class S4D(nn.Module):
    """A diagonal state-space layer (Gu et al. 2022, S4D-Lin as its reference code writes it):
    per channel ``SS_STATE // 2`` complex modes ``A_n = -1/2 + i pi n``, a learned step
    ``dt`` (log-uniform on [1e-3, 1e-1] at the start), a learned complex ``C`` (B folded in),
    discretised by zero-order hold into a causal convolution kernel of the window's length,
    applied by FFT, plus a skip ``D``."""

    def __init__(self, d: int):
        super().__init__()
        n = SS_STATE // 2
        self.log_dt = nn.Parameter(torch.rand(d) * (math.log(0.1) - math.log(1e-3))
                                   + math.log(1e-3))
        self.log_a_re = nn.Parameter(torch.log(0.5 * torch.ones(d, n)))
        self.a_im = nn.Parameter(math.pi * torch.arange(n).float().repeat(d, 1))
        self.c = nn.Parameter(torch.view_as_real(torch.randn(d, n, dtype=torch.cfloat)
                                                 * math.sqrt(0.5)))
        self.skip = nn.Parameter(torch.randn(d))

    def kernel(self, length: int) -> torch.Tensor:
        """(d, length): the convolution kernel ``2 Re(C (exp(dt A) - 1) / A exp(dt A l))``."""
        dt = torch.exp(self.log_dt)[:, None]
        a = torch.complex(-torch.exp(self.log_a_re), self.a_im)
        c = torch.view_as_complex(self.c) * (torch.exp(dt * a) - 1) / a
        powers = torch.exp((dt * a)[..., None] * torch.arange(length))
        return 2 * torch.einsum("dn,dnl->dl", c, powers).real

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        """``u`` (batch, length, d) to the same shape."""
        n = u.shape[1]
        k = torch.fft.rfft(self.kernel(n), 2 * n)
        y = torch.fft.irfft(torch.fft.rfft(u.transpose(1, 2), 2 * n) * k, 2 * n)[..., :n]
        return y.transpose(1, 2) + u * self.skip


class S4DLM(nn.Module):
    """A byte LM of ``SS_LAYERS`` pre-LayerNorm residual blocks (``S4D``, GELU, a linear
    mixing of the channels), width ``SS_D``, a final LayerNorm and a linear head; no
    positions (the convolution is causal and knows its place)."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(128, SS_D)
        self.norms = nn.ModuleList(nn.LayerNorm(SS_D) for _ in range(SS_LAYERS))
        self.ssms = nn.ModuleList(S4D(SS_D) for _ in range(SS_LAYERS))
        self.mix = nn.ModuleList(nn.Linear(SS_D, SS_D) for _ in range(SS_LAYERS))
        self.norm = nn.LayerNorm(SS_D)
        self.head = nn.Linear(SS_D, 128)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.tok(x)
        for norm, ssm, mix in zip(self.norms, self.ssms, self.mix):
            h = h + mix(F.gelu(ssm(norm(h))))
        return self.head(self.norm(h))


@lru_cache(maxsize=None)
def mailbox_windows() -> tuple[tuple, tuple, tuple]:
    """The standard library's ``SS_TEXT`` (non-ASCII as ``?``), ``fresh_sweeps41``'s
    ``block_windows`` of ``SS_CTX`` bytes (blocks of 1024 dealt 80/10/10 at random), every
    ``SS_CTX // 2`` bytes in training."""
    return block_windows(ascii_stream(SS_TEXT), SS_CTX, SS_CTX // 2)


def s4d_run(lr: float, seed: int = SEED) -> TestedRun:
    """The S4D LM under AdamW (PyTorch's defaults, weight decay ``SS_WD`` on the matrices and
    embeddings, none on the state-space parameters, biases and LayerNorms, as S4's example
    sets it) at ``lr`` annealed to 0 by ``CosineAnnealingLR`` (no warmup, as S4's example),
    ``SS_STEPS`` steps of ``SS_BATCH`` shuffled windows, the next byte's cross-entropy, logged
    every 10 steps with a ``val_loss`` every ``SS_EVAL_EVERY``; the test windows' loss the
    truth."""
    splits = mailbox_windows()
    order = shuffled_batches(len(splits[0][0]), SS_BATCH, SS_STEPS, seed)
    torch.manual_seed(seed)
    model = S4DLM()
    ssm = {id(p) for m in model.ssms for p in m.parameters()}
    decayed = [p for p in model.parameters() if p.dim() >= 2 and id(p) not in ssm]
    rest = [p for p in model.parameters() if p.dim() < 2 or id(p) in ssm]
    opt = torch.optim.AdamW([{"params": decayed}, {"params": rest, "weight_decay": 0.0}],
                            lr=lr, weight_decay=SS_WD)
    return minibatch_run(model, opt, next_byte_loss, splits, order, SS_STEPS, SS_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
                             o, SS_STEPS))


# -- the plan and the manifest -------------------------------------------------------------------

PT_RANGE, NA_RANGE, SS_RANGE = (-1.0, 2.0), (-4.0, -1.0), (-3.0, 0.0)
EVERY = f"every {LOG_EVERY} steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("gpt_ft_prompt_prose_adamw_linear", quarter_decades(*PT_RANGE), PT_STEPS,
                   prompt_run,
                   {"optimizer": "AdamW", "batch_size": PT_BATCH, "fine_tune": True,
                    "clip": None, "warmup_steps": 0, "weight_decay": 0.01,
                    "schedule": "linear decay to 0, no warmup",
                    "loss": "cross-entropy (next byte)",
                    "logged": f"{EVERY}, val_loss every {PT_EVAL_EVERY} steps",
                    "model": f"byte transformer d {FT_D}, {FT_LAYERS} layers, {FT_HEADS} "
                             f"heads, feed-forward {FT_FF}, context {FT_CTX}, pretrained here "
                             f"on zipfile.py, frozen; prompt tuning of {PT_PROMPT} soft tokens",
                    "data": "pydoc_data topics (English prose), blocks dealt 80/10/10, "
                            f"windows of {FT_CTX - PT_PROMPT} bytes"}),
        FreshSweep("nam_additive_bce_rprop_epochs", quarter_decades(*NA_RANGE), NA_EPOCHS,
                   nam_run,
                   {"optimizer": "Rprop", "batch_size": NA_TRAIN, "epochs": NA_EPOCHS,
                    "etas": [0.5, 1.2], "step_sizes": [1e-6, 50], "weight_decay": 0.0,
                    "fine_tune": False, "clip": None, "warmup_steps": 0,
                    "schedule": "constant", "loss": "binary cross-entropy",
                    "logged": "once per epoch (one full-batch Rprop step), val_loss each epoch",
                    "model": f"neural additive model: {NA_FEATURES} feature MLPs 1-{NA_HIDDEN}-"
                             f"{NA_HIDDEN}-1 (ReLU) summed into one logit",
                    "data": f"made table of {NA_FEATURES} uniform features, labels drawn from "
                            f"additive log-odds: {NA_TRAIN} train, {NA_VAL} validation, "
                            f"{NA_TEST} test rows"}),
        FreshSweep("s4d_mailbox_adamw_cosine", quarter_decades(*SS_RANGE), SS_STEPS, s4d_run,
                   {"optimizer": "AdamW", "batch_size": SS_BATCH, "fine_tune": False,
                    "clip": None, "warmup_steps": 0, "weight_decay": SS_WD,
                    "schedule": "CosineAnnealingLR to 0, no warmup",
                    "loss": "cross-entropy (next byte)",
                    "logged": f"{EVERY}, val_loss every {SS_EVAL_EVERY} steps",
                    "model": f"S4D diagonal state-space byte LM d {SS_D}, {SS_LAYERS} layers, "
                             f"state {SS_STATE}, context {SS_CTX}",
                    "data": f"{SS_TEXT} of the standard library, blocks dealt 80/10/10"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"gpt_ft_prompt_prose_adamw_linear": "llm_finetune",
                 "nam_additive_bce_rprop_epochs": "classifier",
                 "s4d_mailbox_adamw_cosine": "lm_pretrain"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 45's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
