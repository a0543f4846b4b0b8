"""Fresh held-out LR sweeps for the sweep reading (issue 14, round 4):
``python -m benchmarks.realworld.fresh_sweeps [--family F]``.

Six model families none of the earlier sweeps has (a digits CNN with Nesterov SGD and cosine
decay, a Bengio-style byte MLP language model with plain SGD, a regression MLP with RMSprop on
a teacher network's outputs, a causal dilated-conv byte LM with AdamW, warmup and cosine decay,
a digits autoencoder with Adam and step decay, a one-layer transformer LM with SGD momentum),
each on a quarter-decade LR grid: every other point is a half-decade sweep, every fourth a
one-decade sweep, the full grid the finer truth. They were made before the sweep
rules of this round changed, and are read once, with the rules frozen.

Each run's CSV goes to the cache (``fresh-<family>-lr<lr>.csv``, the format of
``make_runs.py``); ``sweeps_fresh.json`` (committed) holds each sweep's LRs, final eval losses,
the eval loss before the first step and each run's label from its place in the sweep
(``made_labels.label_sweep``). No manifest line is written: these runs are the sweep
benchmark's held-out side only, not the diagnosis corpus's.

Sizes were set by a CPU budget (the whole plan under ~30 CPU minutes on the shared machine),
not by results.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import math
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.realworld import HERE, cache_dir
from benchmarks.realworld.made_labels import SweepPoint, label_sweep
from benchmarks.realworld.made_tasks import (VOCAB, CausalTransformer, Logged, mean_loss,
                                             python_docs, split, stdlib_code, train,
                                             warmup_cosine, windows)
from benchmarks.realworld.make_runs import quarter_decades, read_run, write_run

SEED = 1  # not the made runs' seed 0: fresh batches and initialisations
OUT = HERE / "sweeps_fresh.json"
DIGITS_VAL = 360


def digits() -> tuple[torch.Tensor, ...]:
    """scikit-learn's digits as 8x8 images in [0, 1]: train and held-out images and labels."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32).view(-1, 1, 8, 8)
    y = torch.tensor(y)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(SEED))
    train_i, val_i = order[DIGITS_VAL:], order[:DIGITS_VAL]
    return x[train_i], y[train_i], x[val_i], y[val_i]


def cnn_run(lr: float) -> Logged:
    """A two-conv CNN on digits, SGD with Nesterov momentum 0.9, cosine decay to 0, 1200 steps
    of batch 32."""
    xtr, ytr, xva, yva = digits()
    steps, batch = 1200, 32
    g = torch.Generator().manual_seed(SEED)
    idx = torch.randint(0, len(ytr), (steps, batch), generator=g)
    torch.manual_seed(SEED)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(32 * 16, 10))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True)

    def step_loss(i: int) -> torch.Tensor:
        return F.cross_entropy(model(xtr[idx[i]]), ytr[idx[i]])
    return train(model, opt, lambda i: 0.5 * (1 + math.cos(math.pi * i / steps)), steps,
                 step_loss, lambda: mean_loss(model, [(xva, yva)]), 200, None)


class ByteMLP(nn.Module):
    """Bengio et al.'s neural LM on bytes: the last ``ctx`` bytes' embeddings, one tanh layer."""

    def __init__(self, ctx: int = 6, emb: int = 16, hidden: int = 128):
        super().__init__()
        self.ctx = ctx
        self.emb = nn.Embedding(VOCAB, emb)
        self.hidden = nn.Linear(ctx * emb, hidden)
        self.head = nn.Linear(hidden, VOCAB)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.hidden(self.emb(x).flatten(1))))


