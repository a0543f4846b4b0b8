"""Round 46's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps46 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 45) has, neither by name nor by model, loss and optimizer together: a **DPO fine-tune**
(Rafailov et al. 2023: direct preference optimisation; no earlier round trained on
preferences) of round 41's byte transformer pretrained here, under **RMSprop** with a linear
warmup then a constant LR (the DPO reference trainer's recipe); a **sparse autoencoder**
(dictionary learning of activations in superposition, as interpretability work trains them:
no earlier round did) by the squared error plus a decoder-norm-weighted L1 under **Adam** with
the LR decayed linearly to 0 over the last 20% of training, **logged once per epoch**; and a
**retention byte LM** (RetNet's multi-scale retention, Sun et al. 2023: no earlier round
trained it) under **AdamW** (betas 0.9 / 0.98, weight decay 0.05) with a linear warmup and a
linear decay. On data made here (no downloads; the text ships with Python). One is an
attention model (the fine-tune), one a sequence LM, one logs once per epoch, one is a
fine-tune of a model pretrained here.

- ``gpt_ft_dpo_prose_rmsprop_warmconst``: round 41's byte transformer (d 48, 2 pre-LayerNorm
  layers of 4 causal heads, feed-forward 128, context 64) **pretrained here** on the standard
  library's ``zipfile.py`` (``fresh_sweeps41.pretrained_lm``: Adam 3e-3, 1200 steps of 16; the
  same weights for every run), every weight trained by **DPO** (beta 0.1; the reference the
  pretrained model, frozen) on pairs made of the English prose of ``pydoc_data``
  (``fresh_sweeps41.prose_windows``, 64 bytes): the chosen a window as written, the rejected
  its first 32 bytes (the prompt) followed by the last 32 of the window half its split away;
  the log-probabilities summed over the last 32 bytes. PyTorch's **RMSprop** (alpha 0.99, no
  momentum) after a linear warmup of 30 steps, then constant (the DPO reference trainer's
  ``min(1, (step + 1) / (warmup + 1))``), 300 steps of 16 pairs, logged every 10 steps with a
  ``val_loss`` every 50. Every run starts at ``log 2`` (the policy is the reference).
- ``sae_superposition_l1_adam_lindecay_epochs``: a **sparse autoencoder** 32-256-32 (ReLU
  latents, the decoder's bias subtracted before the encoder, the decoder's columns of norm 0.1
  at the start and the encoder their transpose) of **made activations in superposition** (128
  sparse features, each on with probability 0.04 at a uniform [0, 1] size, along random unit
  directions of 32 dimensions, noise 0.01; 8192 / 1024 / 4096 rows), the **squared error plus
  0.05 times the latents' L1 weighted by their decoder columns' norms** (Anthropic's April 2024
  update), under **Adam** (PyTorch's defaults) at ``lr``, constant for 16 epochs and then
  decayed linearly over the last 4 (a fifth), batches of 256, **logged once per epoch** (20
  epochs: each epoch's mean training loss, a ``val_loss`` after it).
- ``retnet_imaplib_adamw_warmlinear``: a **retention byte LM** (2 pre-LayerNorm blocks of
  RetNet's multi-scale retention, parallel form, 4 heads decaying at ``1 - 2**(-5 - h)``, a
  GroupNorm per head and a swish gate, then a GELU feed-forward of 128; width 64, no xPos
  rotation and no positions) on the standard library's ``imaplib.py``
  (``fresh_sweeps41.block_windows`` of 64 bytes, blocks of 1024 dealt 80/10/10), the next
  byte's cross-entropy under **AdamW** (betas 0.9 / 0.98, weight decay 0.05 on the matrices
  and embeddings, none on biases and norms, as RetNet's recipe) with a linear warmup of 30
  steps and a linear decay to 0, 300 steps of 16, logged every 10 steps with a ``val_loss``
  every 50.

13 quarter-decade LRs each (every step 1.78x, so a best within 2x is a grid point), seed 42.
**The grids were fixed from what users pick before any probe, and all three moved once after a
first probe** (every other grid point, seed 42, at LRs rounded to three digits): the DPO
fine-tune's 10**-5..10**-2 (the DPO recipe's 5e-7 to 1e-6 is for models of billions of
weights; a model of 60 thousand takes more: 3.16e-4 in the middle, RMSprop's default 1e-2 at
the top), whose probe put the best at 1e-3 (0.5841; 3.16e-4 0.6005, 1e-4 0.6391, 1e-5 0.6806,
3.16e-3 0.7627, 1e-2 1.1996), a decade from the top, moved up half a decade to
10**-4.5..10**-1.5; the sparse autoencoder's 10**-5..10**-2 (the 1e-4 to 1e-3 SAE trainers
use in the middle), whose probe put the best at the top, 1e-2 (0.2236; 3.16e-3 0.2319, 1e-3
0.2421, 3.16e-4 0.2870, 1e-4 0.4806, 1e-5 1.4393), moved up 2 decades to 10**-3..10**0 (after
four more probe points above it, 3.16e-2 0.2222, 1e-1 1.6585, 3.16e-1 5.8339, 1 84.98: a
cliff past 3.16e-2); the retention LM's 10**-4..10**-1 (small LMs' 3e-4 to 3e-3 under AdamW:
3.16e-3 in the middle), whose probe put the best at 1e-2 (1.7667; 3.16e-3 1.8359, 3.16e-2
1.8257, 1e-1 1.9183, 1e-3 2.0650, 1e-4 3.2627), a decade from the top, moved up half a decade to
10**-3.5..10**-0.5. The sweep bests: the DPO fine-tune 5.62e-4, the sparse autoencoder
1.78e-2, the retention LM 1e-2, each at least 1.25 decades from both ends.

**The sparse autoencoder sits on a plateau that ends at a cliff**: 1e-2 to 3.16e-2 end
within 1.1% of the best (5.62e-3 +2.8%), 5.62e-2 ends at 0.8472 (3.8x the best), and from 1e-1
up every run ends above its start (diverging). **The DPO fine-tune's top five LRs diverge**:
3.16e-3 to 3.16e-2 end at 0.9130 to 1.2500 on the test pairs, above the ``log 2`` (0.6931)
every run starts at. The retention LM does not diverge: its top, 3.16e-1, ends at 1.9621 from
5.0422.

Probe test losses at each best and its neighbours (seeds 40/41/42; seed 42 the sweep's own
runs, the others at three-digit LRs; a seed moves the batches and the initialisation, of the
fine-tune the batches only, not the data, the pairs or the pretrained weights):

- **The DPO fine-tune's best is 5.62e-4 at every seed**: 0.5743, 0.5683, 0.5762 at seeds
  40/41/42; 3.16e-4 +3.5%, +5.6%, +4.2%; 1e-3 +1.0%, +7.6%, +1.4%.
- **The sparse autoencoder's best is 1.78e-2 at every seed**: 0.2210, 0.2207, 0.2212; 1e-2
  +1.2%, +1.2%, +1.1%; 3.16e-2 +0.7%, +0.7%, +0.3%.
- **The retention LM's best moves between 5.62e-3 and 1e-2, its neighbours within 1.3%**: 1e-2
  at seeds 41 and 42 (1.7745, 1.7667; 5.62e-3 +1.1%, +0.4%; 1.78e-2 +1.0%, +1.3%), 5.62e-3 at
  seed 40 (1.7764; 1e-2 +0.3%, 1.78e-2 +1.0%).

Best test losses: the DPO fine-tune 0.5762 at 5.62e-4 from 0.6931 (it fell 17%); the sparse
autoencoder 0.2212 at 1.78e-2 from 1.5700 (86%); the retention LM 1.7667 at 1e-2 from 5.0422
(65%). Labels: 14 stalled, 8 healthy, 7 oscillating, 10 diverging (DPO 5/2/1/5, sparse
autoencoder 4/3/1/5, retention LM 5/3/5/0). Training took 142.0 CPU s on one thread for the 39
runs in the sweeps (DPO 78.8, sparse autoencoder 6.5, retention LM 56.7; each run's own CPU
time, on a machine shared with other work), and about 250 CPU s for the pretraining (about 15 s
a process) and the reference's log-probabilities, the timing check, the probes and the seed
checks: under 7 CPU minutes in all (the processes' imports not counted), under the plan's ~25.

The truth is the loss on a test split that no log holds; each log's ``val_loss`` comes from a
separate validation split, as in rounds 8 to 45 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh46.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r46made.jsonl``: the ``round46-made`` side of
the one-run diagnosis). The DPO fine-tune and the retention LM train through
``fresh_sweeps31.minibatch_run`` with the scheduler each steps every step (the DPO pairs' target
the reference's log-probabilities, computed once); the sparse autoencoder through
``fresh_sweeps8.train_by_epoch`` with its schedule stepped once an epoch.

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 45's were; a
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
                                                 block_windows, code_lm, next_byte_loss,
                                                 pretrained_lm, prose_windows)
from benchmarks.realworld.made_tasks import warmup_linear
from benchmarks.realworld.make_runs import quarter_decades

SEED = 42  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 41)
OUT = HERE / "sweeps_fresh46.json"
MANIFEST = HERE / "manifest_r46made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps46.py"
LOG_EVERY = 10

# DPO fine-tune of round 41's byte transformer pretrained here, RMSprop + linear warmup
DP_BETA, DP_PROMPT, DP_STEPS, DP_WARMUP, DP_BATCH, DP_EVAL_EVERY = 0.1, 32, 300, 30, 16, 50
# the sparse autoencoder of activations in superposition, Adam, logged once per epoch
SA_DIM, SA_FEATURES, SA_LATENTS, SA_ACTIVE, SA_NOISE = 32, 128, 256, 0.04, 0.01
SA_TRAIN, SA_VAL, SA_TEST, SA_BATCH, SA_EPOCHS, SA_L1 = 8192, 1024, 4096, 256, 20, 0.05
SA_DECAY = 0.2  # the last fifth of the epochs decays the LR linearly to 0
# the retention (RetNet) byte LM under AdamW + warmup / linear decay
RN_TEXT, RN_CTX, RN_D, RN_HEADS, RN_FF, RN_LAYERS = "imaplib.py", 64, 64, 4, 128, 2
RN_STEPS, RN_WARMUP, RN_BATCH, RN_EVAL_EVERY, RN_WD = 300, 30, 16, 50, 0.05


# -- DPO fine-tune of a byte transformer pretrained here, under RMSprop -------------------------


def response_logps(lm: nn.Module, pairs: torch.Tensor) -> torch.Tensor:
    """(n, 2) summed log-probabilities of each window's bytes after its first ``DP_PROMPT``
    (the response), given all before them; ``pairs`` (n, 2, ``FT_CTX``): chosen, rejected."""
    seq = pairs.reshape(-1, pairs.shape[-1])
    logp = F.log_softmax(lm(seq[:, :-1]), -1).gather(-1, seq[:, 1:, None])[..., 0]
    return logp[:, DP_PROMPT - 1:].sum(1).view(len(pairs), 2)


class DPOPolicy(nn.Module):
    """The policy of DPO: a byte LM whose output is ``response_logps`` of each pair."""

    def __init__(self, lm: nn.Module):
        super().__init__()
        self.lm = lm

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        return response_logps(self.lm, pairs)


def dpo_loss(policy: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """DPO's loss (Rafailov et al. 2023, eq. 7): ``-log sigmoid(beta (the chosen's log-ratio
    to the reference - the rejected's))``, ``beta`` ``DP_BETA``; ``log 2`` at the reference."""
    ratio = policy - reference
    return -F.logsigmoid(DP_BETA * (ratio[:, 0] - ratio[:, 1])).mean()


