"""Round 40's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps40 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 39) has, neither by name nor by model, loss and optimizer together: a **Switch
(mixture-of-experts) transformer** (no earlier round routed tokens to experts) trained on the
next byte plus the **load-balancing loss** under PyTorch's AdamW with a warmup and an inverse
square root decay, a student CNN trained by **knowledge distillation** from a teacher CNN
trained here (no earlier round distilled) under SGD with momentum and ``MultiStepLR``, and a
**LayerNorm-only fine-tune** (LN-tuning: no earlier round) of an MLP classifier pretrained here
under PyTorch's AdamW with a linear decay, on data made here (no downloads; the text ships with
Python). One is an attention model, one logs once per epoch, one is a fine-tune of a model
pretrained here.

- ``moe_switch_statistics_adamw_invsqrt``: a **byte-level decoder-only transformer** (d 32, 2
  pre-LayerNorm blocks of 4 causal heads, learned positions) whose feed-forward layers are
  **Switch layers** (Fedus et al. 2021: 4 ReLU experts of width 64, each token sent to its
  router's top expert, the output scaled by that expert's probability), on the standard
  library's ``statistics.py`` (non-ASCII as ``?``; blocks of 1024 bytes dealt at random
  80/10/10 to training, validation and test; windows of 64 every 16 bytes in training, end to
  end in validation and test: 2160 / 75 / 75 windows), trained on the next byte's
  cross-entropy plus 0.01 times the layers' **load-balancing losses** (1 each when balanced)
  under **PyTorch's AdamW** (betas 0.9/0.95, weight decay 0.1) with a linear warmup of 40
  steps and an **inverse square root decay** (T5's and Switch's), no clipping, 600 steps of
  16, logged every 10 steps with a ``val_loss`` every 50.
- ``cnn_kd_student_glyphs_sgdm_multistep_epochs``: a **student CNN** (3x3 convolutions of 8
  and 16 channels, each with ReLU and a 2x2 max-pool, a linear layer) **distilled** from a
  teacher CNN of 32 and 64 channels trained here (Adam 1e-3, 1500 steps of 100 on the
  training images' labels; the same teacher for every run) on **made noisy 12x12 glyphs** of
  10 classes (each class three Gaussian blobs; shifted up to a pixel, scaled 0.7 to 1.3,
  pixel noise of sd 0.9; 15% of the training and validation labels replaced by a random
  class, the test labels the glyphs drawn; 4000 / 500 / 2000 images) with **Hinton et al.'s
  loss** (0.9 times the temperature-4 KL divergence from the teacher times 16, plus 0.1 times
  the labels' cross-entropy) under **SGD** (momentum 0.9, weight decay 5e-4) with
  **``MultiStepLR``** (x0.1 after epochs 12 and 16), **logged once per epoch** (20 epochs of 40
  batches of 100: a point an epoch, its mean training loss, and a ``val_loss``, the validation
  labels' cross-entropy, after it); the truth the test labels' cross-entropy.
- ``mlp_ft_lntune_shifted_ce_adamw_linear``: an **MLP classifier** (16 features, 64-64 with
  LayerNorm and GELU, 6 classes) **pretrained here** on 5000 rows of a first domain (classes
  drawn from a random teacher's softmax; cross-entropy, Adam 1e-3, 1500 steps of 64; the same
  weights for every run), then everything frozen but its **LayerNorms' gains and biases**
  (LN-tuning, Qi et al. 2022) and trained on a **shifted domain** (each feature rescaled by 0.5
  to 2 and moved by up to 1, the teacher's hidden biases moved; 600 training, 300 validation,
  3000 test rows) with the cross-entropy under **PyTorch's AdamW** (its defaults, weight decay
  0.01) at an LR **decayed linearly to 0** (``LinearLR``), 300 steps of 32, logged every 10
  steps with a ``val_loss`` every 50; a seed moves the batches only.

13 quarter-decade LRs each (every step 1.78x, so a best within 2x is a grid point), seed 36.
**The grids were fixed from what users pick before any probe, and all three moved once after a
first probe** (every other grid point, seed 36, at LRs rounded to three digits): the
transformer's 10**-4..10**-1 (small-transformer AdamW users pick 1e-4 to 1e-2), whose probe on
the final design put the best at 3.16e-2 (1.9163; 1e-2 2.2971, 1e-1 2.1150), half a decade from
the top, moved up half a decade to 10**-3.5..10**-0.5; the student's 10**-2.5..10**0.5
(distillation recipes run SGD at 0.01 to 0.1), whose probe put the best at 1e-2 (0.1906; 3.16e-3
0.1990, 3.16e-2 0.2068), half a decade from the bottom, moved down a decade to
10**-3.5..10**-0.5; the fine-tune's 10**-4..10**-1 (few-parameter fine-tunes under AdamW mostly
pick 1e-4 to 1e-2), whose probe put the best at 3.16e-2 (1.3148; 1e-2 1.3415, 1e-1 1.3208), half
a decade from the top, moved up a decade to 10**-3..10**0. Every sweep best is 1.5 decades from
both ends (transformer 3.16e-2, student 1e-2, fine-tune 3.16e-2).

**Designs changed before the sweeps, each probe then remade**: the transformer first trained
under PyTorch's Adafactor (on a grid of 10**-3.5..10**-0.5 around its default 1e-2), whose step
is capped at ``1/sqrt(t)`` whatever the LR, so every LR past about 0.16 ran alike after the
warmup (probe: 0.1 2.5655, 0.316 2.5920); then under AdamW on ``statistics.py`` split 80/10/10
in order, whose last tenth reads unlike the rest (from 1e-3 up the test loss ended 0.1 to 0.7
nats over the validation loss, and their bests fell at different LRs: test 1e-2 2.5662,
validation 1e-1 1.940); its blocks were then dealt at random.

Probe test losses at each best and its neighbours (seeds 34/35/36; seed 36 the sweep's own
runs, the others at three-digit LRs; a seed moves the batches and the initialisation, of the
fine-tune the batches only, not the data, the teacher or the pretrained weights):

- **The transformer's best moves between 3.16e-2 and 5.62e-2**: 3.16e-2 at seeds 34 and 36
  (1.9785, 1.9450; 5.62e-2 +0.4%, +1.2%), 5.62e-2 at seed 35 (2.0032; 3.16e-2 +1.4%); 1.78e-2
  +6.3%, +7.5%, +8.4%. The seed-36 probe at 0.0316 ended at 1.9163, the sweep's run at 0.031623
  at 1.9450: an LR 0.07% apart moved the test loss 1.5%.
- **The student's best moves between 5.62e-3 and 1e-2**: 5.62e-3 at seed 34 (0.1855; 1e-2
  +1.3%), 1e-2 at seeds 35 and 36 (0.1869, 0.1906; 5.62e-3 +0.7%, +0.3%); 1.78e-2 +5.6%, +4.3%,
  +2.3%. **The top of its grid is on a knife edge**: the probe at 0.316 collapsed (every
  epoch's loss 6.17, test 2.3790, above its start), the sweep's run at 0.3162 did not (0.6526).
- **The fine-tune's best moves between 3.16e-2 and 5.62e-2, its top is flat**: 5.62e-2 at
  seeds 34 and 35 (1.3050, 1.3096; 3.16e-2 +0.4%, +0.1%), 3.16e-2 at seed 36 (1.3148; 5.62e-2
  +0.0%); 1e-1 +0.5%, +0.2%, +0.5%; 1.78e-2 +1.1%, +0.8%, +0.6%. Only its frozen weights'
  LayerNorms move, and no LR up to 1 blows it up (1 ends +3.7%).

Best test losses: the transformer 1.9450 at 3.16e-2 from 4.9058 (it fell 60%); the student
0.1906 at 1e-2 from 2.3086 (92%); the fine-tune 1.3148 at 3.16e-2 from 2.3604 (44%). Labels: 18
stalled, 10 healthy, 11 oscillating, 0 diverging (transformer 8/2/3/0, student 5/2/6/0,
fine-tune 5/6/2/0): no run ended above its start or went non-finite. Training took 130.0 CPU s
on one thread for the 39 runs in the sweeps (transformer 102.4, student 25.0, fine-tune 2.6;
each run's own CPU time, on a machine shared with other work), and about 340 CPU s for the
teachers and pretrainings, the timing checks, the probes (those of the designs given up too)
and the seed checks: about 470 CPU s in all, under 8 CPU minutes (the processes' imports not
counted), under the plan's ~25.

The truth is the loss on a test split that no log holds; each log's ``val_loss`` comes from a
separate validation split, as in rounds 8 to 39 (``fresh_sweeps8``, whose machinery this reuses:
the cache's side file beside each CSV holds the test losses, ``sweeps_fresh40.json`` ranks each
run by its final test loss with ``made_labels.label_sweep``, and ``--manifest COMMIT`` writes
those labels, with their reasons, as ``manifest_r40made.jsonl``: the ``round40-made`` side of
the one-run diagnosis). The transformer and the fine-tune train through
``fresh_sweeps31.minibatch_run`` with the scheduler each steps every step; the student through
``fresh_sweeps8.train_by_epoch`` with ``MultiStepLR`` stepped each epoch; the teacher and the
pretrained MLP through ``fresh_sweeps8.adam_pretrained``.

The runs were made with this machine's default PyTorch CPU kernels, as rounds 13 to 39's were; a
retrain on other kernels drifts within the tests' retrained-truth tolerance.
"""

