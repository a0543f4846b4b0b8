"""Reading a store the user may not write to: a shared archive, another user's logs.

File permissions do not bind root, and CI runs as root: there each check runs in a child
process that ``setpriv`` (util-linux) has stripped of root's permission override.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import lrwatch
from lrwatch import Store

PACKAGE_ROOT = Path(lrwatch.__file__).resolve().parents[1]
NO_OVERRIDE = "-dac_override,-dac_read_search"


def lrwatch_as_a_user(*args: str) -> subprocess.CompletedProcess[str]:
    """``lrwatch ARGS`` with the file permissions an ordinary user has."""
    command = [sys.executable, "-m", "lrwatch.cli", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root needs util-linux's setpriv to drop the override")
        command = [setpriv, f"--bounding-set={NO_OVERRIDE}", f"--inh-caps={NO_OVERRIDE}",
                   *command]
    path = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": path})


def fill(store: Store, steps: int = 300) -> None:
    run = store.create_run("train", {"optimizer": "SGD"})
    s = np.arange(steps)
    store.backend.append(run.id, {"loss": (s, 2.0 * np.exp(-s / 50) + 0.1),
                                  "lr": (s, np.full(steps, 0.01))})


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder that is made read-only (mode 555) by the test and writable again after it."""
    folder = tmp_path / "archive"
    folder.mkdir()
    yield folder
    folder.chmod(0o755)


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_store_in_a_read_only_folder_can_be_listed_and_analyzed(read_only):
    with Store(read_only) as store:
        fill(store)
    before = listing(read_only)
    assert list(before) == ["lrwatch.db"]  # closed cleanly: no -wal, no -shm
    read_only.chmod(0o555)

    runs = lrwatch_as_a_user("runs", str(read_only))
    assert runs.returncode == 0, runs.stderr
    assert "train" in runs.stdout
    analyzed = lrwatch_as_a_user("analyze", str(read_only), "--json")
    assert analyzed.returncode == 0, analyzed.stderr
    (entry,) = json.loads(analyzed.stdout)["runs"]
    assert entry["error"] is None and entry["steps"] == 300
    assert listing(read_only) == before


def test_a_store_written_in_a_read_only_folder_shows_its_latest_points(read_only):
    """A training that may write there keeps -wal and -shm open; a reader uses them, as is."""
    with Store(read_only) as store:
        fill(store, steps=300)
        read_only.chmod(0o555)
        fill(store, steps=500)  # a second run, still only in the -wal
        assert (read_only / "lrwatch.db-wal").stat().st_size > 0
        analyzed = lrwatch_as_a_user("analyze", str(read_only), "--json")
    assert analyzed.returncode == 0, analyzed.stderr
    assert [e["steps"] for e in json.loads(analyzed.stdout)["runs"]] == [300, 500]


def test_unmerged_writes_in_a_read_only_folder_are_said_not_skipped(read_only, tmp_path):
    """Without -shm, SQLite could only read the file as immutable, which skips the -wal."""
    live = tmp_path / "live"
    with Store(live) as store:
        fill(store)
        for name in ("lrwatch.db", "lrwatch.db-wal"):  # a copy taken while it was written
            shutil.copy(live / name, read_only / name)
    before = listing(read_only)
    read_only.chmod(0o555)

    runs = lrwatch_as_a_user("runs", str(read_only))
    assert runs.returncode == 1 and runs.stdout == ""
    assert runs.stderr.strip().splitlines() == [
        f"StoreError: cannot read the store {read_only / 'lrwatch.db'}: its folder is not "
        "writable and lrwatch.db-wal holds writes not yet merged into the store; copy the "
        "folder somewhere you may write and read the copy"]
    assert listing(read_only) == before
    copy = shutil.copytree(read_only, tmp_path / "copy")  # what the message says to do
    with Store(copy, readonly=True) as store:
        assert store.scalars("train", "loss")[0].size == 300


def test_an_unreadable_store_gives_advice_for_reading(read_only):
    with Store(read_only) as store:
        fill(store)
    (read_only / "lrwatch.db").chmod(0o000)
    try:
        runs = lrwatch_as_a_user("runs", str(read_only))
    finally:
        (read_only / "lrwatch.db").chmod(0o644)
    assert runs.returncode == 1
    assert runs.stderr.strip().splitlines() == [
        f"StoreError: cannot open the store {read_only / 'lrwatch.db'}: unable to open database "
        "file; check that you may read it, or pass another store"]
