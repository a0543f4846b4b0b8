"""Per-chunk checksums (issue 15, item 3): a flipped bit in series data is an error naming the
run, series and steps, never a confident answer; stores of schema 1 still read; ``lrwatch
check`` verifies a whole store."""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from lrwatch import Store, StoreError
from lrwatch.cli import main
from lrwatch.store import FINISHED
from lrwatch.store.sqlite import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

FLIPS = 48
STEPS_PER_CHUNK = 50  # small chunks: each blob lies whole in one page of the file


def fill(path: Path) -> None:
    """Run ``r0``: a loss, and an LR decaying from 0.05, over 500 steps written 50 at a time."""
    with Store(path) as store:
        run = store.create_run("r0", {})
        rng = np.random.default_rng(0)
        for lo in range(0, 500, STEPS_PER_CHUNK):
            s = np.arange(lo, lo + STEPS_PER_CHUNK)
            store.backend.append(run.id, {"loss": (s, 2.0 + rng.random(s.size)),
                                          "lr": (s, 0.05 * (1 - s / 1000))})
        store.backend.set_status(run.id, FINISHED)


def blob_offsets(path: Path) -> list[tuple[set[str], int, int, int]]:
    """``(series, first step, offset, length)`` of every blob in the file; ``series`` holds
    both names when the loss and the LR share a steps blob."""
    data = path.read_bytes()
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT s.name, c.first_step, c.steps, c.vals FROM chunks c"
                            " JOIN series s ON c.series_id = s.id").fetchall()
    conn.close()
    found: dict[int, tuple[set[str], int, int, int]] = {}
    for name, first, *blobs in rows:
        for blob in blobs:
            at = data.find(blob)
            while at >= 0:
                names = found.get(at, (set(), first, at, len(blob)))[0]
                found[at] = (names | {name}, first, at, len(blob))
                at = data.find(blob, at + 1)
    return list(found.values())


def test_every_bit_flip_in_series_data_is_an_error_naming_run_series_and_steps(tmp_path):
    clean = tmp_path / "clean.db"
    fill(clean)
    with Store(clean, readonly=True) as store:
        truth = {key: store.scalars("r0", key) for key in ("loss", "lr")}
    targets = blob_offsets(clean)
    assert len(targets) == 40  # 20 chunks, two blobs each, each found whole in the file
    rng = random.Random(15)
    for i in range(FLIPS):
        names, first, offset, length = rng.choice(targets)
        bit = rng.randrange(length * 8)
        flipped = tmp_path / f"flip{i}.db"
        shutil.copyfile(clean, flipped)
        data = bytearray(flipped.read_bytes())
        data[offset + bit // 8] ^= 1 << (bit % 8)
        flipped.write_bytes(bytes(data))
        errors = []
        with Store(flipped, readonly=True) as store:
            for key in ("loss", "lr"):
                try:
                    steps, values = store.scalars("r0", key)
                except StoreError as exc:
                    errors.append((key, str(exc)))
                    continue
                # a series that reads is exactly what was written
                assert np.array_equal(steps, truth[key][0]), (i, key)
                assert np.array_equal(values, truth[key][1]), (i, key)
        assert len(errors) == 1 and errors[0][0] in names, (i, errors)
        key, message = errors[0]
        assert (f"run 'r0' (id 1), series '{key}', steps {first}-{first + STEPS_PER_CHUNK - 1}"
                in message), (i, message)
        assert "\n" not in message


def test_a_store_of_schema_1_reads_as_before_and_is_checked_from_its_upgrade_on(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # a store as lrwatch wrote it before checksums
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        for statement in filter(str.strip, MIGRATIONS[0].split(";")):
            conn.execute(statement)
        conn.execute("PRAGMA user_version=1")
        conn.execute("INSERT INTO runs(id, uid, name, status, started_at, meta)"
                     " VALUES (1, 'u1', 'old', 'finished', 0, '{}')")
        conn.execute("INSERT INTO series(id, run_id, name) VALUES (1, 1, 'loss')")
        s = np.arange(10, dtype="<i8")
        conn.execute("INSERT INTO chunks(series_id, first_step, last_step, n, steps, vals)"
                     " VALUES (1, 0, 9, 10, ?, ?)", (s.tobytes(), np.full(10, 0.5).tobytes()))
    conn.close()

    with Store(path, readonly=True) as store:  # read-only: read as it is, not migrated
        steps, values = store.scalars("old", "loss")
    assert steps.tolist() == list(range(10)) and values.tolist() == [0.5] * 10

    with Store(path) as store:  # a writer upgrades it; its new chunks carry checksums
        store.backend.append(1, {"loss": (np.arange(10, 20), np.full(10, 0.25))})
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        crcs = [r[0] for r in conn.execute("SELECT crc FROM chunks ORDER BY id")]
    conn.close()
    assert crcs[0] is None and isinstance(crcs[1], int)
    with Store(path, readonly=True) as store:
        steps, values = store.scalars("old", "loss")
    assert steps.tolist() == list(range(20)) and values[-1] == 0.25
    assert run_check(path)[0] == 0


def run_check(path: Path, capsys: pytest.CaptureFixture[str] | None = None) -> tuple[int, str]:
    try:
        main(["check", str(path)])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr().out if capsys is not None else ""
    return code, out


def test_check_prints_one_line_per_damaged_chunk_and_exits_1(tmp_path, capsys):
    path = tmp_path / "store.db"
    fill(path)
    assert run_check(path, capsys) == (0, f"{path}: no problem found (1 runs checked)\n")

    targets = [t for t in blob_offsets(path) if len(t[0]) == 1]  # a blob of one series
    damaged = {(next(iter(t[0])), t[1]) for t in (targets[0], targets[-1])}
    data = bytearray(path.read_bytes())
    for _, _, offset, length in (targets[0], targets[-1]):
        data[offset + length // 2] ^= 0x10
    path.write_bytes(bytes(data))

    code, out = run_check(path, capsys)
    lines = out.splitlines()
    assert code == 1 and len(lines) == len(damaged)
    for name, first in damaged:
        assert any(f"series '{name}', steps {first}-{first + STEPS_PER_CHUNK - 1}" in line
                   for line in lines), out
