"""The dashboard's run list: each run's peak LR from the store's run list, newest first."""

from __future__ import annotations

from pathlib import Path

from lrwatch.dashboard.data import DataSource, run_rows
from lrwatch.store.sqlite import SQLiteBackend
from tests.helpers.runlist import EXPECTED, record_runs


def test_the_run_list_shows_each_runs_peak_lr(tmp_path: Path) -> None:
    backend = SQLiteBackend(tmp_path / "store")
    record_runs(backend)
    backend.close()
    source = DataSource(tmp_path / "store")
    with source.open() as store:
        rows = run_rows(source, store)  # the first call: no verdict yet, the LR is the peak
    assert [row.name for row in rows] == list(EXPECTED)[::-1]
    assert {row.name: row.current_lr for row in rows} == {
        name: peak for name, (_, peak) in EXPECTED.items()}
    assert {row.name: row.steps for row in rows}["diverged"] == 5
