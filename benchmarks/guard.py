"""The live guard on runs that diverge: how early it acts, what recovery saves, what it costs.

Diverging runs are real Lightning trainings on scikit-learn's digits and on a synthetic
regression, with SGD (plain and with momentum) at LRs far too high, some reaching the bad LR
through a linear warmup so that they blow up mid-run. Each scenario trains three times:
1. ``warn`` (the default): the step of the first NaN/inf loss, had nobody acted; the step its
   first divergence warning names (every row is looked at, so it is the row that raised the
   alarm) and the step at which it was printed (rows reach the host in blocks); the rows the
   alarm saw against the rows recorded;
2. ``stop``: the step at which the guard stopped training; "steps before NaN" = first NaN step
   of run 1 - stop step;
3. ``recover``: whether the run reached its planned end with a finite final loss below its
   starting loss.
Overhead: mean time per step of a healthy run, bare vs LRWatch(warn) vs LRWatch(recover) vs
LRWatch(on_spike="skip"), as the median of paired per-round differences with bare (snapshots
every 100 steps), interleaved rounds as in ``benchmarks.overhead``; skip is also paired with
warn (the same recording, no spike check), so its own cost reads directly.
Spikes (issue 15's case): a small ReLU regressor, SGD with momentum 0.9 at lr 0.05, every 10th
batch of an epoch corrupted (targets plus noise of std 2), trained 400 steps with and without
``on_spike="skip"``; its MSE on the clean data (noise floor 0.01) and the steps skipped.
``python -m benchmarks.guard [--skip-overhead | --skip-suite] [--warn-only]``
(``--warn-only``: the warn runs alone, their table only; ``--skip-suite``: the spike case and
the overhead alone).
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

from benchmarks.overhead import MLP, StepTimer
from benchmarks.overhead import _data as overhead_data
from lrwatch import LRWatch, Store, keys

OUT = Path(__file__).parent / "out"
STEPS = 300


def _digits() -> TensorDataset:
    data = load_digits()
    x = torch.tensor(data.data / 16.0, dtype=torch.float32)
    return TensorDataset(x, torch.tensor(data.target))


def _regression() -> TensorDataset:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2048, 16, generator=g)
    return TensorDataset(x, (x @ torch.randn(16, 1, generator=g)).squeeze(1))


class Net(pl.LightningModule):
    def __init__(self, task: str, lr: float, momentum: float, warmup: int, depth: int) -> None:
        super().__init__()
        torch.manual_seed(0)
        width, n_in = 64, (64 if task == "digits" else 16)
        n_out = 10 if task == "digits" else 1
        layers: list[torch.nn.Module] = []
        for i in range(depth):
            layers += [torch.nn.Linear(n_in if i == 0 else width, width), torch.nn.Tanh()]
        self.net = torch.nn.Sequential(*layers, torch.nn.Linear(width, n_out))
        self.task, self.lr, self.momentum, self.warmup = task, lr, momentum, warmup

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        out = self.net(x)
        if self.task == "digits":
            return torch.nn.functional.cross_entropy(out, y)
        return torch.nn.functional.mse_loss(out.squeeze(1), y)

    def configure_optimizers(self) -> Any:
        opt = torch.optim.SGD(self.parameters(), lr=self.lr, momentum=self.momentum)
        if not self.warmup:
            return opt
        ramp = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, 0.01 + s / self.warmup))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": ramp, "interval": "step"}}


# (name, task, lr, momentum, warmup steps, depth): all reach NaN/inf without help
SCENARIOS = [
    ("digits sgd lr=8", "digits", 8.0, 0.0, 0, 2),
    ("digits sgd lr=20", "digits", 20.0, 0.0, 0, 2),
    ("digits sgd+mom lr=3", "digits", 3.0, 0.9, 0, 2),
    ("digits sgd warmup->10", "digits", 10.0, 0.0, 150, 2),
    ("digits deep sgd+mom warmup->2", "digits", 2.0, 0.9, 150, 4),
    ("regression sgd lr=0.5", "regression", 0.5, 0.0, 0, 2),
    ("regression sgd lr=1", "regression", 1.0, 0.0, 0, 2),
    ("regression sgd+mom lr=0.2", "regression", 0.2, 0.9, 0, 2),
    ("regression sgd warmup->1", "regression", 1.0, 0.0, 150, 2),
    ("regression deep sgd warmup->0.6", "regression", 0.6, 0.0, 150, 4),
]


def _train(scenario: tuple[Any, ...], mode: str, workdir: str) -> dict[str, Any]:
    name, task, lr, momentum, warmup, depth = scenario
    data = _digits() if task == "digits" else _regression()
    store = Path(workdir) / "store"
    watch = LRWatch(store=store, name=name, on_diverge=mode, snapshot_every_n_steps=25,
                    check_every_n_steps=10)
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_steps=STEPS, max_epochs=-1,
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, num_sanity_val_steps=0,
                         limit_val_batches=0, callbacks=[watch])
    trainer.fit(Net(task, lr, momentum, warmup, depth), DataLoader(data, batch_size=32, shuffle=True,
                                                                   generator=torch.Generator().manual_seed(0)))
    reader = Store(store, readonly=True)
    run = reader.runs()[-1]
    steps, loss = reader.scalars(run, keys.LOSS)
    nonfinite = [e.step for e in reader.events(run, kind=keys.EVENT_NONFINITE)]
    diagnoses = reader.events(run, kind=keys.EVENT_DIAGNOSIS)
    flags = [e for e in diagnoses if e.payload.get("status") in ("diverging", "alarm")
             and not e.payload.get("final")]
    flagged = [e.step for e in flags]
    final = [e.payload for e in diagnoses if e.payload.get("final")]
    actions = [e for e in reader.events(run, kind=keys.EVENT_ACTION)]
    return {
        "steps": int(steps.size), "status": run.status,
        "first_nonfinite": min(nonfinite) if nonfinite else None,
        "first_flag": min(flagged) if flagged else None,
        # the training step at which that first warning was printed (rows reach the host in
        # blocks: every 0.5 s or 256 steps in warn mode)
        "first_warned_at": flags[0].payload.get("seen_at", flags[0].step) if flags else None,
        "rows_seen_by_alarm": final[0].get("rows_seen_by_alarm") if final else None,
        "acted_at": actions[0].step if actions else None,
        "recoveries": sum(e.payload["action"] == "recover" for e in actions),
        "start_loss": float(loss[0]) if loss.size else None,
        "final_loss": float(np.median(loss[-10:])) if loss.size else None,
    }


class SpikyRegressor(pl.LightningModule):
    """8 -> 16 -> 1 ReLU, SGD with momentum 0.9 at lr 0.05."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return torch.nn.functional.mse_loss(self.net(x), y)

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=0.05, momentum=0.9)


