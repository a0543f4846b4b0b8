"""Distributed training on 2 CPU processes (gloo): exactly one run, one row per step per key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lrwatch import Store, keys
from lrwatch.guard import MAX_CONSECUTIVE_SKIPS
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
    for key in (keys.LOSS, keys.LR, keys.GRAD_NORM, keys.STEP_TIME):
        steps, values = store.scalars(run, key)
        assert steps.tolist() == list(range(12)), key
        assert np.all(np.isfinite(values)), key
    assert store.scalars(run, keys.UPDATE_RATIO)[0].tolist() == [0]  # every 50 steps
    # samples/s counts both processes' batches
    assert np.median(store.scalars(run, keys.SAMPLES_PER_SEC)[1]) > 0


@pytest.mark.parametrize("on_diverge", ["stop", "recover"])
def test_the_guard_acts_on_both_ranks_at_the_same_step(tmp_path, on_diverge):
    store_path = tmp_path / "s" / "lrwatch.db"
    report = tmp_path / "report"
    report.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.helpers.train_script", str(store_path), "--steps", "60",
         "--devices", "2", "--strategy", "ddp", "--lr", "0.6", "--on-diverge", on_diverge,
         "--report", str(report)],
        cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    ranks = [json.loads((report / f"rank{k}.json").read_text()) for k in (0, 1)]
    assert ranks[0] == ranks[1]  # same step, same LR, same weights
    store = Store(store_path, readonly=True)
    (run,) = store.runs()
    actions = [e.payload["action"] for e in store.events(run, kind=keys.EVENT_ACTION)]
    if on_diverge == "stop":
        assert actions == ["stop"] and run.status == "diverged" and ranks[0]["step"] < 60
    else:
        assert actions[0] == "recover" and ranks[0]["step"] == 60
        assert ranks[0]["lr"] < 0.6


def _train_two_ranks(tmp_path, *args: str) -> tuple[list[dict], Store, object]:
    """2 processes (ddp, gloo); what each rank ended with, and the one run."""
    store_path = tmp_path / "s" / "lrwatch.db"
    report = tmp_path / "report"
    report.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.helpers.train_script", str(store_path), "--devices", "2",
         "--strategy", "ddp", "--report", str(report), *args],
        cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    ranks = [json.loads((report / f"rank{k}.json").read_text()) for k in (0, 1)]
    store = Store(store_path, readonly=True)
    (run,) = store.runs()
    return ranks, store, run


@pytest.mark.parametrize("on_diverge", ["stop", "recover"])
def test_a_loss_spike_on_rank_1_alone_is_acted_on_by_both_ranks(tmp_path, on_diverge):
    """Rank 1's loss jumps 1000x from step 25 with unchanged gradients: rank 0's loss and the
    all-reduced gradient norm show nothing; the ranks' OR-ed decision still acts."""
    ranks, store, run = _train_two_ranks(
        tmp_path, "--steps", "60", "--on-diverge", on_diverge, "--loss-jump", "1", "25", "1000")
    assert ranks[0] == ranks[1]  # same step, same LR, same weights
    (action, *more) = store.events(run, kind=keys.EVENT_ACTION)
    assert action.payload["action"] == on_diverge and 25 <= action.step <= 40
    assert action.payload["reason"] == "rank 1 saw its loss blow up"
    if on_diverge == "stop":
        assert run.status == "diverged" and ranks[0]["step"] <= 41
    else:
        assert action.payload["restored_step"] < 25 and ranks[0]["lr"] < 0.05


def test_spike_skipping_decides_alike_on_both_ranks(tmp_path):
    """Rank 1's loss alone jumps 1000x from step 70 on: both ranks skip those updates (the
    weights stay equal) until MAX_CONSECUTIVE_SKIPS in a row make it a new level, and the run
    records each skip."""
    ranks, store, run = _train_two_ranks(
        tmp_path, "--steps", "80", "--on-spike", "skip", "--loss-jump", "1", "70", "1000")
    assert ranks[0] == ranks[1]
    skipped = [e.step for e in store.events(run, kind=keys.EVENT_ACTION)
               if e.payload["action"] == "skip"]
    assert skipped == list(range(70, 70 + MAX_CONSECUTIVE_SKIPS))
