"""Writers with a URL write to a local spool and a sync sends it: exactly once, in order,
nothing lost while the server is down, the rows of a killed process sent by ``lrwatch sync``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from lrwatch.errors import StoreError
from lrwatch.store import FINISHED, INTERRUPTED, PendingEvent, Store
from lrwatch.store.postgres import PostgresBackend
from lrwatch.store.spool import push_run, spool_path, sync_store
from lrwatch.store.sqlite import SQLiteBackend
from lrwatch.store.location import resolve_location
from tests.helpers.cli import lrwatch
from tests.helpers.pgcluster import Cluster


def _write(store: Store, name: str, steps: int, batch: int = 50) -> None:
    run = store.create_run(name, {"optimizer": "SGD"})
    for lo in range(0, steps, batch):
        s = np.arange(lo, min(lo + batch, steps))
        store.append(run, {"loss": (s, 1.0 / (1 + s)), "lr": (s, np.full(s.size, 0.1))},
                     [PendingEvent(lo, "diagnosis", {"at": lo}, time.time())])
    store.set_status(run, FINISHED)


def _server_points(cluster: Cluster, url: str) -> int:
    db = url.rsplit("/", 1)[1]
    return int(cluster.sql("SELECT coalesce(sum(n), 0) FROM lrwatch.chunks", db)[0][0])


def _server_steps(url: str, name: str) -> int:
    try:
        with Store(url, readonly=True) as server:
            return server.run(name).steps
    except StoreError:  # not there yet
        return 0


def test_a_writer_with_a_url_ends_with_everything_on_the_server(pg_url: str,
                                                               cluster: Cluster) -> None:
    with Store(pg_url) as store:
        _write(store, "mlp", 1000)
    with Store(pg_url, readonly=True) as server:
        run = server.run("mlp")
        steps, loss = server.scalars(run, "loss")
        assert run.status == FINISHED and steps.tolist() == list(range(1000))
        assert np.array_equal(loss, 1.0 / (1 + np.arange(1000)))
        assert [e.step for e in server.events(run)] == list(range(0, 1000, 50))
    assert _server_points(cluster, pg_url) == 2000  # loss and lr, each point once


def test_pushing_twice_or_at_once_stores_each_row_once(pg_url: str, cluster: Cluster,
                                                      tmp_path: Path) -> None:
    with Store(tmp_path / "local") as local:
        _write(local, "a", 700)
        _write(local, "b", 300)
    errors: list[BaseException] = []

    def push() -> None:  # four pushers of the same runs, each three times, all at once
        try:
            local, server = SQLiteBackend(tmp_path / "local", readonly=True), PostgresBackend(pg_url)
            for run in local.runs() * 3:
                push_run(local, server, run)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=push) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _server_points(cluster, pg_url) == 2 * (700 + 300)
    report = sync_store(tmp_path / "local", pg_url)
    assert (report.runs, report.changed, report.points, report.events) == (2, 0, 0, 0)
    with Store(pg_url, readonly=True) as server:
        assert len(server.events("a")) == 14 and len(server.events("b")) == 6


def test_a_server_down_loses_nothing_and_lrwatch_sync_sends_the_rest(
        pg_url: str, cluster: Cluster, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import lrwatch.store.spool as spool

    monkeypatch.setattr(spool, "FINAL_SYNC_S", 2.0)
    Store(pg_url).close()  # the schema exists; then the server goes away
    cluster.stop_server()
    try:
        started = time.monotonic()
        with Store(pg_url) as store:
            _write(store, "offline", 500)
        assert time.monotonic() - started < 30  # the writer never waited on the network
    finally:
        cluster.start_server()
    local = spool_path(resolve_location(pg_url))
    assert _server_points(cluster, pg_url) == 0
    code, out, _ = lrwatch(capsys, "sync", str(local), pg_url)
    assert code == 0 and "1 updated (1000 points, 10 events sent)" in out
    assert cluster.password not in out
    assert "0 updated (0 points, 0 events sent), 1 already there" in lrwatch(
        capsys, "sync", str(local), pg_url)[1]
    with Store(pg_url, readonly=True) as server:
        assert server.run("offline").status == FINISHED
        assert server.scalars("offline", "loss")[0].tolist() == list(range(500))


def test_the_rows_of_a_killed_process_go_with_lrwatch_sync(pg_url: str, cluster: Cluster,
                                                         spool_dir: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    Store(pg_url).close()
    cluster.stop_server()  # nothing can go before the kill
    script = textwrap.dedent(f"""
        import sys, time, numpy as np
        from lrwatch.store import Store
        store = Store({pg_url!r})
        run = store.create_run("killed", {{}})
        for lo in range(0, 300, 30):
            s = np.arange(lo, lo + 30)
            store.append(run, {{"loss": (s, s * 0.5)}})
        print("written", flush=True)
        time.sleep(600)
    """)
    env = {**os.environ, "LRWATCH_SPOOL": str(spool_dir)}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "written"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)
        cluster.start_server()
    assert lrwatch(capsys, "sync", str(spool_path(resolve_location(pg_url))), pg_url)[0] == 0
    with Store(pg_url, readonly=True) as server:
        run = server.run("killed")
        assert run.status == INTERRUPTED
        assert server.scalars(run, "loss")[0].tolist() == list(range(300))


def test_a_resumed_run_replaces_its_steps_on_the_server(pg_url: str) -> None:
    with Store(pg_url) as store:
        run = store.create_run("resumed", {})
        s = np.arange(100)
        store.append(run, {"loss": (s, np.ones(100))},
                     [PendingEvent(90, "diagnosis", {"old": True}, 1.0)])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _server_steps(pg_url, "resumed") < 100:
            time.sleep(0.2)  # the first part is on the server before the resume
        store.truncate(run, 60)  # back to a checkpoint of step 60, then trained again
        s = np.arange(60, 120)
        store.append(run, {"loss": (s, np.full(60, 2.0))},
                     [PendingEvent(70, "diagnosis", {"old": False}, 2.0)])
        store.set_status(run, FINISHED)
    with Store(pg_url, readonly=True) as server:
        steps, loss = server.scalars("resumed", "loss")
        assert steps.tolist() == list(range(120))
        assert loss[:60].tolist() == [1.0] * 60 and loss[60:].tolist() == [2.0] * 60
        assert [e.payload for e in server.events("resumed")] == [{"old": False}]
