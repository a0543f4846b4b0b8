"""``lrwatch demo``: three short trainings on scikit-learn's digits, watched live.

One run's learning rate is far too high, one's far too low, one's well chosen. The dashboard
serves while they train, so within a minute you see live curves and three different
diagnoses. Nothing is downloaded: the digits ship with scikit-learn.

Each demo starts its store afresh, so it only ever replaces a store of earlier demo runs: a
store that holds any other run is refused with an error, never emptied.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click

from lrwatch.cli._common import FiniteRange

if TYPE_CHECKING:
    from lrwatch.store import RunInfo

#: where the demo keeps its runs (inside the default store folder, apart from your own runs)
DEMO_STORE = Path("lrwatch_logs") / "demo.db"


@dataclass(frozen=True)
class DemoRun:
    """One demo training: its name, optimizer settings and what lrwatch should say of it."""

    name: str
    optimizer: str
    lr: float
    momentum: float
    expected: str


#: optimizer steps per demo run: enough for each run's verdict to settle
DEMO_STEPS = 300

DEMO_RUNS = (
    DemoRun("lr-too-high", "SGD", 3.0, 0.9, "diverging"),
    DemoRun("lr-too-low", "SGD", 3e-4, 0.0, "stalled"),
    DemoRun("lr-well-chosen", "Adam", 3e-3, 0.9, "healthy"),
)


def digits_loaders(batch_size: int = 64, seed: int = 0) -> tuple[Any, Any]:
    """scikit-learn's 8x8 digits as train and validation loaders (1,500 / 297 images)."""
    import torch
    from sklearn.datasets import load_digits
    from torch.utils.data import DataLoader, TensorDataset

    digits = load_digits()
    x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
    y = torch.tensor(digits.target, dtype=torch.long)
    train = DataLoader(TensorDataset(x[:1500], y[:1500]), batch_size=batch_size, shuffle=True,
                       generator=torch.Generator().manual_seed(seed))
    val = DataLoader(TensorDataset(x[1500:], y[1500:]), batch_size=300)
    return train, val


def digits_module(pl: Any, run: DemoRun) -> Any:
    """A small tanh MLP classifier (64-128-64-10) with the run's optimizer."""
    import torch

    class DigitsMLP(pl.LightningModule):  # type: ignore[name-defined, misc]
        def __init__(self) -> None:
            super().__init__()
            self.save_hyperparameters({"optimizer": run.optimizer, "lr": run.lr,
                                       "momentum": run.momentum})
            torch.manual_seed(0)
            self.net = torch.nn.Sequential(
                torch.nn.Linear(64, 128), torch.nn.Tanh(), torch.nn.Linear(128, 64),
                torch.nn.Tanh(), torch.nn.Linear(64, 10))

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            return torch.nn.functional.cross_entropy(self.net(x), y)

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            x, y = batch
            self.log("val_loss", torch.nn.functional.cross_entropy(self.net(x), y))

        def configure_optimizers(self) -> Any:
            lr = self.hparams.lr  # read here, so find_lr can set it
            if run.optimizer == "Adam":
                return torch.optim.Adam(self.parameters(), lr=lr, betas=(run.momentum, 0.999))
            return torch.optim.SGD(self.parameters(), lr=lr, momentum=run.momentum)

    return DigitsMLP()


def train_demo_run(store: str | Path, run: DemoRun, *, steps: int = 300, pace: float = 0.0,
                   name: str | None = None, **watch: Any) -> None:
    """Train one demo run for ``steps`` optimizer steps, recorded by ``LRWatch`` into ``store``.

    ``pace`` adds that many seconds to each step, so a person can watch the curves grow;
    ``watch`` goes to ``LRWatch`` (``on_diverge="recover"`` ...).
    """
    from lrwatch import LRWatch
    from lrwatch._compat import MODULES

    pl = next(iter(MODULES.values()))
    callbacks: list[Any] = [LRWatch(store=str(store), name=name or run.name, **watch)]
    if pace > 0:
        callbacks.append(_Pace(pl, pace))
    train, val = digits_loaders()
    trainer = pl.Trainer(
        accelerator="cpu", devices=1, max_steps=steps, max_epochs=-1, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        num_sanity_val_steps=0, val_check_interval=min(50, steps), check_val_every_n_epoch=None,
        callbacks=callbacks)
    trainer.fit(digits_module(pl, run), train, val)


def _Pace(pl: Any, seconds: float) -> Any:
    class Pace(pl.Callback):  # type: ignore[name-defined, misc]
        def on_train_batch_end(self, *args: Any) -> None:
            time.sleep(seconds)

    return Pace()


def run_demo(store: Path, *, steps: int, pace: float,
             echo: Callable[[str], None] = click.echo) -> None:
    """Train the demo runs one after the other into ``store``."""
    for run in DEMO_RUNS:
        echo(f"training '{run.name}': {run.optimizer} lr={run.lr:g} "
             f"(lrwatch should call it {run.expected})")
        train_demo_run(store, run, steps=steps, pace=pace)


