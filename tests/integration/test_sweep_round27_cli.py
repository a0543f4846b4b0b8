"""What ``lrwatch analyze`` says beside a sweep of a run whose place rests on little (real-world
round 27): a run ranked below the best whose loss ends within 2% of the best run's is told a
range test at 0.5, not moved; a run above the best whose loss ended no lower than it started is
``diverging`` at 0.7, not ``oscillating``. CSV logs named by their LR, written here, read through
the real CLI; and a run placed near the best by its LR whose loss ends 2% or more above the best
run's is told a range test, not "keep"."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from lrwatch.sweep_advice import CLOSE_CONFIDENCE, ROSE_CONFIDENCE, SWEEP_CONFIDENCE
from tests.helpers.cli import analyze_by_lr as analyze

STEPS = 200


def write_run(folder: Path, lr: float, floor: float, seed: int, rise: float | None = None
              ) -> None:
    """A run falling from 4 to ``floor`` within its first 60 steps; with ``rise``, one that
    never falls and climbs by ``rise`` over the run instead."""
    rng = np.random.default_rng(seed)
    step = np.arange(STEPS)
    loss = floor + (4 - floor) * np.exp(-0.05 * step) if rise is None \
        else 4 + rise * step / STEPS
    loss = loss + 0.002 * rng.standard_normal(STEPS)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"lr={lr:.1e}.csv").write_text("step,train_loss\n" + "".join(
        f"{s},{v:.5f}\n" for s, v in zip(step, loss)))


def test_a_run_within_2_percent_of_the_best_is_not_moved(tmp_path, capsys):
    """Six LRs a decade apart, the best at 0.01 (loss 0.3): the run at 1e-3 ends at 0.305,
    1.7% above the best run, outside its noise: the sweep still places it too low, but tells
    a range test at 0.5, reads it healthy (sweep round 28) and says why; the run at 0.1 ends
    3.3% above and is still told to reduce, the runs 100x away still moved."""
    floors = {1e-5: 0.9, 1e-4: 0.5, 1e-3: 0.305, 1e-2: 0.3, 1e-1: 0.31, 1.0: 1.5}
    for seed, (lr, floor) in enumerate(floors.items()):
        write_run(tmp_path / "sweep", lr, floor, seed)
    entries = analyze(capsys, tmp_path / "sweep")
    close = entries[1e-3]
    assert close["sweep"]["position"] == "too_low"
    assert close["status"] == "healthy"  # sweep round 28: within a seed's reach of the best
    assert close["action"] == "range_test" and close["suggested_lr"] is None
    own = close["sweep"]["run_confidence"] if close["sweep"]["run_status"] == "healthy" else 0
    assert close["confidence"] == pytest.approx(max(CLOSE_CONFIDENCE, own))
    assert "ends within 2% of the best run's" in close["rationale"]
    assert "a second seed" in close["rationale"]
    above = entries[1e-1]
    assert above["sweep"]["position"] == "too_high" and above["action"] == "reduce"
    assert "within 2%" not in above["rationale"]
    assert entries[1e-4]["action"] == "increase" and entries[1e-4]["factor"] > 10
    assert entries[1.0]["action"] == "reduce" and entries[1.0]["factor"] < 0.1


def test_a_run_above_the_best_that_ended_where_it_started_is_diverging(tmp_path, capsys):
    """Six LRs around a best near 3e-3, and a run at 0.1 that never fell and crept from 4 to
    4.2 (under twice its start: not a blow-up the sweep places as diverged): it is placed too
    high and read ``diverging`` at 0.7, its evidence saying its loss ended no lower than it
    started; the run at 3e-2, which fell to its floor, stays ``oscillating``."""
    for seed, lr in enumerate([1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]):
        write_run(tmp_path / "sweep", lr, 0.3 + 0.4 * math.log10(lr / 3e-3) ** 2, seed)
    write_run(tmp_path / "sweep", 1e-1, 0.0, 9, rise=0.2)
    entries = analyze(capsys, tmp_path / "sweep")
    rose = entries[1e-1]
    assert rose["sweep"]["position"] == "too_high"
    assert rose["sweep"]["run_status"] not in ("oscillating", "diverging")
    assert rose["status"] == "diverging" and rose["action"] == "reduce"
    assert rose["confidence"] == pytest.approx(ROSE_CONFIDENCE)
    line = next(e for e in rose["evidence"] if "ended no lower than it started" in e)
    assert "diverging rather than oscillating" in line
    fell = entries[3e-2]
    assert fell["sweep"]["position"] == "too_high" and fell["status"] == "oscillating"
    assert not any("ended no lower" in e for e in fell["evidence"])


def test_a_run_near_the_best_by_its_lr_but_worse_by_its_loss_is_not_kept(tmp_path, capsys):
    """Seven LRs a factor of 2 apart around a best at 8e-3 (loss 0.3): the run at 1.6e-2, inside
    the band, ends at 0.318, 6% above the best run: placed near the best but told a range test
    at 0.4, saying why, and (sweep round 28) read too high, the side of the best it lies on, as
    its loss says; the best run itself is still kept at 0.85."""
    for seed, k in enumerate(range(7)):
        lr = 1e-3 * 2 ** k
        write_run(tmp_path / "sweep", lr, 0.3 + 0.2 * math.log10(lr / 8e-3) ** 2, seed)
    entries = analyze(capsys, tmp_path / "sweep")
    worse = entries[1.6e-2]
    assert worse["sweep"]["position"] == "near_best" and worse["status"] == "oscillating"
    assert worse["action"] == "range_test" and worse["suggested_lr"] is None
    assert worse["confidence"] == pytest.approx(0.4)
    assert "ends 6% above the best run's" in worse["rationale"]
    assert "not told to keep it" in worse["rationale"]
    best = entries[8e-3]
    assert best["action"] == "keep" and best["confidence"] == pytest.approx(SWEEP_CONFIDENCE)
