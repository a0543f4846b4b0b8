"""Round 24's made held-out sweeps (``fresh_sweeps24.py``): a tiny GPT-2 built from a config and
trained by the Hugging Face ``Trainer`` on ``tarfile.py``, logged in its own
``trainer_state.json``; DeepSets on synthetic point sets under NAdam at a constant LR; a 1-D CNN
regressor on waves with heavy-tailed targets under the Huber loss, Adam and an exponential
decay, one point per epoch; each with a floor no run passes (the text's entropy, the targets'
noise), and the committed truths are what the generator makes. The checks every round shares
(labels by place, grids, new families, the manifest's side) run in ``test_made_rounds.py``,
``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from benchmarks.realworld import fresh_sweeps24 as gen
from benchmarks.realworld import read_csv
from benchmarks.realworld.fresh_sweeps8 import read_tested
from tests.helpers.text import unigram_nats
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())
HF, DS, WV = (f"fresh-{gen.HF_FAMILY}", "fresh-deepsets_pointsets_nadam_const",
              "fresh-cnn1d_waves_heavytail_huber_adam_exp")


def _best_final(name: str) -> float:
    s = SUMMARIES[name]
    return min(f for f in s["final_eval_losses"] if f is not None)


def test_the_families_train_with_the_optimizers_and_schedules_the_plan_names() -> None:
    hf, ds, wv = gen.plan()
    assert [s.meta["optimizer"] for s in gen.plan()] == ["AdamW", "NAdam", "Adam"]
    assert (hf.meta["clip"], hf.meta["warmup_steps"]) == (1.0, 30)
    assert hf.meta["schedule"].startswith("linear warmup 10%, linear decay to 0")
    assert (ds.meta["schedule"], ds.meta["clip"]) == ("constant", None)
    assert wv.meta["schedule"] == "exponential x0.93 per epoch" and wv.meta["epochs"] >= 30
    assert not any(s.meta["fine_tune"] for s in gen.plan())
    # the grids cover what users pick (the generator's docstring): AdamW for a small GPT-2
    # from scratch 3e-4 to 3e-3; NAdam 1e-3 to 1e-2 (its default 2e-3); Adam 1e-3 to 1e-2
    assert min(hf.lrs) <= 3e-4 and max(hf.lrs) >= 3e-3
    assert min(ds.lrs) <= 1e-3 and max(ds.lrs) >= 1e-2
    assert min(wv.lrs) <= 1e-3 and max(wv.lrs) >= 1e-2
    assert all(len(s.lrs) == 13 for s in gen.plan())


def test_the_logging_is_dense_enough_to_judge() -> None:
    hf, ds, _ = gen.plan()
    assert hf.steps // gen.LOG_EVERY >= 30 and ds.steps // gen.LOG_EVERY >= 30
    assert gen.WV_EPOCHS >= 30  # one point per epoch
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_deepsets_ignores_the_order_of_a_sets_points_and_no_run_passes_the_noise() -> None:
    (xtr, ytr), _, (xte, _) = gen.point_sets()
    assert xtr.shape == (gen.DS_TRAIN, gen.DS_POINTS, 2) and len(xte) == gen.DS_TEST
    model = gen.DeepSets().eval()
    with torch.no_grad():
        assert torch.allclose(model(xtr[:4]), model(xtr[:4, torch.randperm(gen.DS_POINTS)]),
                              atol=1e-5)
    assert abs(float(ytr.mean())) < 0.1  # a standardized target, plus the noise
    # the floor: the noise's variance, which no function of the set can predict
    assert gen.DS_NOISE ** 2 < _best_final(DS) < 0.75 * SUMMARIES[DS]["start_eval_losses"][0]


def test_the_wave_targets_are_heavy_tailed_and_the_cnn_stays_above_their_noise() -> None:
    (xtr, ytr), (xva, _), (xte, _) = gen.waves()
    assert xtr.shape == (gen.WV_TRAIN, 1, gen.WV_LEN) and len(xva) == gen.WV_VAL
    assert gen.WaveCNN()(xte[:5]).shape == (5,)
    y = ytr.numpy()
    z = (y - y.mean()) / y.std()
    assert np.mean(z ** 4) > 6  # kurtosis far above a Gaussian's 3: Student-t noise, df 2
    # the Student-t noise's own Huber loss (scale 0.3) is the floor
    rng = np.random.default_rng(0)
    noise = torch.tensor(gen.WV_NOISE * rng.standard_t(gen.WV_DF, 200_000))
    floor = float(torch.nn.functional.huber_loss(noise, torch.zeros_like(noise)))
    assert floor < _best_final(WV) < 0.75 * SUMMARIES[WV]["start_eval_losses"][0]


def test_the_gpt2_learns_tarfile_beyond_its_byte_frequencies() -> None:
    train, _, test = gen.tarfile_source()
    assert len(train) == pytest.approx(8 * len(test), abs=8) and int(train.max()) < 128
    start = SUMMARIES[HF]["start_eval_losses"][0]
    assert _best_final(HF) < min(unigram_nats(train, test), 0.6 * start)


def test_no_familys_best_run_removes_90_percent_of_its_loss() -> None:
    for s in SUMMARIES.values():
        i = s["lrs"].index(s["best_lr"])
        assert s["final_eval_losses"][i] > 0.1 * s["start_eval_losses"][i]


def test_the_gpt2s_truth_is_what_the_trainer_makes_and_its_log_is_the_trainers_own(
        tmp_path) -> None:
    """The GPT-2 at its best LR, retrained by the Trainer (a few CPU seconds): the committed
    test loss, which no eval_loss is; its trainer_state.json as the Trainer saved it, read
    alike by lrwatch's reader and the cache's CSV: every 10 steps, an eval at each epoch's end,
    the LR warmed up then decayed linearly."""
    from lrwatch.readers.hftrainer import read_trainer_state

    (run, state), s, i = retrain_best(SUMMARIES, HF, gen.hf_gpt2_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    gen.write_hf(tmp_path, "fresh-x-lr0.001", run, state)
    path = tmp_path / "fresh-x-lr0.001.hf" / "trainer_state.json"
    assert json.loads(path.read_text())["logging_steps"] == gen.LOG_EVERY
    curves = read_trainer_state((path,)).curves
    cols = read_csv(tmp_path / "fresh-x-lr0.001.csv")
    every = list(range(gen.LOG_EVERY, gen.HF_STEPS + 1, gen.LOG_EVERY))
    assert curves.loss.steps.tolist() == cols["step"].tolist() == every
    assert np.allclose(curves.loss.values, cols["loss"])
    lrs = cols["lr"]  # each record's LR is the one its step used: warmup over 30 steps
    assert lrs[0] < lrs[1] < lrs[2] and np.all(np.diff(lrs[3:]) < 0)
    assert max(lrs) < s["lrs"][i] and lrs[-1] < 0.05 * s["lrs"][i]
    val_steps = cols["step"][np.isfinite(cols["val_loss"])].astype(int).tolist()
    assert val_steps == [100, 200, 300]
    assert run.test not in cols["val_loss"].tolist()
    back = read_tested(tmp_path, "fresh-x-lr0.001")  # the sweep ranks it by the side file
    assert back.test == run.test and len(back.log.rows) == 30


def test_the_wave_cnns_truth_is_what_the_generator_makes_one_point_an_epoch() -> None:
    """The 1-D CNN at its best LR, retrained (a few CPU seconds): the committed test loss; one
    row per epoch, the LR multiplied by 0.93 after each."""
    run, s, i = retrain_best(SUMMARIES, WV, gen.wave_cnn_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.by_epoch and [r[0] for r in run.log.rows] == list(range(1, gen.WV_EPOCHS + 1))
    lrs = [r[2] for r in run.log.rows]
    assert lrs[0] == pytest.approx(s["lrs"][i])
    assert lrs[-1] == pytest.approx(s["lrs"][i] * gen.WV_GAMMA ** (gen.WV_EPOCHS - 1))
    assert sorted(run.log.val) == list(range(1, gen.WV_EPOCHS + 1))
    assert math.isfinite(run.test)
