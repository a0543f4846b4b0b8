"""The eighth finder round's fresh families: each family's data and model have the shapes the
sweep and the range tests feed them and are the same on every call, the new optimizer is one
every finder can build, and ``finder_general --sweep`` takes the new split."""

from __future__ import annotations

import pytest
import torch

from benchmarks import finder_general, finder_runs
from benchmarks import finder_fresh8 as fresh8
from benchmarks.finder import MOMENTUM, lrwatch_reading
from benchmarks.finder_tasks import OPTIMIZERS

SHAPES = {  # task: (input of one sample, target of one sample, model output of one sample)
    "dropout-mlp-noisy-table": ((20,), (), (3,)),
    "vae-digits": ((64,), (64,), (65,)),
    "mf-ratings": ((2,), (1,), (1,)),
    "gru-char-lm": ((32,), (32,), (32, 256)),
    "finetune-lastlayers-mlp-topics": ((200,), (), (5,)),
}
DATA = (fresh8._noisy_table, fresh8._digits_for_vae, fresh8._ratings, fresh8._gru_lm,
        fresh8._topics_finetune)


def test_five_fresh_families_on_their_own_split() -> None:
    assert [t.name for t in fresh8.FRESH8_TASKS] == list(SHAPES)
    assert len({t.family for t in fresh8.FRESH8_TASKS}) == 5
    assert all(t.split == "fresh8-held-out" for t in fresh8.FRESH8_TASKS)
    assert [t.fine_tune for t in fresh8.FRESH8_TASKS] == [False] * 4 + [True]
    assert "fresh8-held-out" in finder_general.SPLITS
    assert set(fresh8.FRESH8_TASKS) <= set(finder_general.TASKS)
    earlier = [t for t in finder_general.TASKS if t.split != "fresh8-held-out"]
    assert not {t.name for t in earlier} & set(SHAPES)
    assert not {t.family for t in earlier} & {t.family for t in fresh8.FRESH8_TASKS}


@pytest.mark.parametrize("task", fresh8.FRESH8_TASKS, ids=lambda t: t.name)
def test_data_and_model_shapes(task) -> None:
    x, y = task.data()
    xv, yv = task.validation()
    sample, target, output = SHAPES[task.name]
    assert tuple(x.shape[1:]) == tuple(xv.shape[1:]) == sample
    assert tuple(y.shape[1:]) == tuple(yv.shape[1:]) == target
    assert len(x) == len(y) and len(xv) == len(yv) and len(xv) >= 100
    assert torch.isfinite(x.float()).all() and torch.isfinite(xv.float()).all()
    if task.name != "finetune-lastlayers-mlp-topics":  # its model is pretrained first (slow)
        net = finder_runs.model(task, 0)
        assert tuple(net(x[:4]).shape) == (4, *output)
        assert torch.isfinite(task.loss(net.eval()(xv), yv))


@pytest.mark.parametrize("data", DATA, ids=lambda d: d.__name__)
def test_data_are_the_same_on_every_call(data) -> None:
    first = [t.clone() for part in data() for t in part]
    data.cache_clear()
    torch.manual_seed(12345)  # the global RNG must not matter
    again = [t for part in data() for t in part]
    assert all(torch.equal(a, b) for a, b in zip(first, again))


@pytest.mark.parametrize("task", fresh8.FRESH8_TASKS[:4], ids=lambda t: t.name)
def test_models_are_the_same_for_the_same_seed(task) -> None:
    x, _ = task.data()
    first, again = finder_runs.model(task, 3).eval(), finder_runs.model(task, 3).eval()
    other = finder_runs.model(task, 4).eval()
    with torch.no_grad():
        assert torch.equal(first(x[:8]), again(x[:8]))
        assert not torch.equal(first(x[:8]), other(x[:8]))


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
