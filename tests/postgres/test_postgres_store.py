"""The PostgreSQL backend on a real server: same data as SQLite, schema made once under a
lock, read-only roles, and passwords that never show."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from lrwatch.errors import StoreError
from lrwatch.store import FINISHED, PendingEvent, Store, open_store
from lrwatch.store.postgres import SCHEMA_VERSION, PostgresBackend
from lrwatch.store.rows import chunk_crc
from tests.helpers.pgcluster import Cluster


def _record(backend: PostgresBackend, name: str = "mlp", steps: int = 300) -> int:
    run = backend.create_run(name, {"optimizer": "AdamW"})
    s = np.arange(steps)
    loss = 2.0 * np.exp(-s / 50) + 0.1
    loss[7], loss[8] = np.nan, np.inf
    for lo in range(0, steps, 10):  # many small chunks, as a live run writes them
        part = slice(lo, lo + 10)
        events = [PendingEvent(lo, "diagnosis", {"status": "healthy"}, 1.0)] if lo % 40 == 0 else []
        backend.append(run.id, {"loss": (s[part], loss[part]), "lr": (s[part], 1e-3 + 0 * s[part])},
                       events)
    backend.set_status(run.id, FINISHED)
    backend.compact(run.id)
    return run.id


def test_a_run_reads_back_exactly_with_sqlite_checksums(pg_url: str, cluster: Cluster) -> None:
    backend = PostgresBackend(pg_url)
    _record(backend)
    backend.close()
    with Store(pg_url, readonly=True) as store:
        run = store.run("mlp")
        steps, loss = store.scalars(run, "loss")
        assert run.status == FINISHED and run.steps == 300 and run.meta["optimizer"] == "AdamW"
        assert steps.tolist() == list(range(300))
        assert np.isnan(loss[7]) and np.isposinf(loss[8])
        assert loss[299] == pytest.approx(2.0 * np.exp(-299 / 50) + 0.1, rel=0, abs=0)
        assert store.scalars(run, "loss", after_step=289)[0].tolist() == list(range(290, 300))
        assert [e.step for e in store.events(run, "diagnosis")] == list(range(0, 300, 40))
        assert store.last_values(run, ["loss"]) == {"loss": loss[299]}
        assert list(store.problems()) == []
    db = pg_url.rsplit("/", 1)[1]
    rows = cluster.sql("SELECT series_id, first_step, last_step, n, steps, vals, crc FROM "
                       "lrwatch.chunks", db)
    assert len(rows) == 2  # compacted: one chunk per series
    for sid, first, last, n, steps_blob, vals_blob, crc in rows:
        assert crc == chunk_crc(sid, first, last, n, bytes(steps_blob), bytes(vals_blob))


def test_a_flipped_bit_is_reported_not_read(pg_url: str, cluster: Cluster) -> None:
    backend = PostgresBackend(pg_url)
    _record(backend)
    db = pg_url.rsplit("/", 1)[1]
    cluster.sql("UPDATE lrwatch.chunks SET vals = overlay(vals placing '\\x01'::bytea from 9 "
                "for 1) WHERE id = (SELECT min(id) FROM lrwatch.chunks)", db)
    with Store(pg_url, readonly=True) as store:
        with pytest.raises(StoreError, match=r"run 'mlp' \(id 1\), series '.*', steps 0-299: "
                                             "chunk .* fails its check"):
            for key in store.keys("mlp"):
                store.scalars("mlp", key)
        assert len(list(store.problems())) == 1


def test_processes_starting_at_once_create_the_schema_once(pg_url: str, cluster: Cluster) -> None:
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            PostgresBackend(pg_url).close()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db = pg_url.rsplit("/", 1)[1]
    assert cluster.sql("SELECT value FROM lrwatch.meta WHERE key = 'schema'", db) == [
        (str(SCHEMA_VERSION),)]


def test_reading_an_empty_database_says_what_to_do(pg_url: str) -> None:
    with pytest.raises(StoreError, match="no lrwatch store at .* train with LRWatch"):
        Store(pg_url, readonly=True)


def test_a_read_only_role_is_enough_to_read(pg_url: str, cluster: Cluster) -> None:
    _record(PostgresBackend(pg_url))
    db = pg_url.rsplit("/", 1)[1]
    cluster.sql("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'viewer') THEN "
                "CREATE ROLE viewer LOGIN PASSWORD 'look'; END IF; END $$")
    cluster.sql("GRANT USAGE ON SCHEMA lrwatch TO viewer; "
                "GRANT SELECT ON ALL TABLES IN SCHEMA lrwatch TO viewer", db)
    viewer = cluster.url(db, user="viewer", password="look")
    with Store(viewer, readonly=True) as store:
        assert store.scalars("mlp", "loss")[0].size == 300
    from lrwatch.dashboard.data import DataSource

    assert DataSource(viewer).check() is None


def test_the_password_never_shows(pg_url: str, cluster: Cluster) -> None:
    with Store(pg_url) as store:
        assert cluster.password not in store.path
    with Store(pg_url, readonly=True) as store:
        assert cluster.password not in store.path and "***" in store.path
    wrong = pg_url.replace(cluster.password, "not-the-password-123")
    with pytest.raises(StoreError) as caught:
        Store(wrong, readonly=True)
    assert "not-the-password-123" not in str(caught.value)
    assert "password authentication failed" in str(caught.value)


def test_pgpassword_and_pgpass_work(pg_url: str, cluster: Cluster, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _record(PostgresBackend(pg_url))
    bare = pg_url.replace(f":{cluster.password}@", "@")
    monkeypatch.setenv("PGPASSWORD", cluster.password)
    with Store(bare, readonly=True) as store:
        assert store.run("mlp").steps == 300
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{cluster.port}:*:postgres:{cluster.password}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    with Store(bare, readonly=True) as store:
        assert store.run("mlp").steps == 300


def test_truncate_keeps_what_came_before(pg_url: str) -> None:
    backend = PostgresBackend(pg_url)
    run_id = _record(backend)
    backend.truncate(run_id, 100)
    backend.append(run_id, {"loss": (np.arange(100, 110), np.full(10, 9.0))})
    steps, loss = backend.scalars(run_id, "loss")
    assert steps.tolist() == list(range(110)) and loss[100:].tolist() == [9.0] * 10
    assert backend.get_run(run_id).last_step == 109
    assert max(e.step for e in backend.events(run_id)) == 80


def test_open_store_picks_the_backend_from_the_location(pg_url: str, tmp_path: Path) -> None:
    with open_store(tmp_path / "local") as local:
        assert type(local.backend).__name__ == "SQLiteBackend"
    with open_store(pg_url) as writer:  # a writer with a URL writes through a local spool
        assert type(writer.backend).__name__ == "SpooledBackend"
    with open_store(pg_url, readonly=True) as reader:
        assert type(reader.backend).__name__ == "PostgresBackend"


def test_the_dashboard_header_names_the_server_without_its_password(pg_url: str,
                                                                    cluster: Cluster) -> None:
    from lrwatch.dashboard.data import DataSource, store_label

    _record(PostgresBackend(pg_url))
    source = DataSource(pg_url)
    assert source.check() is None
    label = store_label(source.path)
    assert label.startswith("postgresql://postgres:***@127.0.0.1:") and cluster.password not in label
