"""Round 13's made held-out LR sweeps (issues 12 and 14):
``python -m benchmarks.realworld.fresh_sweeps13 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and
7 to 12) has, each a setup real users run and log that way:

- ``gpt_docs_adafactor``: a **decoder-only transformer LM** trained from scratch on bytes of
  Python's documentation topics (``pydoc_data``; d 48, 2 layers, 4 heads, context 64) under
  **Adafactor** as Hugging Face ``transformers`` ships it, in the T5 recipe's setting
  (``scale_parameter=False, relative_step=False, warmup_init=False``: the LR is the one given,
  no momentum, updates clipped at RMS 1, no gradient clipping), a linear warmup of 60 steps then
  cosine decay to 0.1x over 600 steps of 8 windows, **logged every 10 steps** (nanoGPT's
  ``log_interval``: that step's own loss), the validation loss every 50 steps. Earlier
  transformer LMs trained under SGD (round 4) and AdamW (rounds 10, the made runs).
- ``cnn_digits_ls_onecycle``: a **digits CNN with BatchNorm and dropout, trained with label
  smoothing 0.1** (its cross-entropy cannot fall below 0.50, the entropy of the smoothed
  target), SGD with momentum 0.9 and weight decay 5e-4 under PyTorch's **OneCycleLR stepped
  per step** (30% up from lr/25, cosine down to lr/1e5, the momentum cycled 0.95 -> 0.85 ->
  0.95), 12 epochs of batches of 32 over 960 training digits, **logged as Lightning does with
  ``log_every_n_steps=10``**: every 10th step's own loss, LR and gradient norm, ``val_loss``
  (label-smoothed, as the training loss) at each epoch's end. Round 4's ``cnn_nesterov`` is
  also a digits CNN under SGD (Nesterov, cosine, no BatchNorm, no smoothing); round 5's
  one-cycle ResNet ran under AdamW: no earlier family has a smoothed loss or SGD one-cycle.
- ``lstm_adding_adam_clip``: an **LSTM on the adding problem** (Hochreiter and Schmidhuber
  1997): sequences of 20 (value, marker) pairs, the target the sum of the two marked values (one
  in each half), MSE; a fresh batch of 32 each step. Every LR first sits on the plateau of the
  constant guess (MSE 1/6, the variance of the sum), then the loss falls sharply once the LSTM
  learns to gate: a **late sharp drop**. Adam at a constant LR, gradients clipped at 1.0, 1500
  steps, **logged every 10 steps**, the validation loss every 100 steps. (Earlier LSTMs and GRUs
  under Adam were byte LMs, a digit-row classifier and a forecaster; none had a plateau task.)

13 quarter-decade LRs each, seed 9. Each range was chosen before any run of the families, to
span a guess of the best by more than a decade on both sides: the LM's 10**-4..10**-1
(Adafactor without momentum takes Adam-sized steps; a small LM this short is best near 3e-3:
guessed 3e-3); the CNN's 10**-2.5..10**0.5 (SGD momentum one-cycle on a BatchNorm CNN, whose
peak is usually 0.1-0.5: guessed 0.1-0.3); the adding LSTM's 10**-3.5..10**-0.5 (Adam with
clipping on a small LSTM: guessed 1e-2). Before the family was chosen, short prototypes of
sequence tasks (reversing, sorting and copying digits, parity, the adding problem; 1-3 LRs
each, not this code) were run to find one whose loss sits on a plateau and then drops: the
adding problem did at 1e-3, 3e-3 and 1e-2; the range was set from the guess above, not from
them. Before the sweeps, one run per family at its guessed LR timed the plan; from it the LM's
run was lengthened from 400 to 600 steps (warmup 40 to 60) within the budget; no range was set
from it.

One grid was moved after its runs, from their test losses alone, before anything read the runs,
as rounds 8, 11 and 12 did: the LM's first grid (10**-4..10**-1) put its best at 1.78e-2, three
quarters of a decade below its highest LR, so it was moved up half a decade to
10**-3.5..10**-0.5. The runs left out stay in the cache, out of the sweep (1e-4: test loss
3.525; 1.78e-4: 3.073). The CNN's first sweep (1000 training digits, 31 steps an epoch) was
remade before anything read it, on 960 digits (30 steps an epoch): with 31, most epochs' last
step was not a logged row, so their ``val_loss`` never reached the CSV (its test losses: best
0.570 at 0.178, as the remade sweep's).

Best test losses (no other range or family was changed after the runs): the LM 1.998 nats a byte
at 1.78e-2 from 5.833; the CNN 0.574 at 0.178 from 2.316 (its floor 0.500); the adding LSTM an
MSE of 0.00013 at 1e-2 from 1.00 (the constant guess 1/6). Read the labels with care. The CNN's
runs from 3.16e-2 to 0.316 end within 1.6% of each other (0.574-0.583), all solving the digits,
and its three highest LRs (1 to 3.16) never learn (2.312-2.318, ln 10 = 2.303), not in order of
the LR. Every adding LSTM run from 5.6e-4 to 0.1 leaves the plateau and ends well below it
(3.16e-4 has barely left it: 0.145), so its labels rank small MSEs (0.00013 at the best, 0.00016
and 0.00018 a quarter and half a decade up, 0.00023 a quarter decade down), which another seed
could reorder; at 0.178 and 0.316 it never leaves the plateau (0.275, 0.174). The LM's high LRs
spike during the warmup and recover as the LR decays (at 0.316 the logged loss rises from 3.9 to
13.2 by step 130, then falls to 3.2; the validation loss peaks at 9.8 at step 100).

**The truth is the loss on a test split that no log holds**; each log's ``val_loss`` comes from
a separate validation split, as in rounds 8 to 12 (``fresh_sweeps8``, whose machinery this
reuses: the cache's side file beside each CSV holds the test losses, ``sweeps_fresh13.json``
ranks each run by its final test loss with ``made_labels.label_sweep``, and ``--manifest
COMMIT`` writes those labels, with their reasons, as ``manifest_r13made.jsonl``: the
``round13-made`` side of the one-run diagnosis).

Sizes were set by a CPU budget (the whole plan under ~10 CPU minutes on one thread of the
shared machine), not by results.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.realworld import HERE
from benchmarks.realworld.fresh_sweeps import FreshSweep, cli
from benchmarks.realworld.fresh_sweeps8 import (TestedRun, finite_or_inf, make,
                                                tested_manifest_rows, three_way)
from benchmarks.realworld.fresh_sweeps10 import lm_step_loss, lm_windows, sampled_every
from benchmarks.realworld.made_tasks import (CausalTransformer, mean_loss, python_docs, train,
                                             warmup_cosine)
from benchmarks.realworld.make_runs import quarter_decades

SEED = 9  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 8)
OUT = HERE / "sweeps_fresh13.json"
MANIFEST = HERE / "manifest_r13made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps13.py"

# the LM: pydoc's topics as bytes, 80/10/10 in order
GPT_D, GPT_LAYERS, GPT_HEADS, GPT_CTX = 48, 2, 4, 64
GPT_STEPS, GPT_WARMUP, GPT_BATCH, GPT_EVAL_EVERY, GPT_LOG_EVERY = 600, 60, 8, 50, 10
# the CNN: digits 960 train (30 steps an epoch, so each epoch's last step is a logged row and its
# val_loss reaches the CSV), 337 validation, 500 test
CNN_TRAIN, CNN_VAL, CNN_TEST, CNN_BATCH, CNN_EPOCHS, CNN_LOG_EVERY = 960, 337, 500, 32, 12, 10
CNN_SMOOTHING, CNN_DECAY = 0.1, 5e-4
CNN_STEPS_PER_EPOCH = CNN_TRAIN // CNN_BATCH
# the adding problem
ADD_LEN, ADD_HIDDEN, ADD_BATCH, ADD_STEPS, ADD_CLIP = 20, 32, 32, 1500, 1.0
ADD_VAL, ADD_TEST, ADD_EVAL_EVERY, ADD_LOG_EVERY = 512, 2048, 100, 10


# -- a byte transformer LM under Adafactor, logged every 10 steps --------------------------------


@lru_cache(maxsize=None)
def docs_text() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The documentation topics' bytes: the first 80% to train on, the next 10% to validate,
    the last 10% the test."""
    return three_way(python_docs())


