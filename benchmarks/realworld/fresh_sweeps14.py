"""Round 14's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps14 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and
7 to 13) has, each a setup real users run and log that way:

- ``gru_charlm_sgd_step``: a **character-level GRU language model** (embedding 32, one GRU
  layer of 96, a linear head over 256 bytes) on the standard library's own source
  (``made_tasks.stdlib_code``, its first 51200 bytes, 80/10/10 in order) under **plain SGD** (no
  momentum, **no gradient clipping**) with a **step decay** (x0.5 every 5 epochs, PyTorch's
  ``StepLR``), 15 epochs of shuffled batches of 32 windows of 64 bytes (20 steps an epoch),
  **logged once per epoch** as a script's history: the epoch's mean training loss, its LR, the
  validation loss after it. Earlier GRUs ran under Adam (a digits classifier, a forecaster, the
  made byte LM); round 9's word LSTM under SGD clipped at 0.25 with a plateau decay.
- ``convae_digits_adamw``: a **convolutional autoencoder** on scikit-learn's digits (conv
  1-16, conv 16-32 stride 2, transposed conv 32-16 back to 8x8, conv 16-1, sigmoid; MSE
  reconstruction) under **AdamW** (weight decay 0.01) with a **linear warmup of 30 steps then a
  per-step cosine to 0**, 15 epochs of batches of 32 over 960 training digits (30 steps an
  epoch), **logged every 10 steps** (that step's own loss, LR and gradient norm) with a
  ``val_loss`` at each epoch's end. Round 4's ``autoencoder_adam`` was a dense autoencoder
  under Adam at a constant LR.
- ``mlp_diabetes_rmsprop``: a **small MLP** (10-64-64-1, ReLU) regressing scikit-learn's
  diabetes progression (features and target standardized on the training rows; MSE) under
  **RMSprop with Keras's defaults** (rho 0.9, epsilon 1e-7, no momentum) at a constant LR, 50
  epochs of shuffled batches of 32 (Keras's default batch size) over 302 training rows,
  **logged once per epoch as a Keras ``History``**: the epoch's mean ``loss`` and the
  ``val_loss`` after it. Round 4's ``regression_rmsprop`` fit a synthetic teacher, logged per
  step.

13 quarter-decade LRs each, seed 10. Each range was fixed before any run of the families, to
span a guess of the best by 1.5 decades on both sides (the first grids; two were moved, see
below): the GRU's 10**-1.5..10**1.5 (plain SGD on a small recurrent LM for 300 steps wants a
large step: guessed 1); the autoencoder's 10**-4..10**-1 (AdamW on a small conv net: guessed
3e-3); the MLP's 10**-4.5..10**-1.5 (Keras's RMSprop default is 1e-3: guessed 1e-3).
If a grid's best falls less than a decade from one of its ends, that grid is moved once, by
whole quarter decades, and this docstring says so.
Before the sweeps, one run per family at its guessed LR timed the plan (GRU 9 CPU s, autoencoder
2.5, MLP 0.4 on one thread); no range or size was changed from it.

Two grids were moved once after their runs, from their test losses alone, before anything read
the runs, as rounds 8, 11, 12 and 13 did: the autoencoder's first grid (10**-4..10**-1) put its
best at 5.62e-2, a quarter decade below its highest LR, so it was moved up a decade and a
quarter to 10**-2.75..10**0.25, centred on that best; the MLP's first grid (10**-4.5..10**-1.5)
put its best at 1.78e-4, three quarters of a decade above its lowest LR, so it was moved down
three quarters of a decade to 10**-5.25..10**-2.25, centred on that best. The runs left out stay
in the cache, out of the sweeps (the autoencoder's test MSE 0.0812, 0.0386, 0.0164, 0.0068,
0.0034 at 1e-4 to 1e-3; the MLP's 0.7746, 0.7735, 0.8467, 0.9440, 0.7504 at 3.16e-3 to
3.16e-2). The GRU's grid held its best (3.16) a decade from its top and two from its bottom.

Best test losses (no other range, size or family was changed after the runs): the GRU 3.081 nats
a byte at 3.16 from 5.553; the autoencoder an MSE of 0.00085 at 5.62e-2 from 0.178; the MLP an
MSE of 0.660 (standardized target) at 1.78e-4 from 1.353. Read the labels with care. The
GRU's runs below its best are still falling at their last epoch (plain SGD for 300 steps), so
eight of them are ``stalled``; at 17.8 and 31.6 it ends above its start (5.92, 10.50). The
autoencoder's runs from 1.78e-2 to 0.316 end within 0.00085-0.00106 of each other, all
reconstructing the digits, so its ``oscillating`` labels above the best rank small MSEs that
another seed could reorder; from 0.562 up it never learns (0.237-0.311, above its start). The
MLP's test split is 70 rows: from 5.62e-4 up every run overfits (at 1e-3 its ``val_loss`` is
lowest at epoch 16 with 0.496 and ends at 0.559), and its three highest LRs end within 0.2% of
each other (0.7730-0.7746), not in order of the LR. Labels: 20 stalled, 4 healthy, 10
oscillating, 5 diverging (GRU 8/1/2/2, autoencoder 6/1/3/3, MLP 6/2/5/0). Training took 138 CPU s
on one thread for the 39 runs in the sweeps (GRU 111, autoencoder 23, MLP 4).

**The truth is the loss on a test split that no log holds**; each log's ``val_loss`` comes from
a separate validation split, as in rounds 8 to 13 (``fresh_sweeps8``, whose machinery this
reuses: the cache's side file beside each CSV holds the test losses, ``sweeps_fresh14.json``
ranks each run by its final test loss with ``made_labels.label_sweep``, and ``--manifest
COMMIT`` writes those labels, with their reasons, as ``manifest_r14made.jsonl``: the
``round14-made`` side of the one-run diagnosis).

The runs were made with this machine's default PyTorch CPU kernels (AVX-512), as round 13's
were; a retrain on other kernels drifts within the tests' retrained-truth tolerance. Sizes were
set by a CPU budget (the whole plan under ~6 CPU minutes on one thread of the shared machine),
not by results.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache

import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.realworld import HERE
from benchmarks.realworld.fresh_sweeps import FreshSweep, cli
from benchmarks.realworld.fresh_sweeps8 import (TestedRun, finite_or_inf, make,
                                                tested_manifest_rows, three_way, train_by_epoch)
from benchmarks.realworld.fresh_sweeps10 import sampled_every
from benchmarks.realworld.made_tasks import Logged, stdlib_code, train, warmup_cosine
from benchmarks.realworld.make_runs import quarter_decades

SEED = 10  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 9)
OUT = HERE / "sweeps_fresh14.json"
MANIFEST = HERE / "manifest_r14made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps14.py"

# the GRU: the first 51200 bytes of the standard library's source, 80/10/10 in order
GRU_BYTES, GRU_EMBED, GRU_HIDDEN, GRU_CTX, GRU_BATCH = 51200, 32, 96, 64, 32
GRU_EPOCHS, GRU_DECAY_EVERY, GRU_DECAY = 15, 5, 0.5
# the autoencoder: digits 960 train (30 steps an epoch, each epoch's last step a logged row),
# 337 validation, 500 test
AE_TRAIN, AE_VAL, AE_TEST, AE_BATCH, AE_EPOCHS = 960, 337, 500, 32, 15
AE_WARMUP, AE_LOG_EVERY = 30, 10
AE_STEPS_PER_EPOCH = AE_TRAIN // AE_BATCH
# the MLP: diabetes 442 rows, 302 train, 70 validation, 70 test
MLP_TRAIN, MLP_VAL, MLP_BATCH, MLP_EPOCHS = 302, 70, 32, 50


# -- a character-level GRU LM under plain SGD with a step decay, logged once per epoch ------------


@lru_cache(maxsize=None)
def stdlib_text() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The first ``GRU_BYTES`` bytes of the standard library's source: 80% to train on, 10% to
    validate, 10% the test, in order."""
    return three_way(stdlib_code()[:GRU_BYTES])


