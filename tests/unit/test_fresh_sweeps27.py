"""Round 27's made held-out sweeps (``fresh_sweeps27.py``): a byte-level GPT trained from scratch
on the standard library's ``ast.py`` under Adam with the Transformer paper's warmup and
inverse-square-root decay; a residual MLP on a synthetic classification with 20% random labels
under SGD with Nesterov momentum and a one-cycle; an LSTM classifier of Cylinder-Bell-Funnel
series with 20% redrawn labels under Adagrad with clipping at 0.5, one point per epoch; each
with a floor no run passes (the text's entropy, the random labels), and the committed truths are
what the generator makes. The checks every round shares (labels by place, grids, new families,
the manifest's side) run in ``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and
``test_realworld_sides.py``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from benchmarks.realworld import fresh_sweeps27 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())
LM, RM, LS = ("fresh-gpt_ast_adam_invsqrt", "fresh-resmlp_noisytab_nesterov_onecycle",
              "fresh-lstm_cbf_adagrad_clip")


def _best_final(name: str) -> float:
    s = SUMMARIES[name]
    return min(f for f in s["final_eval_losses"] if f is not None)


def _label_noise_nats(flip: float, classes: int) -> float:
    """The entropy of a label that is right with probability ``1 - flip`` and otherwise one
    of the other classes at random: no model's cross-entropy can go below it."""
    return -((1 - flip) * math.log(1 - flip) + flip * math.log(flip / (classes - 1)))


def test_the_families_train_with_the_optimizers_and_schedules_the_plan_names() -> None:
    lm, rm, ls = gen.plan()
    assert [s.meta["optimizer"] for s in gen.plan()] == ["Adam", "SGD", "Adagrad"]
    assert lm.meta["schedule"].startswith("linear warmup 15 (5%), inverse square root")
    assert rm.meta["nesterov"] and rm.meta["schedule"].startswith("OneCycleLR")
    assert ls.meta["clip"] == 0.5 and ls.meta["schedule"] == "constant"
    # the grids cover what users pick (the generator's docstring): Adam on a small GPT 1e-3 to
    # 3e-2; OneCycle's max_lr under SGD 1e-2 to 1; Adagrad 1e-3 to 1e-1 (PyTorch's default 1e-2)
    assert min(lm.lrs) <= 1e-3 and max(lm.lrs) >= 3e-2
    assert min(rm.lrs) <= 1e-2 and max(rm.lrs) >= 1.0
    assert min(ls.lrs) <= 1e-3 and max(ls.lrs) >= 1e-1
    assert all(len(s.lrs) == 13 for s in gen.plan())


def test_the_logging_is_dense_enough_to_judge() -> None:
    assert gen.LM_STEPS // gen.LOG_EVERY >= 30 and gen.RM_STEPS // gen.LOG_EVERY >= 30
    assert gen.LS_EPOCHS >= 30  # one point per epoch
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_inverse_square_root_schedule_warms_up_then_decays() -> None:
    factors = [gen.inverse_sqrt(k) for k in range(gen.LM_STEPS)]
    assert factors[0] == pytest.approx(1 / gen.LM_WARMUP)
    assert max(factors) == factors[gen.LM_WARMUP - 1] == 1.0
    assert factors[-1] == pytest.approx(math.sqrt(gen.LM_WARMUP / gen.LM_STEPS))
    assert gen.LM_WARMUP == 0.05 * gen.LM_STEPS


def test_the_gpt_learns_bytes_from_scratch_and_stays_above_the_texts_entropy() -> None:
    train_part, val_part, test_part = gen.ast_source()
    assert len(train_part) > 7 * len(test_part) > 0 and int(train_part.max()) < 128
    model = gen.CausalTransformer(gen.LM_D, gen.LM_LAYERS, gen.LM_HEADS, gen.LM_CTX)
    assert model(torch.zeros(2, gen.LM_CTX, dtype=torch.long)).shape == (2, gen.LM_CTX, 256)
    s = SUMMARIES[LM]
    assert s["start_eval_losses"][0] == pytest.approx(math.log(256), rel=0.05)
    # it learned (half the uniform guess's loss gone) and the text's floor held (no 90% fall)
    assert 0.1 * s["start_eval_losses"][0] < _best_final(LM) < 0.5 * s["start_eval_losses"][0]


