"""Round 47's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps47 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 46) has, neither by name nor by model, loss and optimizer together: an **L2-SP fine-tune**
(Li et al. 2018: the loss plus the squared distance of every weight to its pretrained value; no
earlier round regularised toward the start) of round 41's byte transformer pretrained here,
under **SGD with momentum 0.9** and a **step decay** (L2-SP's recipe); an **FT-Transformer**
(Gorishniy et al. 2021: one token a numeric feature, a [CLS] token, a transformer; no earlier
round tokenised tabular features) of made tabular rows under **AdamW** at a constant LR (its
recipe), **logged once per epoch**; and an **RWKV-4 byte LM** (Peng et al. 2023: token shift,
time mixing with a learned per-channel decay, channel mixing; no earlier round trained it) under
**Adam** (betas 0.9 / 0.99, RWKV-LM's) with a linear warmup and an **exponential decay** to a
tenth. On data made here (no downloads; the text ships with Python). One is a fine-tune of a
model pretrained here, one logs once per epoch, one is a sequence LM, two are attention models
(the fine-tune and the FT-Transformer).

- ``gpt_ft_l2sp_prose_sgdm_step``: round 41's byte transformer (d 48, 2 pre-LayerNorm layers
  of 4 causal heads, feed-forward 128, context 64, 59,712 weights) **pretrained here** on the
  standard library's ``zipfile.py`` (``fresh_sweeps41.pretrained_lm``: Adam 3e-3, 1200 steps of
  16; the same weights for every run), every weight trained on the next bytes of the English
  prose of ``pydoc_data`` (``fresh_sweeps41.prose_windows``: 1920 / 120 / 120 windows of 64)
  by the cross-entropy **plus L2-SP's 0.01 / 2 times the squared distance to the pretrained
  weights**, under PyTorch's **SGD** (momentum 0.9) at ``lr``, divided by 10 after 200 steps
  (``StepLR``), 300 steps of 16, logged every 10 steps with a ``val_loss`` every 50; the truth
  the test windows' objective (cross-entropy plus the penalty).
- ``fttransformer_tabular_ce_adamw_epochs``: an **FT-Transformer** (8 feature tokens
  ``x_j w_j + b_j`` and a [CLS] token of width 32, 2 pre-LayerNorm layers of 4 heads, a GELU
  feed-forward of 64 for the paper's ReGLU, no dropout, the [CLS] token's LayerNorm, ReLU and
  a linear head; 17,795 weights) of **made tabular rows** (8 numeric features on unlike
  scales: Gaussian, log-normal, uniform, Student t, standardised by the training rows' median
  and interquartile range; 3 classes drawn from the softmax of a fixed random tanh teacher of
  the features and the signs of their pairwise products; 4096 / 1024 / 2048 rows), the
  cross-entropy under **AdamW** (weight decay 1e-5, the paper's; PyTorch's betas) at a constant
  ``lr``, batches of 128, **logged once per epoch** (20 epochs: each epoch's mean training
  loss, a ``val_loss`` after it).
- ``rwkv_doctest_adam_warmexp``: an **RWKV-4 byte LM** (an embedding initialised within
  1e-4 and its LayerNorm, 2 pre-LayerNorm blocks of time mixing, whose WKV is computed in its
  parallel form as a softmax over the past, and of channel mixing of 128 (squared ReLU), width
  64, a final LayerNorm and a linear head; no positions; 91,904 weights) on the standard
  library's ``doctest.py`` (``fresh_sweeps41.block_windows`` of 64 bytes, blocks of 1024 dealt
  80/10/10: 2460 / 150 / 165 windows), the next byte's cross-entropy under **Adam** (betas 0.9
  / 0.99, eps 1e-8, no weight decay: RWKV-LM's) with a linear warmup of 30 steps, then an
  exponential decay to 0.1 of the peak at the last step, 300 steps of 16, logged every 10
  steps with a ``val_loss`` every 50.

13 quarter-decade LRs each (every step 1.78x, so a best within 2x is a grid point), seed 43.
**The grids were fixed from what users pick before any probe, and all three moved once after a
first probe** (every other grid point, seed 43, at LRs rounded to three digits): the L2-SP
fine-tune's 10**-4..10**-1 (SGD fine-tunes' 1e-3 to 1e-2: 3.16e-3 in the middle), whose probe
put the best at the top, 1e-1 (2.1279; 3.16e-2 2.1424, 1e-2 2.2295, 3.16e-3 2.3519, 1e-3
2.4904, 3.16e-4 2.6285, 1e-4 2.7415), moved up a decade and a half to 10**-2.5..10**0.5
(after three more probe points above it: 3.16e-1 2.1712, 1 and 3.16 non-finite); the
FT-Transformer's 10**-5..10**-2 (its paper's 1e-4 with the 1e-5 to 1e-3 it tunes over:
3.16e-4 in the middle), whose probe put the best at 3.16e-3 (0.6993; 1e-3 0.7132, 1e-2 0.7749,
3.16e-4 0.7533, 1e-4 0.8729, 3.16e-5 1.0019, 1e-5 1.0523), half a decade from the top, moved
up a decade to 10**-4..10**-1; the RWKV LM's 10**-4..10**-1 (RWKV-LM's 6e-4 to 8e-4 for large
models, more for small ones: 3.16e-3 in the middle), whose probe put the best at 3.16e-2
(1.2540; 1e-2 1.2822, 1e-1 1.3773, 3.16e-3 1.4901, 1e-3 1.7906, 3.16e-4 2.1647, 1e-4 2.6303),
half a decade from the top, moved up a decade to 10**-3..10**0. The sweep bests: the L2-SP
fine-tune 5.62e-2, the FT-Transformer 5.62e-3, the RWKV LM 1.78e-2, each at least 1.25
decades from both ends.

**The L2-SP fine-tune sits on a plateau that ends at a cliff**: 3.16e-2 to 3.16e-1 end within
1.9% of the best (five healthy runs), and from 5.62e-1 up every run goes non-finite within its
first 40 steps. **The FT-Transformer's constant LR leaves a bumpy last epoch**: 1e-3 ends at
0.7132 below 1.78e-3's 0.7435, and the best, 5.62e-3, is 7.4% below its lower neighbour; from
3.16e-2 up the runs end at the class prior (1.0538 to 1.0645 from 1.0615; 1e-1's above its
start, diverging). The RWKV LM does not diverge: its top, 1, ends at 3.1044 from 5.0584.

Probe test losses at each best and its neighbours (seeds 41/42/43; seed 43 the sweep's own
runs, the others at three-digit LRs; a seed moves the batches and the initialisation, of the
fine-tune the batches only, not the data or the pretrained weights):

- **The L2-SP fine-tune's best moves between 5.62e-2 and 1e-1, within 0.1% of each other**:
  1e-1 at seed 41 (2.1257; 5.62e-2 +0.03%, 3.16e-2 +0.9%), 5.62e-2 at seeds 42 and 43 (2.1224,
  2.1273; 1e-1 +0.08%, +0.03%; 3.16e-2 +1.0%, +0.7%).
- **The FT-Transformer's best is 5.62e-3 at every seed**: 0.6761, 0.6595, 0.6530; 3.16e-3
  +4.1%, +6.4%, +7.4%; 1e-2 +21.7%, +22.5%, +18.7%.
- **The RWKV LM's best moves between 1.78e-2 and 3.16e-2**: 3.16e-2 at seed 41 (1.2361;
  1.78e-2 +0.5%, 1e-2 +3.7%), 1.78e-2 at seeds 42 and 43 (1.2348, 1.2465; 1e-2 +4.1%, +2.9%;
  3.16e-2 +1.2%, +0.5%).

Best test losses: the L2-SP fine-tune 2.1273 at 5.62e-2 from 2.8890 (it fell 26%); the
FT-Transformer 0.6530 at 5.62e-3 from 1.0615 (38%); the RWKV LM 1.2465 at 1.78e-2 from 5.0584
(75%). Labels: 16 stalled, 9 healthy, 9 oscillating, 5 diverging (L2-SP 4/5/0/4,
FT-Transformer 7/1/4/1, RWKV 5/3/5/0). Training took 402.9 CPU s on one thread for the 39 runs
in the sweeps (L2-SP 32.3, FT-Transformer 69.1, RWKV 301.5; each run's own CPU time, on a
machine shared with other work), and about 465 CPU s for the pretraining (about 14 s a
process), the timing check, the probes and the seed checks: under 15 CPU minutes in all (the
processes' imports not counted), under the plan's ~25.

The truth is the loss on a test split that no log holds; each log's ``val_loss`` comes from a
separate validation split, as in rounds 8 to 46 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh47.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r47made.jsonl``: the ``round47-made`` side of
the one-run diagnosis). The L2-SP fine-tune and the RWKV LM train through
``fresh_sweeps31.minibatch_run`` with the scheduler each steps every step (the L2-SP objective
a closure over the model and its starting weights); the FT-Transformer through
``fresh_sweeps8.train_by_epoch`` at a constant LR.

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 46's were; a
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
from benchmarks.realworld.make_runs import quarter_decades

SEED = 43  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 42)
OUT = HERE / "sweeps_fresh47.json"
MANIFEST = HERE / "manifest_r47made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps47.py"
LOG_EVERY = 10

# L2-SP fine-tune of round 41's byte transformer pretrained here, SGD momentum + StepLR
SP_ALPHA, SP_STEPS, SP_DROP_AT, SP_BATCH, SP_EVAL_EVERY, SP_MOMENTUM = 0.01, 300, 200, 16, 50, 0.9
# the FT-Transformer of made tabular rows, AdamW, constant, logged once per epoch
TT_FEATURES, TT_CLASSES, TT_TEACHER, TT_SCALE = 8, 3, 32, 3.0
TT_TRAIN, TT_VAL, TT_TEST, TT_BATCH, TT_EPOCHS = 4096, 1024, 2048, 128, 20
TT_D, TT_HEADS, TT_FF, TT_LAYERS, TT_WD = 32, 4, 64, 2, 1e-5
# the RWKV byte LM under Adam + warmup / exponential decay
RW_TEXT, RW_CTX, RW_D, RW_FF, RW_LAYERS, RW_CHUNK = "doctest.py", 64, 64, 128, 2, 32
RW_STEPS, RW_WARMUP, RW_BATCH, RW_EVAL_EVERY, RW_FINAL = 300, 30, 16, 50, 0.1


# -- an L2-SP fine-tune of a byte transformer pretrained here, under SGD momentum ----------------


def l2sp_penalty(model: nn.Module, start: dict[str, torch.Tensor]) -> torch.Tensor:
    """L2-SP (Li et al. 2018): ``SP_ALPHA / 2`` times the squared distance of every weight to
    its pretrained value."""
    return SP_ALPHA / 2 * sum(((p - start[k]) ** 2).sum() for k, p in model.named_parameters())


def l2sp_run(lr: float, seed: int = SEED) -> TestedRun:
    """Round 41's byte transformer pretrained here on ``zipfile.py``, every weight trained on
    the prose's next bytes plus the L2-SP penalty toward the pretrained weights, under PyTorch's
    ``SGD`` (momentum ``SP_MOMENTUM``, as L2-SP's recipe) at ``lr``, divided by 10 after
    ``SP_DROP_AT`` steps (``StepLR``), ``SP_STEPS`` steps of ``SP_BATCH`` shuffled windows,
    logged every 10 steps with a ``val_loss`` every ``SP_EVAL_EVERY``; the test windows'
    cross-entropy plus the penalty (the objective) the truth."""
    splits = prose_windows()
    weights = pretrained_lm()  # before the seed: pretraining draws from the global RNG
    order = shuffled_batches(len(splits[0][0]), SP_BATCH, SP_STEPS, seed)
    torch.manual_seed(seed)
    model = code_lm()
    model.load_state_dict(weights)
    start = {k: p.detach().clone() for k, p in model.named_parameters()}
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=SP_MOMENTUM)

    def objective(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return next_byte_loss(out, y) + l2sp_penalty(model, start)
    return minibatch_run(model, opt, objective, splits, order, SP_STEPS, SP_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.StepLR(o, SP_DROP_AT, 0.1))


# -- an FT-Transformer of made tabular rows, AdamW, logged once per epoch ------------------------


@lru_cache(maxsize=None)
def tabular_rows() -> tuple[tuple, tuple, tuple]:
    """``TT_FEATURES`` numeric features on unlike scales (Gaussian, log-normal, uniform, a
    Student t), each row's class drawn from the softmax of a fixed random teacher
    (``TT_FEATURES`` + ``TT_FEATURES**2``-``TT_TEACHER``-``TT_CLASSES``, tanh, on the
    standardised features squashed by tanh and the signs of their pairwise products, times
    ``TT_SCALE``): the floor, the classes' mean entropy. The features standardised by the
    training rows' median and interquartile range, as tabular pipelines do. Split
    ``TT_TRAIN`` / ``TT_VAL`` / ``TT_TEST``."""
    rng = np.random.default_rng(SEED)
    n = TT_TRAIN + TT_VAL + TT_TEST
    quarter = TT_FEATURES // 4
    raw = np.concatenate([rng.normal(2.0, 5.0, (n, quarter)),
                          rng.lognormal(0.0, 1.0, (n, quarter)),
                          rng.uniform(-100.0, 100.0, (n, quarter)),
                          rng.standard_t(3.0, (n, TT_FEATURES - 3 * quarter))], 1)
    mid = np.median(raw[:TT_TRAIN], 0)
    iqr = np.subtract(*np.percentile(raw[:TT_TRAIN], [75, 25], 0))
    x = (raw - mid) / iqr
    z = np.tanh(x)
    pairs = np.sign(z[:, :, None] * z[:, None, :]).reshape(n, -1)
    w1 = rng.normal(size=(TT_FEATURES + TT_FEATURES ** 2, TT_TEACHER))
    w1 /= math.sqrt(TT_FEATURES + TT_FEATURES ** 2)
    w2 = rng.normal(size=(TT_TEACHER, TT_CLASSES)) / math.sqrt(TT_TEACHER)
    logits = TT_SCALE * np.tanh(np.concatenate([z, pairs], 1) @ w1 * 2.0) @ w2
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    y = (rng.random((n, 1)) > np.cumsum(p, 1)).sum(1).clip(max=TT_CLASSES - 1)
    return split3(TT_TRAIN, TT_VAL, torch.tensor(x, dtype=torch.float32), torch.tensor(y))


class FTTransformer(nn.Module):
    """The FT-Transformer (Gorishniy et al. 2021): each numeric feature a token ``x_j w_j +
    b_j`` of width ``TT_D``, a [CLS] token appended, ``TT_LAYERS`` pre-LayerNorm transformer
    layers (``TT_HEADS`` heads, a GELU feed-forward of ``TT_FF`` for the paper's ReGLU, no
    dropout), then the [CLS] token's LayerNorm, ReLU and a linear head to ``TT_CLASSES``
    logits."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(TT_FEATURES, TT_D) / math.sqrt(TT_D))
        self.bias = nn.Parameter(torch.randn(TT_FEATURES, TT_D) / math.sqrt(TT_D))
        self.cls = nn.Parameter(torch.randn(TT_D) / math.sqrt(TT_D))
        block = nn.TransformerEncoderLayer(TT_D, TT_HEADS, TT_FF, dropout=0.0, batch_first=True,
                                           norm_first=True, activation="gelu")
        self.blocks = nn.TransformerEncoder(block, TT_LAYERS, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.LayerNorm(TT_D), nn.ReLU(), nn.Linear(TT_D, TT_CLASSES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = x[:, :, None] * self.weight + self.bias
        tokens = torch.cat([tokens, self.cls.expand(len(x), 1, TT_D)], 1)
        return self.head(self.blocks(tokens)[:, -1])


def ftt_run(lr: float, seed: int = SEED) -> TestedRun:
    """The FT-Transformer under AdamW (weight decay ``TT_WD``, as the FT-Transformer's recipe;
    PyTorch's betas) at a constant ``lr``, ``TT_BATCH`` shuffled rows a step, the
    cross-entropy, logged once per epoch (``TT_EPOCHS``: each epoch's mean training loss, a
    ``val_loss`` after it); the test rows' cross-entropy the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = tabular_rows()
    order = batches_of(TT_TRAIN, TT_BATCH, TT_EPOCHS, seed).view(TT_EPOCHS, -1, TT_BATCH)
    torch.manual_seed(seed)
    model = FTTransformer()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=TT_WD)

    @torch.no_grad()
    def evaluate(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(F.cross_entropy(model(x), y))
    test0 = evaluate(xte, yte)
    log = train_by_epoch(model, opt, TT_EPOCHS, list(order),
                         lambda idx: F.cross_entropy(model(xtr[idx]), ytr[idx]),
                         lambda: evaluate(xva, yva), schedule="constant")
    return TestedRun(log, test0, finite_or_inf(evaluate(xte, yte)), by_epoch=True)


# -- an RWKV byte LM under Adam + warmup / exponential decay ------------------------------------


def shifted(x: torch.Tensor) -> torch.Tensor:
    """RWKV's token shift: each position's previous one (zeros before the first)."""
    return F.pad(x, (0, 0, 1, -1))


class TimeMix(nn.Module):
    """RWKV-4's time mixing (Peng et al. 2023): receptance, key and value of the token mixed
    with the one before it, the WKV of each channel (a softmax over the past, each byte back
    ``exp(time_decay)`` less in the exponent, the current byte's ``time_first`` bonus) gated by
    the receptance's sigmoid; the WKV in its parallel form, ``RW_CHUNK`` windows at a time."""

    def __init__(self, d: int, layer: int, layers: int):
        super().__init__()
        ratio = 1 - layer / layers
        ramp = torch.arange(d) / d
        self.time_decay = nn.Parameter(-5 + 8 * (torch.arange(d) / (d - 1)) ** (0.7 + 1.3 * ratio))
        zigzag = 0.5 * ((torch.arange(d) + 1) % 3 - 1)
        self.time_first = nn.Parameter(torch.full((d,), math.log(0.3)) + zigzag)
        self.mix_k = nn.Parameter(ramp ** ratio)
        self.mix_v = nn.Parameter(ramp ** ratio + 0.3 * (1 - ratio))
        self.mix_r = nn.Parameter(ramp ** (0.5 * ratio))
        self.key, self.value, self.receptance, self.output = (nn.Linear(d, d, bias=False)
                                                              for _ in range(4))

    def wkv(self, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        n = k.shape[1]
        gap = (torch.arange(n)[:, None] - 1 - torch.arange(n)).float()
        w = torch.exp(self.time_decay)
        bias = torch.where(gap[..., None] >= 0, -gap[..., None] * w, torch.tensor(-math.inf))
        bias = torch.where((gap == -1)[..., None], self.time_first, bias)  # (n, n, d)
        out = [(torch.softmax(bias + kc[:, None], 2) * vc[:, None]).sum(2)
               for kc, vc in zip(k.split(RW_CHUNK), v.split(RW_CHUNK))]
        return torch.cat(out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xx = shifted(x)
        k = self.key(x * self.mix_k + xx * (1 - self.mix_k))
        v = self.value(x * self.mix_v + xx * (1 - self.mix_v))
        r = self.receptance(x * self.mix_r + xx * (1 - self.mix_r))
        return self.output(torch.sigmoid(r) * self.wkv(k, v))


class ChannelMix(nn.Module):
    """RWKV-4's channel mixing: ``sigmoid(r) * W_v relu(W_k x_k) ** 2`` of token-shifted
    mixes."""

    def __init__(self, d: int, ff: int, layer: int, layers: int):
        super().__init__()
        ramp = (torch.arange(d) / d) ** (1 - layer / layers)
        self.mix_k, self.mix_r = nn.Parameter(ramp.clone()), nn.Parameter(ramp.clone())
        self.key, self.value = nn.Linear(d, ff, bias=False), nn.Linear(ff, d, bias=False)
        self.receptance = nn.Linear(d, d, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xx = shifted(x)
        k = F.relu(self.key(x * self.mix_k + xx * (1 - self.mix_k))) ** 2
        r = self.receptance(x * self.mix_r + xx * (1 - self.mix_r))
        return torch.sigmoid(r) * self.value(k)


class RWKVLM(nn.Module):
    """An RWKV-4 byte LM: an embedding and its LayerNorm, ``RW_LAYERS`` blocks of pre-LayerNorm
    ``TimeMix`` and ``ChannelMix`` (feed-forward ``RW_FF``), width ``RW_D``, a final LayerNorm
    and a linear head; no positions (the decays order them)."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(128, RW_D)
        nn.init.uniform_(self.tok.weight, -1e-4, 1e-4)  # RWKV's small embedding init
        self.norms = nn.ModuleList(nn.LayerNorm(RW_D) for _ in range(2 * RW_LAYERS + 2))
        self.times = nn.ModuleList(TimeMix(RW_D, i, RW_LAYERS) for i in range(RW_LAYERS))
        self.channels = nn.ModuleList(ChannelMix(RW_D, RW_FF, i, RW_LAYERS)
                                      for i in range(RW_LAYERS))
        self.head = nn.Linear(RW_D, 128)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norms[0](self.tok(x))
        for i, (tm, cm) in enumerate(zip(self.times, self.channels)):
            h = h + tm(self.norms[2 * i + 1](h))
            h = h + cm(self.norms[2 * i + 2](h))
        return self.head(self.norms[-1](h))


@lru_cache(maxsize=None)
def doctest_windows() -> tuple[tuple, tuple, tuple]:
    """The standard library's ``RW_TEXT`` (non-ASCII as ``?``), ``fresh_sweeps41``'s
    ``block_windows`` of ``RW_CTX`` bytes (blocks of 1024 dealt 80/10/10 at random), every
    ``RW_CTX // 2`` bytes in training."""
    return block_windows(ascii_stream(RW_TEXT), RW_CTX, RW_CTX // 2)


def warmup_exponential(warmup: int, total: int, final: float):
    """RWKV-LM's schedule: a linear warmup over ``warmup`` steps, then an exponential decay
    from the peak to ``final`` times it at the last step."""
    def factor(i: int) -> float:
        if i < warmup:
            return (i + 1) / warmup
        return final ** ((i - warmup) / max(1, total - 1 - warmup))
    return factor


def rwkv_run(lr: float, seed: int = SEED) -> TestedRun:
    """The RWKV LM under Adam (betas 0.9 / 0.99, eps 1e-8, no weight decay: RWKV-LM's
    recipe) at a peak ``lr``, a linear warmup of ``RW_WARMUP`` steps then an exponential decay
    to ``RW_FINAL`` of the peak, ``RW_STEPS`` steps of ``RW_BATCH`` shuffled windows, the next
    byte's cross-entropy, logged every 10 steps with a ``val_loss`` every ``RW_EVAL_EVERY``;
    the test windows' loss the truth."""
    splits = doctest_windows()
    order = shuffled_batches(len(splits[0][0]), RW_BATCH, RW_STEPS, seed)
    torch.manual_seed(seed)
    model = RWKVLM()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99), eps=1e-8)
    factor = warmup_exponential(RW_WARMUP, RW_STEPS, RW_FINAL)
    return minibatch_run(model, opt, next_byte_loss, splits, order, RW_STEPS, RW_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor))


# -- the plan and the manifest -------------------------------------------------------------------

SP_RANGE, TT_RANGE, RW_RANGE = (-2.5, 0.5), (-4.0, -1.0), (-3.0, 0.0)
EVERY = f"every {LOG_EVERY} steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("gpt_ft_l2sp_prose_sgdm_step", quarter_decades(*SP_RANGE), SP_STEPS, l2sp_run,
                   {"optimizer": "SGD", "momentum": SP_MOMENTUM, "batch_size": SP_BATCH,
                    "fine_tune": True, "clip": None, "warmup_steps": 0, "weight_decay": 0.0,
                    "schedule": f"StepLR: divided by 10 after {SP_DROP_AT} steps",
                    "loss": f"cross-entropy (next byte) + L2-SP ({SP_ALPHA} / 2 x squared "
                            "distance to the pretrained weights)",
                    "logged": f"{EVERY}, val_loss every {SP_EVAL_EVERY} steps",
                    "model": f"byte transformer d {FT_D}, {FT_LAYERS} layers, {FT_HEADS} "
                             f"heads, feed-forward {FT_FF}, context {FT_CTX}, pretrained here "
                             "on zipfile.py; every weight fine-tuned",
                    "data": "pydoc_data topics (English prose), blocks dealt 80/10/10"}),
        FreshSweep("fttransformer_tabular_ce_adamw_epochs", quarter_decades(*TT_RANGE),
                   TT_EPOCHS, ftt_run,
                   {"optimizer": "AdamW", "batch_size": TT_BATCH, "epochs": TT_EPOCHS,
                    "weight_decay": TT_WD, "fine_tune": False, "clip": None, "warmup_steps": 0,
                    "schedule": "constant",
                    "loss": f"cross-entropy ({TT_CLASSES} classes)",
                    "logged": "once per epoch (its mean training loss), val_loss each epoch",
                    "model": f"FT-Transformer: {TT_FEATURES} feature tokens + [CLS], d {TT_D}, "
                             f"{TT_LAYERS} layers, {TT_HEADS} heads, feed-forward {TT_FF}",
                    "data": f"made tabular rows: {TT_FEATURES} numeric features on unlike "
                            f"scales, classes from a random teacher: {TT_TRAIN} train, "
                            f"{TT_VAL} validation, {TT_TEST} test rows"}),
        FreshSweep("rwkv_doctest_adam_warmexp", quarter_decades(*RW_RANGE), RW_STEPS, rwkv_run,
                   {"optimizer": "Adam", "batch_size": RW_BATCH, "fine_tune": False,
                    "clip": None, "warmup_steps": RW_WARMUP, "weight_decay": 0.0,
                    "betas": [0.9, 0.99],
                    "schedule": f"linear warmup {RW_WARMUP}, exponential decay to "
                                f"{RW_FINAL} x the peak",
                    "loss": "cross-entropy (next byte)",
                    "logged": f"{EVERY}, val_loss every {RW_EVAL_EVERY} steps",
                    "model": f"RWKV-4 byte LM d {RW_D}, {RW_LAYERS} layers, channel-mix "
                             f"{RW_FF}, context {RW_CTX}",
                    "data": f"{RW_TEXT} of the standard library, blocks dealt 80/10/10"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"gpt_ft_l2sp_prose_sgdm_step": "llm_finetune",
                 "fttransformer_tabular_ce_adamw_epochs": "classifier",
                 "rwkv_doctest_adam_warmexp": "lm_pretrain"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 47's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