def byte_windows(part: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Every non-overlapping ``GRU_CTX``-byte window of a part and its next bytes."""
    n = (part.numel() - 1) // GRU_CTX
    x = part[:n * GRU_CTX].view(n, GRU_CTX)
    y = part[1:n * GRU_CTX + 1].view(n, GRU_CTX)
    return x, y


class CharGRU(nn.Module):
    """Byte embedding, one GRU layer, a linear head over the 256 bytes."""

    def __init__(self, embed: int = GRU_EMBED, hidden: int = GRU_HIDDEN):
        super().__init__()
        self.embed = nn.Embedding(256, embed)
        self.rnn = nn.GRU(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 256)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(self.embed(x))[0])


def train_epochs_step_decay(model: nn.Module, opt: torch.optim.Optimizer, epochs: int,
                            order: list[list[torch.Tensor]], step_loss, evaluate,
                            every: int, gamma: float) -> Logged:
    """``fresh_sweeps8.train_by_epoch`` with PyTorch's ``StepLR`` (the LR times ``gamma``
    every ``every`` epochs) and no clipping: one row per epoch, its mean training loss, its LR,
    no gradient norm, the validation loss after it; a non-finite loss ends the run after its
    epoch is logged."""
    sched = torch.optim.lr_scheduler.StepLR(opt, every, gamma)
    log = Logged()
    start, cpu = time.perf_counter(), time.process_time()
    log.val0 = evaluate()
    for epoch in range(1, epochs + 1):
        model.train()
        lr, total = opt.param_groups[0]["lr"], 0.0
        for idx in order[epoch - 1]:
            loss = step_loss(idx)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach())
        mean = total / len(order[epoch - 1])
        log.rows.append((epoch, mean, lr, math.nan))
        log.val[epoch] = evaluate() if math.isfinite(mean) else math.nan
        sched.step()
        if not math.isfinite(mean):
            break
    log.wall_s = time.perf_counter() - start
    log.cpu_s = time.process_time() - cpu
    return log


def gru_run(lr: float) -> TestedRun:
    """The GRU: plain SGD at ``lr`` halved every 5 epochs, no clipping, 15 epochs of shuffled
    batches of 32 windows (20 steps an epoch), logged once per epoch; validation on every
    validation window after each epoch, the test on every test window."""
    train_part, val_part, test_part = stdlib_text()
    (xtr, ytr), val, test = byte_windows(train_part), byte_windows(val_part), byte_windows(
        test_part)
    g = torch.Generator().manual_seed(SEED)
    order = [list(torch.randperm(len(xtr), generator=g).split(GRU_BATCH))
             for _ in range(GRU_EPOCHS)]
    torch.manual_seed(SEED)
    model = CharGRU()
    opt = torch.optim.SGD(model.parameters(), lr=lr)

    def ce(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(model(x).reshape(-1, 256), y.reshape(-1))

    @torch.no_grad()
    def loss_on(part: tuple[torch.Tensor, torch.Tensor]) -> float:
        model.eval()
        return float(ce(*part))
    test0 = loss_on(test)
    log = train_epochs_step_decay(model, opt, GRU_EPOCHS, order,
                                  lambda idx: ce(xtr[idx], ytr[idx]), lambda: loss_on(val),
                                  GRU_DECAY_EVERY, GRU_DECAY)
    return TestedRun(log, test0, finite_or_inf(loss_on(test)), by_epoch=True)


# -- a convolutional autoencoder under AdamW, warmup then per-step cosine, every 10 steps --------


@lru_cache(maxsize=None)
def digits_split() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """scikit-learn's digits (8x8, in [0, 1]) shuffled with the seed: ``AE_TRAIN`` training,
    ``AE_VAL`` validation and ``AE_TEST`` test images."""
    from sklearn.datasets import load_digits

    x = torch.tensor(load_digits().data / 16.0, dtype=torch.float32).view(-1, 1, 8, 8)
    x = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(SEED))]
    a, b = AE_TRAIN, AE_TRAIN + AE_VAL
    return x[:a], x[a:b], x[b:b + AE_TEST]


def conv_autoencoder() -> nn.Module:
    """conv 1-16 (8x8), conv 16-32 stride 2 (4x4), transposed conv 32-16 (8x8), conv 16-1,
    sigmoid; ReLU between."""
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
                         nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),
                         nn.Conv2d(16, 1, 3, padding=1), nn.Sigmoid())


def ae_run(lr: float) -> TestedRun:
    """The autoencoder: AdamW (weight decay 0.01) at peak ``lr``, warmup 30 steps then cosine
    to 0 per step, 15 epochs of shuffled batches of 32 (30 steps an epoch), logged every 10
    steps; the validation MSE at each epoch's end."""
    xtr, xva, xte = digits_split()
    g = torch.Generator().manual_seed(SEED)
    order = torch.cat([torch.randperm(AE_TRAIN, generator=g) for _ in range(AE_EPOCHS)]
                      ).view(-1, AE_BATCH)
    torch.manual_seed(SEED)
    model = conv_autoencoder()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = AE_EPOCHS * AE_STEPS_PER_EPOCH

    @torch.no_grad()
    def loss_on(x: torch.Tensor) -> float:
        model.eval()
        return float(F.mse_loss(model(x), x))
    test0 = loss_on(xte)
    log = train(model, opt, warmup_cosine(AE_WARMUP, steps, floor=0.0), steps,
                lambda i: F.mse_loss(model(xtr[order[i]]), xtr[order[i]]),
                lambda: loss_on(xva), AE_STEPS_PER_EPOCH, None)
    return TestedRun(sampled_every(log, AE_LOG_EVERY), test0, finite_or_inf(loss_on(xte)))


