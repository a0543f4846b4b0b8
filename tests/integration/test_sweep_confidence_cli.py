"""How sure ``lrwatch analyze`` is of a status its sweep sets (real-world round 26): 0.85 where
the sweep's evidence is full, 0.7 where it is thin (the best at an end of the grid, a run about
one grid step from the estimate, a run stopped early, a sweep of 3-4 LRs against the run's own
curve), each thin one saying why in its evidence; 0.9 for a run that blew up; and a run cut
short past the end of the grid where the best sits is not told to move. CSV logs named by
their LR, written here, read through the real CLI.

Each run falls from 4 towards a floor lowest at ``best`` (``0.3 + 0.4 * log10(lr / best) **
2``), faster at a higher LR (as in ``test_sweep_names_cli``)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from lrwatch.sweep_advice import DIVERGED_CONFIDENCE, SWEEP_CONFIDENCE, THIN_SWEEP_CONFIDENCE
from tests.helpers.cli import analyze_by_lr as analyze

STEPS = 200


def write_run(folder: Path, lr: float, best: float, steps: int = STEPS, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    floor = 0.3 + 0.4 * math.log10(lr / best) ** 2
    step = np.arange(steps)
    loss = floor + (4 - floor) * np.exp(-min(lr, 0.05) * 2 * step) \
        + 0.01 * rng.standard_normal(steps)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"lr={lr:.1e}.csv").write_text("step,train_loss\n" + "".join(
        f"{s},{v:.5f}\n" for s, v in zip(step, loss)))


def thin_line(entry: dict) -> str | None:
    return next((line for line in entry["evidence"]
                 if line.startswith("the sweep's evidence is thin")), None)


def test_full_evidence_says_085_and_a_run_one_grid_step_away_says_07(tmp_path, capsys):
    """Seven LRs half a decade apart around a best near 0.01: the runs 60-180x below it are
    stalled at 0.85 with no word of thin evidence; the run at 0.1, about one grid step above
    the estimate, is placed too high as well, but at 0.7, its evidence saying why after what
    its own curve reads. Nothing the sweep sets reaches 0.9."""
    for seed, lr in enumerate([1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]):
        write_run(tmp_path / "sweep", lr, best=1e-2, seed=seed)
    entries = analyze(capsys, tmp_path / "sweep")
    for lr in (1e-4, 3e-4):
        far = entries[lr]
        assert far["sweep"]["position"] == "too_low" and far["sweep"]["edge"] is None
        assert far["status"] == "stalled" and far["action"] == "increase"
        assert far["confidence"] == pytest.approx(SWEEP_CONFIDENCE)
        assert thin_line(far) is None
    high = entries[1e-1]
    assert high["sweep"]["position"] == "too_high" and high["action"] == "reduce"
    assert high["status"] == "oscillating" and high["sweep"]["run_status"] == "healthy"
    assert high["confidence"] == pytest.approx(THIN_SWEEP_CONFIDENCE)
    assert high["evidence"][1].startswith("its own curve alone reads healthy")
    assert "about one grid step from the estimate" in high["evidence"][2]
    assert all(e["confidence"] < 0.9 for e in entries.values())


def test_a_best_at_the_end_of_a_3_lr_grid_is_thin_evidence(tmp_path, capsys):
    """Three LRs a decade apart, the loss still falling at the highest: the best is at the high
    end of the grid, so the sweep's "too low" for the lowest run comes at 0.7, saying why."""
    for seed, lr in enumerate([1e-4, 1e-3, 1e-2]):
        write_run(tmp_path / "sweep", lr, best=1.0, seed=seed)
    entries = analyze(capsys, tmp_path / "sweep")
    low = entries[1e-4]
    assert low["sweep"]["edge"] == "high" and low["sweep"]["position"] == "too_low"
    assert low["status"] == "stalled" and low["action"] == "increase"
    assert low["confidence"] == pytest.approx(THIN_SWEEP_CONFIDENCE)
    assert "the best is at the high end of the grid" in thin_line(low)


def test_a_run_cut_short_past_the_edge_the_best_sits_at_is_not_told_to_move(tmp_path, capsys):
    """The best at the high end of the grid of full runs (1e-4 to 1e-2), and a run at 0.1 cut
    short after 3 steps, before it learned (placed by its LR alone): the sweep says to extend
    the grid upwards, so it does not tell that run to cut its LR (round 26's corpus: 17 of 18
    runs stopped early past such an edge were labelled healthy, 5 told "reduce 10x"). It keeps
    its own curve's status and is told to run a range test. Had it run on to step 60, ahead of
    the others there (early stopping), it is ranked by the level it reached: the best of the
    sweep (sweep round 20), told to keep its LR."""
    for seed, lr in enumerate([1e-4, 1e-3, 1e-2]):
        write_run(tmp_path / "cut", lr, best=1.0, seed=seed)
        write_run(tmp_path / "ahead", lr, best=1.0, seed=seed)
    write_run(tmp_path / "cut", 1e-1, best=1.0, steps=3, seed=3)
    write_run(tmp_path / "ahead", 1e-1, best=1.0, steps=60, seed=3)
    cut = analyze(capsys, tmp_path / "cut")[1e-1]
    assert cut["sweep"] is not None and cut["sweep"]["edge"] == "high"
    assert cut["sweep"]["position"] == "too_high"
    assert cut["action"] == "range_test" and cut["suggested_lr"] is None
    assert cut["status"] == cut["sweep"]["run_status"]
    assert cut["status"] != "oscillating"
    entries = analyze(capsys, tmp_path / "ahead")
    assert entries[1e-1]["sweep"]["position"] == "near_best"
    assert entries[1e-1]["action"] == "keep" and entries[1e-1]["status"] == "healthy"
    # the runs below the best are still told to raise their LR
    assert entries[1e-4]["action"] == "increase"


def test_a_run_that_blew_up_in_its_sweep_reads_diverging_at_09(tmp_path, capsys):
    """A run at LR 1 whose loss climbs from 4 to 10 beside four that trained: its own curve reads
    diverging at about 0.7, its place in the sweep is diverged, the one place the corpus
    labelled diverging every time (39 of 39, 16 sources): diverging, reduce, at 0.9, with no
    word of thin evidence; nothing else in the sweep reaches 0.9."""
    for seed, lr in enumerate([1e-4, 1e-3, 1e-2, 1e-1]):
        write_run(tmp_path / "sweep", lr, best=1e-2, seed=seed)
    step = np.arange(STEPS)
    (tmp_path / "sweep" / "lr=1.0e+00.csv").write_text("step,train_loss\n" + "".join(
        f"{s},{4 + 0.03 * s:.5f}\n" for s in step))
    entries = analyze(capsys, tmp_path / "sweep")
    blown = entries[1.0]
    assert blown["sweep"]["position"] == "diverged"
    assert blown["sweep"]["run_status"] == "diverging"
    assert blown["sweep"]["run_confidence"] < 0.9
    assert blown["status"] == "diverging" and blown["action"] == "reduce"
    assert blown["confidence"] == pytest.approx(DIVERGED_CONFIDENCE)
    assert thin_line(blown) is None
    assert all(e["confidence"] < 0.9 for lr, e in entries.items() if lr != 1.0)
