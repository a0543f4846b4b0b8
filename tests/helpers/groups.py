"""A run stored with the param-group numbering lrwatch used before Lightning's (``lr/pg1`` was
the second group), and what today's reads must show of it, for the SQLite and PostgreSQL tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from lrwatch.store import FINISHED
from lrwatch.store.sqlite import SQLiteBackend

STEPS = np.arange(5)
# What lrwatch wrote before Lightning's numbering, for an AdamW with four groups (the third
# named "head") beside a second optimizer with two groups, and what each key holds.
OLD_SERIES = {
    "loss": 1.0, "lr": 0.1, "lr/pg1": 0.2, "lr/head": 0.3, "lr/pg3": 0.4,
    "momentum/pg1": 0.9, "beta2/pg3": 0.95, "weight_decay/pg1": 0.01,
    "lr@SGD": 0.5, "lr/pg1@SGD": 0.6,
    "grad_norm/pg1": 7.0,  # a layer (module) named pg1: not a param group, never renamed
    "logged/lr/pg1": 8.0,  # a metric the user logged as lr/pg1: kept as logged
}
# The same series under today's names.
NEW_SERIES = {
    "loss": 1.0, "lr": 0.1, "lr/pg2": 0.2, "lr/head": 0.3, "lr/pg4": 0.4,
    "momentum/pg2": 0.9, "beta2/pg4": 0.95, "weight_decay/pg2": 0.01,
    "lr@SGD": 0.5, "lr/pg2@SGD": 0.6,
    "grad_norm/pg1": 7.0, "logged/lr/pg1": 8.0,
}


def write_old_run(backend: Any, name: str = "old") -> None:
    """Write a finished run named ``name`` holding ``OLD_SERIES`` as they are, into a backend of
    today's schema (the caller then marks the store with the older schema)."""
    run = backend.create_run(name, {})
    backend.append(run.id, {key: (STEPS, np.full(STEPS.size, value))
                            for key, value in OLD_SERIES.items()})
    backend.set_status(run.id, FINISHED)
    backend.compact(run.id)


def old_sqlite_store(path: Path) -> None:
    """A SQLite store at ``path`` as lrwatch wrote it before Lightning's numbering: the old
    names written as they were, the file marked with that schema (3)."""
    backend = SQLiteBackend(path)
    write_old_run(backend)
    backend.close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version=3")
    conn.close()


def reads(store: Any, name: str = "old") -> dict[str, float]:
    """Each key of run ``name`` as ``store`` shows it, with the one value its series holds."""
    run = store.run(name)
    out = {}
    for key in store.keys(run):
        steps, values = store.scalars(run, key)
        assert steps.tolist() == STEPS.tolist(), key
        assert np.unique(values).size == 1, key
        out[key] = float(values[0])
    return out
