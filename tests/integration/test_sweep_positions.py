"""Where ``lrwatch sweep`` places each run, on Lightning log folders (``version_N`` with
``metrics.csv`` and ``hparams.yaml``) holding curves of known shape: near the best only inside
the estimate's band, a band that holds the LRs the training loss cannot rank, a sweep that
learned nothing read by its highest stable LR, and a run a tuner cut short for being worse not
told to keep its LR."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.cli import lrwatch

HALF_DECADES = [1e-4, 10 ** -3.5, 1e-3, 10 ** -2.5, 1e-2, 10 ** -1.5]
START = 2.5


def falling(final: float, seed: int, steps: int = 400) -> np.ndarray:
    """A training loss falling from START to ``final`` with 2% batch noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    return (final + (START - final) * np.exp(-t / 60)) * (1 + 0.02 * rng.standard_normal(steps))


def write_version(logs: Path, i: int, lr: float, loss: np.ndarray) -> None:
    folder = logs / f"version_{i}"
    folder.mkdir(parents=True)
    folder.joinpath("metrics.csv").write_text("step,train_loss,lr-AdamW\n" + "".join(
        f"{s},{v:.6f},{lr}\n" for s, v in enumerate(loss)))
    folder.joinpath("hparams.yaml").write_text(f"lr: {lr}\nhidden: 64\noptimizer: AdamW\n")


def read_sweep(capsys: pytest.CaptureFixture[str], logs: Path) -> dict:
    code, out, err = lrwatch(capsys, "sweep", str(logs), "--json")
    assert code == 0, err
    (sweep,) = json.loads(out)["sweeps"]
    return sweep


def positions(sweep: dict) -> dict[float, str]:
    return {round(math.log10(r["lr"]), 2): r["position"] for r in sweep["runs"]}


def test_a_clearly_worse_run_outside_the_band_is_not_near_the_best(tmp_path, capsys):
    """The public sweeps' misses: a run one half-decade step from the grid's best, well within
    half a decade of the estimate (which leans its way), but 15% worse: the band says the best
    is not there, so the run is told to move (it was near_best by "within x3.16" alone)."""
    finals = [1.6, 1.2, 0.92, 0.80, 1.0, 1.5]
    for i, (lr, final) in enumerate(zip(HALF_DECADES, finals)):
        write_version(tmp_path, i, lr, falling(final, seed=i))
    sweep = read_sweep(capsys, tmp_path)
    assert 1e-3 < sweep["best_lr"] < 10 ** -2.5
    assert sweep["best_lr"] / 1e-3 < 10 ** 0.5  # within half a decade of the estimate ...
    assert sweep["best_lr_low"] > 1e-3  # ... but outside its band
    assert positions(sweep) == {-4.0: "too_low", -3.5: "too_low", -3.0: "too_low",
                                -2.5: "near_best", -2.0: "too_high", -1.5: "too_high"}


def test_runs_the_training_loss_cannot_rank_widen_the_band(tmp_path, capsys):
    """Three neighbouring LRs end within 1% of each other: the band holds all three (the best
    may lie anywhere among them), the summary says so, and the runs 10x below are too low."""
    finals = [1.6, 1.1, 0.805, 0.80, 0.803, 1.3]
    for i, (lr, final) in enumerate(zip(HALF_DECADES, finals)):
        write_version(tmp_path, i, lr, falling(final, seed=i))
    sweep = read_sweep(capsys, tmp_path)
    assert sweep["best_lr_low"] <= 1e-3 * (1 + 1e-9)
    assert sweep["best_lr_high"] >= 1e-2 * (1 - 1e-9)
    assert "cannot rank them" in sweep["summary"]
    assert positions(sweep)[-4.0] == positions(sweep)[-3.5] == "too_low"
    assert positions(sweep)[-2.5] == "near_best"


def test_a_sweep_that_learned_nothing_points_to_its_highest_stable_lr(tmp_path, capsys):
    """Every run below the one that blew up sits at its starting loss (noise decides which is
    lowest): the estimate is the highest stable LR, not a noise minimum, and the runs far below
    it are too low."""
    rng = np.random.default_rng(0)
    lrs = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    for i, lr in enumerate(lrs[:-1]):
        write_version(tmp_path, i, lr, START * (1 + 0.02 * rng.standard_normal(400)))
    write_version(tmp_path, 4, lrs[-1], START * np.linspace(1, 4, 400))
    sweep = read_sweep(capsys, tmp_path)
    assert sweep["best_lr"] == pytest.approx(0.1)
    assert sweep["flat"] is False and sweep["edge"] is None  # the next LR diverged
    assert positions(sweep) == {-4.0: "too_low", -3.0: "too_low", -2.0: "too_low",
                                -1.0: "near_best", 0.0: "diverged"}
    assert "no stable run learned" in sweep["summary"]


def test_a_run_cut_short_at_a_worse_level_is_not_near_the_best(tmp_path, capsys):
    """An Optuna-style sweep: the run at 1.5e-3, next to the best LR, was pruned at step 150
    with its loss far above the best run's at that step: too high, not near (placed by its LR
    alone it was near_best)."""
    finals = [1.6, 1.2, 0.80, 0.95, 1.3]
    lrs = [1e-4, 10 ** -3.5, 1e-3, 10 ** -2.5, 1e-2]
    for i, (lr, final) in enumerate(zip(lrs, finals)):
        write_version(tmp_path, i, lr, falling(final, seed=i))
    write_version(tmp_path, 5, 1.5e-3, falling(2.0, seed=5, steps=150))
    sweep = read_sweep(capsys, tmp_path)
    pruned = next(r for r in sweep["runs"] if r["lr"] == pytest.approx(1.5e-3))
    assert sweep["best_lr_low"] <= 1.5e-3 <= sweep["best_lr_high"]
    assert pruned["position"] == "too_high"


