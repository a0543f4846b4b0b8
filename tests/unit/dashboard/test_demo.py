"""``lrwatch demo`` (``make demo``): trains three runs while serving the dashboard, then keeps
it up until Ctrl-C. The verdicts on the full-length runs are checked in the browser tests."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import numpy as np

from lrwatch import Store
from lrwatch.dashboard.launcher import probe


def test_demo_trains_three_runs_with_the_dashboard_up_and_stops_it_on_ctrl_c(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = tmp_path / "demo.db"
    Store(store).close()
    with Store(store) as st:  # a previous demo's run: the demo starts afresh
        st.create_run("lr-too-high", {"model": "DigitsMLP"})
    process = subprocess.Popen(
        [sys.executable, "-m", "lrwatch.cli", "demo", "--store", str(store), "--steps", "30",
         "--pace", "0", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if line.startswith("training done"):
                break
        url = f"http://127.0.0.1:{port}/"
        assert lines[0].startswith(f"dashboard: {url}")
        assert probe(url) is not None
        process.send_signal(signal.SIGINT)
        assert process.wait(300) == 0
    finally:
        process.kill()
    assert sum(line.startswith("training '") for line in lines) == 3
    assert sum(line.split()[0] in ("lr-too-high", "lr-too-low", "lr-well-chosen")
               for line in lines if line.strip()) == 3
    with Store(store, readonly=True) as st:
        assert [r.name for r in st.runs()] == ["lr-too-high", "lr-too-low", "lr-well-chosen"]
    assert gone(url)


def gone(url: str, timeout: float = 120.0) -> bool:
    """Whether the dashboard at ``url`` stops answering within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while probe(url) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    return probe(url) is None


def start_demo(tmp_path, *prefix: str) -> tuple[subprocess.Popen, str]:
    """``lrwatch demo`` on a free port (``prefix``: a shell around it, as make is)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "lrwatch.cli", "demo", "--store",
               str(tmp_path / "demo.db"), "--steps", "400", "--pace", "0.05", "--port", str(port)]
    if prefix:
        command = [*prefix, " ".join(command) + "; echo the shell goes on"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    return process, f"http://127.0.0.1:{port}/"


def test_ctrl_c_while_training_stops_the_dashboard_and_exits_0(tmp_path):
    process, url = start_demo(tmp_path)
    try:
        for line in process.stdout:
            if line.startswith("training '"):  # the dashboard is up, the first run trains
                break
        assert probe(url) is not None
        process.send_signal(signal.SIGINT)
        assert process.wait(300) == 0
    finally:
        process.kill()
    assert gone(url)


def test_a_sigterm_to_the_parent_of_the_demo_stops_it_and_its_dashboard(tmp_path):
    """``make demo`` and SIGTERM: make dies, its child the demo must not serve on."""
    shell, url = start_demo(tmp_path, "sh", "-c")
    try:
        for line in shell.stdout:
            if line.startswith("training '"):
                break
        assert probe(url) is not None
        shell.send_signal(signal.SIGTERM)
        shell.wait(60)
        assert gone(url, timeout=300)
    finally:
        shell.kill()


def test_demo_refuses_a_store_holding_runs_that_are_not_its_own_and_keeps_them(tmp_path):
    folder = tmp_path / "logs"  # a folder, as `--store lrwatch_logs` names one
    with Store(folder) as st:
        run = st.create_run("resnet", {"model": "ResNet"})
        st.backend.append(run.id, {"loss": (np.arange(3), np.array([3.0, 2.0, 1.0]))})
    result = subprocess.run(
        [sys.executable, "-m", "lrwatch.cli", "demo", "--store", str(folder), "--steps", "20",
         "--no-dashboard"], check=False, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    err = result.stderr.strip()
    assert err.startswith("ConfigError: ") and "\n" not in err
    assert "'resnet'" in err and "pass another --store" in err
    with Store(folder, readonly=True) as st:
        assert [r.name for r in st.runs()] == ["resnet"]
        assert st.scalars("resnet", "loss")[1].tolist() == [3.0, 2.0, 1.0]