def _spiky_data(n: int = 2048, batch: int = 32) -> tuple[TensorDataset, TensorDataset]:
    """Clean and corrupted regression data: batches 9, 19, ... of an epoch get noisy targets."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 8, generator=g)
    y = x @ torch.randn(8, 1, generator=g) + 0.1 * torch.randn(n, 1, generator=g)
    noisy = y.clone()
    for start in range(9 * batch, n, 10 * batch):
        noisy[start:start + batch] += 2.0 * torch.randn(batch, 1, generator=g)
    return TensorDataset(x, y), TensorDataset(x, noisy)


def spikes(steps: int = 400) -> dict[str, Any]:
    """The spike case with on_spike off and "skip": clean MSE, skips, spikes over the level."""
    clean, noisy = _spiky_data()
    out = {}
    with tempfile.TemporaryDirectory() as workdir:
        for mode in (None, "skip"):
            module = SpikyRegressor()
            trainer = pl.Trainer(accelerator="cpu", devices=1, max_steps=steps, max_epochs=-1,
                                 logger=False, enable_checkpointing=False, enable_progress_bar=False,
                                 enable_model_summary=False, num_sanity_val_steps=0,
                                 limit_val_batches=0,
                                 callbacks=[LRWatch(store=f"{workdir}/{mode}", on_spike=mode)])
            trainer.fit(module, DataLoader(noisy, batch_size=32))
            with torch.no_grad():
                mse = float(torch.nn.functional.mse_loss(module.net(clean.tensors[0]), clean.tensors[1]))
            reader = Store(f"{workdir}/{mode}", readonly=True)
            run = reader.runs()[-1]
            loss = reader.scalars(run, keys.LOSS)[1][-200:]
            skipped = [e.step for e in reader.events(run, kind=keys.EVENT_ACTION)
                       if e.payload.get("action") == "skip"]
            out[mode or "off"] = {"clean_mse": round(mse, 4), "skipped": len(skipped),
                                  "first_skip": skipped[0] if skipped else None,
                                  "max_over_median_last_200": round(float(loss.max() / np.median(loss)), 1)}
    return out


def spike_check_cost(calls: int = 2000, passes: int = 5) -> dict[str, float]:
    """CPU time of one ``on_spike="skip"`` decision (fused gradient norm, host read, window
    statistics) on the overhead suite's MLP, against one fused gradient-norm pass alone: the
    minimum over ``passes`` of the mean over ``calls`` (CPU time resists a loaded machine)."""
    from lrwatch.guard import Guard, GuardConfig, total_norm
    from lrwatch.analysis import OnlineAnalyzer

    model = MLP([784, 256, 256, 10])
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    guard = Guard(GuardConfig(on_spike="skip"), OnlineAnalyzer, "cost")
    loss = torch.tensor(1.0)

    def decide() -> None:
        guard.add_backward_loss(loss)
        guard.spike_check(0, optimizer)

    def norm_only() -> None:
        total_norm([p.grad for p in model.parameters()])

    out = {}
    for name, fn in (("spike_check_us", decide), ("grad_norm_only_us", norm_only)):
        best = math.inf
        for _ in range(passes):
            start = time.process_time()
            for _ in range(calls):
                fn()
            best = min(best, (time.process_time() - start) / calls)
        out[name] = round(best * 1e6, 1)
    return out


def overhead(rounds: int = 9, steps: int = 400) -> dict[str, Any]:
    configs: dict[str, dict[str, Any] | None] = {
        "bare": None, "warn": {"on_diverge": "warn"}, "recover": {"on_diverge": "recover"},
        "skip": {"on_spike": "skip"}}
    per_round: dict[str, list[float]] = {c: [] for c in configs}
    with tempfile.TemporaryDirectory() as workdir:
        for r in range(rounds):
            for config, options in configs.items():
                timer = StepTimer()
                callbacks: list[Any] = [timer]
                if options is not None:
                    callbacks.append(LRWatch(store=f"{workdir}/{config}{r}", **options))
                trainer = pl.Trainer(accelerator="cpu", devices=1, max_steps=steps, max_epochs=-1,
                                     logger=False, callbacks=callbacks, enable_checkpointing=False,
                                     enable_progress_bar=False, enable_model_summary=False,
                                     num_sanity_val_steps=0, limit_val_batches=0)
                trainer.fit(MLP([784, 256, 256, 10]), overhead_data(784, 64 * steps))
                per_round[config].append(timer.mean_step_s(steps // 5))
    median = {c: statistics.median(v) * 1e3 for c, v in per_round.items()}
    def paired(config: str, base: str) -> float:  # per-round differences: same machine state
        return statistics.median(x - b for x, b in zip(per_round[config], per_round[base])) * 1e3

    added = {c: paired(c, "bare") for c in ("warn", "recover", "skip")}
    added["skip_over_warn"] = paired("skip", "warn")
    return {"mean_step_ms": {c: round(v, 3) for c, v in median.items()},
            "added_ms": {c: round(v, 3) for c, v in added.items()}}


def main(skip_overhead: bool = False, modes: tuple[str, ...] = ("warn", "stop", "recover")) -> None:
    """All scenarios in ``modes``, then the overhead (``skip_overhead``: not measured)."""
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for i, scenario in enumerate(SCENARIOS):
            row = {"scenario": scenario[0]}
            for mode in modes:
                row[mode] = _train(scenario, mode, f"{workdir}/{i}{mode}")
            rows.append(row)
            print(json.dumps(row), flush=True)
    cost = None if skip_overhead else overhead()
    OUT.mkdir(exist_ok=True)
    (OUT / "guard.json").write_text(json.dumps({"scenarios": rows, "overhead": cost}, indent=2))

    reached_nan = [r for r in rows if r["warn"]["first_nonfinite"] is not None]
    print(f"\n{len(reached_nan)} of {len(rows)} scenarios reach NaN/inf without help\n")
    print("| scenario | first NaN/inf | warn: first warning names step | printed at step | "
          "rows seen by the alarm / recorded |")
    print("|---|---|---|---|---|")
    for r in rows:
        warn = r["warn"]
        print(f"| {r['scenario']} | {warn['first_nonfinite']} | {warn['first_flag']} | "
              f"{warn['first_warned_at']} | {warn['rows_seen_by_alarm']} / {warn['steps']} |")
    if "stop" not in modes:
        return
    print("\n| scenario | stop acted at | steps before NaN | recover: recoveries, final loss (start) |")
    print("|---|---|---|---|")
    leads = []
    for r in rows:
        nan, stop, rec = r["warn"]["first_nonfinite"], r["stop"]["acted_at"], r["recover"]
        lead = nan - stop if nan is not None and stop is not None else None
        if lead is not None:
            leads.append(lead)
        print(f"| {r['scenario']} | {stop} | {lead} | {rec['recoveries']}, "
              f"{rec['final_loss']:.3g} ({rec['start_loss']:.3g}) |")
    saved = sum(1 for r in reached_nan
                if r["recover"]["final_loss"] is not None and np.isfinite(r["recover"]["final_loss"])
                and r["recover"]["final_loss"] < r["recover"]["start_loss"]
                and r["recover"]["steps"] == STEPS)
    print(f"\nsteps before NaN at which stop acted: median {statistics.median(leads) if leads else None}, "
          f"min {min(leads) if leads else None}, max {max(leads) if leads else None}")
    print(f"recover brought {saved} of {len(reached_nan)} NaN-bound runs to their planned end with a "
          "finite final loss below the starting loss")
    print(f"overhead per step (small MLP): {json.dumps(cost)}")

if __name__ == "__main__":
    import sys

    args = sys.argv[1:]
    if "--skip-suite" in args:
        torch.set_num_threads(1)
        result = {"spikes": spikes(), "spike_check": spike_check_cost(), "overhead": overhead()}
        OUT.mkdir(exist_ok=True)
        (OUT / "guard_skip.json").write_text(json.dumps(result, indent=2))
        print(json.dumps(result))
        sys.exit(0)
    main(skip_overhead="--skip-overhead" in args,
         modes=("warn",) if "--warn-only" in args else ("warn", "stop", "recover"))