def _quiet_lightning() -> None:
    import logging
    import warnings

    for name in ("lightning", "lightning.pytorch", "pytorch_lightning", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="lightning")
    warnings.filterwarnings("ignore", module="pytorch_lightning")


@click.command(help="Train three short runs on scikit-learn's digits (LR too high, too low, "
                    "well chosen) while the dashboard shows them live.")
@click.option("--store", type=click.Path(dir_okay=True), default=str(DEMO_STORE),
              show_default=True,
              help="where to record the demo runs; started afresh, so it must be new or hold "
                   "only earlier demo runs (a store with other runs is refused, never emptied)")
@click.option("--steps", default=DEMO_STEPS, show_default=True, type=click.IntRange(20, 100_000),
              help="optimizer steps per run")
@click.option("--pace", default=0.03, show_default=True, type=FiniteRange(0, 10),
              help="extra seconds per step, to watch the curves grow")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=click.IntRange(1, 65535))
@click.option("--open", "open_browser", is_flag=True, help="open the dashboard in a browser")
@click.option("--no-dashboard", is_flag=True, help="only train and print the diagnoses")
def demo(store: str, steps: int, pace: float, host: str, port: int, open_browser: bool,
         no_dashboard: bool) -> None:
    from lrwatch.cli._common import check_listen_address
    from lrwatch.store import Store
    from lrwatch.store.location import resolve_path

    if not no_dashboard:
        check_listen_address(host, 0)  # any port: a busy --port makes the dashboard take the next
    path = resolve_path(store)
    _fresh_store(path)
    _quiet_lightning()
    handle = None
    interrupted = _count_interrupts()
    try:
        if not no_dashboard:
            from lrwatch.dashboard.launcher import start_in_background

            Store(path).close()  # the dashboard then opens on an empty store, not a missing one
            # not kept: the server stops by itself when this process ends, however it ends
            handle = start_in_background(path, host, port)
            _interrupt_when_orphaned()
            click.echo(f"dashboard: {handle.url}  (open it now and watch)")
            if open_browser:
                import webbrowser

                webbrowser.open(handle.url)
        run_demo(path, steps=steps, pace=0.0 if no_dashboard else pace)
        _print_diagnoses(path)
        if handle is None:
            return
        click.echo(f"training done; the dashboard stays up at {handle.url} — Ctrl-C to stop it")
        while handle.running():
            time.sleep(1.0)
    except KeyboardInterrupt:
        click.echo("demo stopped")
    except SystemExit:  # Lightning ends a fit interrupted by Ctrl-C with exit(1)
        if not interrupted:
            raise
        click.echo("demo stopped")
    finally:
        if handle is not None:
            handle.stop()


def _print_diagnoses(path: Path) -> None:
    from lrwatch.figures import run_diagnosis
    from lrwatch.store import Store

    with Store(path, readonly=True) as st:
        for info in st.runs():
            d = run_diagnosis(st, info)
            if d is not None:
                s = d.suggestion
                lr = (f"LR {s.peak_lr:.3g} -> {s.suggested_lr:.3g}"
                      if s.peak_lr and s.suggested_lr else "")
                click.echo(f"{info.name:16s} {d.status.value:12s} {s.action.value:10s} {lr}")


def _count_interrupts() -> list[int]:
    """Ctrl-C (SIGINT) and SIGTERM both interrupt the demo as Ctrl-C does; the list they are
    recorded in is non-empty once one came."""
    received: list[int] = []

    def interrupt(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    return received


def _interrupt_when_orphaned() -> None:
    """Stop the demo when the process that started it is gone: a SIGTERM to ``make demo`` ends
    make but not its child, which would otherwise serve on."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="lrwatch-demo-parent", daemon=True).start()


def _fresh_store(path: Path) -> None:
    """Start the demo store afresh, deleting it only when it holds nothing but demo runs.

    A store with any other run (``--store lrwatch_logs`` names your own store) is refused, not
    emptied: the demo never deletes a run it did not record.
    """
    from lrwatch.cli._common import printable
    from lrwatch.errors import ConfigError, NotAStore, StoreError
    from lrwatch.store import Store

    if not path.exists():
        return
    if path.stat().st_size > 0:  # an empty file holds no runs
        try:
            with Store(path, readonly=True) as st:
                others = [run.name for run in st.runs() if not _is_demo_run(run)]
        except NotAStore:
            raise ConfigError(f"{path} is not an lrwatch store; pass another --store") from None
        except StoreError as exc:
            raise ConfigError(f"the demo cannot check that {path} holds only demo runs ({exc}); "
                              "pass another --store") from None
        if others:
            names = ", ".join([f"'{printable(name)}'" for name in others[:3]]
                              + (["..."] if others[3:] else []))
            raise ConfigError(f"{path} holds runs the demo did not record ({names}) and the demo "
                              "starts its store afresh; pass another --store, a new file")
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _is_demo_run(run: RunInfo) -> bool:
    """Whether ``run`` was recorded by the demo: a demo run's name, and the demo's model."""
    return (run.name in {r.name for r in DEMO_RUNS}
            and run.meta.get("model") == "DigitsMLP")  # digits_module's class
