"""Round 15's made held-out LR sweeps:
``python -m benchmarks.realworld.fresh_sweeps15 [--family F] [--manifest COMMIT]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4, 5 and
7 to 14) has, each a setup real users run and log that way:

- ``ft_email_lm_adamw``: a **full fine-tune** (every weight) of the byte transformer LM the made
  runs pretrained on standard-library code (``make_runs.pretrained``: d 64, 2 layers, context
  32) **as a language model on a new text**, the standard library's ``email`` package source
  (its ``.py`` files in path order, 80/10/10 in order), under **AdamW** as Hugging Face's
  ``Trainer`` sets it (betas 0.9/0.999, epsilon 1e-8, weight decay 0.01, ``max_grad_norm``
  1.0) with a **linear warmup of 20 steps then linear decay to 0**, 200 steps of 16 random
  windows, **logged every 10 steps as the Trainer's** ``logging_steps`` **does** (the mean loss
  of those 10 steps, the last step's LR and gradient norm), validation every 50 steps. Earlier
  fine-tunes of this LM were a LoRA (round 10) or added a new head (rounds 8, 9, 11).
- ``mixer_digits_nesterov``: a **small MLP-Mixer** on scikit-learn's digits (16 patches of
  2x2, width 32, 2 mixer blocks with token MLP 16-32-16 and channel MLP 32-64-32, LayerNorm,
  GELU, mean pooling, linear head) under **SGD with Nesterov momentum 0.9 at a constant LR**,
  15 epochs of batches of 32 over 960 training digits (30 steps an epoch), **logged every 10
  steps** (that step's own loss, LR and gradient norm, as Lightning's ``log_every_n_steps``)
  with a ``val_loss`` at each epoch's end.
- ``logreg_cancer_adagrad``: **logistic regression** (30 features standardized on the training
  rows, one linear layer, binary cross-entropy) on scikit-learn's breast-cancer table under
  **Adagrad** with PyTorch's defaults (no LR decay, initial accumulator 0, epsilon 1e-10) at a
  constant LR, 30 epochs of shuffled batches of 32 over 398 training rows, **logged once per
  epoch** (the epoch's mean training loss, the validation loss after it).

13 quarter-decade LRs each, seed 11. Each range was fixed before any run of the families, to
span a guess of the best by 1.5 decades on both sides: the fine-tune's 10**-4.5..10**-1.5
(fine-tunes of this very LM were best at 1e-3 to 1e-2 in rounds 8, 9 and 11 and the made
fine-tune; a full LM fine-tune on a close text for 200 steps: guessed 1e-3); the Mixer's
10**-2.5..10**0.5 (SGD with Nesterov on a small LayerNorm net: guessed 0.1); the logistic
regression's 10**-2.5..10**0.5 (Adagrad's steps shrink with the accumulated squares; a convex
model on standardized features: guessed 0.1).
If a grid's best falls less than a decade from one of its ends, that grid is moved once, by
whole quarter decades, and this docstring says so.
Before the sweeps, one run per family at its guessed LR timed the plan (fine-tune 3.2 CPU s,
Mixer 2.3, logistic regression under 2 on one thread); no range or size was changed from it.

One grid was moved once after its runs, from its test losses alone, before anything read the
runs, as rounds 8 and 11 to 14 did: the fine-tune's first grid (10**-4.5..10**-1.5) put its
best at 1e-2, half a decade below its highest LR, so it was moved up a decade to
10**-3.5..10**-0.5, centred on that best. The runs left out stay in the cache, out of the sweeps
(test losses 2.1255, 2.1184, 2.1098, 2.0999 at 3.16e-5 to 1.78e-4, from 2.1419). The Mixer's
grid held its best (3.16e-2) a decade from its bottom and 1.75 from its top, the logistic
regression's (0.178) 1.75 decades from its bottom and 1.25 from its top.

Best test losses (no other range, size or family was changed after the runs): the fine-tune
1.979 nats a byte at 1e-2 from the pretrained LM's 2.142; the Mixer a cross-entropy of 0.074 at
3.16e-2 from 2.378; the logistic regression 0.0426 at 0.178 from 0.671. Read the labels with
care. The fine-tune's four ``healthy`` runs (3.16e-3 to 1.78e-2) end within 1.4% of its best;
from 0.1 up it ends above the pretrained start (2.33, 2.94, 3.06). The Mixer's test split is 500
digits: its runs from 0.1 to 0.316 end at 0.20-0.30, not in order of the LR, at 0.562 it barely
learns (1.90), and from 1 up it goes non-finite within 30 steps. The logistic regression's test
split is 86 rows: its two best runs end within 0.3% of each other (0.0426 at 0.178, 0.0427 at
0.316), and its four ``oscillating`` runs (0.562 to 3.16) still fit well (0.045-0.060): Adagrad's
shrinking steps on a convex loss never diverge on this grid. Labels: 15 stalled, 7 healthy, 11
oscillating, 6 diverging (fine-tune 4/4/2/3, Mixer 4/1/5/3, logistic regression 7/2/4/0).
Training took 61 CPU s on one thread for the 39 runs in the sweeps (fine-tune 36, Mixer 24,
logistic regression 1).

**The truth is the loss on a test split that no log holds**; each log's ``val_loss`` comes from
a separate validation split, as in rounds 8 to 14 (``fresh_sweeps8``, whose machinery this
reuses: the cache's side file beside each CSV holds the test losses, ``sweeps_fresh15.json``
ranks each run by its final test loss with ``made_labels.label_sweep``, and ``--manifest
COMMIT`` writes those labels, with their reasons, as ``manifest_r15made.jsonl``: the
``round15-made`` side of the one-run diagnosis).

The runs were made with this machine's default PyTorch CPU kernels (AVX-512), as rounds 13 and
14's were; a retrain on other kernels drifts within the tests' retrained-truth tolerance. Sizes
were set by a CPU budget (the whole plan under ~6 CPU minutes on one thread of the shared
machine), not by results.
"""

