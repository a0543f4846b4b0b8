"""The eleventh finder round's fresh families: what they are (the checks every round shares are
in ``test_finder_fresh_rounds.py``), the clipped Adam one of them trains with, and
``finder_general --sweep`` takes the new split."""

from __future__ import annotations

import math

import pytest
import torch

from benchmarks import finder_families, finder_finetunes, finder_general, finder_runs
from benchmarks import finder_fresh11 as fresh11
from benchmarks.finder_tasks import OPTIMIZERS, ClippedAdam


def test_vit_reads_the_canvas_as_sixteen_patches() -> None:
    (x, y), (xv, yv) = fresh11._vit_shapes()
    assert set(torch.cat([y, yv]).tolist()) == set(range(6))
    torch.manual_seed(0)
    net = fresh11.PatchClassifier()
    assert net.embed(x[:2]).flatten(2).shape == (2, 32, 16)  # 4x4 patches of a 16x16 canvas
    assert sum(1 for m in net.modules() if isinstance(m, torch.nn.TransformerEncoderLayer)) == 2


def test_gru_labels_are_the_channel_of_the_largest_sum() -> None:
    (x, y), (xv, yv) = fresh11._running_sums()
    assert torch.equal(y, x.sum(1).argmax(1)) and torch.equal(yv, xv.sum(1).argmax(1))
    counts = torch.bincount(y).float()  # the three channels about equally often: within five
    even = y.numel() / 3                # standard errors of an even draw
    assert float((counts - even).abs().max()) < 5 * math.sqrt(even * (1 - 1 / 3))
    torch.manual_seed(0)
    net = fresh11.SequenceGRU()
    with torch.no_grad():  # a recurrent reader: the order of the steps matters to it
        assert not torch.allclose(net(x[:4].flip(1)), net(x[:4]))


def test_clipped_adam_clips_the_gradient_and_runs_a_closure() -> None:
    torch.manual_seed(0)
    net = torch.nn.Linear(4, 1)
    opt = OPTIMIZERS["Adam-clip"](net.parameters(), 1e-2)
    assert isinstance(opt, ClippedAdam) and isinstance(opt, torch.optim.Adam)
    before = net.weight.detach().clone()

    def closure() -> torch.Tensor:  # Lightning's way: the backward pass inside the step
        opt.zero_grad()
        loss = (100 * net(torch.ones(8, 4))).pow(2).mean()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss is not None
    norm = torch.cat([p.grad.flatten() for p in net.parameters()]).norm()
    assert float(norm) == pytest.approx(1.0, rel=1e-5)  # clipped to the step's max norm of 1
    assert not torch.equal(net.weight, before)


def test_wide_and_deep_reads_categories_and_numbers() -> None:
    (x, y), (xv, yv) = fresh11._clicks()
    cats = torch.cat([x, xv])[:, :3]
    assert torch.equal(cats, cats.round()) and cats.min() == 0
    assert cats.max(0).values.tolist() == [c - 1 for c in fresh11.CARDINALITY]
    counts = torch.bincount(torch.cat([y, yv]).long().flatten(), minlength=2)
    assert counts.numel() == 2 and counts.min() > counts.max() / 3  # both labels common
    torch.manual_seed(0)
    net = fresh11.WideAndDeep()
    with torch.no_grad():
        out = net(x[:4])
        assert torch.equal(out[:, 0], torch.zeros(4))  # (0, logit)
        other = x[:4].clone()
        other[:, 1] = (other[:, 1] + 1) % fresh11.CARDINALITY[1]
        assert not torch.allclose(net(other), out)


def test_autoencoder_has_batchnorm_and_curved_standardised_data() -> None:
    (x, target), (xv, _) = fresh11._curves()
    assert torch.equal(x, target)
    assert torch.allclose(x.mean(0), torch.zeros(40), atol=1e-4)
    assert torch.allclose(x.std(0), torch.ones(40), atol=1e-4)
    # curved: the sines of a 12-dimensional mixture of the 3-d latent reach past 3 principal
    # directions, each of directions 4-12 carrying more than the noise does past the 12th
    s = torch.linalg.svdvals(x - x.mean(0)).pow(2)
    assert float(s[3:12].min()) > float(s[12:].mean())
    net = fresh11.bn_autoencoder()
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in net.modules()) == 5


def test_lm_fine_tune_starts_pretrained_and_trains_only_its_last_layers() -> None:
    pretrain, (x, y), (xv, yv) = fresh11._docs_finetune()
    assert (len(x), len(xv)) == (600, 400)
    assert not set(fresh11.DOC_MODULES) & set(finder_families.CODE_MODULES + finder_families.
                                              PROSE_MODULES)
    task = fresh11.FRESH11_TASKS[4]
    net = finder_runs.model(task, 0)
    trainable = {n for n, p in net.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith(("blocks.layers.1.norm2", "blocks.layers.1.linear",
                                           "norm.", "head.")) for n in trainable)
    assert not any(p.requires_grad for p in net.blocks.layers[0].parameters())
    assert not any(p.requires_grad for p in net.blocks.layers[1].self_attn.parameters())
    base = finder_finetunes._finetuned_prose_lm()  # the same pretrained LM, every weight
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(),
                                                 base.state_dict().values()))
    with torch.no_grad():  # pretraining taught it prose: far below chance, ln 256, on it
        assert float(task.loss(net.eval()(pretrain[0][:200]), pretrain[1][:200])) \
            < 0.6 * math.log(256)


def test_sweep_alone_takes_the_new_split() -> None:
    with pytest.raises(SystemExit, match="no task of split 'fresh11-held-out' named nope"):
        finder_general.sweep_only("fresh11-held-out", ("nope",))
