"""Round 26's made held-out sweeps (``fresh_sweeps26.py``): a BERT-style byte encoder pretrained
here by masked LM, fine-tuned to tell four standard-library modules apart under AdamW with a
linear warmup and decay; a convolutional autoencoder on noisy shapes under RMSprop at a constant
LR; an MLP on digits with redrawn labels under SGD with momentum and a step decay, stopped early
on its ``val_loss``, one point per epoch; each with a floor no run passes (windows that could be
any module's, the images' noise, the redrawn labels), and the committed truths are what the
generator makes. The checks every round shares (labels by place, grids, new families, the
manifest's side) run in ``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and
``test_realworld_sides.py``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from benchmarks.realworld import fresh_sweeps26 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())
FT, AE, ES = ("fresh-bertft_modulecls_adamw_linear", "fresh-convae_noisyshapes_rmsprop_const",
              "fresh-mlp_digits_earlystop_sgdm_step")


def _best_final(name: str) -> float:
    s = SUMMARIES[name]
    return min(f for f in s["final_eval_losses"] if f is not None)


def _label_noise_nats(flip: float, classes: int) -> float:
    """The entropy of a label that is right with probability ``1 - flip`` and otherwise one
    of the other classes at random: no model's cross-entropy can go below it."""
    return -((1 - flip) * math.log(1 - flip) + flip * math.log(flip / (classes - 1)))


def test_the_families_train_with_the_optimizers_and_schedules_the_plan_names() -> None:
    ft, ae, es = gen.plan()
    assert [s.meta["optimizer"] for s in gen.plan()] == ["AdamW", "RMSprop", "SGD"]
    assert ft.meta["fine_tune"] and not ae.meta["fine_tune"] and not es.meta["fine_tune"]
    assert ft.meta["schedule"].startswith("linear warmup") and ae.meta["schedule"] == "constant"
    assert es.meta["momentum"] == 0.9 and es.meta["schedule"].startswith("StepLR")
    assert "patience 5" in es.meta["early_stopping"] and es.meta["epochs"] >= 30
    # the grids cover what users pick (the generator's docstring): AdamW fine-tunes of small
    # encoders 1e-4 to 1e-2; RMSprop 1e-4 to 1e-3 (Keras' default 1e-3); SGD with momentum on
    # an MLP 1e-3 to 1e-1 (Keras' default 1e-2)
    assert min(ft.lrs) <= 1e-4 and max(ft.lrs) >= 1e-2
    assert min(ae.lrs) <= 1e-4 and max(ae.lrs) >= 1e-3
    assert min(es.lrs) <= 1e-3 and max(es.lrs) >= 1e-1
    assert all(len(s.lrs) == 13 for s in gen.plan())


def test_the_logging_is_dense_enough_to_judge() -> None:
    assert gen.FT_STEPS // gen.LOG_EVERY >= 30 and gen.AE_STEPS // gen.LOG_EVERY >= 30
    assert gen.ES_MAX_EPOCHS >= 30  # one point per epoch, until early stopping ends the run
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_fine_tune_starts_from_the_encoder_pretrained_here_on_another_text() -> None:
    model = gen.EncoderClassifier()
    pretrained = gen.pretrained()
    for name, value in model.encoder.state_dict().items():
        assert torch.equal(value, pretrained[name]), name
    assert gen.PT_TEXT not in gen.FT_MODULES
    assert model(torch.zeros(3, gen.BERT_CTX, dtype=torch.long)).shape == (3, 4)
    train_parts, val_parts, test_parts = gen.module_parts()
    for tr, va, te, name in zip(train_parts, val_parts, test_parts, gen.FT_MODULES):
        size = (gen.STDLIB / name).stat().st_size
        assert len(tr) + len(va) + len(te) == size and len(tr) > 7 * len(te) > 0
    _, y = gen.module_windows(test_parts, 400, torch.Generator().manual_seed(0))
    assert sorted(np.bincount(y.numpy())) == pytest.approx([100] * 4, rel=0.25)
    s = SUMMARIES[FT]
    # it learned, and the floor held (some windows are anyone's): no 90% fall
    assert 0.1 * s["start_eval_losses"][0] < _best_final(FT) < 0.9 * s["start_eval_losses"][0]
    assert s["start_eval_losses"][0] == pytest.approx(math.log(4), rel=0.1)


