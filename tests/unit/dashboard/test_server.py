"""Serving: next to training in its own process, once per machine; safe addresses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from lrwatch.dashboard import server
from lrwatch.dashboard.launcher import store_fingerprint

from .conftest import fill_run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_gone(url: str, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.probe(url) is None:
            return True
        time.sleep(0.2)
    return False


def test_started_next_to_training_reused_by_the_next_and_stopped(two_runs, store_path):
    port = free_port()
    first = server.start_in_background(store_path, port=port)
    try:
        assert first.url == f"http://127.0.0.1:{port}/" and not first.reused
        assert server.probe(first.url)["store"] == store_fingerprint(str(store_path.resolve()))
        second = server.start_in_background(store_path, port=port)  # another training, same machine
        assert second.reused and second.url == first.url and second.process is None
        second.stop()  # a reused dashboard is not stopped by its guest
        assert server.probe(first.url) is not None
    finally:
        first.stop()
    assert wait_gone(first.url)


def test_a_port_held_by_another_store_moves_to_the_next_one(two_runs, store_path, tmp_path):
    other = tmp_path / "other.db"
    from lrwatch import Store

    with Store(other) as st:
        fill_run(st, "x", 10)
    port = free_port()
    first = server.start_in_background(other, port=port)
    try:
        second = server.start_in_background(store_path, port=port)
        try:
            assert second.url != first.url and not second.reused
            assert server.probe(second.url)["store"] != server.probe(first.url)["store"]
        finally:
            second.stop()
    finally:
        first.stop()


def test_a_port_held_by_a_service_that_does_not_speak_http_is_not_a_dashboard(two_runs,
                                                                              store_path):
    # a service that echoes what it reads: its "status line" is our own request line
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def echo() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.sendall(conn.recv(4096))

    threading.Thread(target=echo, daemon=True).start()
    try:
        assert server.probe(f"http://127.0.0.1:{port}/") is None
        handle = server.start_in_background(store_path, port=port, wait=False)
        try:
            assert handle.url != f"http://127.0.0.1:{port}/"  # the next free port instead
        finally:
            handle.stop()
    finally:
        listener.close()


def test_training_need_not_wait_for_the_dashboard(two_runs, store_path):
    port = free_port()
    handle = server.start_in_background(store_path, port=port, wait=False)
    try:
        assert handle.url == f"http://127.0.0.1:{port}/" and handle.process is not None
        deadline = time.monotonic() + 60
        while server.probe(handle.url) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert server.probe(handle.url) is not None
    finally:
        handle.stop()


def test_the_dashboard_stops_when_its_training_process_is_gone(two_runs, store_path):
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
    port = free_port()
    child = subprocess.Popen([sys.executable, "-m", "lrwatch.cli", "dashboard", str(store_path),
                              "--port", str(port), "--parent", str(parent.pid), "--background"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        parent.wait(30)
        assert child.wait(60) == 0
    finally:
        child.kill()


def test_the_HOST_variable_cannot_expose_the_dashboard(two_runs, store_path):
    port = free_port()
    env = {**os.environ, "HOST": "0.0.0.0", "PORT": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "lrwatch.cli", "dashboard", str(store_path), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while server.probe(url) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert server.probe(url) is not None
        with pytest.raises(OSError):  # 127.0.0.2 is this machine too, but not the bound address
            socket.create_connection(("127.0.0.2", port), timeout=2).close()
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert "WARNING" not in err
    assert url in out


def test_listening_on_every_interface_warns_loudly():
    assert server.exposure_warning("127.0.0.1") is None
    assert server.exposure_warning("localhost") is None
    assert server.exposure_warning("::1") is None
    for host in ("0.0.0.0", "::", "192.168.1.5"):
        warning = server.exposure_warning(host)
        assert warning.startswith("WARNING") and "127.0.0.1" in warning and "no login" in warning


def test_trusted_hosts_follow_the_bound_address():
    assert server.trusted_hosts_for("127.0.0.1") == ("127.0.0.1", "localhost", "::1", "[::1]")
    wide = server.trusted_hosts_for("0.0.0.0", ("proxy.example",))
    assert "proxy.example" in wide and socket.gethostname() in wide
    assert "0.0.0.0" not in wide


def test_serving_on_a_busy_port_is_one_clear_error(tmp_path):
    from lrwatch.errors import ConfigError
    from lrwatch.store import Store

    with Store(tmp_path / "s") as st:
        fill_run(st, "r", 10)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot serve the dashboard on 127.0.0.1:{port} "
                                              r"\((?!1\)).*pass another --port"):
            server.serve(tmp_path / "s", "127.0.0.1", port, echo=lambda _: None)