def test_the_residual_mlp_stays_above_its_random_labels() -> None:
    (xtr, ytr), (xva, _), (xte, yte) = gen.noisy_table()
    assert len(xtr) == gen.RM_TRAIN and len(xva) == gen.RM_VAL and len(xte) == gen.RM_TEST
    assert sorted(set(ytr.tolist())) == list(range(gen.RM_CLASSES))
    model = gen.ResidualMLP()
    assert model(xte[:5]).shape == (5, gen.RM_CLASSES)
    # make_classification draws a random class for RM_FLIP of the rows: a quarter keep theirs
    floor = _label_noise_nats(gen.RM_FLIP * (1 - 1 / gen.RM_CLASSES), gen.RM_CLASSES)
    assert floor < _best_final(RM) < 0.75 * SUMMARIES[RM]["start_eval_losses"][0]


def test_the_lstm_stays_above_its_redrawn_labels() -> None:
    (xtr, ytr), (xva, _), (xte, yte) = gen.noisy_cbf()
    assert xtr.shape == (gen.LS_TRAIN, gen.LS_LEN // gen.LS_CHUNK, gen.LS_CHUNK)
    assert len(xva) == gen.LS_VAL and len(xte) == gen.LS_TEST
    assert gen.LSTMClassifier()(xte[:5]).shape == (5, 3)
    # a third of the redrawn labels land on the true class
    floor = _label_noise_nats(gen.LS_FLIP * 2 / 3, 3)
    assert floor < _best_final(LS) < 0.6 * SUMMARIES[LS]["start_eval_losses"][0]


def test_no_familys_best_run_removes_90_percent_of_its_loss() -> None:
    for s in SUMMARIES.values():
        i = s["lrs"].index(s["best_lr"])
        assert s["final_eval_losses"][i] > 0.1 * s["start_eval_losses"][i]


def test_the_lstms_truth_is_what_the_generator_makes_one_point_an_epoch() -> None:
    """The LSTM at its best LR, retrained (a second or two of CPU): the committed test loss;
    one row per epoch at a constant LR, a ``val_loss`` after each."""
    run, s, i = retrain_best(SUMMARIES, LS, gen.lstm_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    epochs = [r[0] for r in run.log.rows]
    assert run.by_epoch and epochs == list(range(1, gen.LS_EPOCHS + 1))
    assert {r[2] for r in run.log.rows} == {s["lrs"][i]}
    assert sorted(run.log.val) == epochs
    assert run.test not in run.log.val.values()


def test_the_residual_mlps_truth_is_what_the_generator_makes_logged_every_10_steps() -> None:
    """The residual MLP at its best LR, retrained (under a CPU second): the committed test
    loss; every 10th step logged, the LR rising to its peak at 30% of the steps and annealed
    far below it, a ``val_loss`` each epoch."""
    run, s, i = retrain_best(SUMMARIES, RM, gen.resmlp_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    steps = [r[0] for r in run.log.rows]
    assert steps == list(range(gen.LOG_EVERY, gen.RM_STEPS + 1, gen.LOG_EVERY))
    lrs = np.array([r[2] for r in run.log.rows])
    peak = s["lrs"][i]
    assert lrs.max() == pytest.approx(peak, rel=0.05) and lrs[-1] < peak / 100
    assert 0.2 < (int(np.argmax(lrs)) + 1) / len(lrs) < 0.4
    assert sorted(run.log.val) == list(range(gen.RM_STEPS_PER_EPOCH, gen.RM_STEPS + 1,
                                             gen.RM_STEPS_PER_EPOCH))
    assert math.isfinite(run.test)
