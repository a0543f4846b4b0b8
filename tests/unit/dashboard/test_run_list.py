"""The dashboard's run list: each run's peak LR from the store's run list, newest first, and
at most ``SHOWN_ROWS`` rows of a long one."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from lrwatch.dashboard.app import create_app
from lrwatch.dashboard.data import DataSource, run_rows
from lrwatch.dashboard.pages.runs import SHOWN_ROWS
from lrwatch.store import FINISHED
from lrwatch.store.sqlite import SQLiteBackend
from tests.helpers.runlist import EXPECTED, record_runs

from .conftest import Callbacks


def test_the_run_list_shows_each_runs_peak_lr(tmp_path: Path) -> None:
    backend = SQLiteBackend(tmp_path / "store")
    record_runs(backend)
    backend.close()
    source = DataSource(tmp_path / "store")
    with source.open() as store:
        rows = run_rows(source, store)  # the first call: no verdict yet, the LR is the peak
    assert [row.name for row in rows] == list(EXPECTED)[::-1]
    assert {row.name: row.peak_lr for row in rows} == {
        name: peak for name, (_, peak) in EXPECTED.items()}
    assert {row.name: row.steps for row in rows}["diverged"] == 5


def _table(calls: Callbacks, text: str = "") -> tuple[list[str], str]:
    """The run list's names and its note, as the page's table callback answers a first view."""
    response = calls.call(
        ["runs-body.children", "runs-sig.data", "runs-empty.children"],
        [("tick", "n_intervals", 1), ("run-filter", "value", text),
         ("status-filter", "value", []), ("selected", "data", [])],
        [("runs-sig", "data", None)])
    assert response.status_code == 200
    answer = response.json["response"]
    names = [row["props"]["children"][1]["props"]["children"]["props"]["children"]
             for row in answer["runs-body"]["children"]]
    return names, answer["runs-empty"]["children"]


def test_a_long_list_shows_the_newest_runs_and_says_how_many_more(tmp_path: Path) -> None:
    backend = SQLiteBackend(tmp_path / "store")
    for i in range(SHOWN_ROWS + 5):
        run = backend.create_run(f"run{i}", {})
        backend.append(run.id, {"loss": (np.arange(3), np.ones(3))})
        backend.set_status(run.id, FINISHED)
        backend.compact(run.id)
    backend.close()
    calls = Callbacks(create_app(tmp_path / "store"))

    names, note = _table(calls)
    assert len(names) == SHOWN_ROWS and names[0] == f"run{SHOWN_ROWS + 4}"
    assert note == "5 older runs not shown: filter by name or status to find them"
    names, note = _table(calls, text="run1")  # the filter finds the older ones
    assert "run1" in names and note == ""


def test_a_run_that_ended_with_no_loss_says_no_verdict_not_analysing(tmp_path: Path) -> None:
    from lrwatch import Store

    with Store(tmp_path / "store") as store:  # a training that failed before its first step,
        store.set_status(store.create_run("failed-at-start"), "failed")  # and one still starting
        store.create_run("starting")
        done = store.create_run("only-lr")  # a finished run that recorded no loss
        store.append(done, {"lr": (np.arange(30), np.full(30, 0.1))})
        store.set_status(done, FINISHED)
    source = DataSource(tmp_path / "store")
    with source.open() as store:
        for run in store.runs():
            source.diagnoses.wait(run)
        badges = {row.name: row.badge for row in run_rows(source, store)}
        assert badges == {"failed-at-start": "no_verdict", "starting": "running",
                          "only-lr": "no_verdict"}  # "analysing" forever, for the ended two
    calls = Callbacks(create_app(tmp_path / "store"))
    for name, run_id, badge in (("failed-at-start", 1, "no verdict"), ("only-lr", 3, "no verdict"),
                                ("starting", 2, "analysing")):
        for _ in range(100):  # the app analyses beside the page: poll until it has
            response = calls.call(["run-summary.children", "banner.children", "banner-sig.data"],
                                  [("tick", "n_intervals", 1)],
                                  [("run-ref", "data", run_id), ("banner-sig", "data", None)],
                                  changed=["tick.n_intervals"])
            text = str(response.json["response"]["banner"])
            if "analysing the curves" not in text:
                break
            time.sleep(0.1)
        assert f"'children': '{badge}'" in text, (name, text)
        assert ("no loss recorded yet" in text) == (name == "starting")