# -- a tabular MLP under RMSprop, logged once per epoch as a Keras History ------------------------


@lru_cache(maxsize=None)
def diabetes_split() -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """scikit-learn's diabetes table shuffled with the seed: ``MLP_TRAIN`` training,
    ``MLP_VAL`` validation and the rest (70) test rows; features and target standardized with
    the training rows' mean and deviation."""
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(SEED))
    x, y = x[order], y[order]
    xm, xs = x[:MLP_TRAIN].mean(0), x[:MLP_TRAIN].std(0)
    ym, ys = y[:MLP_TRAIN].mean(), y[:MLP_TRAIN].std()
    x, y = (x - xm) / xs, (y - ym) / ys
    a, b = MLP_TRAIN, MLP_TRAIN + MLP_VAL
    return (x[:a], y[:a]), (x[a:b], y[a:b]), (x[b:], y[b:])


def keras_rmsprop(params, lr: float) -> torch.optim.Optimizer:
    """RMSprop as Keras sets it by default: rho 0.9, epsilon 1e-7, no momentum, not centered."""
    return torch.optim.RMSprop(params, lr=lr, alpha=0.9, eps=1e-7)


def mlp_run(lr: float) -> TestedRun:
    """The MLP: RMSprop (Keras's defaults) at a constant ``lr``, 50 epochs of shuffled batches
    of 32 (10 steps an epoch, the last of 14), logged once per epoch."""
    (xtr, ytr), (xva, yva), (xte, yte) = diabetes_split()
    g = torch.Generator().manual_seed(SEED)
    order = [list(torch.randperm(MLP_TRAIN, generator=g).split(MLP_BATCH))
             for _ in range(MLP_EPOCHS)]
    torch.manual_seed(SEED)
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 1))
    opt = keras_rmsprop(model.parameters(), lr)

    @torch.no_grad()
    def mse(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(F.mse_loss(model(x).squeeze(1), y))
    test0 = mse(xte, yte)
    log = train_by_epoch(model, opt, MLP_EPOCHS, order,
                         lambda idx: F.mse_loss(model(xtr[idx]).squeeze(1), ytr[idx]),
                         lambda: mse(xva, yva), schedule="constant")
    return TestedRun(log, test0, finite_or_inf(mse(xte, yte)), by_epoch=True)


# -- the plan and the manifest -------------------------------------------------------------------


def plan() -> list[FreshSweep]:
    gru_steps = GRU_EPOCHS * -(-int(GRU_BYTES * 0.8 - 1) // GRU_CTX // GRU_BATCH)
    return [
        FreshSweep("gru_charlm_sgd_step", quarter_decades(-1.5, 1.5), gru_steps, gru_run,
                   {"optimizer": "SGD", "momentum": 0.0, "batch_size": GRU_BATCH,
                    "fine_tune": False, "clip": None, "warmup_steps": 0,
                    "schedule": f"StepLR x{GRU_DECAY} every {GRU_DECAY_EVERY} epochs",
                    "epochs": GRU_EPOCHS,
                    "logged": "once per epoch (mean training loss, validation loss)",
                    "model": f"character-level GRU LM, embedding {GRU_EMBED}, 1 layer of "
                             f"{GRU_HIDDEN}, bytes, context {GRU_CTX}",
                    "data": f"the standard library's source, first {GRU_BYTES} bytes, "
                            "80/10/10 in order"}),
        FreshSweep("convae_digits_adamw", quarter_decades(-2.75, 0.25),
                   AE_EPOCHS * AE_STEPS_PER_EPOCH, ae_run,
                   {"optimizer": "AdamW", "weight_decay": 0.01, "batch_size": AE_BATCH,
                    "fine_tune": False, "clip": None, "warmup_steps": AE_WARMUP,
                    "schedule": f"linear warmup {AE_WARMUP}, cosine to 0 per step",
                    "loss": "MSE reconstruction", "epochs": AE_EPOCHS,
                    "logged": f"every {AE_LOG_EVERY} steps (that step's loss), val_loss each "
                              "epoch",
                    "model": "convolutional autoencoder conv16-conv32/2-convT16-conv1, ReLU, "
                             "sigmoid",
                    "data": f"scikit-learn digits in [0, 1]: {AE_TRAIN} train, {AE_VAL} "
                            f"validation, {AE_TEST} test images"}),
        FreshSweep("mlp_diabetes_rmsprop", quarter_decades(-5.25, -2.25),
                   MLP_EPOCHS * -(-MLP_TRAIN // MLP_BATCH), mlp_run,
                   {"optimizer": "RMSprop", "rho": 0.9, "eps": 1e-7, "batch_size": MLP_BATCH,
                    "fine_tune": False, "clip": None, "warmup_steps": 0,
                    "schedule": "constant", "loss": "MSE (standardized target)",
                    "epochs": MLP_EPOCHS,
                    "logged": "once per epoch as a Keras History (loss, val_loss)",
                    "model": "MLP 10-64-64-1, ReLU, regression",
                    "data": f"scikit-learn diabetes: {MLP_TRAIN} train, {MLP_VAL} validation, "
                            "70 test rows, standardized on the training rows"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"gru_charlm_sgd_step": "lm_pretrain", "convae_digits_adamw": "other",
                 "mlp_diabetes_rmsprop": "other"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 14's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
