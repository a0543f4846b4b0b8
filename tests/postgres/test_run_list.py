"""The run list (``Store.run_list``) on a real server: the same rows as each run's own reads,
from a database written before summaries too, and for a reader role granted before them."""

from __future__ import annotations

from lrwatch.store import Store
from lrwatch.store.postgres import PostgresBackend
from tests.helpers.pgcluster import Cluster
from tests.helpers.runlist import check_run_list, record_runs


def _as_schema_1(cluster: Cluster, db: str) -> None:
    """Make the database one written before summaries (schema 1)."""
    cluster.sql("DROP TABLE lrwatch.summaries; "
                "UPDATE lrwatch.meta SET value = '1' WHERE key = 'schema'", db)


def test_the_list_equals_the_per_run_reads(pg_url: str) -> None:
    backend = PostgresBackend(pg_url)
    record_runs(backend)
    backend.close()
    with Store(pg_url, readonly=True) as store:
        check_run_list(store)


def test_a_database_written_before_summaries_lists_the_same(pg_url: str,
                                                             cluster: Cluster) -> None:
    db = pg_url.rsplit("/", 1)[1]
    backend = PostgresBackend(pg_url)
    record_runs(backend)
    backend.close()
    _as_schema_1(cluster, db)

    with Store(pg_url, readonly=True) as store:  # read-only: computed on demand, not migrated
        check_run_list(store)
    assert cluster.sql("SELECT value FROM lrwatch.meta WHERE key = 'schema'", db) == [("1",)]

    PostgresBackend(pg_url).close()  # a writer's open migrates it and summarises ended runs
    summarised = {r[0] for r in cluster.sql(
        "SELECT r.name FROM lrwatch.summaries m JOIN lrwatch.runs r ON r.id = m.run_id", db)}
    assert summarised == {"warmup", "recovered", "diverged", "no-series", "resumed",
                          "unfinished"}
    with Store(pg_url, readonly=True) as store:
        check_run_list(store)


def test_a_reader_role_granted_before_summaries_still_lists(pg_url: str,
                                                             cluster: Cluster) -> None:
    db = pg_url.rsplit("/", 1)[1]
    backend = PostgresBackend(pg_url)
    record_runs(backend)
    backend.close()
    _as_schema_1(cluster, db)
    cluster.sql("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'oldviewer') "
                "THEN CREATE ROLE oldviewer LOGIN PASSWORD 'look'; END IF; END $$")
    cluster.sql("GRANT USAGE ON SCHEMA lrwatch TO oldviewer; "
                "GRANT SELECT ON ALL TABLES IN SCHEMA lrwatch TO oldviewer", db)
    PostgresBackend(pg_url).close()  # migrated after the grant: no SELECT on summaries

    with Store(cluster.url(db, user="oldviewer", password="look"), readonly=True) as store:
        check_run_list(store)
