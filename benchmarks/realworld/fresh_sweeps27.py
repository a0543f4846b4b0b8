"""Round 27's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps27 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and 7
to 26) has, neither by name nor by model and optimizer, each a setup real users run and log that
way (every 10 steps with a ``val_loss`` every 50 steps or each epoch, 30 or 32 points a run; or
one point an epoch with its ``val_loss``, 40 points), each with a floor its loss cannot pass at
any LR.

- ``gpt_ast_adam_invsqrt``: a **byte-level GPT trained from scratch** (``CausalTransformer``: d
  48, 2 pre-LayerNorm layers, 4 heads, context 64) on the standard library's ``ast.py`` (80/10/10
  in order) under **Adam with the Transformer paper's schedule** (betas 0.9, 0.98, eps 1e-9; a
  linear warmup over 5% of the steps, 15 of 300, then the peak times sqrt(15 / step), fairseq's
  ``inverse_sqrt``), clip 1.0, 300 steps of 16 windows, logged every 10 steps with a
  ``val_loss`` every 50 (the floor: the code's byte entropy). The plan suggested AdamW with a
  warmup and a cosine; a decoder-only byte transformer under AdamW with a warmup and a cosine is
  round 10's ``gpt_idle_adamw`` (and AdamW with a linear decay round 24's GPT-2), so this LM
  keeps the model and takes the other schedule LM users run, Adam with an inverse square root.
- ``resmlp_noisytab_nesterov_onecycle``: a **residual MLP** (a linear stem to 64, three
  pre-activation blocks x + W2 relu(W1 relu(x)), a ReLU and a linear head) on scikit-learn's
  ``make_classification`` (16 features, 8 informative and 4 redundant, 4 classes of two clusters,
  **20% of the labels random**: the floor, 0.59 nats; 1280 training, 512 validation, 2048 test
  rows) under **SGD with Nesterov momentum** (weight decay 5e-4) and PyTorch's **OneCycleLR**
  (30% up from lr/25, a cosine down to lr/2.5e5, the momentum cycled 0.95-0.85), 16 epochs of
  batches of 64 (320 steps), logged every 10 steps with a ``val_loss`` each epoch. Round 13's
  one-cycle ran a CNN, round 15's Nesterov an MLP-Mixer at a constant LR.
- ``lstm_cbf_adagrad_clip``: an **LSTM sequence classifier** (one layer of 64, a linear head on
  its last state) of round 11's Cylinder-Bell-Funnel series (128 points read as 32 steps of 4,
  **20% of the labels redrawn** from the three: the floor, 0.49 nats; 200 training, 200
  validation, 1000 test series) under **Adagrad** (PyTorch's defaults) with the gradients
  **clipped at 0.5**, 40 epochs of batches of 20 (10 steps an epoch), **one point per epoch**
  (its mean training loss) with a ``val_loss``. Round 7's Adagrad ran a tanh RNN LM; the LSTMs
  before ran Adam, SGD or RMSprop.

13 quarter-decade LRs each, seed 23. **The grids were fixed from what users pick before any
sweep run**: the GPT's 10**-3.5..10**-0.5 (small GPTs under Adam: 1e-4 to 3e-2; the grid was
first written 10**-4..10**-1, and moved once, half a decade up, before its sweep, when the
probes below put its best at 3e-2, half a decade from that grid's top; 1e-4 is now half a
decade below the grid), the MLP's 10**-3..10**0 (OneCycle's ``max_lr`` under SGD: 1e-2 to 1;
fastai's and the one-cycle papers' picks), the LSTM's 10**-3.5..10**-0.5 (Adagrad: 1e-3 to
1e-1, PyTorch's default 1e-2; first written 10**-3..10**0 for its first design, set for the
design swept before any of its sweep's runs). Every best is then at least a decade from both
ends: the GPT's 2 decades from the bottom and 1 from the top, the MLP's 1.5 and 1.5, the LSTM's
1.75 and 1.25.

**Redesigned before its sweep was final, from test losses alone (seed 23 unless said):**

- The MLP, eight designs before this one. (1) BatchNorm in each block, 1280 rows, batches of
  64, 16 epochs: two minima (1e-3 1.0971, 3.16e-3 0.9731, 1e-2 0.9900, 3.16e-2 1.2030, 0.1
  1.2307, 0.316 1.2207, 1 1.0319). (2) The same on 3968 rows, batches of 128, 10 epochs: best
  at the top (1e-2 0.9042 ... 0.316 0.8699, 1 0.8345). (3) That without BatchNorm: flat from
  0.1 to 1 (0.8674, 0.8481, 0.8665). (4) A harder table (12 informative features, 4 clusters a
  class, 10% random labels): flat from 0.1 to 1 (0.6165, 0.6094, 0.6113). (5) Harder still (16
  of 20 informative, 8 clusters a class, 5% random): flat over a decade (0.1 0.4979, 0.316
  0.5133, 1 0.4916). (6-8) Labels drawn from a random teacher MLP's softmax (19840 rows, 2
  epochs), at three teachers: flat from 1e-2 to 1 at each (within 1.1%, 3.4% and 2.0%). The
  one-cycle's anneal far below its peak lets every LR that trains at all converge, so a table
  with room to generalise stays flat; the design swept (3's model on 1's table: few noisy rows, no
  normalisation) is a bowl (1e-3 1.2564, 3.16e-3 1.0829, 1e-2 0.9846, 3.16e-2 0.9313, 0.1
  1.0378, 0.316 1.2774, 1 1.2653).
- The LSTM, four designs before this one. (1) 32 units, 10% redrawn, 400 series: at its floor
  from 1e-2 to 3.16e-2 (1.78e-2 0.2625, 1e-2 +1.4%; the best 3.16e-2 at seed 24, 1.78e-2
  +1.4%). (2) 64 units, 20% redrawn, 300 series: flat over a half decade (1e-2 0.5813, 1.78e-2
  0.5794, 5.62e-3 0.5902; seed 24: 1e-2 0.5631, 5.62e-3 +1.0%, 1.78e-2 +1.5%). (3) Read as 64
  steps of 2, 30 epochs: its best 1.78e-2, 1.78e-2 and 5.62e-2 at seeds 23, 24 and 25. (4) 32
  steps of 4, 30 epochs: flat (1e-2 0.5703, 1.78e-2 0.5856, 3.16e-2 0.5887; seed 24 0.5596,
  0.5704, 0.5675). With 200 series and 40 epochs (the design swept) the best is 1.78e-2 at
  every seed, its neighbours 4.8% and more above it.

Best test losses, each far above its floor: the GPT 1.6239 at 3.16e-2 from 5.5936 (it fell
71%; ln 256 = 5.545); the MLP 0.9309 at 3.16e-2 from 1.4603 (36%; its floor 0.59); the LSTM
0.5718 at 1.78e-2 from 1.1014 (48%; its floor 0.49). Seed noise against the gaps to the grid
neighbours (seeds 23/24/25, test losses; a seed moves the initialisation and the batches, not
the data):

- **The GPT's best is the best at every seed**: 1.78e-2 1.6803/1.6474/1.6890, 3.16e-2
  1.6239/1.5815/1.6443, 5.62e-2 1.6847/1.6965/1.6518 (a spread of 4.0% at the best across
  seeds). 1.78e-2 is +3.5%, +4.2% and +2.7% (``stalled`` at every seed); 5.62e-2 is +3.7%,
  +7.3% and +0.5%, so its ``oscillating`` hangs on the seed (``healthy`` at seed 25).
- **The MLP's best is the best at every seed, its neighbours about 2% above it**: 1e-2
  0.9846/0.9747/0.9841, 1.78e-2 0.9486/0.9389/0.9442, 3.16e-2 0.9309/0.9225/0.9277, 5.62e-2
  0.9525/0.9444/0.9427, 0.1 1.0378/1.0277/1.0095 (a spread of 0.9% at the best across seeds).
  1.78e-2 is +1.9%, +1.8% and +1.8% (``healthy`` at every seed, under the labels' 2% by 0.2
  points at most); 5.62e-2 is +2.3%, +2.4% and +1.6% (``oscillating``, ``healthy`` at seed 25);
  1e-2's ``stalled`` (+5.7% to +6.1%) and 0.1's ``oscillating`` (+8.8% to +11.5%) hold.
- **The LSTM's best is the best at every seed, its neighbours far above it**: 5.62e-3
  0.6285/0.6328/0.6396, 1e-2 0.5992/0.6212/0.6208, 1.78e-2 0.5718/0.5657/0.5813, 3.16e-2
  0.6462/0.6438/0.6939, 5.62e-2 0.8421/0.6981/0.7051 (a spread of 2.8% at the best across
  seeds). 1e-2 is +4.8%, +9.8% and +6.8%, 3.16e-2 +13.0%, +13.8% and +19.4%: every label near
  the best holds at every seed. Its high LRs are erratic (0.1 ends at 0.6441, below 5.62e-2's
  0.8421), all ``oscillating``.

The probes ran at each LR rounded to three digits (1.78e-2 for the grid's 10**-1.75, a change
under 0.1%), the sweeps and the seed checks at the grid's own: the LSTM's probe at 1.78e-2
read 0.5615 where its sweep's run reads 0.5718, the MLP's 0.9313 where its run reads 0.9309.
The GPT's probes (seed 23) first ran 3 layers (1e-3 2.1819, 3.16e-3 1.9195, 1e-2 1.7375,
3.16e-2 1.6337; 10 CPU s a run), then 2 layers, as swept, for the CPU budget (3.16e-2 1.6166,
0.1 1.9385). The seed checks' seed-23 numbers above are the sweeps'.

Labels: 20 stalled, 4 healthy, 15 oscillating, 0 diverging (GPT 8/1/4/0, MLP 5/2/6/0, LSTM
7/1/5/0). No run went non-finite or ended above its start. Training took 95 CPU s on one thread
for the 39 runs in the sweeps (GPT 76, MLP 5, LSTM 13; each run's own CPU time), 54 more for
the seed checks (GPT 38, MLP 5, LSTM 11) and about 195 for the probes and design probes (GPT
54, MLP 44, LSTM 98), about 345 CPU s of training in all, under the plan's ~6 minutes.

**The truth is the loss on a test split that no log holds**; each log's ``val_loss`` comes from
a separate validation split, as in rounds 8 to 26 (``fresh_sweeps8``, whose machinery this
reuses: the cache's side file beside each CSV holds the test losses, ``sweeps_fresh27.json``
ranks each run by its final test loss with ``made_labels.label_sweep``, and ``--manifest
COMMIT`` writes those labels, with their reasons, as ``manifest_r27made.jsonl``: the
``round27-made`` side of the one-run diagnosis).

The runs were made with this machine's default PyTorch CPU kernels (AVX-512), as rounds 13 to
26's were; a retrain on other kernels drifts within the tests' retrained-truth tolerance.
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
from benchmarks.realworld.fresh_sweeps8 import (TestedRun, finite_or_inf, make,
                                                tested_manifest_rows, three_way, train_by_epoch)
from benchmarks.realworld.fresh_sweeps10 import lm_step_loss, lm_windows, sampled_every
from benchmarks.realworld.fresh_sweeps11 import cylinder_bell_funnel
from benchmarks.realworld.fresh_sweeps21 import batches_of, split3
from benchmarks.realworld.made_tasks import CausalTransformer, mean_loss, train
from benchmarks.realworld.make_runs import quarter_decades

SEED = 23  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 22)
OUT = HERE / "sweeps_fresh27.json"
MANIFEST = HERE / "manifest_r27made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps27.py"
STDLIB = Path(sysconfig.get_paths()["stdlib"])
LOG_EVERY = 10

# the byte-level GPT on ast.py: Adam with the Transformer paper's inverse-square-root schedule
LM_TEXT, LM_D, LM_LAYERS, LM_HEADS, LM_CTX = "ast.py", 48, 2, 4, 64
LM_STEPS, LM_BATCH, LM_WARMUP, LM_CLIP, LM_EVAL_EVERY = 300, 16, 15, 1.0, 50
# the residual MLP on a noisy synthetic classification: SGD + Nesterov under a one-cycle
RM_FEATURES, RM_CLASSES, RM_FLIP, RM_WIDTH, RM_BLOCKS = 16, 4, 0.2, 64, 3
RM_TRAIN, RM_VAL, RM_TEST, RM_BATCH, RM_EPOCHS, RM_WD = 1280, 512, 2048, 64, 16, 5e-4
RM_STEPS_PER_EPOCH = RM_TRAIN // RM_BATCH
RM_STEPS = RM_EPOCHS * RM_STEPS_PER_EPOCH
# the LSTM classifier of CBF series with redrawn labels: Adagrad, clip 0.5, one point an epoch
LS_LEN, LS_CHUNK, LS_HIDDEN, LS_FLIP, LS_CLIP = 128, 4, 64, 0.2, 0.5
LS_TRAIN, LS_VAL, LS_TEST, LS_BATCH, LS_EPOCHS = 200, 200, 1000, 20, 40


# -- a byte-level GPT under Adam with a linear warmup and an inverse-square-root decay ---------


@lru_cache(maxsize=None)
def ast_source() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The bytes of the standard library's ``ast.py`` (non-ASCII as ``?``), 80/10/10 in order."""
    clean = bytes(b if b < 128 else ord("?") for b in (STDLIB / LM_TEXT).read_bytes())
    return three_way(torch.frombuffer(bytearray(clean), dtype=torch.uint8).long())


