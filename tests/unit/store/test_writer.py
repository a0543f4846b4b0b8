"""The background writer: rows arrive, a locked store loses nothing, exit flushes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np

from lrwatch import Store
from lrwatch.store import FINISHED, INTERRUPTED, PendingEvent
from lrwatch.store.sqlite import SQLiteBackend
from lrwatch.store.writer import RunWriter


def _writer(store_path, run_id, **kw):  # type: ignore[no-untyped-def]
    return RunWriter(lambda: SQLiteBackend(store_path), run_id, **kw)


def test_rows_and_events_arrive_and_close_sets_the_status(store_path):
    run = Store(store_path).create_run("r", {})
    writer = _writer(store_path, run.id, flush_interval=0.05)
    for lo in range(0, 100, 10):
        steps = np.arange(lo, lo + 10)
        writer.put({"loss": (steps, steps * 0.1)},
                   [PendingEvent(step=lo, kind="mark", payload={"lo": lo}, time=0.0)])
    assert writer.close(FINISHED)
    reader = Store(store_path, readonly=True)
    steps, values = reader.scalars("r", "loss")
    assert steps.tolist() == list(range(100))
    assert np.allclose(values, np.arange(100) * 0.1)
    assert [e.payload["lo"] for e in reader.events("r")] == list(range(0, 100, 10))
    assert reader.run("r").status == FINISHED


def test_flush_makes_rows_readable_while_the_run_goes_on(store_path):
    run = Store(store_path).create_run("r", {})
    writer = _writer(store_path, run.id, flush_interval=30.0)  # would wait long on its own
    writer.put({"loss": (np.arange(5), np.ones(5))})
    assert writer.flush()
    assert Store(store_path, readonly=True).scalars("r", "loss")[0].size == 5
    writer.close()


def test_a_store_locked_by_another_process_loses_nothing(store_path):
    run = Store(store_path).create_run("r", {})
    writer = _writer(store_path, run.id, flush_interval=0.05)
    locker = sqlite3.connect(store_path, isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")  # nobody else may write for a while
    release = threading.Timer(1.5, lambda: locker.execute("COMMIT"))
    release.start()
    started = time.perf_counter()
    for lo in range(0, 50, 10):
        writer.put({"loss": (np.arange(lo, lo + 10), np.zeros(10))})
    assert time.perf_counter() - started < 0.5  # handing rows over never waits on the lock
    assert writer.close(FINISHED, timeout=30)
    release.join()
    assert Store(store_path, readonly=True).scalars("r", "loss")[0].tolist() == list(range(50))


def test_rows_left_at_interpreter_exit_are_flushed_and_the_run_marked_interrupted(store_path):
    run = Store(store_path).create_run("r", {})
    script = textwrap.dedent(f"""
        import numpy as np
        from lrwatch.store.sqlite import SQLiteBackend
        from lrwatch.store.writer import RunWriter
        w = RunWriter(lambda: SQLiteBackend({str(store_path)!r}), {run.id}, flush_interval=60)
        w.put({{"loss": (np.arange(7), np.ones(7))}})
        # no close(): the interpreter exits with the rows still queued
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    reader = Store(store_path, readonly=True)
    assert reader.scalars("r", "loss")[0].tolist() == list(range(7))
    assert reader.run("r").status == INTERRUPTED
