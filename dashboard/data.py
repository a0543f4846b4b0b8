"""The dashboard's only door to data: the store opened read-only, per request, and the
diagnoses of runs, computed off the request path.

No Dash here. Every read is short and fresh, so runs that start later, and points written a
moment ago, appear on the next poll. A store that is missing, empty, corrupt or locked, or one
being written while it is read, surfaces as a :class:`StoreProblem` message for the page,
never as a failed callback.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterator

# Imported here, once, before any request thread: scipy's lazy submodules are not safe to
# import from two threads at once (the diagnoser and a graph callback).
import lrwatch.analysis  # noqa: F401
import lrwatch.readers  # noqa: F401
from lrwatch import figures, keys
from lrwatch.formatting import NO_VERDICT
from lrwatch.errors import LRWatchError
from lrwatch.store import RUNNING, RunInfo, Store
from lrwatch.store.location import canonical, is_url

from .launcher import store_fingerprint

if TYPE_CHECKING:
    from lrwatch.analysis.types import Diagnosis

log = logging.getLogger(__name__)

#: a running run's diagnosis is recomputed at most this often
DIAGNOSIS_REFRESH_S = 3.0
#: whole-series reads at once (graph builds and analyses), which bounds the server's memory
FULL_READS = 2
#: after a store was found locked, requests for this long get the message without waiting
LOCKED_PAUSE_S = 5.0
#: full graph builds kept for reuse: a run page holds six graphs, so this is about ten run
#: views and zooms; a built graph of a 2 M-step run answers with 40-70 KB of JSON (measured),
#: so all of them hold some tens of MB as Python objects
SHARED_BUILDS = 64


class StoreProblem(Exception):
    """The store cannot be read right now; ``str()`` is the message the page shows."""


@contextmanager
def guarded() -> Iterator[None]:
    """Turn every way a read can fail (a store error, a store not there yet) into
    :class:`StoreProblem`; backends raise ``StoreError`` for their drivers' errors."""
    try:
        yield
    except StoreProblem:
        raise
    except LRWatchError as exc:
        raise StoreProblem(str(exc)) from None
    except OSError as exc:
        raise StoreProblem(f"the store could not be read ({exc}); retrying") from None


@dataclass(frozen=True)
class DiagnosisResult:
    """What the page shows about a run's diagnosis: the verdict, or why there is none yet."""

    diagnosis: "Diagnosis | None"
    pending: bool = False
    error: str | None = None
    last_step: int | None = None


class DataSource:
    """Everything the app reads, for one store path (given by the command line, never by a
    request)."""

    def __init__(self, store_path: str | os.PathLike[str]) -> None:
        self.path = canonical(store_path)
        self.store_id = store_fingerprint(self.path)
        #: held while reading whole series (a graph's full build, an analysis): a 1 M-step
        #: series costs ~40 MB while it is read, so at most this many are read at once
        self.full_reads = threading.BoundedSemaphore(FULL_READS)
        self.builds = SharedBuilds(self.full_reads)
        self.diagnoses = Diagnoser(self)
        self._locked: tuple[float, str] | None = None  # (until when, message)

    @contextmanager
    def open(self) -> Iterator[Store]:
        """A read-only store for one request (SQLite connections stay in their thread).

        Opening a locked store waits out SQLite's busy timeout; after one such wait, the
        requests of the next few seconds get the same message at once instead of each waiting.
        """
        locked = self._locked
        if locked is not None and time.monotonic() < locked[0]:
            raise StoreProblem(locked[1])
        try:
            with guarded():
                store = Store(self.path, readonly=True)
        except StoreProblem as exc:
            if "locked" in str(exc):
                self._locked = (time.monotonic() + LOCKED_PAUSE_S, str(exc))
            raise
        self._locked = None
        try:
            with guarded():
                yield store
        finally:
            store.close()

    def check(self) -> str | None:
        """None when the store can be read, else the message to show."""
        try:
            with self.open() as store:
                store.runs()
        except StoreProblem as exc:
            return str(exc)
        return None


@dataclass
class _Build:
    version: Hashable
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class SharedBuilds:
    """Full graph builds shared by every viewer of a run.

    A build of a long run takes about as long as the poll interval, and Dash drops an answer
    when the same callback is asked again before it returns; without sharing, each tick of each
    viewer started another build and none finished. Here one build per view (run, panel,
    settings, zoom) runs at a time: a request for a view being built waits for that build, and
    its result is served to everyone until the run has new rows (``version`` changes).
    """

    def __init__(self, full_reads: threading.BoundedSemaphore, size: int = SHARED_BUILDS) -> None:
        self._full_reads = full_reads
        self._size = size
        self._lock = threading.Lock()
        self._builds: OrderedDict[Hashable, _Build] = OrderedDict()

    def get(self, view: Hashable, version: Hashable, build: Callable[[], Any]) -> Any:
        """``build()``'s result for ``view`` at ``version``: the cached one, the one in flight
        (whatever its version: it is at most a poll old), or a new one."""
        with self._lock:
            entry = self._builds.get(view)
            mine = entry is None or (entry.done.is_set() and entry.version != version)
            if mine:
                entry = self._builds[view] = _Build(version)
            self._builds.move_to_end(view)
            while len(self._builds) > self._size:
                self._builds.popitem(last=False)  # the least recently asked for
        assert entry is not None
        if mine:
            try:
                with self._full_reads:
                    entry.result = build()
            except BaseException as exc:
                entry.error = exc
                with self._lock:
                    if self._builds.get(view) is entry:
                        del self._builds[view]  # the next request tries again
                raise
            finally:
                entry.done.set()
        entry.done.wait()
        if entry.error is not None:
            raise entry.error
        return entry.result