from __future__ import annotations

import sysconfig
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.realworld import HERE
from benchmarks.realworld.fresh_sweeps import FreshSweep, cli
from benchmarks.realworld.fresh_sweeps8 import (TestedRun, finite_or_inf, make,
                                                tested_manifest_rows, three_way, train_by_epoch)
from benchmarks.realworld.fresh_sweeps9 import every_few
from benchmarks.realworld.fresh_sweeps10 import lm_step_loss, lm_windows, sampled_every
from benchmarks.realworld.made_tasks import (CausalTransformer, mean_loss, train,
                                             warmup_linear)
from benchmarks.realworld.make_runs import (CTX, D_MODEL, HEADS, LAYERS, pretrained,
                                            quarter_decades)

SEED = 11  # not earlier rounds' seeds (0 made runs, 1 round 4, 2 round 5, 3 round 7, 4 ... 10)
OUT = HERE / "sweeps_fresh15.json"
MANIFEST = HERE / "manifest_r15made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps15.py"
STDLIB = Path(sysconfig.get_paths()["stdlib"])

# the fine-tune: the email package's source, the Trainer's defaults
FT_STEPS, FT_WARMUP, FT_BATCH, FT_CLIP, FT_EVAL_EVERY, FT_LOG_EVERY = 200, 20, 16, 1.0, 50, 10
FT_WEIGHT_DECAY = 0.01
# the Mixer: digits 960 train (30 steps an epoch, each epoch's last step a logged row), 337
# validation, 500 test
MIX_TRAIN, MIX_VAL, MIX_TEST, MIX_BATCH, MIX_EPOCHS, MIX_LOG_EVERY = 960, 337, 500, 32, 15, 10
MIX_STEPS_PER_EPOCH = MIX_TRAIN // MIX_BATCH
MIX_WIDTH, MIX_TOKENS_HIDDEN, MIX_CHANNELS_HIDDEN, MIX_BLOCKS = 32, 32, 64, 2
# the logistic regression: breast cancer 569 rows, 398 train, 85 validation, 86 test
LR_TRAIN, LR_VAL, LR_BATCH, LR_EPOCHS = 398, 85, 32, 30


# -- a full LM fine-tune of the made pretrained LM, logged as the Trainer's logging_steps -------


