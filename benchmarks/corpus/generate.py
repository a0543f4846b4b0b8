"""Generate the labeled corpus of real training runs: ``python -m benchmarks.corpus.generate``.

Each *sweep* trains one small model on one task with one optimizer (and schedule, batch size)
over a grid of learning rates spanning many decades, with Lightning, its ``CSVLogger`` logging
every step (``train_loss``, ``LearningRateMonitor``'s ``lr-<Optimizer>``, and the total gradient
norm from ``lightning.pytorch.utilities.grad_norm``). The curves are read back from each run's
``metrics.csv`` and every run is labeled from its own sweep (see :func:`label_sweep`). Only a
compact cache is kept: ``benchmarks/corpus/runs.npz`` (float32 curves + labels).

Cost: about 1200 runs of 300 steps (1200 for sweeps that need longer, see :func:`run_sweep`) on
CPU; run it with ``nice`` on a shared machine. ``--tasks`` and ``--jobs`` narrow or parallelise
it (``--tasks`` trains those tasks into the existing cache and keeps the other tasks' sweeps);
``--sweeps NAME ...`` retrains only those sweeps into the existing cache, and ``--relabel``
recomputes the labels of the cache without training.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import math
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from benchmarks.corpus import CACHE, HELDOUT_TASKS, TUNE_TASKS, UNLABELABLE

STEPS = 300
# A sweep whose best run does not halve the whole-training-set loss in STEPS has not shown what a
# good LR does: it is trained again with LONG_STEPS, and left unlabeled if that is still not enough.
LONG_STEPS = 4 * STEPS
MEANINGFUL = 0.5
SEED = 1234

# LR grids, in half decades: wide enough that every sweep has runs that stall and runs that blow up.
GRIDS = {
    "SGD": [10 ** (e / 2) for e in range(-8, 4)],  # 1e-4 .. 31.6
    "SGDm": [10 ** (e / 2) for e in range(-9, 3)],  # 3e-5 .. 10
    "Adam": [10 ** (e / 2) for e in range(-11, 2)],  # 3e-6 .. 3.16
    "AdamW": [10 ** (e / 2) for e in range(-11, 2)],
}



@dataclass(frozen=True)
class SweepSpec:
    task: str
    optimizer: str  # "SGD", "SGDm" (momentum 0.9), "Adam", "AdamW"
    schedule: str = "constant"  # or "warmup_cosine"
    batch_size: int = 32
    steps: int = STEPS

    @property
    def name(self) -> str:
        return f"{self.task}/{self.optimizer}/{self.schedule}/bs{self.batch_size}"


def sweeps_for(tasks: list[str]) -> list[SweepSpec]:
    specs = []
    for task in tasks:
        specs += [SweepSpec(task, opt) for opt in GRIDS]
        specs += [SweepSpec(task, "SGDm", "warmup_cosine"),
                  SweepSpec(task, "AdamW", "warmup_cosine")]
        specs += [SweepSpec(task, "SGD", batch_size=8), SweepSpec(task, "Adam", batch_size=8)]
    return specs


# --------------------------------------------------------------------------- data and models
def make_task(task: str):  # type: ignore[no-untyped-def]
    """(inputs, targets, model factory, loss name) for a task; all data is local."""
    import torch
    from sklearn.datasets import (load_breast_cancer, load_diabetes, load_digits,
                                  make_classification, make_friedman1, make_friedman2,
                                  make_moons, make_regression)
    from torch import nn

    class LastStepHead(nn.Module):
        """A one-feature sequence read by a recurrent layer; a linear head on its last step."""

        def __init__(self, rnn: type[nn.Module], hidden: int, outputs: int) -> None:
            super().__init__()
            self.rnn = rnn(1, hidden, batch_first=True)
            self.head = nn.Linear(hidden, outputs)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.rnn(x)[0][:, -1])

    rng = np.random.default_rng(SEED)
    if task.startswith("digits"):
        x, y = load_digits(return_X_y=True)
        x = (x - x.mean(0)) / (x.std(0) + 1e-6)
        xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
        if task == "digits_mlp":
            return xt, yt, lambda: nn.Sequential(
                nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)), "ce"
        if task == "digits_logreg":
            return xt, yt, lambda: nn.Linear(64, 10), "ce"
        if task == "digits_tanh_deep":
            def deep() -> nn.Module:
                layers: list[nn.Module] = []
                width = 64
                for _ in range(5):
                    layers += [nn.Linear(width, 32), nn.Tanh()]
                    width = 32
                return nn.Sequential(*layers, nn.Linear(32, 10))
            return xt, yt, deep, "ce"
        if task == "digits_cnn":
            return xt.reshape(-1, 1, 8, 8), yt, lambda: nn.Sequential(
                nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Conv2d(8, 16, 3), nn.ReLU(), nn.Flatten(),
                nn.Linear(16 * 4 * 4, 10)), "ce"
        if task == "digits_rescnn":
            class ResCNN(nn.Module):
                """A stem convolution, one residual block of two 3x3 convolutions, a pooled head."""

                def __init__(self) -> None:
                    super().__init__()
                    self.stem = nn.Conv2d(1, 12, 3, padding=1)
                    self.conv1 = nn.Conv2d(12, 12, 3, padding=1)
                    self.conv2 = nn.Conv2d(12, 12, 3, padding=1)
                    self.head = nn.Linear(12 * 2 * 2, 10)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    h = torch.relu(self.stem(x))
                    h = torch.relu(h + self.conv2(torch.relu(self.conv1(h))))
                    return self.head(nn.functional.adaptive_avg_pool2d(h, 2).flatten(1))

            return xt.reshape(-1, 1, 8, 8), yt, ResCNN, "ce"
        if task == "digits_autoencoder":
            return xt, xt, lambda: nn.Sequential(
                nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 12), nn.ReLU(), nn.Linear(12, 32),
                nn.ReLU(), nn.Linear(32, 64)), "mse"
    if task == "friedman_mlp":
        x, y = make_friedman1(n_samples=2000, n_features=10, noise=0.5, random_state=SEED)
        y = (y - y.mean()) / y.std()
        return (torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)[:, None],
                lambda: nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                                      nn.Linear(64, 1)), "mse")
    if task == "blobs_bn_mlp":
        x, y = make_classification(n_samples=2000, n_features=20, n_informative=10, n_classes=4,
                                   n_clusters_per_class=2, random_state=SEED)
        return (torch.tensor(x, dtype=torch.float32), torch.tensor(y),
                lambda: nn.Sequential(nn.Linear(20, 64), nn.BatchNorm1d(64), nn.ReLU(),
                                      nn.Linear(64, 4)), "ce")
    if task == "seq_gru":
        # label: which quarter of the sequence holds the largest value (needs memory over time)
        seqs = rng.normal(size=(2000, 16, 1)).astype(np.float32)
        labels = np.argmax(seqs[:, :, 0], axis=1) // 4
        return (torch.tensor(seqs), torch.tensor(labels),
                functools.partial(LastStepHead, nn.GRU, 24, 4), "ce")
    if task == "signal_cnn1d":
        # which waveform (sine, square, sawtooth, triangle) at a random frequency and phase, in noise
        n, length = 2000, 64
        kind = rng.integers(0, 4, n)
        t = np.arange(length) / length
        phase = (rng.uniform(2, 6, (n, 1)) * t + rng.uniform(0, 1, (n, 1))) % 1.0
        waves = np.stack([np.sin(2 * np.pi * phase), np.sign(np.sin(2 * np.pi * phase)),
                          2 * phase - 1, 4 * np.abs(phase - 0.5) - 1])
        signal = waves[kind, np.arange(n)] + rng.normal(0, 0.3, (n, length))
        return (torch.tensor(signal[:, None, :], dtype=torch.float32), torch.tensor(kind),
                lambda: nn.Sequential(
                    nn.Conv1d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
                    nn.Conv1d(8, 16, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(4),
                    nn.Flatten(), nn.Linear(64, 4)), "ce")
    if task == "moons_gelu_deep":
        x, y = make_moons(n_samples=2000, noise=0.25, random_state=SEED)

        def gelu_deep() -> nn.Module:
            layers: list[nn.Module] = [nn.Linear(2, 32), nn.GELU()]
            for _ in range(5):
                layers += [nn.Linear(32, 32), nn.GELU()]
            return nn.Sequential(*layers, nn.Linear(32, 2))
        return torch.tensor(x, dtype=torch.float32), torch.tensor(y), gelu_deep, "ce"
    if task == "regression_resln":
        x, y = make_regression(n_samples=2000, n_features=20, n_informative=10, noise=10.0,
                               random_state=SEED)
        x = (x - x.mean(0)) / x.std(0)
        y = (y - y.mean()) / y.std()

        class Block(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.norm, self.fc = nn.LayerNorm(64), nn.Linear(64, 64)

            def forward(self, h: torch.Tensor) -> torch.Tensor:
                return h + self.fc(torch.relu(self.norm(h)))

        return (torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)[:, None],
                lambda: nn.Sequential(nn.Linear(20, 64), Block(), Block(), nn.LayerNorm(64),
                                      nn.Linear(64, 1)), "mse")
    if task == "seq_attention":
        # label: the most frequent of 4 tokens in a sequence of 12 (ties: the lowest token)
        tokens = rng.integers(0, 4, (2000, 12))
        counts = np.stack([(tokens == k).sum(1) for k in range(4)], axis=1)

        class AttentionClassifier(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.embed = nn.Embedding(4, 16)
                self.pos = nn.Parameter(torch.zeros(12, 16))
                self.block = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0,
                                                        batch_first=True)
                self.head = nn.Linear(16, 4)

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return self.head(self.block(self.embed(x) + self.pos).mean(1))

        return (torch.tensor(tokens), torch.tensor(np.argmax(counts, axis=1)),
                AttentionClassifier, "ce")
    if task == "seq_lstm_sum":
        # regress the sum of a sequence of 20 values (a running total the LSTM must carry)
        seqs = rng.uniform(-1, 1, size=(2000, 20, 1)).astype(np.float32)
        totals = seqs[:, :, 0].sum(1)
        totals = (totals - totals.mean()) / totals.std()
        return (torch.tensor(seqs), torch.tensor(totals, dtype=torch.float32)[:, None],
                functools.partial(LastStepHead, nn.LSTM, 16, 1), "mse")
    if task == "classif8_dropout":
        x, y = make_classification(n_samples=2000, n_features=30, n_informative=15, n_classes=8,
                                   n_clusters_per_class=1, class_sep=1.5, random_state=SEED)
        return (torch.tensor(x, dtype=torch.float32), torch.tensor(y),
                lambda: nn.Sequential(nn.Linear(30, 128), nn.ReLU(), nn.Dropout(0.3),
                                      nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.3),
                                      nn.Linear(64, 8)), "ce")
    if task == "friedman2_softplus":
        x, y = make_friedman2(n_samples=2000, noise=10.0, random_state=SEED)
        x = (x - x.mean(0)) / x.std(0)
        y = (y - y.mean()) / y.std()
        return (torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)[:, None],
                lambda: nn.Sequential(nn.Linear(4, 512), nn.Softplus(), nn.Linear(512, 1)), "mse")
    if task == "cancer_wide_silu":
        x, y = load_breast_cancer(return_X_y=True)
        x = (x - x.mean(0)) / x.std(0)
        return (torch.tensor(x, dtype=torch.float32), torch.tensor(y),
                lambda: nn.Sequential(nn.Linear(30, 256), nn.SiLU(), nn.Linear(256, 2)), "ce")
    if task == "diabetes_tanh":
        x, y = load_diabetes(return_X_y=True)
        x = (x - x.mean(0)) / x.std(0)
        y = (y - y.mean()) / y.std()
        return (torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)[:, None],
                lambda: nn.Sequential(nn.Linear(10, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(),
                                      nn.Linear(64, 1)), "mse")
    if task == "ratings_embed":
        # matrix factorization: a rank-4 user x item score matrix seen at 4000 random cells
        users, items, n = 200, 150, 4000
        truth = rng.normal(size=(users, 4)) @ rng.normal(size=(4, items)) / 2
        pairs = np.stack([rng.integers(0, users, n), rng.integers(0, items, n)], axis=1)
        scores = truth[pairs[:, 0], pairs[:, 1]] + rng.normal(0, 0.1, n)

        class Factorization(nn.Module):
            """User and item embeddings whose dot product (plus biases) predicts the score."""

            def __init__(self) -> None:
                super().__init__()
                self.user, self.item = nn.Embedding(users, 8), nn.Embedding(items, 8)
                self.user_bias, self.item_bias = nn.Embedding(users, 1), nn.Embedding(items, 1)

            def forward(self, ui: torch.Tensor) -> torch.Tensor:
                u, i = ui[:, 0], ui[:, 1]
                dot = (self.user(u) * self.item(i)).sum(1, keepdim=True)
                return dot + self.user_bias(u) + self.item_bias(i)

        return (torch.tensor(pairs), torch.tensor(scores, dtype=torch.float32)[:, None],
                Factorization, "mse")
    if task == "digits_mixer":
        # an MLP-Mixer on the 16 2x2 patches of each digit: token mixing, then channel mixing
        x, y = load_digits(return_X_y=True)
        x = (x - x.mean(0)) / (x.std(0) + 1e-6)
        patches = x.reshape(-1, 4, 2, 4, 2).transpose(0, 1, 3, 2, 4).reshape(-1, 16, 4)

        class Mixer(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.embed = nn.Linear(4, 24)
                self.norm1, self.norm2 = nn.LayerNorm(24), nn.LayerNorm(24)
                self.tokens = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 16))
                self.channels = nn.Sequential(nn.Linear(24, 48), nn.GELU(), nn.Linear(48, 24))
                self.head = nn.Linear(24, 10)

            def forward(self, p: torch.Tensor) -> torch.Tensor:
                h = self.embed(p)
                h = h + self.tokens(self.norm1(h).transpose(1, 2)).transpose(1, 2)
                h = h + self.channels(self.norm2(h))
                return self.head(h.mean(1))

        return (torch.tensor(patches, dtype=torch.float32), torch.tensor(y), Mixer, "ce")
    raise ValueError(f"unknown task {task!r}")


# --------------------------------------------------------------------------- one run
def train_run(spec: SweepSpec, lr: float, workdir: str) -> dict:
    """Train one run with Lightning and read its curves back from the CSVLogger file."""
    import lightning.pytorch as pl
    import torch
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import CSVLogger
    from lightning.pytorch.utilities import grad_norm
    from torch.utils.data import DataLoader, TensorDataset

    torch.set_num_threads(1)
    x, y, factory, loss_name = make_task(spec.task)
    functional = torch.nn.functional
    loss_fn = functional.cross_entropy if loss_name == "ce" else functional.mse_loss

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = factory()

        def training_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
            inputs, targets = batch
            loss = loss_fn(self.net(inputs), targets)
            self.log("train_loss", loss, on_step=True, on_epoch=False)
            return loss

        def on_before_optimizer_step(self, optimizer):  # type: ignore[no-untyped-def]
            self.log("grad_norm", grad_norm(self, norm_type=2)["grad_2.0_norm_total"])

        def configure_optimizers(self):  # type: ignore[no-untyped-def]
            params = self.parameters()
            opt = {
                "SGD": lambda: torch.optim.SGD(params, lr=lr),
                "SGDm": lambda: torch.optim.SGD(params, lr=lr, momentum=0.9),
                "Adam": lambda: torch.optim.Adam(params, lr=lr),
                "AdamW": lambda: torch.optim.AdamW(params, lr=lr, weight_decay=0.01),
            }[spec.optimizer]()
            if spec.schedule == "constant":
                return opt
            warm = spec.steps // 10

            def factor(step: int) -> float:
                if step < warm:
                    return (step + 1) / warm
                done = (step - warm) / (spec.steps - warm)
                return 0.5 * (1 + math.cos(math.pi * min(1.0, done)))

            sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def evaluate(module: Module) -> float:
        """Loss of the model on the whole training set: the label's yardstick, free of noise."""
        module.eval()
        with torch.no_grad():
            value = float(loss_fn(module.net(x), y))
        module.train()
        return value

    pl.seed_everything(SEED, workers=False, verbose=False)
    module = Module()  # same initial weights for every LR of a sweep
    loader = DataLoader(TensorDataset(x, y), batch_size=spec.batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(SEED), drop_last=True)
    logger = CSVLogger(workdir, name="run")
    trainer = pl.Trainer(max_steps=spec.steps, logger=logger, log_every_n_steps=1,
                         callbacks=[LearningRateMonitor(logging_interval="step")],
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu", devices=1)
    initial = evaluate(module)
    trainer.fit(module, loader)
    return {"lr": lr, "initial_eval_loss": initial, "final_eval_loss": evaluate(module),
            **read_metrics(Path(logger.log_dir) / "metrics.csv")}


def read_metrics(path: Path) -> dict:
    """Per-step loss, LR and gradient norm from a CSVLogger file (rows share a step)."""
    loss: dict[int, float] = {}
    lr: dict[int, float] = {}
    gn: dict[int, float] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            step = int(row["step"])
            for key, value in row.items():
                if not value or key == "step":
                    continue
                if key == "train_loss":
                    loss[step] = float(value)
                elif key.startswith("lr-"):
                    lr[step] = float(value)
                elif key == "grad_norm":
                    gn[step] = float(value)
    steps = np.array(sorted(loss), dtype=np.int64)
    return {
        "steps": steps,
        "loss": np.array([loss[s] for s in steps], dtype=np.float32),
        "lr_curve": np.array([lr.get(s, np.nan) for s in steps], dtype=np.float32),
        "grad_norm": np.array([gn.get(s, np.nan) for s in steps], dtype=np.float32),
    }


def run_sweep(spec: SweepSpec, budgets: tuple[int, ...] = (STEPS, LONG_STEPS)) -> dict:
    """Train every LR of a sweep and label the runs; a sweep whose best run does not halve the
    loss is trained again with LONG_STEPS, and marked ``unlabelable`` if it still does not."""
    started = time.perf_counter()
    for steps in budgets:
        spec = replace(spec, steps=steps)
        with tempfile.TemporaryDirectory(prefix="lrwatch-corpus-") as workdir:
            runs = [train_run(spec, lr, workdir) for lr in GRIDS[spec.optimizer]]
        labels, best_lr = label_sweep(runs)
        if learned(runs, best_lr):
            break
    else:
        labels = [UNLABELABLE] * len(runs)
    print(f"{spec.name}: {len(runs)} runs of {spec.steps} steps in "
          f"{time.perf_counter() - started:.0f} s, best lr {best_lr:.3g}, labels "
          f"{''.join(lab[0] for lab in labels)}", flush=True)
    return {"spec": spec, "runs": runs, "labels": labels, "best_lr": best_lr}


# --------------------------------------------------------------------------- labels
NEARLY_BEST = 0.9  # a run is healthy when it achieves >= 90% of the sweep's best loss reduction
BLOWUP = 2.0  # ... and diverging when its training loss ends more than 2x above where it started


def diverged(run: dict) -> bool:
    """Diverging, read on the training curve a user has: a NaN/inf logged loss, or a training
    loss whose last tenth (median) ends more than BLOWUP x above the initial loss (the loss of the
    whole training set before training: what the first logged losses estimate, without their
    mini-batch noise)."""
    loss = np.asarray(run["loss"], dtype=np.float64)
    if loss.size == 0 or not np.all(np.isfinite(loss)):
        return True
    end = float(np.median(loss[-max(1, loss.size // 10):]))
    return end > BLOWUP * run["initial_eval_loss"]


def label_sweep(runs: list[dict]) -> tuple[list[str], float]:
    """Label each run of one sweep from the sweep itself.

    A run is ``diverging`` when its training curve blew up (see :func:`diverged`). The reduction
    of the other runs is ``initial loss - final loss``, both the loss of the model on the whole
    training set (no mini-batch noise) before and after training. The best run has the largest
    reduction; a run is ``healthy`` when it reaches at least 90% of it, and otherwise
    ``stalled`` when its LR is below the best LR and ``oscillating`` when above.
    """
    initial = float(np.median([r["initial_eval_loss"] for r in runs]))
    finals = np.array([r["final_eval_loss"] for r in runs], dtype=np.float64)
    gone = np.array([diverged(r) for r in runs])
    reduction = np.where(gone | ~np.isfinite(finals), -np.inf, initial - finals)
    best = int(np.argmax(reduction))
    best_lr = runs[best]["lr"]
    labels = []
    for r, d, red in zip(runs, gone, reduction):
        if d:
            labels.append("diverging")
        elif red >= NEARLY_BEST * reduction[best]:
            labels.append("healthy")
        else:
            labels.append("stalled" if r["lr"] < best_lr else "oscillating")
    return labels, best_lr


def learned(runs: list[dict], best_lr: float) -> bool:
    """Whether the sweep's best run at least halved the whole-training-set loss (MEANINGFUL)."""
    best = next(r for r in runs if r["lr"] == best_lr)
    final = best["final_eval_loss"]
    return bool(np.isfinite(final) and final <= MEANINGFUL * best["initial_eval_loss"])


# --------------------------------------------------------------------------- cache
def save(results: list[dict], path: Path = CACHE) -> None:
    """One compressed npz: concatenated float32 curves + a JSON table of runs."""
    table, steps, loss, lr, gn = [], [], [], [], []
    offset = 0
    for res in results:
        spec = res["spec"]
        for run, label in zip(res["runs"], res["labels"]):
            n = run["steps"].size
            table.append({**asdict(spec), "sweep": spec.name, "lr": run["lr"], "label": label,
                          "best_lr": res["best_lr"], "final_eval_loss": run["final_eval_loss"],
                          "initial_eval_loss": run["initial_eval_loss"],
                          "heldout": spec.task in HELDOUT_TASKS, "offset": offset, "length": n})
            offset += n
            steps.append(run["steps"].astype(np.int32))
            loss.append(run["loss"])
            lr.append(run["lr_curve"])
            gn.append(run["grad_norm"])
    np.savez_compressed(
        path, table=np.array(json.dumps(table)), steps=np.concatenate(steps),
        loss=np.concatenate(loss), lr=np.concatenate(lr), grad_norm=np.concatenate(gn))


def read_cache(path: Path = CACHE) -> list[dict]:
    """The sweeps of a cache, as :func:`run_sweep` returns them (curves as stored)."""
    with np.load(path) as data:
        table = json.loads(str(data["table"]))
        arrays = {k: data[k] for k in ("steps", "loss", "lr", "grad_norm")}
    sweeps: dict[str, dict] = {}
    for row in table:
        sl = slice(row["offset"], row["offset"] + row["length"])
        spec = SweepSpec(row["task"], row["optimizer"], row["schedule"], row["batch_size"],
                         row.get("steps", STEPS))
        res = sweeps.setdefault(spec.name, {"spec": spec, "runs": [], "labels": [],
                                            "best_lr": row["best_lr"]})
        res["runs"].append({"lr": row["lr"], "initial_eval_loss": row["initial_eval_loss"],
                            "final_eval_loss": row["final_eval_loss"],
                            "steps": arrays["steps"][sl], "loss": arrays["loss"][sl],
                            "lr_curve": arrays["lr"][sl], "grad_norm": arrays["grad_norm"][sl]})
        res["labels"].append(row["label"])
    return list(sweeps.values())


def relabel(res: dict) -> dict:
    """Label a stored sweep again with the current rules; one trained with STEPS whose best run
    did not halve the loss is trained again with LONG_STEPS."""
    labels, best_lr = label_sweep(res["runs"])
    if learned(res["runs"], best_lr):
        return {**res, "labels": labels, "best_lr": best_lr}
    if res["spec"].steps < LONG_STEPS:
        return run_sweep(res["spec"], budgets=(LONG_STEPS,))
    return {**res, "labels": [UNLABELABLE] * len(labels), "best_lr": best_lr}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="*", default=TUNE_TASKS + HELDOUT_TASKS)
    parser.add_argument("--sweeps", nargs="*", help="retrain only these sweeps (by name) into "
                        "the existing cache")
    parser.add_argument("--relabel", action="store_true", help="label the cache again with the "
                        "current rules (training again only the sweeps that need longer)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    if args.relabel or args.sweeps:
        results = read_cache(args.out)
        redo = set(args.sweeps or ())
        results = [run_sweep(replace(r["spec"], steps=STEPS)) if r["spec"].name in redo
                   else relabel(r) if args.relabel else r for r in results]
        save(results, args.out)
        print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
        return
    specs = sweeps_for(args.tasks)
    # the sweeps of the other tasks stay as cached
    kept = ([r for r in read_cache(args.out) if r["spec"].task not in args.tasks]
            if args.out.exists() else [])
    print(f"{len(specs)} sweeps, {sum(len(GRIDS[s.optimizer]) for s in specs)} runs", flush=True)
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(run_sweep, specs))
    else:
        results = [run_sweep(s) for s in specs]
    save(kept + results, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