from __future__ import annotations

import math
import sysconfig
from functools import lru_cache
from pathlib import Path

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
from benchmarks.realworld.make_runs import quarter_decades

SEED = 36  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 35)
OUT = HERE / "sweeps_fresh40.json"
MANIFEST = HERE / "manifest_r40made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps40.py"
LOG_EVERY = 10
STDLIB = Path(sysconfig.get_paths()["stdlib"])

# the mixture-of-experts byte LM: statistics.py, Switch routing, AdamW, inverse square root
MO_TEXT, MO_BLOCK, MO_CTX, MO_STRIDE = "statistics.py", 1024, 64, 16
MO_D, MO_LAYERS, MO_HEADS, MO_EXPERTS, MO_FF, MO_AUX, MO_WD = 32, 2, 4, 4, 64, 0.01, 0.1
MO_STEPS, MO_WARMUP, MO_BATCH, MO_EVAL_EVERY = 600, 40, 16, 50
# the distilled student: made glyph images, a teacher CNN trained here, SGD momentum, MultiStepLR
KD_SIDE, KD_CLASSES, KD_NOISE, KD_FLIP = 12, 10, 0.9, 0.15
KD_TRAIN, KD_VAL, KD_TEST, KD_EPOCHS, KD_BATCH = 4000, 500, 2000, 20, 100
KD_T, KD_ALPHA, KD_MOMENTUM, KD_WD, KD_MILESTONES = 4.0, 0.9, 0.9, 5e-4, (12, 16)
KD_TEACHER_STEPS, KD_TEACHER_LR = 1500, 1e-3
# the LayerNorm-only fine-tune: an MLP pretrained on a first domain, CE, AdamW, linear decay
LN_IN, LN_WIDTH, LN_CLASSES = 16, 64, 6
LN_PRE_N, LN_PRE_STEPS, LN_PRE_BATCH, LN_PRE_LR = 5000, 1500, 64, 1e-3
LN_TRAIN, LN_VAL, LN_TEST = 600, 300, 3000
LN_STEPS, LN_BATCH, LN_EVAL_EVERY = 300, 32, 50