def byte_mlp_run(lr: float) -> Logged:
    """The byte MLP on the documentation text, plain SGD at a constant LR, 1500 steps of 64."""
    train_part, val_part = split(python_docs())
    ctx, steps, batch = 6, 1500, 64
    g = torch.Generator().manual_seed(SEED)
    starts = torch.randint(0, train_part.numel() - ctx - 1, (steps, batch), generator=g)
    vstarts = torch.randint(0, val_part.numel() - ctx - 1, (4096,), generator=g)
    vx, vy = windows(val_part, vstarts, ctx)
    torch.manual_seed(SEED)
    model = ByteMLP(ctx)
    opt = torch.optim.SGD(model.parameters(), lr=lr)

    def step_loss(i: int) -> torch.Tensor:
        x, y = windows(train_part, starts[i], ctx)
        return F.cross_entropy(model(x), y[:, -1])
    return train(model, opt, lambda i: 1.0, steps, step_loss,
                 lambda: mean_loss(model, [(vx, vy[:, -1])]), 250, None)


def regression_run(lr: float) -> Logged:
    """An MLP 16-64-64-1 fitting a fixed random tanh teacher plus noise (MSE), RMSprop at a
    constant LR, 1500 steps of 64; the eval loss is on 2000 fresh inputs."""
    steps, batch, dim = 1500, 64, 16
    g = torch.Generator().manual_seed(SEED)
    w1, w2 = torch.randn(dim, 32, generator=g) / 4, torch.randn(32, 1, generator=g) / 3
    x = torch.randn(steps * batch + 2000, dim, generator=g)
    y = torch.tanh(x @ w1) @ w2 + 0.1 * torch.randn(len(x), 1, generator=g)
    xva, yva = x[-2000:], y[-2000:]
    torch.manual_seed(SEED)
    model = nn.Sequential(nn.Linear(dim, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 1))
    opt = torch.optim.RMSprop(model.parameters(), lr=lr)

    def step_loss(i: int) -> torch.Tensor:
        sl = slice(i * batch, (i + 1) * batch)
        return F.mse_loss(model(x[sl]), y[sl])

    @torch.no_grad()
    def evaluate() -> float:
        model.eval()
        return float(F.mse_loss(model(xva), yva))
    return train(model, opt, lambda i: 1.0, steps, step_loss, evaluate, 250, None)


class ConvLM(nn.Module):
    """A causal dilated 1-D convolution byte LM (WaveNet-like, no gates): 3 layers, width 64,
    dilations 1, 2, 4, residual, kernel 2."""

    def __init__(self, width: int = 64):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, width)
        self.convs = nn.ModuleList(nn.Conv1d(width, width, 2, dilation=d) for d in (1, 2, 4))
        self.head = nn.Linear(width, VOCAB)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.emb(x).transpose(1, 2)
        for conv in self.convs:
            h = h + F.relu(conv(F.pad(h, (conv.dilation[0], 0))))
        return self.head(h.transpose(1, 2))


def byte_lm_run(stream: torch.Tensor, make_model: Callable[[], nn.Module],
                make_opt: Callable[[nn.Module], torch.optim.Optimizer], warmup: int, steps: int,
                ctx: int) -> Logged:
    """A byte LM on a stream's head, batches of 16 windows of ``ctx`` bytes, warmup then cosine
    to 0.1x, clip 1.0; the eval loss on 4 x 64 windows of its tail."""
    train_part, val_part = split(stream)
    g = torch.Generator().manual_seed(SEED)
    starts = torch.randint(0, train_part.numel() - ctx - 1, (steps, 16), generator=g)
    val = [windows(val_part, s, ctx) for s in
           torch.randint(0, val_part.numel() - ctx - 1, (4, 64), generator=g)]
    torch.manual_seed(SEED)
    model = make_model()
    opt = make_opt(model)

    def step_loss(i: int) -> torch.Tensor:
        x, y = windows(train_part, starts[i], ctx)
        return F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
    return train(model, opt, warmup_cosine(warmup, steps), steps, step_loss,
                 lambda: mean_loss(model, val), 100, 1.0)


def conv_lm_run(lr: float) -> Logged:
    """The conv LM on stdlib code, AdamW (weight decay 0.01), 5% warmup, cosine to 0.1x, clip
    1.0, 600 steps of 16 windows of 64 bytes."""
    return byte_lm_run(stdlib_code(), ConvLM,
                       lambda m: torch.optim.AdamW(m.parameters(), lr=lr, weight_decay=0.01),
                       30, 600, 64)


