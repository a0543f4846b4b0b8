"""Round 25's made held-out sweeps (``fresh_sweeps25.py``): a MobileNet-style CNN of
depthwise-separable blocks on synthetic shapes under SGD with momentum and a cosine per step; a
character GRU LM on ``argparse.py`` under Adam with clipping at a constant LR; a tabular MLP
with LayerNorm and dropout on an imbalanced synthetic table under AdamW with a warmup and a
cosine, one point per epoch; each with a floor no run passes (the flipped labels, the text's
entropy, the random labels), and the committed truths are what the generator makes. The checks
every round shares (labels by place, grids, new families, the manifest's side) run in
``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from benchmarks.realworld import fresh_sweeps25 as gen
from tests.helpers.text import unigram_nats
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())
MB, GR, TB = ("fresh-mobilenet_shapes_sgdm_cosine", "fresh-chargru_argparse_adam_clip",
              "fresh-mlp_imbalanced_layernorm_adamw_warmcos")


def _best_final(name: str) -> float:
    s = SUMMARIES[name]
    return min(f for f in s["final_eval_losses"] if f is not None)


def _label_noise_nats(flip: float, classes: int) -> float:
    """The entropy of a label that is right with probability ``1 - flip`` and otherwise one
    of the other classes at random: no model's cross-entropy can go below it."""
    return -((1 - flip) * math.log(1 - flip) + flip * math.log(flip / (classes - 1)))


def test_the_families_train_with_the_optimizers_and_schedules_the_plan_names() -> None:
    mb, gr, tb = gen.plan()
    assert [s.meta["optimizer"] for s in gen.plan()] == ["SGD", "Adam", "AdamW"]
    assert (mb.meta["momentum"], mb.meta["schedule"]) == (0.9, "cosine to 0, per step")
    assert (gr.meta["clip"], gr.meta["schedule"]) == (1.0, "constant")
    assert tb.meta["schedule"].startswith("linear warmup 5%") and tb.meta["epochs"] >= 30
    assert not any(s.meta["fine_tune"] for s in gen.plan())
    # the grids cover what users pick (the generator's docstring): SGD with momentum on a small
    # MobileNet 0.01 to 0.1; Adam on a char-RNN 1e-3 to 3e-3; AdamW on a tabular MLP 1e-4 to 1e-2
    assert min(mb.lrs) <= 1e-2 and max(mb.lrs) >= 0.1
    assert min(gr.lrs) <= 1e-3 and max(gr.lrs) >= 3e-3
    assert min(tb.lrs) <= 1e-4 and max(tb.lrs) >= 1e-2
    assert all(len(s.lrs) == 13 for s in gen.plan())


def test_the_logging_is_dense_enough_to_judge() -> None:
    mb, gr, _ = gen.plan()
    assert mb.steps // gen.LOG_EVERY >= 30 and gr.steps // gen.LOG_EVERY >= 30
    assert gen.TB_EPOCHS >= 30  # one point per epoch
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_mobilenet_is_depthwise_separable_and_stays_above_its_flipped_labels() -> None:
    (xtr, ytr), _, (xte, _) = gen.shapes()
    assert xtr.shape == (gen.MB_TRAIN, 1, gen.MB_SIZE, gen.MB_SIZE) and len(xte) == gen.MB_TEST
    model = gen.MobileNet().eval()
    assert model(xte[:5]).shape == (5, gen.MB_CLASSES)
    depthwise = [m for m in model.modules()
                 if isinstance(m, torch.nn.Conv2d) and m.groups > 1]
    assert len(depthwise) == 4 and all(m.groups == m.in_channels == m.out_channels
                                       for m in depthwise)
    assert sorted(np.bincount(ytr.numpy())) == pytest.approx([gen.MB_TRAIN / 4] * 4, rel=0.2)
    floor = _label_noise_nats(gen.MB_FLIP, gen.MB_CLASSES)
    assert floor < _best_final(MB) < 0.75 * SUMMARIES[MB]["start_eval_losses"][0]


