"""GPU: lrwatch never makes the training thread wait for the GPU, and what it costs there.

``python -m benchmarks gpu`` on a machine with CUDA; without one the suite says so and stops (CI
has none). One script, so that one device lease runs both parts:

- **Proof.** A plain loop with ``Watch`` and a Lightning ``Trainer`` with ``LRWatch`` train on
  the GPU; after ``WARMUP`` steps the training thread runs under
  ``torch.cuda.set_sync_debug_mode("error")``, where any call that waits for the GPU (``.item()``,
  a blocking copy, a host read of a device tensor) raises. The warm-up runs under ``"warn"`` and
  its waits are counted (a first step's one-off reads). The bare loop and the bare Trainer run
  the same way first, so a wait of the loop's or Lightning's own is told apart from lrwatch's.
  Each watched run must then hold every step's loss, LR and gradient norm in its store: a wait
  in lrwatch's writer thread would lose rows, not stall training.
- **Overhead.** Bare against watched, for the plain loop and for Lightning, interleaved in
  ``ROUNDS`` rounds, on a small MLP (launch-bound: per-step host work shows most) and a wide one
  (compute-bound). A run's time per step is the wall time of its timed steps, the GPU
  synchronised before and after them; the overhead is the median over rounds of (watched -
  bare) in the same round, and its ratio that over the median bare step.

``proof(device="cpu")`` runs the same loops without the sync check (the tests do, so the script
a lease runs is known to work).
"""

from __future__ import annotations

import contextlib
import json
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Iterator

import lightning.pytorch as pl
import torch
import torch.nn.functional as F

from lrwatch import LRWatch, Store, Watch

OUT = Path(__file__).parent / "out"
WARMUP = 5
PROOF_STEPS = 60
ROUNDS = 5
MODELS = {"small MLP 784-256-256-10, batch 64": (256, 64, 600),
          "wide MLP 784-4096-4096-10, batch 512": (4096, 512, 200)}  # width, batch, steps


def _net(width: int) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(784, width), torch.nn.ReLU(),
                               torch.nn.Linear(width, width), torch.nn.ReLU(),
                               torch.nn.Linear(width, 10))


def _batches(device: str, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Eight batches made on the device: no loader copies in the loop."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(8, batch, 784, generator=generator)
    y = torch.randint(0, 10, (8, batch), generator=generator)
    return x.to(device), y.to(device)


@contextlib.contextmanager
def _sync_mode(device: str, mode: str | None) -> Iterator[None]:
    """``torch.cuda.set_sync_debug_mode(mode)`` for the block (nothing off CUDA, or for None)."""
    if device != "cuda" or mode is None:
        yield
        return
    torch.cuda.set_sync_debug_mode(mode)
    try:
        yield
    finally:
        torch.cuda.set_sync_debug_mode(0)


def _waits(caught: list[warnings.WarningMessage]) -> int:
    return sum("synchroniz" in str(w.message) for w in caught)


def _plain(device: str, width: int, batch: int, steps: int, store: Path | None,
           check: bool = False) -> dict[str, Any]:
    """A hand-written loop, with ``Watch`` when ``store`` is given: its time per step after the
    warm-up, and with ``check``, the warm-up's waits and the first wait after it (None: none)."""
    net = _net(width).to(device)
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3)
    xs, ys = _batches(device, batch)
    watch = Watch(net, optimizer, store=store, name="plain") if store is not None else None
    result: dict[str, Any] = {"warmup_waits": 0, "wait": None}

    def step(i: int) -> None:
        loss = F.cross_entropy(net(xs[i % 8]), ys[i % 8])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if watch is not None:
            watch.step(loss)

    warm_mode, checked_mode = ("warn", "error") if check else (None, None)
    with warnings.catch_warnings(record=True) as caught, _sync_mode(device, warm_mode):
        warnings.simplefilter("always")
        for i in range(WARMUP):
            step(i)
    result["warmup_waits"] = _waits(caught)
    _synchronize(device)
    start = time.perf_counter()
    try:
        with _sync_mode(device, checked_mode):
            for i in range(WARMUP, steps):
                step(i)
    except RuntimeError as exc:  # a wait under "error"
        result["wait"] = str(exc).splitlines()[0]
    _synchronize(device)
    result["step_ms"] = 1e3 * (time.perf_counter() - start) / (steps - WARMUP)
    if watch is not None:
        watch.finish()
    return result


class _Timed(pl.LightningModule):
    def __init__(self, width: int, batch: int, device: str) -> None:
        super().__init__()
        self.net = _net(width)
        self.data = _batches(device, batch)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        xs, ys = self.data
        return F.cross_entropy(self.net(xs[batch_idx % 8]), ys[batch_idx % 8])

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.parameters(), lr=1e-3)

    def train_dataloader(self) -> Any:
        return range(10**9)  # the batches live on the device; the loader only counts


