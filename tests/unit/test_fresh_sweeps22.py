"""Round 22's made held-out sweeps (``fresh_sweeps22.py``): a byte transformer LM pretrained on
``typing.py`` under Lion with a warmup, a cosine and gradient clipping; a DDPM noise-prediction
MLP on digits under Adam; a wide-and-deep Poisson regression of synthetic claim counts under
plain SGD with a step decay, one point per epoch; each with a floor no run passes (the text's
entropy, the noise no model can tell, the counts' Poisson noise); and the committed truths are
what the generator makes. The checks every round shares (labels by place, grids, new families,
the manifest's side) run in ``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and
``test_realworld_sides.py``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from benchmarks.realworld import fresh_sweeps22 as gen
from tests.unit.test_fresh_sweeps7 import (RETRAINED_REL,
                                           assert_logged_every_10th_step_and_each_epochs_val,
                                           retrain_best)

SUMMARIES = json.loads(gen.OUT.read_text())
GPT, DM, WD = ("fresh-gpt_typing_lion_cosine", "fresh-ddpm_digits_mlp_adam",
               "fresh-widedeep_claims_poisson_sgd_step")


def _best_final(name: str) -> float:
    s = SUMMARIES[name]
    return min(f for f in s["final_eval_losses"] if f is not None)


def test_the_families_train_with_the_optimizers_and_schedules_the_plan_names() -> None:
    gpt, dm, wd = gen.plan()
    assert [s.meta["optimizer"] for s in gen.plan()] == ["Lion", "Adam", "SGD"]
    assert (gpt.meta["clip"], gpt.meta["warmup_steps"]) == (1.0, 40)
    assert gpt.meta["schedule"] == "linear warmup 40, cosine to 0.1x"
    assert (dm.meta["schedule"], dm.meta["clip"]) == ("constant", None)
    assert (wd.meta["momentum"], wd.meta["schedule"]) == (0.0, "StepLR x0.5 every 10 epochs")
    assert not any(s.meta["fine_tune"] for s in gen.plan())
    # the grids cover what users pick (the generator's docstring): Lion for small LMs 1e-4 to
    # 1e-3 (the grid moved up a decade from 1e-5); Adam for diffusion 2e-4 to 1e-3; plain SGD on
    # a Poisson model 1e-3 to 0.1
    assert min(gpt.lrs) <= 1e-4 and max(gpt.lrs) >= 1e-3
    assert min(dm.lrs) <= 2e-4 and max(dm.lrs) >= 1e-3
    assert min(wd.lrs) <= 1e-3 and max(wd.lrs) >= 0.1
    assert all(len(s.lrs) == 13 for s in gen.plan())


def test_lion_steps_by_the_sign_and_decays_the_weights() -> None:
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
    opt = gen.Lion([p], lr=0.1, weight_decay=0.5)
    p.grad = torch.tensor([0.3, -5.0, 0.0])
    opt.step()
    # each weight shrunk by lr * wd, then moved by lr against its gradient's sign (0 stays)
    assert torch.allclose(p.detach(), torch.tensor([1.0, -2.0, 3.0]) * 0.95
                          - 0.1 * torch.tensor([1.0, -1.0, 0.0]))
    assert torch.allclose(opt.state[p]["exp_avg"], 0.01 * torch.tensor([0.3, -5.0, 0.0]))


def test_the_schedules_warm_up_and_decay() -> None:
    factors = [gen.warmup_cosine(s) for s in range(gen.GPT_STEPS)]
    assert factors[0] == pytest.approx(1 / 40) and factors[39] == pytest.approx(1.0)
    assert factors[40] == pytest.approx(1.0) and factors[-1] == pytest.approx(0.1, abs=1e-4)


def test_the_logging_is_dense_enough_to_judge() -> None:
    gpt, dm, wd = gen.plan()
    assert gpt.steps // gen.LOG_EVERY >= 30 and dm.steps // gen.LOG_EVERY >= 30
    assert gen.DM_STEPS_PER_EPOCH % gen.LOG_EVERY == 0
    assert gen.WD_EPOCHS >= 30  # one point per epoch
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_lm_learns_typing_py_and_stays_far_from_zero() -> None:
    train, val, test = gen.typing_source()
    assert len(train) == pytest.approx(8 * len(test), abs=8) and int(train.max()) < 128
    best = _best_final(GPT)
    assert 0.5 < best < 0.7 * SUMMARIES[GPT]["start_eval_losses"][0]


def test_the_ddpm_noises_digits_and_no_run_predicts_all_the_noise() -> None:
    (xtr,), (xva,), (xte,) = gen.digits()
    assert (len(xtr), len(xva), len(xte)) == (gen.DM_TRAIN, gen.DM_VAL, gen.DM_TEST)
    assert float(xtr.min()) == -1.0 and float(xtr.max()) == 1.0
    ab = gen.alphas_bar()
    assert ab[0] > 0.99 and ab[-1] < 0.01  # from nearly the data to nearly pure noise
    x, t, eps = gen.noised(xte, torch.Generator().manual_seed(0))
    assert x.shape == eps.shape == (gen.DM_TEST, 64) and int(t.max()) < gen.DM_T
    assert gen.Denoiser()(x[:5], t[:5]).shape == (5, 64)
    assert 0.2 < _best_final(DM) < SUMMARIES[DM]["start_eval_losses"][0]


def test_the_claims_come_from_their_rates_and_no_run_passes_their_noise() -> None:
    (ctr, ntr, ytr), _, (cte, nte, yte) = gen.claims()
    assert ctr.shape == (gen.WD_TRAIN, 4) and ntr.shape == (gen.WD_TRAIN, gen.WD_NUMERIC)
    assert all(int(ctr[:, k].max()) < c for k, c in enumerate(gen.WD_CARDS))
    assert 0.2 < float(ytr.mean()) < 1.0 and float(ytr.max()) >= 3  # counts, mostly 0
    assert gen.WideAndDeep()(ctr[:5], ntr[:5]).shape == (5,)
    # the floor: the test counts' Poisson NLL (no Stirling term) under their true rates
    rate = gen.claims_table()[2][-gen.WD_TEST:]
    floor = float(np.mean(rate - yte.numpy() * np.log(rate)))
    assert 0.4 < floor < _best_final(WD)


def test_no_familys_best_run_removes_90_percent_of_its_loss() -> None:
    for s in SUMMARIES.values():
        i = s["lrs"].index(s["best_lr"])
        assert s["final_eval_losses"][i] > 0.1 * s["start_eval_losses"][i]


@pytest.mark.parametrize(("name", "run_of", "epochs", "per_epoch"), [
    (DM, gen.ddpm_run, gen.DM_EPOCHS, gen.DM_STEPS_PER_EPOCH)], ids=["ddpm"])
def test_the_committed_truths_are_what_the_generator_makes(name, run_of, epochs, per_epoch,
                                                           tmp_path) -> None:
    """The DDPM at its best LR, retrained (a second or two of CPU): the committed final test
    loss, which the logged validation losses are not; its CSV holds every 10th step and a
    val_loss at each epoch's end at a constant LR."""
    run, s, i = retrain_best(SUMMARIES, name, run_of)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    assert run.log.final_val != pytest.approx(run.test, rel=1e-3)
    cols = assert_logged_every_10th_step_and_each_epochs_val(run, tmp_path, epochs, per_epoch)
    assert min(cols["lr"]) == pytest.approx(max(cols["lr"])) == pytest.approx(s["lrs"][i])
    assert math.isfinite(run.test)


def test_the_wide_and_deep_truth_is_what_the_generator_makes_one_point_an_epoch() -> None:
    """The wide-and-deep at its best LR, retrained (a few CPU seconds): the committed test loss;
    one row per epoch, the LR halved every 10 epochs."""
    run, s, i = retrain_best(SUMMARIES, WD, gen.widedeep_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.by_epoch and [r[0] for r in run.log.rows] == list(range(1, gen.WD_EPOCHS + 1))
    lrs = [r[2] for r in run.log.rows]
    assert lrs[0] == pytest.approx(s["lrs"][i]) and lrs[-1] == pytest.approx(lrs[0] / 4)
    assert sorted(run.log.val) == list(range(1, gen.WD_EPOCHS + 1))
