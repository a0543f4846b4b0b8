"""Recording overhead: time per optimizer step, bare vs LRWatch vs Lightning's own recipe.

Trainers train the same model on the same synthetic data:
- bare: no logger, no progress bar, no checkpointing, no callbacks (only the step timer every
  configuration has): the strictest baseline, where any overhead shows most;
- lrwatch: bare + ``LRWatch()`` with default settings;
- recipe: Lightning's built-ins for the same signals, logged every step: ``LearningRateMonitor``,
  ``self.log_dict(grad_norm(self, 2))`` in ``on_before_optimizer_step``, ``self.log`` of the
  loss, a ``CSVLogger`` and ``log_every_n_steps=1``;
- default / default+lrwatch (small model): ``Trainer``'s own defaults (progress bar, logger,
  checkpointing, model summary), as users run it, without and with ``LRWatch()``;
- empty, norm-only (small model): the floor under any recorder of ``grad_norm``: bare + a
  callback that does nothing (Lightning dispatches every hook to every callback), and bare + a
  callback that only makes the one fused pass over the gradients that a per-step gradient norm
  needs.

A run's step time is its mean after warm-up (wall time from the end of the first measured
batch to the end of the last, over the steps between): a mean, not a median, so work done every
k steps (host copies, update ratio, live diagnosis) counts. The configurations run interleaved
(bare, lrwatch, recipe, ...) for several rounds, so machine noise hits them alike; the overhead
of a configuration is the median over rounds of its paired difference with its baseline in the
same round (the machine drifts between rounds by more than the effects measured).
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import LearningRateMonitor
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.utilities import grad_norm
from torch.utils.data import DataLoader, TensorDataset

from lrwatch import LRWatch

OUT = Path(__file__).parent / "out"


class StepTimer(pl.Callback):
    """Wall time between consecutive training-batch ends."""

    def __init__(self) -> None:
        self.ends: list[float] = []

    def on_train_batch_end(self, *args: Any) -> None:
        self.ends.append(time.perf_counter())

    def mean_step_s(self, warmup: int) -> float:
        return (self.ends[-1] - self.ends[warmup]) / (len(self.ends) - 1 - warmup)


class EmptyCallback(pl.Callback):
    """Lightning's own cost of one more callback."""


class NormOnly(pl.Callback):
    """One fused pass over the gradients each step, the result left on the device."""

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        grads = [p.grad for p in pl_module.parameters() if p.grad is not None]
        self.norms = torch._foreach_norm(grads, 2)


class MLP(pl.LightningModule):
    def __init__(self, sizes: list[int], recipe: bool = False) -> None:
        super().__init__()
        layers: list[torch.nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        self.net = torch.nn.Sequential(*layers[:-1])
        self.recipe = recipe

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        if self.recipe:
            self.log("train_loss", loss)
        return loss

    def on_before_optimizer_step(self, optimizer: Any) -> None:
        if self.recipe:
            self.log_dict(grad_norm(self, norm_type=2))

    def configure_optimizers(self) -> Any:
        return torch.optim.Adam(self.parameters(), lr=1e-3)


def _data(features: int, n: int) -> DataLoader:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(n, features, generator=generator)
    y = torch.randint(0, 10, (n,), generator=generator)
    return DataLoader(TensorDataset(x, y), batch_size=64, shuffle=False)


def _one_run(config: str, sizes: list[int], steps: int, warmup: int, workdir: str) -> float:
    torch.manual_seed(0)
    timer = StepTimer()
    callbacks: list[Any] = [timer]
    if config.endswith("lrwatch"):
        callbacks.append(LRWatch(store=Path(workdir) / "store"))
    if config == "recipe":
        callbacks.append(LearningRateMonitor(logging_interval="step"))
    if config in ("empty", "norm-only"):
        callbacks.append(EmptyCallback() if config == "empty" else NormOnly())
    if config.startswith("default"):
        options: dict[str, Any] = {"default_root_dir": workdir}
    else:
        options = {"logger": CSVLogger(workdir) if config == "recipe" else False,
                   "log_every_n_steps": 1, "enable_checkpointing": False,
                   "enable_progress_bar": False, "enable_model_summary": False}
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_steps=steps, max_epochs=-1,
                         callbacks=callbacks, num_sanity_val_steps=0, limit_val_batches=0,
                         **options)
    with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):  # the progress bar
        trainer.fit(MLP(sizes, recipe=config == "recipe"), _data(sizes[0], 64 * steps))
    return timer.mean_step_s(warmup)


