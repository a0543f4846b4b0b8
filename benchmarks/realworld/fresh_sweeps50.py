"""Round 50's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps50 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 49) has, neither by name nor by model, loss and optimizer together: a **Conformer** (Gulati et
al. 2020: feed-forward halves around self-attention and a depthwise-convolution module; no
earlier round had a Conformer or a speech-like input) classifying **made keyword utterances**
(frames of filterbank-like features) under PyTorch's **Adam with the Conformer paper's betas
0.9/0.98 and eps 1e-9** and the Transformer's **Noam schedule** (a **long linear warmup**, a fifth
of the run, then an inverse square root decay); a **fine-tune with layer-wise LR decay**
(ELECTRA's and BEiT's recipe: each layer's LR 0.7 times the one above; no earlier round decayed
the LR by depth) of round 41's byte transformer pretrained here, on the next bytes of another
standard-library module, under PyTorch's **AdamW** with a warmup of a tenth of the run and a
linear decay; and a **noise-conditional score net** (NCSN, Song and Ermon 2019; no earlier round
trained by **denoising score matching**) of made 2-D points under **plain SGD without momentum,
with weight decay**, at a constant LR, **logged once per epoch**. On data made here (no
downloads; the text ships with Python). One is a fine-tune of a model pretrained here, one logs
once per epoch, two are attention models (the Conformer and the fine-tuned transformer), both
sequence models.

- ``conformer_keywords_ce_adam_noam``: a **Conformer** (a linear projection of each frame to 32,
  2 blocks of: half a feed-forward of 64 (SiLU), 4-head self-attention, the convolution module
  (pointwise to 64, GLU, a depthwise convolution of 7, BatchNorm, SiLU, pointwise), half a
  feed-forward, a LayerNorm; each sublayer pre-LayerNorm and residual; the frames' mean and a
  linear head; no positions) classifying **made utterances** of 48 frames of 16 bands into 4
  keywords (each three of 6 fixed random spectral templates in order, each held 3 to 9 frames at
  an amplitude 0.6 to 1.4, at a random offset in silence, Gaussian noise of 1.0 on every frame;
  the keywords two pairs of the same phones reversed, so only order tells them apart), 10% of
  the labels moved to another keyword (the floor); 3000 / 500 / 1000 utterances; the
  cross-entropy under PyTorch's **Adam** (betas 0.9/0.98, eps 1e-9, no weight decay) at a peak
  ``lr`` after a **linear warmup of 60 steps** (a fifth of the run), then as the inverse square
  root of the step (``noam``), 300 steps of 32, logged every 10 steps with a ``val_loss`` every
  50.
- ``gpt_ft_llrd_collections_adamw_warmlin``: round 41's byte transformer (d 48, 2 pre-LayerNorm
  layers of 4 causal heads, feed-forward 128, context 64) **pretrained here** on the standard
  library's ``zipfile.py`` (``fresh_sweeps41.pretrained_lm``; the same weights for every run),
  every weight fine-tuned on the next bytes of ``collections/__init__.py`` (non-ASCII as ``?``;
  ``fresh_sweeps41.block_windows``: blocks of 1024 dealt 80/10/10, windows every 32 bytes in
  training, end to end in validation and test) under PyTorch's **AdamW** (weight decay 0.01 on
  the matrices and embeddings) with **layer-wise LR decay 0.7** (the final LayerNorm and the head
  at the peak ``lr``, the top layer at 0.7 of it, the bottom at 0.49, the embeddings at 0.343),
  a linear warmup of 30 steps (a tenth of the run) then a linear decay to 0, 300 steps of 16,
  logged every 10 steps with a ``val_loss`` every 50.
- ``score_moons_dsm_sgd_epochs``: a **noise-conditional score net** (an MLP of the noised point
  and log sigma, 3-128-128-2, SiLU; its output is sigma times the score, as NCSNv2 scales it) of
  **made two-moons points** (jittered by 0.05; 4096 / 512 / 1024 points), trained by
  **denoising score matching** over 8 noise levels 0.05 to 1 (geometric), weighted by sigma
  squared (half the mean squared norm of sigma times the score plus the noise; each step's
  levels and noise drawn fresh, the validation and test points noised 4 times each, fixed),
  under **plain SGD** (no momentum, weight decay 1e-4) at a constant ``lr``, batches of 128,
  **logged once per epoch** (20 epochs of 32 steps: each epoch's mean training loss, a
  ``val_loss`` after it).

13 quarter-decade LRs each (every step 1.78x, so a best within 2x is a grid point), seed 46. **The
grids were fixed from what users pick before any probe** (Adam on a small transformer-like model
and AdamW fine-tunes of a small model 10**-4..10**-1, 3.16e-3 in the middle; plain SGD
10**-3..10**0, 3.16e-2 in the middle), **then probed** (every other grid point, seed 46, at LRs
rounded to three digits): the Conformer's probe put the best at 3.16e-3 (0.4899; 1e-2 0.4914,
3.16e-2 1.3640, 1e-1 1.3869, 1e-3 0.7204, 3.16e-4 0.9728, 1e-4 1.0373), 1.5 decades from both
ends, and its grid stayed; the fine-tune's at 1e-2 (1.2562; 3.16e-2 1.2664, 1e-1 1.2607, 3.16e-3
1.3008, 1e-3 1.4046, 3.16e-4 1.5278, 1e-4 1.7846), a decade from the top with the top still flat,
moved up a decade to 10**-3..10**0; the score net's at 3.16e-1 (0.7550; 1e-1 0.7677, 3.16e-2
0.7707, 1e-2 0.7878, 3.16e-3 0.8392, 1e-3 0.9353; 1 non-finite), half a decade from the top,
moved up half a decade to 10**-2.5..10**0.5. **The score net's grid moved a second time**: its
sweep put the best at 5.62e-1, under a decade from that grid's top (3.16), so it moved up another
half decade to 10**-2..10**1 (the two new top runs non-finite, as every run from 1 up is; the
runs at the LRs both grids share are the same runs). The sweep bests: the Conformer 3.16e-3 (1.5
decades from both ends), the fine-tune 1.78e-2 (1.25 decades from the bottom, 1.75 from the top),
the score net 5.62e-1 (1.75 decades from the bottom, 1.25 from the top).

**The Conformer's shelf is sharp-edged**: 1.78e-3 to 1e-2 end within 1.3% of each other (0.4885
to 0.4947), 1e-3 47% above, 1.78e-2 98% above; from 1.78e-2 up the runs fall back towards the
prior (0.9674 to 1.3869) without ending above the start of 1.3951 (oscillating, not diverging).
**The fine-tune's shelf is broad**: 5.62e-3 to 1e-1 end within 2% of the best (1.2460 to
1.2671), then 1.78e-1 and 3.16e-1 rise (1.3080, 1.4034) and from 5.62e-1 up the runs end above
the pretrained model's start of 2.1858 (3.0034, 3.1567: diverging). **The score net falls off a
cliff**: 1.78e-1 to 5.62e-1 end within 2% of the best (0.7513 to 0.7628), and every run from 1 up
goes non-finite in its first epoch (diverging); no run is oscillating.

Probe test losses at each best and its neighbours (seeds 44/45/46; seed 46 the sweep's own
runs, the others at three-digit LRs; a seed moves the batches and the initialisation, of the
score net the training noise too, of the fine-tune the batches only):

- **The Conformer's best moves half a decade, 3.16e-3 to 1e-2**: 3.16e-3 at seed 46 (0.4885;
  1.78e-3 +0.0%, 5.62e-3 +1.3%, 1e-2 +0.6%), 1e-2 at seed 44 (0.4845; 5.62e-3 +0.5%, 3.16e-3
  +1.0%, 1.78e-3 +33.3%, 1.78e-2 +47.0%), 5.62e-3 at seed 45 (0.4848; 3.16e-3 +0.1%, 1e-2
  +4.7%, 1.78e-3 +5.0%, 1.78e-2 +99.5%).
- **The fine-tune's best moves between 1e-2 and 1.78e-2**: 1.78e-2 at seeds 45 and 46 (1.2469,
  1.2460; 1e-2 +0.8%, +0.8%; 3.16e-2 +1.1%, +1.7%), 1e-2 at seed 44 (1.2536; 1.78e-2 +0.9%,
  3.16e-2 +0.1%, 5.62e-2 +0.4%).
- **The score net's best stays at 5.62e-1**: 0.7486, 0.7441, 0.7513 at seeds 44, 45, 46
  (3.16e-1 +0.4%, +0.8%, +0.5%; 1.78e-1 +1.8%, +2.0%, +1.5%; 1 non-finite at every seed).

Best test losses: the Conformer 0.4885 at 3.16e-3 from 1.3951 (it fell 65%); the fine-tune
1.2460 at 1.78e-2 from 2.1858 (43%); the score net 0.7513 at 5.62e-1 from 1.0335 (27%). Labels:
13 stalled, 13 healthy, 6 oscillating, 7 diverging (Conformer 5/4/4/0, fine-tune 3/6/2/2, score
net 5/3/0/5). Training took 133.9 CPU s on one thread for the 39 runs in the sweeps (Conformer
84.5, fine-tune 46.9, score net 2.5; each run's own CPU time, on a machine shared with other
work), and about 240 CPU s for the pretraining (about 13 s in each of four processes), the timing
check, the probes and the seed checks: under 7 CPU minutes in all (the processes' imports not
counted), under the plan's ~25.

The truth is the loss on a test split that no log holds; each log's ``val_loss`` comes from a
separate validation split, as in rounds 8 to 49 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh50.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r50made.jsonl``: the ``round50-made`` side of
the one-run diagnosis). The Conformer and the fine-tune train through
``fresh_sweeps31.minibatch_run`` with the scheduler each steps every step; the score net through
``fresh_sweeps8.train_by_epoch`` at its constant LR.

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 49's were; a
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
                                                 pretrained_lm)
from benchmarks.realworld.made_tasks import warmup_linear
from benchmarks.realworld.make_runs import quarter_decades

SEED = 46  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 45)
OUT = HERE / "sweeps_fresh50.json"
MANIFEST = HERE / "manifest_r50made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps50.py"
LOG_EVERY = 10

# a Conformer classifying made keyword "utterances", Adam (betas 0.9/0.98) + Noam warmup
CF_FRAMES, CF_BANDS, CF_PHONES, CF_WORDS, CF_NOISE, CF_FLIP = 48, 16, 6, 4, 1.0, 0.1
CF_KEYWORDS = ((0, 1, 2), (2, 1, 0), (3, 4, 5), (5, 4, 3))  # two pairs of the same phones reversed
CF_TRAIN, CF_VAL, CF_TEST = 3000, 500, 1000
CF_D, CF_HEADS, CF_BLOCKS, CF_KERNEL, CF_FF = 32, 4, 2, 7, 64
CF_STEPS, CF_WARMUP, CF_BATCH, CF_EVAL_EVERY = 300, 60, 32, 50
CF_BETAS, CF_EPS = (0.9, 0.98), 1e-9
# a fine-tune of round 41's byte transformer pretrained here, layer-wise LR decay under AdamW
LL_TEXT, LL_DECAY = "collections/__init__.py", 0.7
LL_STEPS, LL_WARMUP, LL_BATCH, LL_EVAL_EVERY, LL_WD = 300, 30, 16, 50, 0.01
# a noise-conditional score net (denoising score matching) of made 2-D points, plain SGD with
# weight decay, logged once per epoch
SM_SIGMAS = tuple(float(s) for s in np.geomspace(0.05, 1.0, 8))
SM_HIDDEN, SM_NOISE, SM_DRAWS = 128, 0.05, 4
SM_TRAIN, SM_VAL, SM_TEST, SM_BATCH, SM_EPOCHS, SM_WD = 4096, 512, 1024, 128, 20, 1e-4


# -- a Conformer classifying made keyword utterances, Adam + Noam warmup --------------------------


@lru_cache(maxsize=None)
def keyword_data() -> tuple[tuple, tuple, tuple]:
    """Made "utterances" of ``CF_FRAMES`` frames of ``CF_BANDS`` log-filterbank-like features:
    a keyword (``CF_KEYWORDS``: three of ``CF_PHONES`` fixed random spectral templates in
    order, each held a random 3 to 9 frames at an amplitude 0.6 to 1.4) placed at a random
    offset in silence, Gaussian noise of ``CF_NOISE`` on every frame; ``CF_FLIP`` of the labels
    moved to another keyword at random (the floor). Split ``CF_TRAIN`` / ``CF_VAL`` /
    ``CF_TEST``."""
    rng = np.random.default_rng(SEED)
    phones = rng.normal(0.0, 1.5, (CF_PHONES, CF_BANDS))
    n = CF_TRAIN + CF_VAL + CF_TEST
    words = rng.integers(0, CF_WORDS, n)
    x = np.zeros((n, CF_FRAMES, CF_BANDS))
    for i, w in enumerate(words):
        lengths = rng.integers(3, 10, 3)
        t = int(rng.integers(0, CF_FRAMES - lengths.sum() + 1))
        for p, length in zip(CF_KEYWORDS[w], lengths):
            x[i, t:t + length] = rng.uniform(0.6, 1.4) * phones[p]
            t += length
    x += CF_NOISE * rng.standard_normal(x.shape)
    flip = rng.random(n) < CF_FLIP
    labels = np.where(flip, (words + rng.integers(1, CF_WORDS, n)) % CF_WORDS, words)
    return split3(CF_TRAIN, CF_VAL, torch.tensor(x, dtype=torch.float32), torch.tensor(labels))


class ConformerBlock(nn.Module):
    """A Conformer block (Gulati et al. 2020): half a feed-forward, multi-head self-attention,
    the convolution module (pointwise to twice the width, GLU, a depthwise convolution of
    ``CF_KERNEL``, BatchNorm, SiLU, pointwise), half a feed-forward, a LayerNorm; each
    sublayer pre-LayerNorm and residual."""

    def __init__(self):
        super().__init__()
        def ff() -> nn.Module:
            return nn.Sequential(nn.LayerNorm(CF_D), nn.Linear(CF_D, CF_FF), nn.SiLU(),
                                 nn.Linear(CF_FF, CF_D))
        self.ff1, self.ff2 = ff(), ff()
        self.norm_att = nn.LayerNorm(CF_D)
        self.att = nn.MultiheadAttention(CF_D, CF_HEADS, batch_first=True)
        self.norm_conv = nn.LayerNorm(CF_D)
        self.conv = nn.Sequential(
            nn.Conv1d(CF_D, 2 * CF_D, 1), nn.GLU(dim=1),
            nn.Conv1d(CF_D, CF_D, CF_KERNEL, padding=CF_KERNEL // 2, groups=CF_D),
            nn.BatchNorm1d(CF_D), nn.SiLU(), nn.Conv1d(CF_D, CF_D, 1))
        self.norm = nn.LayerNorm(CF_D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + 0.5 * self.ff1(x)
        h = self.norm_att(x)
        x = x + self.att(h, h, h, need_weights=False)[0]
        x = x + self.conv(self.norm_conv(x).transpose(1, 2)).transpose(1, 2)
        return self.norm(x + 0.5 * self.ff2(x))


class Conformer(nn.Module):
    """A linear projection of each frame to ``CF_D``, ``CF_BLOCKS`` Conformer blocks, the
    frames' mean and a linear head to the keywords (no positions: the convolutions place)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(CF_BANDS, CF_D)
        self.blocks = nn.Sequential(*[ConformerBlock() for _ in range(CF_BLOCKS)])
        self.head = nn.Linear(CF_D, CF_WORDS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.embed(x)).mean(1))


