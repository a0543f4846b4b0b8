"""What notifications cost training: the training thread's time per note, and the wall time of
a diverging fit whose alert endpoint answers, hangs, or is not set.

1. Per note, on the training thread: ``Notifier.diagnosis_changed`` with the sinks written
   inline (a real CSVLogger and TensorBoardLogger, their writers made first, as Lightning
   makes them at fit start) and with a webhook (background: the call only enqueues), 200
   notes each, median and max.
2. Fit wall time: the digits MLP with SGD at LR 3.0 (it diverges at once; ``on_diverge="warn"``
   so it trains all its 300 steps and announces several changes), without an alert, with an
   alert to a local receiver that answers, and to one that never answers; interleaved rounds,
   the median per configuration. A hanging endpoint may add up to ``CLOSE_GRACE_S`` at the end.
``python -m benchmarks.notify``; figures to ``benchmarks/out/notify.json``.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

from lrwatch import LRWatch
from lrwatch.notify import Notifier, Webhook, logger_sinks
from lrwatch.notify.notifier import CLOSE_GRACE_S

OUT = Path(__file__).parent / "out"
NOTES = 200
ROUNDS = 3
STEPS = 300


def _receiver(hang: threading.Event | None) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            if hang is not None:
                hang.wait(600)
                return
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _per_note(sinks: list[Any]) -> dict[str, float]:
    notifier = Notifier("bench", sinks)
    payload = {"status": "diverging", "evidence": ["loss rose 18x in its first 7 steps"],
               "action": "reduce", "current_lr": 3.0, "suggested_lr": 0.3, "rationale": "r"}
    times = []
    for step in range(NOTES):
        start = time.perf_counter()
        notifier.diagnosis_changed(step, "lrwatch: run 'bench' is diverging ...", payload)
        times.append(time.perf_counter() - start)
    notifier.close(grace_s=30)
    return {"median_us": 1e6 * statistics.median(times), "max_us": 1e6 * max(times)}


class Digits(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.Tanh(),
                                       torch.nn.Linear(128, 10))

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return torch.nn.functional.cross_entropy(self.net(x), y)

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=3.0)


def _fit(root: Path, alert: str | None) -> float:
    data = load_digits()
    x = torch.tensor(data.data / 16.0, dtype=torch.float32)
    loader = DataLoader(TensorDataset(x, torch.tensor(data.target)), batch_size=32)
    trainer = pl.Trainer(max_steps=STEPS, accelerator="cpu", logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, default_root_dir=str(root),
                         callbacks=[LRWatch(store=root / "s", alert=alert)])
    start = time.perf_counter()
    trainer.fit(Digits(), loader)
    return time.perf_counter() - start


def main() -> None:
    torch.set_num_threads(1)
    OUT.mkdir(exist_ok=True)
    release = threading.Event()
    good, hang = _receiver(None), _receiver(release)
    urls = {"no alert": None, "alert, answering": f"http://127.0.0.1:{good.server_port}/h",
            "alert, hanging": f"http://127.0.0.1:{hang.server_port}/h"}
    figures: dict[str, Any] = {"close_grace_s": CLOSE_GRACE_S}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        loggers = [CSVLogger(root / "csv"), TensorBoardLogger(root / "tb")]
        for logger in loggers:  # made at fit start in training (log_hyperparams), not per note
            logger.experiment  # noqa: B018
        figures["per_note"] = {
            "CSV + TensorBoard (inline)": _per_note(logger_sinks(loggers)),
            "webhook (enqueue only)": _per_note([Webhook(urls["alert, answering"])]),
        }
        times: dict[str, list[float]] = {name: [] for name in urls}
        for r in range(ROUNDS):
            for name, url in urls.items():
                times[name].append(_fit(root / f"{r}-{len(times[name])}-{name[:8]}", url))
    release.set()
    figures["fit_s"] = {name: statistics.median(t) for name, t in times.items()}
    figures["fit_s_all"] = times
    for name, cost in figures["per_note"].items():
        print(f"per note, {name}: median {cost['median_us']:.0f} us, max {cost['max_us']:.0f} us")
    for name, seconds in figures["fit_s"].items():
        print(f"fit ({STEPS} steps, median of {ROUNDS}), {name}: {seconds:.2f} s")
    (OUT / "notify.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
