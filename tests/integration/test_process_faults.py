"""Training processes that are killed, signalled or run side by side on one store."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from lrwatch import Store, keys
from lrwatch.store import FINISHED, INTERRUPTED

ROOT = Path(__file__).resolve().parents[2]


def _start(store: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.helpers.train_script", str(store), *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for_steps(store_path: Path, n: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
        try:
            store = Store(store_path, readonly=True)
            runs = store.runs()
            if runs and store.scalars(runs[0], keys.LOSS)[0].size >= n:
                return
        except Exception:  # the store may not exist yet
            pass
        time.sleep(0.2)
    raise AssertionError(f"fewer than {n} steps appeared within {timeout} s")


def _contiguous(steps: np.ndarray) -> bool:
    return steps.tolist() == list(range(steps.size))


def test_kill_9_leaves_a_readable_intact_store_and_an_interrupted_run(tmp_path):
    store_path = tmp_path / "s" / "lrwatch.db"
    proc = _start(store_path, "--steps", "100000", "--sleep", "0.02")
    _wait_for_steps(store_path, 20, proc)
    proc.kill()
    proc.wait(30)
    killed_at = time.time()
    assert sqlite3.connect(store_path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = Store(store_path, readonly=True)
    (run,) = store.runs()
    assert run.status == INTERRUPTED
    steps, loss = store.scalars(run, keys.LOSS)
    assert steps.size >= 20 and _contiguous(steps) and np.all(np.isfinite(loss))
    # its duration ends at its last write, and stays put on every later view
    assert run.ended_at is not None and run.started_at < run.ended_at <= killed_at
    time.sleep(1.5)
    assert store.runs()[0].ended_at == run.ended_at
    Store(store_path).close()  # a writer's open records the run as interrupted
    assert Store(store_path, readonly=True).runs()[0].ended_at == run.ended_at


def test_sigterm_flushes_and_marks_the_run_interrupted(tmp_path):
    store_path = tmp_path / "s" / "lrwatch.db"
    proc = _start(store_path, "--steps", "100000", "--sleep", "0.02")
    _wait_for_steps(store_path, 10, proc)
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)
    store = Store(store_path, readonly=True)
    (run,) = store.runs()
    assert run.status == INTERRUPTED and run.ended_at is not None
    steps, _ = store.scalars(run, keys.LOSS)
    assert _contiguous(steps) and steps.size >= 10
    # every step trained before the signal was flushed: the run's last step is the last loss
    assert store.scalars(run, keys.STEP_TIME)[0][-1] == steps[-1]


def test_two_trainings_write_one_store_side_by_side(tmp_path):
    store_path = tmp_path / "shared" / "lrwatch.db"
    procs = [_start(store_path, "--steps", "150", "--name", f"job{i}") for i in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()[-2000:]
        assert b"locked" not in err
    store = Store(store_path, readonly=True)
    runs = {r.name: r for r in store.runs()}
    assert set(runs) == {"job0", "job1"}
    for run in runs.values():
        assert run.status == FINISHED
        assert _contiguous(store.scalars(run, keys.LOSS)[0]) and run.steps == 150
