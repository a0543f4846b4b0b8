"""The eighth finder round's fresh families: what they are (the checks every round shares are in
``test_finder_fresh_rounds.py``), the new optimizer is one every finder can build, and
``finder_general --sweep`` takes the new split."""

from __future__ import annotations

import pytest
import torch

from benchmarks import finder_general, finder_runs
from benchmarks import finder_fresh8 as fresh8
from benchmarks.finder import MOMENTUM, lrwatch_reading
from benchmarks.finder_tasks import OPTIMIZERS


def test_ratings_pair_known_users_and_items_with_standardised_scores() -> None:
    (x, y), (xv, yv) = fresh8._ratings()
    assert x.dtype == xv.dtype == torch.long
    assert x[:, 0].max() < fresh8.USERS and x[:, 1].max() < fresh8.ITEMS and x.min() >= 0
    pairs = {tuple(p) for p in torch.cat([x, xv]).tolist()}
    assert len(pairs) == len(x) + len(xv)  # each user rates an item once
    assert abs(float(y.mean())) < 1e-4 and abs(float(y.std()) - 1) < 1e-4
    torch.manual_seed(0)
    with torch.no_grad():
        start = fresh8.MatrixFactorisation()(xv)
    assert float(start.abs().max()) < 0.2  # it starts near the mean rating


def test_noisy_table_is_standardised_with_three_classes() -> None:
    (x, y), (xv, yv) = fresh8._noisy_table()
    assert torch.allclose(x.mean(0), torch.zeros(20), atol=1e-4)
    assert torch.allclose(x.std(0), torch.ones(20), atol=1e-4)
    assert set(y.tolist()) == set(yv.tolist()) == {0, 1, 2}


def test_vae_loss_charges_the_kl_and_a_bare_prediction_none() -> None:
    (x, _), _ = fresh8._digits_for_vae()
    torch.manual_seed(0)
    net = fresh8.DigitsVAE().eval()
    with torch.no_grad():
        out = net(x[:16])
    assert (out[:, :64] >= 0).all() and (out[:, :64] <= 1).all() and (out[:, 64] >= 0).all()
    without_kl = fresh8.elbo_loss(out[:, :64], x[:16])
    assert fresh8.elbo_loss(out, x[:16]) == pytest.approx(
        float(without_kl) + float(out[:, 64].mean()) / 64)
    assert fresh8.elbo_loss(x[:16], x[:16]) == 0  # a perfect bare reconstruction costs nothing
    net.train()
    with torch.no_grad():
        assert not torch.equal(net(x[:16]), net(x[:16]))  # training samples the latent


def test_gru_lm_reads_text_no_earlier_lm_read() -> None:
    from benchmarks.finder_families import CODE_MODULES, PROSE_MODULES
    from benchmarks.finder_fresh import MLM_CODE_MODULES, MLM_PROSE_MODULES

    earlier = set(CODE_MODULES + PROSE_MODULES + MLM_CODE_MODULES + MLM_PROSE_MODULES)
    assert not earlier & set(fresh8.GRU_LM_MODULES)
    (x, y), _ = fresh8._gru_lm()
    assert torch.equal(x[:, 1:], y[:, :-1])  # the next byte


def test_fine_tune_freezes_the_first_layers_and_replaces_the_head() -> None:
    task = fresh8.FRESH8_TASKS[4]
    pretrain, (x, y), (xv, yv) = fresh8._topics_finetune()
    assert (len(pretrain[0]), len(x), len(xv)) == (3000, 300, 600)
    assert set(pretrain[1].tolist()) == set(range(10)) and set(y.tolist()) == set(range(5))
    net = finder_runs.model(task, 0)
    trainable = [n for n, p in net.named_parameters() if p.requires_grad]
    assert trainable == ["4.weight", "4.bias", "6.weight", "6.bias"]
    assert tuple(net(x[:4]).shape) == (4, 5)
    pretrained = fresh8._topics_mlp()
    pretrained.load_state_dict(fresh8._pretrained("topics-mlp", fresh8._topics_mlp, pretrain,
                                                  torch.nn.functional.cross_entropy, 1500))
    assert torch.equal(net[0].weight, pretrained[0].weight)  # it starts from the pretraining
    with torch.no_grad():  # which learned the topics
        accuracy = (pretrained(pretrain[0]).argmax(1) == pretrain[1]).float().mean()
    assert accuracy > 0.8


def test_rmsprop_is_an_optimizer_every_finder_builds_and_lrwatch_reads_as_adaptive() -> None:
    opt = OPTIMIZERS["RMSprop"](fresh8.dropout_mlp().parameters(), 1e-3)
    assert isinstance(opt, torch.optim.RMSprop) and opt.defaults["momentum"] == MOMENTUM["RMSprop"]
    lrs = [10 ** (-6 + 7 * i / 99) for i in range(100)]
    losses = [1.0 - 0.5 * (i / 60) if i < 60 else 0.5 + (i - 60) ** 2 / 50 for i in range(100)]
    reading = lrwatch_reading({"lr": lrs, "raw_loss": losses}, "RMSprop")
    assert "adaptive" in reading.reason


def test_sweep_alone_takes_the_new_split() -> None:
    with pytest.raises(SystemExit, match="no task of split 'fresh8-held-out' named nope"):
        finder_general.sweep_only("fresh8-held-out", ("nope",))


def test_generation_silences_what_the_finders_say(capsys: pytest.CaptureFixture[str],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    import warnings

    from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn
    # the standalone package's import sends rank_zero_info to its own logger: silence that too
    import pytorch_lightning.utilities.rank_zero  # noqa: F401

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with finder_general.quiet():
            print("Suggested LR: 1.00E-03")  # what torch-lr-finder prints
            rank_zero_info("find_lr: suggesting 0.001")  # find_lr's log line
            rank_zero_warn("find_lr: suggesting 0.001, but the loss was still falling")
        assert not caught
    out = capsys.readouterr()
    assert "Suggested" not in out.out + out.err and "find_lr" not in out.out + out.err
    assert "find_lr" not in caplog.text
    print("after")  # and everything is back as it was
    assert capsys.readouterr().out == "after\n"
