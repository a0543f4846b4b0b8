"""What every backend stores the same way: chunk blobs and their checksum, JSON metadata, the
checks that turn a damaged row into a ``StoreError`` instead of a wrong answer, free run names,
the running of a schema migration step, and the renaming (or translation as read) of
param-group series written before Lightning's numbering. The statements both backends run on
their tables are ``lrwatch.store.tables``.

Both backends keep a series as chunks of little-endian int64 steps and float64 values, each
with :func:`chunk_crc` over its row and blobs (SQLite schema 2, PostgreSQL schema 1), so a
chunk read from either is checked alike and a run copied from one to the other keeps its bits.
"""

from __future__ import annotations

import json
import struct
import zlib
from types import NoneType
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from lrwatch import keys
from lrwatch.errors import StoreError
from lrwatch.store.base import Event

STEP = np.dtype("<i8")
VALUE = np.dtype("<f8")
# Points per chunk when a finished run's series are compacted (reads then touch few rows).
CHUNK_POINTS = 65536
# What a field may hold when read back; anything else means the store was damaged.
NUMBER = (int, float)
MAYBE_NUMBER = (int, float, NoneType)
_CHUNK_ROW = struct.Struct("<qqqq")


def chunk_crc(series_id: int, first: int, last: int, n: int, steps: bytes, vals: bytes) -> int:
    """The checksum of a chunk: its row's fields and both blobs, so a flipped bit anywhere in
    them (or a chunk moved to another series) is found."""
    crc = zlib.crc32(_CHUNK_ROW.pack(series_id, first, last, n))
    return zlib.crc32(vals, zlib.crc32(steps, crc))


def encode_chunk(series_id: int, steps: np.ndarray, values: np.ndarray
                 ) -> tuple[int, int, int, bytes, bytes, int]:
    """``(first, last, n, steps_blob, vals_blob, crc)`` of a chunk about to be written."""
    first, last, n = int(steps.min()), int(steps.max()), int(steps.size)
    steps_blob, vals_blob = steps.tobytes(), values.tobytes()
    return first, last, n, steps_blob, vals_blob, chunk_crc(series_id, first, last, n,
                                                            steps_blob, vals_blob)


def to_json(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, default=repr, sort_keys=True)


def as_columns(columns: Mapping[str, tuple[Any, Any]]) -> tuple[list[tuple[str, np.ndarray,
                                                                           np.ndarray]], int]:
    """Series about to be appended as contiguous (key, steps, values), and their last step
    (-1 for none). Raises StoreError for arrays of different shapes."""
    prepared = []
    last = -1
    for key, (steps, values) in columns.items():
        steps = np.ascontiguousarray(steps, dtype=STEP)
        values = np.ascontiguousarray(values, dtype=VALUE)
        if steps.shape != values.shape or steps.ndim != 1:
            raise StoreError(f"series '{key}': steps and values must be 1-D of one length")
        if steps.size:
            prepared.append((key, steps, values))
            last = max(last, int(steps.max()))
    return prepared, last


