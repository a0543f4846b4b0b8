"""What ``lrwatch analyze`` says beside a sweep of a run whose loss ends within noise of the best
run's (sweep round 28): the sweep cannot rank it, so it is not moved (a range test), and it did
as well as the best the sweep found, so its status is ``healthy`` at ``TIED_CONFIDENCE``,
whatever its own curve alone reads; a run the sweep ranks keeps the sweep's word. CSV logs
named by their LR, written here, read through the real CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrwatch.sweep_advice import TIED_CONFIDENCE
from tests.helpers.cli import analyze_by_lr as analyze
from tests.helpers.cli import lrwatch

STEPS = 200
# the runs at 1e-3 and 1e-2 end at the same level; the others are a decade or more from it
FLOORS = {1e-5: 1.2, 1e-4: 0.6, 1e-3: 0.3, 1e-2: 0.3, 1e-1: 0.7, 1.0: 1.5}


def write_run(folder: Path, lr: float, floor: float, seed: int, spike: bool = False) -> None:
    """A run falling from 4 to ``floor`` within its first 60 steps, with 0.2% noise; with
    ``spike``, its loss jumps 20x for five steps at step 100 and comes back."""
    rng = np.random.default_rng(seed)
    step = np.arange(STEPS)
    loss = (floor + (4 - floor) * np.exp(-0.05 * step)) * (1 + 0.002 * rng.standard_normal(STEPS))
    if spike:
        loss[100:105] *= 20
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"lr={lr:.1e}.csv").write_text("step,train_loss\n" + "".join(
        f"{s},{v:.5f}\n" for s, v in zip(step, loss)))


def test_a_run_tied_with_the_best_is_healthy_and_not_moved(tmp_path, capsys):
    """Six LRs a decade apart; the runs at 1e-3 and 1e-2 end at the same level, 0.3, the one
    at 1e-2 after a spike it came back from (its own curve alone reads too high): the sweep
    cannot rank it against the best, so it is told a range test and read healthy; the runs a
    decade or more away are still moved."""
    for seed, (lr, floor) in enumerate(FLOORS.items()):
        write_run(tmp_path / "sweep", lr, floor, seed, spike=lr == 1e-2)
    entries = analyze(capsys, tmp_path / "sweep")
    tied = entries[1e-2]
    assert "cannot rank it" in tied["rationale"], tied["rationale"]
    assert tied["sweep"]["run_status"] == "oscillating"
    assert tied["status"] == "healthy" and tied["action"] == "range_test"
    assert tied["suggested_lr"] is None
    assert tied["confidence"] == pytest.approx(TIED_CONFIDENCE)
    assert any("its own curve alone reads oscillating" in e for e in tied["evidence"])
    assert entries[1e-5]["action"] == "increase" and entries[1.0]["action"] == "reduce"


def test_the_sweep_table_says_which_runs_a_seed_or_noise_decides(tmp_path, capsys):
    """``lrwatch sweep``'s table marks the run ranked within 2% of the best run's loss (1e-3,
    placed too low by the estimate between the two) and the run within noise of it (1e-2), as
    ``analyze`` reads them; a run far from the best has no mark."""
    for seed, (lr, floor) in enumerate(FLOORS.items()):
        write_run(tmp_path / "sweep", lr, floor, seed)
    paths = sorted(str(path) for path in (tmp_path / "sweep").iterdir())
    code, out, err = lrwatch(capsys, "sweep", *paths)
    assert code == 0, err
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("lr=")}
    assert "too_low" in rows["lr=1.0e-03"] and "a seed decides" in rows["lr=1.0e-03"], out
    assert "cannot rank" in rows["lr=1.0e-02"], out
    assert "(" not in rows["lr=1.0e-05"] and "(" not in rows["lr=1.0e+00"], out