def noam(warmup: int):
    """The Transformer's ("Noam") schedule as a factor of the peak LR: a linear warmup over
    ``warmup`` steps, then a decay as the inverse square root of the step."""
    return lambda i: min((i + 1) / warmup, math.sqrt(warmup / (i + 1)))


def conformer_run(lr: float, seed: int = SEED) -> TestedRun:
    """The Conformer under PyTorch's Adam with the Conformer paper's betas ``CF_BETAS`` and eps
    ``CF_EPS`` at a peak ``lr`` after a **linear warmup of ``CF_WARMUP`` steps** (a fifth of
    the run), then the inverse square root decay (``noam``), ``CF_STEPS`` steps of
    ``CF_BATCH`` shuffled utterances, the cross-entropy, logged every 10 steps with a
    ``val_loss`` every ``CF_EVAL_EVERY``; the test utterances' loss the truth."""
    splits = keyword_data()
    order = shuffled_batches(CF_TRAIN, CF_BATCH, CF_STEPS, seed)
    torch.manual_seed(seed)
    model = Conformer()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=CF_BETAS, eps=CF_EPS)
    return minibatch_run(model, opt, F.cross_entropy, splits, order, CF_STEPS, CF_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(
                             o, noam(CF_WARMUP)))


# -- a layer-wise-LR-decay fine-tune of a byte transformer pretrained here, AdamW ---------------


