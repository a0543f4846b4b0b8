"""Writing to a store server without waiting on the network: a local spool and a sync.

A writer given a ``postgresql://`` URL (``LRWatch(store=URL)``, ``find_lr``, ``Store(URL)``)
writes to a local SQLite store, the spool (``$LRWATCH_SPOOL``, else
``~/.cache/lrwatch/spool``, one file per server), exactly as it writes a local store. A
background :class:`Syncer`, one per process and server, sends what the server lacks of the runs
this process writes every ``SYNC_INTERVAL_S``: per series the points after the last step the
server has, the events after the last one it took, then status and metadata, in one server
transaction under the run's row lock (``PostgresBackend.receive``). So rows arrive in order and
exactly once, keyed by run uid and step, however often a push is retried; while the server is
down or slow, training goes on, rows wait in the spool, and go when it answers. What is left
when the process ends (a server still down, a killed process) goes with
``lrwatch sync SPOOL URL``, which pushes any local store the same way (:func:`sync_store`).
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from lrwatch.store.base import RUNNING, Columns, Event, PendingEvent, RunInfo
from lrwatch.store.location import StoreURL
from lrwatch.store.sqlite import SQLiteBackend
from lrwatch.store.summary import RunSummary

log = logging.getLogger("lrwatch")

SPOOL_ENV = "LRWATCH_SPOOL"
#: seconds between pushes when nothing new is written (a write pushes at once): the server's
#: heartbeat of a live run
SYNC_INTERVAL_S = 1.0
#: the longest wait between tries while the server does not answer
RETRY_MAX_S = 5.0
#: how long the end of a process waits for the server to take what is left
FINAL_SYNC_S = 10.0
#: a run's metadata key in the spool: the server must forget steps from here on (a resume)
TRUNCATE_KEY = "sync_truncate_from"


def spool_path(url: StoreURL) -> Path:
    """The spool file of a server: one per URL (its password left out), per machine."""
    root = os.environ.get(SPOOL_ENV) or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lrwatch" / "spool"
    return Path(root).expanduser() / f"{hashlib.sha256(str(url).encode()).hexdigest()[:16]}.db"


def push_run(local: SQLiteBackend, server: Any, run: RunInfo) -> tuple[int, int]:
    """Send what ``server`` (a ``PostgresBackend``) lacks of ``run`` of ``local``; returns the
    points and events sent. Idempotent: a second push of an unchanged run sends nothing."""
    truncate = run.meta.get(TRUNCATE_KEY)
    truncate = truncate if isinstance(truncate, int) else None
    sent = dataclasses.replace(run, meta={k: v for k, v in run.meta.items() if k != TRUNCATE_KEY})
    counts = server.receive(sent, local.keys(run.id),
                            lambda key, after: local.scalars(run.id, key, after),
                            lambda after_id: local.events_since(run.id, after_id), truncate)
    if truncate is not None and not local.readonly:
        local.update_meta(run.id, {TRUNCATE_KEY: None})
    if run.status != RUNNING:
        server.compact(server.run_id_of(run.uid))
    return counts


@dataclass
class SyncReport:
    """What :func:`sync_store` sent."""

    runs: int = 0
    changed: int = 0
    points: int = 0
    events: int = 0
    #: (local name, server name) of each run stored under another name on the server, whose
    #: name another run already had there (a run of the same name from another machine)
    renamed: list[tuple[str, str]] = dataclasses.field(default_factory=list)


def sync_store(local_path: str | os.PathLike[str], url: str) -> SyncReport:
    """Push every run of the local store at ``local_path`` to the server at ``url``: what it
    lacks of each, so running it again sends nothing new (``lrwatch sync``)."""
    from lrwatch.store.postgres import PostgresBackend

    report = SyncReport()
    local = SQLiteBackend(local_path, readonly=True)
    try:
        server = PostgresBackend(url)
        try:
            for run in local.runs():
                points, events = push_run(local, server, run)
                server_id = server.run_id_of(run.uid)
                there = server.get_run(server_id).name if server_id is not None else run.name
                if there != run.name:
                    report.renamed.append((run.name, there))
                report.runs += 1
                report.changed += bool(points or events)
                report.points += points
                report.events += events
        finally:
            server.close()
    finally:
        local.close()
    return report


class Syncer:
    """The background sync of one spool to one server, shared by the process's writers."""

    _live: dict[tuple[str, str], "Syncer"] = {}
    _guard = threading.Lock()

    def __init__(self, spool: str, url: StoreURL) -> None:
        self.spool, self.url = spool, url
        self._users = 0
        self._uids: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lrwatch-sync", daemon=True)
        self._thread.start()

    @classmethod
    def acquire(cls, spool: str, url: StoreURL) -> "Syncer":
        with cls._guard:
            syncer = cls._live.get((spool, url.dsn))
            if syncer is None:
                syncer = cls._live[(spool, url.dsn)] = cls(spool, url)
            syncer._users += 1
            return syncer

    def nudge(self) -> None:
        """New rows are in the spool: push now rather than at the next interval."""
        self._wake.set()

    def watch(self, uid: str) -> None:
        """Send the run ``uid`` of the spool until it has ended and is all on the server."""
        with self._lock:
            self._uids.add(uid)

    def release(self) -> None:
        """One user fewer; the last one stops the sync after a final push (bounded)."""
        with Syncer._guard:
            self._users -= 1
            if self._users > 0:
                return
            Syncer._live.pop((self.spool, self.url.dsn), None)
        self._stop.set()
        self._wake.set()
        self._thread.join(FINAL_SYNC_S + 5.0)

    # -- the sync thread -------------------------------------------------------------------
    def _run(self) -> None:
        local: SQLiteBackend | None = None
        server: Any = None
        failing: str | None = None
        delay = SYNC_INTERVAL_S
        deadline = float("inf")
        while True:
            if failing is not None:  # back off: writes do not hurry a server that is down
                if self._stop.is_set():
                    time.sleep(delay)
                else:
                    self._stop.wait(delay)
            elif not self._stop.is_set():
                self._wake.wait(delay)
                self._wake.clear()
            stopping = self._stop.is_set()  # then this push is the last one that succeeds
            try:
                if local is None:
                    local = SQLiteBackend(self.spool, readonly=True)
                if server is None:
                    from lrwatch.store.postgres import PostgresBackend

                    server = PostgresBackend(self.url)
                self._push_all(local, server)
                failing, delay = None, SYNC_INTERVAL_S
                if stopping:
                    break
            except Exception as exc:  # the server is down or refused: rows wait in the spool
                if server is not None:
                    server.close()
                    server = None
                if failing is None:
                    log.warning("lrwatch: the store server %s does not take rows now (%s); they "
                                "wait in %s and go when it answers", self.url, exc, self.spool)
                failing, delay = str(exc), min(delay * 2, RETRY_MAX_S)
                if stopping:
                    deadline = min(deadline, time.monotonic() + FINAL_SYNC_S)
                    if time.monotonic() > deadline:
                        break
                    delay = min(delay, 1.0)
        if failing is not None:
            log.warning("lrwatch: runs of this process are not all on the store server %s yet "
                        "(%s); send them with: lrwatch sync %s %s", self.url, failing,
                        self.spool, self.url)
        for backend in (local, server):
            if backend is not None:
                backend.close()

    def _push_all(self, local: SQLiteBackend, server: Any) -> None:
        with self._lock:
            uids = sorted(self._uids)
        for uid in uids:
            run = local.get_run(uid)
            push_run(local, server, run)
            if run.status != RUNNING:
                with self._lock:
                    self._uids.discard(uid)