def test_the_gru_learns_argparse_beyond_its_byte_frequencies() -> None:
    train, _, test = gen.argparse_source()
    assert len(train) == pytest.approx(8 * len(test), abs=8) and int(train.max()) < 128
    assert isinstance(gen.CharGRU().rnn, torch.nn.GRU) and gen.CharGRU().rnn.num_layers == 2
    start = SUMMARIES[GR]["start_eval_losses"][0]
    # it learned (below the bytes' own frequencies) and the text's floor held (no 90% fall)
    assert 0.1 * start < _best_final(GR) < unigram_nats(train, test)
    assert _best_final(GR) < 0.6 * start


def test_the_table_is_imbalanced_and_the_mlp_stays_above_its_random_labels() -> None:
    (xtr, ytr), (xva, _), (xte, _) = gen.table()
    assert xtr.shape == (gen.TB_TRAIN, gen.TB_FEATURES) and len(xva) == gen.TB_VAL
    assert np.allclose(xtr.mean(0).numpy(), 0, atol=1e-4)
    shares = np.bincount(ytr.numpy(), minlength=gen.TB_CLASSES) / gen.TB_TRAIN
    assert shares[0] > 0.35 and shares[-1] < 0.1 and np.all(np.diff(shares) < 0)
    norms = [m for m in gen.TabularMLP().modules() if isinstance(m, torch.nn.LayerNorm)]
    assert len(norms) == 2
    # scikit-learn redraws 8% of the labels at random (a fifth of them the true class)
    floor = _label_noise_nats(gen.TB_FLIP * (1 - 1 / gen.TB_CLASSES), gen.TB_CLASSES)
    assert floor < _best_final(TB) < 0.75 * SUMMARIES[TB]["start_eval_losses"][0]


def test_no_familys_best_run_removes_90_percent_of_its_loss() -> None:
    for s in SUMMARIES.values():
        i = s["lrs"].index(s["best_lr"])
        assert s["final_eval_losses"][i] > 0.1 * s["start_eval_losses"][i]


def test_the_mlps_truth_is_what_the_generator_makes_warmed_up_then_annealed_by_epoch() -> None:
    """The MLP at its best LR, retrained (a few CPU seconds): the committed test loss, which no
    logged val_loss is; one row per epoch, the LR up over 2 epochs, then down a cosine."""
    run, s, i = retrain_best(SUMMARIES, TB, gen.tabular_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    assert run.by_epoch and [r[0] for r in run.log.rows] == list(range(1, gen.TB_EPOCHS + 1))
    lrs = np.array([r[2] for r in run.log.rows])
    peak = s["lrs"][i]
    assert lrs[:3] == pytest.approx([peak / 3, 2 * peak / 3, peak])
    assert np.all(np.diff(lrs[2:]) < 0) and lrs[-1] < 0.01 * peak
    assert sorted(run.log.val) == list(range(1, gen.TB_EPOCHS + 1))
    assert run.test not in run.log.val.values()


def test_the_mobilenets_truth_is_what_the_generator_makes_logged_every_10_steps() -> None:
    """The MobileNet at its best LR, retrained (a few CPU seconds): the committed test loss;
    every 10th step logged, the LR annealed by a cosine each step, a val_loss each epoch."""
    run, s, i = retrain_best(SUMMARIES, MB, gen.mobilenet_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    steps = [r[0] for r in run.log.rows]
    assert steps == list(range(gen.LOG_EVERY, gen.MB_STEPS + 1, gen.LOG_EVERY))
    lrs = [r[2] for r in run.log.rows]
    assert lrs[0] == pytest.approx(s["lrs"][i], rel=0.01) and np.all(np.diff(lrs) < 0)
    assert sorted(run.log.val) == list(range(gen.MB_STEPS_PER_EPOCH, gen.MB_STEPS + 1,
                                             gen.MB_STEPS_PER_EPOCH))
    assert math.isfinite(run.test)