def adafactor(params, lr: float) -> torch.optim.Optimizer:
    """Hugging Face's Adafactor as T5 fine-tuning recipes set it: the given LR, no relative
    step, no parameter scaling, no warmup init (the rest its defaults: no momentum, update
    clipping at 1.0, second-moment decay -0.8)."""
    from transformers.optimization import Adafactor

    return Adafactor(params, lr=lr, scale_parameter=False, relative_step=False,
                     warmup_init=False)


def gpt_run(lr: float) -> TestedRun:
    """The transformer: Adafactor at peak ``lr``, warmup 60 then cosine to 0.1x, no gradient
    clipping, 600 steps of 8 windows, logged every 10 steps; validation every 50 steps on
    4 x 64 windows, the test on 16 x 64."""
    train_part, val_part, test_part = docs_text()
    g = torch.Generator().manual_seed(SEED)
    batches = lm_windows(train_part, (GPT_STEPS, GPT_BATCH), GPT_CTX, g)
    val = lm_windows(val_part, (4, 64), GPT_CTX, g)
    test = lm_windows(test_part, (16, 64), GPT_CTX, g)
    torch.manual_seed(SEED)
    model = CausalTransformer(GPT_D, GPT_LAYERS, GPT_HEADS, GPT_CTX)
    opt = adafactor(model.parameters(), lr)
    test0 = mean_loss(model, test)
    log = train(model, opt, warmup_cosine(GPT_WARMUP, GPT_STEPS), GPT_STEPS,
                lm_step_loss(model, batches), lambda: mean_loss(model, val), GPT_EVAL_EVERY,
                None)
    return TestedRun(sampled_every(log, GPT_LOG_EVERY), test0,
                     finite_or_inf(mean_loss(model, test)))


