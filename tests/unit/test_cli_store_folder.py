"""`runs`, `report`, `export` and `dashboard` find the store in a folder as `analyze` does: the
one store there (`lrwatch_logs/demo.db` after `make demo`), or a one-line question when there are
several."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrwatch import Store
from lrwatch.cli._common import resolve_store
from lrwatch.store import ENV_VAR, FINISHED
from tests.helpers.cli import lrwatch


def _store_with_run(path: Path, name: str) -> Path:
    with Store(path) as store:
        run = store.create_run(name, {"optimizer": "SGD"})
        store.backend.append(run.id, {"loss": (np.arange(30), np.linspace(2.3, 0.4, 30)),
                                      "lr": (np.arange(30), np.full(30, 0.05))})
        store.backend.set_status(run.id, FINISHED)
    return path


@pytest.fixture
def in_repository(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A working folder with ``lrwatch_logs/demo.db``, as ``make demo`` leaves it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    _store_with_run(tmp_path / "lrwatch_logs" / "demo.db", "lr-well-chosen")
    return tmp_path


def test_runs_without_an_argument_finds_the_demo_store(in_repository, capsys):
    code, out, err = lrwatch(capsys, "runs")
    assert (code, err) == (0, "")
    assert out.splitlines()[1].split()[:4] == ["1", "lr-well-chosen", "finished", "30"]


def test_report_and_export_find_it_too(in_repository, capsys):
    code, out, err = lrwatch(capsys, "report", "-o", "report.html")
    assert (code, err) == (0, "") and (in_repository / "report.html").stat().st_size > 0
    code, out, err = lrwatch(capsys, "export", "lrwatch_logs", "--run", "lr-well-chosen",
                             "-o", "run.csv")
    assert code == 0 and "of 'lr-well-chosen' to run.csv" in err
    assert (in_repository / "run.csv").read_text().splitlines()[0] == "step,loss,lr"


@pytest.mark.parametrize("command", [["runs"], ["report"], ["export", "--run", "x"],
                                     ["dashboard"]])
def test_several_stores_are_listed_with_one_to_pass(in_repository, capsys, command):
    _store_with_run(in_repository / "lrwatch_logs" / "lrwatch.db", "mine")
    code, out, err = lrwatch(capsys, command[0], "lrwatch_logs", *command[1:])
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "ConfigError: lrwatch_logs holds 2 stores (lrwatch_logs/demo.db, lrwatch_logs/lrwatch.db);"
        f" say which, such as: lrwatch {command[0]} lrwatch_logs/demo.db"]


def test_a_store_in_a_subfolder_is_found_as_analyze_finds_it(tmp_path):
    store = _store_with_run(tmp_path / "logs" / "exp1" / "runs.sqlite", "deep")
    assert resolve_store(str(tmp_path / "logs")) == store


def test_a_folder_without_a_store_keeps_the_default_file_and_its_message(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert resolve_store(str(tmp_path / "empty")) == tmp_path / "empty" / "lrwatch.db"
    code, out, err = lrwatch(capsys, "runs", str(tmp_path / "empty"))
    assert code == 1 and err.startswith(
        f"StoreError: no lrwatch store at {tmp_path / 'empty' / 'lrwatch.db'}")


def test_a_store_file_or_the_environment_is_taken_as_given(tmp_path, monkeypatch):
    store = _store_with_run(tmp_path / "a" / "one.db", "one")
    _store_with_run(tmp_path / "a" / "two.db", "two")
    assert resolve_store(str(store)) == store
    monkeypatch.setenv(ENV_VAR, str(store))
    assert resolve_store(None) == store