class _Clock(pl.Callback):
    """Times the steps after the warm-up and, with ``check``, puts them under the sync check."""

    def __init__(self, device: str, check: bool) -> None:
        self.device, self.check = device, check
        self.start = self.end = 0.0
        self.mode: contextlib.ExitStack | None = None
        self.caught: list[warnings.WarningMessage] = []
        self.warmup_waits = 0

    def on_train_start(self, *args: Any) -> None:
        self.mode = contextlib.ExitStack()
        self.caught = self.mode.enter_context(warnings.catch_warnings(record=True))
        warnings.simplefilter("always")
        self.mode.enter_context(_sync_mode(self.device, "warn" if self.check else None))

    def on_train_batch_start(self, trainer: Any, module: Any, batch: Any, batch_idx: int) -> None:
        if batch_idx == WARMUP and self.mode is not None:
            self.mode.close()
            self.warmup_waits = _waits(self.caught)
            _synchronize(self.device)
            self.start = time.perf_counter()
            self.mode = contextlib.ExitStack()
            self.mode.enter_context(_sync_mode(self.device, "error" if self.check else None))

    def on_train_end(self, *args: Any) -> None:
        if self.mode is not None:
            self.mode.close()
        _synchronize(self.device)
        self.end = time.perf_counter()


def _lightning(device: str, width: int, batch: int, steps: int, store: Path | None,
               check: bool = False) -> dict[str, Any]:
    """Lightning's stripped Trainer (no logger, progress bar, checkpoints: their own logging
    reads the loss on the host), with ``LRWatch`` when ``store`` is given."""
    clock = _Clock(device, check)
    callbacks: list[Any] = [clock] + ([LRWatch(store=store, name="lightning")] if store else [])
    trainer = pl.Trainer(accelerator="gpu" if device == "cuda" else "cpu", devices=1,
                         max_steps=steps, logger=False, enable_progress_bar=False,
                         enable_checkpointing=False, enable_model_summary=False,
                         callbacks=callbacks)
    result: dict[str, Any] = {"warmup_waits": 0, "wait": None}
    try:
        trainer.fit(_Timed(width, batch, device))
    except RuntimeError as exc:
        if clock.mode is not None:
            clock.mode.close()
        result["wait"] = str(exc).splitlines()[0]
    result["warmup_waits"] = clock.warmup_waits
    result["step_ms"] = 1e3 * (clock.end - clock.start) / (steps - WARMUP) if clock.end else None
    return result


def _synchronize(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def _recorded(store: Path, name: str) -> dict[str, int]:
    """How many steps of the run ``name`` hold a loss, an LR and a gradient norm."""
    opened = Store(store, readonly=True)
    run = next(r for r in opened.runs() if r.name == name)
    return {key: len(opened.scalars(run, key)[0]) for key in ("loss", "lr", "grad_norm")}


def proof(device: str, steps: int = PROOF_STEPS) -> dict[str, Any]:
    """Each front end bare and watched under the sync check (on CUDA), and what each watched
    run recorded."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, run in (("plain", _plain), ("lightning", _lightning)):
            store = Path(tmp) / name
            out[name] = {"bare": run(device, 256, 64, steps, None, check=True),
                         "watched": run(device, 256, 64, steps, store, check=True)}
            out[name]["recorded"] = _recorded(store, name)
            out[name]["steps"] = steps
    return out


def overhead(device: str, rounds: int = ROUNDS) -> list[dict[str, Any]]:
    """Bare and watched, plain loop and Lightning, interleaved round by round, per model."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, (width, batch, steps) in MODELS.items():
            per_round: dict[str, list[float]] = {}
            for r in range(rounds):
                for front, run in (("plain", _plain), ("lightning", _lightning)):
                    for watched in (False, True):
                        store = Path(tmp) / f"{front}{r}{width}" if watched else None
                        ms = run(device, width, batch, steps, store)["step_ms"]
                        per_round.setdefault(f"{front}{'+lrwatch' * watched}", []).append(ms)
            row: dict[str, Any] = {"model": label, "steps": steps, "rounds": rounds,
                                   "per_round_ms": per_round}
            for front in ("plain", "lightning"):
                bare, watched = per_round[front], per_round[f"{front}+lrwatch"]
                added = statistics.median(w - b for w, b in zip(watched, bare))
                row[front] = {"bare_ms": statistics.median(bare), "added_ms": added,
                              "ratio": added / statistics.median(bare)}
            results.append(row)
    return results


def main() -> None:
    if not torch.cuda.is_available():
        print("no CUDA device here: the GPU proof and overhead need one (python -m benchmarks "
              "gpu on a machine with a GPU)")
        return
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}", flush=True)
    found = proof("cuda")
    print("| front end | run | waits in the warm-up | first wait after it | steps recorded "
          "(loss, lr, grad norm) |")
    print("|---|---|---|---|---|")
    for front, parts in found.items():
        for run in ("bare", "watched"):
            rec = parts["recorded"] if run == "watched" else {}
            print(f"| {front} | {run} | {parts[run]['warmup_waits']} | "
                  f"{parts[run]['wait'] or 'none'} | "
                  f"{', '.join(str(v) for v in rec.values()) or '-'} of {parts['steps']} |")
    costs = overhead("cuda")
    print("| model | front end | bare ms/step | lrwatch adds | of the bare step |")
    print("|---|---|---|---|---|")
    for row in costs:
        for front in ("plain", "lightning"):
            c = row[front]
            print(f"| {row['model']} | {front} | {c['bare_ms']:.3f} | {c['added_ms']:+.3f} ms | "
                  f"{100 * c['ratio']:+.1f}% |")
    OUT.mkdir(exist_ok=True)
    (OUT / "gpu.json").write_text(json.dumps({"proof": found, "overhead": costs}, indent=2))


if __name__ == "__main__":
    main()
