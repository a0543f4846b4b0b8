"""Export faults on real file systems (issue 15, item 6): a read-only file system is a one-line
error, and a kill -9 midway leaves no partial file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lrwatch import Store
from tests.helpers.mounts import NAMESPACE, SKIP_REASON


def fill(path: Path, steps: int) -> None:
    with Store(path) as store:
        run = store.create_run("big", {})
        s = np.arange(steps)
        store.backend.append(run.id, {k: (s, np.random.default_rng(0).random(steps))
                                      for k in ("loss", "lr", "grad_norm", "update_ratio")})


@pytest.mark.skipif(NAMESPACE is None, reason=SKIP_REASON)
def test_an_export_to_a_read_only_file_system_is_one_line(tmp_path):
    store = tmp_path / "store.db"
    fill(store, 100)
    mount = tmp_path / "ro"
    mount.mkdir()
    target = mount / "x.csv"
    shell = (f'mount -t tmpfs -o ro,size=64k none "{mount}" && "{sys.executable}" -m lrwatch.cli'
             f' export "{store}" --run big -o "{target}"')
    done = subprocess.run([*NAMESPACE, "sh", "-c", shell], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1
    assert done.stderr == (f"ConfigError: cannot write the export to {target}: Read-only file "
                           "system; pass another -o\n")


def test_a_kill_during_an_export_leaves_no_partial_file(tmp_path):
    store = tmp_path / "store.db"
    fill(store, 1_000_000)  # seconds of CSV writing: time to kill it midway
    out = tmp_path / "out"
    out.mkdir()
    export = subprocess.Popen([sys.executable, "-m", "lrwatch.cli", "export", str(store),
                               "--run", "big", "-o", str(out / "x.csv")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while not _writes_into(export.pid, out):  # the export has its file open in `out`
            assert export.poll() is None, export.stderr.read()
            assert time.monotonic() < deadline, "the export never opened its file"
            time.sleep(0.01)
        os.kill(export.pid, signal.SIGKILL)
    finally:
        export.wait(60)
    assert export.returncode == -signal.SIGKILL
    assert list(out.iterdir()) == []


def _writes_into(pid: int, folder: Path) -> bool:
    fds = Path(f"/proc/{pid}/fd")
    try:
        links = [os.readlink(fd) for fd in fds.iterdir()]
    except OSError:
        return False
    return any(link.startswith(str(folder) + "/") for link in links)
