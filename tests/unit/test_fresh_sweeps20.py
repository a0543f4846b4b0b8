"""Round 20's made held-out sweeps (``fresh_sweeps20.py``): a small ViT classifies noisy
synthetic shapes under NAdamW (decoupled weight decay 0.05) with a linear warmup and a cosine,
logged every 10 steps with a val_loss at each epoch's end; a 1-D CNN classifies synthetic
token reviews under Adadelta at a constant LR, logged the same way; both with a tenth of their
labels flipped, a floor no run passes; and the committed truths are what the generator makes.
The checks every round shares (labels by place, grids, new families, the manifest's side) run in
``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks.realworld import fresh_sweeps20 as gen
from tests.unit.test_fresh_sweeps7 import (RETRAINED_REL,
                                           assert_logged_every_10th_step_and_each_epochs_val,
                                           retrain_best)

SUMMARIES = json.loads(gen.OUT.read_text())
VIT, TXT = "fresh-vit_shapes_nadamw_cosine", "fresh-textcnn_synthreviews_adadelta_const"


def _best_final(name: str) -> float:
    s = SUMMARIES[name]
    return min(f for f in s["final_eval_losses"] if f is not None)


def _flip_floor(classes: int, rate: float) -> float:
    """The cross-entropy of a model that knows every true class, under ``rate`` of the labels
    flipped uniformly to another class: the entropy of the label noise."""
    return -(1 - rate) * math.log(1 - rate) - rate * math.log(rate / (classes - 1))


def test_the_families_train_with_the_optimizers_and_schedules_the_plan_names() -> None:
    vit, txt = gen.plan()
    assert [s.meta["optimizer"] for s in gen.plan()] == ["NAdam", "Adadelta"]
    assert (vit.meta["decoupled_weight_decay"], vit.meta["weight_decay"]) == (True, 0.05)
    assert vit.meta["warmup_steps"] == gen.VIT_WARMUP and vit.meta["schedule"] == "cosine to 0"
    assert (txt.meta["warmup_steps"], txt.meta["schedule"], txt.meta["clip"]) == (
        0, "constant", None)
    assert not any(s.meta["fine_tune"] for s in gen.plan())
    # the grids cover what users pick (the generator's docstring): NAdamW on a small ViT 1e-4
    # to 3e-3; Adadelta's 0.1 to 1.0 (PyTorch's MNIST example runs it at 1.0)
    assert min(vit.lrs) <= 1e-4 and max(vit.lrs) >= 3e-3
    assert min(txt.lrs) <= 0.1 and max(txt.lrs) >= 1.0
    assert all(len(s.lrs) == 13 for s in gen.plan())


def test_the_logging_is_every_10_steps_with_a_val_loss_each_epoch() -> None:
    for s in gen.plan():
        assert s.meta["logged"] == "every 10 steps (that step's loss), val_loss each epoch"
    assert gen.VIT_STEPS_PER_EPOCH % gen.VIT_LOG_EVERY == 0
    assert gen.TXT_STEPS_PER_EPOCH % gen.TXT_LOG_EVERY == 0
    # at least 30 logged points a run (round 19's LM logged 4 and got no verdict)
    assert gen.VIT_STEPS // gen.VIT_LOG_EVERY >= 30 and gen.TXT_STEPS // gen.TXT_LOG_EVERY >= 30
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_vit_sees_four_shapes_and_no_run_passes_the_flipped_labels() -> None:
    (xtr, ytr), (xva, _), (xte, yte) = gen.shapes()
    assert (len(xtr), len(xva), len(xte)) == (gen.VIT_TRAIN, gen.VIT_VAL, gen.VIT_TEST)
    assert xtr.shape[1:] == (1, gen.VIT_SIZE, gen.VIT_SIZE)
    counts = torch.bincount(torch.cat([ytr, yte]), minlength=gen.VIT_CLASSES)
    assert int(counts.min()) > 0.2 * int(counts.sum())  # four kinds, about evenly
    torch.manual_seed(0)
    assert gen.ViT()(xtr[:3]).shape == (3, gen.VIT_CLASSES)
    assert _best_final(VIT) > _flip_floor(gen.VIT_CLASSES, gen.VIT_FLIP)


def test_the_reviews_carry_their_cues_and_no_run_passes_the_flipped_labels() -> None:
    (xtr, ytr), _, (xte, yte) = gen.reviews()
    assert xtr.shape == (gen.TXT_TRAIN, gen.TXT_LEN) and int(xtr.max()) < gen.TXT_VOCAB
    assert 0.3 < float(torch.cat([ytr, yte]).float().mean()) < 0.7  # both classes
    assert gen.TextCNN()(xtr[:5]).shape == (5, 2)
    assert _best_final(TXT) > _flip_floor(2, gen.TXT_FLIP)


def test_no_familys_best_run_removes_90_percent_of_its_loss() -> None:
    for s in SUMMARIES.values():
        i = s["lrs"].index(s["best_lr"])
        assert s["final_eval_losses"][i] > 0.1 * s["start_eval_losses"][i]


def test_the_committed_truths_are_what_the_generator_makes(tmp_path) -> None:
    """Both families at their best LRs, retrained (a few CPU seconds): the committed final test
    losses, which the logged validation losses are not; each CSV holds every 10th step and a
    val_loss at each epoch's end, the ViT's LR warming up then annealed to zero, the CNN's
    constant."""
    (tmp_path / "vit").mkdir()
    (tmp_path / "txt").mkdir()
    vit, s, i = retrain_best(SUMMARIES, VIT, gen.vit_run)
    txt, m, j = retrain_best(SUMMARIES, TXT, gen.textcnn_run)
    assert vit.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert vit.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    assert vit.log.final_val != pytest.approx(vit.test, rel=1e-3)
    cols = assert_logged_every_10th_step_and_each_epochs_val(vit, tmp_path / "vit",
                                                              gen.VIT_EPOCHS,
                                                              gen.VIT_STEPS_PER_EPOCH)
    peak = s["lrs"][i]
    assert max(cols["lr"]) == pytest.approx(peak, rel=0.01)
    assert cols["lr"][0] < 0.5 * peak and cols["lr"][-1] < 0.01 * peak
    assert txt.test == pytest.approx(m["final_eval_losses"][j], rel=RETRAINED_REL)
    cols = assert_logged_every_10th_step_and_each_epochs_val(txt, tmp_path / "txt",
                                                              gen.TXT_EPOCHS,
                                                              gen.TXT_STEPS_PER_EPOCH)
    assert min(cols["lr"]) == max(cols["lr"]) == pytest.approx(m["lrs"][j])
    assert math.isfinite(vit.test) and math.isfinite(txt.test)
