"""Serve the dashboard: in the foreground (``lrwatch dashboard``), or in a separate process next
to training (``LRWatch(dashboard=True)`` calls :func:`start_in_background`).

Safe by default: binds 127.0.0.1 (the ``HOST`` environment variable that ``Dash.run`` reads is
ignored: the server is started here, not by ``Dash.run``), answers only to trusted Host headers,
never runs the debugger, and reads the store read-only.
"""

from __future__ import annotations

import ctypes
import logging
import os
import socket
import sys
import threading
import time
import webbrowser
from typing import Callable, TextIO

from lrwatch._process import pid_alive
from lrwatch.errors import ConfigError
from lrwatch.store.location import resolve_location

from .launcher import (  # noqa: F401  (re-exported: the server's public names)
    DEFAULT_HOST,
    DEFAULT_INTERVAL_MS,
    DEFAULT_PORT,
    LOCAL_HOSTS,
    DashboardError,
    DashboardProcess,
    is_loopback,
    is_wildcard,
    probe,
    start_in_background,
    url_for,
)

log = logging.getLogger(__name__)


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
    from .app import create_app

    app = create_app(store_path, interval_ms=interval_ms,
                     trusted_hosts=trusted_hosts_for(host, trusted_hosts))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        server = make_server(host, port, app.server, threaded=True)
    except (OSError, SystemExit) as exc:  # werkzeug prints its reason, then exits with 1
        reason = "the reason is printed above" if isinstance(exc, SystemExit) else str(exc)
        raise ConfigError(f"cannot serve the dashboard on {host}:{port} ({reason}); pass another "
                          "--port, or a --host of this machine") from None
    url = url_for(host, server.server_port)
    echo(f"lrwatch dashboard for {resolve_location(store_path)} at {url} (Ctrl-C to stop)")
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
        while pid_alive(parent_pid):
            time.sleep(2.0)
        server.shutdown()  # type: ignore[attr-defined]

    threading.Thread(target=watch, name="lrwatch-parent-watch", daemon=True).start()
