"""Round 7's fresh held-out LR sweeps for the sweep reading (issues 12 and 14):
``python -m benchmarks.realworld.fresh_sweeps7 [--family F]``.

Three model families that no earlier sweep (the corpus tasks, the made runs, rounds 4 and 5)
has: a pre-norm transformer classifier on 2x2-pixel patches of digits with AdamW, warmup and
cosine decay (a small ViT); a 1-D CNN that tells which of eight standard-library modules a
window of bytes comes from, SGD with momentum and step decay; and a tanh (Elman) RNN byte LM
with Adagrad and gradient clipping. 13 quarter-decade LRs each, seed 3. Each LR range was
chosen before any run was made, from the usual range of its optimizer for a model this small
(AdamW's best near 1e-3-1e-2, SGD momentum's and Adagrad's near 1e-2-1e-1), wide enough to
span that guess by a decade both sides; none was changed after.

The machinery is round 4's (``fresh_sweeps.py``): each run's CSV goes to the cache as
``fresh-<family>-lr<lr>.csv``, ``sweeps_fresh7.json`` (committed) holds each sweep's LRs, the
eval loss before the first step and at the end (the truth) and each run's label from its place
in the sweep (``made_labels.label_sweep``). ``--manifest`` writes those labels, with their
reasons, as ``manifest_r7made.jsonl``: the ``round7-made`` side of the one-run diagnosis.

Sizes were set by a CPU budget (the whole plan under ~15 CPU minutes on one thread of the
shared machine), not by results.
"""

from __future__ import annotations

import math
import sysconfig
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.realworld import HERE, cache_dir
from benchmarks.realworld.fresh_sweeps import (FreshSweep, cli, digits, manifest_lines,
                                               run_id)
from benchmarks.realworld.made_labels import SweepPoint
from benchmarks.realworld.made_tasks import (VOCAB, Logged, mean_loss, split, stdlib_code,
                                             train, windows)
from benchmarks.realworld.make_runs import quarter_decades, read_run

SEED = 3  # not the seeds of earlier rounds (0 made runs, 1 round 4, 2 round 5)
OUT = HERE / "sweeps_fresh7.json"
MANIFEST = HERE / "manifest_r7made.jsonl"
SCRIPT = "benchmarks/realworld/fresh_sweeps7.py"
# eight of the largest top-level standard-library modules: the byte CNN's classes
MODULES = ("argparse", "doctest", "inspect", "pydoc", "subprocess", "tarfile", "typing",
           "zipfile")
MODULE_VAL = 0.1  # the tail of each module is held out
CNN_CTX = 128  # bytes per window the CNN classifies


# -- a small ViT on digits -------------------------------------------------------------------


class PatchTransformer(nn.Module):
    """A pre-LayerNorm transformer classifier (a ViT): an 8x8 digit as 16 patches of 2x2
    pixels, a class token, learned positions, ``layers`` blocks, a linear head."""

    def __init__(self, d_model: int = 32, layers: int = 2, heads: int = 4):
        super().__init__()
        self.embed = nn.Linear(4, d_model)
        self.cls = nn.Parameter(torch.zeros(1, 1, d_model))
        self.pos = nn.Parameter(0.02 * torch.randn(1, 17, d_model))
        block = nn.TransformerEncoderLayer(d_model, heads, 2 * d_model, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        patches = x.view(-1, 4, 2, 4, 2).permute(0, 1, 3, 2, 4).reshape(-1, 16, 4)
        h = self.embed(patches)
        h = torch.cat([self.cls.expand(len(h), -1, -1), h], 1) + self.pos
        return self.head(self.norm(self.blocks(h)[:, 0]))


def warmup_cosine_to_zero(warmup: int, total: int):
    """Linear warmup to the peak, then cosine decay to 0 (timm's ViT recipe shape)."""
    def factor(i: int) -> float:
        if i < warmup:
            return (i + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (i - warmup) / max(1, total - warmup)))
    return factor