@lru_cache(maxsize=None)
def collections_windows() -> tuple[tuple, tuple, tuple]:
    """``LL_TEXT`` (non-ASCII as ``?``), ``fresh_sweeps41.block_windows`` of ``FT_CTX`` bytes
    (blocks of 1024 dealt 80/10/10; every 32 bytes in training, end to end in validation and
    test) and their next bytes."""
    return block_windows(ascii_stream(LL_TEXT), FT_CTX, FT_CTX // 2)


def llrd_groups(model: nn.Module, lr: float) -> list[dict]:
    """The parameter groups of layer-wise LR decay (ELECTRA's and BEiT's fine-tuning recipe):
    the final LayerNorm and the head at ``lr``, each transformer layer below at ``LL_DECAY``
    times the one above, the embeddings at ``LL_DECAY`` times the lowest layer; weight decay
    ``LL_WD`` on the matrices and embeddings, none on biases and LayerNorms. The top group
    first (the logged LR is the peak's)."""
    def depth(name: str) -> int:
        if name.startswith(("tok.", "pos.")):
            return 0
        if name.startswith("blocks.layers."):
            return 1 + int(name.split(".")[2])
        return FT_LAYERS + 1
    groups: dict[tuple[int, bool], list] = {}
    for name, p in model.named_parameters():
        groups.setdefault((depth(name), p.dim() >= 2), []).append(p)
    return [{"params": ps, "lr": lr * LL_DECAY ** (FT_LAYERS + 1 - d),
             "weight_decay": LL_WD if decayed else 0.0}
            for (d, decayed), ps in sorted(groups.items(), key=lambda kv: (-kv[0][0], kv[0][1]))]


def llrd_run(lr: float, seed: int = SEED) -> TestedRun:
    """Round 41's byte transformer pretrained here on ``zipfile.py``, every weight fine-tuned on
    ``LL_TEXT``'s next bytes under PyTorch's AdamW with **layer-wise LR decay** ``LL_DECAY``
    (``llrd_groups``) at a peak ``lr`` for the top, a linear warmup of ``LL_WARMUP`` steps
    then a linear decay to 0, ``LL_STEPS`` steps of ``LL_BATCH`` shuffled windows, logged every
    10 steps with a ``val_loss`` every ``LL_EVAL_EVERY``; the test windows' loss the truth."""
    splits = collections_windows()
    weights = pretrained_lm()  # before the seed: pretraining draws from the global RNG
    order = shuffled_batches(len(splits[0][0]), LL_BATCH, LL_STEPS, seed)
    torch.manual_seed(seed)
    model = code_lm()
    model.load_state_dict(weights)
    opt = torch.optim.AdamW(llrd_groups(model, lr), lr=lr)
    factor = warmup_linear(LL_WARMUP, LL_STEPS)
    return minibatch_run(model, opt, next_byte_loss, splits, order, LL_STEPS, LL_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor))


