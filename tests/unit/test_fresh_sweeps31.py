"""Round 31's made held-out sweeps (``fresh_sweeps31.py``): a multi-label MLP tagger under Adam
with AMSGrad and a cosine decay (BCE with logits); a quantile-regression MLP under AdaBelief
(pinball loss); a triplet-loss embedder under ASGD; each with a floor no run passes (the tags'
own randomness, the heteroscedastic noise, the overlapping classes), and the committed truths
are what the generator makes. The checks every round shares (labels by place, grids, new
families, the manifest's side) run in ``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and
``test_realworld_sides.py``."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks.realworld import fresh_sweeps31 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())
ML = "fresh-mlp_multilabel_bce_amsgrad_cosine"
QR = "fresh-mlp_quantile_pinball_adabelief_const"
TR = "fresh-mlp_triplet_embed_asgd_const"


def _best_final(name: str) -> float:
    s = SUMMARIES[name]
    return min(f for f in s["final_eval_losses"] if f is not None and math.isfinite(f))


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    ml, qr, tr = gen.plan()
    assert [s.meta["optimizer"] for s in gen.plan()] == ["Adam", "AdaBelief", "ASGD"]
    assert ml.meta["amsgrad"] is True and ml.meta["schedule"] == "cosine to 0"
    assert qr.meta["schedule"] == tr.meta["schedule"] == "constant"
    assert "pinball" in qr.meta["loss"] and "triplet" in tr.meta["loss"]
    assert all(len(s.lrs) == 13 for s in gen.plan())


def test_the_logging_is_dense_enough_to_judge() -> None:
    for steps in (gen.ML_STEPS, gen.QR_STEPS, gen.TR_STEPS):
        assert steps // gen.LOG_EVERY >= 30
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_adabelief_steps_by_the_gradients_spread_around_its_mean() -> None:
    """The first step from zero state: the bias-corrected mean is the gradient, the belief
    ``(g - m)**2`` the gradient's times 0.9**2, so the step is the LR over 0.9 against the
    gradient's sign; with the same gradient again the belief shrinks and the step grows."""
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = gen.AdaBelief([p], lr=0.1)
    p.grad = torch.tensor([0.5, -0.25])
    opt.step()
    first = p.detach().clone()
    assert first == pytest.approx(torch.tensor([1.0 - 0.1 / 0.9, -2.0 + 0.1 / 0.9]), abs=1e-5)
    p.grad = torch.tensor([0.5, -0.25])
    opt.step()
    assert ((p.detach() - first).abs() > 0.1 / 0.9 + 1e-3).all()


def test_the_tags_are_drawn_from_a_teacher_and_their_entropy_is_the_floor() -> None:
    _, _, (x, y, p) = gen.tag_data()
    assert x.shape == (gen.ML_TEST, gen.ML_IN) and y.shape == (gen.ML_TEST, gen.ML_TAGS)
    assert set(y.unique().tolist()) == {0.0, 1.0}
    assert (y.mean(0) - p.mean(0)).abs().max() < 0.05  # tags on as often as the teacher says
    p = p.clamp(1e-7, 1 - 1e-7)
    floor = float(-(p * p.log() + (1 - p) * (1 - p).log()).mean())
    assert floor < _best_final(ML) < 0.8 * SUMMARIES[ML]["start_eval_losses"][0]


def test_the_quantile_regressor_stays_above_its_noise_floor() -> None:
    (xtr, ytr), _, (xte, yte) = gen.quantile_data()
    assert xtr.shape == (gen.QR_TRAIN, gen.QR_IN) and len(yte) == gen.QR_TEST
    assert float(ytr.mean()) == pytest.approx(0.0, abs=1e-5)
    # the pinball loss of predicting the split's own quantiles everywhere: a bound the model
    # must beat (it reads the inputs), and the noise keeps it well above 0
    q = torch.quantile(yte, torch.tensor(gen.QR_QUANTILES))
    constant = float(gen.pinball(q.expand(len(yte), -1), yte))
    assert 0.1 < _best_final(QR) < 0.5 * constant
    assert gen.quantile_mlp()(xte).shape == (gen.QR_TEST, 3)


def test_the_triplets_pair_a_class_with_itself_and_another() -> None:
    _, _, (x, y) = gen.triplet_points()
    assert len(y) == gen.TR_CLASSES * gen.TR_TEST and x.shape[1] == gen.TR_DIM
    t = gen.triplets(y, 500, torch.Generator().manual_seed(0))
    assert (y[t[:, 0]] == y[t[:, 1]]).all() and (y[t[:, 0]] != y[t[:, 2]]).all()
    assert (t[:, 0] != t[:, 1]).all()
    # overlapping classes: even the best embedding keeps a loss well above 0
    assert 0.1 < _best_final(TR) < 0.5 * SUMMARIES[TR]["start_eval_losses"][0]


def test_no_familys_best_run_removes_90_percent_of_its_loss() -> None:
    for s in SUMMARIES.values():
        i = s["lrs"].index(s["best_lr"])
        assert s["final_eval_losses"][i] > 0.1 * s["start_eval_losses"][i]


def test_the_tagger_truth_is_what_the_generator_makes() -> None:
    """The tagger at its best LR, retrained (under a CPU second): the committed test loss; a
    row every 10 steps, the LR on a cosine to 0, a ``val_loss`` every 50 steps."""
    run, s, i = retrain_best(SUMMARIES, ML, gen.multilabel_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    steps = [r[0] for r in run.log.rows]
    assert steps == list(range(gen.LOG_EVERY, gen.ML_STEPS + 1, gen.LOG_EVERY))
    for step, _, lr, _ in run.log.rows:
        assert lr == pytest.approx(
            s["lrs"][i] * 0.5 * (1 + math.cos(math.pi * (step - 1) / gen.ML_STEPS)))
    assert sorted(run.log.val) == list(range(gen.ML_EVAL_EVERY, gen.ML_STEPS + 1,
                                             gen.ML_EVAL_EVERY))
    assert run.test not in run.log.val.values()