@lru_cache(maxsize=None)
def preference_pairs() -> tuple[tuple, tuple, tuple]:
    """``fresh_sweeps41.prose_windows`` (the English prose of ``pydoc_data``, blocks dealt
    80/10/10, windows of ``FT_CTX`` bytes) made pairs: the chosen a window as written, the
    rejected the same first ``DP_PROMPT`` bytes (the prompt) followed by the last bytes of the
    window half its split away (a continuation of other text); each pair's target the
    pretrained model's (the reference's) ``response_logps``."""
    lm = code_lm()
    lm.load_state_dict(pretrained_lm())
    lm.eval()
    out = []
    for x, _ in prose_windows():
        other = torch.roll(x, len(x) // 2, 0)
        rejected = torch.cat([x[:, :DP_PROMPT], other[:, DP_PROMPT:]], 1)
        pairs = torch.stack([x, rejected], 1)
        with torch.no_grad():
            out.append((pairs, response_logps(lm, pairs)))
    return tuple(out)


def dpo_run(lr: float, seed: int = SEED) -> TestedRun:
    """Round 41's byte transformer pretrained here on ``zipfile.py``, every weight trained by
    DPO (``DP_BETA``; the reference the pretrained model, frozen) on the prose's pairs under
    PyTorch's ``RMSprop`` (its defaults: alpha 0.99, no momentum) at ``lr`` after a linear
    warmup of ``DP_WARMUP`` steps, then constant (the DPO reference trainer's
    ``min(1, (step + 1) / (warmup + 1))``), ``DP_STEPS`` steps of ``DP_BATCH`` shuffled pairs,
    logged every 10 steps with a ``val_loss`` every ``DP_EVAL_EVERY``; the test pairs' DPO
    loss the truth."""
    splits = preference_pairs()  # before the seed: pretraining draws from the global RNG
    order = shuffled_batches(len(splits[0][0]), DP_BATCH, DP_STEPS, seed)
    torch.manual_seed(seed)
    lm = code_lm()
    lm.load_state_dict(pretrained_lm())
    model = DPOPolicy(lm)
    opt = torch.optim.RMSprop(model.parameters(), lr=lr)
    return minibatch_run(model, opt, dpo_loss, splits, order, DP_STEPS, DP_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(
                             o, lambda i: min(1.0, (i + 1) / (DP_WARMUP + 1))))


# -- a sparse autoencoder of activations in superposition, Adam, logged once per epoch ----------


@lru_cache(maxsize=None)
def superposed_activations() -> tuple[tuple, tuple, tuple]:
    """``SA_FEATURES`` sparse features (each on with probability ``SA_ACTIVE``, then uniform on
    [0, 1]) along random unit directions of ``SA_DIM`` dimensions, summed, plus Gaussian noise
    of ``SA_NOISE``: rows dealt to ``SA_TRAIN`` / ``SA_VAL`` / ``SA_TEST`` (the input is also
    the target)."""
    rng = np.random.default_rng(SEED)
    directions = rng.normal(size=(SA_FEATURES, SA_DIM))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    n = SA_TRAIN + SA_VAL + SA_TEST
    on = rng.uniform(size=(n, SA_FEATURES)) < SA_ACTIVE
    x = (on * rng.uniform(size=(n, SA_FEATURES))) @ directions
    x = torch.tensor(x + SA_NOISE * rng.normal(size=x.shape), dtype=torch.float32)
    return split3(SA_TRAIN, SA_VAL, x, x)


class SparseAutoencoder(nn.Module):
    """``SA_DIM`` to ``SA_LATENTS`` ReLU latents and back: ``f = relu(W_e (x - b_d) + b_e)``,
    ``x^ = W_d f + b_d``; the decoder's columns start random of norm 0.1, the encoder as the
    decoder's transpose, the biases 0 (Anthropic's April 2024 recipe)."""

    def __init__(self):
        super().__init__()
        w = torch.randn(SA_DIM, SA_LATENTS)
        self.w_dec = nn.Parameter(0.1 * w / w.norm(dim=0, keepdim=True))
        self.w_enc = nn.Parameter(self.w_dec.detach().T.clone())
        self.b_enc = nn.Parameter(torch.zeros(SA_LATENTS))
        self.b_dec = nn.Parameter(torch.zeros(SA_DIM))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = F.relu((x - self.b_dec) @ self.w_enc.T + self.b_enc)
        return f @ self.w_dec.T + self.b_dec, f


def sae_loss(model: SparseAutoencoder, x: torch.Tensor) -> torch.Tensor:
    """The squared error summed over dimensions plus ``SA_L1`` times each latent weighted by
    its decoder column's norm, both averaged over the rows."""
    rebuilt, f = model(x)
    sparsity = (f * model.w_dec.norm(dim=0)).sum(1)
    return ((rebuilt - x) ** 2).sum(1).mean() + SA_L1 * sparsity.mean()


def sae_run(lr: float, seed: int = SEED) -> TestedRun:
    """The sparse autoencoder under Adam (PyTorch's defaults) at ``lr``, constant for the
    first 80% of ``SA_EPOCHS`` epochs and decayed linearly to 0 over the last 20% (stepped
    once an epoch), ``SA_BATCH`` shuffled rows a step, logged once per epoch with a
    ``val_loss`` after each; the test rows' ``sae_loss`` the truth."""
    (xtr, _), (xva, _), (xte, _) = superposed_activations()
    order = batches_of(SA_TRAIN, SA_BATCH, SA_EPOCHS, seed).view(SA_EPOCHS, -1, SA_BATCH)
    torch.manual_seed(seed)
    model = SparseAutoencoder()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    hold = round((1 - SA_DECAY) * SA_EPOCHS)

    @torch.no_grad()
    def evaluate(x: torch.Tensor) -> float:
        model.eval()
        return float(sae_loss(model, x))
    test0 = evaluate(xte)
    log = train_by_epoch(model, opt, SA_EPOCHS, list(order),
                         lambda idx: sae_loss(model, xtr[idx]), lambda: evaluate(xva),
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(
                             o, lambda e: min(1.0, (SA_EPOCHS - e) / (SA_EPOCHS - hold))))
    return TestedRun(log, test0, finite_or_inf(evaluate(xte)), by_epoch=True)


# -- a retention (RetNet) byte LM under AdamW + warmup / linear decay ---------------------------


class Retention(nn.Module):
    """RetNet's multi-scale retention, parallel form (Sun et al. 2023): per head ``h`` the
    causal decay ``gamma_h ** (n - m)`` with ``gamma_h = 1 - 2 ** (-5 - h)``, each row of the
    decay scaled by its sum's square root and each row of scores by its absolute sum (at least
    1), a GroupNorm per head, a swish gate; no xPos rotation (the decay orders the
    positions)."""

    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkvg = nn.Linear(d, 4 * d, bias=False)
        self.out = nn.Linear(d, d, bias=False)
        self.norm = nn.GroupNorm(heads, d)
        self.register_buffer("log_gamma", torch.log(1 - 2.0 ** (-5 - torch.arange(heads))),
                             persistent=False)

    def decay(self, n: int) -> torch.Tensor:
        """(heads, n, n): the causal decay, each row scaled by its sum's square root."""
        gap = torch.arange(n)[:, None] - torch.arange(n)
        d = torch.where(gap >= 0, torch.exp(self.log_gamma[:, None, None] * gap.clamp(min=0)),
                        torch.zeros(()))
        return d / d.sum(-1, keepdim=True).sqrt()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v, g = self.qkvg(x).chunk(4, -1)
        q, k, v = (t.view(b, n, self.heads, -1).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) * self.decay(n)
        scores = scores / scores.abs().sum(-1, keepdim=True).clamp(min=1.0)
        h = (scores @ v).transpose(1, 2).reshape(b * n, d)
        return self.out(F.silu(g) * self.norm(h).view(b, n, d))


class RetNetLM(nn.Module):
    """A byte LM of ``RN_LAYERS`` pre-LayerNorm blocks (``Retention`` of ``RN_HEADS`` heads, a
    GELU feed-forward of ``RN_FF``), width ``RN_D``, a final LayerNorm and a linear head; no
    positions."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(128, RN_D)
        self.norms = nn.ModuleList(nn.LayerNorm(RN_D) for _ in range(2 * RN_LAYERS))
        self.rets = nn.ModuleList(Retention(RN_D, RN_HEADS) for _ in range(RN_LAYERS))
        self.ffs = nn.ModuleList(nn.Sequential(nn.Linear(RN_D, RN_FF), nn.GELU(),
                                               nn.Linear(RN_FF, RN_D))
                                 for _ in range(RN_LAYERS))
        self.norm = nn.LayerNorm(RN_D)
        self.head = nn.Linear(RN_D, 128)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.tok(x)
        for i, (ret, ff) in enumerate(zip(self.rets, self.ffs)):
            h = h + ret(self.norms[2 * i](h))
            h = h + ff(self.norms[2 * i + 1](h))
        return self.head(self.norm(h))


@lru_cache(maxsize=None)
def imaplib_windows() -> tuple[tuple, tuple, tuple]:
    """The standard library's ``RN_TEXT`` (non-ASCII as ``?``), ``fresh_sweeps41``'s
    ``block_windows`` of ``RN_CTX`` bytes (blocks of 1024 dealt 80/10/10 at random), every
    ``RN_CTX // 2`` bytes in training."""
    return block_windows(ascii_stream(RN_TEXT), RN_CTX, RN_CTX // 2)


def retnet_run(lr: float, seed: int = SEED) -> TestedRun:
    """The retention LM under AdamW (betas 0.9 / 0.98, weight decay ``RN_WD`` on the matrices
    and embeddings, none on biases and norms, as RetNet's recipe) at a peak ``lr``, a linear
    warmup of ``RN_WARMUP`` steps then a linear decay to 0, ``RN_STEPS`` steps of ``RN_BATCH``
    shuffled windows, the next byte's cross-entropy, logged every 10 steps with a ``val_loss``
    every ``RN_EVAL_EVERY``; the test windows' loss the truth."""
    splits = imaplib_windows()
    order = shuffled_batches(len(splits[0][0]), RN_BATCH, RN_STEPS, seed)
    torch.manual_seed(seed)
    model = RetNetLM()
    decayed = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decayed}, {"params": rest, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.98), weight_decay=RN_WD)
    factor = warmup_linear(RN_WARMUP, RN_STEPS)
    return minibatch_run(model, opt, next_byte_loss, splits, order, RN_STEPS, RN_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor))


