"""A bounded background writer: the training loop hands rows over and never waits on disk.

The writer thread owns its own store connection, gathers what arrives for up to
``flush_interval`` seconds and writes it in one transaction. A failed write keeps its rows and is
tried again on the next round, so a store that is briefly locked loses nothing. Live writers
are flushed at interpreter exit and on SIGTERM.
"""

from __future__ import annotations

import atexit
import os
import queue
import signal
import threading
import time
import weakref
from collections import defaultdict
from types import FrameType
from typing import Any, Callable, Sequence

import numpy as np

from lrwatch.store.base import INTERRUPTED, Columns, PendingEvent, StoreBackend

HEARTBEAT_S = 10.0
_LIVE: "weakref.WeakSet[RunWriter]" = weakref.WeakSet()
_STOP = object()


class _FlushRequest:
    def __init__(self, status: str | None = None) -> None:
        self.status = status
        self.done = threading.Event()
        self.ok = False


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
    """

    def __init__(
        self,
        open_backend: Callable[[], StoreBackend],
        run_id: int,
        *,
        flush_interval: float = 0.5,
        max_pending: int = 4096,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.run_id = run_id
        self.flush_interval = flush_interval
        self._open_backend = open_backend
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_pending)
        self._on_error = on_error
        self._closed = False
        self._compact_on_stop = False
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
        """Flush, set the run's final ``status`` if given, and stop the thread.

        A run that ends (``status`` given) has its series compacted for fast reads.
        """
        if self._closed:
            return True
        ok = self.flush(timeout, status)
        self._closed = True
        self._compact_on_stop = ok and status is not None
        _LIVE.discard(self)
        self._queue.put(_STOP)
        self._thread.join(timeout)
        return ok

    # -- the writer thread -----------------------------------------------------------------
    def _run(self) -> None:
        try:
            backend = self._open_backend()
        except BaseException as exc:  # reported to the constructor
            self._open_error = exc
            self._opened.set()
            return
        self._opened.set()
        columns: dict[str, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
        events: list[PendingEvent] = []
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
                    for key, pair in item[0].items():
                        columns[key].append(pair)
                    events.extend(item[1])
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            now = time.monotonic()
            due = requests or stop or now - last_write >= self.flush_interval
            if (columns or events) and due:
                try:
                    backend.append(self.run_id, _merge(columns), events)
                except Exception as exc:  # keep the rows; try again next round
                    if not failing and self._on_error is not None:
                        self._on_error(exc)
                    failing = True
                    for request in requests:
                        request.done.set()
                    requests.clear()
                    continue
                failing = False
                columns.clear()
                events.clear()
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
        if self._compact_on_stop:
            try:
                backend.compact(self.run_id)
            except Exception:
                pass  # compaction only speeds reads up; the data is already safe
        backend.close()


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