# -- a noise-conditional score net of made 2-D points, plain SGD, logged once per epoch ---------


@lru_cache(maxsize=None)
def moons() -> torch.Tensor:
    """``SM_TRAIN + SM_VAL + SM_TEST`` made 2-D points: two interleaved half circles (the
    "two moons"), jittered by ``SM_NOISE``, in a random order."""
    rng = np.random.default_rng(SEED)
    n = SM_TRAIN + SM_VAL + SM_TEST
    t = np.pi * rng.random(n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    pts = np.stack([x - 0.5, y - 0.25], 1) + SM_NOISE * rng.standard_normal((n, 2))
    return torch.tensor(pts, dtype=torch.float32)


def noised(x: torch.Tensor, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Each point's noise level drawn from ``SM_SIGMAS``, its Gaussian noise ``z``, and the
    noised point ``x + sigma z``: (the noised points, the sigmas, z)."""
    sigma = torch.tensor(SM_SIGMAS)[torch.randint(0, len(SM_SIGMAS), (len(x),), generator=g)]
    z = torch.randn(x.shape, generator=g)
    return x + sigma[:, None] * z, sigma, z


class ScoreNet(nn.Module):
    """A noise-conditional score net (NCSN, Song and Ermon 2019, conditioned as NCSNv2 on the
    noise level): an MLP of the noised point and log sigma (3 to ``SM_HIDDEN`` to
    ``SM_HIDDEN`` to 2, SiLU) whose output over sigma is the score; ``forward`` returns sigma
    times the score."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, SM_HIDDEN), nn.SiLU(),
                                 nn.Linear(SM_HIDDEN, SM_HIDDEN), nn.SiLU(),
                                 nn.Linear(SM_HIDDEN, 2))

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, sigma.log()[:, None]], 1))