def inverse_sqrt(step: int) -> float:
    """The LR factor at step ``step`` (from 0): a linear warmup over ``LM_WARMUP`` steps (5% of
    300), then the peak times sqrt(warmup / step) (fairseq's ``inverse_sqrt``, the schedule of
    "Attention Is All You Need"): 0.22x the peak at the last step."""
    s = step + 1
    return s / LM_WARMUP if s <= LM_WARMUP else math.sqrt(LM_WARMUP / s)


def gpt_run(lr: float, seed: int = SEED) -> TestedRun:
    """The GPT (d 48, 3 pre-LayerNorm layers, 4 heads, context 64): Adam (betas 0.9, 0.98, eps
    1e-9, as the Transformer paper) at peak ``lr`` under ``inverse_sqrt``, clip 1.0, 300 steps
    of 16 windows, logged every 10 steps with a ``val_loss`` every 50 on 4 x 64 windows; the
    test on 16 x 64 windows (the truth)."""
    train_part, val_part, test_part = ast_source()
    g = torch.Generator().manual_seed(SEED)
    val = lm_windows(val_part, (4, 64), LM_CTX, g)
    test = lm_windows(test_part, (16, 64), LM_CTX, g)
    batches = lm_windows(train_part, (LM_STEPS, LM_BATCH), LM_CTX,
                         torch.Generator().manual_seed(seed))
    torch.manual_seed(seed)
    model = CausalTransformer(LM_D, LM_LAYERS, LM_HEADS, LM_CTX)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
    test0 = mean_loss(model, test)
    log = train(model, opt, inverse_sqrt, LM_STEPS, lm_step_loss(model, batches),
                lambda: mean_loss(model, val), LM_EVAL_EVERY, LM_CLIP)
    return TestedRun(sampled_every(log, LOG_EVERY), test0, finite_or_inf(mean_loss(model, test)))