def vit_run(lr: float) -> Logged:
    """The patch transformer, AdamW (weight decay 0.05), 60 warmup steps then cosine to 0,
    600 steps of 32 digits; the eval loss on round 4's 360 held-out digits."""
    xtr, ytr, xva, yva = digits()
    steps, batch = 600, 32
    idx = torch.randint(0, len(ytr), (steps, batch), generator=torch.Generator().manual_seed(SEED))
    torch.manual_seed(SEED)
    model = PatchTransformer()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)

    def step_loss(i: int) -> torch.Tensor:
        return F.cross_entropy(model(xtr[idx[i]]), ytr[idx[i]])
    return train(model, opt, warmup_cosine_to_zero(60, steps), steps, step_loss,
                 lambda: mean_loss(model, [(xva, yva)]), 100, None)


# -- a byte CNN telling standard-library modules apart ----------------------------------------


def module_streams() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Each of ``MODULES`` as bytes: its head to train on, its tail (``MODULE_VAL``) held out."""
    root = Path(sysconfig.get_paths()["stdlib"])
    out = []
    for name in MODULES:
        data = torch.frombuffer(bytearray((root / f"{name}.py").read_bytes()),
                                dtype=torch.uint8).long()
        cut = int(data.numel() * (1 - MODULE_VAL))
        out.append((data[:cut], data[cut:]))
    return out


def module_windows(streams: list[torch.Tensor], classes: torch.Tensor,
                   g: torch.Generator) -> torch.Tensor:
    """One random ``CNN_CTX``-byte window of the given class's stream per entry of ``classes``."""
    rows = []
    for c in classes.tolist():
        s = streams[c]
        start = int(torch.randint(0, s.numel() - CNN_CTX, (1,), generator=g))
        rows.append(s[start:start + CNN_CTX])
    return torch.stack(rows)


class ByteCNN(nn.Module):
    """Byte embeddings, two ReLU convolutions (kernel 5, a max-pool between), a global max pool
    and a linear head over the modules."""

    def __init__(self, emb: int = 16, width: int = 64, classes: int = len(MODULES)):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, emb)
        self.convs = nn.Sequential(nn.Conv1d(emb, width, 5, padding=2), nn.ReLU(),
                                   nn.MaxPool1d(2), nn.Conv1d(width, width, 5, padding=2),
                                   nn.ReLU())
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.convs(self.emb(x).transpose(1, 2)).amax(2))


def byte_cnn_run(lr: float) -> Logged:
    """The byte CNN, SGD with momentum 0.9 and weight decay 5e-4, the LR x0.1 at 50% and 75%
    of 800 steps of 32 windows; the eval loss on 64 fixed held-out windows per module."""
    streams = module_streams()
    steps, batch = 800, 32
    g = torch.Generator().manual_seed(SEED)
    classes = torch.randint(0, len(MODULES), (steps, batch), generator=g)
    batches = [module_windows([s[0] for s in streams], c, g) for c in classes]
    val_y = torch.arange(len(MODULES)).repeat_interleave(64)
    val_x = module_windows([s[1] for s in streams], val_y, g)
    torch.manual_seed(SEED)
    model = ByteCNN()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)

    def step_loss(i: int) -> torch.Tensor:
        return F.cross_entropy(model(batches[i]), classes[i])
    return train(model, opt, lambda i: 0.1 ** ((i >= steps // 2) + (i >= 3 * steps // 4)),
                 steps, step_loss, lambda: mean_loss(model, [(val_x, val_y)]), 100, None)


# -- an Elman RNN byte LM with Adagrad --------------------------------------------------------


class ElmanLM(nn.Module):
    """A one-layer tanh RNN byte LM returning the logits only."""

    def __init__(self, size: int = 128):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, size)
        self.rnn = nn.RNN(size, size, batch_first=True)
        self.head = nn.Linear(size, VOCAB)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(self.emb(x))[0])


