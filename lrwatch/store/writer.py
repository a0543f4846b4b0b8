"""A bounded background writer: the training loop hands rows over and never waits on disk.

The writer thread owns its own store connection, gathers what arrives for up to
``flush_interval`` seconds and writes it in one transaction. A failed write keeps its rows and is
tried again on the next round, so a store that is briefly locked, or a disk that is full for a
while, loses nothing: rows wait in memory (up to ``max_held_bytes``) and are written when the
store takes them again. Rows past that bound, or still unwritten when the run ends, are
reported in one line naming their steps, and the run is marked ``incomplete``. Live writers
are flushed at interpreter exit and on SIGTERM.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import signal
import threading
import time
import weakref
from collections import defaultdict
from dataclasses import dataclass
from types import FrameType
from typing import Any, Callable, Sequence

import numpy as np

from lrwatch.store.base import INCOMPLETE, INTERRUPTED, Columns, PendingEvent, StoreBackend

log = logging.getLogger(__name__)

HEARTBEAT_S = 10.0
#: rows kept in memory while the store cannot take them: 64 MiB is ~800,000 steps of the five
#: series the callback records every step (16 bytes a point), hours of a typical run
MAX_HELD_BYTES = 64 << 20
#: how long closing a run waits for the store to take the rows still held (a disk freed by a
#: checkpoint cleanup); the run's end waits at most this long
CLOSE_RETRY_S = 30.0
#: then the time left for the last write, the status and the compaction of a long run
CLOSE_GRACE_S = 30.0
_LIVE: "weakref.WeakSet[RunWriter]" = weakref.WeakSet()
_STOP = object()


class _FlushRequest:
    def __init__(self, status: str | None = None) -> None:
        self.status = status
        self.done = threading.Event()
        self.ok = False


@dataclass
class Unsaved:
    """Rows of a run that never reached the store: how many points, between which steps."""

    points: int
    first_step: int
    last_step: int
    reason: str

    @classmethod
    def nothing(cls) -> "Unsaved":
        return cls(0, np.iinfo(np.int64).max, np.iinfo(np.int64).min, "")

    def add(self, steps: np.ndarray) -> None:
        if steps.size:
            self.points += int(steps.size)
            self.first_step = min(self.first_step, int(steps.min()))
            self.last_step = max(self.last_step, int(steps.max()))

    def as_meta(self, ended_as: str | None) -> dict[str, Any]:
        return {"points": self.points, "first_step": self.first_step,
                "last_step": self.last_step, "reason": self.reason, "ended_as": ended_as}


class RunWriter:
    """Writes one run's scalars and events from a background thread.

    Args:
        open_backend: makes the thread's own store connection (SQLite connections are
            bound to the thread that made them).
        run_id: the run the rows belong to.
        flush_interval: seconds rows may wait before they are written together.
        max_pending: bound of the hand-over queue, in batches. When it is full, ``put`` waits:
            backpressure instead of lost rows. A healthy disk never lets it fill.
        on_error: told of a failed write (once per failure streak); the rows are kept.
        max_held_bytes: bound of the rows kept while writes fail; newer rows past it are
            dropped, counted and reported when the run closes.
    """

    def __init__(
        self,
        open_backend: Callable[[], StoreBackend],
        run_id: int,
        *,
        flush_interval: float = 0.5,
        max_pending: int = 4096,
        on_error: Callable[[BaseException], None] | None = None,
        max_held_bytes: int = MAX_HELD_BYTES,
    ) -> None:
        self.run_id = run_id
        self.max_held_bytes = max_held_bytes
        #: what could not be saved, known once the writer is closed (None: everything was)
        self.unsaved: Unsaved | None = None
        self._final: tuple[str | None, float] = (None, 0.0)
        self.flush_interval = flush_interval
        self._open_backend = open_backend
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_pending)
        self._on_error = on_error
        self._closed = False
        self._opened = threading.Event()
        self._open_error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="lrwatch-writer", daemon=True)
        self._thread.start()
        self._opened.wait()
        if self._open_error is not None:
            raise self._open_error
        _LIVE.add(self)
        _install_exit_hooks()

    # -- the training side -----------------------------------------------------------------
    def put(self, columns: Columns | None = None, events: Sequence[PendingEvent] = ()) -> None:
        """Hand rows over; returns at once unless ``max_pending`` batches are waiting."""
        if self._closed:
            return
        if columns or events:
            self._queue.put((columns or {}, list(events)))

    def flush(self, timeout: float = 60.0, status: str | None = None) -> bool:
        """Wait until everything handed over so far is in the store (and ``status`` set)."""
        if not self._thread.is_alive():
            return False
        request = _FlushRequest(status)
        self._queue.put(request)
        return request.done.wait(timeout) and request.ok

    def close(self, status: str | None = None, timeout: float = 60.0) -> bool:
        """Write what is held, set the run's final ``status`` if given, and stop the thread.

        Rows the store does not take are retried for up to ``timeout`` (at most
        :data:`CLOSE_RETRY_S`); what is still
        unwritten then is logged in one line with its step range, kept in :attr:`unsaved`, and
        the run's status becomes ``incomplete``. A run that ends with everything saved
        (``status`` given) has its series compacted for fast reads. Returns whether
        everything was saved.
        """
        if self._closed:
            return self.unsaved is None
        self._closed = True
        _LIVE.discard(self)
        retry = min(timeout, CLOSE_RETRY_S)
        self._final = (status, time.monotonic() + retry)
        self._queue.put(_STOP)
        self._thread.join(retry + CLOSE_GRACE_S)
        return self.unsaved is None and not self._thread.is_alive()

    # -- the writer thread -----------------------------------------------------------------
    def _run(self) -> None:
        try:
            backend = self._open_backend()
        except BaseException as exc:  # reported to the constructor
            self._open_error = exc
            self._opened.set()
            return
        self._opened.set()
        held = _Held(self.max_held_bytes)
        requests: list[_FlushRequest] = []
        last_write = last_beat = time.monotonic()
        failing = False
        stop = False
        while not stop:
            try:
                item = self._queue.get(timeout=self.flush_interval)
            except queue.Empty:
                item = None
            while item is not None:
                if item is _STOP:
                    stop = True
                elif isinstance(item, _FlushRequest):
                    requests.append(item)
                else:
                    held.add(*item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            now = time.monotonic()
            due = requests or stop or now - last_write >= self.flush_interval
            if held and due:
                try:
                    held.write(backend, self.run_id)
                except Exception as exc:  # keep the rows; try again next round
                    if not failing and self._on_error is not None:
                        self._on_error(exc)
                    failing = True
                    held.reason = str(exc)
                    for request in requests:
                        request.done.set()
                    requests.clear()
                    continue
                failing = False
                last_write = last_beat = now
            elif now - last_beat >= HEARTBEAT_S:
                last_beat = now
                try:
                    backend.heartbeat(self.run_id)
                except Exception:
                    pass  # a heartbeat is best effort; the next write carries one too
            for request in requests:
                try:
                    if request.status is not None:
                        backend.set_status(self.run_id, request.status, ended=True)
                    request.ok = True
                except Exception as exc:
                    if self._on_error is not None:
                        self._on_error(exc)
                request.done.set()
            requests.clear()
        self._finish(backend, held)
        backend.close()

    def _finish(self, backend: StoreBackend, held: "_Held") -> None:
        """The closing round: retry what is held until the deadline, then set the status (and
        report what is lost), and compact a run saved whole."""
        status, deadline = self._final
        while held and time.monotonic() < deadline:
            time.sleep(self.flush_interval)
            try:
                held.write(backend, self.run_id)
            except Exception as exc:
                held.reason = str(exc)
        self.unsaved = held.lost()
        recorded = True
        try:
            if self.unsaved is not None:
                backend.update_meta(self.run_id, {"unsaved": self.unsaved.as_meta(status)})
                backend.set_status(self.run_id, INCOMPLETE, ended=True)
            elif status is not None:
                backend.set_status(self.run_id, status, ended=True)
        except Exception:
            recorded = False
        if self.unsaved is not None:
            u = self.unsaved
            log.warning(
                "lrwatch: %d points of steps %d-%d of run %d could not be saved to %s (%s); %s",
                u.points, u.first_step, u.last_step, self.run_id, getattr(backend, "path", "?"),
                u.reason, "the run is marked incomplete" if recorded else
                "the store could not record that either, so the run reads interrupted")
        elif status is not None and recorded:
            try:
                backend.compact(self.run_id)
            except Exception:
                pass  # compaction only speeds reads up; the data is already safe


class _Held:
    """Rows waiting for the store, bounded in bytes; what the bound turns away is counted."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.columns: dict[str, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
        self.events: list[PendingEvent] = []
        self.bytes = 0
        self.reason = ""
        self.dropped: Unsaved | None = None

    def __bool__(self) -> bool:
        return bool(self.columns or self.events)

    def add(self, columns: Columns, events: Sequence[PendingEvent]) -> None:
        size = sum(np.asarray(s).nbytes + np.asarray(v).nbytes for s, v in columns.values())
        if self.bytes + size > self.max_bytes:
            if self.dropped is None:
                self.dropped = Unsaved.nothing()
            for steps, _ in columns.values():
                self.dropped.add(np.asarray(steps))
            self.dropped.add(np.array([e.step for e in events], dtype=np.int64))
            return
        for key, pair in columns.items():
            self.columns[key].append(pair)
        self.events.extend(events)
        self.bytes += size

    def write(self, backend: StoreBackend, run_id: int) -> None:
        """One transaction of everything held; kept as it is when it fails."""
        backend.append(run_id, _merge(self.columns), self.events)
        self.columns.clear()
        self.events.clear()
        self.bytes = 0

    def lost(self) -> Unsaved | None:
        """The dropped rows and those still held, or None when every row was written."""
        lost = self.dropped
        if self:
            if lost is None:
                lost = Unsaved.nothing()
            for parts in self.columns.values():
                for steps, _ in parts:
                    lost.add(np.asarray(steps))
            lost.add(np.array([e.step for e in self.events], dtype=np.int64))
        if lost is not None:
            lost.reason = self.reason or "the store did not take them"
        return lost


def _merge(columns: dict[str, list[tuple[np.ndarray, np.ndarray]]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {
        key: (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
        for key, parts in columns.items()
    }


# -- exit and SIGTERM ---------------------------------------------------------------------
_hooks_installed = False


def _install_exit_hooks() -> None:
    """Flush live writers at interpreter exit and on SIGTERM (chaining any earlier handler)."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_close_all, INTERRUPTED)
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        for writer in list(_LIVE):
            writer.flush(timeout=10.0, status=INTERRUPTED)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            _close_all(INTERRUPTED)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)


def _close_all(status: str) -> None:
    for writer in list(_LIVE):
        writer.close(status=status, timeout=10.0)