@lru_cache(maxsize=None)
def email_source() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The bytes of the ``email`` package's ``.py`` files (path order, non-ASCII as ``?``),
    80/10/10 in order."""
    text = b"\n".join(p.read_bytes() for p in sorted((STDLIB / "email").rglob("*.py")))
    clean = bytes(b if b < 128 else ord("?") for b in text)
    return three_way(torch.frombuffer(bytearray(clean), dtype=torch.uint8).long())


def ft_run(lr: float) -> TestedRun:
    """The fine-tune: every weight trains, AdamW (the Trainer's defaults, weight decay 0.01) at
    peak ``lr``, warmup 20 then linear decay to 0, clip 1.0, 200 steps of 16 windows of 32
    bytes, logged every 10 steps (their mean loss); validation every 50 steps on 4 x 64
    windows, the test on 16 x 64."""
    train_part, val_part, test_part = email_source()
    g = torch.Generator().manual_seed(SEED)
    batches = lm_windows(train_part, (FT_STEPS, FT_BATCH), CTX, g)
    val = lm_windows(val_part, (4, 64), CTX, g)
    test = lm_windows(test_part, (16, 64), CTX, g)
    torch.manual_seed(SEED)
    model = CausalTransformer(D_MODEL, LAYERS, HEADS, CTX)
    model.load_state_dict(pretrained())
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=FT_WEIGHT_DECAY)
    test0 = mean_loss(model, test)
    log = train(model, opt, warmup_linear(FT_WARMUP, FT_STEPS), FT_STEPS,
                lm_step_loss(model, batches), lambda: mean_loss(model, val), FT_EVAL_EVERY,
                FT_CLIP)
    return TestedRun(every_few(log, FT_LOG_EVERY), test0, finite_or_inf(mean_loss(model, test)))


# -- an MLP-Mixer on digits under Nesterov SGD at a constant LR, every 10 steps ------------------


@lru_cache(maxsize=None)
def digits_split() -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """scikit-learn's digits (8x8, in [0, 1]) shuffled with the seed: ``MIX_TRAIN`` training,
    ``MIX_VAL`` validation and ``MIX_TEST`` test images with their classes."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.data / 16.0, dtype=torch.float32).view(-1, 1, 8, 8)
    y = torch.tensor(d.target, dtype=torch.long)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(SEED))
    x, y = x[order], y[order]
    a, b = MIX_TRAIN, MIX_TRAIN + MIX_VAL
    return (x[:a], y[:a]), (x[a:b], y[a:b]), (x[b:b + MIX_TEST], y[b:b + MIX_TEST])


