"""The run list (``Store.run_list``) on SQLite: one query for finished runs, the same rows as
each run's own reads, in stores written before summaries too."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from lrwatch import keys
from lrwatch.cli import main
from lrwatch.errors import StoreError
from lrwatch.store import FINISHED, Store
from lrwatch.store.sqlite import SQLiteBackend
from tests.helpers.runlist import check_run_list, record_runs


def _as_schema_2(path: Path) -> None:
    """Make the store at ``path`` one written before summaries (schema 2)."""
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE summaries")
        conn.execute("PRAGMA user_version=2")
    conn.close()


def test_the_list_equals_the_per_run_reads(tmp_path: Path) -> None:
    backend = SQLiteBackend(tmp_path / "store")
    record_runs(backend)
    backend.close()
    with Store(tmp_path / "store", readonly=True) as store:
        check_run_list(store)


def test_listing_finished_runs_reads_no_series(tmp_path: Path) -> None:
    backend = SQLiteBackend(tmp_path / "store")
    for i in range(30):
        run = backend.create_run(f"run{i}", {})
        s = np.arange(100)
        backend.append(run.id, {keys.LOSS: (s, 1.0 / (1 + s)), keys.LR: (s, np.full(100, 0.1))})
        backend.set_status(run.id, FINISHED)
        backend.compact(run.id)
    backend.close()
    with Store(tmp_path / "store", readonly=True) as store:
        statements: list[str] = []
        store.backend._conn.set_trace_callback(statements.append)  # type: ignore[attr-defined]
        listed = store.run_list()
    assert len(listed) == 30 and listed[-1][1].last_loss == 1.0 / 100
    assert len(statements) == 1 and "summaries" in statements[0]


def test_a_store_written_before_summaries_lists_the_same(tmp_path: Path) -> None:
    path = tmp_path / "store" / "lrwatch.db"
    backend = SQLiteBackend(path)
    record_runs(backend)
    backend.close()
    _as_schema_2(path)

    with Store(path, readonly=True) as store:  # read-only: computed on demand, file unchanged
        check_run_list(store)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()

    Store(path).close()  # a writer's open migrates it and summarises the ended runs once
    with sqlite3.connect(path) as conn:
        summarised = {r[0] for r in conn.execute(
            "SELECT r.name FROM summaries m JOIN runs r ON r.id = m.run_id")}
    conn.close()
    assert summarised == {"warmup", "recovered", "diverged", "no-series", "resumed",
                          "unfinished"}
    with Store(path, readonly=True) as store:
        check_run_list(store)


def test_lrwatch_runs_shows_the_summaries(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    backend = SQLiteBackend(tmp_path / "store")
    record_runs(backend)
    backend.close()
    main(["runs", str(tmp_path / "store")])
    lines = {line.split()[1]: line.split() for line in capsys.readouterr().out.splitlines()[1:]}
    assert lines["warmup"][3:6] == ["10", "0.25", "0.1"]
    assert lines["recovered"][3:6] == ["10", "0.5", "0.01"]
    assert lines["diverged"][2:5] == ["finished", "5", "nan"]
    assert lines["no-series"][3:6] == ["0", "-", "-"]


def test_a_damaged_run_does_not_stop_an_older_store_from_opening(tmp_path: Path) -> None:
    path = tmp_path / "lrwatch.db"
    backend = SQLiteBackend(path)
    for name in ("damaged", "sound"):
        run = backend.create_run(name, {})
        backend.append(run.id, {keys.LR: (np.arange(5), np.full(5, 0.1))})
        backend.set_status(run.id, FINISHED)
    backend.close()
    _as_schema_2(path)
    with sqlite3.connect(path) as conn:  # a flipped bit in the first run's LR chunk
        conn.execute("UPDATE chunks SET vals = zeroblob(40) WHERE id = 1")
    conn.close()

    Store(path).close()  # migrates; the damaged run gets no summary, the other one does
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT run_id FROM summaries")] == [2]
    conn.close()
    with Store(path, readonly=True) as store, pytest.raises(StoreError, match="run 'damaged'"):
        store.run_list()
