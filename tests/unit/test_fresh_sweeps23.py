"""Round 23's made held-out sweeps (``fresh_sweeps23.py``): a small CNN on noisy synthetic shapes
under SGD with momentum, a cosine and mixup, one point per epoch; a char-rnn (a 2-layer LSTM
byte LM) on ``difflib.py`` under RMSprop with gradient clipping; a biased matrix factorization
of synthetic ratings under SparseAdam; each with a floor no run passes (the flipped labels, the
text's entropy, the ratings' noise); and the committed truths are what the generator makes. The
checks every round shares (labels by place, grids, new families, the manifest's side) run in
``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks.realworld import fresh_sweeps23 as gen
from tests.helpers.text import unigram_nats
from tests.unit.test_fresh_sweeps7 import (RETRAINED_REL,
                                           assert_logged_every_10th_step_and_each_epochs_val,
                                           retrain_best)

SUMMARIES = json.loads(gen.OUT.read_text())
CNN, RNN, MF = ("fresh-cnn_shapes_mixup_sgdm_cosine", "fresh-charrnn_difflib_lstm_rmsprop_clip",
                "fresh-mf_synthratings_sparseadam")


def _best_final(name: str) -> float:
    s = SUMMARIES[name]
    return min(f for f in s["final_eval_losses"] if f is not None)


def test_the_families_train_with_the_optimizers_and_schedules_the_plan_names() -> None:
    cnn, rnn, mf = gen.plan()
    assert [s.meta["optimizer"] for s in gen.plan()] == ["SGD", "RMSprop", "SparseAdam"]
    assert (cnn.meta["momentum"], cnn.meta["mixup_alpha"]) == (0.9, 0.2)
    assert cnn.meta["schedule"] == "cosine to 0, per epoch" and cnn.meta["epochs"] >= 40
    assert (rnn.meta["clip"], rnn.meta["alpha"], rnn.meta["schedule"]) == (5.0, 0.95, "constant")
    assert (mf.meta["schedule"], mf.meta["clip"]) == ("constant", None)
    assert not any(s.meta["fine_tune"] for s in gen.plan())
    # the grids cover what users pick (the generator's docstring): SGD with momentum on a small
    # CNN 0.01 to 0.1; RMSprop for char-rnn 2e-3 (its default) and 1e-3 to 1e-2; Adam /
    # SparseAdam for a factorization 1e-3 to 1e-2
    assert min(cnn.lrs) <= 1e-2 and max(cnn.lrs) >= 0.1
    assert min(rnn.lrs) <= 1e-3 and max(rnn.lrs) >= 1e-2
    assert min(mf.lrs) <= 1e-3 and max(mf.lrs) >= 1e-2
    assert all(len(s.lrs) == 13 for s in gen.plan())


def test_the_logging_is_dense_enough_to_judge() -> None:
    cnn, rnn, mf = gen.plan()
    assert gen.CNN_EPOCHS >= 40  # one point per epoch
    assert rnn.steps // gen.LOG_EVERY >= 30 and mf.steps // gen.LOG_EVERY >= 30
    assert gen.MF_STEPS_PER_EPOCH % gen.LOG_EVERY == 0
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_cnn_sees_noisy_shapes_with_a_tenth_of_the_labels_flipped() -> None:
    (xtr, ytr), (xva, _), (xte, yte) = gen.shapes()
    assert xtr.shape == (gen.CNN_TRAIN, 1, 16, 16) and len(xva) == gen.CNN_VAL
    assert len(xte) == gen.CNN_TEST and sorted(set(ytr.tolist())) == [0, 1, 2, 3]
    assert gen.SmallCNN()(xte[:5]).shape == (5, gen.CNN_CLASSES)
    # the flipped labels' cross-entropy is the floor: 10% of labels are beyond any model
    floor = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1 / 3))
    assert floor < _best_final(CNN) < 0.8 * SUMMARIES[CNN]["start_eval_losses"][0]


def test_the_char_rnn_learns_difflib_beyond_its_byte_frequencies() -> None:
    train, val, test = gen.difflib_source()
    assert len(train) == pytest.approx(8 * len(test), abs=8) and int(train.max()) < 128
    x = train[:2 * gen.RNN_CTX].view(2, gen.RNN_CTX)
    assert gen.CharRNN()(x).shape == (2, gen.RNN_CTX, 256)
    best = _best_final(RNN)
    assert best < min(unigram_nats(train, test), 0.5 * SUMMARIES[RNN]["start_eval_losses"][0])


def test_the_factorization_takes_sparse_gradients_and_no_run_passes_the_ratings_noise() -> None:
    (utr, itr, rtr), _, (ute, ite, rte) = gen.ratings()
    assert (len(utr), len(ute)) == (gen.MF_TRAIN, gen.MF_TEST)
    assert int(utr.max()) < gen.MF_USERS and int(itr.max()) < gen.MF_ITEMS
    model = gen.BiasedMF(float(rtr.mean()))
    torch.nn.functional.mse_loss(model(utr[:8], itr[:8]), rtr[:8]).backward()
    assert all(p.grad.is_sparse for p in model.parameters())  # what SparseAdam requires
    # the floor: the noise's variance, which no model of (user, item) can predict
    assert gen.MF_NOISE ** 2 < _best_final(MF) < 0.75 * SUMMARIES[MF]["start_eval_losses"][0]


def test_no_familys_best_run_removes_90_percent_of_its_loss() -> None:
    for s in SUMMARIES.values():
        i = s["lrs"].index(s["best_lr"])
        assert s["final_eval_losses"][i] > 0.1 * s["start_eval_losses"][i]


def test_the_factorizations_truth_is_what_the_generator_makes(tmp_path) -> None:
    """The factorization at its best LR, retrained (under a second of CPU): the committed final
    test loss, which the logged validation losses are not; its CSV holds every 10th step and a
    val_loss at each epoch's end at a constant LR."""
    run, s, i = retrain_best(SUMMARIES, MF, gen.mf_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    assert run.log.final_val != pytest.approx(run.test, rel=1e-3)
    cols = assert_logged_every_10th_step_and_each_epochs_val(run, tmp_path, gen.MF_EPOCHS,
                                                             gen.MF_STEPS_PER_EPOCH)
    assert min(cols["lr"]) == pytest.approx(max(cols["lr"])) == pytest.approx(s["lrs"][i])
    assert math.isfinite(run.test)


def test_the_cnns_truth_is_what_the_generator_makes_one_point_an_epoch() -> None:
    """The CNN at its best LR, retrained (a few CPU seconds): the committed test loss; one row
    per epoch, the LR annealed by the cosine to near zero."""
    run, s, i = retrain_best(SUMMARIES, CNN, gen.cnn_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.by_epoch and [r[0] for r in run.log.rows] == list(range(1, gen.CNN_EPOCHS + 1))
    lrs = [r[2] for r in run.log.rows]
    assert lrs[0] == pytest.approx(s["lrs"][i]) and lrs[-1] < 0.01 * lrs[0]
    assert sorted(run.log.val) == list(range(1, gen.CNN_EPOCHS + 1))
