"""What every run-store backend offers: the seam between lrwatch and where runs are kept.

The callback, the writer, the readers and the dashboard only speak this protocol (through
``lrwatch.store.open_backend`` / ``Store``), so a backend is one module: ``sqlite`` (a local
file) and ``postgres`` (a team server). Series travel as numpy arrays: ``steps`` (int64) and
``values`` (float64, NaN and inf kept as they are). Every failure is a ``StoreError``; no
driver's own exception leaves a backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Protocol, Sequence

import numpy as np

if TYPE_CHECKING:
    from lrwatch.store.summary import RunSummary

# Run statuses. "interrupted" is also what readers report for a run whose process died
# without saying so (kill -9, power loss): see ``SQLiteBackend.runs``.
RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
INTERRUPTED = "interrupted"
DIVERGED = "diverged"
# The run ended but some of its rows could not be saved (a full disk): the run's metadata
# says which steps and how it ended otherwise (``meta["unsaved"]``, see ``RunWriter``).
INCOMPLETE = "incomplete"
RUN_STATUSES = (RUNNING, FINISHED, FAILED, INTERRUPTED, DIVERGED, INCOMPLETE)

Columns = Mapping[str, "tuple[np.ndarray, np.ndarray]"]


@dataclass(frozen=True)
class RunInfo:
    """One recorded run, as listed by ``Store.runs()``."""

    id: int
    uid: str
    name: str
    status: str
    started_at: float
    ended_at: float | None  # None while running; a run whose writer died: its last write
    last_step: int | None
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def steps(self) -> int:
        """Number of optimizer steps recorded (last step + 1)."""
        return 0 if self.last_step is None else self.last_step + 1


@dataclass(frozen=True)
class Event:
    """Something that happened at a step: a diagnosis change, an action, a NaN, a range test."""

    step: int
    time: float
    kind: str
    payload: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class PendingEvent:
    """An event on its way to the store (the run is implied by the writer)."""

    step: int
    kind: str
    payload: dict[str, Any]
    time: float


class StoreBackend(Protocol):
    """The operations the recorder, the readers and the dashboard need from a store."""

    #: where the store is, as it may be shown (a URL's password is hidden)
    path: str
    readonly: bool

    def create_run(self, name: str | None, meta: Mapping[str, Any]) -> RunInfo: ...
    def reopen_run(self, run_id: int) -> RunInfo: ...
    def get_run(self, ref: str | int) -> RunInfo: ...
    def runs(self) -> list[RunInfo]: ...
    def run_list(self) -> list[tuple[RunInfo, RunSummary]]: ...
    def update_meta(self, run_id: int, meta: Mapping[str, Any]) -> None: ...
    def set_status(self, run_id: int, status: str, ended: bool = True) -> None: ...
    def heartbeat(self, run_id: int) -> None: ...
    def append(self, run_id: int, columns: Columns, events: Sequence[PendingEvent] = ()) -> None: ...
    def truncate(self, run_id: int, from_step: int) -> None: ...
    def compact(self, run_id: int) -> None: ...
    def keys(self, run_id: int) -> list[str]: ...
    def scalars(
        self, run_id: int, key: str, after_step: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...
    def last_values(self, run_id: int, keys: Sequence[str]) -> dict[str, float]: ...
    def events(
        self, run_id: int, kind: str | None = None, after_step: int | None = None
    ) -> list[Event]: ...
    def problems(self) -> Iterator[str]: ...
    def close(self) -> None: ...
