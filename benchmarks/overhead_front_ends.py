"""Recording overhead of every front end, each beside its own bare loop, on one model.

The model and data of the ``overhead`` suite's small case (MLP 784-256-256-10, batch 64,
Adam 1e-3, ``torch.set_num_threads(1)``), trained four ways, each with and without lrwatch:
- Lightning: ``overhead``'s stripped Trainer, bare vs ``LRWatch()``;
- plain PyTorch: a hand-written loop, bare vs ``Watch(...)`` + ``watch.step(loss)``;
- Lightning Fabric: the same loop through ``Fabric(accelerator="cpu")``, bare vs ``Watch``;
- Hugging Face: ``Trainer`` (its defaults: ``max_grad_norm=1.0``, logging every 500 steps;
  ``report_to="none"``, no saving, no progress bar), bare vs ``LRWatchCallback()``.
Every lrwatch side uses its defaults (``warn`` mode). The interleaving in rounds and the paired
median difference are the ``overhead`` suite's; the step time is not its wall time but the
process's CPU time (``time.process_time``: every thread, lrwatch's background writer included)
per step, mean after a 20% warm-up: on a machine shared with other work the wall time of a 2 ms
step swung from 50 to 130 ms between runs (a first round of this suite), the CPU time barely.
The overhead of a front end is the median over rounds of (with - bare) in the same round, and
its ratio that over the median bare step.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import torch

from benchmarks.overhead import MLP, OUT, _data

SIZES = [784, 256, 256, 10]
STEPS, ROUNDS = 200, 11  # 5 rounds left the medians +-0.5 ms apart on a loaded machine (BENCHMARKS.md)


def _net() -> torch.nn.Module:
    torch.manual_seed(0)
    layers: list[torch.nn.Module] = []
    for a, b in zip(SIZES[:-1], SIZES[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


clock = time.process_time


def _mean_step(ends: list[float]) -> float:
    warmup = STEPS // 5
    return (ends[-1] - ends[warmup]) / (len(ends) - 1 - warmup)


def _loop(workdir: str, watched: bool, fabric: bool) -> float:
    from lrwatch import Watch

    model = _net()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data: Any = _data(SIZES[0], 64 * STEPS)
    if fabric:
        from lightning.fabric import Fabric

        runner = Fabric(accelerator="cpu", devices=1)
        model, optimizer = runner.setup(model, optimizer)
        data = runner.setup_dataloaders(data)
    watch = Watch(model, optimizer, store=Path(workdir) / "store") if watched else None
    ends: list[float] = []
    for x, y in data:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        runner.backward(loss) if fabric else loss.backward()
        optimizer.step()
        if watch is not None:
            watch.step(loss)
        ends.append(clock())
    if watch is not None:
        watch.finish()
    return _mean_step(ends)


class _Classifier(torch.nn.Module):
    """The MLP as a Hugging Face Trainer expects a model: ``{"loss": ...}`` from the labels."""

    def __init__(self) -> None:
        super().__init__()
        self.net = _net()

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"loss": torch.nn.functional.cross_entropy(self.net(x), labels)}


def _hf(workdir: str, watched: bool) -> float:
    import transformers

    from lrwatch.integrations.transformers import LRWatchCallback

    class Timer(transformers.TrainerCallback):
        def __init__(self) -> None:
            self.ends: list[float] = []

        def on_step_end(self, *args: Any, **kwargs: Any) -> None:
            self.ends.append(clock())

    dataset = _data(SIZES[0], 64 * STEPS).dataset
    rows = [{"x": x, "labels": y} for x, y in zip(*dataset.tensors)]
    timer = Timer()
    callbacks: list[Any] = [timer] + ([LRWatchCallback(store=Path(workdir) / "store")]
                                      if watched else [])
    args = transformers.TrainingArguments(
        output_dir=workdir, per_device_train_batch_size=64, max_steps=STEPS, learning_rate=1e-3,
        lr_scheduler_type="constant", report_to="none", use_cpu=True, save_strategy="no",
        disable_tqdm=True, dataloader_drop_last=True, seed=0)
    torch.manual_seed(0)
    trainer = transformers.Trainer(model=_Classifier(), args=args, train_dataset=rows,
                                   callbacks=callbacks)
    trainer.train()
    return _mean_step(timer.ends)


def _lightning(workdir: str, watched: bool) -> float:
    """The ``overhead`` suite's stripped Trainer (no logger, progress bar, checkpointing)."""
    import lightning.pytorch as pl

    from lrwatch import LRWatch

    class Timer(pl.Callback):
        def __init__(self) -> None:
            self.ends: list[float] = []

        def on_train_batch_end(self, *args: Any) -> None:
            self.ends.append(clock())

    torch.manual_seed(0)
    timer = Timer()
    callbacks: list[Any] = [timer] + ([LRWatch(store=Path(workdir) / "store")] if watched else [])
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_steps=STEPS, max_epochs=-1,
                         callbacks=callbacks, num_sanity_val_steps=0, limit_val_batches=0,
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False)
    trainer.fit(MLP(SIZES), _data(SIZES[0], 64 * STEPS))
    return _mean_step(timer.ends)


