"""The SQLite run store: one file, many runs, WAL mode, one writer per run and many readers.

Scalar series are kept as chunks: each write transaction stores, per key, one row holding the new
steps (int64) and values (float64) as little-endian blobs. A 1 M-step series then reads in
milliseconds instead of the ~1 s that a row per value costs, and NaN and inf survive exactly
(SQLite would turn a NaN REAL into NULL). When a step is written twice (a resumed run), the later
write wins on read. Each finished run keeps a summary (its last loss and peak LR, schema 3:
``lrwatch.store.summary``) so the run list reads no series. Param groups after the first are
numbered as Lightning numbers them (``lr/pg2`` for the second, schema 4: ``lrwatch.keys``).
Each chunk carries a CRC-32 of its row and blobs (schema 2), checked on every read, and the
types of every field are checked too, so a damaged file gives a ``StoreError`` naming the run,
series and steps rather than a traceback or, worse, a confident answer from garbage. Chunks
written before schema 2 have no checksum and are checked against their row (point count, first
and last step) as before.

Every write is a short ``BEGIN IMMEDIATE`` transaction with a busy timeout and a bounded retry,
so several trainings can share one store and a dashboard can read while they write.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
import uuid
from pathlib import Path
from types import NoneType
from typing import Any, Callable, Iterator, Mapping, Sequence, TypeVar

from lrwatch._process import pid_alive
from lrwatch.errors import NotAStore, SchemaTooNew, StoreError, StoreLocked
from lrwatch.store.base import INTERRUPTED, RUNNING, Columns, PendingEvent, RunInfo
from lrwatch.store.location import resolve_path
from lrwatch.store.rows import (
    MAYBE_NUMBER,
    NUMBER,
    apply_migration,
    as_columns,
    damage_detail,
    free_name,
    renumber_param_groups,
    to_json,
)
from lrwatch.store.summary import summarize
from lrwatch.store.tables import CHUNK_COLUMNS, RunTables

APPLICATION_ID = 0x6C727774  # "lrwt": marks the file as an lrwatch store
# What an open checks first, read in one statement: the file's mark, schema version and tables.
HEADER = ("SELECT (SELECT application_id FROM pragma_application_id), "
          "(SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_master)")
SCHEMA_VERSION = 4
#: the oldest schema this version reads (read-only opens read it as it is, unmigrated)
READABLE_SCHEMA = 1
#: the first schema that numbers param groups as Lightning does (``_schema_v4``)
RENUMBERED_SCHEMA = 4
#: what to do about a store that cannot be written, whichever front end (``LRWatch``, ``Watch``,
#: the Hugging Face callback, ``find_lr_loop``) was given it
WRITABLE_ADVICE = "pass store= a writable path, or set LRWATCH_STORE to one"
BUSY_TIMEOUT_S = 10.0
RETRY_BUDGET_S = 60.0
# A run still marked "running" whose writer has not been heard of for this long is reported
# as interrupted (its process died without a word, e.g. kill -9 on another machine).
STALE_AFTER_S = 120.0

# Schema 1 chunks have no checksum column: read as if every checksum were missing.
_CHUNK_COLUMNS_V1 = CHUNK_COLUMNS.replace("c.crc", "NULL")

_SCHEMA_V1 = """
CREATE TABLE runs(
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    started_at REAL NOT NULL,
    ended_at REAL,
    heartbeat_at REAL,
    last_step INTEGER,
    hostname TEXT,
    pid INTEGER,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE series(
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    UNIQUE(run_id, name)
);
CREATE TABLE chunks(
    id INTEGER PRIMARY KEY,
    series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    first_step INTEGER NOT NULL,
    last_step INTEGER NOT NULL,
    n INTEGER NOT NULL,
    steps BLOB NOT NULL,
    vals BLOB NOT NULL
);
CREATE INDEX chunks_by_series ON chunks(series_id, last_step);
CREATE TABLE events(
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    time REAL NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_run ON events(run_id, step);
"""

# Schema 2: a CRC-32 per chunk (``chunk_crc``); chunks of older stores keep NULL (unchecked).
_SCHEMA_V2 = "ALTER TABLE chunks ADD COLUMN crc INTEGER"

# Schema 3: a summary per finished run (``lrwatch.store.summary``): listing reads no series.
# Older stores get theirs when first opened for writing (``_fill_summaries``).
_SCHEMA_V3 = """
CREATE TABLE summaries(
    run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    at_step INTEGER,
    data TEXT NOT NULL
)
"""


def _schema_v4(conn: sqlite3.Connection) -> None:
    """Schema 4: param groups numbered from 1, as Lightning numbers them (``lr/pg1``, the
    second group until schema 3, becomes ``lr/pg2``). Read-only opens of older stores
    translate the names as read (``GroupNumbering``)."""
    renumber_param_groups(conn, "series", "?")


# MIGRATIONS[v] turns a store of schema v into v + 1 (version 0 is an empty file): DDL, or a
# function of the connection for a change of data. A new schema adds an entry here and bumps
# SCHEMA_VERSION.
MIGRATIONS: dict[int, str | Callable[[sqlite3.Connection], None]] = {
    0: _SCHEMA_V1,
    1: _SCHEMA_V2,
    2: _SCHEMA_V3,
    3: _schema_v4,
}


T = TypeVar("T")


class SQLiteBackend(RunTables):
    """The run store in one SQLite file. Not thread-safe: use one instance per thread."""

    _mark = "?"
    _schema = ""

    def __init__(self, path: str | os.PathLike[str], readonly: bool = False) -> None:
        self.path = str(resolve_path(path))
        self.readonly = readonly
        self._hostname = socket.gethostname()
        self._has_summaries = True
        self._fill_pending = False
        self._conn = self._connect()
        if self._fill_pending:
            self._fill_summaries()

    # -- opening -------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        path = Path(self.path)
        if self.readonly:
            if not path.exists():
                raise StoreError(
                    f"no lrwatch store at {path}: train with LRWatch first, or pass the store's path"
                )
            uri = f"{path.resolve().as_uri()}?{self._readonly_mode(path)}"
            conn = self._try_connect(lambda: sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S))
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the store folder {path.parent}: {exc.strerror}; "
                    f"{WRITABLE_ADVICE}"
                ) from None
            conn = self._try_connect(lambda: sqlite3.connect(path, timeout=BUSY_TIMEOUT_S))
        conn.isolation_level = None  # explicit transactions only
        try:
            self._check_and_migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _readonly_mode(self, path: Path) -> str:
        """The URI parameters of a read-only open: ``mode=ro``, and ``immutable=1`` in a folder
        this user may not write to.

        SQLite reads a WAL-mode store through its ``-shm`` index, which a read-only open must
        create beside the file when no writer has; in a read-only folder that fails ("attempt
        to write a readonly database"). ``immutable=1`` reads the file without index or locks,
        which is exact only while nobody writes it, hence the conditions: no ``-shm`` (a writer
        that has the store open is read through its index as usual) and no ``-wal`` holding
        writes (immutable would skip them: refused, not lost). The trade-off: a writer that may
        write there (the folder's owner) and starts after this open is not seen, so a reader
        kept open shows the store as it was, and may call it damaged if that writer merges its
        ``-wal`` into the file during a read.
        """
        if os.access(path.parent, os.W_OK) or Path(f"{path}-shm").exists():
            return "mode=ro"
        wal = Path(f"{path}-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise StoreError(
                f"cannot read the store {path}: its folder is not writable and {wal.name} holds "
                "writes not yet merged into the store; copy the folder somewhere you may write "
                "and read the copy")
        return "mode=ro&immutable=1"

    def _try_connect(self, connect: Callable[[], sqlite3.Connection]) -> sqlite3.Connection:
        try:
            return connect()
        except sqlite3.Error as exc:
            advice = ("check that you may read it, or pass another store" if self.readonly else
                      WRITABLE_ADVICE)
            raise StoreError(f"cannot open the store {self.path}: {exc}; {advice}") from None

    def _check_and_migrate(self, conn: sqlite3.Connection) -> None:
        def header() -> tuple[int, int, int]:
            # one statement, one snapshot: a store another process is creating is seen before
            # its schema's commit or after it, never its tables without its mark (three reads
            # in autocommit could straddle that commit and call a new store another program's)
            return tuple(conn.execute(HEADER).fetchone())  # type: ignore[return-value]

        try:
            app_id, version, tables = self._retry(header)  # a lock is StoreLocked, not "not a store"
        except sqlite3.DatabaseError as exc:
            if _marked_as_store(self.path):
                raise self._damaged(exc) from None
            raise NotAStore(
                f"{self.path} is not an lrwatch store ({exc}); pass the path of an lrwatch store"
            ) from None
        if app_id != APPLICATION_ID:
            if tables:
                raise NotAStore(
                    f"{self.path} is an SQLite file of another program, not an lrwatch store; "
                    "pass another path"
                )
            if self.readonly:
                raise StoreError(f"the store {self.path} is empty: no run has been recorded yet")
            version = 0
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"{self.path} was written by a newer lrwatch (store schema {version}, this "
                f"version reads up to {SCHEMA_VERSION}): pip install -U lrwatch"
            )
        if self.readonly:
            if version < READABLE_SCHEMA:
                raise StoreError(  # the commands that read stores open them read-only
                    f"{self.path} has the older store schema {version}; upgrade it by opening "
                    "it once with write access: "
                    f"python -c \"import lrwatch; lrwatch.Store({self.path!r})\""
                )
            if version < 2:
                self._chunk_columns = _CHUNK_COLUMNS_V1
            self._has_summaries = version >= 3
            self.old_group_numbers = version < RENUMBERED_SCHEMA
        else:
            self._setup_writable(conn, version)
        conn.execute("PRAGMA foreign_keys=ON")

    def _setup_writable(self, conn: sqlite3.Connection, version: int) -> None:
        def to_wal() -> str:
            try:
                mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                conn.execute("PRAGMA synchronous=NORMAL")
                return str(mode)
            except sqlite3.OperationalError as exc:
                if _locked(exc):
                    raise  # another process opening the same store holds it: _retry waits
                raise StoreError(
                    f"cannot write to the store {self.path}: {exc}; {WRITABLE_ADVICE}"
                ) from None

        # two trainings that open one new store at once both switch it to WAL, which takes the
        # file's lock: the second may find it locked past SQLite's own busy wait
        if self._retry(to_wal).lower() != "wal":
            raise StoreError(
                f"cannot switch {self.path} to WAL mode; put the store on a local disk")
        self._fill_pending = 0 < version < 3
        while version < SCHEMA_VERSION:

            def migrate(v: int = version) -> None:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # Re-read under the lock: another process may have migrated meanwhile.
                    if conn.execute("PRAGMA user_version").fetchone()[0] == v:
                        if v == 0:
                            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
                        apply_migration(conn, MIGRATIONS[v])
                        conn.execute(f"PRAGMA user_version={v + 1}")
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise

            self._retry(migrate)
            version = conn.execute("PRAGMA user_version").fetchone()[0]

    # -- transactions --------------------------------------------------------------------
    def _retry(self, fn: Callable[[], T]) -> T:
        """Run ``fn``, retrying while another process holds the lock; never "database is locked"."""
        deadline = time.monotonic() + RETRY_BUDGET_S
        delay = 0.05
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not _locked(exc):
                    raise StoreError(f"store {self.path}: {exc}") from None
                if time.monotonic() > deadline:
                    raise StoreLocked(
                        f"the store {self.path} stayed locked for {RETRY_BUDGET_S:.0f} s; "
                        "another process holds it: close it or use another store"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self.readonly:
            raise StoreError(f"the store {self.path} was opened read-only")

        def transaction() -> T:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        try:
            return self._retry(transaction)
        except sqlite3.Error as exc:  # no driver error leaves the backend
            raise StoreError(f"cannot write to the store {self.path}: {exc}") from None

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._retry(lambda: self._conn.execute(sql, args).fetchall())
        except sqlite3.DatabaseError as exc:  # "database disk image is malformed" and the like
            raise self._damaged(exc) from None

    def _run_name(self, run_id: int) -> str:
        """``run 'name' (id 3)`` for an error message; the id alone if the name is unreadable."""
        try:
            row = self._conn.execute("SELECT name FROM runs WHERE id = ?", (run_id,)).fetchone()
        except sqlite3.Error:
            row = None
        if row and isinstance(row[0], str):
            return f"run '{row[0]}' (id {run_id})"
        return f"run {run_id}"

    # -- runs ----------------------------------------------------------------------------
    def create_run(self, name: str | None, meta: Mapping[str, Any]) -> RunInfo:
        base = name or "run"
        now = time.time()
        uid = uuid.uuid4().hex

        def insert(conn: sqlite3.Connection) -> int:
            self._mark_dead_runs(conn)
            taken = {r[0] for r in conn.execute(
                "SELECT name FROM runs WHERE name = ? OR name LIKE ?", (base, base + "-%"))}
            candidate = free_name(base, taken)
            cur = conn.execute(
                "INSERT INTO runs(uid, name, status, started_at, heartbeat_at, hostname, pid, meta)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (uid, candidate, RUNNING, now, now, self._hostname, os.getpid(), to_json(meta)),
            )
            return int(cur.lastrowid)  # type: ignore[arg-type]

        run_id = self._write(insert)
        return self.get_run(run_id)

    def _mark_dead_runs(self, conn: sqlite3.Connection) -> None:
        """Persist "interrupted" for runs of this host whose process is gone."""
        for run_id, pid in conn.execute(
            "SELECT id, pid FROM runs WHERE status = ? AND hostname = ?", (RUNNING, self._hostname)
        ).fetchall():
            if pid and not pid_alive(pid):
                conn.execute("UPDATE runs SET status = ?, ended_at = COALESCE(heartbeat_at, "
                             "started_at) WHERE id = ?", (INTERRUPTED, run_id))

    def _effective_status(self, status: str, hostname: str | None, pid: int | None,
                          heartbeat_at: float | None) -> str:
        if status != RUNNING:
            return status
        if hostname == self._hostname and pid and not pid_alive(pid):
            return INTERRUPTED
        if heartbeat_at is not None and time.time() - heartbeat_at > STALE_AFTER_S:
            return INTERRUPTED
        return status

    _run_columns = ("id, uid, name, status, started_at, ended_at, last_step, hostname, pid,"
                    " heartbeat_at, meta")
    _RUN_TYPES = (int, str, str, str, NUMBER, MAYBE_NUMBER, (int, NoneType), (str, NoneType),
                  (int, NoneType), MAYBE_NUMBER, str)

    def _run_info(self, row: tuple[Any, ...]) -> RunInfo:
        for column, value, kinds in zip(self._run_columns.split(", "), row, self._RUN_TYPES):
            if not isinstance(value, kinds):
                raise self._damaged(f"run {row[0]}: {column} holds a {type(value).__name__}")
        run_id, uid, name, status, started, ended, last_step, host, pid, heartbeat, meta = row
        effective = self._effective_status(status, host, pid, heartbeat)
        if ended is None and effective != RUNNING:  # its writer died: its last sign of life
            ended = heartbeat if heartbeat is not None else started
        return RunInfo(
            id=run_id, uid=uid, name=name, status=effective,
            started_at=started, ended_at=ended, last_step=last_step,
            meta=self._json_object(meta, f"the metadata of run {run_id}"),
        )

    def _save_summary(self, conn: sqlite3.Connection, run_id: int) -> None:
        """Summarise a run and keep the summary with the last step it describes (inside a
        write transaction, so no write comes between the reads and the stamp)."""
        conn.execute("INSERT OR REPLACE INTO summaries(run_id, at_step, data)"
                     " SELECT id, last_step, ? FROM runs WHERE id = ?",
                     (summarize(self, run_id).to_text(), run_id))

    # -- series --------------------------------------------------------------------------
    def _series_id(self, conn: sqlite3.Connection, run_id: int, key: str) -> int:
        row = conn.execute(
            "SELECT id FROM series WHERE run_id = ? AND name = ?", (run_id, key)).fetchone()
        if row:
            return int(row[0])
        cur = conn.execute("INSERT INTO series(run_id, name) VALUES (?, ?)", (run_id, key))
        return int(cur.lastrowid)  # type: ignore[arg-type]

    def append(self, run_id: int, columns: Columns, events: Sequence[PendingEvent] = ()) -> None:
        """Write new points of several series and events of one run in one transaction."""
        prepared, last = as_columns(columns)
        for event in events:
            last = max(last, event.step)

        def write(conn: sqlite3.Connection) -> None:
            for key, steps, values in prepared:
                self._insert_chunk(conn, self._series_id(conn, run_id, key), steps, values)
            conn.executemany(
                "INSERT INTO events(run_id, step, time, kind, payload) VALUES (?, ?, ?, ?, ?)",
                [(run_id, e.step, e.time, e.kind, to_json(e.payload)) for e in events],
            )
            conn.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", (time.time(), run_id))
            if last >= 0:
                conn.execute(
                    "UPDATE runs SET last_step = ? WHERE id = ? AND (last_step IS NULL OR last_step < ?)",
                    (last, run_id, last))

        self._write(write)

    def _renumbered(self) -> bool:
        return int(self._read("PRAGMA user_version")[0][0]) >= RENUMBERED_SCHEMA

    def events_since(self, run_id: int, after_id: int) -> list[tuple[int, PendingEvent]]:
        """Events of a run written after the event ``after_id``, with their ids, in write
        order: what a sync has not sent yet (ids never change; steps may repeat)."""
        rows = self._read("SELECT id, step, time, kind, payload FROM events WHERE run_id = ?"
                          " AND id > ? ORDER BY id", (run_id, after_id))
        out = []
        for event_id, *row in rows:
            event = self._event(run_id, *row)
            out.append((event_id, PendingEvent(event.step, event.kind, event.payload, event.time)))
        return out

    def problems(self) -> Iterator[str]:
        """Every problem found in the whole store, one line each: SQLite's own integrity check,
        then each run's fields and metadata, each chunk against its checksum, each event."""
        try:
            for (line,) in self._conn.execute("PRAGMA integrity_check"):
                if line != "ok":
                    yield f"SQLite: {line}"
        except sqlite3.DatabaseError as exc:
            yield f"SQLite: {exc}"
            return
        for check in (self._check_runs, self._check_chunks, self._check_events):
            try:
                yield from check()
            except sqlite3.DatabaseError as exc:
                yield f"SQLite: {exc}"

    def _check_runs(self) -> Iterator[str]:
        for row in self._conn.execute(f"SELECT {self._run_columns} FROM runs ORDER BY id"):
            try:
                self._run_info(row)
            except StoreError as exc:
                yield damage_detail(exc)

    def _check_chunks(self) -> Iterator[str]:
        sql = (f"SELECT s.run_id, s.name, {self._chunk_columns} FROM chunks c"
               " JOIN series s ON c.series_id = s.id ORDER BY s.run_id, s.name, c.id")
        for run_id, key, *row in self._conn.execute(sql):
            try:
                self._chunk(tuple(row), run_id, str(key))
            except StoreError as exc:
                yield damage_detail(exc)

    def _check_events(self) -> Iterator[str]:
        for run_id, *row in self._conn.execute(
                "SELECT run_id, step, time, kind, payload FROM events ORDER BY run_id, id"):
            try:
                self._event(run_id, *row)
            except StoreError as exc:
                yield damage_detail(exc)

    def close(self) -> None:
        self._conn.close()


SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 72  # through the application id


def is_store_header(header: bytes) -> bool:
    """Whether a file's first HEADER_BYTES are an SQLite header with lrwatch's application id
    (bytes 68-71): a store whatever its name, even one too damaged for SQLite to open."""
    return (header.startswith(SQLITE_MAGIC) and len(header) >= HEADER_BYTES
            and header[68:72] == APPLICATION_ID.to_bytes(4, "big"))


def _marked_as_store(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return is_store_header(fh.read(HEADER_BYTES))
    except OSError:
        return False


def _locked(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds the lock (retry), not for good."""
    message = str(exc).lower()
    return "locked" in message or "busy" in message
