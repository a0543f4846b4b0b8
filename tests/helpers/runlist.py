"""Runs of every kind the run list must show right, written into a backend, and the list as the
per-run reads give it (what ``lrwatch runs`` showed before stored summaries)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lrwatch import keys
from lrwatch.readers import judged_lr
from lrwatch.store import FINISHED, PendingEvent, Store

#: run name -> (last loss, peak LR) that the runs written by ``record_runs`` must list
EXPECTED = {
    "warmup": (0.25, 0.1),  # the peak of a warmup-and-decay schedule, not its last LR
    "recovered": (0.5, 0.01),  # the peak after the guard's last recovery
    "diverged": (math.nan, 0.3),
    "no-series": (None, None),
    "resumed": (0.125, 0.08),  # resumed from step 5 with another LR, ended uncompacted
    "unfinished": (1.5, 0.001),  # ended without compaction: a writer that died
    "running": (0.75, 0.004),
}


def _finish(backend: Any, run_id: int) -> None:
    backend.set_status(run_id, FINISHED)
    backend.compact(run_id)


def record_runs(backend: Any) -> None:
    """Write the runs of :data:`EXPECTED` into ``backend`` (a writable backend)."""
    s = np.arange(10)
    run = backend.create_run("warmup", {})
    lr = np.concatenate([np.linspace(0.01, 0.1, 5), np.linspace(0.08, 0.0, 5)])
    backend.append(run.id, {keys.LOSS: (s, np.linspace(2.0, 0.25, 10)), keys.LR: (s, lr)})
    _finish(backend, run.id)

    run = backend.create_run("recovered", {})
    recover = PendingEvent(6, keys.EVENT_ACTION, {"action": "recover", "restored_step": 3,
                                                   "lr_before": 0.1, "lr_after": 0.01}, 1.0)
    backend.append(run.id, {keys.LOSS: (s, np.full(10, 0.5)),
                            keys.LR: (s, np.where(s <= 6, 0.1, 0.01))}, [recover])
    _finish(backend, run.id)

    run = backend.create_run("diverged", {})
    loss = np.array([1.0, 2.0, 40.0, np.inf, np.nan])
    backend.append(run.id, {keys.LOSS: (s[:5], loss), keys.LR: (s[:5], np.full(5, 0.3))})
    _finish(backend, run.id)

    run = backend.create_run("no-series", {})
    _finish(backend, run.id)

    run = backend.create_run("resumed", {})
    backend.append(run.id, {keys.LOSS: (s, np.full(10, 1.0)), keys.LR: (s, np.full(10, 0.05))})
    _finish(backend, run.id)
    backend.reopen_run(run.id)
    backend.truncate(run.id, 5)
    backend.append(run.id, {keys.LOSS: (s[5:], np.full(5, 0.125)),
                            keys.LR: (s[5:], np.full(5, 0.08))})
    backend.set_status(run.id, FINISHED)  # same last step as its first summary had

    run = backend.create_run("unfinished", {})
    backend.append(run.id, {keys.LOSS: (s, np.full(10, 1.5)), keys.LR: (s, np.full(10, 1e-3))})
    backend.set_status(run.id, FINISHED)

    run = backend.create_run("running", {})
    backend.append(run.id, {keys.LOSS: (s[:4], np.full(4, 0.75)),
                            keys.LR: (s[:4], np.full(4, 4e-3))})


def listed(store: Store) -> dict[str, tuple[Any, ...]]:
    """name -> (id, status, steps, last loss, peak LR) from ``Store.run_list``."""
    return {run.name: (run.id, run.status, run.steps, summary.last_loss, summary.peak_lr)
            for run, summary in store.run_list()}


def read_per_run(store: Store) -> dict[str, tuple[Any, ...]]:
    """The same, from each run's own reads (as the run list was made before summaries)."""
    return {run.name: (run.id, run.status, run.steps,
                       store.last_values(run, [keys.LOSS]).get(keys.LOSS), judged_lr(store, run))
            for run in store.runs()}


def comparable(rows: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    """Rows with NaN written as a string, so that equal rows compare equal."""
    return {name: tuple("nan" if isinstance(x, float) and math.isnan(x) else x for x in row)
            for name, row in rows.items()}


def check_run_list(store: Store) -> None:
    """The list equals the per-run reads, and both show what the runs recorded."""
    rows = comparable(listed(store))
    assert rows == comparable(read_per_run(store))
    assert {name: row[3:] for name, row in rows.items()} == comparable(EXPECTED)
    assert [name for name in rows] == list(EXPECTED)  # oldest first
