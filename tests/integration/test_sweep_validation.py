"""``lrwatch sweep`` on Lightning log folders (``version_N`` with ``metrics.csv`` and
``hparams.yaml``) whose runs log a validation loss: it ranks the runs when every run logged one
near the end and none overfits, and the reading says so; a sweep whose loss falls near 0 within
its first steps at high LRs leaves the runs it cannot rank unranked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.helpers.cli import lrwatch
from tests.integration.test_sweep_positions import positions, read_sweep

HALF_DECADES = [1e-4, 10 ** -3.5, 1e-3, 10 ** -2.5, 1e-2, 10 ** -1.5]
START = 2.5
STEPS = 400
VAL_EVERY = 50


def falling(final: float, seed: int, tau: float = 60.0, noise: float = 0.02) -> np.ndarray:
    """A loss falling from START to ``final`` (time constant ``tau`` steps) with batch noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(STEPS)
    return (final + (START - final) * np.exp(-t / tau)) * (1 + noise * rng.standard_normal(STEPS))


def write_version(logs: Path, i: int, lr: float, loss: np.ndarray,
                  val: np.ndarray | None = None) -> None:
    """One Lightning run; ``val`` (one value per ``VAL_EVERY`` steps, the last at the last
    step) goes in a ``val_loss`` column, empty on the other rows as Lightning writes it."""
    folder = logs / f"version_{i}"
    folder.mkdir(parents=True)
    rows = []
    for step, value in enumerate(loss):
        at = (step + 1) // VAL_EVERY - 1 if (step + 1) % VAL_EVERY == 0 else None
        val_text = "" if val is None or at is None else f"{val[at]:.6f}"
        rows.append(f"{step},{value:.6f},{lr},{val_text}\n")
    folder.joinpath("metrics.csv").write_text("step,train_loss,lr-AdamW,val_loss\n" + "".join(rows))
    folder.joinpath("hparams.yaml").write_text(f"lr: {lr}\nhidden: 64\noptimizer: AdamW\n")