# -- a Switch-style mixture-of-experts byte transformer, AdamW, warmup + inverse sqrt -----------


@lru_cache(maxsize=None)
def statistics_windows() -> tuple[tuple, tuple, tuple]:
    """The bytes of the standard library's ``statistics.py`` (non-ASCII as ``?``) in blocks of
    ``MO_BLOCK``, the blocks dealt at random 80/10/10 to training, validation and test (so the
    three read alike), each block cut into ``MO_CTX``-byte windows and their next bytes: every
    ``MO_STRIDE`` bytes in training, end to end in validation and test."""
    text = (STDLIB / MO_TEXT).read_bytes()
    clean = torch.frombuffer(bytearray(b if b < 128 else ord("?") for b in text),
                             dtype=torch.uint8).long()
    blocks = clean[:len(clean) // MO_BLOCK * MO_BLOCK].view(-1, MO_BLOCK)
    deal = torch.randperm(len(blocks), generator=torch.Generator().manual_seed(SEED))
    n_train, n_val = int(0.8 * len(blocks)), int(0.9 * len(blocks))

    def cut(picked: torch.Tensor, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
        at = torch.arange(0, MO_BLOCK - MO_CTX, stride)[:, None] + torch.arange(MO_CTX)
        windows = blocks[picked][:, at]  # (blocks, windows, MO_CTX + 1 read as x and y)
        nxt = blocks[picked][:, at + 1]
        return windows.reshape(-1, MO_CTX), nxt.reshape(-1, MO_CTX)
    return (cut(deal[:n_train], MO_STRIDE), cut(deal[n_train:n_val], MO_CTX),
            cut(deal[n_val:], MO_CTX))


class SwitchFFN(nn.Module):
    """A Switch feed-forward layer (Fedus et al. 2021): ``MO_EXPERTS`` ReLU MLPs of width
    ``MO_FF``, each token sent to its router's top expert, the output scaled by that expert's
    router probability; ``aux`` holds the layer's load-balancing loss (experts times the sum of
    each expert's token share times its mean router probability: 1 when balanced)."""

    def __init__(self, d: int):
        super().__init__()
        self.router = nn.Linear(d, MO_EXPERTS, bias=False)
        self.w1 = nn.Parameter(torch.randn(MO_EXPERTS, d, MO_FF) / math.sqrt(d))
        self.b1 = nn.Parameter(torch.zeros(MO_EXPERTS, 1, MO_FF))
        self.w2 = nn.Parameter(torch.randn(MO_EXPERTS, MO_FF, d) / math.sqrt(MO_FF))
        self.b2 = nn.Parameter(torch.zeros(MO_EXPERTS, 1, d))
        self.aux = torch.zeros(())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1])
        prob = F.softmax(self.router(flat), -1)
        top = prob.argmax(-1)
        share = F.one_hot(top, MO_EXPERTS).float().mean(0)
        self.aux = MO_EXPERTS * (share * prob.mean(0)).sum()
        out = torch.zeros_like(flat)
        for e in range(MO_EXPERTS):
            rows = (top == e).nonzero().squeeze(1)
            if rows.numel():
                h = F.relu(flat[rows] @ self.w1[e] + self.b1[e])
                out[rows] = (h @ self.w2[e] + self.b2[e]) * prob[rows, e, None]
        return out.reshape(x.shape)


