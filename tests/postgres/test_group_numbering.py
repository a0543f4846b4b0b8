"""Param groups numbered as Lightning numbers them, on a real server holding runs written
before that numbering (schema 2: ``lr/pg1`` was the second group): read-only opens and reader
roles translate the names as read and change nothing, a writer's open renames the series once,
and a sync into such a database never leaves a run with both numberings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrwatch import keys
from lrwatch.store import Store
from lrwatch.store.postgres import PostgresBackend
from lrwatch.store.spool import sync_store
from lrwatch.store.sqlite import SQLiteBackend
from tests.helpers.groups import NEW_SERIES, OLD_SERIES, old_sqlite_store, reads, write_old_run
from tests.helpers.pgcluster import Cluster


def _database(pg_url: str) -> str:
    return pg_url.rsplit("/", 1)[1]


def _stored(cluster: Cluster, db: str) -> tuple[str, set[str]]:
    """The database's schema version and the series names it holds, read with SQL."""
    (version,) = cluster.sql("SELECT value FROM lrwatch.meta WHERE key = 'schema'", db)[0]
    return version, {r[0] for r in cluster.sql("SELECT name FROM lrwatch.series", db)}


def _as_old_numbering(cluster: Cluster, db: str) -> None:
    """Rename today's numbered series back to the old numbers (lowest first, so no name is
    taken) and mark the database with the schema before the renumbering (2)."""
    rows = cluster.sql("SELECT id, name FROM lrwatch.series", db)
    numbered = sorted((keys.numbered_group(name), sid, name) for sid, name in rows
                      if keys.numbered_group(name) is not None)
    for _, sid, name in numbered:
        cluster.sql(f"UPDATE lrwatch.series SET name = '{keys.renumbered_group_key(name, -1)}'"
                    f" WHERE id = {sid}", db)
    cluster.sql("UPDATE lrwatch.meta SET value = '2' WHERE key = 'schema'", db)


@pytest.fixture
def old_db(pg_url: str, cluster: Cluster) -> str:
    """A database holding a run written with the old names, at schema 2."""
    backend = PostgresBackend(pg_url)
    write_old_run(backend)
    backend.close()
    db = _database(pg_url)
    cluster.sql("UPDATE lrwatch.meta SET value = '2' WHERE key = 'schema'", db)
    return db


def test_a_read_only_open_shows_todays_names_and_changes_nothing(pg_url: str, old_db: str,
                                                                 cluster: Cluster) -> None:
    with Store(pg_url, readonly=True) as store:
        assert reads(store) == NEW_SERIES
        (listed, summary), = store.run_list()
        assert summary.peak_lr == 0.1
    assert _stored(cluster, old_db) == ("2", set(OLD_SERIES))


def test_a_reader_role_reads_todays_names_from_a_database_it_cannot_migrate(
        pg_url: str, old_db: str, cluster: Cluster) -> None:
    cluster.sql("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'groupviewer') "
                "THEN CREATE ROLE groupviewer LOGIN PASSWORD 'look'; END IF; END $$")
    cluster.sql("GRANT USAGE ON SCHEMA lrwatch TO groupviewer; "
                "GRANT SELECT ON ALL TABLES IN SCHEMA lrwatch TO groupviewer", old_db)
    with Store(cluster.url(old_db, user="groupviewer", password="look"), readonly=True) as store:
        assert reads(store) == NEW_SERIES
    assert _stored(cluster, old_db) == ("2", set(OLD_SERIES))


def test_a_writers_open_renames_the_series_once(pg_url: str, old_db: str,
                                                cluster: Cluster) -> None:
    PostgresBackend(pg_url).close()
    assert _stored(cluster, old_db) == ("3", set(NEW_SERIES))
    with Store(pg_url, readonly=True) as store:
        assert reads(store) == NEW_SERIES
    PostgresBackend(pg_url).close()
    assert _stored(cluster, old_db) == ("3", set(NEW_SERIES))


def test_a_reader_kept_open_while_a_writer_renames_reads_todays_names_throughout(
        pg_url: str, old_db: str, cluster: Cluster) -> None:
    with Store(pg_url, readonly=True) as store:  # a dashboard left open
        assert reads(store) == NEW_SERIES
        PostgresBackend(pg_url).close()  # a sync starts and migrates the database
        assert _stored(cluster, old_db) == ("3", set(NEW_SERIES))
        assert reads(store) == NEW_SERIES


def test_a_run_synced_into_an_old_numbered_database_keeps_one_numbering(
        pg_url: str, cluster: Cluster, tmp_path: Path) -> None:
    local = SQLiteBackend(tmp_path / "local")
    run = local.create_run("resumed", {})
    first, later = np.arange(5), np.arange(5, 10)
    new_keys = ["lr", "lr/pg2", "lr/pg3", "momentum/pg2"]
    local.append(run.id, {key: (first, first * 1.0) for key in new_keys})
    sync_store(tmp_path / "local", pg_url)
    db = _database(pg_url)
    _as_old_numbering(cluster, db)  # the server as an older lrwatch left it
    assert _stored(cluster, db) == ("2", {"lr", "lr/pg1", "lr/pg2", "momentum/pg1"})

    local.append(run.id, {key: (later, later * 1.0) for key in new_keys})
    local.close()
    sync_store(tmp_path / "local", pg_url)  # the sync's writer open migrates the server first
    assert _stored(cluster, db) == ("3", set(new_keys))
    with Store(pg_url, readonly=True) as store:
        for key in new_keys:
            steps, values = store.scalars(store.run("resumed"), key)
            assert steps.tolist() == list(range(10)) and values.tolist() == list(range(10))


def test_an_old_numbered_spool_reaches_the_server_with_todays_names(
        pg_url: str, cluster: Cluster, tmp_path: Path) -> None:
    path = tmp_path / "spool" / "old.db"
    old_sqlite_store(path)
    sync_store(path, pg_url)  # the spool is read read-only: translated, not migrated
    assert _stored(cluster, _database(pg_url)) == ("3", set(NEW_SERIES))
    with Store(pg_url, readonly=True) as store:
        assert reads(store) == NEW_SERIES