def measure(label: str, sizes: list[int], steps: int, rounds: int,
            extended: bool = False) -> dict[str, Any]:
    """Interleaved rounds of bare, lrwatch and recipe; ``extended`` adds Trainer's defaults with
    and without lrwatch, and the floor configurations (empty, norm-only)."""
    configs = ("bare", "lrwatch", "recipe") + (
        ("default", "default+lrwatch", "empty", "norm-only") if extended else ())
    per_round: dict[str, list[float]] = {c: [] for c in configs}
    with tempfile.TemporaryDirectory() as workdir:
        for r in range(rounds):
            for config in configs:
                per_round[config].append(
                    _one_run(config, sizes, steps, warmup=steps // 5, workdir=f"{workdir}/{config}{r}"))
    params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    median = {c: statistics.median(v) for c, v in per_round.items()}
    baseline = {"lrwatch": "bare", "recipe": "bare", "default+lrwatch": "default",
                "empty": "bare", "norm-only": "bare"}
    added = {c: statistics.median(x - b for x, b in zip(per_round[c], per_round[baseline[c]]))
             for c in configs if c in baseline}
    result = {
        "model": label, "params": params, "steps_per_run": steps, "rounds": rounds,
        "mean_step_ms": {c: round(v * 1e3, 3) for c, v in median.items()},
        "added_ms": {c: round(v * 1e3, 3) for c, v in added.items()},
        "lrwatch_vs_bare_pct": round(100 * added["lrwatch"] / median["bare"], 2),
        "lrwatch_share_of_recipe_overhead": round(added["lrwatch"] / added["recipe"], 3),
        "per_round_ms": {c: [round(x * 1e3, 3) for x in v] for c, v in per_round.items()},
    }
    if extended:
        result["lrwatch_vs_default_pct"] = round(
            100 * added["default+lrwatch"] / median["default"], 2)
    return result


def main() -> None:
    torch.set_num_threads(1)  # steadier on a shared machine; the same for every configuration
    results = [
        measure("MLP 784-256-256-10, batch 64", [784, 256, 256, 10], steps=400, rounds=15,
                extended=True),
        measure("MLP 784-2048-2048-1024-10, batch 64", [784, 2048, 2048, 1024, 10], steps=120,
                rounds=15),
    ]
    OUT.mkdir(exist_ok=True)
    (OUT / "overhead.json").write_text(json.dumps(results, indent=2))
    print("| model | params | bare ms/step | lrwatch | recipe | lrwatch adds | recipe adds | lrwatch/bare | lrwatch/recipe overhead |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        m, a = r["mean_step_ms"], r["added_ms"]
        print(f"| {r['model']} | {r['params'] / 1e6:.2f} M | {m['bare']:.2f} | {m['lrwatch']:.2f} | "
              f"{m['recipe']:.2f} | {a['lrwatch']:+.2f} ms | {a['recipe']:+.2f} ms | "
              f"{r['lrwatch_vs_bare_pct']:+.1f}% | {r['lrwatch_share_of_recipe_overhead']:.2f} |")
    for r in results:
        if "lrwatch_vs_default_pct" in r:
            m, a = r["mean_step_ms"], r["added_ms"]
            print(f"{r['model']}, Trainer defaults: {m['default']:.2f} ms/step, LRWatch adds "
                  f"{a['default+lrwatch']:+.2f} ms ({r['lrwatch_vs_default_pct']:+.1f}%); the floor: "
                  f"an empty callback adds {a['empty']:+.2f} ms, one gradient pass {a['norm-only']:+.2f} ms")