RUNS: dict[str, Callable[[str], float]] = {
    "lightning": lambda d: _lightning(d, watched=False),
    "lightning+lrwatch": lambda d: _lightning(d, watched=True),
    "torch": lambda d: _loop(d, watched=False, fabric=False),
    "torch+watch": lambda d: _loop(d, watched=True, fabric=False),
    "fabric": lambda d: _loop(d, watched=False, fabric=True),
    "fabric+watch": lambda d: _loop(d, watched=True, fabric=True),
    "hf": lambda d: _hf(d, watched=False),
    "hf+callback": lambda d: _hf(d, watched=True),
}


def main() -> None:
    torch.set_num_threads(1)
    load_before = os.getloadavg()  # the machine is shared: say how busy it was
    per_round: dict[str, list[float]] = {name: [] for name in RUNS}
    with tempfile.TemporaryDirectory() as workdir, open(os.devnull, "w") as quiet, \
            contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        for r in range(ROUNDS):
            for name, run in RUNS.items():
                per_round[name].append(run(f"{workdir}/{name}{r}"))
    rows = []
    for bare in ("lightning", "torch", "fabric", "hf"):
        watched = next(n for n in RUNS if n.startswith(bare + "+"))
        added = statistics.median(w - b for w, b in zip(per_round[watched], per_round[bare]))
        base = statistics.median(per_round[bare])
        rows.append({"front_end": watched, "bare_ms": round(base * 1e3, 3),
                     "with_ms": round(statistics.median(per_round[watched]) * 1e3, 3),
                     "added_ms": round(added * 1e3, 3), "added_pct": round(100 * added / base, 2)})
    load = {"start": [round(x, 1) for x in load_before],
            "end": [round(x, 1) for x in os.getloadavg()]}  # 1, 5, 15-minute load averages
    result = {"model": "MLP 784-256-256-10, batch 64", "steps_per_run": STEPS, "rounds": ROUNDS,
              "load_average": load, "rows": rows,
              "per_round_ms": {n: [round(x * 1e3, 3) for x in v] for n, v in per_round.items()}}
    OUT.mkdir(exist_ok=True)
    (OUT / "overhead_front_ends.json").write_text(json.dumps(result, indent=2))
    print(f"load average (1, 5, 15 min) at start {load['start']}, at end {load['end']}")
    print("CPU time per step (all threads):")
    print("| front end | bare ms/step | with lrwatch | adds | of the bare step |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['front_end']} | {row['bare_ms']:.2f} | {row['with_ms']:.2f} | "
              f"{row['added_ms']:+.3f} ms | {row['added_pct']:+.1f}% |")


if __name__ == "__main__":
    main()
