"""Round 12's made held-out sweeps (``fresh_sweeps12.py``): every run is labelled by its place in
its sweep, ranked by the loss on a test split that its log never holds; each grid spans its best
LR by a decade on both sides; the families are new; the manifest lines carry the same labels on
the ``round12-made`` side only; the citation graph is the Cora-like graph the docstring says,
with the Planetoid split; the text splits share no docstring; the VAE's loss is the negative
ELBO; and the committed truth is what the generator makes.
The checks every round shares run in ``test_made_rounds.py``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from benchmarks.realworld import fresh_sweeps12 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_two_families_are_logged_once_per_epoch() -> None:
    by_epoch = [s.family for s in gen.plan() if s.meta["logged"].startswith("once per epoch")]
    assert by_epoch == ["gcn_sbm_epochs_adam", "textcls_bag_adamw"]


def test_the_citation_graph_is_cora_like_with_the_planetoid_split() -> None:
    x, adj, y, (train_i, val_i, test_i) = gen.citation_graph()
    edges = adj.indices()
    off = edges[0] != edges[1]
    src, dst = edges[0][off], edges[1][off]
    assert torch.equal(adj.to_dense(), adj.to_dense().T)  # undirected
    assert off.sum() / gen.GRAPH_NODES == pytest.approx(gen.GRAPH_DEGREE, rel=0.1)
    assert float((y[src] == y[dst]).float().mean()) == pytest.approx(gen.GRAPH_HOMOPHILY,
                                                                     abs=0.03)
    assert np.allclose(x.sum(1)[x.sum(1) > 0], 1)
    assert torch.bincount(y[train_i]).tolist() == [gen.TRAIN_PER_CLASS] * gen.GRAPH_CLASSES
    assert (len(val_i), len(test_i)) == (gen.GRAPH_VAL, gen.GRAPH_TEST)
    parts = [set(train_i.tolist()), set(val_i.tolist()), set(test_i.tolist())]
    assert sum(map(len, parts)) == len(set().union(*parts))  # disjoint


def test_a_gcn_layer_mixes_only_neighbours() -> None:
    """Two nodes joined by an edge and an isolated third: the isolated node's output depends
    on its own features alone."""
    adj = torch.tensor([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]).to_sparse()
    model = gen.GCN(2, 4, 2, dropout=0.0).eval()
    x = torch.randn(3, 2)
    with torch.no_grad():
        out = model(x, adj)
        moved = x.clone()
        moved[0] += 5.0
        again = model(moved, adj)
    assert torch.allclose(out[2], again[2]) and not torch.allclose(out[1], again[1])


def test_the_text_splits_share_no_docstring_and_the_vocabulary_is_the_training_parts() -> None:
    (xtr, ytr), (xva, yva), (xte, yte) = gen.docstring_split()
    assert (len(ytr), len(yva)) == (gen.TEXT_TRAIN, gen.TEXT_VAL) and len(yte) > 500
    assert set(ytr.tolist()) == set(range(len(gen.TEXT_PACKAGES)))
    rows = [tuple(r[r > 0].tolist()) for x in (xtr, xva, xte) for r in x]
    assert all(rows)  # every docstring has a token
    words = int(xtr.max()) + 1 - gen.TEXT_BUCKETS
    assert int(xva.max()) < words + gen.TEXT_BUCKETS  # no id past the buckets
    assert gen.words_of("Return the Tk_Widget, 2 times.") == ["return", "the", "tk_widget",
                                                               "times"]


@torch.no_grad()
def test_the_vae_loss_is_the_negative_elbo_per_image() -> None:
    torch.manual_seed(0)
    model = gen.VAE()
    x = torch.rand(5, 64)
    h = model.enc(x)
    mu, logvar = model.mu(h), model.logvar(h)
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(3))
    p = torch.sigmoid(model.dec(mu + eps * torch.exp(0.5 * logvar)))
    bce = -(x * torch.log(p) + (1 - x) * torch.log(1 - p))
    kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar)
    expected = (bce.sum() + kl.sum()) / 5
    got = model.loss(x, torch.Generator().manual_seed(3))
    assert float(got) == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.slow
def test_a_committed_truth_is_what_the_generator_makes() -> None:
    """The VAE at its best LR, retrained (a few CPU seconds): the committed final test loss,
    which its logged validation loss is not."""
    run, s, i = retrain_best(SUMMARIES, "fresh-vae_digits_adam", gen.vae_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    assert run.log.rows[-1][0] == gen.VAE_EPOCHS * gen.VAE_STEPS_PER_EPOCH
    assert run.log.final_val != pytest.approx(run.test, rel=1e-3)
    assert math.isfinite(run.test)
