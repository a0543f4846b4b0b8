"""Round 14's made held-out sweeps (``fresh_sweeps14.py``): every run is labelled by its place in
its sweep, ranked by the loss on a test split that its log never holds; each grid spans its best
LR by a decade on both sides; the families are new; the manifest lines carry the same labels on
the ``round14-made`` side only; the GRU's SGD is plain, unclipped and halved every 5 epochs,
logged once per epoch, on byte windows whose targets are the next bytes; the autoencoder
reconstructs its input under a warmup then cosine to 0; the MLP's RMSprop has Keras's defaults on
standardized diabetes rows; and the committed truths are what the generator makes.
The checks every round shares run in ``test_made_rounds.py``."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks.realworld import fresh_sweeps14 as gen
from benchmarks.realworld.made_tasks import warmup_cosine
from tests.unit.test_fresh_sweeps7 import (RETRAINED_REL,
                                           assert_logged_every_10th_step_and_each_epochs_val,
                                           retrain_best)

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_the_plan_names() -> None:
    assert [s.meta["optimizer"] for s in gen.plan()] == ["SGD", "AdamW", "RMSprop"]


def test_two_families_are_logged_once_per_epoch_and_one_every_10_steps() -> None:
    gru, ae, mlp = gen.plan()
    assert gru.meta["logged"].startswith("once per epoch")
    assert mlp.meta["logged"].startswith("once per epoch as a Keras History")
    assert ae.meta["logged"].startswith("every 10 steps")
    # each epoch's last step is a logged row, so its val_loss reaches the CSV
    assert gen.AE_STEPS_PER_EPOCH % gen.AE_LOG_EVERY == 0
    assert 10 <= gen.GRU_EPOCHS <= 20 and 30 <= gen.MLP_EPOCHS <= 60
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_gru_windows_predict_the_next_byte_of_the_standard_library() -> None:
    train_part, val_part, test_part = gen.stdlib_text()
    assert train_part.numel() + val_part.numel() + test_part.numel() == gen.GRU_BYTES
    x, y = gen.byte_windows(train_part)
    assert x.shape == y.shape == (x.shape[0], gen.GRU_CTX)
    assert torch.equal(x[:, 1:], y[:, :-1]) and torch.equal(x[1:, 0], y[:-1, -1])
    assert bytes(x[0].tolist()).isascii()  # Python source
    logits = gen.CharGRU()(x[:2])
    assert logits.shape == (2, gen.GRU_CTX, 256)


def test_the_step_decay_halves_plain_unclipped_sgd_every_5_epochs_one_row_an_epoch() -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(1, 1, bias=False)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    assert opt.param_groups[0]["momentum"] == 0
    x = torch.tensor([[100.0]])
    weights = []

    def step_loss(idx: torch.Tensor) -> torch.Tensor:
        weights.append(float(model.weight.detach()))
        return (model(x) - 0.0).pow(2).mean() * 1e-6  # gradient 2e-6 * w * 1e4: not clipped
    log = gen.train_epochs_step_decay(model, opt, 12, [[torch.arange(1)]] * 12, step_loss,
                                      lambda: 0.0, 5, 0.5)
    assert [r[0] for r in log.rows] == list(range(1, 13))
    assert [r[2] for r in log.rows] == pytest.approx([0.1] * 5 + [0.05] * 5 + [0.025] * 2)
    assert all(math.isnan(r[3]) for r in log.rows)
    # the first step moves the weight by exactly lr * gradient (no clipping at any norm)
    grad = 2e-6 * weights[0] * 1e4
    assert weights[1] == pytest.approx(weights[0] - 0.1 * grad, rel=1e-5)


def test_the_autoencoder_reconstructs_its_input_under_warmup_then_cosine_to_zero() -> None:
    xtr, xva, xte = gen.digits_split()
    assert (len(xtr), len(xva), len(xte)) == (gen.AE_TRAIN, gen.AE_VAL, gen.AE_TEST)
    with torch.no_grad():
        out = gen.conv_autoencoder()(xtr[:4])
    assert out.shape == xtr[:4].shape and float(out.min()) >= 0 and float(out.max()) <= 1
    steps = gen.AE_EPOCHS * gen.AE_STEPS_PER_EPOCH
    f = warmup_cosine(gen.AE_WARMUP, steps, floor=0.0)
    assert f(0) == pytest.approx(1 / gen.AE_WARMUP) and f(gen.AE_WARMUP - 1) == 1.0
    assert f(steps - 1) < 1e-4


def test_the_mlp_uses_keras_rmsprop_on_standardized_diabetes_rows() -> None:
    (xtr, ytr), (xva, yva), (xte, yte) = gen.diabetes_split()
    assert (len(ytr), len(yva), len(yte)) == (gen.MLP_TRAIN, gen.MLP_VAL, 70)
    assert torch.allclose(xtr.mean(0), torch.zeros(10), atol=1e-5)
    assert torch.allclose(xtr.std(0), torch.ones(10), atol=1e-5)
    assert float(ytr.mean()) == pytest.approx(0, abs=1e-5)
    opt = gen.keras_rmsprop([torch.nn.Parameter(torch.zeros(2))], 1e-3)
    group = opt.param_groups[0]
    assert (group["alpha"], group["eps"], group["momentum"], group["centered"]) == (
        0.9, 1e-7, 0, False)


@pytest.mark.slow
def test_a_committed_truth_is_what_the_generator_makes(tmp_path) -> None:
    """The autoencoder at its best LR, retrained (a few CPU seconds): the committed final test
    MSE, which its logged validation loss is not; its CSV holds every 10th step and a val_loss at
    each epoch's end. The MLP at its best LR, retrained: its committed test MSE, one CSV row an
    epoch."""
    from benchmarks.realworld import read_csv
    from benchmarks.realworld.fresh_sweeps8 import write_tested

    run, s, i = retrain_best(SUMMARIES, "fresh-convae_digits_adamw", gen.ae_run)
    mlp, m, j = retrain_best(SUMMARIES, "fresh-mlp_diabetes_rmsprop", gen.mlp_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    cols = assert_logged_every_10th_step_and_each_epochs_val(run, tmp_path, gen.AE_EPOCHS,
                                                              gen.AE_STEPS_PER_EPOCH)
    assert run.log.final_val != pytest.approx(run.test, rel=1e-3)
    assert mlp.test == pytest.approx(m["final_eval_losses"][j], rel=RETRAINED_REL)
    write_tested(tmp_path, "mlp", mlp)
    cols = read_csv(tmp_path / "mlp.csv")
    assert cols["epoch"].astype(int).tolist() == list(range(1, gen.MLP_EPOCHS + 1))
    assert math.isfinite(run.test) and math.isfinite(mlp.test)
