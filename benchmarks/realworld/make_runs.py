"""Train the runs made here: ``python -m benchmarks.realworld.make_runs [--family F] [--sweep S]``.

Each family is a few LR sweeps of one small model on text or data that ships with Python and
scikit-learn (see ``made_tasks.py``). Every sweep is spaced a quarter decade, so every other
point is a half-decade sweep and the full grid is the finer truth. Each run's CSV goes to the
cache (``benchmarks.realworld.cache_dir()``); its manifest line, labelled from the sweep by
``made_labels.py``, goes to ``manifest_made.jsonl`` and each sweep's losses to
``sweeps_made.json``. Running one family or sweep replaces only its own lines there.

Sizes were set by a measured budget, not by results: on one thread of the shared 2-core build
machine one step of the transformer (d_model 64, context 32, batch 16) took 43-67 ms of CPU, the
LSTM (hidden 64, batch 20, BPTT 35) 30 ms, and a process got 4-25% of a core; the whole plan
took 24 minutes of CPU (summed over its 59 runs), which is why the runs are short (1000 steps
for the LM). Cached runs live in ``made-runs/<commit>`` under the cache, so a rerun at the
same scripts only labels.
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import json
import math
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from benchmarks.realworld import HERE, cache_dir, read_csv
from benchmarks.realworld.made_labels import SweepPoint, label_sweep
from benchmarks.realworld.made_tasks import (VOCAB, CausalTransformer, GRULanguageModel,
                                             Logged, LSTMLanguageModel, TiedTransformer,
                                             mean_loss, python_docs, split, stdlib_code, train,
                                             warmup_cosine, warmup_linear, windows)

SEED = 0
SCRIPT = "benchmarks/realworld/make_runs.py"
SOURCES = ("make_runs.py", "made_tasks.py", "made_labels.py")
MANIFEST = HERE / "manifest_made.jsonl"
SWEEPS = HERE / "sweeps_made.json"
CORPUS_FAMILY = {"transformer_lm": "lm_pretrain", "finetune": "llm_finetune",
                 "lstm_clip": "rnn_lm", "mlp_sgdm": "classifier", "bigram_adam": "lm_pretrain",
                 "logreg_adam": "classifier", "gru_lm": "rnn_lm", "tied_lm": "lm_pretrain"}

# the transformer LM and its fine-tuning
D_MODEL, LAYERS, HEADS, CTX, BATCH = 64, 2, 4, 32, 16
LM_STEPS, LM_WARMUP, LM_CLIP = 1000, 50, 1.0  # warmup 5%; clip 1.0 as nanoGPT
EVAL_EVERY = 200
EVAL_BATCHES, EVAL_BATCH = 8, 64  # 16k held-out bytes per evaluation
PRETRAIN_LR = 10 ** -2.5  # fixed before any sweep ran, the usual peak for a model this small
FT_STEPS, FT_WARMUP, FT_CLIP = 400, 24, 1.0  # warmup 6%, clip 1.0: Hugging Face defaults
EVAL_EVERY_FT = 100

# the LSTM (PyTorch's word_language_model: SGD, lr 20, clip 0.25, BPTT 35, batch 20)
LSTM_SIZE, BPTT, LSTM_BATCH, LSTM_STEPS, LSTM_CLIP = 64, 35, 20, 600, 0.25
EVAL_EVERY_LSTM = 100

# the digits MLP
MLP_STEPS, MLP_BATCH, MLP_STEP_SIZE = 5000, 32, 2000  # StepLR: LR x0.1 every 2000 steps
MLP_VAL = 360
EVAL_EVERY_MLP = 250

# models whose capacity, not their LR, limits the loss (sweeps with a flat stretch)
BIGRAM_STEPS, LOGREG_STEPS, LOGREG_BATCH, LOGREG_L2 = 1500, 2000, 128, 1e-3
EVAL_EVERY_FLAT = 250

# a GRU and a weight-tied transformer LM, both AdamW with warmup and cosine decay (round 3's
# fresh held-out families for the diagnosis, made before its rules changed)
SMALL_LM_STEPS, SMALL_LM_WARMUP, GRU_SIZE, TIED_D_MODEL = 600, 30, 96, 48


def quarter_decades(lo: float, hi: float) -> list[float]:
    """LRs 10**lo … 10**hi a quarter decade apart."""
    n = round((hi - lo) / 0.25)
    return [round(10 ** (lo + 0.25 * k), 12) for k in range(n + 1)]


# -- one run of each kind --------------------------------------------------------------------


def lm_batches(model: nn.Module, stream: torch.Tensor, steps: int) -> Callable[[int], torch.Tensor]:
    g = torch.Generator().manual_seed(SEED)
    starts = torch.randint(0, stream.numel() - CTX - 1, (steps, BATCH), generator=g)

    def step_loss(i: int) -> torch.Tensor:
        x, y = windows(stream, starts[i], CTX)
        return F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
    return step_loss


def heldout_batches(stream: torch.Tensor, ctx: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(SEED + 1)
    starts = torch.randint(0, stream.numel() - ctx - 1, (EVAL_BATCHES, EVAL_BATCH), generator=g)
    return [windows(stream, s, ctx) for s in starts]


def lm_train(lr: float, warmup: int) -> tuple[Logged, nn.Module]:
    train_part, val_part = split(stdlib_code())
    torch.manual_seed(SEED)
    model = CausalTransformer(D_MODEL, LAYERS, HEADS, CTX)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    val = heldout_batches(val_part, CTX)
    log = train(model, opt, warmup_cosine(warmup, LM_STEPS), LM_STEPS,
                lm_batches(model, train_part, LM_STEPS), lambda: mean_loss(model, val),
                EVAL_EVERY, LM_CLIP)
    return log, model


def pretrained() -> dict:
    """The LM pretrained on stdlib code at PRETRAIN_LR, trained once and cached."""
    path = cache_dir() / f"made-pretrained-lm-{D_MODEL}x{LAYERS}-ctx{CTX}-{LM_STEPS}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name("made-pretrain.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker pretrains, the others wait for it
        if not path.exists():
            log, model = lm_train(PRETRAIN_LR, LM_WARMUP)
            print(f"pretrained at lr {PRETRAIN_LR:.3g}: eval loss {log.final_val:.4f}, "
                  f"{log.wall_s:.0f} s", flush=True)
            torch.save(model.state_dict(), path)
    return torch.load(path)


def finetune_run(lr: float) -> Logged:
    train_part, val_part = split(python_docs())
    torch.manual_seed(SEED)
    model = CausalTransformer(D_MODEL, LAYERS, HEADS, CTX)
    model.load_state_dict(pretrained())
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    val = heldout_batches(val_part, CTX)
    return train(model, opt, warmup_linear(FT_WARMUP, FT_STEPS), FT_STEPS,
                 lm_batches(model, train_part, FT_STEPS), lambda: mean_loss(model, val),
                 EVAL_EVERY_FT, FT_CLIP)


def lstm_run(lr: float, clip: float | None) -> Logged:
    """Truncated BPTT over BATCH contiguous streams, the hidden state carried across steps."""
    train_part, val_part = split(stdlib_code())
    streams = train_part[: train_part.numel() // LSTM_BATCH * LSTM_BATCH].view(LSTM_BATCH, -1)
    torch.manual_seed(SEED)
    model = LSTMLanguageModel(LSTM_SIZE)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    state = None

    def step_loss(i: int) -> torch.Tensor:
        nonlocal state
        pos = (i * BPTT) % (streams.shape[1] - BPTT - 1)
        x, y = streams[:, pos:pos + BPTT], streams[:, pos + 1:pos + 1 + BPTT]
        if state is not None:
            state = tuple(s.detach() for s in state)
        out, state = model(x, state)
        return F.cross_entropy(out.reshape(-1, VOCAB), y.reshape(-1))
    val = heldout_batches(val_part, 64)
    return train(model, opt, lambda i: 1.0, LSTM_STEPS, step_loss,
                 lambda: mean_loss(model, val), EVAL_EVERY_LSTM, clip)


def mlp_run(lr: float) -> Logged:
    """An MLP on scikit-learn's digits, batches drawn epoch by epoch, each image shifted by up
    to one pixel (so 5000 steps do not just memorise 1437 images)."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32).view(-1, 8, 8)
    y = torch.tensor(y)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(SEED))
    xtr, ytr = x[order[MLP_VAL:]], y[order[MLP_VAL:]]
    xva, yva = x[order[:MLP_VAL]].flatten(1), y[order[:MLP_VAL]]
    g = torch.Generator().manual_seed(SEED)
    per_epoch = len(ytr) // MLP_BATCH
    epochs = -(-MLP_STEPS // per_epoch)
    idx = torch.cat([torch.randperm(len(ytr), generator=g)[: per_epoch * MLP_BATCH]
                     for _ in range(epochs)]).view(-1, MLP_BATCH)
    shifts = torch.randint(-1, 2, (MLP_STEPS, 2), generator=g)
    torch.manual_seed(SEED)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)

    def step_loss(i: int) -> torch.Tensor:
        xb = torch.roll(xtr[idx[i]], tuple(shifts[i].tolist()), dims=(1, 2)).flatten(1)
        return F.cross_entropy(model(xb), ytr[idx[i]])
    return train(model, opt, lambda i: 0.1 ** (i // MLP_STEP_SIZE), MLP_STEPS, step_loss,
                 lambda: mean_loss(model, [(xva, yva)]), EVAL_EVERY_MLP, None)


def bigram_run(lr: float) -> Logged:
    """A byte bigram model (one table of next-byte logits) on the documentation text, Adam at
    a constant LR: its floor is the text's bigram entropy, which a wide range of LRs reaches."""
    train_part, val_part = split(python_docs())
    torch.manual_seed(SEED)
    model = nn.Embedding(VOCAB, VOCAB)
    nn.init.zeros_(model.weight)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    val = heldout_batches(val_part, CTX)
    return train(model, opt, lambda i: 1.0, BIGRAM_STEPS,
                 lm_batches(model, train_part, BIGRAM_STEPS), lambda: mean_loss(model, val),
                 EVAL_EVERY_FLAT, None)


def small_lm_run(model: nn.Module, lr: float) -> Logged:
    """A byte LM on stdlib code: AdamW, 5% warmup, cosine to 0.1x, clip 1.0 (nanoGPT's
    recipe), SMALL_LM_STEPS steps."""
    train_part, val_part = split(stdlib_code())
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    val = heldout_batches(val_part, CTX)
    return train(model, opt, warmup_cosine(SMALL_LM_WARMUP, SMALL_LM_STEPS), SMALL_LM_STEPS,
                 lm_batches(model, train_part, SMALL_LM_STEPS), lambda: mean_loss(model, val),
                 EVAL_EVERY_FT, LM_CLIP)


def gru_run(lr: float) -> Logged:
    torch.manual_seed(SEED)
    return small_lm_run(GRULanguageModel(GRU_SIZE), lr)


def tied_run(lr: float) -> Logged:
    torch.manual_seed(SEED)
    return small_lm_run(TiedTransformer(TIED_D_MODEL, LAYERS, HEADS, CTX), lr)


def logreg_run(lr: float) -> Logged:
    """L2-regularised logistic regression on scikit-learn's digits, Adam at a constant LR: a
    strongly convex loss with one minimum, which every LR that converges reaches."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(SEED))
    xtr, ytr = x[order[MLP_VAL:]], y[order[MLP_VAL:]]
    xva, yva = x[order[:MLP_VAL]], y[order[:MLP_VAL]]
    g = torch.Generator().manual_seed(SEED)
    idx = torch.randint(0, len(ytr), (LOGREG_STEPS, LOGREG_BATCH), generator=g)
    torch.manual_seed(SEED)
    model = nn.Linear(64, 10)
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def step_loss(i: int) -> torch.Tensor:
        fit = F.cross_entropy(model(xtr[idx[i]]), ytr[idx[i]])
        return fit + LOGREG_L2 * model.weight.pow(2).sum()
    return train(model, opt, lambda i: 1.0, LOGREG_STEPS, step_loss,
                 lambda: mean_loss(model, [(xva, yva)]), EVAL_EVERY_FLAT, None)


# -- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    id: str
    family: str  # the made family: transformer_lm | finetune | lstm_clip | mlp_sgdm
    lrs: list[float]
    steps: int
    run: Callable[[float], Logged]
    meta: dict  # what every run of the sweep shares; peak_lr is added per run


def plan() -> list[Sweep]:
    lm = {"optimizer": "AdamW", "batch_size": BATCH, "fine_tune": False, "clip": LM_CLIP,
          "classes": VOCAB, "log_every": 1, "weight_decay": 0.1, "betas": [0.9, 0.95],
          "model": f"pre-LN transformer d_model {D_MODEL}, {LAYERS} layers, {HEADS} heads, "
                   f"context {CTX}, bytes",
          "data": "Python standard library top-level .py files (bytes), last 5% held out"}
    lstm = {"optimizer": "SGD", "momentum": 0.0, "batch_size": LSTM_BATCH, "fine_tune": False,
            "classes": VOCAB, "warmup_steps": 0, "schedule": "constant", "log_every": 1,
            "model": f"2-layer LSTM, hidden {LSTM_SIZE}, dropout 0.2, BPTT {BPTT}, bytes",
            "data": "Python standard library top-level .py files (bytes), last 5% held out"}
    return [
        Sweep("made-mlp_sgdm", "mlp_sgdm", quarter_decades(-3.0, 0.5), MLP_STEPS, mlp_run,
              {"optimizer": "SGD", "momentum": 0.9, "weight_decay": 5e-4,
               "batch_size": MLP_BATCH, "fine_tune": False, "clip": None, "classes": 10,
               "warmup_steps": 0, "schedule": f"StepLR x0.1 every {MLP_STEP_SIZE} steps",
               "log_every": 1, "model": "MLP 64-128-128-10, ReLU",
               "data": f"scikit-learn digits, {MLP_VAL} held out, shifts of up to 1 pixel"}),
        Sweep("made-transformer_lm-warmup", "transformer_lm", quarter_decades(-3.0, -1.0),
              LM_STEPS, lambda lr: lm_train(lr, LM_WARMUP)[0],
              {**lm, "warmup_steps": LM_WARMUP, "schedule": "linear warmup, cosine to 0.1x"}),
        Sweep("made-lstm_clip-clip0.25", "lstm_clip", quarter_decades(0.0, 2.0), LSTM_STEPS,
              lambda lr: lstm_run(lr, LSTM_CLIP), {**lstm, "clip": LSTM_CLIP}),
        Sweep("made-finetune", "finetune", quarter_decades(-4.5, -1.25), FT_STEPS, finetune_run,
              {**lm, "fine_tune": True, "weight_decay": 0.01, "betas": [0.9, 0.999],
               "clip": FT_CLIP, "warmup_steps": FT_WARMUP, "schedule": "linear warmup, linear decay",
               "data": "pydoc_data documentation topics (English, bytes), last 5% held out",
               "pretrained": f"the transformer_lm model after {LM_STEPS} steps at lr "
                             f"{PRETRAIN_LR:.3g} with warmup on stdlib code"}),
        Sweep("made-lstm_clip-noclip", "lstm_clip", quarter_decades(0.0, 1.0), LSTM_STEPS,
              lambda lr: lstm_run(lr, None), {**lstm, "clip": None}),
        Sweep("made-transformer_lm-nowarmup", "transformer_lm", quarter_decades(-2.5, -1.0),
              LM_STEPS, lambda lr: lm_train(lr, 0)[0],
              {**lm, "warmup_steps": 0, "schedule": "cosine to 0.1x, no warmup"}),
        Sweep("made-bigram_adam", "bigram_adam", quarter_decades(-3.0, 0.0), BIGRAM_STEPS,
              bigram_run,
              {"optimizer": "Adam", "batch_size": BATCH, "fine_tune": False, "clip": None,
               "classes": VOCAB, "warmup_steps": 0, "schedule": "constant", "log_every": 1,
               "model": "byte bigram: a 256x256 table of next-byte logits, zero init",
               "data": "pydoc_data documentation topics (English, bytes), last 5% held out"}),
        Sweep("made-logreg_adam", "logreg_adam", quarter_decades(-3.5, 0.0), LOGREG_STEPS,
              logreg_run,
              {"optimizer": "Adam", "batch_size": LOGREG_BATCH, "fine_tune": False,
               "clip": None, "classes": 10, "warmup_steps": 0, "schedule": "constant",
               "log_every": 1, "model": f"logistic regression 64-10, L2 {LOGREG_L2}",
               "data": f"scikit-learn digits, {MLP_VAL} held out"}),
        Sweep("made-gru_lm", "gru_lm", quarter_decades(-3.5, -1.0), SMALL_LM_STEPS, gru_run,
              {**lm, "warmup_steps": SMALL_LM_WARMUP, "schedule": "linear warmup, cosine to 0.1x",
               "model": f"1-layer GRU, hidden {GRU_SIZE}, bytes"}),
        Sweep("made-tied_lm", "tied_lm", quarter_decades(-3.5, -1.5), SMALL_LM_STEPS, tied_run,
              {**lm, "warmup_steps": SMALL_LM_WARMUP, "schedule": "linear warmup, cosine to 0.1x",
               "model": f"pre-LN transformer d_model {TIED_D_MODEL}, {LAYERS} layers, "
                        f"{HEADS} heads, context {CTX}, bytes, head tied to the embedding "
                        "(default N(0, 1) init)"}),
    ]


# -- writing ---------------------------------------------------------------------------------


def lrwatch_commit() -> str:
    """The last commit of the scripts that make the runs (later commits, such as the manifest's
    own, leave them as they ran); refuses when they differ from it."""
    root = HERE.parents[1]
    sources = [str(HERE / s) for s in SOURCES]
    dirty = subprocess.run(["git", "status", "--porcelain", "--", *sources], cwd=root,
                           capture_output=True, text=True, check=True).stdout
    if dirty.strip():
        raise SystemExit("make_runs: commit benchmarks/realworld/made_*.py and make_runs.py "
                         "first, so the manifest's commit is the code that made the runs")
    return subprocess.run(["git", "log", "-1", "--format=%H", "--", *sources], cwd=root,
                          capture_output=True, text=True, check=True).stdout.strip()


def run_id(sweep: Sweep, lr: float) -> str:
    return f"{sweep.id}-lr{lr:.3g}"


def write_run(root: Path, rid: str, log: Logged, by_epoch: bool = False) -> None:
    """The run's CSV, and beside it what the CSV has no column for (the eval loss before the
    first step, the run's time), so a later call can label the sweep without retraining.
    ``by_epoch``: the rows are epochs, and an ``epoch`` column equal to ``step`` says so (as
    lrwatch's readers read a Keras CSVLogger file)."""
    with (root / f"{rid}.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["step", *(["epoch"] if by_epoch else []), "loss", "lr", "grad_norm",
                    "val_loss"])
        for step, loss, lr, gn in log.rows:
            val = log.val.get(step)
            w.writerow([step, *([step] if by_epoch else []), repr(loss), repr(lr), repr(gn),
                        "" if val is None else repr(val)])
    (root / f"{rid}.json").write_text(json.dumps(
        {"val0": log.val0, "wall_s": log.wall_s, "cpu_s": log.cpu_s}))


def read_run(root: Path, rid: str) -> Logged | None:
    """A run made before (by this commit's code, perhaps in a worker), else None."""
    csv_path, extra_path = root / f"{rid}.csv", root / f"{rid}.json"
    if not (csv_path.exists() and extra_path.exists()):
        return None
    cols = read_csv(csv_path)
    extra = json.loads(extra_path.read_text())
    steps = cols["step"].astype(int).tolist()
    log = Logged(rows=list(zip(steps, cols["loss"].tolist(), cols["lr"].tolist(),
                               cols["grad_norm"].tolist())),
                 val={s: v for s, v in zip(steps, cols["val_loss"].tolist()) if not math.isnan(v)},
                 val0=extra["val0"], wall_s=extra["wall_s"], cpu_s=extra["cpu_s"])
    last = log.rows[-1]
    finished = steps[-1] in log.val or not (math.isfinite(last[1]) and math.isfinite(last[3]))
    return log if finished else None


def train_sweep(sweep: Sweep, commit: str, worker: bool = False) -> list[Logged]:
    """The runs of a sweep, reusing those this commit already made. A worker trains only the
    runs no other worker has claimed (several share the plan) and returns none."""
    root = cache_dir() / "made-runs" / commit[:12]
    root.mkdir(parents=True, exist_ok=True)
    logs = []
    for lr in sweep.lrs:
        rid = run_id(sweep, lr)
        log = read_run(root, rid)
        if log is None:
            if worker:
                try:
                    os.close(os.open(root / f"{rid}.claim", os.O_CREAT | os.O_EXCL))
                except FileExistsError:
                    continue
            log = sweep.run(lr)
            write_run(root, rid, log)
            print(f"{rid}: {len(log.rows)} steps, eval {log.val0:.3f} -> {log.final_val:.4f}, "
                  f"wall {log.wall_s:.0f} s, cpu {log.cpu_s:.0f} s", flush=True)
        logs.append(log)
    return [] if worker else logs


def run_sweep(sweep: Sweep, commit: str) -> tuple[list[dict], dict]:
    """Train (or find) every LR of a sweep; its manifest lines and its sweeps_made.json entry."""
    logs = train_sweep(sweep, commit)
    points, timings = [], []
    for lr, log in zip(sweep.lrs, logs):
        made = cache_dir() / "made-runs" / commit[:12] / f"{run_id(sweep, lr)}.csv"
        shutil.copyfile(made, cache_dir() / f"{run_id(sweep, lr)}.csv")
        losses = np.array([r[1] for r in log.rows])
        nonfinite = not np.isfinite(losses).all() or not math.isfinite(log.final_val)
        points.append(SweepPoint(lr, log.final_val, log.val0, losses, nonfinite))
        timings.append(round(log.wall_s, 1))
    best, labels = label_sweep(points, sweep.steps)
    rows = [{"id": run_id(sweep, p.lr), "repo": f"lrwatch-made/{sweep.family}", "commit": commit,
             "path": SCRIPT, "format": "made", "family": CORPUS_FAMILY[sweep.family],
             "meta": {**sweep.meta, "peak_lr": p.lr, "steps": sweep.steps, "seed": SEED,
                      "python": platform.python_version(), "torch": torch.__version__},
             "label": lab, "sweep": sweep.id}
            for p, lab in zip(points, labels)]
    finals = [p.final if math.isfinite(p.final) else None for p in points]
    coarse = [i for i, lr in enumerate(sweep.lrs) if abs(2 * math.log10(lr) - round(2 * math.log10(lr))) < 1e-6]
    coarse_best = min(coarse, key=lambda i: points[i].final)
    summary = {"family": sweep.family, "steps": sweep.steps, "lrs": sweep.lrs,
               "final_eval_losses": finals, "best_lr": best,
               "coarse_lrs": [sweep.lrs[i] for i in coarse],
               "coarse_best_lr": sweep.lrs[coarse_best],
               "runs": [run_id(sweep, lr) for lr in sweep.lrs], "wall_s": timings}
    return rows, summary


def merge(sweep_id: str, rows: list[dict], summary: dict) -> None:
    """Replace one sweep's lines in the manifest and its entry in sweeps_made.json (locked:
    several sweeps may run at once)."""
    with open(cache_dir() / "made.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = [json.loads(l) for l in MANIFEST.read_text().splitlines() if l.strip()] \
            if MANIFEST.exists() else []
        kept = [r for r in old if r.get("sweep") != sweep_id]
        MANIFEST.write_text("".join(json.dumps(r) + "\n" for r in kept + rows))
        sweeps = json.loads(SWEEPS.read_text()) if SWEEPS.exists() else {}
        sweeps[sweep_id] = summary
        SWEEPS.write_text(json.dumps(dict(sorted(sweeps.items())), indent=1) + "\n")


def main(argv: list[str] | None = None) -> None:
    sweeps = plan()
    families = sorted({s.family for s in sweeps})
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--family", choices=families, help="only this family's sweeps")
    p.add_argument("--sweep", choices=[s.id for s in sweeps], help="only this sweep")
    p.add_argument("--worker", action="store_true", help="only train runs no other worker "
                   "has claimed (start several to share the plan); a later call labels")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    commit = lrwatch_commit()
    for sweep in sweeps:
        if args.family not in (None, sweep.family) or args.sweep not in (None, sweep.id):
            continue
        if args.worker:
            train_sweep(sweep, commit, worker=True)
            continue
        rows, summary = run_sweep(sweep, commit)
        merge(sweep.id, rows, summary)
        print(f"{sweep.id}: best lr {summary['best_lr']:.3g}, written", flush=True)


if __name__ == "__main__":
    main()
