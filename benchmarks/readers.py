"""How fast logs are read into curves, and how much memory a huge CSV takes.

- Lightning CSV: a ``metrics.csv`` shaped like CSVLogger's (a loss row and an LR-monitor row
  per step, 8 columns), 1 M steps. Timed side by side with two references in the same run:
  bare ``csv.reader`` iteration (the floor for any stdlib reader) and ``csv.DictReader`` into
  a list (what a quick script does). Peak Python memory of our read is taken with tracemalloc
  and set beside the size of the arrays the chosen columns fill.
- The same run through ``analyze`` (read + diagnose), as ``lrwatch analyze`` does it.
- TensorBoard: 100 k steps x 3 scalar tags in one event file.
- Store: ``curves_from_store`` on a 1 M-step run (loss, lr, grad_norm).

Medians of ``REPEATS`` runs; figures go to stdout and ``benchmarks/out/readers.json``.
"""

from __future__ import annotations

import csv
import json
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import numpy as np

from lrwatch import keys
from lrwatch.analysis import analyze
from lrwatch.readers import curves_from_store, find_runs, read_run
from lrwatch.readers.csvlogger import read_columns, read_csv_log, read_header
from lrwatch.readers.tfevents import event_files, read_event_log
from lrwatch.store import Store

CSV_STEPS = 1_000_000
TB_STEPS = 100_000
STORE_STEPS = 1_000_000
REPEATS = 3
OUT = Path(__file__).parent / "out"


def _median_time(fn: Callable[[], Any], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _loss(steps: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return 2.0 * np.exp(-np.arange(steps) / (steps / 5)) + 0.1 + 0.05 * rng.random(steps)


def write_lightning_csv(path: Path, steps: int) -> None:
    """CSVLogger's layout: an LR-monitor row, then a training row, per step."""
    loss = _loss(steps)
    with open(path, "w", newline="") as fh:
        fh.write("epoch,grad_2.0_norm_total,lr-AdamW,lr-AdamW-momentum,step,train_loss_epoch,"
                 "train_loss_step,val_loss\n")
        for step in range(steps):
            fh.write(f",,0.001,0.9,{step},,,\n0,1.5,,,{step},,{loss[step]:.6f},\n")


def _bare_csv(path: Path) -> int:
    with open(path, newline="") as fh:
        return sum(1 for _ in csv.reader(fh))


def _dictreader(path: Path) -> np.ndarray:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return np.array([float(r["train_loss_step"]) for r in rows if r["train_loss_step"]])


def bench_csv(folder: Path) -> dict[str, Any]:
    path = folder / "metrics.csv"
    write_lightning_csv(path, CSV_STEPS)
    ours_times, bare_times, naive_times = [], [], []
    for _ in range(REPEATS):  # interleaved, so machine load hits all three alike
        ours_times.append(_median_time(lambda: read_csv_log(path), 1))
        bare_times.append(_median_time(lambda: _bare_csv(path), 1))
        naive_times.append(_median_time(lambda: _dictreader(path), 1))
    ours, bare, naive = (statistics.median(t) for t in (ours_times, bare_times, naive_times))
    tracemalloc.start()
    chosen = read_csv_log(path).columns
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    wanted = [c for c in (chosen.loss, chosen.lr, chosen.grad_norm, chosen.val_loss,
                          chosen.momentum) if c is not None]
    points, _ = read_columns(path, read_header(path), wanted)
    tracemalloc.start()
    _dictreader(path)
    _, naive_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    end_to_end = _median_time(lambda: analyze(read_run(find_runs(path)[0]).curves))
    return {
        "csv_steps": CSV_STEPS, "csv_rows": 2 * CSV_STEPS,
        "csv_mb": round(path.stat().st_size / 1e6, 1),
        "read_s": round(ours, 2), "bare_csv_reader_s": round(bare, 2),
        "dictreader_s": round(naive, 2),
        "read_over_bare": round(ours / bare, 2), "dictreader_over_read": round(naive / ours, 2),
        "read_peak_mb": round(peak / 1e6, 1), "dictreader_peak_mb": round(naive_peak / 1e6, 1),
        "read_arrays_mb": round(sum(s.nbytes + v.nbytes for s, v in points.values()) / 1e6, 1),
        "read_and_analyze_s": round(end_to_end, 2),
    }


def bench_tensorboard(folder: Path) -> dict[str, Any]:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return {"tensorboard": "skipped: torch.utils.tensorboard not available"}
    loss = _loss(TB_STEPS)
    with SummaryWriter(log_dir=str(folder / "tb")) as writer:
        for step in range(TB_STEPS):
            writer.add_scalar("train_loss_step", loss[step], step)
            writer.add_scalar("lr-AdamW", 1e-3, step)
            writer.add_scalar("grad_2.0_norm_total", 1.5, step)
    files = event_files(folder / "tb")
    seconds = _median_time(lambda: read_event_log(files, "tb"))
    return {"tb_steps": TB_STEPS, "tb_scalars": 3 * TB_STEPS, "tb_read_s": round(seconds, 2),
            "tb_scalars_per_s": int(3 * TB_STEPS / seconds)}


def bench_store(folder: Path) -> dict[str, Any]:
    steps = np.arange(STORE_STEPS)
    with Store(folder / "store") as store:
        run = store.create_run("big", {"kind": "train", "optimizer": "AdamW"})
        for lo in range(0, STORE_STEPS, 100_000):  # as the writer does: many chunks
            part = steps[lo:lo + 100_000]
            store.backend.append(run.id, {keys.LOSS: (part, _loss(part.size)),
                                          keys.LR: (part, np.full(part.size, 1e-3)),
                                          keys.GRAD_NORM: (part, np.ones(part.size))})
    with Store(folder / "store", readonly=True) as store:
        seconds = _median_time(lambda: curves_from_store(store, "big"))
    return {"store_steps": STORE_STEPS, "store_read_s": round(seconds, 3)}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures = {**bench_csv(folder), **bench_tensorboard(folder), **bench_store(folder)}
    for name, value in figures.items():
        print(f"{name:>24}: {value}")
    (OUT / "readers.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