def dsm_loss(model: ScoreNet, noisy: torch.Tensor, sigma: torch.Tensor,
             z: torch.Tensor) -> torch.Tensor:
    """Denoising score matching weighted by sigma squared: half the mean squared norm of sigma
    times the score plus the noise (its floor the conditional spread of the noise)."""
    return 0.5 * (model(noisy, sigma) + z).pow(2).sum(1).mean()


@lru_cache(maxsize=None)
def score_data() -> tuple[torch.Tensor, tuple, tuple]:
    """The training points, and the validation and test points each noised ``SM_DRAWS`` times
    (fixed draws)."""
    x = moons()
    g = torch.Generator().manual_seed(SEED)
    xva = x[SM_TRAIN:SM_TRAIN + SM_VAL].repeat(SM_DRAWS, 1)
    xte = x[SM_TRAIN + SM_VAL:].repeat(SM_DRAWS, 1)
    return x[:SM_TRAIN], noised(xva, g), noised(xte, g)


def score_run(lr: float, seed: int = SEED) -> TestedRun:
    """The score net under plain SGD (no momentum) with weight decay ``SM_WD`` at a constant
    ``lr``, ``SM_EPOCHS`` epochs of ``SM_BATCH`` shuffled points, each step's noise levels and
    noise drawn fresh, **logged once per epoch** (its mean training loss, a ``val_loss`` after
    it); the test points' fixed draws' loss the truth."""
    xtr, val, test = score_data()
    order = batches_of(SM_TRAIN, SM_BATCH, SM_EPOCHS, seed).view(SM_EPOCHS, -1, SM_BATCH)
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = ScoreNet()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.0, weight_decay=SM_WD)

    @torch.no_grad()
    def evaluate(draws: tuple) -> float:
        model.eval()
        return float(dsm_loss(model, *draws))

    test0 = evaluate(test)
    log = train_by_epoch(model, opt, SM_EPOCHS, list(order),
                         lambda idx: dsm_loss(model, *noised(xtr[idx], g)),
                         lambda: evaluate(val), schedule="constant")
    return TestedRun(log, test0, finite_or_inf(evaluate(test)), by_epoch=True)


