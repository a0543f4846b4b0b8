"""A full disk during training (issue 15, item 2): rows wait in memory and are written when
space returns; what never reaches the store is said in one line with its steps, and the run is
marked incomplete.

The disk is a real one: a 2 MB tmpfs in a private mount namespace (``tests.helpers.mounts``),
filled with a ballast file until writes fail with ENOSPC, as a real disk does. Where no such
namespace is allowed, the tests are skipped, saying so.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lrwatch import Store
from lrwatch.store import FINISHED, INCOMPLETE
from tests.helpers.mounts import NAMESPACE, SKIP_REASON

CHILD = textwrap.dedent('''
    import json, os, sys, time
    import numpy as np
    from lrwatch.store.sqlite import SQLiteBackend
    from lrwatch.store.writer import RunWriter

    folder, scenario = sys.argv[1], sys.argv[2]
    store = os.path.join(folder, "lrwatch.db")
    backend = SQLiteBackend(store)
    run_id = backend.create_run("full-disk", {}).id
    errors = []
    bound = 100_000 if scenario == "bound" else 64 << 20
    writer = RunWriter(lambda: SQLiteBackend(store), run_id, flush_interval=0.05,
                       on_error=errors.append, max_held_bytes=bound)

    def steps(lo, hi, per=100):
        slowest = 0.0
        for start in range(lo, hi, per):
            s = np.arange(start, min(start + per, hi))
            t = time.monotonic()
            writer.put({k: (s, np.full(s.size, 0.5)) for k in ("loss", "lr", "grad_norm")})
            slowest = max(slowest, time.monotonic() - t)
        return slowest

    steps(0, 1000)
    assert writer.flush(), "the first rows were not written"
    ballast = os.path.join(folder, "ballast")  # the disk fills up
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, bytes(65536))
    except OSError:
        pass
    try:
        while True:
            os.write(fd, bytes(512))
    except OSError:
        pass
    os.close(fd)
    slowest_put = steps(1000, 6000)
    time.sleep(0.5)  # a few failed rounds
    if scenario in ("returns", "bound"):
        os.remove(ballast)  # space comes back before the run ends
    saved = writer.close("finished", timeout=2.0)
    u = writer.unsaved
    print(json.dumps({"saved": saved, "errors": [str(e) for e in errors],
                      "slowest_put_s": slowest_put, "run_id": run_id,
                      "unsaved": None if u is None else [u.points, u.first_step, u.last_step]}))
    if scenario == "stays":
        os.remove(ballast)
''')


pytestmark = pytest.mark.skipif(NAMESPACE is None, reason=SKIP_REASON)


def train_on_full_disk(tmp_path: Path, scenario: str) -> tuple[dict, str, Path]:
    """Run the child on a 2 MB tmpfs; the store is copied out before the mount goes away."""
    mount = tmp_path / "disk"
    mount.mkdir()
    keep = tmp_path / "kept"
    keep.mkdir()
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    shell = (f'mount -t tmpfs -o size=2m none "{mount}" && "{sys.executable}" "{script}" '
             f'"{mount}" {scenario}; rc=$?; cp "{mount}"/lrwatch.db* "{keep}"/; exit $rc')
    done = subprocess.run([*NAMESPACE, "sh", "-c", shell], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr, keep / "lrwatch.db"


def test_rows_wait_in_memory_and_are_written_when_space_returns(tmp_path):
    result, stderr, store_path = train_on_full_disk(tmp_path, "returns")
    assert result["errors"] and "full" in result["errors"][0]  # the one early warning
    assert result["slowest_put_s"] < 1.0  # training went on
    assert result["saved"] and result["unsaved"] is None
    assert "could not be saved" not in stderr
    with Store(store_path, readonly=True) as store:
        steps, _ = store.scalars(result["run_id"], "loss")
        assert steps.tolist() == list(range(6000))
        assert store.run(result["run_id"]).status == FINISHED


def test_rows_still_unwritten_at_the_end_are_reported_with_their_steps(tmp_path):
    result, stderr, store_path = train_on_full_disk(tmp_path, "stays")
    assert not result["saved"]
    points, first, last = result["unsaved"]
    assert (first, last) == (1000, 5999)
    lines = [line for line in stderr.splitlines() if "could not be saved" in line]
    assert len(lines) == 1 and f"steps {first}-{last}" in lines[0], stderr
    with Store(store_path, readonly=True) as store:
        steps, _ = store.scalars(result["run_id"], "loss")
        assert steps.max() < first  # what the line says is missing is missing
        run = store.run(result["run_id"])
    if "marked incomplete" in lines[0]:
        assert run.status == INCOMPLETE
        assert run.meta["unsaved"]["first_step"] == first
    else:  # the full disk took the status write too; the line says what readers see
        assert "reads interrupted" in lines[0] and run.status != FINISHED


def test_rows_past_the_memory_bound_are_dropped_and_named(tmp_path):
    result, stderr, store_path = train_on_full_disk(tmp_path, "bound")
    assert not result["saved"]
    points, first, last = result["unsaved"]
    lines = [line for line in stderr.splitlines() if "could not be saved" in line]
    assert len(lines) == 1 and f"steps {first}-{last}" in lines[0] and "incomplete" in lines[0]
    with Store(store_path, readonly=True) as store:
        steps, _ = store.scalars(result["run_id"], "loss")
        run = store.run(result["run_id"])
    assert run.status == INCOMPLETE
    assert run.meta["unsaved"] == {"points": points, "first_step": first, "last_step": last,
                                   "reason": run.meta["unsaved"]["reason"], "ended_as": FINISHED}
    saved = set(steps.tolist())
    assert saved and not saved & set(range(first, last + 1))  # exactly the named range is missing
    assert saved | set(range(first, last + 1)) == set(range(6000))
