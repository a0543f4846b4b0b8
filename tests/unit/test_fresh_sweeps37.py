"""Round 37's made held-out sweeps (``fresh_sweeps37.py``): a decoder-only transformer learning
random Markov chains in context under Adamax; a GIN on random graphs trained with the Poisson
likelihood under centered RMSprop, logged once per epoch; a Student-t fine-tune of a TCN
forecaster pretrained here under SGD with Nesterov momentum and OneCycle. The checks every round
shares (labels by place, grids, new families, the manifest's side) run in
``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``; these pin
what this round wrote itself."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from benchmarks.realworld import fresh_sweeps37 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    lm, gin, tcn = gen.plan()
    assert lm.meta["optimizer"] == "Adamax" and "transformer" in lm.meta["model"]
    assert gin.meta["optimizer"] == "RMSprop (centered)" and "once per epoch" in gin.meta["logged"]
    assert gin.meta["loss"].startswith("Poisson") and gin.meta["model"].startswith("GIN")
    assert tcn.meta["optimizer"].startswith("SGD (Nesterov") and tcn.meta["fine_tune"] is True
    assert tcn.meta["loss"].startswith("Student-t") and "OneCycleLR" in tcn.meta["schedule"]
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_each_sequence_follows_its_own_chain_above_the_bayes_floor() -> None:
    (tr,), _, (te,) = gen.markov_chains()
    assert tr.shape[1] == gen.MK_LEN and int(tr.max()) == gen.MK_STATES - 1
    # a sparse chain: far fewer distinct transitions in a sequence than the 64 possible
    distinct = [len(set(zip(r[:-1], r[1:]))) for r in te[:50].tolist()]
    assert np.mean(distinct) < 24
    floor = gen.bayes_floor(te)
    assert floor < 0.8 * np.log(gen.MK_STATES)  # the context tells much of the next state
    finals = SUMMARIES["fresh-gpt_markov_incontext_adamax_warmlinear"]["final_eval_losses"]
    assert all(f is None or f > floor for f in finals)  # no run passes the floor
    assert gen.warmup_linear(0) == pytest.approx(1 / gen.MK_WARMUP)
    assert gen.warmup_linear(gen.MK_WARMUP) == 1.0 and gen.warmup_linear(gen.MK_STEPS) == 0.0


def test_the_transformer_is_causal() -> None:
    torch.manual_seed(0)
    model = gen.markov_gpt().eval()
    x = torch.randint(0, gen.MK_STATES, (2, gen.MK_LEN - 1))
    y = x.clone()
    y[:, 10] = (y[:, 10] + 1) % gen.MK_STATES
    with torch.no_grad():
        a, b = model(x), model(y)
    assert torch.allclose(a[:, :10], b[:, :10], atol=1e-6)
    assert not torch.allclose(a[:, 10:], b[:, 10:])


def test_the_losses_are_whole_negative_log_likelihoods() -> None:
    log_rate, y = torch.tensor([0.3, -1.0, 2.0]), torch.tensor([0.0, 2.0, 9.0])
    expected = -torch.distributions.Poisson(torch.exp(log_rate)).log_prob(y).mean()
    assert float(gen.poisson_nll(log_rate, y)) == pytest.approx(float(expected), rel=1e-6)
    pred, t = torch.tensor([[0.1, -0.5], [1.0, 0.3]]), torch.tensor([0.4, -2.0])
    expected = -torch.distributions.StudentT(gen.TC_DF, pred[:, 0],
                                             torch.exp(pred[:, 1])).log_prob(t).mean()
    assert float(gen.student_t_nll(pred, t)) == pytest.approx(float(expected), rel=1e-6)


def test_the_gin_counts_from_two_hops_and_its_graphs_are_undirected() -> None:
    (adj, deg, y), _, _ = gen.graphs()
    assert torch.equal(adj, adj.transpose(1, 2)) and float(adj.diagonal(0, 1, 2).abs().sum()) == 0
    assert torch.equal(deg.argmax(2), adj.sum(2).long())
    assert float(y.min()) >= 0 and torch.equal(y, y.round())
    torch.manual_seed(0)
    model = gen.GIN(float(np.log(float(y.mean())))).eval()
    perm = torch.randperm(gen.GN_NODES)
    with torch.no_grad():  # a sum of node states: the node order does not matter
        a, b = model(adj[:4], deg[:4]), model(adj[:4][:, perm][:, :, perm], deg[:4][:, perm])
    assert torch.allclose(a, b, atol=1e-5)


def test_the_tcn_is_causal_with_a_receptive_field_of_31_points() -> None:
    torch.manual_seed(0)
    model = gen.TCN()
    x = torch.randn(2, 1, gen.TC_WINDOW)
    field = 1 + 2 * sum(gen.TC_DILATIONS)
    early, late = x.clone(), x.clone()
    early[:, :, :gen.TC_WINDOW - field] += 5.0  # before the field: no effect
    late[:, :, gen.TC_WINDOW - field] += 5.0  # the field's first point: an effect
    with torch.no_grad():
        assert torch.allclose(model(x), model(early))
        assert not torch.allclose(model(x), model(late))
    (xp, _), ((xs, ys), _, _) = gen.regimes()
    assert float(xs.mean()) > float(xp.mean()) + 0.3  # the shifted regime's level moved


def test_retraining_the_fine_tunes_best_run_gives_its_committed_test_loss() -> None:
    """The fine-tune at its best LR, retrained with its pretraining (a few CPU seconds): the
    committed test loss; a retrain on other kernels drifts within ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, "fresh-tcn_ft_series_studentt_nesterov_onecycle",
                             gen.forecast_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