def val_curve(final: float, rise: float = 0.0) -> np.ndarray:
    """A validation loss measured every VAL_EVERY steps: it falls to ``final`` and, with
    ``rise``, climbs that fraction above its lowest by the end (overfitting)."""
    t = np.arange(VAL_EVERY, STEPS + 1, VAL_EVERY)
    low = final / (1 + rise)
    curve = low + (START - low) * np.exp(-t / 60)
    return curve + rise * low * np.clip((t - t[len(t) // 2]) / (t[-1] - t[len(t) // 2]), 0, None)


# The training loss keeps falling with the LR; the validation loss is lowest at 10^-2.5.
TRAIN_FINALS = [1.6, 1.2, 0.9, 0.7, 0.5, 0.45]
VAL_FINALS = [1.7, 1.3, 1.0, 0.85, 0.95, 1.2]


def test_the_validation_loss_ranks_the_runs_when_every_run_logged_it(tmp_path, capsys):
    """Read by the training loss the best is the highest LR (extend the grid up); by the
    validation loss, what a user means by best, it is 10^-2.5, the runs above it are too high,
    and the summary says which loss ranked them."""
    for i, (lr, train, val) in enumerate(zip(HALF_DECADES, TRAIN_FINALS, VAL_FINALS)):
        write_version(tmp_path, i, lr, falling(train, seed=i), val_curve(val))
    sweep = read_sweep(capsys, tmp_path)
    assert 1e-3 < sweep["best_lr"] < 1e-2
    assert sweep["edge"] is None
    assert sweep["ranked_by"] == "val_loss"
    assert "validation loss" in sweep["summary"]
    assert positions(sweep)[-2.5] == "near_best"
    assert positions(sweep)[-1.5] == "too_high"
    assert positions(sweep)[-4.0] == "too_low"


def test_analyze_says_the_validation_loss_placed_the_run(tmp_path, capsys):
    """``lrwatch analyze`` on the same sweep: the run above the validation best is told to
    reduce, and its first evidence line says the validation loss ranked the sweep."""
    for i, (lr, train, val) in enumerate(zip(HALF_DECADES, TRAIN_FINALS, VAL_FINALS)):
        write_version(tmp_path, i, lr, falling(train, seed=i), val_curve(val))
    code, out, err = lrwatch(capsys, "analyze", str(tmp_path), "--json")
    assert code == 0, err
    top = next(e for e in json.loads(out)["runs"] if e["run"].endswith("version_5"))
    assert top["sweep"]["position"] == "too_high"
    assert top["action"] == "reduce"
    assert top["evidence"][0].startswith("too high in a sweep of 6 runs by validation loss")


def test_an_overfitting_sweep_that_logs_no_accuracy_is_ranked_by_its_final_validation_loss(
        tmp_path, capsys):
    """The same sweep, but the validation loss of the high-LR runs climbs 30% above its lowest
    by the end, the best run by the training loss among them (overfitting): with no accuracy
    logged, the validation loss at the end (the model each run ends with) ranks the runs, not
    the training loss (sweep round 23), as the summary says."""
    for i, (lr, train, val) in enumerate(zip(HALF_DECADES, TRAIN_FINALS, VAL_FINALS)):
        write_version(tmp_path, i, lr, falling(train, seed=i), val_curve(val, 0.3 * (i >= 3)))
    sweep = read_sweep(capsys, tmp_path)
    assert sweep["ranked_by"] == "val_loss"
    assert 1e-3 < sweep["best_lr"] < 1e-2
    assert "by their validation loss" in sweep["summary"]
    assert sweep["validation_best_lr"] is None and "disagree" not in sweep["summary"]


def test_runs_near_zero_loss_are_unranked_against_where_the_sweep_started(tmp_path, capsys):
    """High LRs drop the loss from 2.5 to near 0 within their first steps, so the best run's own
    "start" is near 0 too: the levels 0.012, 0.008 and 0.004 differ by less than 1% of where
    the sweep started (2.5), the training loss cannot rank them: the band holds all three and
    the summary says so (against the best run's own start they were ranked: a band of x2)."""
    finals = [1.0, 0.3, 0.05, 0.012, 0.008, 0.004]
    taus = [60, 60, 30, 3, 2, 1]
    for i, (lr, final, tau) in enumerate(zip(HALF_DECADES, finals, taus)):
        write_version(tmp_path, i, lr, falling(final, seed=i, tau=tau, noise=0.01))
    sweep = read_sweep(capsys, tmp_path)
    assert sweep["best_lr_low"] <= 10 ** -2.5 * (1 + 1e-9)
    assert "cannot rank them" in sweep["summary"]
    assert positions(sweep)[-4.0] == positions(sweep)[-3.5] == "too_low"


def test_a_run_1_9_percent_above_the_best_is_ranked_below_it(tmp_path, capsys):
    """The public sweeps' sources ask for a higher LR at runs that end 1.7-2.0% above the best
    (a 12-layer LM's validation loss, a 27M GPT's training loss): such a run is ranked, not
    held in the band as one the loss cannot rank, and is told to go up."""
    train = [2.3, 2.0, 1.7, 1.65, 1.75, 2.1]
    val = [2.3, 2.0, 1.63, 1.60, 1.9, 2.2]  # 10^-3 ends 1.9% above 10^-2.5
    for i, (lr, t, v) in enumerate(zip(HALF_DECADES, train, val)):
        write_version(tmp_path, i, lr, falling(t, seed=i), val_curve(v))
    sweep = read_sweep(capsys, tmp_path)
    assert sweep["ranked_by"] == "val_loss"
    assert 10 ** -3 < sweep["best_lr_low"] < 10 ** -2.5 < sweep["best_lr_high"] < 10 ** -2
    assert positions(sweep) == {-4.0: "too_low", -3.5: "too_low", -3.0: "too_low",
                                -2.5: "near_best", -2.0: "too_high", -1.5: "too_high"}
    assert not any(r["unranked"] for r in sweep["runs"])
    assert "cannot rank" not in sweep["summary"]


# The training loss is lowest at 10^-2, the lowest validation loss at 10^-2.5; only the run at
# 10^-1.5 overfits (its validation loss ends 30% above its lowest), the best runs do not.
OVERFIT_TRAIN_FINALS = [1.6, 1.2, 0.9, 0.7, 0.5, 0.8]
LOWEST_VALS = [1.7, 1.3, 1.0, 0.85, 0.95, 1.2]


def write_overfitting_sweep(logs: Path) -> None:
    """Each run's validation loss falls to its lowest; the top LR's then climbs 30% above it."""
    for i, (lr, train, low) in enumerate(zip(HALF_DECADES, OVERFIT_TRAIN_FINALS, LOWEST_VALS)):
        rise = 0.3 if i == len(HALF_DECADES) - 1 else 0.0
        write_version(logs, i, lr, falling(train, seed=i), val_curve(low * (1 + rise), rise))


def test_runs_that_overfit_are_ranked_by_their_lowest_validation_loss(tmp_path, capsys):
    """A run above the best overfits, the best runs do not: a user keeps each run's checkpoint
    at its lowest validation loss (early stopping), so that ranks the runs, and the reading says
    so; the training loss would put the best at 10^-2, above the validation loss's best."""
    write_overfitting_sweep(tmp_path)
    sweep = read_sweep(capsys, tmp_path)
    assert sweep["ranked_by"] == "best_val_loss"
    assert "lowest validation loss" in sweep["summary"]
    assert 10 ** -2.75 < sweep["best_lr"] < 10 ** -2.25
    assert sweep["edge"] is None
    assert positions(sweep)[-2.5] == "near_best"
    assert positions(sweep)[-1.5] == "too_high"
    assert positions(sweep)[-4.0] == "too_low"


def test_analyze_says_the_lowest_validation_loss_placed_the_run(tmp_path, capsys):
    """``lrwatch analyze`` on that sweep: the highest LR, which overfits, is told to reduce, and
    its first evidence line says each run's lowest validation loss ranked the sweep."""
    write_overfitting_sweep(tmp_path)
    code, out, err = lrwatch(capsys, "analyze", str(tmp_path), "--json")
    assert code == 0, err
    top = next(e for e in json.loads(out)["runs"] if e["run"].endswith("version_5"))
    assert top["sweep"]["position"] == "too_high"
    assert top["action"] == "reduce"
    assert top["evidence"][0].startswith(
        "too high in a sweep of 6 runs by lowest validation loss")


# Round 11's per-epoch tabular MLP in miniature: the training loss falls towards 0 at the high
# LRs, whose validation loss turns up (they overfit, the best run by the training loss among
# them); the run at 10^-2.5 does not overfit and ends with the lowest validation loss.
DISPUTED_TRAIN_FINALS = [1.6, 1.0, 0.5, 0.1, 0.02, 0.03]
DISPUTED_VAL_FINALS = [1.7, 1.1, 0.6, 0.5, 0.9, 1.3]


def write_disputed_sweep(logs: Path, vals: list[float] = DISPUTED_VAL_FINALS,
                         keep: range = range(6)) -> None:
    """The runs at 10^-2 and 10^-1.5 end 50% above their lowest validation loss; ``keep``: the
    versions written (4 of them: a sweep the training loss still ranks, sweep round 23)."""
    for i, (lr, train, val) in enumerate(zip(HALF_DECADES, DISPUTED_TRAIN_FINALS, vals)):
        if i in keep:
            write_version(logs, i, lr, falling(train, seed=i), val_curve(val, 0.5 * (i >= 4)))


def test_where_the_best_runs_overfit_the_final_validation_loss_places_them(tmp_path, capsys):
    """The best runs by the training loss overfit and no accuracy is logged: the validation
    loss at the end ranks the runs and puts the best LR at 10^-2.5, the overfitting runs too
    high (round 11's MLP read 15.7x high by the training loss; sweep round 23)."""
    write_disputed_sweep(tmp_path)
    sweep = read_sweep(capsys, tmp_path)
    assert sweep["ranked_by"] == "val_loss"
    assert 10 ** -3 < sweep["best_lr"] < 10 ** -2.25
    assert sweep["validation_best_lr"] is None and "disagree" not in sweep["summary"]
    assert positions(sweep)[-1.5] == "too_high"
    assert positions(sweep)[-4.0] == "too_low"


def test_the_table_of_an_overfitting_sweep_says_the_validation_loss_ranked_it(tmp_path,
                                                                              capsys):
    """The table says which loss ranked the runs; the user who keeps runs by the training loss
    says so with --rank-by loss."""
    write_disputed_sweep(tmp_path)
    code, out, err = lrwatch(capsys, "sweep", str(tmp_path))
    assert code == 0, err
    assert "by their validation loss" in out and "not in the curves" not in out
    code, out, err = lrwatch(capsys, "sweep", str(tmp_path), "--json", "--rank-by", "loss")
    assert code == 0, err
    (sweep,) = json.loads(out)["sweeps"]
    assert sweep["ranked_by"] == "loss" and sweep["best_lr"] > 10 ** -2.25


def test_analyze_tells_the_disputed_runs_to_test_not_to_move(tmp_path, capsys):
    """``lrwatch analyze``: the runs the two losses rank differently are told ``range_test``
    (not keep, not increase), and their evidence names the validation loss's best LR: a sweep
    of 4 LRs, which the training loss still ranks where its best runs overfit (round 23)."""
    write_disputed_sweep(tmp_path, keep=range(1, 5))
    code, out, err = lrwatch(capsys, "analyze", str(tmp_path), "--json")
    assert code == 0, err
    entries = {e["run"].rsplit("version_", 1)[1]: e for e in json.loads(out)["runs"]}
    for version in ("3", "4"):  # 10^-2.5 (best by the validation loss), 10^-2 (by training)
        assert entries[version]["action"] == "range_test"
        assert entries[version]["suggested_lr"] is None  # no LR beside a range test
        assert "the two losses rank this run differently" in entries[version]["evidence"][0]
    assert entries["1"]["action"] == "increase"


def test_a_run_level_with_the_validation_best_is_not_told_to_increase(tmp_path, capsys):
    """10^-3 ends level with the validation loss's best (10^-2.5), which ranks this overfitting
    sweep (round 23): near the best, never told to increase (round 11's MLP and round 12's
    classifier told runs within 1.5x of their test loss's best to increase 10-30x by the
    training loss); 10^-3.5, clearly worse, is told increase."""
    write_disputed_sweep(tmp_path, [1.7, 1.0, 0.5, 0.5, 0.9, 1.3])
    code, out, err = lrwatch(capsys, "analyze", str(tmp_path), "--json")
    assert code == 0, err
    entries = {e["run"].rsplit("version_", 1)[1]: e for e in json.loads(out)["runs"]}
    assert entries["2"]["sweep"]["position"] == "near_best"
    assert entries["2"]["action"] != "increase"
    assert entries["1"]["action"] == "increase"


def test_the_user_can_say_the_lowest_validation_loss_ranks_an_overfitting_sweep(tmp_path,
                                                                                 capsys):
    """``--rank-by best_val_loss``: a user who keeps each run's early-stopping checkpoint (a
    held-out loss, not accuracy) gets the best LR by it, not the training loss's (which the
    logs alone pick here, the best runs overfitting), and the overfitting runs are too high."""
    write_disputed_sweep(tmp_path)
    code, out, err = lrwatch(capsys, "sweep", str(tmp_path), "--json", "--rank-by",
                             "best_val_loss")
    assert code == 0, err
    (sweep,) = json.loads(out)["sweeps"]
    assert sweep["ranked_by"] == "best_val_loss"
    assert 10 ** -3 < sweep["best_lr"] < 10 ** -2.25
    assert sweep["validation_best_lr"] is None and "disagree" not in sweep["summary"]
    assert positions(sweep)[-1.5] == "too_high" and positions(sweep)[-4.0] == "too_low"
    code, out, err = lrwatch(capsys, "sweep", str(tmp_path), "--json", "--rank-by", "loss")
    assert code == 0, err
    (by_loss,) = json.loads(out)["sweeps"]  # the user's word: no second reading beside it
    assert by_loss["ranked_by"] == "loss" and by_loss["validation_best_lr"] is None
    assert by_loss["best_lr"] > 10 ** -2.25


def test_ranking_by_a_validation_loss_the_runs_do_not_log_is_a_one_line_error(tmp_path,
                                                                              capsys):
    for i, lr in enumerate(HALF_DECADES):
        write_version(tmp_path, i, lr, falling(1.6 - 0.2 * i, seed=i))
    code, out, err = lrwatch(capsys, "sweep", str(tmp_path), "--rank-by", "val_loss")
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "validation loss" in err and "Traceback" not in err