def test_runs_within_noise_of_the_best_are_flagged_and_their_advice_says_so(tmp_path, capsys):
    """Three neighbouring LRs end within 1% of each other: the two that did not score lowest
    are flagged ``unranked`` in the JSON, and the table and ``lrwatch analyze``'s evidence say
    the sweep cannot rank them; the lowest run and the clearly worse runs carry no such flag."""
    finals = [1.6, 1.1, 0.805, 0.80, 0.803, 1.3]
    for i, (lr, final) in enumerate(zip(HALF_DECADES, finals)):
        write_version(tmp_path, i, lr, falling(final, seed=i))
    sweep = read_sweep(capsys, tmp_path)
    lowest = min(sweep["runs"], key=lambda r: r["final_loss"])
    plateau = {-3.0, -2.5, -2.0}
    assert round(math.log10(lowest["lr"]), 2) in plateau
    flagged = {round(math.log10(r["lr"]), 2) for r in sweep["runs"] if r["unranked"]}
    assert flagged == plateau - {round(math.log10(lowest["lr"]), 2)}
    code, out, err = lrwatch(capsys, "sweep", str(tmp_path))
    assert code == 0, err
    assert out.count("cannot rank") == 1 + 2  # the summary, then the two runs' rows
    code, out, err = lrwatch(capsys, "analyze", str(tmp_path), "--json")
    assert code == 0, err
    for entry in json.loads(out)["runs"]:
        said = "cannot rank it" in entry["evidence"][0]
        assert said == (round(math.log10(entry["peak_lr"]), 2) in flagged), entry["evidence"][0]


def test_a_run_a_few_percent_worse_far_from_a_loss_of_0_is_ranked(tmp_path, capsys):
    """Round 8's public TinyStories LM sweeps: losses start near 10 and end near 1.5, and the
    run one half-decade step below the best ends 4% above it: ranked (1% of the start is 7% of
    that level, which read it as within noise of the best), and told to raise its LR."""
    start = 10.0
    finals = [3.0, 2.2, 1.56, 1.50, 1.95, 3.0]
    for i, (lr, final) in enumerate(zip(HALF_DECADES, finals)):
        t = np.arange(400)
        rng = np.random.default_rng(i)
        loss = (final + (start - final) * np.exp(-t / 60)) * (1 + 0.002 * rng.standard_normal(400))
        write_version(tmp_path, i, lr, loss)
    sweep = read_sweep(capsys, tmp_path)
    below = next(r for r in sweep["runs"] if r["lr"] == pytest.approx(1e-3))
    assert below["unranked"] is False
    assert below["position"] == "too_low"
    assert positions(sweep)[-2.5] == "near_best"


def test_runs_near_a_loss_of_0_within_1pct_of_the_start_stay_unranked(tmp_path, capsys):
    """Near a loss of 0 (CIFAR-10 CNNs trained to 0.0002-0.007) levels a few times apart are
    all within 1% of where the runs started: the sweep cannot rank them, as before."""
    finals = [0.9, 0.3, 0.004, 0.001, 0.003, 1.2]
    for i, (lr, final) in enumerate(zip(HALF_DECADES, finals)):
        write_version(tmp_path, i, lr, falling(final, seed=i))
    sweep = read_sweep(capsys, tmp_path)
    flagged = {round(math.log10(r["lr"]), 2) for r in sweep["runs"] if r["unranked"]}
    assert flagged == {-3.0, -2.0}


def test_analyze_never_tells_a_run_the_sweep_cannot_rank_to_keep_its_lr(tmp_path, capsys):
    """A run near the best that the sweep cannot rank (its loss ends within noise of the best
    run's) is told to run a range test, not to keep its LR: on the corpus such a run sat 30x
    below the best LR of a finer grid. The lowest run is still told to keep its LR."""
    finals = [1.6, 1.1, 0.805, 0.80, 0.803, 1.3]
    for i, (lr, final) in enumerate(zip(HALF_DECADES, finals)):
        write_version(tmp_path, i, lr, falling(final, seed=i))
    sweep = read_sweep(capsys, tmp_path)
    unranked = {r["lr"] for r in sweep["runs"] if r["unranked"] and r["position"] == "near_best"}
    assert unranked
    code, out, err = lrwatch(capsys, "analyze", str(tmp_path), "--json")
    assert code == 0, err
    actions = {round(math.log10(e["peak_lr"]), 2): e["action"] for e in json.loads(out)["runs"]}
    lowest = min(sweep["runs"], key=lambda r: r["final_loss"])
    assert actions[round(math.log10(lowest["lr"]), 2)] == "keep"
    assert {actions[round(math.log10(lr), 2)] for lr in unranked} == {"range_test"}


def test_a_sweep_that_learned_nothing_over_decades_and_never_blew_up_says_the_lr_may_not_matter(
        tmp_path, capsys):
    """Prompt tuning of a frozen model at 0.1-100: no run moved, none blew up. The best guess
    stays the highest stable LR, at the grid's edge, and the summary says the LR may not be
    what holds the model back."""
    rng = np.random.default_rng(1)
    for i, lr in enumerate([0.1, 1.0, 10.0, 100.0]):
        write_version(tmp_path, i, lr, START * (1 + 0.02 * rng.standard_normal(400)))
    sweep = read_sweep(capsys, tmp_path)
    assert sweep["best_lr"] == pytest.approx(100.0) and sweep["edge"] == "high"
    assert "no stable run learned at any LR from 0.1 to 100 (1000x apart), and none blew up: " \
           "the LR may not be what holds this model back" in sweep["summary"]