class MixerBlock(nn.Module):
    """Tolstikhin et al.'s block: a token-mixing MLP across the patches, then a channel-mixing
    MLP across the features, each behind a LayerNorm with a residual."""

    def __init__(self, tokens: int, width: int, tokens_hidden: int, channels_hidden: int):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.tokens = nn.Sequential(nn.Linear(tokens, tokens_hidden), nn.GELU(),
                                    nn.Linear(tokens_hidden, tokens))
        self.channels = nn.Sequential(nn.Linear(width, channels_hidden), nn.GELU(),
                                      nn.Linear(channels_hidden, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.tokens(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channels(self.norm2(x))


class Mixer(nn.Module):
    """16 patches of 2x2 pixels embedded to ``MIX_WIDTH``, ``MIX_BLOCKS`` mixer blocks, a
    LayerNorm, the mean over patches, a linear head over the 10 digits."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Conv2d(1, MIX_WIDTH, 2, stride=2)
        self.blocks = nn.Sequential(*[MixerBlock(16, MIX_WIDTH, MIX_TOKENS_HIDDEN,
                                                 MIX_CHANNELS_HIDDEN)
                                      for _ in range(MIX_BLOCKS)])
        self.norm = nn.LayerNorm(MIX_WIDTH)
        self.head = nn.Linear(MIX_WIDTH, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x).flatten(2).transpose(1, 2)  # (batch, 16 patches, width)
        return self.head(self.norm(self.blocks(x)).mean(1))


def mixer_run(lr: float) -> TestedRun:
    """The Mixer: SGD with Nesterov momentum 0.9 at a constant ``lr``, 15 epochs of shuffled
    batches of 32 (30 steps an epoch), logged every 10 steps; the validation loss at each
    epoch's end."""
    (xtr, ytr), (xva, yva), (xte, yte) = digits_split()
    g = torch.Generator().manual_seed(SEED)
    order = torch.cat([torch.randperm(MIX_TRAIN, generator=g) for _ in range(MIX_EPOCHS)]
                      ).view(-1, MIX_BATCH)
    torch.manual_seed(SEED)
    model = Mixer()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True)
    steps = MIX_EPOCHS * MIX_STEPS_PER_EPOCH

    @torch.no_grad()
    def ce(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(F.cross_entropy(model(x), y))
    test0 = ce(xte, yte)
    log = train(model, opt, lambda step: 1.0, steps,
                lambda i: F.cross_entropy(model(xtr[order[i]]), ytr[order[i]]),
                lambda: ce(xva, yva), MIX_STEPS_PER_EPOCH, None)
    return TestedRun(sampled_every(log, MIX_LOG_EVERY), test0, finite_or_inf(ce(xte, yte)))


# -- logistic regression under Adagrad, logged once per epoch ------------------------------------


@lru_cache(maxsize=None)
def cancer_split() -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """scikit-learn's breast-cancer table shuffled with the seed: ``LR_TRAIN`` training,
    ``LR_VAL`` validation and the rest (86) test rows, features standardized with the training
    rows' mean and deviation; targets 0/1 as floats."""
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(SEED))
    x, y = x[order], y[order]
    x = (x - x[:LR_TRAIN].mean(0)) / x[:LR_TRAIN].std(0)
    a, b = LR_TRAIN, LR_TRAIN + LR_VAL
    return (x[:a], y[:a]), (x[a:b], y[a:b]), (x[b:], y[b:])


def logreg_run(lr: float) -> TestedRun:
    """The logistic regression: Adagrad (PyTorch's defaults) at a constant ``lr``, 30 epochs of
    shuffled batches of 32 (13 steps an epoch, the last of 14), logged once per epoch."""
    (xtr, ytr), (xva, yva), (xte, yte) = cancer_split()
    g = torch.Generator().manual_seed(SEED)
    order = [list(torch.randperm(LR_TRAIN, generator=g).split(LR_BATCH))
             for _ in range(LR_EPOCHS)]
    torch.manual_seed(SEED)
    model = nn.Linear(30, 1)
    opt = torch.optim.Adagrad(model.parameters(), lr=lr)

    def bce(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(model(x).squeeze(1), y)

    @torch.no_grad()
    def loss_on(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        return float(bce(x, y))
    test0 = loss_on(xte, yte)
    log = train_by_epoch(model, opt, LR_EPOCHS, order, lambda idx: bce(xtr[idx], ytr[idx]),
                         lambda: loss_on(xva, yva), schedule="constant")
    return TestedRun(log, test0, finite_or_inf(loss_on(xte, yte)), by_epoch=True)


# -- the plan and the manifest -------------------------------------------------------------------


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("ft_email_lm_adamw", quarter_decades(-3.5, -0.5), FT_STEPS, ft_run,
                   {"optimizer": "AdamW", "betas": [0.9, 0.999], "eps": 1e-8,
                    "weight_decay": FT_WEIGHT_DECAY, "batch_size": FT_BATCH,
                    "fine_tune": True, "clip": FT_CLIP, "warmup_steps": FT_WARMUP,
                    "schedule": f"linear warmup {FT_WARMUP}, linear decay to 0",
                    "logged": f"every {FT_LOG_EVERY} steps as the Trainer's logging_steps "
                              "(mean loss of those steps)",
                    "model": "byte transformer LM pretrained on stdlib modules (d 64, 2 layers, "
                             "ctx 32), every weight fine-tuned as an LM",
                    "data": "the standard library's email package source, 80/10/10 in order"}),
        FreshSweep("mixer_digits_nesterov", quarter_decades(-2.5, 0.5),
                   MIX_EPOCHS * MIX_STEPS_PER_EPOCH, mixer_run,
                   {"optimizer": "SGD", "momentum": 0.9, "nesterov": True,
                    "batch_size": MIX_BATCH, "fine_tune": False, "clip": None,
                    "warmup_steps": 0, "schedule": "constant", "classes": 10,
                    "epochs": MIX_EPOCHS,
                    "logged": f"every {MIX_LOG_EVERY} steps (that step's loss), val_loss each "
                              "epoch",
                    "model": f"MLP-Mixer, 16 patches of 2x2, width {MIX_WIDTH}, {MIX_BLOCKS} "
                             f"blocks (token MLP {MIX_TOKENS_HIDDEN}, channel MLP "
                             f"{MIX_CHANNELS_HIDDEN}), LayerNorm, GELU",
                    "data": f"scikit-learn digits in [0, 1]: {MIX_TRAIN} train, {MIX_VAL} "
                            f"validation, {MIX_TEST} test images"}),
        FreshSweep("logreg_cancer_adagrad", quarter_decades(-2.5, 0.5),
                   LR_EPOCHS * -(-LR_TRAIN // LR_BATCH), logreg_run,
                   {"optimizer": "Adagrad", "batch_size": LR_BATCH, "fine_tune": False,
                    "clip": None, "warmup_steps": 0, "schedule": "constant", "classes": 2,
                    "loss": "binary cross-entropy", "epochs": LR_EPOCHS,
                    "logged": "once per epoch (mean training loss, validation loss)",
                    "model": "logistic regression 30-1 on standardized features",
                    "data": f"scikit-learn breast cancer: {LR_TRAIN} train, {LR_VAL} "
                            "validation, 86 test rows, standardized on the training rows"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"ft_email_lm_adamw": "llm_finetune", "mixer_digits_nesterov": "classifier",
                 "logreg_cancer_adagrad": "classifier"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """Round 15's manifest lines of a sweep (``fresh_sweeps8.tested_manifest_rows``)."""
    return tested_manifest_rows(sweep, commit, seed=SEED, script=SCRIPT,
                                corpus_family=CORPUS_FAMILY)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows,
        make_one=make)


if __name__ == "__main__":
    main()
