"""The run store: where the callback writes and everything else reads.

``Store`` is the public reader (and the writers' door); :func:`open_store` opens one at a
path (SQLite) or a ``postgresql://`` URL (a team server)::

    from lrwatch import Store
    store = Store("lrwatch_logs", readonly=True)      # or Store("postgresql://host/db", ...)
    run = store.runs()[-1]
    steps, loss = store.scalars(run, "loss")

Which backend serves a location is decided here only (:func:`open_backend`): a path is the
SQLite file; a URL opened read-only is the server itself; a URL opened for writing is a local
SQLite spool that a background sync sends to the server, so a writer never waits on the
network (``lrwatch.store.spool``). The SQLite and PostgreSQL drivers stay inside their modules.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from lrwatch.errors import ConfigError, RunNotFound
from lrwatch.store.base import (
    DIVERGED,
    FAILED,
    FINISHED,
    INCOMPLETE,
    INTERRUPTED,
    RUN_STATUSES,
    RUNNING,
    Event,
    PendingEvent,
    RunInfo,
    StoreBackend,
)
from lrwatch.store.location import StoreURL, is_url, resolve_location, resolve_path
from lrwatch.store.summary import RunSummary

ENV_VAR = "LRWATCH_STORE"
DEFAULT_DIR = "lrwatch_logs"


__all__ = [
    "DEFAULT_DIR", "DIVERGED", "ENV_VAR", "Event", "FAILED", "FINISHED", "INCOMPLETE",
    "INTERRUPTED", "PendingEvent", "RUNNING", "RUN_STATUSES", "RunInfo", "RunSummary", "Store",
    "StoreBackend", "StoreURL",
    "default_store_path", "is_url", "open_backend", "open_store", "resolve_location",
]


def store_file_at(target: str | os.PathLike[str],
                  store_path: str | os.PathLike[str]) -> Path | None:
    """The store file, or one of its SQLite side files (``-wal``, ``-shm``, ``-journal``), that
    writing ``target`` would overwrite (by path, link or folder); None when it is none of them."""
    target = Path(target).expanduser()
    resolved = target.resolve()
    for suffix in ("", "-wal", "-shm", "-journal"):
        own = Path(f"{store_path}{suffix}")
        if resolved == own.resolve() or (
                target.exists() and own.exists() and os.path.samefile(target, own)):
            return own
    return None


def default_store_path(root: str | os.PathLike[str] | None = None) -> "Path | StoreURL":
    """``$LRWATCH_STORE`` if set (a path or a URL), else ``<root or cwd>/lrwatch_logs/lrwatch.db``."""
    env = os.environ.get(ENV_VAR)
    if env:
        return resolve_location(env)
    return resolve_path(Path(root or ".") / DEFAULT_DIR)


def open_backend(location: str | os.PathLike[str] | None = None,
                 readonly: bool = False) -> StoreBackend:
    """The backend for ``location`` (default: :func:`default_store_path`): the SQLite file at a
    path; for a URL, the server read-only, or a spool synced to it for writing."""
    where = default_store_path() if location is None else resolve_location(location)
    if isinstance(where, StoreURL):
        if readonly:
            from lrwatch.store.postgres import PostgresBackend

            return PostgresBackend(where, readonly=True)
        from lrwatch.store.spool import SpooledBackend

        return SpooledBackend(where)
    from lrwatch.store.sqlite import SQLiteBackend

    return SQLiteBackend(where, readonly=readonly)


def open_store(location: str | os.PathLike[str] | None = None, readonly: bool = False) -> "Store":
    """A :class:`Store` at a path or URL; see :func:`open_backend` for which backend."""
    return Store(location, readonly=readonly)


class Store:
    """A run store: list runs, read their series and events, and (opened for writing) record.

    Args:
        path: the store file, a folder holding ``lrwatch.db``, or a ``postgresql://`` URL.
            Defaults to ``$LRWATCH_STORE`` or ``./lrwatch_logs``.
        readonly: open without write access (what dashboards and ``analyze`` do); the file
            is never created or changed.

    Raises:
        StoreError: the path cannot be opened (``NotAStore``, ``SchemaTooNew`` ...); every
            read also raises it, saying the file may be damaged, when what it finds cannot
            be right (a torn chunk, metadata that is not a JSON object ...).

    Example::

        store = Store("lrwatch_logs", readonly=True)
        for run in store.runs():
            steps, loss = store.scalars(run, "loss")
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, readonly: bool = False) -> None:
        self.backend: StoreBackend = open_backend(path, readonly=readonly)

    @property
    def path(self) -> str:
        return self.backend.path

    def runs(self) -> list[RunInfo]:
        """Every run, oldest first."""
        return self.backend.runs()

    def run_list(self) -> list[tuple[RunInfo, RunSummary]]:
        """Every run with its summary (last loss, peak LR), oldest first: what run lists show,
        read in one query for runs that finished (see ``lrwatch.store.summary``)."""
        return self.backend.run_list()

    def run(self, ref: RunInfo | str | int | None = None) -> RunInfo:
        """One run by name, uid or id (an int), or the latest run when ``ref`` is None (a fresh
        copy, so its status and steps are current). A string of digits is a name or an id.

        Raises:
            RunNotFound: no such run, or no run at all.
            ConfigError: ``ref`` is a string that is one run's name and another run's id.
        """
        if isinstance(ref, numbers.Integral) and not isinstance(ref, bool):
            ref = int(ref)  # numpy's int64 too
        elif ref is not None and not isinstance(ref, (RunInfo, str)):
            raise ConfigError(f"a run is a name or uid (str), an id (int) or a RunInfo from "
                              f"runs(), not {type(ref).__name__} {ref!r}")
        if ref is None:
            runs = self.backend.runs()
            if not runs:
                raise RunNotFound(f"the store {self.path} has no runs yet")
            return runs[-1]
        if isinstance(ref, str) and ref.isdigit():
            return self._digits(ref)
        return self.backend.get_run(ref.id if isinstance(ref, RunInfo) else ref)

    def _digits(self, ref: str) -> RunInfo:
        """The run a string of digits names: by name or uid, else by id; refused when it is
        one run's name and another run's id (as ``--run`` is on the command line)."""
        by_name = next((r for r in self.backend.runs() if ref in (r.name, r.uid)), None)
        try:
            by_id = self.backend.get_run(int(ref))
        except RunNotFound:
            if by_name is None:
                raise
            return by_name
        if by_name is not None and by_name.id != by_id.id:
            raise ConfigError(
                f"run '{ref}' in {self.path} is the name of run {by_name.id} and the id of run "
                f"{by_id.id} ('{by_id.name}'): pass the id as an int, run({by_id.id}), or the "
                "RunInfo from runs()")
        return by_id

    def keys(self, run: RunInfo | str | int) -> list[str]:
        """The series names recorded for a run (``loss``, ``lr``, ``grad_norm/<layer>`` ...)."""
        return self.backend.keys(self._id(run))

    def scalars(self, run: RunInfo | str | int, key: str, after_step: int | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, values)`` of one series as numpy arrays, sorted by step.

        ``after_step`` returns only later points: the incremental read live views use.
        A key the run does not have gives two empty arrays.
        """
        return self.backend.scalars(self._id(run), key, after_step)

    def last_values(self, run: RunInfo | str | int, keys: Sequence[str]) -> dict[str, float]:
        """The latest value of each of ``keys`` that the run has."""
        return self.backend.last_values(self._id(run), keys)

    def events(self, run: RunInfo | str | int, kind: str | None = None,
               after_step: int | None = None) -> list[Event]:
        """Events of a run (diagnosis changes, actions, NaN steps, range tests), by step."""
        return self.backend.events(self._id(run), kind, after_step)

    def create_run(self, name: str | None = None, meta: Mapping[str, Any] | None = None) -> RunInfo:
        """Start a new run; its name gets a ``-2``, ``-3`` ... suffix when taken."""
        return self.backend.create_run(name, meta or {})

    def reopen_run(self, run: RunInfo | str | int) -> RunInfo:
        """Take a run over again (a resumed training): it is running again, in this process."""
        return self.backend.reopen_run(self._id(run))

    def append(self, run: RunInfo | str | int, columns: Mapping[str, tuple[Any, Any]],
               events: Sequence[PendingEvent] = ()) -> None:
        """Add points (``{key: (steps, values)}``) and events to a run, in one transaction."""
        self.backend.append(self._id(run), columns, events)

    def set_status(self, run: RunInfo | str | int, status: str, ended: bool = True) -> None:
        """Set a run's status (one of ``RUN_STATUSES``); ``ended`` stamps its end time."""
        self.backend.set_status(self._id(run), status, ended)

    def update_meta(self, run: RunInfo | str | int, meta: Mapping[str, Any]) -> None:
        """Merge ``meta`` into a run's metadata."""
        self.backend.update_meta(self._id(run), meta)

    def truncate(self, run: RunInfo | str | int, from_step: int) -> None:
        """Forget a run's points and events from ``from_step`` on (a resume from a checkpoint)."""
        self.backend.truncate(self._id(run), from_step)

    def problems(self) -> Iterator[str]:
        """Every problem found in the whole store, one line each (``lrwatch check``)."""
        return self.backend.problems()

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _id(self, run: RunInfo | str | int) -> int:
        if isinstance(run, RunInfo):
            return run.id
        return self.run(run).id