def rnn_adagrad_run(lr: float) -> Logged:
    """The Elman LM on stdlib code, Adagrad at a constant LR, gradients clipped at 1.0, 500
    steps of 16 windows of 48 bytes; the eval loss on 4 x 64 windows of the held-out tail."""
    train_part, val_part = split(stdlib_code())
    ctx, steps = 48, 500
    g = torch.Generator().manual_seed(SEED)
    starts = torch.randint(0, train_part.numel() - ctx - 1, (steps, 16), generator=g)
    val = [windows(val_part, s, ctx) for s in
           torch.randint(0, val_part.numel() - ctx - 1, (4, 64), generator=g)]
    torch.manual_seed(SEED)
    model = ElmanLM()
    opt = torch.optim.Adagrad(model.parameters(), lr=lr)

    def step_loss(i: int) -> torch.Tensor:
        x, y = windows(train_part, starts[i], ctx)
        return F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
    return train(model, opt, lambda i: 1.0, steps, step_loss, lambda: mean_loss(model, val),
                 100, 1.0)


# -- the plan --------------------------------------------------------------------------------


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("vit_digits_adamw", quarter_decades(-4.0, -1.0), 600, vit_run,
                   {"optimizer": "AdamW", "weight_decay": 0.05, "batch_size": 32,
                    "fine_tune": False, "clip": None, "classes": 10, "warmup_steps": 60,
                    "schedule": "linear warmup 60, cosine to 0",
                    "model": "pre-norm transformer classifier, 16 patches of 2x2, d 32, 2 layers",
                    "data": "scikit-learn digits, 360 held out"}),
        FreshSweep("byte_cnn_sgdm", quarter_decades(-3.0, 0.0), 800, byte_cnn_run,
                   {"optimizer": "SGD", "momentum": 0.9, "weight_decay": 0.0005,
                    "batch_size": 32, "fine_tune": False, "clip": None, "classes": len(MODULES),
                    "warmup_steps": 0, "schedule": "x0.1 at 50% and 75% of the steps",
                    "model": "byte CNN, embedding 16, two convs of 64, global max pool",
                    "data": "128-byte windows of 8 stdlib modules, the last 10% held out"}),
        FreshSweep("rnn_lm_adagrad", quarter_decades(-3.0, 0.0), 500, rnn_adagrad_run,
                   {"optimizer": "Adagrad", "batch_size": 16, "fine_tune": False, "clip": 1.0,
                    "classes": VOCAB, "warmup_steps": 0, "schedule": "constant",
                    "model": "1-layer tanh RNN, hidden 128, bytes",
                    "data": "Python standard library top-level .py files (bytes), "
                            "last 5% held out"}),
    ]


# the corpus family of each sweep's runs in the diagnosis manifest
CORPUS_FAMILY = {"vit_digits_adamw": "classifier", "byte_cnn_sgdm": "classifier",
                 "rnn_lm_adagrad": "rnn_lm"}


def manifest_rows(sweep: FreshSweep, commit: str) -> list[dict]:
    """The manifest lines of a sweep made before: each run labelled from its place in the
    sweep, with the reason; refuses when a run is not in the cache."""
    points = []
    for lr in sweep.lrs:
        log = read_run(cache_dir(), run_id(sweep, lr))
        if log is None:
            raise SystemExit(f"fresh_sweeps7: {run_id(sweep, lr)} is not in the cache "
                             f"({cache_dir()}); make the sweep first (drop --manifest)")
        losses = np.array([r[1] for r in log.rows])
        points.append(SweepPoint(lr, log.final_val, log.val0, losses,
                                 not np.isfinite(losses).all() or not math.isfinite(log.final_val)))
    return manifest_lines(sweep, points, commit, seed=SEED, script=SCRIPT,
                          corpus_family=CORPUS_FAMILY[sweep.family])


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv, manifest=MANIFEST, rows_of=manifest_rows)


if __name__ == "__main__":
    main()
