"""The tenth finder round's fresh families: what they are (the checks every round shares are in
``test_finder_fresh_rounds.py``), and ``finder_general --sweep`` takes the new split."""

from __future__ import annotations

import math

import pytest
import torch

from benchmarks import finder_fresh10 as fresh10
from benchmarks import finder_general, finder_runs
from benchmarks.finder_fresh6 import _shape


def test_canvas_shapes_are_stamped_and_the_cnn_depthwise_separable() -> None:
    (x, y), (xv, yv) = fresh10._canvas_shapes()
    assert set(torch.cat([y, yv]).tolist()) == set(range(6))
    labels = torch.cat([y, yv])
    assert torch.bincount(labels).min() > 0.8 * len(labels) / 6  # shapes drawn about evenly
    # stamps add light to zero-mean noise: the canvases' mean sits above zero by far more than
    # the noise's standard error
    pixels = torch.cat([x, xv])
    assert float(pixels.mean()) > 10 * float(pixels.std()) / pixels.numel() ** 0.5
    torch.manual_seed(0)
    net = fresh10.SeparableCNN()
    depthwise = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d) and m.groups > 1]
    assert [(m.groups, m.in_channels, m.kernel_size) for m in depthwise] == [
        (16, 16, (3, 3)), (32, 32, (3, 3))]


def test_stamps_take_the_size_asked_for() -> None:
    x, y = fresh10._stamped(3, 10, (6, 6), (1.0, 1.0), 0.0, seed=0)
    for canvas, label in zip(x[:, 0], y.tolist()):
        rows, cols = canvas.nonzero(as_tuple=True)
        r, c = int(rows.min()), int(cols.min())
        assert torch.equal(canvas[r:r + 6, c:c + 6], _shape(label, 6))
        assert float(canvas.sum()) == float(_shape(label, 6).sum())


def test_recommender_reads_a_bag_of_liked_items_and_a_candidate() -> None:
    (x, y), (xv, yv) = fresh10._likes()
    rows = torch.cat([x, xv])
    assert rows.dtype == torch.long and 0 <= rows.min() and rows.max() < fresh10.ITEMS
    counts = torch.bincount(torch.cat([y, yv]))
    assert len(counts) == 2 and counts.min() > counts.max() / 2  # both labels are common
    torch.manual_seed(0)
    net = fresh10.TwoTower()
    with torch.no_grad():
        out = net(x[:4])
        assert torch.equal(out[:, 0], torch.zeros(4))  # (0, score): a two-class logit pair
        shuffled = torch.cat([x[:4, :fresh10.HISTORY].flip(1), x[:4, fresh10.HISTORY:]], 1)
        assert torch.allclose(net(shuffled), out, atol=1e-6)  # a bag: order does not matter
        other = x[:4].clone()
        other[:, -1] = (other[:, -1] + 1) % fresh10.ITEMS
        assert not torch.allclose(net(other), out)  # the candidate does


def test_forecasts_continue_a_seasonal_series() -> None:
    (x, y), _ = fresh10._seasonal_series()
    assert torch.allclose(x.mean((1, 2)), torch.zeros(len(x)), atol=1e-5)  # window centred
    # sums of two cycles and a slope: a linear forecast from the window leaves little more than
    # the noise, far below forecasting the window's mean (zero)
    rows = torch.cat([x[:, 0], torch.ones(len(x), 1)], 1)
    residual = y - rows @ torch.linalg.lstsq(rows, y).solution
    assert float(residual.pow(2).mean()) < 0.1 * float(y.pow(2).mean())


def test_graphs_are_undirected_and_the_network_ignores_node_order() -> None:
    (x, y), _ = fresh10._graphs()
    adjacency, features = x[:, :, :fresh10.NODES], x[:, :, fresh10.NODES:]
    assert torch.equal(adjacency, adjacency.transpose(1, 2))
    assert set(adjacency.unique().tolist()) == {0.0, 1.0}
    assert float(adjacency.diagonal(dim1=1, dim2=2).abs().sum()) == 0
    # the targets, by hand: the mean over a graph's edges of its ends' feature 0 multiplied
    means = torch.tensor([sum(float(f[i, 0] * f[j, 0]) for i, j in zip(*a.triu(1).nonzero(
        as_tuple=True))) / max(int(a.triu(1).sum()), 1) for a, f in zip(adjacency, features)])
    assert torch.allclose(y[:, 0], (means - means.mean()) / means.std(), atol=1e-4)
    torch.manual_seed(0)
    net = fresh10.MessagePassing()
    order = torch.randperm(fresh10.NODES)
    permuted = torch.cat([adjacency[:, order][:, :, order], features[:, order]], 2)
    with torch.no_grad():
        assert torch.allclose(net(permuted[:8]), net(x[:8]), atol=1e-5)


def test_shapes_fine_tune_starts_from_a_pretrained_cnn_on_larger_stamps() -> None:
    pretrain, (x, y), (xv, yv) = fresh10._shapes_larger()
    assert (len(pretrain[0]), len(x), len(xv)) == (3000, 200, 800)
    task = fresh10.FRESH10_TASKS[4]
    net = finder_runs.model(task, 0)
    again = finder_runs.model(task, 1)
    assert all(p.requires_grad for p in net.parameters())  # a full fine-tune
    # head kept: the seed changes nothing, every weight comes from pretraining
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(),
                                                 again.state_dict().values()))
    with torch.no_grad():  # pretraining taught it the small shapes, far below chance, ln 6
        assert float(task.loss(net.eval()(pretrain[0][:500]), pretrain[1][:500])) \
            < 0.5 * math.log(6)


def test_sweep_alone_takes_the_new_split() -> None:
    with pytest.raises(SystemExit, match="no task of split 'fresh10-held-out' named nope"):
        finder_general.sweep_only("fresh10-held-out", ("nope",))
