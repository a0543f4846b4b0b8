"""Serve the dashboard: in the foreground (``lrwatch dashboard``), or in a separate process next
to training (``LRWatch(dashboard=True)`` calls :func:`start_in_background`).

Safe by default: binds 127.0.0.1 (the ``HOST`` environment variable that ``Dash.run`` reads is
ignored: the server is started here, not by ``Dash.run``), answers only to trusted Host headers,
never runs the debugger, and reads the store read-only.
"""

from __future__ import annotations

import ctypes
import ipaddress
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import webbrowser
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

from lrwatch.errors import ConfigError, LRWatchError
from lrwatch.store.sqlite import resolve_path

from .app import APP_NAME, DEFAULT_INTERVAL_MS, HEALTH_PATH, LOCAL_HOSTS, create_app
from .data import store_fingerprint

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
#: ports tried after the asked one when it is taken by something else
PORT_ATTEMPTS = 20
START_TIMEOUT_S = 60.0

log = logging.getLogger(__name__)


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


def trusted_hosts_for(host: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The Host header values to answer when bound to ``host``: loopback names, the bound
    address itself, and, on a wildcard address, this machine's name and addresses."""
    hosts = list(LOCAL_HOSTS) + list(extra)
    if not is_wildcard(host):
        hosts.append(host)
    else:
        name = socket.gethostname()
        hosts += [name, socket.getfqdn()]
        try:
            hosts += [str(info[4][0]) for info in socket.getaddrinfo(name, None)]
        except OSError:
            pass
    return tuple(dict.fromkeys(h for h in hosts if h))


def exposure_warning(host: str) -> str | None:
    """A loud warning when ``host`` makes the dashboard reachable from other machines."""
    if is_loopback(host):
        return None
    where = "every network interface" if is_wildcard(host) else f"address {host}"
    return ("WARNING: the lrwatch dashboard listens on " + where + ": anyone who can reach this "
            "machine can read your runs (names, hyperparameters, curves). It has no login. "
            "Use --host 127.0.0.1 and an SSH tunnel (ssh -L 8050:127.0.0.1:8050 host) instead.")


def url_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if is_wildcard(host) else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def serve(store_path: str | os.PathLike[str], host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          *, open_browser: bool = False, trusted_hosts: tuple[str, ...] = (),
          interval_ms: int = DEFAULT_INTERVAL_MS, parent_pid: int | None = None,
          echo: Callable[[str], None] = print, err: TextIO | None = None) -> None:
    """Serve the dashboard until interrupted (Ctrl-C), or until ``parent_pid`` exits.

    Raises:
        ConfigError: the port is taken or the address cannot be bound.
    """
    from werkzeug.serving import make_server

    _give_freed_memory_back()
    warning = exposure_warning(host)
    if warning:
        print(warning, file=err or sys.stderr, flush=True)
    app = create_app(store_path, interval_ms=interval_ms,
                     trusted_hosts=trusted_hosts_for(host, trusted_hosts))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        server = make_server(host, port, app.server, threaded=True)
    except (OSError, SystemExit) as exc:
        raise ConfigError(
            f"cannot serve the dashboard on {host}:{port} ({exc}); pass another --port") from None
    url = url_for(host, server.server_port)
    echo(f"lrwatch dashboard for {resolve_path(store_path)} at {url} (Ctrl-C to stop)")
    if open_browser:
        webbrowser.open(url)
    if parent_pid is not None:
        _stop_with_parent(server, parent_pid)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _give_freed_memory_back() -> None:
    """Let freed whole-series arrays go back to the system (glibc only; a no-op elsewhere).

    glibc serves allocations under a moving threshold (up to 32 MB) from heaps it keeps, and
    gives each new request thread's heap its own arena: a server that reads 1 M-step series
    now and then would keep its peak for good. From 1 MB up, memory is mapped and returned on
    free, and two arenas serve all threads.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)
        libc.mallopt(_M_ARENA_MAX, 2)
    except (OSError, AttributeError):
        pass


_M_MMAP_THRESHOLD = -3  # glibc malloc.h
_M_ARENA_MAX = -8


def _stop_with_parent(server: "object", parent_pid: int) -> None:
    """Shut the server down once the training process that started it is gone."""

    def watch() -> None:
        while _alive(parent_pid):
            time.sleep(2.0)
        server.shutdown()  # type: ignore[attr-defined]

    threading.Thread(target=watch, name="lrwatch-parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- next to training -----------------------------------------------------------------------

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
    _stopped: bool = field(default=False, repr=False)

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def running(self) -> bool:
        if self.process is None:
            return probe(self.url) is not None
        return self.process.poll() is None

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
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return answer if isinstance(answer, dict) and answer.get("app") == APP_NAME else None


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
    path = str(resolve_path(store_path).resolve())
    store_id = store_fingerprint(path)
    for candidate in range(port, port + PORT_ATTEMPTS):
        url = url_for(host, candidate)
        answer = probe(url)
        if answer is not None and answer.get("store") == store_id:
            return DashboardProcess(url, reused=True)
        if answer is None and _port_free(host, candidate):
            return _spawn(path, host, candidate, store_id, keep=keep,
                          timeout=timeout if wait else 0.0)
    raise DashboardError(
        f"ports {port}-{port + PORT_ATTEMPTS - 1} on {host} are all taken; pass another port")


def _spawn(path: str, host: str, port: int, store_id: str, *, keep: bool,
           timeout: float) -> DashboardProcess:
    log_file = Path(tempfile.gettempdir()) / f"lrwatch-dashboard-{port}.log"
    command = [sys.executable, "-m", "lrwatch.cli", "dashboard", path, "--host", host,
               "--port", str(port), "--background"]
    if not keep:
        command += ["--parent", str(os.getpid())]
    with open(log_file, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    url = url_for(host, port)
    handle = DashboardProcess(url, process, str(log_file))
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
