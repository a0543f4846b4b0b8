"""The ninth finder round's fresh families: what they are (the checks every round shares are in
``test_finder_fresh_rounds.py``), the two new optimizers are ones every finder can build and
lrwatch reads as what they are, and ``finder_general --sweep`` takes the new split."""

from __future__ import annotations

import pytest
import torch

from benchmarks import finder_fresh9 as fresh9
from benchmarks import finder_general, finder_runs
from benchmarks.finder import MOMENTUM, lrwatch_reading
from benchmarks.finder_tasks import OPTIMIZERS


def test_deep_linear_network_is_linear_and_its_target_low_rank() -> None:
    (x, y), (xv, yv) = fresh9._low_rank_map()
    assert torch.allclose(torch.cat([x, xv]).mean(0), torch.zeros(20), atol=1e-4)
    torch.manual_seed(0)
    net = fresh9.deep_linear()
    with torch.no_grad():  # no activation: the network is one affine map
        assert torch.allclose(net(x[:3] + x[3:6]) - net(torch.zeros(1, 20)),
                              net(x[:3]) + net(x[3:6]) - 2 * net(torch.zeros(1, 20)), atol=1e-5)
    # the best linear fit leaves about the noise (0.3 ** 2), far below the targets' variance
    fit = torch.linalg.lstsq(torch.cat([x, torch.ones(len(x), 1)], 1), y).solution
    residual = y - torch.cat([x, torch.ones(len(x), 1)], 1) @ fit
    assert float(residual.pow(2).mean()) == pytest.approx(0.09, abs=0.01)
    assert float(y.var(0).mean()) > 1.0


def test_sequences_target_the_largest_clean_value() -> None:
    (x, y), (xv, yv) = fresh9._noisy_sequences()
    assert abs(float(y.mean())) < 1e-4 and abs(float(y.std()) - 1) < 1e-4
    # the noisy sequence's own maximum tracks the target closely, but not exactly
    noisy_max = torch.cat([x, xv]).amax((1, 2))
    target = torch.cat([y, yv])[:, 0]
    assert torch.corrcoef(torch.stack([noisy_max, target]))[0, 1] > 0.8
    assert not torch.allclose((noisy_max - noisy_max.mean()) / noisy_max.std(), target,
                              atol=0.1)


def test_counts_are_poisson_and_the_loss_is_their_likelihood() -> None:
    (x, y), (xv, yv) = fresh9._event_counts()
    counts = torch.cat([y, yv])
    assert counts.min() >= 0 and torch.equal(counts, counts.round())
    # the rate varies with the inputs, so the counts are a Poisson mixture: more spread than
    # one Poisson's (variance = mean), which a model can explain
    assert float(counts.float().var()) > float(counts.float().mean())
    rate = float(y.mean())  # the best constant rate scores the counts' mean log-likelihood
    expected = rate - float((y * torch.log(torch.tensor(rate))).mean())
    assert float(fresh9.poisson_loss(torch.full_like(y, rate).log(), y)) == pytest.approx(
        expected, rel=1e-5)


def test_tags_say_whether_a_token_occurred_earlier_in_its_sequence() -> None:
    (x, y), (xv, yv) = fresh9._seen_before_tags()
    assert x.dtype == y.dtype == torch.long and x.max() < fresh9.VOCAB and x.min() >= 0
    assert y[:, 0].sum() == 0  # nothing came before the first token
    row = x[0].tolist()
    assert y[0].tolist() == [int(t in row[:i]) for i, t in enumerate(row)]
    assert 0.4 < float(torch.cat([y, yv]).float().mean()) < 0.6  # both tags are common
    torch.manual_seed(0)
    net = fresh9.BiGRUTagger()
    with torch.no_grad():
        logits = net(x[:4])
        assert fresh9.tag_loss(logits, y[:4]) == pytest.approx(float(
            torch.nn.functional.cross_entropy(logits.permute(0, 2, 1), y[:4])))
        # bidirectional: a change at the last position reaches the first one's logits
        changed = x[:1].clone()
        changed[0, -1] = (changed[0, -1] + 1) % fresh9.VOCAB
        assert not torch.equal(net(changed)[0, 0], net(x[:1])[0, 0])


def test_lm_fine_tune_starts_from_prose_and_reads_other_modules_source() -> None:
    from benchmarks.finder_families import CODE_MODULES, PROSE_MODULES
    from benchmarks.finder_fresh import MLM_CODE_MODULES, MLM_PROSE_MODULES
    from benchmarks.finder_fresh8 import GRU_LM_MODULES

    earlier = set(CODE_MODULES + PROSE_MODULES + MLM_CODE_MODULES + MLM_PROSE_MODULES
                  + GRU_LM_MODULES)
    assert not earlier & set(fresh9.LSTM_PROSE_MODULES + fresh9.LSTM_CODE_MODULES)
    assert not set(fresh9.LSTM_PROSE_MODULES) & set(fresh9.LSTM_CODE_MODULES)
    pretrain, (x, y), (xv, yv) = fresh9._prose_to_code()
    assert (len(pretrain[0]), len(x), len(xv)) == (2000, 300, 400)
    assert torch.equal(x[:, 1:], y[:, :-1])  # the next byte
    task = fresh9.FRESH9_TASKS[4]
    net = finder_runs.model(task, 0)
    assert all(p.requires_grad for p in net.parameters())  # a full fine-tune
    with torch.no_grad():  # pretraining taught it prose, well below the uniform 8 bits a byte
        assert float(task.loss(net.eval()(pretrain[0][:200]), pretrain[1][:200])) < 2.6


@pytest.mark.parametrize("name, cls, momentum, word", [
    ("SGD-nesterov", torch.optim.SGD, 0.9, "momentum 0.9"),
    ("Adagrad", torch.optim.Adagrad, 0.0, "adaptive")])
def test_new_optimizers_are_built_and_read_as_what_they_are(name: str, cls: type, momentum: float,
                                                            word: str) -> None:
    opt = OPTIMIZERS[name](fresh9.deep_linear().parameters(), 1e-3)
    assert isinstance(opt, cls) and MOMENTUM[name] == momentum
    if name == "SGD-nesterov":
        assert opt.defaults["nesterov"] and opt.defaults["momentum"] == momentum
    lrs = [10 ** (-6 + 7 * i / 99) for i in range(100)]
    losses = [1.0 - 0.5 * (i / 60) if i < 60 else 0.5 + (i - 60) ** 2 / 50 for i in range(100)]
    reading = lrwatch_reading({"lr": lrs, "raw_loss": losses}, name)
    assert word in reading.reason


def test_sweep_alone_takes_the_new_split() -> None:
    with pytest.raises(SystemExit, match="no task of split 'fresh9-held-out' named nope"):
        finder_general.sweep_only("fresh9-held-out", ("nope",))
