"""Param groups numbered as Lightning numbers them (``lr/pg2`` is the second group) in SQLite
stores written before that numbering (schema 3: their ``lr/pg1`` was the second group): a
writer's open renames the series once, a read-only open translates the names as read and
leaves the file as it is, and exports and figures show today's names either way."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lrwatch import figures, keys
from lrwatch.cli import main
from lrwatch.store import Store
from tests.helpers.groups import NEW_SERIES, OLD_SERIES, old_sqlite_store, reads


def _stored(path: Path) -> tuple[int, set[str]]:
    """The file's schema and the series names it holds, read with sqlite3 itself."""
    with sqlite3.connect(path) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        names = {r[0] for r in conn.execute("SELECT name FROM series")}
    conn.close()
    return version, names


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    path = tmp_path / "store" / "lrwatch.db"
    old_sqlite_store(path)
    return path


def test_a_read_only_open_shows_todays_names_and_changes_nothing(old_store: Path) -> None:
    with Store(old_store, readonly=True) as store:
        assert reads(store) == NEW_SERIES
        run = store.run("old")
        assert store.backend.last_values(run.id, ["lr/pg2@SGD", "lr/pg1"]) == {"lr/pg2@SGD": 0.6}
        assert store.scalars(run, "lr/pg1")[0].size == 0  # no group is lr/pg1 any more
    assert _stored(old_store) == (3, set(OLD_SERIES))


def test_a_writers_open_renames_the_series_once(old_store: Path) -> None:
    Store(old_store).close()
    assert _stored(old_store) == (4, set(NEW_SERIES))
    with Store(old_store, readonly=True) as store:
        assert reads(store) == NEW_SERIES
    Store(old_store).close()  # opened again: nothing renamed twice
    assert _stored(old_store) == (4, set(NEW_SERIES))


def test_a_reader_kept_open_while_a_writer_renames_reads_todays_names_throughout(
        old_store: Path) -> None:
    with Store(old_store, readonly=True) as store:  # a dashboard left open
        assert reads(store) == NEW_SERIES
        Store(old_store).close()  # a training starts and migrates the store
        assert _stored(old_store) == (4, set(NEW_SERIES))
        assert reads(store) == NEW_SERIES


@pytest.mark.parametrize("migrated", [False, True], ids=["read-only", "migrated"])
def test_exports_and_figures_show_todays_names(old_store: Path, tmp_path: Path,
                                               migrated: bool) -> None:
    if migrated:
        Store(old_store).close()
    out = tmp_path / "old.csv"
    main(["export", str(old_store), "--run", "old", "-o", str(out)])
    header = out.read_text().splitlines()[0].split(",")
    assert {"lr/pg2", "lr/pg4", "lr/pg2@SGD"} <= set(header)
    assert not {"lr/pg1", "lr/pg3", "lr/pg1@SGD"} & set(header)
    with Store(old_store, readonly=True) as store:
        lines = figures.panel_lines(store, "old", "lr", smoothing=0.0)
    assert {line.name: float(line.values[0]) for line in lines} == {
        "lr": 0.1, "lr/head": 0.3, "lr/pg2": 0.2, "lr/pg4": 0.4, "lr@SGD": 0.5, "lr/pg2@SGD": 0.6}


def test_the_key_rule_follows_lightning() -> None:
    assert [keys.param_group_key(keys.LR, g) for g in range(3)] == ["lr", "lr/pg2", "lr/pg3"]
    assert keys.param_group_key(keys.MOMENTUM, 1, "head") == "momentum/head"
    assert keys.param_group_key(keys.LR, 0, "body") == "lr"  # the first group keeps lr
