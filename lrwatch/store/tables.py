"""The run tables both SQL backends share, and what they do alike on them.

SQLite and PostgreSQL keep the same tables (``runs``, ``series``, ``chunks``, ``events``,
``summaries``) and read and write them with the same statements, but for the driver's
placeholder (``?`` for sqlite3, ``%s`` for psycopg), PostgreSQL's schema prefix (``lrwatch.``)
and the row locks a server needs where SQLite locks the whole file. ``RunTables`` holds those
statements once; a backend names its placeholder, prefix and columns and brings what differs:
connecting, transactions, creating runs, appending, stored summaries and run rows.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Mapping, Sequence, TypeVar

import numpy as np

from lrwatch.errors import RunNotFound
from lrwatch.store.base import RUNNING, Event, RunInfo
from lrwatch.store.rows import (
    CHUNK_POINTS,
    SHOWN_NAMES,
    GroupNumbering,
    RowChecks,
    concat_chunks,
    encode_chunk,
    fill_summaries,
    latest_per_step,
    runs_here,
    to_json,
)
from lrwatch.store.summary import RunSummary, stored_or_computed, summarize

T = TypeVar("T")

#: the columns of a chunk row, in the order ``RowChecks._chunk`` reads them
CHUNK_COLUMNS = "c.id, c.series_id, c.first_step, c.last_step, c.n, c.steps, c.vals, c.crc"


class RunTables(RowChecks, GroupNumbering):
    """The statements on the run tables that SQLite and PostgreSQL run alike; a subclass sets
    the class attributes below and gives ``_read``, ``_write``, ``_run_info`` and
    ``_save_summary``."""

    path: str
    _hostname: str
    #: the driver's placeholder: ``?`` (sqlite3) or ``%s`` (psycopg)
    _mark: str
    #: the tables' schema as a prefix of their names: ``""`` or ``"lrwatch."``
    _schema: str
    #: appended to a SELECT whose rows a transaction rewrites: a server locks them; SQLite's
    #: write transaction already holds the whole file
    _for_update: str = ""
    #: the columns of a run row, in the order ``_run_info`` reads them
    _run_columns: str
    _chunk_columns = CHUNK_COLUMNS
    #: False for a read-only open of a store older than stored summaries
    _has_summaries: bool

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _read_chunks(self, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Chunk rows of a query (a driver may fetch their blobs in a faster form)."""
        return self._read(sql, args)

    def _write(self, fn: Callable[[Any], T]) -> T:
        raise NotImplementedError

    def _run_info(self, row: tuple[Any, ...]) -> RunInfo:
        raise NotImplementedError

    def _save_summary(self, conn: Any, run_id: int) -> None:
        raise NotImplementedError

    def _table(self, name: str) -> str:
        return f"{self._schema}{name}"

    # -- runs ------------------------------------------------------------------------------
    def runs(self) -> list[RunInfo]:
        return [self._run_info(r) for r in self._read(
            f"SELECT {self._run_columns} FROM {self._table('runs')} ORDER BY id")]

    def _summary_rows(self) -> list[tuple[Any, ...]] | None:
        """Every run's row followed by its stored summary's step and text (NULL for none);
        None where the summaries cannot be read (a backend's own reasons)."""
        return self._read(self._summary_listing())

    def _summary_listing(self) -> str:
        return (f"SELECT {self._run_columns}, m.at_step, m.data FROM {self._table('runs')} r"
                f" LEFT JOIN {self._table('summaries')} m ON m.run_id = r.id ORDER BY r.id")

    def run_list(self) -> list[tuple[RunInfo, RunSummary]]:
        """Every run with its summary, oldest first: one query, and series read only for runs
        without a current summary (running ones, or a store older than summaries)."""
        rows = self._summary_rows() if self._has_summaries else None
        if rows is None:
            return [(run, summarize(self, run.id, run.meta)) for run in self.runs()]
        out = []
        for row in rows:
            run = self._run_info(row[:-2])
            out.append((run, stored_or_computed(self, run, row[3], row[-2], row[-1])))
        return out

    def _fill_summaries(self) -> None:
        """Summaries of the ended runs of a store written before them (once, by the writer's
        open that migrated it)."""
        m = self._mark
        todo = [r[0] for r in self._read(
            f"SELECT r.id FROM {self._table('runs')} r WHERE r.status != {m} AND NOT EXISTS"
            f" (SELECT 1 FROM {self._table('summaries')} s WHERE s.run_id = r.id)"
            " ORDER BY r.id", (RUNNING,))]
        fill_summaries(todo, self._write, self._save_summary)

    def get_run(self, ref: str | int) -> RunInfo:
        """A run by id, uid or name."""
        m, runs = self._mark, self._table("runs")
        if isinstance(ref, int) or ref.isdigit():
            rows = self._read(f"SELECT {self._run_columns} FROM {runs} WHERE id = {m}",
                              (int(ref),))
        else:
            rows = self._read(f"SELECT {self._run_columns} FROM {runs} WHERE name = {m}"
                              f" OR uid = {m}", (ref, ref))
        if not rows:
            total = int(self._read(f"SELECT COUNT(*) FROM {runs}")[0][0])
            names = [str(r[0]) for r in self._read(
                f"SELECT name FROM {runs} ORDER BY id DESC LIMIT {SHOWN_NAMES}")][::-1]
            raise RunNotFound(f"no run '{ref}' in {self.path}; {runs_here(names, total)}")
        return self._run_info(rows[0])

    def reopen_run(self, run_id: int) -> RunInfo:
        """Take over an existing run (resume): it is running again, in this process."""
        m = self._mark

        def reopen(conn: Any) -> None:
            conn.execute(
                f"UPDATE {self._table('runs')} SET status = {m}, ended_at = NULL,"
                f" heartbeat_at = {m}, hostname = {m}, pid = {m} WHERE id = {m}",
                (RUNNING, time.time(), self._hostname, os.getpid(), run_id))
            conn.execute(f"DELETE FROM {self._table('summaries')} WHERE run_id = {m}", (run_id,))

        self._write(reopen)
        return self.get_run(run_id)

    def update_meta(self, run_id: int, meta: Mapping[str, Any]) -> None:
        m, runs = self._mark, self._table("runs")

        def merge(conn: Any) -> None:
            (current,) = conn.execute(f"SELECT meta FROM {runs} WHERE id = {m}{self._for_update}",
                                      (run_id,)).fetchone()
            merged = {**self._json_object(current, f"the metadata of run {run_id}"), **meta}
            conn.execute(f"UPDATE {runs} SET meta = {m} WHERE id = {m}", (to_json(merged), run_id))

        self._write(merge)

    def set_status(self, run_id: int, status: str, ended: bool = True) -> None:
        m, now = self._mark, time.time()
        self._write(lambda conn: conn.execute(
            f"UPDATE {self._table('runs')} SET status = {m}, ended_at = {m}, heartbeat_at = {m}"
            f" WHERE id = {m}", (status, now if ended else None, now, run_id)))

    def heartbeat(self, run_id: int) -> None:
        m = self._mark
        self._write(lambda conn: conn.execute(
            f"UPDATE {self._table('runs')} SET heartbeat_at = {m} WHERE id = {m}",
            (time.time(), run_id)))

    # -- series ----------------------------------------------------------------------------
    def _insert_chunk(self, conn: Any, series_id: int, steps: np.ndarray,
                      values: np.ndarray) -> None:
        """Write a chunk with its checksum."""
        m = self._mark
        conn.execute(
            f"INSERT INTO {self._table('chunks')}(series_id, first_step, last_step, n, steps,"
            f" vals, crc) VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m})",
            (series_id, *encode_chunk(series_id, steps, values)))

    def _truncate(self, conn: Any, run_id: int, from_step: int) -> None:
        """``truncate`` inside the caller's write transaction."""
        m, chunks = self._mark, self._table("chunks")
        for sid, key in conn.execute(f"SELECT id, name FROM {self._table('series')}"
                                     f" WHERE run_id = {m}", (run_id,)).fetchall():
            straddling = conn.execute(
                f"SELECT {self._chunk_columns} FROM {chunks} c WHERE series_id = {m}"
                f" AND first_step < {m} AND last_step >= {m} ORDER BY id",
                (sid, from_step, from_step)).fetchall()
            for row in straddling:  # rewritten in place: its id orders writes of a step
                steps, values = self._chunk(row, run_id, key)
                keep = steps < from_step
                conn.execute(
                    f"UPDATE {chunks} SET first_step = {m}, last_step = {m}, n = {m},"
                    f" steps = {m}, vals = {m}, crc = {m} WHERE id = {m}",
                    (*encode_chunk(sid, steps[keep], values[keep]), row[0]))
            conn.execute(f"DELETE FROM {chunks} WHERE series_id = {m} AND first_step >= {m}",
                         (sid, from_step))
        conn.execute(f"DELETE FROM {self._table('events')} WHERE run_id = {m} AND step >= {m}",
                     (run_id, from_step))
        conn.execute(f"DELETE FROM {self._table('summaries')} WHERE run_id = {m}", (run_id,))
        conn.execute(
            f"UPDATE {self._table('runs')} SET last_step = (SELECT MAX(c.last_step) FROM"
            f" {chunks} c JOIN {self._table('series')} s ON c.series_id = s.id"
            f" WHERE s.run_id = {m}) WHERE id = {m}", (run_id, run_id))

    def truncate(self, run_id: int, from_step: int) -> None:
        """Forget every point and event at ``from_step`` or later (a resume from a checkpoint)."""
        self._write(lambda conn: self._truncate(conn, run_id, from_step))

    def compact(self, run_id: int) -> None:
        """Merge each series' small live-written chunks into few large ones, and keep the run's
        summary (the run finished)."""
        m, chunks = self._mark, self._table("chunks")
        series = self._read(
            f"SELECT s.id, s.name FROM {self._table('series')} s JOIN {chunks} c"
            f" ON c.series_id = s.id WHERE s.run_id = {m} GROUP BY s.id HAVING count(*) > 16",
            (run_id,))
        for sid, key in series:
            def rewrite(conn: Any, sid: int = sid, key: str = key) -> None:
                rows = conn.execute(f"SELECT {self._chunk_columns} FROM {chunks} c"
                                    f" WHERE series_id = {m} ORDER BY id{self._for_update}",
                                    (sid,)).fetchall()
                parts = [self._chunk(r, run_id, key) for r in rows]
                steps, values = latest_per_step(np.concatenate([p[0] for p in parts]),
                                                np.concatenate([p[1] for p in parts]))
                conn.execute(f"DELETE FROM {chunks} WHERE series_id = {m}", (sid,))
                for lo in range(0, steps.size, CHUNK_POINTS):
                    self._insert_chunk(conn, sid, steps[lo:lo + CHUNK_POINTS],
                                       values[lo:lo + CHUNK_POINTS])

            self._write(rewrite)
        self._write(lambda conn: self._save_summary(conn, run_id))

    def keys(self, run_id: int) -> list[str]:
        names = [r[0] for r in self._read(
            f"SELECT name FROM {self._table('series')} WHERE run_id = {self._mark}"
            " ORDER BY name", (run_id,))]
        if not all(isinstance(name, str) for name in names):
            raise self._damaged(f"run {run_id} has a series name that is not text")
        return self._shown_keys(names)

    def _series_chunks(self) -> str:
        """The SELECT of a run's chunks of one series (its id and stored key to follow)."""
        m = self._mark
        return (f"SELECT {self._chunk_columns} FROM {self._table('chunks')} c JOIN"
                f" {self._table('series')} s ON c.series_id = s.id"
                f" WHERE s.run_id = {m} AND s.name = {m}")

    def scalars(self, run_id: int, key: str, after_step: int | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Steps and values of one series, sorted by step; only steps > ``after_step`` if given.

        Negative steps are kept, as the CSV reader keeps them.
        """
        sql = self._series_chunks()
        args: list[Any] = [run_id, self._stored_key(key)]
        if after_step is not None:
            sql += f" AND c.last_step > {self._mark}"
            args.append(int(after_step))
        rows = self._read_chunks(sql + " ORDER BY c.id", args)
        return concat_chunks([self._chunk(r, run_id, key) for r in rows], after_step)

    def last_values(self, run_id: int, keys: Sequence[str]) -> dict[str, float]:
        """The value at the highest step of each key that has one."""
        out: dict[str, float] = {}
        for key in keys:
            rows = self._read_chunks(
                self._series_chunks() + " ORDER BY c.last_step DESC, c.id DESC LIMIT 1",
                (run_id, self._stored_key(key)))
            if rows:
                steps, values = self._chunk(rows[0], run_id, key)
                out[key] = float(values[int(np.argmax(steps))])
        return out

    # -- events ----------------------------------------------------------------------------
    def events(self, run_id: int, kind: str | None = None, after_step: int | None = None
               ) -> list[Event]:
        """A run's events (of ``kind``, after ``after_step``) in step order."""
        m = self._mark
        sql = f"SELECT step, time, kind, payload FROM {self._table('events')} WHERE run_id = {m}"
        args: list[Any] = [run_id]
        if after_step is not None:
            sql += f" AND step > {m}"
            args.append(after_step)
        if kind is not None:
            sql += f" AND kind = {m}"
            args.append(kind)
        return [self._event(run_id, *row) for row in self._read(sql + " ORDER BY step, id", args)]
