"""The run list (``Store.run_list``) on a real server: the same rows as each run's own reads,
from a database written before summaries too, and for a reader role granted before them."""

from __future__ import annotations

import pytest

from lrwatch.store import Store
from lrwatch.store.postgres import PostgresBackend
from tests.helpers.pgcluster import Cluster
from tests.helpers.runlist import check_run_list, record_runs


@pytest.fixture
def recorded(pg_url: str) -> str:
    """The name of a database holding the runs of ``record_runs``."""
    backend = PostgresBackend(pg_url)
    record_runs(backend)
    backend.close()
    return pg_url.rsplit("/", 1)[1]


@pytest.fixture
def old_db(recorded: str, cluster: Cluster) -> str:
    """The same database as one written before summaries left it (schema 1)."""
    cluster.sql("DROP TABLE lrwatch.summaries; "
                "UPDATE lrwatch.meta SET value = '1' WHERE key = 'schema'", recorded)
    return recorded


def test_the_list_equals_the_per_run_reads(pg_url: str, recorded: str) -> None:
    with Store(pg_url, readonly=True) as store:
        check_run_list(store)


def test_a_database_written_before_summaries_lists_the_same(pg_url: str, old_db: str,
                                                             cluster: Cluster) -> None:
    with Store(pg_url, readonly=True) as store:  # read-only: computed on demand, not migrated
        check_run_list(store)
    assert cluster.sql("SELECT value FROM lrwatch.meta WHERE key = 'schema'", old_db) == [("1",)]

    PostgresBackend(pg_url).close()  # a writer's open migrates it and summarises ended runs
    summarised = {r[0] for r in cluster.sql(
        "SELECT r.name FROM lrwatch.summaries m JOIN lrwatch.runs r ON r.id = m.run_id", old_db)}
    assert summarised == {"warmup", "recovered", "diverged", "no-series", "resumed",
                          "unfinished"}
    with Store(pg_url, readonly=True) as store:
        check_run_list(store)


def test_a_reader_role_granted_before_summaries_still_lists(pg_url: str, old_db: str,
                                                             cluster: Cluster) -> None:
    cluster.sql("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'oldviewer') "
                "THEN CREATE ROLE oldviewer LOGIN PASSWORD 'look'; END IF; END $$")
    cluster.sql("GRANT USAGE ON SCHEMA lrwatch TO oldviewer; "
                "GRANT SELECT ON ALL TABLES IN SCHEMA lrwatch TO oldviewer", old_db)
    PostgresBackend(pg_url).close()  # migrated after the grant: no SELECT on summaries

    with Store(cluster.url(old_db, user="oldviewer", password="look"), readonly=True) as store:
        check_run_list(store)