def _stop_all() -> None:
    """At exit: each live sync makes its final push (bounded), whoever forgot to close."""
    for syncer in list(Syncer._live.values()):
        syncer._users = 1
        syncer.release()


atexit.register(_stop_all)


class SpooledBackend:
    """A writer's store for a server URL: the local spool, with a sync to the server.

    Reads answer from the spool (what this machine wrote), so a writer reads its own rows at
    once; ``path`` is the spool's file, ``server`` the URL (password hidden in its text).
    """

    readonly = False

    def __init__(self, url: StoreURL) -> None:
        self.server = url
        self._spool = SQLiteBackend(spool_path(url))
        self.path = self._spool.path
        self._syncer = Syncer.acquire(self.path, url)

    def create_run(self, name: str | None, meta: Mapping[str, Any]) -> RunInfo:
        run = self._spool.create_run(name, meta)
        self._syncer.watch(run.uid)
        return run

    def reopen_run(self, run_id: int) -> RunInfo:
        run = self._spool.reopen_run(run_id)
        self._syncer.watch(run.uid)
        return run

    def truncate(self, run_id: int, from_step: int) -> None:
        """Forget steps from ``from_step`` on here, and have the sync forget them there."""
        self._spool.truncate(run_id, from_step)
        pending = self._spool.get_run(run_id).meta.get(TRUNCATE_KEY)
        if isinstance(pending, int):
            from_step = min(pending, from_step)
        self._spool.update_meta(run_id, {TRUNCATE_KEY: from_step})

    def get_run(self, ref: str | int) -> RunInfo:
        return self._spool.get_run(ref)

    def runs(self) -> list[RunInfo]:
        return self._spool.runs()

    def run_list(self) -> list[tuple[RunInfo, RunSummary]]:
        return self._spool.run_list()

    def update_meta(self, run_id: int, meta: Mapping[str, Any]) -> None:
        self._spool.update_meta(run_id, meta)

    def set_status(self, run_id: int, status: str, ended: bool = True) -> None:
        self._spool.set_status(run_id, status, ended)
        self._syncer.nudge()

    def heartbeat(self, run_id: int) -> None:
        self._spool.heartbeat(run_id)

    def append(self, run_id: int, columns: Columns, events: Sequence[PendingEvent] = ()) -> None:
        self._spool.append(run_id, columns, events)
        self._syncer.nudge()

    def compact(self, run_id: int) -> None:
        self._spool.compact(run_id)

    def keys(self, run_id: int) -> list[str]:
        return self._spool.keys(run_id)

    def scalars(self, run_id: int, key: str, after_step: int | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        return self._spool.scalars(run_id, key, after_step)

    def last_values(self, run_id: int, keys: Sequence[str]) -> dict[str, float]:
        return self._spool.last_values(run_id, keys)

    def events(self, run_id: int, kind: str | None = None, after_step: int | None = None
               ) -> list[Event]:
        return self._spool.events(run_id, kind, after_step)

    def problems(self) -> Iterator[str]:
        return self._spool.problems()

    def close(self) -> None:
        self._spool.close()
        self._syncer.release()


__all__ = ["SpooledBackend", "SyncReport", "Syncer", "push_run", "spool_path", "sync_store"]
