"""`lrwatch dashboard` and `lrwatch demo` on an address they cannot serve: one line that says
what is wrong and what to pass instead, before any server or training starts."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from lrwatch import Store


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lrwatch.cli", *args],
                          check=False, capture_output=True, text=True, timeout=120)


@pytest.fixture
def busy_port():  # type: ignore[no-untyped-def]
    """A port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def test_a_busy_port_says_so(store_path, busy_port):
    Store(store_path).close()
    result = _cli("dashboard", str(store_path), "--port", str(busy_port))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [(
        f"ConfigError: port {busy_port} on 127.0.0.1 is in use by another program; "
        "pass another --port")]


@pytest.mark.parametrize("host, problem", [
    ("999.1.1.1", "is not a valid IP address"),
    ("192.0.2.1", "is not an address of this machine"),  # TEST-NET-1: never assigned
])
@pytest.mark.parametrize("command", ["dashboard", "demo"])
def test_a_host_it_cannot_listen_on_says_so(store_path, command, host, problem):
    args = [str(store_path)] if command == "dashboard" else ["--store", str(store_path)]
    result = _cli(command, *args, "--host", host, "--port", "8050")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [(
        f"ConfigError: --host {host} {problem}; pass an address of this machine, such as "
        "127.0.0.1 (this machine only) or 0.0.0.0 (every interface)")]
    assert not store_path.exists()  # refused before the demo trained anything