class SwitchBlock(nn.Module):
    """A pre-LayerNorm decoder block: causal self-attention (``MO_HEADS`` heads), then the
    Switch feed-forward layer, each on a residual."""

    def __init__(self, d: int):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, MO_HEADS, batch_first=True)
        self.ffn = SwitchFFN(d)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False, is_causal=True)[0]
        return x + self.ffn(self.norm2(x))


class SwitchLM(nn.Module):
    """A byte-level decoder-only transformer (d ``MO_D``, ``MO_LAYERS`` Switch blocks, learned
    positions, a final LayerNorm) to the next byte's 128 logits; ``aux`` the blocks' summed
    load-balancing losses of the last forward pass."""

    def __init__(self):
        super().__init__()
        self.tok, self.pos = nn.Embedding(128, MO_D), nn.Embedding(MO_CTX, MO_D)
        self.blocks = nn.ModuleList(SwitchBlock(MO_D) for _ in range(MO_LAYERS))
        self.norm, self.head = nn.LayerNorm(MO_D), nn.Linear(MO_D, 128)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(MO_CTX),
                             persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.tok(x) + self.pos.weight[:x.shape[1]]
        for block in self.blocks:
            h = block(h, self.mask)
        return self.head(self.norm(h))

    @property
    def aux(self) -> torch.Tensor:
        return sum(block.ffn.aux for block in self.blocks)


