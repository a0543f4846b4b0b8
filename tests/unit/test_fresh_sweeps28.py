"""Round 28's made held-out sweeps (``fresh_sweeps28.py``): a character LSTM LM pretrained here
on ``pickle.py`` and fine-tuned on ``shlex.py`` under AdamW with a warmup and a linear decay; a
regression MLP on a smooth target with Gaussian noise under Adamax with ReduceLROnPlateau, one
point per epoch; each with a floor no run passes (the text's entropy, the target's noise), and
the committed truths are what the generator makes. The checks every round shares (labels by
place, grids, new families, the manifest's side) run in ``test_made_rounds.py``,
``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from benchmarks.realworld import fresh_sweeps28 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())
FT, RG = "fresh-lstm_ft_shlex_adamw_linear", "fresh-mlp_smoothreg_adamax_plateau"


def _best_final(name: str) -> float:
    s = SUMMARIES[name]
    return min(f for f in s["final_eval_losses"] if f is not None)


def test_the_families_train_with_the_optimizers_and_schedules_the_plan_names() -> None:
    ft, rg = gen.plan()
    assert [s.meta["optimizer"] for s in gen.plan()] == ["AdamW", "Adamax"]
    assert ft.meta["fine_tune"] and ft.meta["schedule"].startswith("linear warmup 30 (10%)")
    assert rg.meta["schedule"].startswith("ReduceLROnPlateau") and rg.meta["loss"] == "MSE"
    # the grids cover what users pick (the generator's docstring): fine-tuning LRs under AdamW
    # 1e-4 to 1e-2; Adamax 1e-3 to 1e-2
    assert min(ft.lrs) <= 1e-4 and max(ft.lrs) >= 1e-2
    assert min(rg.lrs) <= 1e-3 and max(rg.lrs) >= 1e-2
    assert all(len(s.lrs) == 13 for s in gen.plan())


def test_the_logging_is_dense_enough_to_judge() -> None:
    assert gen.FT_STEPS // gen.LOG_EVERY >= 30
    assert gen.RG_EPOCHS >= 30  # one point per epoch
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_warmup_then_linear_decay_schedule() -> None:
    factors = [gen.warmup_linear(k) for k in range(gen.FT_STEPS)]
    assert factors[0] == pytest.approx(1 / gen.FT_WARMUP)
    assert max(factors) == factors[gen.FT_WARMUP - 1] == 1.0
    assert factors[-1] == 0.0 and gen.FT_WARMUP == 0.1 * gen.FT_STEPS


def test_the_fine_tune_starts_from_the_pretrained_lstm_and_stays_above_the_texts_entropy() -> None:
    train_part, _, test_part = gen.shlex_source()
    assert len(train_part) > 7 * len(test_part) > 0 and int(train_part.max()) < 128
    s = SUMMARIES[FT]
    # the pretrained model already predicts code bytes far better than chance (ln 256 = 5.55)
    assert all(v == pytest.approx(s["start_eval_losses"][0]) for v in s["start_eval_losses"])
    assert s["start_eval_losses"][0] < 0.5 * math.log(256)
    # the fine-tune improved on the pretrained model, and the text's floor held (no 90% fall)
    assert 0.1 * s["start_eval_losses"][0] < _best_final(FT) < s["start_eval_losses"][0]


def test_the_regression_stays_above_its_noise() -> None:
    (xtr, ytr), (xva, _), (xte, yte) = gen.smooth_table()
    assert xtr.shape == (gen.RG_TRAIN, gen.RG_FEATURES) and len(xva) == gen.RG_VAL
    assert len(xte) == gen.RG_TEST
    assert gen.regression_mlp()(xte[:5]).shape == (5, 1)
    floor = gen.RG_NOISE ** 2
    assert floor < _best_final(RG) < 0.75 * SUMMARIES[RG]["start_eval_losses"][0]


def test_no_familys_best_run_removes_90_percent_of_its_loss() -> None:
    for s in SUMMARIES.values():
        i = s["lrs"].index(s["best_lr"])
        assert s["final_eval_losses"][i] > 0.1 * s["start_eval_losses"][i]


def test_the_regressions_truth_is_what_the_generator_makes_one_point_an_epoch() -> None:
    """The MLP at its best LR, retrained (under a CPU second): the committed test MSE; one row
    per epoch, the LR only ever halved by the plateau, a ``val_loss`` after each epoch."""
    run, s, i = retrain_best(SUMMARIES, RG, gen.mlp_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    epochs = [r[0] for r in run.log.rows]
    assert run.by_epoch and epochs == list(range(1, gen.RG_EPOCHS + 1))
    lrs = np.array([r[2] for r in run.log.rows])
    assert lrs[0] == pytest.approx(s["lrs"][i]) and np.all(np.diff(lrs) <= 0)
    assert set(np.round(np.log2(lrs[0] / lrs), 6)) <= set(float(k) for k in range(20))
    assert sorted(run.log.val) == epochs
    assert run.test not in run.log.val.values()