# -- a residual MLP under SGD with Nesterov momentum and a one-cycle, every 10 steps -----------


@lru_cache(maxsize=None)
def noisy_table() -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """scikit-learn's ``make_classification``: 16 features (8 informative, 4 redundant), 4
    classes of two clusters each, 20% of the labels drawn at random (the floor of the loss),
    standardized by the training rows; split train / validation / test."""
    from sklearn.datasets import make_classification
    x, y = make_classification(n_samples=RM_TRAIN + RM_VAL + RM_TEST, n_features=RM_FEATURES,
                               n_informative=8, n_redundant=4, n_classes=RM_CLASSES,
                               n_clusters_per_class=2, flip_y=RM_FLIP, class_sep=1.0,
                               random_state=SEED + 1000)
    mu, sd = x[:RM_TRAIN].mean(0), x[:RM_TRAIN].std(0)
    return split3(RM_TRAIN, RM_VAL, torch.tensor((x - mu) / sd, dtype=torch.float32),
                  torch.tensor(y))


class ResidualMLP(nn.Module):
    """A residual MLP without normalisation: a linear stem to 64, three pre-activation blocks
    x + W2 relu(W1 relu(x)), a ReLU and a linear head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(RM_FEATURES, RM_WIDTH)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.ReLU(), nn.Linear(RM_WIDTH, RM_WIDTH),
                          nn.ReLU(), nn.Linear(RM_WIDTH, RM_WIDTH))
            for _ in range(RM_BLOCKS))
        self.out = nn.Sequential(nn.ReLU(), nn.Linear(RM_WIDTH, RM_CLASSES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)
        for block in self.blocks:
            h = h + block(h)
        return self.out(h)


def resmlp_run(lr: float, seed: int = SEED) -> TestedRun:
    """The residual MLP: SGD with Nesterov momentum (weight decay 5e-4) under PyTorch's
    ``OneCycleLR`` at max ``lr`` (30% up from lr/25, cosine down to lr/2.5e5, momentum cycled
    0.95-0.85), 16 epochs of shuffled batches of 64 (320 steps), logged every 10 steps with a
    ``val_loss`` each epoch; the test cross-entropy the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = noisy_table()
    order = batches_of(RM_TRAIN, RM_BATCH, RM_EPOCHS, seed)
    torch.manual_seed(seed)
    model = ResidualMLP()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True,
                          weight_decay=RM_WD)

    @torch.no_grad()
    def ce(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(F.cross_entropy(model(x), y))

    def step_loss(k: int) -> torch.Tensor:
        idx = order[k]
        return F.cross_entropy(model(xtr[idx]), ytr[idx])
    test0 = ce(xte, yte)
    log = train(model, opt, lambda s: 1.0, RM_STEPS, step_loss, lambda: ce(xva, yva),
                RM_STEPS_PER_EPOCH, None,
                scheduler=lambda o: torch.optim.lr_scheduler.OneCycleLR(
                    o, max_lr=lr, total_steps=RM_STEPS))
    return TestedRun(sampled_every(log, LOG_EVERY), test0, finite_or_inf(ce(xte, yte)))


# -- an LSTM classifier of series under Adagrad with clipping, one point an epoch --------------


@lru_cache(maxsize=None)
def noisy_cbf() -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """Round 11's Cylinder-Bell-Funnel series (128 points, z-normalised), each read as 32 steps
    of 4 points, 20% of the labels redrawn uniformly from the three (the floor of the loss, in
    every split); split 200 / 200 / 1000."""
    rng = np.random.default_rng(SEED)
    x, y = cylinder_bell_funnel(LS_TRAIN + LS_VAL + LS_TEST, rng)
    redraw = rng.random(len(y)) < LS_FLIP
    y[redraw] = rng.integers(0, 3, size=int(redraw.sum()))
    x = torch.tensor(x, dtype=torch.float32).view(len(y), LS_LEN // LS_CHUNK, LS_CHUNK)
    return split3(LS_TRAIN, LS_VAL, x, torch.tensor(y))


class LSTMClassifier(nn.Module):
    """An LSTM of 64 over the steps, a linear head on its last hidden state."""

    def __init__(self, classes: int = 3):
        super().__init__()
        self.lstm = nn.LSTM(LS_CHUNK, LS_HIDDEN, batch_first=True)
        self.head = nn.Linear(LS_HIDDEN, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(x)
        return self.head(h[-1])


def lstm_run(lr: float, seed: int = SEED) -> TestedRun:
    """The LSTM: Adagrad (PyTorch's defaults) at ``lr``, gradients clipped at 0.5, 40 epochs of
    shuffled batches of 20 (10 steps an epoch), one point per epoch (its mean training loss)
    with a ``val_loss``; the test cross-entropy the truth."""
    (xtr, ytr), (xva, yva), (xte, yte) = noisy_cbf()
    g = torch.Generator().manual_seed(seed)
    order = [list(torch.randperm(LS_TRAIN, generator=g).split(LS_BATCH))
             for _ in range(LS_EPOCHS)]
    torch.manual_seed(seed)
    model = LSTMClassifier()
    opt = torch.optim.Adagrad(model.parameters(), lr=lr)
    test0 = mean_loss(model, [(xte, yte)])
    log = train_by_epoch(model, opt, LS_EPOCHS, order,
                         lambda idx: F.cross_entropy(model(xtr[idx]), ytr[idx]),
                         lambda: mean_loss(model, [(xva, yva)]), LS_CLIP, "constant")
    return TestedRun(log, test0, finite_or_inf(mean_loss(model, [(xte, yte)])), by_epoch=True)


# -- the plan and the manifest -------------------------------------------------------------------

LM_RANGE, RM_RANGE, LS_RANGE = (-3.5, -0.5), (-3.0, 0.0), (-3.5, -0.5)
EVERY = f"every {LOG_EVERY} steps (that step's loss)"


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("gpt_ast_adam_invsqrt", quarter_decades(*LM_RANGE), LM_STEPS, gpt_run,
                   {"optimizer": "Adam", "betas": [0.9, 0.98], "batch_size": LM_BATCH,
                    "fine_tune": False, "clip": LM_CLIP, "warmup_steps": LM_WARMUP,
                    "schedule": f"linear warmup {LM_WARMUP} (5%), inverse square root decay",
                    "logged": f"{EVERY}, val_loss every {LM_EVAL_EVERY} steps",
                    "model": f"decoder-only byte transformer (GPT), d {LM_D}, {LM_LAYERS} "
                             f"pre-LayerNorm layers, {LM_HEADS} heads, context {LM_CTX}, "
                             "from scratch",
                    "data": f"the standard library's {LM_TEXT} (80/10/10 in order)"}),
        FreshSweep("resmlp_noisytab_nesterov_onecycle", quarter_decades(*RM_RANGE), RM_STEPS,
                   resmlp_run,
                   {"optimizer": "SGD", "momentum": 0.9, "nesterov": True,
                    "weight_decay": RM_WD, "batch_size": RM_BATCH, "fine_tune": False,
                    "clip": None, "warmup_steps": int(0.3 * RM_STEPS),
                    "schedule": "OneCycleLR per step (30% up from lr/25, cosine to lr/2.5e5, "
                                "momentum 0.95-0.85)",
                    "epochs": RM_EPOCHS, "loss": "cross-entropy",
                    "logged": f"{EVERY}, val_loss each epoch ({RM_STEPS_PER_EPOCH} steps)",
                    "model": f"residual MLP: linear stem {RM_WIDTH}, {RM_BLOCKS} pre-activation "
                             "blocks (ReLU-linear x2), ReLU-linear head, no normalisation",
                    "data": f"make_classification, {RM_FEATURES} features, {RM_CLASSES} classes, "
                            f"{RM_FLIP:.0%} labels random: {RM_TRAIN} train, {RM_VAL} "
                            f"validation, {RM_TEST} test"}),
        FreshSweep("lstm_cbf_adagrad_clip", quarter_decades(*LS_RANGE),
                   LS_EPOCHS * (LS_TRAIN // LS_BATCH), lstm_run,
                   {"optimizer": "Adagrad", "batch_size": LS_BATCH, "fine_tune": False,
                    "clip": LS_CLIP, "warmup_steps": 0, "schedule": "constant",
                    "epochs": LS_EPOCHS, "loss": "cross-entropy",
                    "logged": "each epoch (its mean training loss), val_loss each epoch",
                    "model": f"LSTM classifier: 1 layer of {LS_HIDDEN} over 32 steps of "
                             f"{LS_CHUNK} points, linear head on the last state",
                    "data": f"Cylinder-Bell-Funnel series, {LS_FLIP:.0%} of labels redrawn: "
                            f"{LS_TRAIN} train, {LS_VAL} validation, {LS_TEST} test"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"gpt_ast_adam_invsqrt": "lm_pretrain",
                 "resmlp_noisytab_nesterov_onecycle": "classifier",
                 "lstm_cbf_adagrad_clip": "classifier"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 27's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
