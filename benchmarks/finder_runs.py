"""The runs of the finder benchmark, each cached as JSON under ``benchmarks/out/finder/cache``.

- ``sweep``: train at one constant LR for ``BUDGET`` steps, return the final training loss
  (over the whole training set; inf when it diverged). The grid's best LR is the reference.
- ``lrwatch``, ``lightning``, ``torch_lr_finder``: one range test each, over the same LR range
  and number of steps, from the same initial weights and data order. ``lrwatch`` keeps the raw
  curve, so its suggestion can be read again without training.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from pathlib import Path
from typing import Any, Callable

import torch

from benchmarks.finder_tasks import BATCH_SIZE, OPTIMIZERS, VERSION, Task

OUT = Path(__file__).parent / "out" / "finder"
CACHE = OUT / "cache"
BUDGET = 300  # optimizer steps per sweep run
MIN_LR, MAX_LR, NUM_TRAINING = 1e-6, 10.0, 100  # every range test
GRID = [10 ** (k / 2) for k in range(-10, 3)]  # 1e-5 ... 10, half-decade steps


def _path(kind: str, key: dict[str, Any]) -> Path:
    name = "_".join(f"{v}" for v in key.values()).replace("/", "-")
    return CACHE / kind / f"v{VERSION}_{name}.json"


def cached(kind: str, key: dict[str, Any], compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Load ``kind/key`` from the cache, or compute and store it."""
    path = _path(kind, key)
    if path.exists():
        return json.loads(path.read_text())
    value = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))
    return value


def loader(task: Task, seed: int) -> torch.utils.data.DataLoader:
    x, y = task.data()
    generator = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=BATCH_SIZE,
                                       shuffle=True, generator=generator)


def model(task: Task, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return task.model()


# -- the reference: a grid sweep -------------------------------------------------------------


def sweep(task: Task, optimizer: str, lr: float, seed: int) -> float:
    def run() -> dict[str, Any]:
        net = model(task, seed)
        opt = OPTIMIZERS[optimizer](net.parameters(), lr)
        batches = itertools.cycle(loader(task, seed))
        net.train()
        for _ in range(BUDGET):
            x, y = next(batches)
            loss = task.loss(net(x), y)
            if not torch.isfinite(loss):
                return {"final_loss": math.inf}
            opt.zero_grad()
            loss.backward()
            opt.step()
        net.eval()
        x, y = (task.validation or task.data)()
        with torch.no_grad():
            final = float(task.loss(net(x), y))
        return {"final_loss": final if math.isfinite(final) else math.inf}

    return float(cached("sweep", _sweep_key(task, optimizer, lr, seed), run)["final_loss"])


def _sweep_key(task: Task, optimizer: str, lr: float, seed: int) -> dict[str, Any]:
    return {"task": task.name, "opt": optimizer, "lr": f"{lr:.3g}", "seed": seed, "b": BUDGET}


def swept(task: Task, optimizer: str, grid: list[float], seed: int) -> bool:
    """Whether the sweep of ``task`` x ``optimizer`` over ``grid`` with ``seed`` is cached."""
    return all(_path("sweep", _sweep_key(task, optimizer, lr, seed)).exists() for lr in grid)


# -- the three finders -----------------------------------------------------------------------


def _lightning_module(task: Task, optimizer: str, seed: int) -> Any:
    import lightning.pytorch as pl

    class Wrapped(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.lr = 1e-3
            self.net = model(task, seed)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            return task.loss(self.net(x), y)

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return OPTIMIZERS[optimizer](self.parameters(), self.lr)

    return Wrapped()


def _trainer() -> Any:
    import lightning.pytorch as pl

    return pl.Trainer(accelerator="cpu", devices=1, max_epochs=1000, logger=False,
                      enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False, default_root_dir=str(OUT / "lightning_root"))


def lrwatch(task: Task, optimizer: str, seed: int) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        from lrwatch import find_lr
        from lrwatch.store import ENV_VAR

        import os
        os.environ[ENV_VAR] = str(OUT / "lrwatch_logs")
        module = _lightning_module(task, optimizer, seed)
        start = time.perf_counter()
        result = find_lr(_trainer(), module, loader(task, seed), min_lr=MIN_LR, max_lr=MAX_LR,
                         num_training=NUM_TRAINING, update_attr=False)
        seconds = time.perf_counter() - start
        return {"lr": result.results["lr"], "raw_loss": result.results["raw_loss"],
                "suggestion": result.suggestion(), "seconds": seconds}

    return cached("lrwatch", {"task": task.name, "opt": optimizer, "seed": seed}, run)


def lightning(task: Task, optimizer: str, seed: int) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        from lightning.pytorch.tuner import Tuner

        module = _lightning_module(task, optimizer, seed)
        start = time.perf_counter()
        finder = Tuner(_trainer()).lr_find(module, loader(task, seed), min_lr=MIN_LR,
                                           max_lr=MAX_LR, num_training=NUM_TRAINING,
                                           update_attr=False)
        seconds = time.perf_counter() - start
        return {"lr": finder.results["lr"], "loss": finder.results["loss"],
                "suggestion": finder.suggestion(), "seconds": seconds}

    return cached("lightning", {"task": task.name, "opt": optimizer, "seed": seed}, run)


def torch_lr_finder(task: Task, optimizer: str, seed: int) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from torch_lr_finder import LRFinder

        net = model(task, seed)
        opt = OPTIMIZERS[optimizer](net.parameters(), MIN_LR)
        finder = LRFinder(net, opt, task.loss, device="cpu")
        start = time.perf_counter()
        finder.range_test(loader(task, seed), start_lr=MIN_LR, end_lr=MAX_LR,
                          num_iter=NUM_TRAINING, step_mode="exp")
        seconds = time.perf_counter() - start
        try:
            _, suggestion = finder.plot(suggest_lr=True)
        except Exception:  # too few points before it diverged: no suggestion
            suggestion = None
        plt.close("all")
        return {"lr": finder.history["lr"], "loss": finder.history["loss"],
                "suggestion": None if suggestion is None else float(suggestion),
                "seconds": seconds}

    return cached("torch_lr_finder", {"task": task.name, "opt": optimizer, "seed": seed}, run)