# -- a label-smoothed digits CNN under SGD one-cycle, logged as Lightning ------------------------


@lru_cache(maxsize=None)
def digits_split() -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """scikit-learn's digits (8x8, in [0, 1]) shuffled with the seed: ``CNN_TRAIN`` training,
    ``CNN_VAL`` validation and ``CNN_TEST`` test images."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32).view(-1, 1, 8, 8)
    y = torch.tensor(y)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(SEED))
    a, b = CNN_TRAIN, CNN_TRAIN + CNN_VAL
    return tuple((x[i], y[i]) for i in (order[:a], order[a:b], order[b:b + CNN_TEST]))


def smoothed_floor(classes: int = 10, smoothing: float = CNN_SMOOTHING) -> float:
    """The lowest label-smoothed cross-entropy: the entropy of the smoothed target (the true
    class ``1 - s + s/k``, each other ``s/k``)."""
    hi, lo = 1 - smoothing + smoothing / classes, smoothing / classes
    return -(hi * math.log(hi) + (classes - 1) * lo * math.log(lo))


def digits_cnn() -> nn.Module:
    """conv16-BN-ReLU, conv32-BN-ReLU, 2x2 max pool, dropout 0.25, linear to 10 classes."""
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                         nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.25),
                         nn.Linear(32 * 16, 10))


def cnn_run(lr: float) -> TestedRun:
    """The CNN: SGD momentum 0.9, weight decay 5e-4, OneCycleLR to a peak of ``lr`` stepped
    each step, label smoothing 0.1, 12 epochs of shuffled batches of 32 (30 steps an epoch),
    logged every 10 steps; validation at each epoch's end (BatchNorm in eval mode)."""
    (xtr, ytr), (xva, yva), (xte, yte) = digits_split()
    g = torch.Generator().manual_seed(SEED)
    order = torch.cat([torch.randperm(CNN_TRAIN, generator=g) for _ in range(CNN_EPOCHS)]
                      ).view(-1, CNN_BATCH)
    torch.manual_seed(SEED)
    model = digits_cnn()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=CNN_DECAY)
    steps = CNN_EPOCHS * CNN_STEPS_PER_EPOCH

    @torch.no_grad()
    def loss_on(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(F.cross_entropy(model(x), y, label_smoothing=CNN_SMOOTHING))
    test0 = loss_on(xte, yte)
    log = train(model, opt, lambda i: 1.0, steps,
                lambda i: F.cross_entropy(model(xtr[order[i]]), ytr[order[i]],
                                          label_smoothing=CNN_SMOOTHING),
                lambda: loss_on(xva, yva), CNN_STEPS_PER_EPOCH, None,
                scheduler=lambda o: torch.optim.lr_scheduler.OneCycleLR(o, lr, total_steps=steps))
    return TestedRun(sampled_every(log, CNN_LOG_EVERY), test0, finite_or_inf(loss_on(xte, yte)))


# -- an LSTM on the adding problem, logged every 10 steps -----------------------------------------


def adding_batch(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` adding-problem sequences of ``ADD_LEN`` steps: each step a value in [0, 1) and a
    marker, one marked step in each half; the target the sum of the two marked values."""
    values = torch.rand(n, ADD_LEN, generator=g)
    first = torch.randint(0, ADD_LEN // 2, (n,), generator=g)
    second = torch.randint(ADD_LEN // 2, ADD_LEN, (n,), generator=g)
    marks = torch.zeros(n, ADD_LEN)
    marks[torch.arange(n), first] = 1.0
    marks[torch.arange(n), second] = 1.0
    return torch.stack([values, marks], 2), (values * marks).sum(1)


class AddingLSTM(nn.Module):
    """One LSTM layer over the (value, marker) pairs, a linear head on its last state."""

    def __init__(self, hidden: int = ADD_HIDDEN):
        super().__init__()
        self.rnn = nn.LSTM(2, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(x)[0][:, -1]).squeeze(1)


def adding_run(lr: float) -> TestedRun:
    """The LSTM: Adam at a constant ``lr``, gradients clipped at 1.0, 1500 steps of a fresh
    batch of 32, logged every 10 steps; validation every 100 steps on 512 sequences, the test
    on 2048 (each split from a generator of its own)."""
    g = torch.Generator().manual_seed(SEED)
    batches = [adding_batch(ADD_BATCH, g) for _ in range(ADD_STEPS)]
    val = adding_batch(ADD_VAL, torch.Generator().manual_seed(SEED + 1))
    test = adding_batch(ADD_TEST, torch.Generator().manual_seed(SEED + 2))
    torch.manual_seed(SEED)
    model = AddingLSTM()
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    @torch.no_grad()
    def mse(part: tuple[torch.Tensor, torch.Tensor]) -> float:
        model.eval()
        return float(F.mse_loss(model(part[0]), part[1]))
    test0 = mse(test)
    log = train(model, opt, lambda i: 1.0, ADD_STEPS,
                lambda i: F.mse_loss(model(batches[i][0]), batches[i][1]),
                lambda: mse(val), ADD_EVAL_EVERY, ADD_CLIP)
    return TestedRun(sampled_every(log, ADD_LOG_EVERY), test0, finite_or_inf(mse(test)))


# -- the plan and the manifest -------------------------------------------------------------------


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("gpt_docs_adafactor", quarter_decades(-3.5, -0.5), GPT_STEPS, gpt_run,
                   {"optimizer": "Adafactor", "batch_size": GPT_BATCH, "fine_tune": False,
                    "clip": None, "warmup_steps": GPT_WARMUP,
                    "schedule": f"linear warmup {GPT_WARMUP}, cosine to 0.1x",
                    "logged": f"every {GPT_LOG_EVERY} steps (that step's loss), val_loss every "
                              f"{GPT_EVAL_EVERY} steps",
                    "model": f"decoder-only transformer d {GPT_D}, {GPT_LAYERS} layers, "
                             f"{GPT_HEADS} heads, context {GPT_CTX}, bytes",
                    "data": "pydoc_data documentation topics, 80/10/10 in order"}),
        FreshSweep("cnn_digits_ls_onecycle", quarter_decades(-2.5, 0.5),
                   CNN_EPOCHS * CNN_STEPS_PER_EPOCH, cnn_run,
                   {"optimizer": "SGD", "momentum": 0.9, "weight_decay": CNN_DECAY,
                    "batch_size": CNN_BATCH, "fine_tune": False, "clip": None, "classes": 10,
                    "label_smoothing": CNN_SMOOTHING, "warmup_steps": 0,
                    "schedule": "OneCycleLR per step (30% up from lr/25, cosine to lr/1e5, "
                                "momentum 0.95-0.85)",
                    "epochs": CNN_EPOCHS,
                    "logged": f"every {CNN_LOG_EVERY} steps as Lightning's log_every_n_steps "
                              "(that step's loss), val_loss each epoch",
                    "model": "CNN conv16-BN-conv32-BN-pool-dropout 0.25-linear, ReLU",
                    "data": f"scikit-learn digits: {CNN_TRAIN} train, {CNN_VAL} validation, "
                            f"{CNN_TEST} test images"}),
        FreshSweep("lstm_adding_adam_clip", quarter_decades(-3.5, -0.5), ADD_STEPS, adding_run,
                   {"optimizer": "Adam", "batch_size": ADD_BATCH, "fine_tune": False,
                    "clip": ADD_CLIP, "warmup_steps": 0, "schedule": "constant",
                    "loss": "MSE",
                    "logged": f"every {ADD_LOG_EVERY} steps (that step's loss), val_loss every "
                              f"{ADD_EVAL_EVERY} steps",
                    "model": f"LSTM {ADD_HIDDEN} over (value, marker) pairs, linear head",
                    "data": f"the adding problem, length {ADD_LEN}, a fresh batch each step; "
                            f"{ADD_VAL} validation, {ADD_TEST} test sequences"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"gpt_docs_adafactor": "lm_pretrain", "cnn_digits_ls_onecycle": "classifier",
                 "lstm_adding_adam_clip": "other"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 13's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