def latest_per_step(steps: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted by step; where a step was written twice (a resumed run), the later write wins."""
    if steps.size > 1 and np.any(np.diff(steps) <= 0):
        _, first_in_reversed = np.unique(steps[::-1], return_index=True)
        latest = steps.size - 1 - first_in_reversed
        return steps[latest], values[latest]
    return steps, values


def concat_chunks(chunks: list[tuple[np.ndarray, np.ndarray]], after_step: int | None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """One series from its chunks in write order: steps after ``after_step`` (if given), the
    latest write of each step, sorted."""
    if not chunks:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    steps = np.concatenate([c[0] for c in chunks]).astype(np.int64, copy=False)
    values = np.concatenate([c[1] for c in chunks]).astype(np.float64, copy=False)
    if after_step is not None:
        keep = steps > after_step
        steps, values = steps[keep], values[keep]
    return latest_per_step(steps, values)


class RowChecks:
    """Decoding with checks, shared by the backends; a subclass names its store (``path``)
    and its runs (``_run_name``)."""

    path: str
    _damaged_advice = "the file may be damaged: pass another store"

    def _damaged(self, detail: object) -> StoreError:
        """The one message for a store whose content cannot be right."""
        return StoreError(f"cannot read the store {self.path} ({detail}); {self._damaged_advice}")

    def _run_name(self, run_id: int) -> str:
        return f"run {run_id}"

    def _json_object(self, text: Any, what: str) -> dict[str, Any]:
        try:
            value = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise self._damaged(f"{what} is not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise self._damaged(f"{what} is not a JSON object")
        return value

    def _chunk(self, row: tuple[Any, ...], run_id: int, key: str) -> tuple[np.ndarray, np.ndarray]:
        """Steps and values of a chunk row, checked against its checksum (or, for a chunk
        written without one, against the row's own count and first and last step): flipped bits
        must not become steps like -72057594037922480, or an LR of 0.05 read as 0.048."""
        chunk_id, series_id, first, last, n, steps_blob, vals_blob, crc = row
        if (isinstance(n, int) and n > 0 and isinstance(steps_blob, bytes)
                and isinstance(vals_blob, bytes) and isinstance(crc, (int, NoneType))
                and len(steps_blob) == len(vals_blob) == n * STEP.itemsize
                and (crc is None or (isinstance(series_id, int) and isinstance(first, int)
                                     and isinstance(last, int) and crc == chunk_crc(
                                         series_id, first, last, n, steps_blob, vals_blob)))):
            steps = np.frombuffer(steps_blob, dtype=STEP)
            if steps.min() == first and steps.max() == last:
                return steps, np.frombuffer(vals_blob, dtype=VALUE)
        raise self._damaged(f"{self._run_name(run_id)}, series '{key}', steps {first}-{last}: "
                            f"chunk {chunk_id} fails its check")

    def _event(self, run_id: int, step: Any, at: Any, kind: Any, payload: Any) -> Event:
        if not (isinstance(step, int) and isinstance(at, NUMBER) and isinstance(kind, str)):
            raise self._damaged(f"an event of run {run_id} has fields of the wrong type")
        return Event(step=step, time=at, kind=kind,
                     payload=self._json_object(payload, f"an event of run {run_id}"))


#: runs summarised per write transaction when an older store gets its summaries (a writer's
#: first open), so other writers and readers of the store wait at most one batch
FILL_BATCH = 200


def fill_summaries(todo: Sequence[int], write: Callable[[Callable[[Any], None]], Any],
                   save: Callable[[Any, int], None]) -> None:
    """Save the summary of each run in ``todo``, ``FILL_BATCH`` runs per ``write``
    transaction; a damaged run is skipped (it is listed on demand, which names it)."""
    for lo in range(0, len(todo), FILL_BATCH):
        def fill(conn: Any, batch: Sequence[int] = todo[lo:lo + FILL_BATCH]) -> None:
            for run_id in batch:
                try:
                    save(conn, run_id)
                except StoreError:
                    pass

        write(fill)


#: run names a "no such run" message lists at most (the newest)
SHOWN_NAMES = 8


def runs_here(names: Sequence[str], total: int) -> str:
    """The end of a "no such run" message: the store's newest run names, saying when they are
    not all of them (``the newest 8 of 19 runs: ...; lrwatch runs lists them all``)."""
    if not total:
        return "the store has no runs yet"
    if total <= len(names):
        return f"runs here: {', '.join(names)}"
    return (f"the newest {len(names)} of {total:,} runs: {', '.join(names)}; "
            "`lrwatch runs` lists them all")


def free_name(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3`` ...: the first not in ``taken``."""
    candidate, k = base, 1
    while candidate in taken:
        k += 1
        candidate = f"{base}-{k}"
    return candidate


def damage_detail(exc: StoreError) -> str:
    """What a ``_damaged`` error found, without the store path and advice around it."""
    text = str(exc)
    return text[text.find("(") + 1:text.rfind("); ")]


def apply_migration(conn: Any, step: str | Callable[[Any], None]) -> None:
    """One schema migration inside the caller's transaction: DDL run statement by statement
    (sqlite3's executescript would commit), or a function of the connection (a change of data)."""
    if callable(step):
        step(conn)
        return
    for statement in filter(str.strip, step.split(";")):
        conn.execute(statement)


def renumber_param_groups(conn: Any, series_table: str, mark: str) -> None:
    """A schema migration: rename the numbered per-group series of a store written before
    Lightning's numbering (``lr/pg1`` for the second group) to today's (``lr/pg2``), inside
    the migration's transaction. Highest number first, so no new name is taken by an old one
    not yet renamed (a run's ``lr/pg2`` becomes ``lr/pg3`` before its ``lr/pg1`` becomes
    ``lr/pg2``)."""
    rows = conn.execute(f"SELECT id, name FROM {series_table} WHERE name LIKE '%/pg%'").fetchall()
    numbered = [(number, sid, name) for sid, name in rows
                if isinstance(name, str) and (number := keys.numbered_group(name)) is not None]
    for _, sid, name in sorted(numbered, reverse=True):
        conn.execute(f"UPDATE {series_table} SET name = {mark} WHERE id = {mark}",
                     (keys.renumbered_group_key(name), sid))


class GroupNumbering:
    """Series names as a backend shows them. A read-only open of a store written before
    Lightning's group numbering (it cannot be migrated) sets ``old_group_numbers``: names are
    then translated as read (``lr/pg1`` is shown as ``lr/pg2``, and asking for ``lr/pg2``
    reads ``lr/pg1``), so every reader sees one numbering whatever the store's age. A writer
    may migrate the store while such a reader stays open (a dashboard): each read of an old
    store first asks whether it has been renumbered since (``_renumbered``, one cheap query,
    old stores only) and stops translating once it has."""

    old_group_numbers = False

    def _renumbered(self) -> bool:
        """Whether the store's schema now numbers groups as Lightning does (a backend's own)."""
        raise NotImplementedError

    def _translating(self) -> bool:
        if self.old_group_numbers and self._renumbered():
            self.old_group_numbers = False
        return self.old_group_numbers

    def _shown_keys(self, stored: list[str]) -> list[str]:
        if not self._translating():
            return stored
        return sorted(keys.renumbered_group_key(name) for name in stored)

    def _stored_key(self, key: str) -> str:
        return keys.renumbered_group_key(key, -1) if self._translating() else key
