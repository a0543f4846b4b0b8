"""Round 30's made held-out sweeps (``fresh_sweeps30.py``): a GRU forecaster of noisy sums of
sines with drift under RMSprop with clipping; a CNN pretrained on digits 0-4 and fine-tuned on
noisy digits 5-9 under SGD with momentum and a step decay; each with a floor no run passes (the
series' noise, the pixel noise and flipped labels), and the committed truths are what the
generator makes. The checks every round shares (labels by place, grids, new families, the
manifest's side) run in ``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and
``test_realworld_sides.py``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from benchmarks.realworld import fresh_sweeps30 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())
FC, FT = "fresh-gru_sines_rmsprop_clip", "fresh-cnn_ft_digits_sgdm_step"


def _best_final(name: str) -> float:
    s = SUMMARIES[name]
    return min(f for f in s["final_eval_losses"] if f is not None)


def test_the_families_train_with_the_optimizers_and_schedules_the_plan_names() -> None:
    fc, ft = gen.plan()
    assert [s.meta["optimizer"] for s in gen.plan()] == ["RMSprop", "SGD"]
    assert fc.meta["clip"] == 1.0 and fc.meta["schedule"] == "constant"
    assert fc.meta["loss"] == "MSE"
    assert ft.meta["momentum"] == 0.9 and ft.meta["fine_tune"] is True
    assert ft.meta["schedule"] == "StepLR x0.1 every 7 epochs"
    # the grids cover what users pick (the generator's docstring): RMSprop 1e-3 to 1e-2, SGD
    # with momentum on a pretrained CNN the tutorial's 1e-3 to 1e-2
    assert min(fc.lrs) <= 1e-3 and max(fc.lrs) >= 1e-2
    assert min(ft.lrs) <= 1e-3 and max(ft.lrs) >= 1e-2
    assert all(len(s.lrs) == 13 for s in gen.plan())


def test_the_logging_is_dense_enough_to_judge() -> None:
    assert gen.FC_STEPS // gen.LOG_EVERY >= 30
    assert gen.FT_EPOCHS * gen.FT_STEPS_PER_EPOCH // gen.LOG_EVERY >= 30
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_forecaster_reads_windows_less_their_level_and_predicts_the_next_points() -> None:
    train_s, val_s, test_s = gen.sine_series()
    assert train_s.shape == (gen.FC_TRAIN, gen.FC_LEN) and len(val_s) == gen.FC_VAL
    assert len(test_s) == gen.FC_TEST
    x, y = gen.forecast_windows(test_s, 64, torch.Generator().manual_seed(0))
    assert x.shape == (64, gen.FC_IN, 1) and y.shape == (64, gen.FC_AHEAD)
    assert x.mean(1).abs().max() < 1e-5  # each window less its own mean
    assert gen.GRUForecaster()(x).shape == y.shape


def test_the_forecaster_stays_above_the_noise_floor() -> None:
    s = SUMMARIES[FC]
    floor = gen.FC_NOISE ** 2  # the next points' noise no forecast can know
    assert 2 * floor < _best_final(FC) < 0.5 * s["start_eval_losses"][0]


def test_the_fine_tune_starts_from_weights_pretrained_on_the_other_digits() -> None:
    (xp, yp), ((xtr, ytr), (xva, _), (xte, yte)) = gen.digit_halves()
    assert set(yp.tolist()) == set(range(5)) and len(xtr) == gen.FT_TRAIN
    assert len(xva) == gen.FT_VAL and len(xte) > 400 and set(ytr.tolist()) == set(range(5))
    model = gen.DigitsCNN()
    model.features.load_state_dict(gen.pretrained())

    @torch.no_grad()
    def nearest_mean_accuracy(features: torch.nn.Module) -> float:
        f = features.eval()(xp)
        means = torch.stack([f[yp == k].mean(0) for k in range(5)])
        return float((torch.cdist(f, means).argmin(1) == yp).float().mean())
    # the pretrained features separate the digits they learned, far better than fresh ones
    assert nearest_mean_accuracy(model.features) > 0.9
    assert nearest_mean_accuracy(model.features) > nearest_mean_accuracy(
        gen.DigitsCNN().features) + 0.05


def test_the_fine_tune_stays_above_its_noisy_labels_floor() -> None:
    s = SUMMARIES[FT]
    # 5% of the labels drawn to another digit and noisy pixels: far above 0
    assert 0.5 < _best_final(FT) < 0.5 * s["start_eval_losses"][0]


def test_no_familys_best_run_removes_90_percent_of_its_loss() -> None:
    for s in SUMMARIES.values():
        i = s["lrs"].index(s["best_lr"])
        assert s["final_eval_losses"][i] > 0.1 * s["start_eval_losses"][i]


def test_the_fine_tune_truth_is_what_the_generator_makes() -> None:
    """The fine-tune at its best LR, retrained (a few CPU seconds): the committed test loss; a
    row every 10 steps, the LR divided by 10 after 7 and 14 epochs, a ``val_loss`` each
    epoch."""
    run, s, i = retrain_best(SUMMARIES, FT, gen.finetune_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    steps = [r[0] for r in run.log.rows]
    assert steps == list(range(gen.LOG_EVERY, gen.FT_EPOCHS * gen.FT_STEPS_PER_EPOCH + 1,
                               gen.LOG_EVERY))
    lrs = np.array([r[2] for r in run.log.rows])
    epoch = (np.array(steps) - 1) // gen.FT_STEPS_PER_EPOCH
    assert lrs == pytest.approx(s["lrs"][i] * gen.FT_GAMMA ** (epoch // gen.FT_STEP_EPOCHS))
    assert sorted(run.log.val) == list(range(gen.FT_STEPS_PER_EPOCH,
                                             gen.FT_EPOCHS * gen.FT_STEPS_PER_EPOCH + 1,
                                             gen.FT_STEPS_PER_EPOCH))
    assert run.test not in run.log.val.values()
    assert not math.isnan(run.test)