class Diagnoser:
    """Computes run diagnoses on one background thread and caches them.

    Callbacks never wait on the analysis: they get the latest verdict (maybe a few seconds
    old) and a ``pending`` flag, and the next poll picks up the fresh one. A finished run is
    analysed once; a running one again when it has grown and its verdict is older than
    :data:`DIAGNOSIS_REFRESH_S`.
    """

    def __init__(self, source: DataSource) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[DiagnosisResult, float]] = {}
        self._queued: set[str] = set()
        self._queue: "queue.Queue[RunInfo]" = queue.Queue()
        self._thread: threading.Thread | None = None

    def get(self, run: RunInfo) -> DiagnosisResult:
        """The cached verdict on ``run``, scheduling a fresh one when it is stale."""
        with self._lock:
            cached = self._cache.get(run.uid)
            stale = cached is None or (
                cached[0].last_step != run.last_step
                and (run.status != RUNNING or time.monotonic() - cached[1] > DIAGNOSIS_REFRESH_S))
            if stale and run.uid not in self._queued:
                self._queued.add(run.uid)
                self._queue.put(run)
                self._start()
            if cached is None:
                return DiagnosisResult(None, pending=True)
            result = cached[0]
            return DiagnosisResult(result.diagnosis, stale, result.error, result.last_step)

    def wait(self, run: RunInfo, timeout: float = 30.0) -> DiagnosisResult:
        """Block until ``run`` has a verdict for its current length (tests, reports)."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.get(run)
            if not result.pending or time.monotonic() > deadline:
                return result
            time.sleep(0.05)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="lrwatch-diagnoser",
                                            daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while True:
            try:
                run = self._queue.get(timeout=30)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            result = self._diagnose(run)
            with self._lock:
                self._cache[run.uid] = (result, time.monotonic())
                self._queued.discard(run.uid)

    def _diagnose(self, run: RunInfo) -> DiagnosisResult:
        try:
            with self._source.full_reads, self._source.open() as store:
                fresh = store.run(run.id)
                return DiagnosisResult(figures.run_diagnosis(store, fresh),
                                       last_step=fresh.last_step)
        except StoreProblem as exc:
            return DiagnosisResult(None, error=str(exc), last_step=None)
        except Exception as exc:  # noqa: BLE001 - a curve the analysis cannot take must not stop the page
            log.warning("analysis of run %s failed: %s", run.name, exc, exc_info=True)
            return DiagnosisResult(None, error=f"analysis failed: {type(exc).__name__}: {exc}",
                                   last_step=run.last_step)


@dataclass(frozen=True)
class RunRow:
    """One line of the run list."""

    id: int
    name: str
    kind: str  # keys.RUN_TRAIN or keys.RUN_RANGE_TEST
    status: str  # what the store says: running, finished, failed, interrupted, diverged
    verdict: str | None  # what the analysis says: diverging, oscillating, stalled, healthy ...
    steps: int
    peak_lr: float | None  # the run's peak LR, which the suggestion is relative to
    suggested_lr: float | None
    started_at: float
    duration_s: float

    @property
    def badge(self) -> str:
        if self.kind == keys.RUN_RANGE_TEST:
            return "range test"
        return self.verdict or ("running" if self.status == RUNNING else "analysing")


def run_rows(source: DataSource, store: Store) -> list[RunRow]:
    """The run list, newest first, with each run's verdict and LR (from the runs' stored
    summaries: one query for the finished ones, see ``lrwatch.store.summary``)."""
    rows = []
    now = time.time()
    for run, summary in reversed(store.run_list()):
        kind = keys.run_kind(run.meta)
        verdict = suggested = peak = None
        if kind == keys.RUN_RANGE_TEST:
            suggested = figures.positive_float(
                figures.range_test_summary(store, run).get("suggested_lr"))
        else:
            peak = summary.peak_lr
            result = source.diagnoses.get(run)
            if result.diagnosis is not None:
                verdict = result.diagnosis.status.value
                suggestion = result.diagnosis.suggestion
                peak = figures.positive_float(suggestion.peak_lr) or peak
                suggested = figures.positive_float(suggestion.suggested_lr)
            elif not result.pending and run.status != RUNNING:
                verdict = NO_VERDICT  # analysed: nothing to judge, and nothing more will come
        end = run.ended_at if run.ended_at is not None else now
        rows.append(RunRow(run.id, run.name, kind, run.status, verdict, run.steps,
                           figures.positive_float(peak), suggested, run.started_at,
                           max(0.0, end - run.started_at)))
    return rows


def store_label(path: str) -> str:
    """The store's path as shown on the page: relative to the working directory when inside it;
    a server's URL as it is (its password hidden)."""
    if is_url(path):
        return str(path)
    p = Path(path)
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)
