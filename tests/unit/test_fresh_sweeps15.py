"""Round 15's made held-out sweeps (``fresh_sweeps15.py``): the fine-tune starts from the made
pretrained LM, trains every weight on the email package's source under the Trainer's AdamW with
a warmup then linear decay to 0, and logs the mean loss of every 10 steps; the MLP-Mixer on
digits trains under Nesterov SGD at a constant LR, logged every 10 steps with a val_loss at each
epoch's end; the logistic regression runs Adagrad with PyTorch's defaults on standardized
breast-cancer rows, one row an epoch; and the committed truths are what the generator makes.
The checks every round shares (labels by place, grids, new families, the manifest's side) run in
``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from benchmarks.realworld import fresh_sweeps15 as gen
from benchmarks.realworld.made_tasks import CausalTransformer, warmup_linear
from benchmarks.realworld.make_runs import CTX, D_MODEL, HEADS, LAYERS, pretrained
from tests.unit.test_fresh_sweeps7 import (RETRAINED_REL,
                                           assert_logged_every_10th_step_and_each_epochs_val,
                                           retrain_best)

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_the_plan_names() -> None:
    ft, mixer, logreg = gen.plan()
    assert [s.meta["optimizer"] for s in gen.plan()] == ["AdamW", "SGD", "Adagrad"]
    assert ft.meta["fine_tune"] and not mixer.meta["fine_tune"]
    assert mixer.meta["nesterov"] and mixer.meta["schedule"] == logreg.meta["schedule"] == (
        "constant")


def test_the_logging_is_every_10_steps_for_two_families_and_once_per_epoch_for_one() -> None:
    ft, mixer, logreg = gen.plan()
    assert ft.meta["logged"].startswith("every 10 steps as the Trainer's logging_steps")
    assert mixer.meta["logged"].startswith("every 10 steps")
    assert logreg.meta["logged"].startswith("once per epoch")
    # each epoch's last step is a logged row, so its val_loss reaches the CSV
    assert gen.MIX_STEPS_PER_EPOCH % gen.MIX_LOG_EVERY == 0
    assert 20 <= gen.LR_EPOCHS <= 50
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_fine_tune_text_is_the_email_package_and_new_to_the_pretrained_lm() -> None:
    train_part, val_part, test_part = gen.email_source()
    text = bytes(train_part[:2000].tolist()).decode()
    assert "email" in text.lower() and "import" in text
    assert int(max(p.max() for p in (train_part, val_part, test_part))) < 128
    assert len(train_part) == pytest.approx(8 * len(test_part), rel=0.01)


def test_the_fine_tune_trains_every_pretrained_weight_under_warmup_then_linear_decay() -> None:
    """At the smallest LR the run starts from the pretrained LM (its test loss before the first
    step is the pretrained model's); the schedule peaks after 20 steps and ends at 0."""
    model = CausalTransformer(D_MODEL, LAYERS, HEADS, CTX)
    model.load_state_dict(pretrained())
    assert all(p.requires_grad for p in model.parameters())
    factor = warmup_linear(gen.FT_WARMUP, gen.FT_STEPS)
    assert factor(gen.FT_WARMUP - 1) == 1.0 and factor(gen.FT_STEPS) == 0.0
    s = SUMMARIES["fresh-ft_email_lm_adamw"]
    assert len(set(s["start_eval_losses"])) == 1  # every run starts at the same pretrained LM
    assert s["start_eval_losses"][0] < math.log(256) / 2  # pretrained: far below uniform bytes


def test_the_mixer_mixes_tokens_and_channels_of_16_patches() -> None:
    torch.manual_seed(0)
    model = gen.Mixer()
    (xtr, ytr), (xva, _), (xte, yte) = gen.digits_split()
    assert model(xtr[:5]).shape == (5, 10)
    assert (len(xtr), len(xva), len(xte)) == (gen.MIX_TRAIN, gen.MIX_VAL, gen.MIX_TEST)
    block = model.blocks[0]
    assert block.tokens[0].in_features == 16 and block.channels[0].in_features == gen.MIX_WIDTH
    # a change to one patch reaches every patch's features through the token MLP
    x = xtr[:1].clone()
    feats = lambda z: model.blocks(model.embed(z).flatten(2).transpose(1, 2))  # noqa: E731
    a = feats(x)
    x[..., :2, :2] += 1.0
    assert bool((feats(x) - a).abs().sum(-1).gt(0).all())


def test_the_logistic_regression_runs_adagrad_on_standardized_rows() -> None:
    (xtr, ytr), (xva, _), (xte, yte) = gen.cancer_split()
    assert (len(xtr), len(xva), len(xte)) == (gen.LR_TRAIN, gen.LR_VAL, 86)
    assert np.allclose(xtr.mean(0).numpy(), 0.0, atol=1e-5)
    assert np.allclose(xtr.std(0).numpy(), 1.0, atol=1e-4)
    assert set(ytr.unique().tolist()) == {0.0, 1.0}


def test_the_committed_truths_are_what_the_generator_makes(tmp_path) -> None:
    """The Mixer and the logistic regression at their best LRs, retrained (a few CPU seconds):
    the committed final test losses, which the logged validation losses are not; the Mixer's CSV
    holds every 10th step and a val_loss at each epoch's end, the regression's one row an
    epoch, its LR constant."""
    from benchmarks.realworld import read_csv
    from benchmarks.realworld.fresh_sweeps8 import write_tested

    mixer, s, i = retrain_best(SUMMARIES, "fresh-mixer_digits_nesterov", gen.mixer_run)
    logreg, m, j = retrain_best(SUMMARIES, "fresh-logreg_cancer_adagrad", gen.logreg_run)
    assert mixer.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert mixer.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    cols = assert_logged_every_10th_step_and_each_epochs_val(mixer, tmp_path, gen.MIX_EPOCHS,
                                                              gen.MIX_STEPS_PER_EPOCH)
    assert np.allclose(cols["lr"], s["lrs"][i])
    assert mixer.log.final_val != pytest.approx(mixer.test, rel=1e-3)
    assert logreg.test == pytest.approx(m["final_eval_losses"][j], rel=RETRAINED_REL)
    write_tested(tmp_path, "logreg", logreg)
    cols = read_csv(tmp_path / "logreg.csv")
    assert cols["epoch"].astype(int).tolist() == list(range(1, gen.LR_EPOCHS + 1))
    assert np.allclose(cols["lr"], m["lrs"][j])
    assert math.isfinite(mixer.test) and math.isfinite(logreg.test)