# -- the plan and the manifest -------------------------------------------------------------------

DP_RANGE, SA_RANGE, RN_RANGE = (-4.5, -1.5), (-3.0, 0.0), (-3.5, -0.5)
EVERY = f"every {LOG_EVERY} steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("gpt_ft_dpo_prose_rmsprop_warmconst", quarter_decades(*DP_RANGE), DP_STEPS,
                   dpo_run,
                   {"optimizer": "RMSprop", "batch_size": DP_BATCH, "fine_tune": True,
                    "clip": None, "warmup_steps": DP_WARMUP, "weight_decay": 0.0,
                    "schedule": f"linear warmup {DP_WARMUP}, then constant",
                    "loss": f"DPO (beta {DP_BETA}) against the frozen pretrained model",
                    "logged": f"{EVERY}, val_loss every {DP_EVAL_EVERY} steps",
                    "model": f"byte transformer d {FT_D}, {FT_LAYERS} layers, {FT_HEADS} "
                             f"heads, feed-forward {FT_FF}, context {FT_CTX}, pretrained here "
                             "on zipfile.py; every weight trained by DPO",
                    "data": "pydoc_data topics (English prose), blocks dealt 80/10/10: pairs "
                            f"of a window as written over its first {DP_PROMPT} bytes followed "
                            "by another window's end"}),
        FreshSweep("sae_superposition_l1_adam_lindecay_epochs", quarter_decades(*SA_RANGE),
                   SA_EPOCHS, sae_run,
                   {"optimizer": "Adam", "batch_size": SA_BATCH, "epochs": SA_EPOCHS,
                    "weight_decay": 0.0, "fine_tune": False, "clip": None, "warmup_steps": 0,
                    "schedule": "constant, then linear decay to 0 over the last 20% of "
                                "epochs (per epoch)",
                    "loss": f"squared error + {SA_L1} x decoder-norm-weighted L1 of the latents",
                    "logged": "once per epoch (its mean training loss), val_loss each epoch",
                    "model": f"sparse autoencoder {SA_DIM}-{SA_LATENTS}-{SA_DIM} (ReLU "
                             "latents, tied-at-start encoder, decoder bias subtracted)",
                    "data": f"made activations: {SA_FEATURES} sparse features (on with "
                            f"probability {SA_ACTIVE}) along random directions of {SA_DIM} "
                            f"dimensions, noise {SA_NOISE}: {SA_TRAIN} train, {SA_VAL} "
                            f"validation, {SA_TEST} test rows"}),
        FreshSweep("retnet_imaplib_adamw_warmlinear", quarter_decades(*RN_RANGE), RN_STEPS,
                   retnet_run,
                   {"optimizer": "AdamW", "batch_size": RN_BATCH, "fine_tune": False,
                    "clip": None, "warmup_steps": RN_WARMUP, "weight_decay": RN_WD,
                    "betas": [0.9, 0.98],
                    "schedule": f"linear warmup {RN_WARMUP}, linear decay to 0",
                    "loss": "cross-entropy (next byte)",
                    "logged": f"{EVERY}, val_loss every {RN_EVAL_EVERY} steps",
                    "model": f"retention (RetNet) byte LM d {RN_D}, {RN_LAYERS} layers, "
                             f"{RN_HEADS} heads, feed-forward {RN_FF}, context {RN_CTX}",
                    "data": f"{RN_TEXT} of the standard library, blocks dealt 80/10/10"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"gpt_ft_dpo_prose_rmsprop_warmconst": "llm_finetune",
                 "sae_superposition_l1_adam_lindecay_epochs": "other",
                 "retnet_imaplib_adamw_warmlinear": "lm_pretrain"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 46's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