def autoencoder_run(lr: float) -> Logged:
    """A digits autoencoder 64-32-8-32-64 (MSE on the pixels), Adam with the LR halved every
    500 steps, 1500 steps of 64."""
    xtr, _, xva, _ = digits()
    xtr, xva = xtr.flatten(1), xva.flatten(1)
    steps, batch = 1500, 64
    g = torch.Generator().manual_seed(SEED)
    idx = torch.randint(0, len(xtr), (steps, batch), generator=g)
    torch.manual_seed(SEED)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 8), nn.ReLU(),
                          nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 64))
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def step_loss(i: int) -> torch.Tensor:
        return F.mse_loss(model(xtr[idx[i]]), xtr[idx[i]])

    @torch.no_grad()
    def evaluate() -> float:
        model.eval()
        return float(F.mse_loss(model(xva), xva))
    return train(model, opt, lambda i: 0.5 ** (i // 500), steps, step_loss, evaluate, 250, None)


def transformer_sgd_run(lr: float) -> Logged:
    """A one-layer transformer byte LM (d_model 32, context 32) trained with SGD momentum 0.9,
    warmup 20, cosine to 0.1x, clip 1.0, 400 steps of 16 windows, on the documentation text."""
    return byte_lm_run(python_docs(), lambda: CausalTransformer(32, 1, 4, 32),
                       lambda m: torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9),
                       20, 400, 32)


@dataclass(frozen=True)
class FreshSweep:
    family: str
    lrs: list[float]
    steps: int
    run: Callable[[float], Any]  # a Logged (rounds 4-7); round 8's also carries a test loss
    meta: dict  # what the sweep reading may be told (optimizer, schedule, model)


def plan() -> list[FreshSweep]:
    return [
        FreshSweep("cnn_nesterov", quarter_decades(-3.0, 1.0), 1200, cnn_run,
                   {"optimizer": "SGD", "momentum": 0.9, "schedule": "cosine to 0",
                    "model": "CNN conv16-conv32-pool-linear, digits"}),
        FreshSweep("byte_mlp_sgd", quarter_decades(-2.0, 2.0), 1500, byte_mlp_run,
                   {"optimizer": "SGD", "momentum": 0.0, "schedule": "constant",
                    "model": "Bengio MLP LM, 6 bytes x 16, tanh 128, pydoc text"}),
        FreshSweep("regression_rmsprop", quarter_decades(-4.5, -0.5), 1500, regression_run,
                   {"optimizer": "RMSprop", "schedule": "constant",
                    "model": "MLP 16-64-64-1, MSE on a tanh teacher + noise"}),
        FreshSweep("conv_lm_adamw", quarter_decades(-3.5, -0.5), 600, conv_lm_run,
                   {"optimizer": "AdamW", "schedule": "warmup 30, cosine to 0.1x", "clip": 1.0,
                    "model": "causal dilated conv LM, width 64, stdlib code"}),
        FreshSweep("autoencoder_adam", quarter_decades(-4.0, 0.0), 1500, autoencoder_run,
                   {"optimizer": "Adam", "schedule": "x0.5 every 500 steps",
                    "model": "autoencoder 64-32-8-32-64, MSE, digits"}),
        FreshSweep("transformer_sgd", quarter_decades(-2.5, 0.5), 400, transformer_sgd_run,
                   {"optimizer": "SGD", "momentum": 0.9, "clip": 1.0,
                    "schedule": "warmup 20, cosine to 0.1x",
                    "model": "1-layer transformer LM d_model 32, pydoc text"}),
    ]


def run_id(sweep: FreshSweep, lr: float) -> str:
    return f"fresh-{sweep.family}-lr{lr:.3g}"


def make(sweep: FreshSweep) -> dict:
    """Train (or find in the cache) every run of a sweep; its summary for sweeps_fresh.json."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    points, cpu = [], []
    for lr in sweep.lrs:
        rid = run_id(sweep, lr)
        log = read_run(root, rid)
        if log is None:
            log = sweep.run(lr)
            write_run(root, rid, log)
            print(f"{rid}: {len(log.rows)} steps, eval {log.val0:.4f} -> {log.final_val:.4f}, "
                  f"cpu {log.cpu_s:.0f} s", flush=True)
        losses = np.array([r[1] for r in log.rows])
        points.append(SweepPoint(lr, log.final_val, log.val0, losses,
                                 not np.isfinite(losses).all() or not math.isfinite(log.final_val)))
        cpu.append(round(log.cpu_s, 1))
    return summary(sweep, points, cpu)


def summary(sweep: FreshSweep, points: list[SweepPoint], cpu: list[float], **extra) -> dict:
    """A sweep's entry in its round's JSON: LRs, runs, final and starting losses (the truth),
    each run's label from its place in the sweep, the best LR, each run's CPU seconds."""
    best, labels = label_sweep(points, sweep.steps)
    return {"family": sweep.family, "steps": sweep.steps, "meta": sweep.meta, "lrs": sweep.lrs,
            "runs": [run_id(sweep, lr) for lr in sweep.lrs], **extra,
            "final_eval_losses": [p.final if math.isfinite(p.final) else None for p in points],
            "start_eval_losses": [p.start for p in points],
            "labels": [lab["status"] for lab in labels], "best_lr": best, "cpu_s": cpu}


def manifest_lines(sweep: FreshSweep, points: list[SweepPoint], commit: str, *, seed: int,
                   script: str, corpus_family: str) -> list[dict]:
    """The one-run diagnosis manifest lines of a sweep made before: each run labelled from its
    place in the sweep (``made_labels.label_sweep``), with the reason and how it was made."""
    _, labels = label_sweep(points, sweep.steps)
    return [{"id": run_id(sweep, p.lr), "repo": f"lrwatch-made/{sweep.family}", "commit": commit,
             "path": script, "format": "made", "family": corpus_family,
             "meta": {**sweep.meta, "peak_lr": p.lr, "steps": sweep.steps, "seed": seed,
                      "python": platform.python_version(), "torch": torch.__version__},
             "label": lab, "sweep": f"fresh-{sweep.family}"}
            for p, lab in zip(points, labels)]


def make_all(sweeps: list[FreshSweep], out: Path, family: str | None,
             make_one: Callable[[FreshSweep], dict] = make) -> None:
    """Make ``sweeps`` (or only ``family``'s) with ``make_one`` and file each summary in ``out``
    under ``fresh-<family>``; families may run in parallel processes (a lock guards the file)."""
    torch.set_num_threads(1)
    for sweep in sweeps:
        if family in (None, sweep.family):
            summary = make_one(sweep)
            with open(cache_dir() / "fresh.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                done = json.loads(out.read_text()) if out.exists() else {}
                done[f"fresh-{sweep.family}"] = summary
                out.write_text(json.dumps(dict(sorted(done.items())), indent=1) + "\n")
            print(f"{sweep.family}: best lr {summary['best_lr']:.3g}", flush=True)


def cli(sweeps: list[FreshSweep], out: Path, description: str,
        argv: list[str] | None = None, *, manifest: Path | None = None,
        rows_of: Callable[[FreshSweep, str], list[dict]] | None = None,
        make_one: Callable[[FreshSweep], dict] = make) -> None:
    """``[--family F]``: make ``sweeps`` (or one family) into ``out`` with ``make_one``. Given a
    ``manifest`` path, ``--manifest COMMIT`` writes it instead, from the cached runs: the lines
    ``rows_of(sweep, COMMIT)`` of every sweep."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--family", choices=[s.family for s in sweeps], help="only this family")
    if manifest is not None:
        p.add_argument("--manifest", metavar="COMMIT",
                       help=f"write {manifest.name} from the cached runs, naming COMMIT as the "
                            "generator's commit that made them")
    args = p.parse_args(argv)
    if manifest is not None and rows_of is not None and args.manifest:
        rows = [row for s in sweeps for row in rows_of(s, args.manifest)]
        manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
        return
    make_all(sweeps, out, args.family, make_one)


def main(argv: list[str] | None = None) -> None:
    cli(plan(), OUT, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