def warmup_inverse_sqrt(step: int) -> float:
    """A linear warmup over ``MO_WARMUP`` steps, then the LR times ``sqrt(MO_WARMUP / step)``
    (T5's and the Switch Transformer's inverse square root decay)."""
    return (step + 1) / MO_WARMUP if step < MO_WARMUP else math.sqrt(MO_WARMUP / (step + 1))


def moe_run(lr: float, seed: int = SEED) -> TestedRun:
    """The Switch LM: AdamW (betas 0.9 / 0.95, weight decay ``MO_WD``; it replaced Adafactor,
    the module docstring says why) at a peak ``lr`` under ``warmup_inverse_sqrt``, the
    next-byte cross-entropy plus ``MO_AUX`` times the load-balancing loss, ``MO_STEPS`` steps of
    ``MO_BATCH`` shuffled windows, logged every 10 steps with a ``val_loss`` every
    ``MO_EVAL_EVERY``; the test windows' loss the truth."""
    splits = statistics_windows()
    order = shuffled_batches(len(splits[0][0]), MO_BATCH, MO_STEPS, seed)
    torch.manual_seed(seed)
    model = SwitchLM()

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(out.reshape(-1, 128), y.reshape(-1)) + MO_AUX * model.aux
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=MO_WD)
    return minibatch_run(model, opt, loss, splits, order, MO_STEPS, MO_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(
                             o, warmup_inverse_sqrt))


# -- a student CNN distilled from a teacher CNN trained here, SGD momentum, MultiStepLR, epochs --


@lru_cache(maxsize=None)
def glyphs() -> tuple[tuple, tuple, tuple]:
    """``KD_SIDE`` x ``KD_SIDE`` images of ``KD_CLASSES`` made glyphs (each class three
    Gaussian blobs of random place, width and sign), each shifted up to a pixel each way,
    scaled by 0.7 to 1.3, under Gaussian pixel noise of sd ``KD_NOISE``; a label in
    ``KD_FLIP`` of the training and validation images, not the test ones, replaced by a random
    class (the test labels are the glyphs drawn). Split ``KD_TRAIN`` / ``KD_VAL`` /
    ``KD_TEST``."""
    rng = np.random.default_rng(SEED)
    yy, xx = np.mgrid[:KD_SIDE + 2, :KD_SIDE + 2]
    templates = np.zeros((KD_CLASSES, KD_SIDE + 2, KD_SIDE + 2))
    for c in range(KD_CLASSES):
        for _ in range(3):
            cy, cx = rng.uniform(2, KD_SIDE, 2)
            width, sign = rng.uniform(1.2, 3.0), rng.choice([-1.0, 1.0])
            templates[c] += sign * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * width ** 2))
    n = KD_TRAIN + KD_VAL + KD_TEST
    label = rng.integers(KD_CLASSES, size=n)
    dy, dx = rng.integers(0, 3, n), rng.integers(0, 3, n)
    img = np.stack([templates[c, a:a + KD_SIDE, b:b + KD_SIDE]
                    for c, a, b in zip(label, dy, dx)])
    img = img * rng.uniform(0.7, 1.3, (n, 1, 1)) + rng.normal(scale=KD_NOISE, size=img.shape)
    noisy = label.copy()
    flip = (rng.random(n) < KD_FLIP) & (np.arange(n) < KD_TRAIN + KD_VAL)
    noisy[flip] = rng.integers(KD_CLASSES, size=int(flip.sum()))
    return split3(KD_TRAIN, KD_VAL, torch.tensor(img[:, None], dtype=torch.float32),
                  torch.tensor(noisy))


