"""Distributed training on 2 CPU processes (gloo): exactly one run, one row per step per key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lrwatch import Store, keys
from lrwatch.store import FINISHED

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("strategy", ["ddp", "ddp_spawn"])
def test_two_processes_record_exactly_one_run(tmp_path, strategy):
    store_path = tmp_path / "s" / "lrwatch.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.helpers.train_script", str(store_path), "--steps", "12",
         "--devices", "2", "--strategy", strategy],
        cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    store = Store(store_path, readonly=True)
    (run,) = store.runs()
    assert run.status == FINISHED and run.meta["world_size"] == 2
    for key in (keys.LOSS, keys.LR, keys.GRAD_NORM, keys.UPDATE_RATIO, keys.STEP_TIME):
        steps, values = store.scalars(run, key)
        assert steps.tolist() == list(range(12)), key
        assert np.all(np.isfinite(values)), key
    # samples/s counts both processes' batches
    assert np.median(store.scalars(run, keys.SAMPLES_PER_SEC)[1]) > 0