def test_the_autoencoder_cannot_carry_the_noise_through_its_code() -> None:
    xtr, xva, xte = gen.noisy_shapes()
    assert xtr.shape == (gen.AE_TRAIN, 1, gen.AE_SIZE, gen.AE_SIZE) and len(xte) == gen.AE_TEST
    model = gen.ConvAutoencoder()
    assert model(xte[:5]).shape == xte[:5].shape
    assert model.encode(xte[:5]).shape == (5, gen.AE_CODE)
    # 16 numbers can hold at most 16 of the 256 pixels' independent noise
    floor = gen.AE_NOISE ** 2 * (1 - gen.AE_CODE / gen.AE_SIZE ** 2)
    assert floor < _best_final(AE) < 0.75 * SUMMARIES[AE]["start_eval_losses"][0]


def test_the_digits_mlp_stays_above_its_redrawn_labels() -> None:
    (xtr, ytr), (xva, _), (xte, yte) = gen.noisy_digits()
    assert len(xtr) == gen.ES_TRAIN and len(xva) == gen.ES_VAL and len(xte) == 360
    assert float(xtr.max()) == 1.0 and float(xtr.min()) == 0.0
    # a tenth of the redrawn labels land on the true class
    floor = _label_noise_nats(gen.ES_FLIP * 0.9, 10)
    assert floor < _best_final(ES) < 0.5 * SUMMARIES[ES]["start_eval_losses"][0]


def test_no_familys_best_run_removes_90_percent_of_its_loss() -> None:
    for s in SUMMARIES.values():
        i = s["lrs"].index(s["best_lr"])
        assert s["final_eval_losses"][i] > 0.1 * s["start_eval_losses"][i]


def test_the_mlps_truth_is_what_the_generator_makes_stopped_early_one_point_an_epoch() -> None:
    """The MLP at its best LR, retrained (a second of CPU): the committed test loss, of the
    weights early stopping leaves; one row per epoch, the LR halved every 10 epochs, stopped 5
    epochs after its best ``val_loss``, before the 60 it may run."""
    run, s, i = retrain_best(SUMMARIES, ES, gen.es_mlp_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    epochs = [r[0] for r in run.log.rows]
    assert run.by_epoch and epochs == list(range(1, len(epochs) + 1))
    assert len(epochs) < gen.ES_MAX_EPOCHS
    val = [run.log.val[e] for e in epochs]
    best = int(np.argmin(val))
    assert len(val) - 1 - best == gen.ES_PATIENCE  # stopped 5 epochs after its best
    lrs = [r[2] for r in run.log.rows]
    assert lrs[:10] == pytest.approx([s["lrs"][i]] * 10)
    assert lrs[10:20] == pytest.approx([s["lrs"][i] / 2] * len(lrs[10:20]))
    assert run.test not in run.log.val.values()


def test_the_autoencoders_truth_is_what_the_generator_makes_logged_every_10_steps() -> None:
    """The autoencoder at its best LR, retrained (a few CPU seconds): the committed test loss;
    every 10th step logged at a constant LR, a val_loss each epoch."""
    run, s, i = retrain_best(SUMMARIES, AE, gen.convae_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    steps = [r[0] for r in run.log.rows]
    assert steps == list(range(gen.LOG_EVERY, gen.AE_STEPS + 1, gen.LOG_EVERY))
    assert {r[2] for r in run.log.rows} == {s["lrs"][i]}
    assert sorted(run.log.val) == list(range(gen.AE_STEPS_PER_EPOCH, gen.AE_STEPS + 1,
                                             gen.AE_STEPS_PER_EPOCH))
    assert math.isfinite(run.test)
