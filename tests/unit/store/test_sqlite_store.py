"""The SQLite run store, against real SQLite files."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

import lrwatch
from lrwatch import NotAStore, RunNotFound, SchemaTooNew, Store, StoreError, StoreLocked
from lrwatch.store import FINISHED, INTERRUPTED, RUNNING, PendingEvent
from lrwatch.store.sqlite import SCHEMA_VERSION


def _append(store: Store, run, columns, events=()):  # type: ignore[no-untyped-def]
    store.backend.append(run.id, {k: (np.asarray(s), np.asarray(v, dtype=float))
                                  for k, (s, v) in columns.items()}, events)


def test_series_round_trip_keeps_nan_and_inf(store_path):
    store = Store(store_path)
    run = store.create_run("mlp", {"optimizer": "SGD"})
    values = [1.0, float("nan"), float("inf"), -float("inf"), 0.5]
    _append(store, run, {"loss": (range(5), values)})
    steps, got = Store(store_path, readonly=True).scalars("mlp", "loss")
    assert steps.tolist() == [0, 1, 2, 3, 4]
    assert got[0] == 1.0 and np.isnan(got[1]) and got[2] == np.inf and got[3] == -np.inf
    assert steps.dtype == np.int64 and got.dtype == np.float64


def test_incremental_read_after_step(store_path):
    store = Store(store_path)
    run = store.create_run("r", {})
    _append(store, run, {"loss": (range(0, 10), np.arange(10))})
    _append(store, run, {"loss": (range(10, 20), np.arange(10, 20))})
    steps, values = store.scalars(run, "loss", after_step=14)
    assert steps.tolist() == [15, 16, 17, 18, 19]
    assert values.tolist() == [15, 16, 17, 18, 19]
    assert store.scalars(run, "loss", after_step=19)[0].size == 0


def test_negative_steps_are_kept_as_the_csv_reader_keeps_them(store_path):
    store = Store(store_path)
    run = store.create_run("r", {})
    _append(store, run, {"warmup": ([-3, -2, -1], [5.0, 4.0, 3.0]),
                         "loss": ([-2, -1, 0, 1], [4.0, 3.0, 2.0, 1.0])},
            [PendingEvent(step=-2, kind="nonfinite", payload={}, time=0.0)])
    assert store.scalars(run, "warmup")[0].tolist() == [-3, -2, -1]
    assert store.scalars(run, "loss")[0].tolist() == [-2, -1, 0, 1]
    assert store.scalars(run, "loss", after_step=-2)[0].tolist() == [-1, 0, 1]
    assert [e.step for e in store.events(run)] == [-2]
    assert store.events(run, after_step=-2) == []


def test_a_step_written_twice_reads_once_with_the_later_value(store_path):
    store = Store(store_path)
    run = store.create_run("r", {})
    _append(store, run, {"loss": ([0, 1, 2], [1.0, 1.0, 1.0])})
    _append(store, run, {"loss": ([2, 3], [9.0, 9.0])})
    steps, values = store.scalars(run, "loss")
    assert steps.tolist() == [0, 1, 2, 3]
    assert values.tolist() == [1.0, 1.0, 9.0, 9.0]


def test_truncate_forgets_points_and_events_from_a_step_on(store_path):
    store = Store(store_path)
    run = store.create_run("r", {})
    _append(store, run, {"loss": (range(10), np.arange(10.0)), "lr": (range(10), np.ones(10))},
            [PendingEvent(step=7, kind="nonfinite", payload={}, time=0.0),
             PendingEvent(step=2, kind="nonfinite", payload={}, time=0.0)])
    store.backend.truncate(run.id, 5)
    assert store.scalars(run, "loss")[0].tolist() == [0, 1, 2, 3, 4]
    assert [e.step for e in store.events(run)] == [2]
    assert store.run(run).last_step == 4


def test_compaction_keeps_every_point(store_path):
    store = Store(store_path)
    run = store.create_run("r", {})
    for lo in range(0, 1000, 10):
        _append(store, run, {"loss": (range(lo, lo + 10), np.arange(lo, lo + 10) * 0.5)})
    store.backend.compact(run.id)
    steps, values = store.scalars(run, "loss")
    assert steps.tolist() == list(range(1000))
    assert np.array_equal(values, np.arange(1000) * 0.5)
    chunks = sqlite3.connect(store.path).execute("SELECT count(*) FROM chunks").fetchone()[0]
    assert chunks == 1


def test_runs_keys_last_values_and_events(store_path):
    store = Store(store_path)
    run = store.create_run("a", {"batch_size": 64})
    _append(store, run, {"loss": ([0, 1], [2.0, 1.5]), "lr": ([0, 1], [0.1, 0.05])},
            [PendingEvent(step=1, kind="diagnosis", payload={"status": "healthy"}, time=1.0)])
    reader = Store(store_path, readonly=True)
    (info,) = reader.runs()
    assert (info.name, info.status, info.steps, info.meta) == ("a", RUNNING, 2, {"batch_size": 64})
    assert reader.keys(info) == ["loss", "lr"]
    assert reader.last_values(info, ["loss", "lr", "missing"]) == {"loss": 1.5, "lr": 0.05}
    (event,) = reader.events(info, kind="diagnosis")
    assert (event.step, event.payload) == (1, {"status": "healthy"})
    assert reader.scalars(info, "missing")[0].size == 0


def test_names_are_made_unique(store_path):
    store = Store(store_path)
    names = [store.create_run("Net", {}).name for _ in range(3)]
    assert names == ["Net", "Net-2", "Net-3"]
    assert store.run("Net-2").name == "Net-2"


def test_a_name_of_digits_that_is_another_runs_id_is_refused(store_path):
    store = Store(store_path)
    first = store.create_run("baseline", {})
    named_1 = store.create_run("1", {})  # id 2, named like run 1's id
    named_7 = store.create_run("7", {})  # no run has id 7
    with pytest.raises(lrwatch.ConfigError, match=r"'1'.*name of run 2 and the id of run 1"):
        store.run("1")
    assert store.run(1).id == first.id and store.run(named_1.id).name == "1"
    assert store.run("7").id == named_7.id and store.run("3").id == named_7.id
    with pytest.raises(lrwatch.ConfigError):
        store.scalars("1", "loss")  # every method that takes a run reference refuses it


def test_unknown_run_names_the_runs_there(store_path):
    store = Store(store_path)
    store.create_run("alpha", {})
    with pytest.raises(RunNotFound, match="no run 'beta'.*alpha"):
        store.run("beta")


def test_a_run_reference_of_another_type_is_refused_and_numpy_ids_are_ids(store_path):
    store = Store(store_path)
    run = store.create_run("alpha", {})
    _append(store, run, {"loss": (np.arange(3), np.ones(3))})
    # an id read from a numpy array or a DataFrame: was AttributeError ('isdigit')
    assert store.run(np.int64(run.id)).name == "alpha"
    assert store.scalars(np.int64(run.id), "loss")[1].tolist() == [1.0, 1.0, 1.0]
    for ref in (3.5, True, ["alpha"]):  # was AttributeError for the float and the list
        with pytest.raises(lrwatch.ConfigError, match="a run is a name or uid"):
            store.keys(ref)
    assert lrwatch.plot(store, np.int64(run.id), kind="loss").data[0].name == "loss"


def test_status_and_end_time(store_path):
    store = Store(store_path)
    run = store.create_run("r", {})
    store.backend.set_status(run.id, FINISHED)
    info = store.run(run)
    assert info.status == FINISHED and info.ended_at is not None


def test_a_running_run_whose_process_is_gone_reads_as_interrupted(store_path):
    store = Store(store_path)
    run = store.create_run("r", {})
    with sqlite3.connect(store.path) as conn:  # a pid that cannot be alive
        conn.execute("UPDATE runs SET pid = ? WHERE id = ?", (2**22 + 12345, run.id))
    assert Store(store_path, readonly=True).run("r").status == INTERRUPTED


def test_readonly_never_creates_a_file(tmp_path):
    with pytest.raises(StoreError, match="no lrwatch store at .*missing"):
        Store(tmp_path / "missing", readonly=True)
    assert not (tmp_path / "missing").exists()


def test_a_text_file_is_not_a_store(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("hello, not a database\n" * 100)
    with pytest.raises(NotAStore, match="notes.db is not an lrwatch store"):
        Store(path)
    assert path.read_text().startswith("hello")  # untouched


def test_another_programs_sqlite_file_is_not_a_store(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users(id INTEGER)")
    with pytest.raises(NotAStore, match="another program"):
        Store(path)


def test_a_store_from_a_newer_lrwatch_is_refused(store_path):
    Store(store_path).close()
    with sqlite3.connect(store_path) as conn:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaTooNew, match="newer lrwatch.*pip install -U lrwatch"):
        Store(store_path)


def test_a_store_of_an_older_schema_says_how_to_upgrade_it(store_path, monkeypatch):
    import lrwatch.store.sqlite as backend

    Store(store_path).close()
    # a later schema that read-only opens cannot read unmigrated
    monkeypatch.setattr(backend, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr(backend, "READABLE_SCHEMA", SCHEMA_VERSION + 1)
    monkeypatch.setitem(backend.MIGRATIONS, SCHEMA_VERSION, "CREATE TABLE later(x INTEGER)")
    with pytest.raises(StoreError) as caught:
        Store(store_path, readonly=True)
    assert str(caught.value) == (
        f"{store_path} has the older store schema {SCHEMA_VERSION}; upgrade it by opening it "
        f"once with write access: python -c \"import lrwatch; lrwatch.Store('{store_path}')\"")
    lrwatch.Store(str(store_path)).close()  # what the message says to run
    Store(store_path, readonly=True).close()


def test_an_unusable_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "results.txt"  # a file where the store's folder should be
    blocker.write_text("keep me")
    with pytest.raises(StoreError, match="results.txt.*LRWATCH_STORE"):
        Store(blocker / "lrwatch_logs" / "lrwatch.db")
    assert blocker.read_text() == "keep me"


def test_a_folder_path_holds_lrwatch_db(tmp_path):
    store = Store(tmp_path / "logs")
    assert store.path.endswith("lrwatch.db")
    assert (tmp_path / "logs" / "lrwatch.db").exists()


def test_the_file_is_marked_and_in_wal_mode(store_path):
    Store(store_path).close()
    conn = sqlite3.connect(store_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_store_locked_past_the_retry_budget_says_locked(store_path, monkeypatch):
    import lrwatch.store.sqlite as backend

    Store(store_path).close()
    monkeypatch.setattr(backend, "RETRY_BUDGET_S", 0.5)
    monkeypatch.setattr(backend, "BUSY_TIMEOUT_S", 0.1)
    locker = sqlite3.connect(store_path, isolation_level=None)
    locker.execute("PRAGMA locking_mode=EXCLUSIVE")
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreLocked, match="stayed locked"):
            Store(store_path, readonly=True)
    finally:
        locker.execute("ROLLBACK")
        locker.close()


def test_a_new_store_locked_while_it_switches_to_wal_waits_instead_of_failing(store_path,
                                                                              monkeypatch):
    # two trainings opening one new store at once: the second finds the file locked while the
    # first switches it to WAL; it waits (within the retry budget), never "database is locked"
    import threading

    import lrwatch.store.sqlite as backend

    monkeypatch.setattr(backend, "BUSY_TIMEOUT_S", 0.1)  # SQLite's own wait runs out first
    store_path.parent.mkdir(parents=True, exist_ok=True)
    # a reader in the middle of a read transaction: reading the header is allowed, switching
    # the journal to WAL must wait for it
    locker = sqlite3.connect(store_path, isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN")
    locker.execute("SELECT count(*) FROM sqlite_master").fetchone()
    release = threading.Timer(1.0, lambda: locker.execute("COMMIT"))
    release.start()
    try:
        store = Store(store_path)
        store.close()
    finally:
        release.join()
        locker.close()
    conn = sqlite3.connect(store_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_run_without_a_name_is_the_latest_and_an_empty_store_says_so(store_path):
    store = Store(store_path)
    with pytest.raises(RunNotFound, match="has no runs yet"):
        store.run()
    store.create_run("first", {})
    store.create_run("second", {})
    assert store.run().name == "second"


def test_a_store_another_process_creates_while_this_one_opens_it_is_opened(tmp_path,
                                                                            monkeypatch):
    """Two trainings start on one new store: the other one creates its schema just after this
    open's first read. This open must take it as the lrwatch store it is (it once read the
    mark before that commit and the tables after it: "an SQLite file of another program")."""
    path = tmp_path / "shared" / "lrwatch.db"
    connect = sqlite3.connect
    raced = []

    class Read:  # a statement's rows, read to the end: its read lock is let go
        def __init__(self, rows: list) -> None:
            self.rows = rows

        def fetchone(self):  # type: ignore[no-untyped-def]
            return self.rows[0] if self.rows else None

    class OtherProcessCommitsNow(sqlite3.Connection):
        def execute(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            if raced:
                return super().execute(*args, **kwargs)
            raced.append(True)
            rows = super().execute(*args, **kwargs).fetchall()
            Store(path).close()  # the other training, in between two of this open's reads
            return Read(rows)

    monkeypatch.setattr(sqlite3, "connect",
                        lambda *a, **k: connect(*a, factory=OtherProcessCommitsNow, **k))
    with Store(path) as store:
        run = store.create_run("after the race")
    assert raced and [r.name for r in Store(path, readonly=True).runs()] == [run.name]
