"""The dashboard's life, with real processes and HTTP: `LRWatch(dashboard=True)` serves until
the training process exits and says at the end of fit how to serve the store again; a second
`lrwatch dashboard` on a served store says where it is served."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from lrwatch import Store
from lrwatch.dashboard.launcher import probe
from lrwatch.store import FINISHED

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _until(check, timeout: float = 120.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        time.sleep(0.3)
    return check()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lrwatch.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)


def _store(path: Path) -> Path:
    with Store(path) as store:
        run = store.create_run("served", {})
        store.backend.append(run.id, {"loss": (np.arange(5), np.ones(5))})
        store.backend.set_status(run.id, FINISHED)
    return path


def test_a_second_dashboard_on_the_same_store_says_where_it_is_served(tmp_path):
    store = _store(tmp_path / "logs" / "demo.db")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    first = subprocess.Popen([sys.executable, "-m", "lrwatch.cli", "dashboard", str(store),
                              "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert _until(lambda: probe(url)), "the first dashboard never answered"
        again = _cli("dashboard", str(tmp_path / "logs"), "--port", str(port))  # its folder
        assert again.returncode == 0, again.stderr
        assert again.stdout.splitlines() == [
            f"the dashboard for {store} is already served at {url}"]
        other = _cli("dashboard", str(_store(tmp_path / "other.db")), "--port", str(port))
        assert other.returncode == 1
        assert other.stderr.splitlines() == [
            f"ConfigError: port {port} on 127.0.0.1 is in use by the lrwatch dashboard of "
            "another store; pass another --port"]
    finally:
        os.killpg(first.pid, signal.SIGTERM)
        first.wait(30)



def test_a_dashboard_on_a_path_with_no_store_yet_says_so_and_serves(tmp_path):
    missing = tmp_path / "mistyped" / "lrwatch.db"
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen([sys.executable, "-m", "lrwatch.cli", "dashboard", str(missing),
                               "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        assert _until(lambda: probe(url)), "the dashboard never answered"
        assert server.stdout is not None
        assert server.stdout.readline().rstrip("\n") == (
            f"no store at {missing} yet: its runs appear once a training records there (check "
            "the path if one already does)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)

TRAIN = textwrap.dedent("""
    import sys, time
    import lightning.pytorch as pl
    from lrwatch import LRWatch
    from lrwatch.dashboard.launcher import probe
    from tests.helpers.models import loader, make_module, trainer

    watch = LRWatch(store=sys.argv[1], dashboard=True, dashboard_port=int(sys.argv[2]))
    trainer(pl, [watch], sys.argv[3], max_epochs=1).fit(make_module(pl), loader())
    deadline = time.monotonic() + 120  # a short run ends before Dash is imported
    while probe(watch.dashboard_url) is None and time.monotonic() < deadline:
        time.sleep(0.3)
    print("after fit:", watch.dashboard_url, "answers" if probe(watch.dashboard_url) else "refuses",
          flush=True)
""")


def test_the_dashboard_serves_after_fit_until_the_process_exits(tmp_path):
    store = tmp_path / "logs" / "lrwatch.db"
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    script = subprocess.run([sys.executable, "-c", TRAIN, str(store), str(port), str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    output = script.stdout + script.stderr
    assert script.returncode == 0, output
    assert f"after fit: {url} answers" in output
    assert (f"lrwatch: the dashboard at {url} serves until this process exits; to reopen it "
            f"afterwards: lrwatch dashboard {store}") in output
    assert _until(lambda: probe(url) is None, timeout=60), "the dashboard outlived its process"