def glyph_cnn(c1: int, c2: int) -> nn.Module:
    """Two 3x3 convolutions (``c1``, ``c2`` channels, ReLU, a 2x2 max-pool after each), a
    linear layer to the class logits."""
    return nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(c2 * (KD_SIDE // 4) ** 2, KD_CLASSES))


@lru_cache(maxsize=None)
def teacher_logits() -> torch.Tensor:
    """The teacher (``glyph_cnn(32, 64)``) trained here on the training images' noisy labels:
    Adam ``KD_TEACHER_LR``, ``KD_TEACHER_STEPS`` steps of ``KD_BATCH`` (seed ``SEED``, the same
    teacher for every run); its logits of the training images, which the students match."""
    (x, y), _, _ = glyphs()
    teacher = adam_pretrained(lambda: glyph_cnn(32, 64), x, y, F.cross_entropy,
                              steps=KD_TEACHER_STEPS, batch=KD_BATCH, lr=KD_TEACHER_LR,
                              seed=SEED).eval()
    with torch.no_grad():
        return teacher(x)


def distillation_loss(student: torch.Tensor, teacher: torch.Tensor,
                      y: torch.Tensor) -> torch.Tensor:
    """Hinton et al.'s (2015) loss: ``KD_ALPHA`` times ``KD_T`` squared times the KL divergence
    of the student's softened distribution from the teacher's (temperature ``KD_T``), plus
    ``1 - KD_ALPHA`` times the cross-entropy of the labels."""
    soft = F.kl_div(F.log_softmax(student / KD_T, -1), F.log_softmax(teacher / KD_T, -1),
                    reduction="batchmean", log_target=True)
    return KD_ALPHA * KD_T ** 2 * soft + (1 - KD_ALPHA) * F.cross_entropy(student, y)


def student_run(lr: float, seed: int = SEED) -> TestedRun:
    """The student (``glyph_cnn(8, 16)``): SGD (momentum ``KD_MOMENTUM``, weight decay
    ``KD_WD``) at ``lr``, divided by 10 after epochs ``KD_MILESTONES`` (``MultiStepLR``),
    ``KD_EPOCHS`` epochs of batches of ``KD_BATCH`` shuffled images on
    ``distillation_loss``, logged once per epoch (its mean training loss) with a ``val_loss``
    (the validation labels' cross-entropy) after each; the test labels' cross-entropy the
    truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = glyphs()
    soft = teacher_logits()  # before the seed: the teacher draws from the global RNG
    per_epoch = KD_TRAIN // KD_BATCH
    order = batches_of(KD_TRAIN, KD_BATCH, KD_EPOCHS, seed)
    epochs = [list(order[e * per_epoch:(e + 1) * per_epoch]) for e in range(KD_EPOCHS)]
    torch.manual_seed(seed)
    model = glyph_cnn(8, 16)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=KD_MOMENTUM, weight_decay=KD_WD)

    @torch.no_grad()
    def evaluate(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(F.cross_entropy(model(x), y))
    test0 = evaluate(xte, yte)
    log = train_by_epoch(model, opt, KD_EPOCHS, epochs,
                         lambda idx: distillation_loss(model(xtr[idx]), soft[idx], ytr[idx]),
                         lambda: evaluate(xva, yva),
                         scheduler=lambda o: torch.optim.lr_scheduler.MultiStepLR(
                             o, list(KD_MILESTONES), 0.1))
    return TestedRun(log, test0, finite_or_inf(evaluate(xte, yte)), by_epoch=True)


# -- a LayerNorm-only fine-tune of an MLP classifier pretrained here, AdamW, linear decay ---------


def domain(rng: np.random.Generator, n: int, teacher: tuple, shifted: bool
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` rows of ``LN_IN`` features and a class drawn from a random teacher's softmax
    (a tanh layer of 32, its logits times 3); ``shifted`` (the fine-tune's domain) scales each
    feature by 0.5 to 2, moves it by up to 1 and moves the teacher's hidden biases."""
    w1, b1, w2, moved = teacher
    x = rng.normal(size=(n, LN_IN))
    seen = x * rng.uniform(0.5, 2.0, LN_IN) + rng.uniform(-1, 1, LN_IN) if shifted else x
    logits = 3 * np.tanh(x @ w1 + (moved if shifted else b1)) @ w2
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    y = (p.cumsum(1) > rng.random((n, 1))).argmax(1)
    return torch.tensor(seen, dtype=torch.float32), torch.tensor(y)


@lru_cache(maxsize=None)
def ln_tables() -> tuple[tuple, tuple]:
    """The pretraining table (``LN_PRE_N`` rows) and the shifted domain's splits
    (``LN_TRAIN`` / ``LN_VAL`` / ``LN_TEST``)."""
    rng = np.random.default_rng(SEED)
    teacher = (rng.normal(size=(LN_IN, 32)) / math.sqrt(LN_IN), rng.normal(size=32),
               rng.normal(size=(32, LN_CLASSES)) / math.sqrt(32), rng.normal(size=32))
    pre = domain(rng, LN_PRE_N, teacher, False)
    return pre, split3(LN_TRAIN, LN_VAL,
                       *domain(rng, LN_TRAIN + LN_VAL + LN_TEST, teacher, True))


def ln_mlp() -> nn.Module:
    """``LN_IN``-``LN_WIDTH``-``LN_WIDTH``-``LN_CLASSES``, each hidden layer LayerNorm then
    GELU."""
    return nn.Sequential(nn.Linear(LN_IN, LN_WIDTH), nn.LayerNorm(LN_WIDTH), nn.GELU(),
                         nn.Linear(LN_WIDTH, LN_WIDTH), nn.LayerNorm(LN_WIDTH), nn.GELU(),
                         nn.Linear(LN_WIDTH, LN_CLASSES))


@lru_cache(maxsize=None)
def pretrained_ln() -> dict[str, torch.Tensor]:
    """The MLP after pretraining on the first domain: cross-entropy, Adam ``LN_PRE_LR``,
    ``LN_PRE_STEPS`` steps of ``LN_PRE_BATCH`` (seed ``SEED``, the same weights for every
    run)."""
    (x, y), _ = ln_tables()
    model = adam_pretrained(ln_mlp, x, y, F.cross_entropy, steps=LN_PRE_STEPS,
                            batch=LN_PRE_BATCH, lr=LN_PRE_LR, seed=SEED)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def ln_tune_run(lr: float, seed: int = SEED) -> TestedRun:
    """The fine-tune: the pretrained MLP with every parameter frozen but its LayerNorms'
    gains and biases (LN-tuning, Qi et al. 2022) under PyTorch's AdamW (its defaults: betas
    0.9/0.999, weight decay 0.01) at ``lr`` decayed linearly to 0 (``LinearLR``), the
    cross-entropy, ``LN_STEPS`` steps of ``LN_BATCH`` shuffled rows, logged every 10 steps with
    a ``val_loss`` every ``LN_EVAL_EVERY``; the test rows' cross-entropy the truth."""
    _, splits = ln_tables()
    weights = pretrained_ln()  # before the seed: pretraining draws from the global RNG
    order = shuffled_batches(LN_TRAIN, LN_BATCH, LN_STEPS, seed)
    torch.manual_seed(seed)
    model = ln_mlp()
    model.load_state_dict(weights)
    norms = [p for m in model if isinstance(m, nn.LayerNorm) for p in m.parameters()]
    ids = {id(p) for p in norms}
    for p in model.parameters():
        p.requires_grad_(id(p) in ids)
    opt = torch.optim.AdamW(norms, lr=lr)
    return minibatch_run(model, opt, F.cross_entropy, splits, order, LN_STEPS, LN_EVAL_EVERY,
                         scheduler=lambda o: torch.optim.lr_scheduler.LinearLR(
                             o, 1.0, 0.0, total_iters=LN_STEPS))


# -- the plan and the manifest -------------------------------------------------------------------

MO_RANGE, KD_RANGE, LN_RANGE = (-3.5, -0.5), (-3.5, -0.5), (-3.0, 0.0)
EVERY = f"every {LOG_EVERY} steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("moe_switch_statistics_adamw_invsqrt", quarter_decades(*MO_RANGE),
                   MO_STEPS, moe_run,
                   {"optimizer": "AdamW", "batch_size": MO_BATCH, "fine_tune": False,
                    "clip": None, "warmup_steps": MO_WARMUP, "weight_decay": MO_WD,
                    "betas": [0.9, 0.95],
                    "schedule": f"linear warmup {MO_WARMUP}, inverse square root decay",
                    "loss": f"cross-entropy (next byte) + {MO_AUX:g} x load-balancing loss",
                    "logged": f"{EVERY}, val_loss every {MO_EVAL_EVERY} steps",
                    "model": f"Switch (mixture-of-experts) decoder-only byte transformer, "
                             f"d {MO_D}, {MO_LAYERS} layers, {MO_HEADS} heads, "
                             f"{MO_EXPERTS} experts of {MO_FF}, top-1 routing",
                    "data": f"the standard library's {MO_TEXT}, blocks of {MO_BLOCK} bytes "
                            f"dealt 80/10/10, windows of {MO_CTX}"}),
        FreshSweep("cnn_kd_student_glyphs_sgdm_multistep_epochs", quarter_decades(*KD_RANGE),
                   KD_EPOCHS * (KD_TRAIN // KD_BATCH), student_run,
                   {"optimizer": "SGD", "batch_size": KD_BATCH, "epochs": KD_EPOCHS,
                    "momentum": KD_MOMENTUM, "weight_decay": KD_WD, "fine_tune": False,
                    "clip": None, "warmup_steps": 0,
                    "schedule": f"MultiStepLR x0.1 after epochs "
                                f"{KD_MILESTONES[0]} and {KD_MILESTONES[1]}",
                    "loss": f"knowledge distillation (KL at temperature {KD_T:g}, weight "
                            f"{KD_ALPHA:g}, + cross-entropy); val/test: cross-entropy",
                    "logged": "once per epoch (its mean training loss), val_loss each epoch",
                    "model": "student CNN conv8-pool-conv16-pool-linear, distilled from a "
                             "conv32-conv64 teacher trained here",
                    "data": f"made noisy {KD_SIDE}x{KD_SIDE} glyphs of {KD_CLASSES} classes: "
                            f"{KD_TRAIN} train, {KD_VAL} validation, {KD_TEST} test"}),
        FreshSweep("mlp_ft_lntune_shifted_ce_adamw_linear", quarter_decades(*LN_RANGE),
                   LN_STEPS, ln_tune_run,
                   {"optimizer": "AdamW", "batch_size": LN_BATCH, "fine_tune": True,
                    "clip": None, "warmup_steps": 0, "weight_decay": 0.01,
                    "schedule": "linear decay to 0", "loss": "cross-entropy",
                    "logged": f"{EVERY}, val_loss every {LN_EVAL_EVERY} steps",
                    "model": f"MLP {LN_IN}-{LN_WIDTH}-{LN_WIDTH}-{LN_CLASSES} (LayerNorm, "
                             "GELU) pretrained on a first domain, only its LayerNorms trained",
                    "data": f"made table of a shifted domain: {LN_TRAIN} train, {LN_VAL} "
                            f"validation, {LN_TEST} test rows"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"moe_switch_statistics_adamw_invsqrt": "lm_pretrain",
                 "cnn_kd_student_glyphs_sgdm_multistep_epochs": "classifier",
                 "mlp_ft_lntune_shifted_ce_adamw_linear": "classifier"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 40's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
