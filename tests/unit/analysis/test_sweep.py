"""The sweep reading on curves with a known answer: a bowl with its bottom between grid points,
a flat sweep, a best at either edge, diverged and pruned runs."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from lrwatch.analysis import Series
from lrwatch.analysis.sweep import SweepRun, analyze_sweep
from lrwatch.errors import ConfigError

STEPS = 400


def curve(final: float, steps: int = STEPS, noise: float = 0.02, seed: int = 0,
          start: float = 2.5) -> Series:
    """A loss falling from ``start`` to ``final`` with mini-batch noise."""
    rng = np.random.default_rng(seed)
    s = np.arange(steps)
    level = final + (start - final) * np.exp(-s / 60)
    return Series(s, level * (1 + noise * rng.standard_normal(steps)))


def bowl(best_lr: float, lrs: list[float], depth: float = 0.3) -> list[SweepRun]:
    """Final loss 0.5 + depth x (decades from best_lr)^2: a bowl in log LR."""
    return [SweepRun(f"lr={lr:g}", lr, curve(0.5 + depth * math.log10(lr / best_lr) ** 2, seed=i))
            for i, lr in enumerate(lrs)]


GRID = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]


def test_a_best_between_grid_points_is_found_within_2x_and_each_run_placed():
    reading = analyze_sweep(bowl(2e-3, GRID))
    assert reading.best_lr is not None
    assert 2e-3 / 2 <= reading.best_lr <= 2e-3 * 2
    assert reading.best_lr_low <= reading.best_lr <= reading.best_lr_high
    assert not reading.flat and reading.edge is None
    positions = [r.position for r in reading.runs]
    assert positions == ["too_low", "near_best", "too_high", "too_high", "too_high"]
    low = reading.place("lr=0.0001")
    assert low is not None and low.suggested_lr == reading.best_lr
    assert low.factor == pytest.approx(reading.best_lr / 1e-4)


def test_a_sweep_whose_loss_does_not_depend_on_the_lr_is_flat_and_every_run_keeps_its_lr():
    runs = [SweepRun(f"lr={lr:g}", lr, curve(0.8, seed=i)) for i, lr in enumerate(GRID)]
    reading = analyze_sweep(runs)
    assert reading.flat
    assert reading.edge is None
    assert {r.position for r in reading.runs} == {"near_best"}
    assert all(r.suggested_lr == r.lr for r in reading.runs)
    assert "flat" in reading.summary


def test_a_clear_bowl_is_not_flat_even_when_shallow():
    reading = analyze_sweep(bowl(1e-2, GRID, depth=0.05))
    assert not reading.flat


@pytest.mark.parametrize("best, edge", [(1e-6, "low"), (1e3, "high")])
def test_a_best_at_the_end_of_the_grid_says_which_way_to_extend_it(best, edge):
    reading = analyze_sweep(bowl(best, GRID))
    assert reading.edge == edge
    assert ("below" if edge == "low" else "above") in reading.summary
    assert reading.best_lr == pytest.approx(GRID[0] if edge == "low" else GRID[-1])


def test_diverged_runs_are_marked_left_out_of_the_fit_and_close_the_high_edge():
    runs = bowl(1e-1, GRID[:4])
    runs.append(SweepRun("lr=1", 1.0, Series(np.arange(STEPS), np.r_[np.linspace(2.5, 9, 200),
                                                                        np.full(200, np.nan)])))
    reading = analyze_sweep(runs)
    assert reading.place("lr=1").position == "diverged"
    assert reading.place("lr=1").final_loss is None
    assert reading.edge is None  # the run above the best blew up: the grid brackets it
    assert 1e-1 / 2 <= reading.best_lr <= 1e-1 * 2
    blown = SweepRun("lr=3", 3.0, curve(6.0, start=2.5))  # ends above 2x where it started
    assert analyze_sweep([*runs, blown]).place("lr=3").position == "diverged"


def test_runs_of_unequal_length_are_compared_at_the_same_step():
    # the best LR's run is twice as long: read at its own end it would look better still
    runs = bowl(1e-2, GRID)
    long_run = SweepRun("lr=0.01", 1e-2, curve(0.5, steps=2 * STEPS, seed=9))
    reading = analyze_sweep([r for r in runs if r.lr != 1e-2] + [long_run])
    assert reading.budget_step == STEPS - 1
    assert reading.place("lr=0.01").level_step == STEPS - 1


def test_a_run_cut_short_is_kept_out_of_the_fit_and_never_ranks_on_a_level_it_did_not_reach():
    runs = bowl(1e-2, GRID)
    # cut short at step 79, below the best run's level there, on its way to 0.4: ranked by the
    # level it reached (about 1.0, twice the best's 0.5), not by the one it was heading for
    pruned = SweepRun("lr=1 pruned", 1.0, curve(0.4, steps=STEPS // 5))
    reading = analyze_sweep([r for r in runs if r.lr != 1.0] + [pruned])
    place = reading.place("lr=1 pruned")
    assert place.position == "too_high" and place.final_loss > 0.9
    assert 1e-2 / 2 <= reading.best_lr <= 1e-2 * 2


def test_a_run_ten_times_below_the_best_is_never_near_it():
    for best in (2e-3, 5e-3, 1e-2, 3e-2, 8e-2):
        reading = analyze_sweep(bowl(best, GRID))
        for run in reading.runs:
            if run.lr <= reading.best_lr / 10:
                assert run.position == "too_low"


def test_json_entry_has_the_documented_keys_and_no_nan():
    runs = bowl(1e-2, GRID[:4])
    runs.append(SweepRun("lr=1", 1.0, Series(np.arange(10), np.full(10, np.nan))))
    entry = analyze_sweep(runs).to_dict()
    assert {"runs", "best_lr", "best_lr_low", "best_lr_high", "flat", "edge"} <= set(entry)
    assert set(entry["runs"][0]) == {"run", "lr", "position", "final_loss", "suggested_lr",
                                     "unranked"}
    assert entry["runs"][-1]["final_loss"] is None


@pytest.mark.parametrize("runs, match", [
    ([SweepRun("a", 0.1, curve(1.0))] * 2, "at least 3 runs"),
    ([SweepRun(str(i), 0.1, curve(1.0)) for i in range(3)], "2 or more learning rates"),
    ([SweepRun("a", -1.0, curve(1.0))] * 3, "run 'a' has LR -1.0"),
])
def test_what_is_not_a_sweep_is_refused_with_the_reason(runs, match):
    with pytest.raises(ConfigError, match=match):
        analyze_sweep(runs)


def test_a_run_pruned_above_the_best_for_being_worse_closes_the_high_edge():
    runs = bowl(1e2, GRID)  # the loss still falls at the last LR: the grid should go higher
    assert analyze_sweep(runs).edge == "high"
    worse = SweepRun("lr=10 pruned", 10.0, curve(2.4, steps=STEPS // 4))  # a tuner cut it
    assert analyze_sweep([*runs, worse]).edge is None
    better = SweepRun("lr=10 pruned", 10.0, curve(0.2, steps=STEPS // 4, start=0.3))
    assert analyze_sweep([*runs, better]).edge == "high"


def test_every_position_has_its_colour_in_the_figure_and_the_cli():
    from lrwatch.analysis.sweep import POSITIONS
    from lrwatch.cli.sweep import POSITION_COLOURS
    from lrwatch.figures import POSITION_COLORS

    assert tuple(POSITION_COLORS) == POSITIONS
    assert set(POSITION_COLOURS) == set(POSITIONS)


def overfitting_sweep(vals: tuple[float, ...] = (1.7, 1.1, 0.6, 0.5, 0.9, 1.3)
                      ) -> list[SweepRun]:
    """Round 11's per-epoch MLP in miniature: from 10^-2 up the training loss keeps falling
    towards 0 while the validation loss turns up (those runs overfit, the best run by the
    training loss among them); at 10^-2.5 the validation loss ends lowest (``vals``: each
    run's final validation loss)."""
    lrs = [10 ** e for e in (-4.0, -3.5, -3.0, -2.5, -2.0, -1.5)]
    trains = [1.6, 1.0, 0.5, 0.1, 0.02, 0.03]
    runs = []
    for i, (lr, train, val) in enumerate(zip(lrs, trains, vals)):
        epochs = np.arange(20, STEPS + 1, 20)
        lowest = val / 1.5 if i >= 4 else val  # the overfitting runs end 50% above their lowest
        dip = np.minimum(1.0, epochs / (0.3 * STEPS))
        v = 2.5 - (2.5 - lowest) * dip + (val - lowest) * np.clip(
            (epochs - 0.3 * STEPS) / (0.7 * STEPS), 0, 1)
        runs.append(SweepRun(f"lr={lr:g}", lr, curve(train, seed=i), Series(epochs, v)))
    return runs


def test_a_run_the_validation_loss_cannot_rank_against_its_best_is_not_ranked():
    """The run at 10^-3 ends level with the validation loss's best (10^-2.5) where the
    validation loss ranks the overfitting sweep (round 23): it is not ranked against the best
    and sits inside the band (round 11's MLP and round 12's classifier told runs within 1.5x of
    their test loss's best to increase 10-30x by the training loss)."""
    reading = analyze_sweep(overfitting_sweep((1.7, 1.0, 0.5, 0.5, 0.9, 1.3)))
    assert reading.ranked_by == "val_loss"
    by_lr = {round(math.log10(p.lr), 2): p for p in reading.runs}
    assert by_lr[-3.0].unranked or by_lr[-3.0].position == "near_best"
    assert reading.best_lr_low <= 10 ** -3 * (1 + 1e-9)
    assert not by_lr[-4.0].unranked and by_lr[-4.0].position == "too_low"


def scattered_sweep() -> list[SweepRun]:
    """Long, noisy curves (10% per-step scatter, 4000 steps): the runs at 1e-3 to 1e-2 end 3% and
    2% above the best at 3.16e-3, less than one step's scatter, though far more than the standard
    error of a 400-point mean."""
    finals = [1.0, 0.7, 0.515, 0.5, 0.51, 0.7, 1.0]
    lrs = [1e-4, 10 ** -3.5, 1e-3, 10 ** -2.5, 1e-2, 10 ** -1.5, 0.1]
    return [SweepRun(f"lr={lr:.3g}", lr, curve(final, steps=4000, noise=0.1, seed=i))
            for i, (lr, final) in enumerate(zip(lrs, finals))]


def test_runs_that_end_within_one_steps_scatter_of_the_best_stay_in_its_band_unranked():
    reading = analyze_sweep(scattered_sweep())
    assert not reading.flat
    # the curves cannot tell 1e-3, 3.16e-3 and 1e-2 apart: the band holds all three
    assert reading.best_lr_low <= 1e-3 * (1 + 1e-9) and reading.best_lr_high >= 1e-2 / (1 + 1e-9)
    assert reading.place("lr=0.001").unranked and reading.place("lr=0.01").unranked
    assert not reading.place("lr=0.00316").unranked  # the best run itself
    assert "cannot rank them" in reading.summary
    # the runs a half-decade further out end 40% above the best: still ranked, still placed
    assert reading.place("lr=0.000316").position == "too_low"
    assert reading.place("lr=0.0316").position == "too_high"
    assert not reading.place("lr=0.000316").unranked


def test_a_one_decade_grid_says_it_places_the_best_only_within_its_band():
    reading = analyze_sweep(bowl(2e-3, GRID))
    assert "the LRs tried are 10x apart: a grid this coarse" in reading.summary
    assert f"{reading.best_lr_low:.3g} and {reading.best_lr_high:.3g}" in reading.summary
    half_decade = [10 ** (k / 2) for k in range(-8, 1)]
    assert "x apart" not in analyze_sweep(bowl(2e-3, half_decade)).summary


def epoch_sweep() -> list[SweepRun]:
    """Round 19's fastText classifier in miniature: plain SGD, 20 epochs, one training and one
    validation point per epoch. The training loss keeps falling with the LR up to the highest;
    the validation loss ends lowest at 10^0.75 and turns up above it (those runs overfit)."""
    exps = (-0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5)
    trains = (1.2, 0.8, 0.45, 0.2, 0.1, 0.03, 0.015, 0.01, 0.007)
    vals = (1.25, 1.0, 0.8, 0.7, 0.63, 0.61, 0.64, 0.74, 1.17)
    epochs = np.arange(1, 21)
    runs = []
    for i, (e, train, val) in enumerate(zip(exps, trains, vals)):
        rng = np.random.default_rng(i)
        t = train + (2.2 - train) * np.exp(-epochs / 4)
        lowest = min(val, 0.61 + 0.02 * (i - 5)) if i > 5 else val
        v = lowest + (2.2 - lowest) * np.exp(-epochs / 3) + (val - lowest) * epochs / 20
        runs.append(SweepRun(f"lr={10 ** e:.3g}", 10 ** e,
                             Series(epochs, t * (1 + 0.01 * rng.standard_normal(20))),
                             Series(epochs, v)))
    return runs


def test_a_short_per_epoch_sweep_whose_best_runs_overfit_is_ranked_by_its_validation_loss():
    """Round 18's fastText sweep: 20 validation points, the best runs by the training loss
    overfit, no accuracy logged: the validation loss at the end ranks the runs (round 23), and
    the user's word still ranks them by the training loss."""
    reading = analyze_sweep(epoch_sweep())
    assert reading.ranked_by == "val_loss" and 10 ** 0.5 < reading.best_lr < 10 ** 1.0
    assert reading.validation_best_lr is None
    assert analyze_sweep(epoch_sweep(), rank_by="loss").best_lr > 10


def test_where_the_top_runs_are_level_the_estimate_stays_at_the_fits_peak():
    """Round 18: the runs at 1e-3 to 1e-2 end within one step's scatter of each other, the
    lowest at 1e-2; the estimate stays near the fit's peak (the middle of the level runs,
    3.16e-3, lost 14 of 128 corpus grids within 2x) and the band spans the level runs."""
    finals = [1.0, 0.7, 0.52, 0.51, 0.5, 0.7, 1.0]
    lrs = [1e-4, 10 ** -3.5, 1e-3, 10 ** -2.5, 1e-2, 10 ** -1.5, 0.1]
    runs = [SweepRun(f"lr={lr:.3g}", lr, curve(final, steps=4000, noise=0.1, seed=i))
            for i, (lr, final) in enumerate(zip(lrs, finals))]
    reading = analyze_sweep(runs)
    assert reading.best_lr > 10 ** -2.25
    assert reading.best_lr_low <= 1e-3 * (1 + 1e-9) and reading.best_lr_high >= 1e-2
    assert reading.place("lr=0.001").unranked


def label_noise_sweep() -> list[SweepRun]:
    """Round 23's mixup CNN with flipped labels in miniature: 40 epochs, one training and one
    validation point per epoch. The training loss keeps improving with the LR up to the
    highest but stops at a floor far above 0 (the noisy labels); the validation loss ends lowest
    at 10^-1.5 and ends over 10% above its own lowest above it (those runs overfit)."""
    exps = (-3.0, -2.75, -2.5, -2.25, -2.0, -1.75, -1.5, -1.25, -1.0)
    trains = (1.6, 1.35, 1.2, 1.1, 1.03, 0.98, 0.95, 0.93, 0.92)
    vals = (1.5, 1.25, 1.1, 1.0, 0.93, 0.9, 0.88, 1.0, 1.2)
    epochs = np.arange(1, 41)
    runs = []
    for i, (e, train, val) in enumerate(zip(exps, trains, vals)):
        rng = np.random.default_rng(i)
        t = train + (2.3 - train) * np.exp(-epochs / 6)
        lowest = 0.86 if i > 6 else val
        v = lowest + (2.3 - lowest) * np.exp(-epochs / 5) + (val - lowest) * epochs / 40
        runs.append(SweepRun(f"lr={10 ** e:.3g}", 10 ** e,
                             Series(epochs, t * (1 + 0.005 * rng.standard_normal(40))),
                             Series(epochs, v)))
    return runs


def test_a_training_loss_floor_does_not_keep_an_overfitting_sweep_off_its_validation_loss():
    """Round 23's noisy-label CNN: the training loss stops at a floor, the best runs by it
    overfit, no accuracy is logged: the validation loss at the end ranks the runs."""
    reading = analyze_sweep(label_noise_sweep())
    assert reading.ranked_by == "val_loss" and 10 ** -1.75 < reading.best_lr < 10 ** -1.25
    assert analyze_sweep(label_noise_sweep(), rank_by="loss").best_lr > 10 ** -1.25


def early_stopped_sweep(stops: dict[float, int]) -> list[SweepRun]:
    """A per-epoch sweep (100 epochs at most) whose loss floor is lowest at LR 1 and whose runs
    converge faster the higher the LR; the runs in ``stops`` end at that epoch. Validation
    loss 0.4 above the training loss, no overfitting."""
    runs = []
    for i, lr in enumerate((0.01, 0.03, 0.1, 0.3, 1.0, 3.0)):
        rng = np.random.default_rng(i)
        epochs = np.arange(1, stops.get(lr, 100) + 1)
        floor = 4.5 + 0.4 * math.log10(lr) ** 2
        level = floor + (9.0 - floor) * np.exp(-epochs * lr / 3)
        runs.append(SweepRun(f"lr={lr:g}", lr,
                             Series(epochs, level * (1 + 0.003 * rng.standard_normal(epochs.size))),
                             Series(epochs, level + 0.4 + 0.01 * rng.standard_normal(epochs.size))))
    return runs


def test_high_lrs_that_early_stopping_ended_first_rank_by_the_level_they_reached():
    # round 25's Penn Treebank RNN: the high LRs converge first and early stopping ends them
    # below what the runs that went the full 100 epochs reach; read as a tuner's prunes they
    # put the best at 0.1, told 0.3-3 to go down and asked to extend the grid above
    reading = analyze_sweep(early_stopped_sweep({0.3: 60, 1.0: 35, 3.0: 20}))
    assert reading.budget_step == 100 and reading.edge is None
    assert 0.5 <= reading.best_lr <= 2.0
    assert reading.best_lr_low <= 1.0 <= reading.best_lr_high
    assert reading.place("lr=1").position == "near_best"
    assert reading.place("lr=0.1").position == "too_low"
    assert not any(run.pruned for run in reading.runs)
    assert [reading.place(f"lr={lr:g}").level_step for lr in (0.3, 1.0, 3.0)] == [60, 35, 20]
    assert "extend the grid" not in reading.summary
    assert "LR 0.3, 1 and 3 stopped early (steps 60, 35 and 20)" in reading.summary
    assert "each is ranked by the level it reached" in reading.summary


def test_a_tuners_pruned_runs_still_read_by_their_lr_alone():
    # an Optuna-style sweep whose best is 0.1: the LRs above it learn no faster and level off
    # higher, and the tuner cuts them short (epochs 12, 8, 5) behind the best run at that epoch
    def run(lr: float, epochs: int, seed: int) -> SweepRun:
        e = np.arange(1, epochs + 1)
        level = 4.5 + 0.4 * math.log10(lr / 0.1) ** 2 + 4.0 * np.exp(-e / 10)
        noise = 1 + 0.003 * np.random.default_rng(seed).standard_normal(e.size)
        return SweepRun(f"lr={lr:g}", lr, Series(e, level * noise), Series(e, level + 0.4))

    full = [run(lr, 100, i) for i, lr in enumerate((0.003, 0.01, 0.03, 0.1))]
    pruned = [run(lr, epochs, 9) for lr, epochs in ((0.3, 12), (1.0, 8), (3.0, 5))]
    alone, reading = analyze_sweep(full), analyze_sweep(full + pruned)
    for lr in (0.3, 1.0, 3.0):
        place = reading.place(f"lr={lr:g}")
        assert place.pruned and place.position == "too_high"
    assert (reading.best_lr, reading.best_lr_low, reading.best_lr_high) == \
        (alone.best_lr, alone.best_lr_low, alone.best_lr_high)
    assert alone.edge == "high" and reading.edge is None  # worse above: the grid is closed
    assert "stopped early" not in reading.summary


def accuracy(final: float, epochs: np.ndarray, start: float = 0.1, peak_at: float = 1.0,
             drop: float = 0.0) -> Series:
    """A validation accuracy rising from ``start`` to ``final`` by ``peak_at`` of the run, then
    falling by ``drop`` to its end (an overfitting run's accuracy can slip as well)."""
    t = epochs / epochs.max()
    rise = np.minimum(1.0, t / (0.3 * peak_at))
    late = np.clip((t - peak_at) / max(1e-9, 1 - peak_at), 0, 1) if peak_at < 1 else 0 * t
    return Series(epochs, start + (final - start) * rise - drop * late)


def accuracy_sweep(accs: tuple[float, ...] = (0.85, 0.93, 0.97, 0.95, 0.92, 0.90),
                   scale: float = 1.0, name: str = "val_acc") -> list[SweepRun]:
    """``overfitting_sweep`` (the training loss best at 10^-2, the validation loss at
    10^-2.5, the two top runs' validation losses ending 50% above their lowest) whose runs also
    log a validation accuracy, best at 10^-3 (``accs``, x ``scale``: 100 for percent)."""
    epochs = np.arange(20, STEPS + 1, 20)
    return [replace(run, val_metric=Series(epochs, scale * accuracy(acc, epochs).values),
                    val_metric_name=name)
            for run, acc in zip(overfitting_sweep(), accs)]


def test_a_sweep_whose_runs_log_an_accuracy_is_ranked_by_it_before_either_loss():
    """Round 22: the sources that label a sweep by accuracy keep the runs whose accuracy is
    best; where every run logs it, it ranks the runs (each run's best, since some runs
    overfit), and the summary says so, naming it."""
    reading = analyze_sweep(accuracy_sweep())
    assert reading.ranked_by == "best_val_metric"
    assert 10 ** -3.3 < reading.best_lr < 10 ** -2.7
    assert reading.validation_best_lr is None and "not in the curves" not in reading.summary
    assert "by their best val_acc (higher is better" in reading.summary
    by_lr = {round(math.log10(p.lr), 2): p.position for p in reading.runs}
    assert by_lr[-3.0] == "near_best" and by_lr[-1.5] == "too_high" and by_lr[-4.0] == "too_low"
    assert reading.to_dict()["ranked_by"] == "best_val_metric"
    assert analyze_sweep(overfitting_sweep()).ranked_by == "val_loss"  # no accuracy (round 23)


def test_an_accuracy_in_percent_ranks_the_runs_as_the_same_accuracy_in_fractions():
    fraction = analyze_sweep(accuracy_sweep())
    percent = analyze_sweep(accuracy_sweep(scale=100.0))
    assert percent.best_lr == pytest.approx(fraction.best_lr, rel=1e-6)
    assert [p.position for p in percent.runs] == [p.position for p in fraction.runs]


def test_where_no_run_overfits_the_accuracy_at_the_budget_ranks_the_runs():
    runs = [replace(run, val_loss=None) for run in accuracy_sweep()]
    reading = analyze_sweep(runs)
    assert reading.ranked_by == "val_metric" and 10 ** -3.3 < reading.best_lr < 10 ** -2.7
    assert "by their val_acc (higher is better)" in reading.summary


def test_where_one_run_lacks_the_accuracy_the_losses_rank_the_sweep_as_before():
    runs = accuracy_sweep()
    runs[2] = replace(runs[2], val_metric=None)
    assert analyze_sweep(runs).ranked_by == analyze_sweep(overfitting_sweep()).ranked_by \
        == "val_loss"


def test_the_user_can_rank_by_the_accuracy_or_by_a_loss_and_is_told_when_none_is_logged():
    assert analyze_sweep(accuracy_sweep(), rank_by="val_metric").ranked_by == "val_metric"
    chosen = analyze_sweep(accuracy_sweep(), rank_by="loss")
    assert chosen.ranked_by == "loss" and chosen.best_lr > 10 ** -2.25
    by_val = analyze_sweep(accuracy_sweep(), rank_by="val_loss")
    assert by_val.ranked_by == "val_loss" and 10 ** -3 < by_val.best_lr < 10 ** -2.25
    with pytest.raises(ConfigError, match="needs a validation metric"):
        analyze_sweep(overfitting_sweep(), rank_by="best_val_metric")


def test_where_the_validation_loss_ranks_a_sweep_a_logged_accuracy_leaves_it_so():
    """No run overfits: the validation loss at the budget ranks the runs, accuracy logged or not
    (round 22: the metric settles only what the losses cannot)."""
    runs = [replace(run, val_metric=Series(np.arange(20, STEPS + 1, 20),
                                           np.full(STEPS // 20, 0.9)))
            for run in bowl(1e-2, GRID)]
    epochs = np.arange(20, STEPS + 1, 20)
    runs = [replace(run, val_loss=Series(epochs, np.full(epochs.size, 0.5 + 0.3 * math.log10(
        run.lr / 1e-2) ** 2))) for run in runs]
    reading = analyze_sweep(runs)
    assert reading.ranked_by == "val_loss" and 10 ** -2.3 < reading.best_lr < 10 ** -1.7


@pytest.mark.parametrize("scale", [1.0, 100.0])
def test_accuracies_within_a_point_of_the_best_are_not_ranked_against_it(scale):
    """Half a point below the best run's accuracy (fraction or percent) is within the metric's
    noise: unranked, inside the band; two points below is ranked."""
    reading = analyze_sweep(accuracy_sweep((0.85, 0.93, 0.97, 0.965, 0.92, 0.90), scale))
    by_lr = {round(math.log10(p.lr), 2): p for p in reading.runs}
    assert by_lr[-2.5].unranked and reading.best_lr_high >= 10 ** -2.5
    ranked = analyze_sweep(accuracy_sweep(scale=scale))
    assert not {round(math.log10(p.lr), 2): p for p in ranked.runs}[-2.5].unranked


def test_an_overfitting_sweep_that_logs_no_accuracy_is_ranked_by_its_validation_loss():
    """Round 23: where the best runs by the training loss overfit and no accuracy is logged,
    the validation loss at the budget (the model each run ends with) ranks the runs, not the
    training loss (the made sweeps labelled by a test loss: the training loss 3-37x off); the
    summary says so, and the user's word still ranks by the training loss."""
    reading = analyze_sweep(overfitting_sweep())
    assert reading.ranked_by == "val_loss" and 10 ** -3 < reading.best_lr < 10 ** -2.25
    assert reading.validation_best_lr is None and reading.disputed_lrs is None
    assert "by their validation loss" in reading.summary
    assert "not in the curves" not in reading.summary
    by_lr = {round(math.log10(p.lr), 2): p.position for p in reading.runs}
    assert by_lr[-1.5] == "too_high" and by_lr[-4.0] == "too_low"
    assert reading.to_dict()["ranked_by"] == "val_loss"
    chosen = analyze_sweep(overfitting_sweep(), rank_by="loss")
    assert chosen.ranked_by == "loss" and chosen.best_lr > 10 ** -2.25


def test_an_overfitting_sweep_that_logs_an_accuracy_is_still_ranked_by_the_accuracy():
    reading = analyze_sweep(accuracy_sweep())
    assert reading.ranked_by == "best_val_metric" and 10 ** -3.3 < reading.best_lr < 10 ** -2.7


def test_a_sweep_whose_runs_do_not_overfit_reads_as_before():
    """No run overfits: the validation loss at the budget ranks it, as it did before round 23;
    no validation loss: the training loss does."""
    epochs = np.arange(20, STEPS + 1, 20)
    runs = [replace(run, val_loss=Series(epochs, 0.5 + 0.3 * math.log10(run.lr / 1e-2) ** 2
                                          + 0.5 * np.exp(-epochs / 100)))
            for run in bowl(1e-2, GRID)]
    reading = analyze_sweep(runs)
    assert reading.ranked_by == "val_loss" and 10 ** -2.3 < reading.best_lr < 10 ** -1.7
    assert reading.best_lr == analyze_sweep(runs, rank_by="val_loss").best_lr
    plain = analyze_sweep(bowl(1e-2, GRID))
    assert plain.ranked_by == "loss" and 10 ** -2.3 < plain.best_lr < 10 ** -1.7


def test_an_overfitting_sweep_of_four_lrs_is_still_ranked_by_the_training_loss():
    """Below ``OVERFIT_VAL_LRS`` LRs the training loss still ranks an overfitting sweep with no
    accuracy, and the validation loss's best is read beside it (round 23: on 3-LR sweeps the
    validation loss told runs labelled keep to reduce up to 12.5x)."""
    reading = analyze_sweep(overfitting_sweep()[1:5])
    assert reading.ranked_by == "loss"
    assert reading.validation_best_lr is not None
    assert "which loss ranks them is not in the curves" in reading.summary


def scale_shift_sweep(train_end: float) -> list[SweepRun]:
    """A per-epoch sweep whose validation loss is on another scale than its training loss (a
    Cox partial likelihood over the whole validation set against one over each batch): the
    training loss falls from 3.2 to ``train_end``, the validation loss ends at 5.25 within 1%
    at every LR."""
    epochs = np.arange(1, 21)
    runs = []
    for i, lr in enumerate([1e-3, 1.78e-3, 3.16e-3, 5.62e-3, 1e-2]):
        rng = np.random.default_rng(i)
        train = train_end + (3.2 - train_end) * np.exp(-epochs / 5)
        val = 5.25 * (1 + 0.002 * (i % 3)) + 0.3 * np.exp(-epochs / 3)
        runs.append(SweepRun(f"lr={lr:g}", lr,
                             Series(epochs, train * (1 + 0.005 * rng.standard_normal(20))),
                             Series(epochs, val)))
    return runs


def test_a_validation_loss_on_another_scale_than_the_training_loss_can_still_read_flat():
    """Whether the runs learned is read on the training loss, the scale it started on: the
    validation loss at 5.25 is no sign of 'nothing learned' beside a training loss that
    started at 3.2 (round 36's DeepSurv sweep, flat within 1.2% by its test loss, was not)."""
    learned = analyze_sweep(scale_shift_sweep(train_end=2.4))
    assert learned.ranked_by == "val_loss"
    assert learned.flat and {r.position for r in learned.runs} == {"near_best"}
    stuck = analyze_sweep(scale_shift_sweep(train_end=3.1))
    assert not stuck.flat


def fine_tune_sweep(val_start: float) -> list[SweepRun]:
    """A fine-tune sweep from one set of pretrained weights: the training loss falls only 4%
    (2.65 -> 2.55) at every LR, the validation loss falls from ``val_start`` (where the lowest
    LR's first evaluation still sits; higher LRs have moved further by theirs) and ends at 2.46
    within 1% at every LR."""
    steps = np.arange(10, 310, 10)
    evals = np.arange(10, 310, 30)
    runs = []
    for i, lr in enumerate([3.16e-4, 5.62e-4, 1e-3, 1.78e-3]):
        rng = np.random.default_rng(i)
        train = 2.55 + 0.1 * np.exp(-steps / 100)
        reached = 1 - np.exp(-evals * (i + 1) / 60)
        val = val_start + (2.46 * (1 + 0.003 * (i % 2)) - val_start) * reached
        runs.append(SweepRun(f"lr={lr:g}", lr,
                             Series(steps, train * (1 + 0.003 * rng.standard_normal(steps.size))),
                             Series(evals, val)))
    return runs


def test_a_fine_tune_whose_validation_loss_fell_reads_flat_though_its_training_loss_barely_moved():
    """Whether the runs learned is also read on the validation loss that ranks them, against
    where it started (round 38's LoRA fine-tune: training loss 3-4% lower, the validation loss
    14% lower, flat within 1% by its test loss, was not called flat)."""
    learned = analyze_sweep(fine_tune_sweep(val_start=2.9))
    assert learned.ranked_by == "val_loss"
    assert learned.flat and {r.position for r in learned.runs} == {"near_best"}
    unmoved = analyze_sweep(fine_tune_sweep(val_start=2.5))
    assert unmoved.ranked_by == "val_loss" and not unmoved.flat


def prompt_tuning_sweep(val_end: float) -> list[SweepRun]:
    """A soft prompt trained at 7 LRs from 0.1 to 100: the training loss rises 2% at every LR,
    the validation loss moves from 2.93 to ``val_end`` (within 1% across the LRs)."""
    steps = np.arange(10, 310, 10)
    evals = np.arange(10, 310, 30)
    runs = []
    for i, lr in enumerate(np.geomspace(0.1, 100, 7)):
        rng = np.random.default_rng(i)
        train = np.linspace(2.87, 2.93, steps.size)
        val = 2.93 + (val_end * (1 + 0.002 * (i % 3)) - 2.93) * (1 - np.exp(-evals / 60))
        runs.append(SweepRun(f"lr={lr:g}", float(lr),
                             Series(steps, train * (1 + 0.003 * rng.standard_normal(steps.size))),
                             Series(evals, val)))
    return runs


def test_a_validation_loss_5_percent_down_at_every_lr_reads_flat():
    """A fine-tune's validation loss starts near its floor: 5% down at every LR over three
    decades is learning that does not depend on the LR, not 'nothing learned, extend the grid
    above' (sweep round 26: round 45's prompt tuning, 5.6% down, read best LR 100, edge high)."""
    reading = analyze_sweep(prompt_tuning_sweep(val_end=2.74))
    assert reading.ranked_by == "val_loss"
    assert reading.flat and reading.edge is None, reading.summary
    assert {r.position for r in reading.runs} == {"near_best"}
    unmoved = analyze_sweep(prompt_tuning_sweep(val_end=2.88))  # 1.7% down: nothing learned
    assert not unmoved.flat and "may not be what holds this model back" in unmoved.summary
