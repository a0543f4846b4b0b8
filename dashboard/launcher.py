"""Start the dashboard next to training, in a separate process, without importing Dash here.

``LRWatch(dashboard=True)`` and ``lrwatch demo`` call :func:`start_in_background`; the child
process runs ``lrwatch dashboard`` (``server.serve``). This module needs the standard library
only, so the training process never loads Dash, plotly or the analysis to offer a dashboard.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from lrwatch.errors import LRWatchError
from lrwatch.store.location import StoreURL, canonical

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
DEFAULT_INTERVAL_MS = 1000
#: the Host headers a dashboard bound to a loopback address answers to
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
HEALTH_PATH = "/_lrwatch/health"
APP_NAME = "lrwatch-dashboard"
#: ports tried after the asked one when it is taken by something else
PORT_ATTEMPTS = 20
START_TIMEOUT_S = 60.0


class DashboardError(LRWatchError, RuntimeError):
    """The dashboard could not be started."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    return host.strip("[]") in ("0.0.0.0", "::", "")


def url_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if is_wildcard(host) else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def store_fingerprint(path: str) -> str:
    """A short id of a store path, so a running dashboard can say which store it serves
    without showing the path."""
    return hashlib.sha256(path.encode()).hexdigest()[:16]


@dataclass
class DashboardProcess:
    """A dashboard serving next to training.

    ``url`` is where it answers; ``reused`` is True when one was already serving this store
    on this machine (then :meth:`stop` leaves it alone).
    """

    url: str
    process: subprocess.Popen[bytes] | None = None
    log_path: str | None = None
    reused: bool = False
    kept: bool = False
    _stopped: bool = field(default=False, repr=False)

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def running(self) -> bool:
        if self.process is None:
            return probe(self.url) is not None
        return self.process.poll() is None

    def after_fit_note(self, store_path: str | os.PathLike[str]) -> str:
        """The line for the end of training: how long this dashboard goes on serving, and the
        command that serves the store again once it is gone."""
        reopen = f"lrwatch dashboard {shlex.quote(os.fspath(store_path))}"
        if self.reused:
            return (f"lrwatch: the dashboard at {self.url} belongs to another process and "
                    f"serves while it runs; afterwards: {reopen}")
        if self.kept:
            return (f"lrwatch: the dashboard at {self.url} stays up after this process exits "
                    f"(stop it with: kill {self.pid}); to serve the store again later: {reopen}")
        return (f"lrwatch: the dashboard at {self.url} serves until this process exits; "
                f"to reopen it afterwards: {reopen}")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the dashboard this process started (a reused one keeps serving)."""
        if self.process is None or self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)


def probe(url: str, timeout: float = 1.0) -> dict[str, str] | None:
    """The health answer of an lrwatch dashboard at ``url``, or None (nothing, or not ours)."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + HEALTH_PATH, timeout=timeout) as response:
            answer = json.loads(response.read(4096))
    except (OSError, ValueError, urllib.error.URLError, http.client.HTTPException):
        return None  # nothing there, or a service that does not speak HTTP (an echo server)
    return answer if isinstance(answer, dict) and answer.get("app") == APP_NAME else None


def serving_url(store_path: str | os.PathLike[str], host: str = DEFAULT_HOST,
                port: int = DEFAULT_PORT) -> str | None:
    """Where an lrwatch dashboard already serves this store, on ``port`` or one of the next
    ports :func:`start_in_background` would take; None when none does. Each dashboard says
    which store it serves (a fingerprint of its path) on its health URL."""
    store_id = store_fingerprint(canonical(store_path))
    for candidate in range(port, min(port + PORT_ATTEMPTS, 65536)):
        url = url_for(host, candidate)
        answer = probe(url)
        if answer is not None and answer.get("store") == store_id:
            return url
    return None


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host.strip("[]"), port))
        except OSError:
            return False
    return True


def start_in_background(store_path: str | os.PathLike[str], host: str = DEFAULT_HOST,
                        port: int = DEFAULT_PORT, *, keep: bool = False, wait: bool = True,
                        timeout: float = START_TIMEOUT_S) -> DashboardProcess:
    """Serve the dashboard from a separate process, so it can never slow the training loop.

    Once per machine: if an lrwatch dashboard for the same store already answers on ``port``,
    it is reused. If the port is taken by anything else (or by a dashboard of another store),
    the next free port is used.

    Args:
        store_path: the store training writes to.
        host, port: where to serve (127.0.0.1:8050 by default).
        keep: leave the dashboard up when this process exits. Otherwise it stops with it.
        wait: wait until it answers (a few seconds: it imports Dash); with False, return at
            once (training need not wait; the URL answers shortly after).
        timeout: seconds to wait for it to answer.

    Returns:
        A :class:`DashboardProcess`: print its ``url``; call ``stop()`` at the end of training.

    Raises:
        DashboardError: it did not answer within ``timeout`` (its log is named).
    """
    path = canonical(store_path)
    store_id = store_fingerprint(path)
    served = serving_url(path, host, port)
    if served is not None:
        return DashboardProcess(served, reused=True)
    for candidate in range(port, port + PORT_ATTEMPTS):
        if probe(url_for(host, candidate)) is None and _port_free(host, candidate):
            return _spawn(path, host, candidate, store_id, keep=keep,
                          timeout=timeout if wait else 0.0)
    raise DashboardError(
        f"ports {port}-{port + PORT_ATTEMPTS - 1} on {host} are all taken; pass another port")


def _spawn(path: "StoreURL | str", host: str, port: int, store_id: str, *, keep: bool,
           timeout: float) -> DashboardProcess:
    log_file = Path(tempfile.gettempdir()) / f"lrwatch-dashboard-{port}.log"
    # a server URL goes by the environment, not the command line that `ps` shows everyone
    env = {**os.environ, "LRWATCH_STORE": path.dsn} if isinstance(path, StoreURL) else None
    command = [sys.executable, "-m", "lrwatch.cli", "dashboard", *([] if env else [path]),
               "--host", host, "--port", str(port), "--background"]
    if not keep:
        command += ["--parent", str(os.getpid())]
    with open(log_file, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True, env=env)
    url = url_for(host, port)
    handle = DashboardProcess(url, process, str(log_file), kept=keep)
    if timeout <= 0:
        return handle
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = probe(url, timeout=0.5)
        if answer is not None and answer.get("store") == store_id:
            if process.poll() is not None:  # another trainer's dashboard won the port
                return DashboardProcess(url, reused=True)
            return handle
        if process.poll() is not None and answer is None:
            break
        time.sleep(0.2)
    handle.stop()
    raise DashboardError(
        f"the dashboard did not start on {url} within {timeout:.0f} s; see {log_file}")
