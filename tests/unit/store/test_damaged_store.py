"""A damaged store gives one StoreError that says so, on every read, never a wrong answer."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from lrwatch import Store, StoreError
from lrwatch.store import FINISHED, PendingEvent
from tests.helpers.cli import lrwatch

DAMAGED = "the file may be damaged"


def fill(path: Path, runs: int = 1, steps: int = 100) -> None:
    """Finished runs ``r0``, ``r1`` ... with a loss, an LR and one event each."""
    with Store(path) as store:
        for r in range(runs):
            run = store.create_run(f"r{r}", {"optimizer": "SGD"})
            s = np.arange(steps)
            store.backend.append(
                run.id, {"loss": (s, 2.0 * np.exp(-s / steps)), "lr": (s, np.full(steps, 0.1))},
                [PendingEvent(step=1, kind="diagnosis", payload={"status": "healthy"}, time=1.0)])
            store.backend.set_status(run.id, FINISHED)


def damage(path: Path, sql: str, args: tuple[Any, ...] = ()) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(sql, args)
    conn.close()


def read_everything(path: Path) -> None:
    """Every read the CLI, the dashboard and the readers make."""
    with Store(path, readonly=True) as store:
        for run in store.runs():
            keys = store.keys(run)
            store.last_values(run, keys)
            for key in keys:
                store.scalars(run, key)
            store.events(run)


def loss_chunk(path: Path) -> tuple[int, np.ndarray]:
    with sqlite3.connect(path) as conn:
        chunk_id, blob = conn.execute(
            "SELECT c.id, c.steps FROM chunks c JOIN series s ON c.series_id = s.id"
            " WHERE s.name = 'loss' LIMIT 1").fetchone()
    conn.close()
    return chunk_id, np.frombuffer(blob, dtype="<i8").copy()


def flip_a_byte_of_a_step(path: Path) -> None:
    """What flipped bits on disk do: one step of a blob becomes a huge negative number."""
    chunk_id, steps = loss_chunk(path)
    raw = bytearray(steps.tobytes())
    raw[7] ^= 0xFF  # the top byte of the first step
    damage(path, "UPDATE chunks SET steps = ? WHERE id = ?", (bytes(raw), chunk_id))


def drop_a_step(path: Path) -> None:
    """A blob one point shorter than the chunk's ``n`` (first and last still right)."""
    chunk_id, steps = loss_chunk(path)
    damage(path, "UPDATE chunks SET steps = ? WHERE id = ?",
           (np.delete(steps, 1).tobytes(), chunk_id))


def corrupt_the_chunks_page(path: Path) -> None:
    """Garbage over the chunks table's page: SQLite itself says the image is malformed."""
    with sqlite3.connect(path) as conn:
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'chunks'").fetchone()
        (page,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * page:root * page] = b"\xde\xad\xbe\xef" * (page // 4)
    path.write_bytes(bytes(data))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "steps are text": lambda p: damage(p, "UPDATE chunks SET steps = 'hello'"),
    "vals are an integer": lambda p: damage(p, "UPDATE chunks SET vals = 42"),
    "steps cut to odd length": lambda p: damage(p, "UPDATE chunks SET steps = substr(steps,1,13)"),
    "vals shorter than steps": lambda p: damage(p, "UPDATE chunks SET vals = substr(vals,1,16)"),
    "a flipped byte in a step": flip_a_byte_of_a_step,
    "a step missing from a blob": drop_a_step,
    "n disagrees with the blobs": lambda p: damage(p, "UPDATE chunks SET n = n + 1"),
    "meta is a list": lambda p: damage(p, "UPDATE runs SET meta = '[1,2]'"),
    "meta is not JSON": lambda p: damage(p, "UPDATE runs SET meta = '{bad'"),
    "started_at is text": lambda p: damage(p, "UPDATE runs SET started_at = 'abc'"),
    "last_step is text": lambda p: damage(p, "UPDATE runs SET last_step = 'abc'"),
    "event payload is not JSON": lambda p: damage(p, "UPDATE events SET payload = '{bad'"),
    "event step is a blob": lambda p: damage(p, "UPDATE events SET step = x'00'"),
    "a series name is a blob": lambda p: damage(p, "UPDATE series SET name = x'00' WHERE id = 2"),
    "the chunks page is garbage": corrupt_the_chunks_page,
}


@pytest.mark.parametrize("how", DAMAGE)
def test_every_read_of_a_damaged_store_is_a_one_line_store_error(how, store_path):
    fill(store_path)
    DAMAGE[how](store_path)
    with pytest.raises(StoreError, match=DAMAGED) as caught:
        read_everything(store_path)
    assert str(store_path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_chunk_whose_steps_disagree_with_its_row_is_not_read_as_data(store_path):
    """Flipped bytes once gave steps like -72057594037922480 and a confident diagnosis."""
    fill(store_path)
    flip_a_byte_of_a_step(store_path)
    with Store(store_path, readonly=True) as store, pytest.raises(
            StoreError, match=r"run 'r0' \(id 1\), series 'loss', steps 0-99: chunk \d+ fails"):
        store.scalars("r0", "loss")



@pytest.mark.parametrize("how", ["meta is a list", "steps are text", "vals shorter than steps",
                                 "started_at is text", "event payload is not JSON",
                                 "the chunks page is garbage"])
def test_runs_export_and_report_say_damaged_in_one_line(how, store_path, tmp_path, capsys):
    fill(store_path)
    DAMAGE[how](store_path)
    failed = 0
    for args in (["runs", str(store_path)],
                 ["export", str(store_path), "--run", "r0", "-o", str(tmp_path / "x.csv")],
                 ["report", str(store_path), "-o", str(tmp_path / "r.html")]):
        code, _, err = lrwatch(capsys, *args)
        if code:
            failed += 1
            assert err.startswith("StoreError: ") and DAMAGED in err and err.count("\n") == 1, args
    assert failed


@pytest.mark.parametrize("how", ["meta is a list", "steps are text", "started_at is text",
                                 "a flipped byte in a step", "the chunks page is garbage"])
def test_analyze_gives_a_damaged_store_its_own_entry_and_reads_the_others(
        how, tmp_path, capsys):
    good, bad = tmp_path / "good" / "lrwatch.db", tmp_path / "bad" / "lrwatch.db"
    fill(good)
    fill(bad)
    DAMAGE[how](bad)
    code, out, _ = lrwatch(capsys, "analyze", str(good), str(bad), "--json")
    runs = json.loads(out)["runs"]
    assert code == 0
    assert [(r["source"], r["error"] is None) for r in runs] == [
        (str(good), True), (str(bad), False)]
    assert DAMAGED in runs[1]["error"]


@pytest.mark.parametrize("readonly", [True, False])
def test_a_truncated_store_is_damaged_not_another_kind_of_file(readonly, store_path):
    fill(store_path, runs=2, steps=100_000)
    data = store_path.read_bytes()
    store_path.write_bytes(data[:len(data) // 2])  # a copy cut short
    with pytest.raises(StoreError, match=DAMAGED) as caught:
        Store(store_path, readonly=readonly)
    assert type(caught.value) is StoreError  # not NotAStore: it is a store, damaged
    assert str(caught.value).startswith(f"cannot read the store {store_path} (")
    assert store_path.read_bytes() == data[:len(data) // 2]  # untouched