# -- the plan and the manifest -------------------------------------------------------------------

CF_RANGE, LL_RANGE, SM_RANGE = (-4.0, -1.0), (-3.0, 0.0), (-2.0, 1.0)
EVERY = f"every {LOG_EVERY} steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("conformer_keywords_ce_adam_noam", quarter_decades(*CF_RANGE), CF_STEPS,
                   conformer_run,
                   {"optimizer": "Adam", "betas": list(CF_BETAS), "eps": CF_EPS,
                    "batch_size": CF_BATCH, "fine_tune": False, "clip": None,
                    "warmup_steps": CF_WARMUP, "weight_decay": 0.0,
                    "schedule": f"Noam: linear warmup {CF_WARMUP}, then inverse square root",
                    "loss": f"cross-entropy ({CF_WORDS} keywords)",
                    "logged": f"{EVERY}, val_loss every {CF_EVAL_EVERY} steps",
                    "model": f"Conformer: {CF_BLOCKS} blocks of width {CF_D}, {CF_HEADS} heads, "
                             f"depthwise convolution {CF_KERNEL}, feed-forward {CF_FF}",
                    "data": f"made keyword utterances of {CF_FRAMES} frames of {CF_BANDS} "
                            f"bands ({CF_FLIP:.0%} labels moved): {CF_TRAIN} train, {CF_VAL} "
                            f"validation, {CF_TEST} test"}),
        FreshSweep("gpt_ft_llrd_collections_adamw_warmlin", quarter_decades(*LL_RANGE),
                   LL_STEPS, llrd_run,
                   {"optimizer": "AdamW", "layerwise_lr_decay": LL_DECAY,
                    "batch_size": LL_BATCH, "fine_tune": True, "clip": None,
                    "warmup_steps": LL_WARMUP, "weight_decay": LL_WD,
                    "schedule": f"linear warmup {LL_WARMUP}, linear decay to 0",
                    "loss": "next-byte cross-entropy",
                    "logged": f"{EVERY}, val_loss every {LL_EVAL_EVERY} steps",
                    "model": f"byte transformer d {FT_D}, {FT_LAYERS} layers, {FT_HEADS} "
                             f"heads, feed-forward {FT_FF}, context {FT_CTX}, pretrained here "
                             "on zipfile.py",
                    "data": f"the standard library's {LL_TEXT}, blocks dealt 80/10/10"}),
        FreshSweep("score_moons_dsm_sgd_epochs", quarter_decades(*SM_RANGE), SM_EPOCHS,
                   score_run,
                   {"optimizer": "SGD", "momentum": 0.0, "batch_size": SM_BATCH,
                    "epochs": SM_EPOCHS, "weight_decay": SM_WD, "fine_tune": False,
                    "clip": None, "warmup_steps": 0, "schedule": "constant",
                    "loss": f"denoising score matching ({len(SM_SIGMAS)} noise levels "
                            f"{SM_SIGMAS[0]:g} to {SM_SIGMAS[-1]:g}, weighted by sigma squared)",
                    "logged": "once per epoch (its mean training loss), val_loss each epoch",
                    "model": f"noise-conditional score MLP 3-{SM_HIDDEN}-{SM_HIDDEN}-2 (SiLU)",
                    "data": f"made two-moons points (jitter {SM_NOISE}): {SM_TRAIN} train, "
                            f"{SM_VAL} validation, {SM_TEST} test, the held-out ones noised "
                            f"{SM_DRAWS} times"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"conformer_keywords_ce_adam_noam": "classifier",
                 "gpt_ft_llrd_collections_adamw_warmlin": "llm_finetune",
                 "score_moons_dsm_sgd_epochs": "other"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 50's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
