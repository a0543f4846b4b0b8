"""The PostgreSQL run store: a team's runs from many machines in one database.

The layout is SQLite's (``lrwatch.store.sqlite``), in a schema of its own (``lrwatch``): runs,
events, and series as chunks of ``bytea`` blobs with the same CRC-32 per chunk, compacted when a
run finishes. So a 1 M-step series is ~16 rows, not a million (the metric table of tools that store
a row per point is what grows to tens of GB), and a point's bits are the same wherever it is read.
A finished run also keeps a summary (schema 2, ``lrwatch.store.summary``), so the run list reads no
series; param groups after the first are numbered as Lightning numbers them (``lr/pg2`` for the
second, schema 3: ``lrwatch.keys``). lrwatch creates and migrates the schema itself
(``MIGRATIONS``, version in ``lrwatch.meta``), under an advisory lock so two processes starting
at once do not race.

Trainings do not write here directly: they write a local spool that ``lrwatch.store.spool``
sends here (:meth:`PostgresBackend.receive`), so training never waits on the network. Readers
(``lrwatch runs|analyze|dashboard URL``) open it read-only; a role with SELECT is enough.

psycopg (3) is imported when a backend is made, and its errors never leave this module: each
becomes a ``StoreError`` whose text hides the URL's password.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from typing import Any, Callable, Iterator, Mapping, Sequence, TypeVar

import numpy as np

from lrwatch.errors import MissingExtra, SchemaTooNew, StoreError
from lrwatch.store.base import INTERRUPTED, RUNNING, Columns, PendingEvent, RunInfo
from lrwatch.store.location import StoreURL, hide_secret, resolve_location
from lrwatch.store.rows import (
    MAYBE_NUMBER,
    NUMBER,
    apply_migration,
    as_columns,
    damage_detail,
    encode_chunk,
    free_name,
    renumber_param_groups,
    to_json,
)
from lrwatch.store.summary import summarize
from lrwatch.store.tables import RunTables

SCHEMA_VERSION = 3
#: the oldest schema a read-only open reads (as it is: runs listed without stored summaries)
READABLE_SCHEMA = 1
#: the first schema that numbers param groups as Lightning does (``_schema_v3``)
RENUMBERED_SCHEMA = 3
#: the advisory lock that serialises schema migrations and new run names ("lrwt")
LOCK_KEY = 0x6C727774
CONNECT_TIMEOUT_S = 10
# As in SQLite: a run still "running" whose writer has not been heard of for this long reads
# as interrupted (its sync sends a heartbeat every cycle while the process lives).
STALE_AFTER_S = 120.0

_SCHEMA_V1 = """
CREATE SCHEMA IF NOT EXISTS lrwatch;
CREATE TABLE lrwatch.meta(key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE lrwatch.runs(
    id bigserial PRIMARY KEY,
    uid text NOT NULL UNIQUE,
    name text NOT NULL UNIQUE,
    status text NOT NULL,
    started_at double precision NOT NULL,
    ended_at double precision,
    heartbeat_at double precision,
    last_step bigint,
    hostname text,
    pid integer,
    meta text NOT NULL DEFAULT '{}',
    synced_event bigint NOT NULL DEFAULT 0
);
CREATE TABLE lrwatch.series(
    id bigserial PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES lrwatch.runs(id) ON DELETE CASCADE,
    name text NOT NULL,
    UNIQUE(run_id, name)
);
CREATE TABLE lrwatch.chunks(
    id bigserial PRIMARY KEY,
    series_id bigint NOT NULL REFERENCES lrwatch.series(id) ON DELETE CASCADE,
    first_step bigint NOT NULL,
    last_step bigint NOT NULL,
    n integer NOT NULL,
    steps bytea NOT NULL,
    vals bytea NOT NULL,
    crc bigint NOT NULL
);
CREATE INDEX chunks_by_series ON lrwatch.chunks(series_id, last_step);
CREATE TABLE lrwatch.events(
    id bigserial PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES lrwatch.runs(id) ON DELETE CASCADE,
    step bigint NOT NULL,
    time double precision NOT NULL,
    kind text NOT NULL,
    payload text NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_run ON lrwatch.events(run_id, step)
"""

# Schema 2: a summary per finished run; older runs get theirs when a writer first opens the
# database after migrating it (``_fill_summaries``).
_SCHEMA_V2 = """
CREATE TABLE lrwatch.summaries(
    run_id bigint PRIMARY KEY REFERENCES lrwatch.runs(id) ON DELETE CASCADE,
    at_step bigint,
    data text NOT NULL
)
"""



def _schema_v3(conn: Any) -> None:
    """Schema 3: param groups numbered from 1, as Lightning numbers them (``lr/pg1``, the
    second group until schema 2, becomes ``lr/pg2``). Read-only opens of older databases (a
    reader role cannot migrate) translate the names as read (``GroupNumbering``)."""
    renumber_param_groups(conn, "lrwatch.series", "%s")


# MIGRATIONS[v] turns schema v into v + 1 (0: an empty database): DDL, or a function of the
# connection for a change of data. A new schema adds an entry.
MIGRATIONS: dict[int, str | Callable[[Any], None]] = {0: _SCHEMA_V1, 1: _SCHEMA_V2,
                                                     2: _schema_v3}

_RUN_COLUMNS = "id, uid, name, status, started_at, ended_at, last_step, heartbeat_at, meta"
_RUN_TYPES = (int, str, str, str, NUMBER, MAYBE_NUMBER, (int, type(None)), MAYBE_NUMBER, str)

T = TypeVar("T")


def _driver() -> Any:
    try:
        import psycopg
    except ImportError:
        raise MissingExtra("psycopg", "postgres", "a postgresql:// store") from None
    return psycopg


class PostgresBackend(RunTables):
    """The run store in a PostgreSQL database. Not thread-safe: one instance per thread."""

    _damaged_advice = "the database may be damaged: run lrwatch check on it"
    _mark = "%s"
    _schema = "lrwatch."
    _for_update = " FOR UPDATE"
    _run_columns = _RUN_COLUMNS

    def __init__(self, url: str | StoreURL, readonly: bool = False) -> None:
        location = resolve_location(url)
        if not isinstance(location, StoreURL):
            raise StoreError(f"{url} is not a postgresql:// URL")
        self.location = location
        self.path = str(location)
        self.readonly = readonly
        self._psycopg = _driver()
        self._hostname = socket.gethostname()
        self._conn: Any = None
        self._has_summaries = True
        self._connect()

    # -- connecting ------------------------------------------------------------------------
    def _error(self, exc: BaseException, doing: str) -> StoreError:
        text = hide_secret(str(exc).strip().replace("\n", " "), self.location)
        return StoreError(f"{doing} the store server {self.path} failed ({text})")

    def _connect(self) -> None:
        psycopg = self._psycopg
        try:
            conn = psycopg.connect(self.location.dsn, autocommit=True,
                                   connect_timeout=CONNECT_TIMEOUT_S, application_name="lrwatch")
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to the store server {self.path} "
                f"({hide_secret(str(exc).strip(), self.location)}); check that it runs, and the "
                "URL's host, database and user (a password goes in PGPASSWORD or ~/.pgpass)"
            ) from None
        try:
            if self.readonly:
                conn.execute("SET default_transaction_read_only = on")
            self._conn = conn
            self._check_and_migrate()
        except psycopg.Error as exc:
            conn.close()
            raise self._error(exc, "opening") from None
        except BaseException:
            conn.close()
            raise

    def _schema_version(self) -> int:
        # pg_class read as a table (to_regclass's catalog cache would miss a schema that
        # another process committed while this one waited for the lock)
        if not self._conn.execute(
                "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'lrwatch' AND c.relname = 'meta'").fetchone():
            return 0
        row = self._conn.execute("SELECT value FROM lrwatch.meta WHERE key = 'schema'").fetchone()
        return int(row[0]) if row else 0

    def _check_and_migrate(self) -> None:
        version = self._schema_version()
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"{self.path} was written by a newer lrwatch (store schema {version}, this "
                f"version reads up to {SCHEMA_VERSION}): pip install -U lrwatch")
        if version == SCHEMA_VERSION:
            return
        if self.readonly:
            if version < READABLE_SCHEMA:
                raise StoreError(
                    f"no lrwatch store at {self.path} yet (schema {version}): train with "
                    "LRWatch(store=URL) or run lrwatch sync first")
            self._has_summaries = version >= 2
            self.old_group_numbers = version < RENUMBERED_SCHEMA
            return
        with self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            version = self._schema_version()  # another process may have migrated meanwhile
            while version < SCHEMA_VERSION:
                apply_migration(self._conn, MIGRATIONS[version])
                version += 1
                self._conn.execute(
                    "INSERT INTO lrwatch.meta(key, value) VALUES ('schema', %s) ON CONFLICT (key)"
                    " DO UPDATE SET value = excluded.value", (str(version),))
        self._fill_summaries()

    def _ready(self) -> Any:
        """The connection, made again when the server dropped it (a restart)."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._connect()
        return self._conn

    def _read(self, sql: str, args: Sequence[Any] = (), binary: bool = False
              ) -> list[tuple[Any, ...]]:
        """Rows of a query; ``binary`` for chunks: blobs come as they are, not as hex text
        (twice the bytes, and a decode: reading a long run took twice SQLite's time)."""
        try:
            return list(self._ready().execute(sql, args, binary=binary).fetchall())
        except self._psycopg.Error as exc:
            raise self._error(exc, "reading") from None

    def _read_chunks(self, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        return self._read(sql, args, binary=True)

    def _write(self, fn: Callable[[Any], T]) -> T:
        if self.readonly:
            raise StoreError(f"the store {self.path} was opened read-only")
        conn = self._ready()
        try:
            with conn.transaction():
                return fn(conn)
        except self._psycopg.Error as exc:
            raise self._error(exc, "writing to") from None

    # -- runs ------------------------------------------------------------------------------
    def _run_name(self, run_id: int) -> str:
        try:
            row = self._conn.execute("SELECT name FROM lrwatch.runs WHERE id = %s",
                                     (run_id,)).fetchone()
        except self._psycopg.Error:
            row = None
        return f"run '{row[0]}' (id {run_id})" if row else f"run {run_id}"

    def _free_name(self, conn: Any, base: str) -> str:
        """``base``, or ``base-2``, ``base-3`` ... when taken (call under the lock)."""
        taken = {r[0] for r in conn.execute(
            "SELECT name FROM lrwatch.runs WHERE name = %s OR name LIKE %s",
            (base, base.replace("%", r"\%").replace("_", r"\_") + "-%"))}
        return free_name(base, taken)

    def _insert_run(self, conn: Any, uid: str, name: str, status: str, started: float,
                    ended: float | None, meta: Mapping[str, Any]) -> int:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY + 1,))
        row = conn.execute(
            "INSERT INTO lrwatch.runs(uid, name, status, started_at, ended_at, heartbeat_at,"
            " hostname, pid, meta) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (uid) DO NOTHING RETURNING id",
            (uid, self._free_name(conn, name), status, started, ended, time.time(),
             self._hostname, os.getpid(), to_json(meta))).fetchone()
        if row is None:  # the run is here already (another sync got there first)
            row = conn.execute("SELECT id FROM lrwatch.runs WHERE uid = %s", (uid,)).fetchone()
        return int(row[0])

    def create_run(self, name: str | None, meta: Mapping[str, Any]) -> RunInfo:
        now = time.time()
        run_id = self._write(lambda conn: self._insert_run(
            conn, uuid.uuid4().hex, name or "run", RUNNING, now, None, meta))
        return self.get_run(run_id)

    def _run_info(self, row: tuple[Any, ...]) -> RunInfo:
        for column, value, kinds in zip(_RUN_COLUMNS.split(", "), row, _RUN_TYPES):
            if not isinstance(value, kinds):
                raise self._damaged(f"run {row[0]}: {column} holds a {type(value).__name__}")
        run_id, uid, name, status, started, ended, last_step, heartbeat, meta = row
        if status == RUNNING and heartbeat is not None and time.time() - heartbeat > STALE_AFTER_S:
            status = INTERRUPTED
        return RunInfo(id=run_id, uid=uid, name=name, status=status, started_at=started,
                       ended_at=ended, last_step=last_step,
                       meta=self._json_object(meta, f"the metadata of run {run_id}"))

    def _summary_rows(self) -> list[tuple[Any, ...]] | None:
        try:
            return list(self._ready().execute(self._summary_listing()).fetchall())
        except self._psycopg.errors.InsufficientPrivilege:
            return None  # a reader role granted SELECT before the summaries existed
        except self._psycopg.Error as exc:
            raise self._error(exc, "reading") from None

    def _save_summary(self, conn: Any, run_id: int) -> None:
        """Summarise a run and keep the summary with the last step it describes (inside a
        write transaction that holds the run's row, so no write comes between)."""
        conn.execute("SELECT 1 FROM lrwatch.runs WHERE id = %s FOR UPDATE", (run_id,))
        conn.execute(
            "INSERT INTO lrwatch.summaries(run_id, at_step, data) SELECT id, last_step, %s"
            " FROM lrwatch.runs WHERE id = %s ON CONFLICT (run_id) DO UPDATE SET"
            " at_step = excluded.at_step, data = excluded.data",
            (summarize(self, run_id).to_text(), run_id))

    # -- series ----------------------------------------------------------------------------
    def _series_ids(self, conn: Any, run_id: int, keys: Sequence[str]) -> dict[str, int]:
        """The ids of a run's series named ``keys``, created where missing: two statements for
        any number of series (a sync pushes a dozen or more every half second)."""
        if not keys:
            return {}
        select = "SELECT name, id FROM lrwatch.series WHERE run_id = %s AND name = ANY(%s)"
        ids = {str(name): int(sid) for name, sid in
               conn.execute(select, (run_id, list(keys))).fetchall()}
        missing = [key for key in keys if key not in ids]
        if missing:
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO lrwatch.series(run_id, name) VALUES (%s, %s)"
                                " ON CONFLICT (run_id, name) DO NOTHING",
                                [(run_id, key) for key in missing])
            ids.update({str(name): int(sid) for name, sid in
                        conn.execute(select, (run_id, missing)).fetchall()})
        return ids

    def _append(self, conn: Any, run_id: int, columns: Columns,
                events: Sequence[PendingEvent]) -> None:
        prepared, last = as_columns(columns)
        ids = self._series_ids(conn, run_id, [key for key, _, _ in prepared])
        if prepared:
            with conn.cursor() as cur:  # one round trip for every chunk (psycopg pipelines them)
                cur.executemany(
                    "INSERT INTO lrwatch.chunks(series_id, first_step, last_step, n, steps,"
                    " vals, crc) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [(ids[key], *encode_chunk(ids[key], steps, values))
                     for key, steps, values in prepared])
        if events:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO lrwatch.events(run_id, step, time, kind, payload)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    [(run_id, e.step, e.time, e.kind, to_json(e.payload)) for e in events])
            last = max([last, *(e.step for e in events)])
        conn.execute(
            "UPDATE lrwatch.runs SET heartbeat_at = %s, last_step = GREATEST(last_step, %s)"
            " WHERE id = %s", (time.time(), last if last >= 0 else None, run_id))

    def append(self, run_id: int, columns: Columns, events: Sequence[PendingEvent] = ()) -> None:
        """Write new points of several series and events of one run in one transaction."""
        self._write(lambda conn: self._append(conn, run_id, columns, events))

    def _renumbered(self) -> bool:
        rows = self._read("SELECT value FROM lrwatch.meta WHERE key = 'schema'")
        return bool(rows) and int(rows[0][0]) >= RENUMBERED_SCHEMA

    # -- taking runs from a spool ----------------------------------------------------------
    def receive(self, run: RunInfo, keys: Sequence[str],
                points_after: Callable[[str, int | None], tuple[np.ndarray, np.ndarray]],
                events_after: Callable[[int], list[tuple[int, PendingEvent]]],
                truncate_from: int | None = None) -> tuple[int, int]:
        """Take what this store lacks of ``run`` (a run of another store, the same uid here), in
        one transaction under the run's row lock: points after the last step each series has
        here, events after the last one taken (by the source's event id), then the run's
        status, end and metadata. Sent twice, nothing is stored twice; a failed transaction
        stores nothing. ``truncate_from`` first forgets steps from there on (a resumed run).

        Returns the points and events taken.
        """
        def take(conn: Any) -> tuple[int, int]:
            lock = "SELECT id, synced_event FROM lrwatch.runs WHERE uid = %s FOR UPDATE"
            row = conn.execute(lock, (run.uid,)).fetchone()
            if row is None:
                self._insert_run(conn, run.uid, run.name, run.status, run.started_at,
                                 run.ended_at, run.meta)
                row = conn.execute(lock, (run.uid,)).fetchone()
            run_id, synced_event = row
            if truncate_from is not None:
                self._truncate(conn, run_id, truncate_from)
            have = dict(conn.execute(
                "SELECT s.name, (SELECT max(c.last_step) FROM lrwatch.chunks c"
                " WHERE c.series_id = s.id) FROM lrwatch.series s WHERE s.run_id = %s",
                (run_id,)).fetchall())
            columns = {key: points_after(key, have.get(key)) for key in keys}
            news = events_after(0 if truncate_from is not None else synced_event)
            if truncate_from is not None:  # events of the steps forgotten above go again
                news = [(i, e) for i, e in news if i > synced_event or e.step >= truncate_from]
            self._append(conn, run_id, columns, [event for _, event in news])
            conn.execute(
                "UPDATE lrwatch.runs SET status = %s, ended_at = %s, meta = %s,"
                " synced_event = %s WHERE id = %s",
                (run.status, run.ended_at, to_json(run.meta),
                 max([synced_event, *(i for i, _ in news)]), run_id))
            return sum(int(s.size) for s, _ in columns.values()), len(news)

        return self._write(take)

    def run_id_of(self, uid: str) -> int | None:
        """This store's id of the run ``uid``, None when it is not here."""
        rows = self._read("SELECT id FROM lrwatch.runs WHERE uid = %s", (uid,))
        return int(rows[0][0]) if rows else None

    # -- checking ---------------------------------------------------------------------------
    def problems(self) -> Iterator[str]:
        """Every problem found: each run's fields and metadata, each chunk against its
        checksum, each event (the server checks its own pages)."""
        checks: list[tuple[str, Callable[[tuple[Any, ...]], Any]]] = [
            (f"SELECT {_RUN_COLUMNS} FROM lrwatch.runs ORDER BY id", self._run_info),
            (f"SELECT s.run_id, s.name, {self._chunk_columns} FROM lrwatch.chunks c JOIN"
             " lrwatch.series s ON c.series_id = s.id ORDER BY s.run_id, s.name, c.id",
             lambda r: self._chunk(tuple(r[2:]), r[0], str(r[1]))),
            ("SELECT run_id, step, time, kind, payload FROM lrwatch.events ORDER BY run_id, id",
             lambda r: self._event(*r)),
        ]
        for sql, check in checks:
            for row in self._read(sql):
                try:
                    check(row)
                except StoreError as exc:
                    yield damage_detail(exc)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
