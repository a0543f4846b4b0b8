"""Round 36's made held-out sweeps (``fresh_sweeps36.py``): a decoder-only transformer adding
three-digit numbers under Adam-mini; a DeepSurv MLP trained with the Cox partial likelihood
under AdamP, logged once per epoch; a Gamma-deviance fine-tune of a claim-severity MLP
pretrained here under PyTorch's RAdam with decoupled weight decay. The checks every round shares
(labels by place, grids, new families, the manifest's side) run in ``test_made_rounds.py``,
``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``; these pin what this round wrote
itself."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks.realworld import fresh_sweeps36 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    adder, surv, claims = gen.plan()
    assert adder.meta["optimizer"] == "Adam-mini" and "transformer" in adder.meta["model"]
    assert surv.meta["optimizer"] == "AdamP" and "once per epoch" in surv.meta["logged"]
    assert "Cox" in surv.meta["loss"] and "BatchNorm" in surv.meta["model"]
    assert claims.meta["optimizer"].startswith("RAdam") and claims.meta["fine_tune"] is True
    assert claims.meta["loss"].startswith("Gamma deviance")
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_sums_are_written_question_first_answer_low_digit_first() -> None:
    (tr,), _, (te,) = gen.additions()
    assert not {tuple(r) for r in tr.tolist()} & {tuple(r) for r in te.tolist()}
    for row in tr[:20].tolist():
        a = int("".join(map(str, row[0:3])))
        b = int("".join(map(str, row[4:7])))
        assert row[3] == gen.PLUS and row[7] == gen.EQUALS
        assert sum(d * 10 ** k for k, d in enumerate(row[8:])) == a + b


def test_adam_mini_shares_one_second_moment_a_block_as_its_reference_partitions() -> None:
    torch.manual_seed(0)
    model = gen.AdditionGPT()
    blocks = {n: gen.mini_blocks(n, p, gen.AD_HEADS) for n, p in model.named_parameters()}
    assert blocks["tok.weight"] == gen.AD_VOCAB and blocks["head.weight"] == gen.AD_VOCAB
    assert blocks["blocks.layers.0.self_attn.in_proj_weight"] == 2 * gen.AD_HEADS + gen.AD_D
    assert blocks["blocks.layers.0.linear1.weight"] == gen.AD_FF
    assert blocks["blocks.layers.0.norm1.weight"] == 1 and blocks["head.bias"] is None
    # a row of one matrix: its entries share one moment, so the first step moves each entry by
    # lr * g / rms(row g), not Adam's lr * sign(g)
    p = torch.nn.Parameter(torch.zeros(1, 2))
    opt = gen.AdamMini([("mlp.weight", p)], lr=0.1, weight_decay=0.0, eps=0.0)
    p.grad = torch.tensor([[3.0, 4.0]])
    opt.step()
    rms = math.sqrt((9 + 16) / 2)
    assert p.detach()[0].tolist() == pytest.approx([-0.1 * 3 / rms, -0.1 * 4 / rms])


def test_adamp_projects_the_radial_part_out_of_a_scale_invariant_weight() -> None:
    """A gradient orthogonal to the weight's row (as a weight before a BatchNorm gets): Adam's
    first step, sign(g) = (1, -1), has a radial part along w = (1, 2); AdamP removes it, so the
    step is orthogonal to w. A gradient along w is left Adam's step."""
    w = torch.nn.Parameter(torch.tensor([[1.0, 2.0]]))
    opt = gen.AdamP([w], lr=0.1)
    w.grad = torch.tensor([[2.0, -1.0]])
    opt.step()
    assert w.detach()[0].tolist() == pytest.approx([1.0 - 0.1 * 1.2, 2.0 + 0.1 * 0.6])
    v = torch.nn.Parameter(torch.tensor([[1.0, 2.0]]))
    opt = gen.AdamP([v], lr=0.1)
    v.grad = torch.tensor([[1.0, 2.0]])
    opt.step()
    assert v.detach()[0].tolist() == pytest.approx([0.9, 1.9])


def test_the_cox_loss_is_the_partial_likelihood_over_the_risk_sets() -> None:
    risk = torch.tensor([0.5, -1.0, 2.0])
    time = torch.tensor([1.0, 3.0, 2.0])
    event = torch.tensor([1.0, 0.0, 1.0])
    # event at t=1: everyone at risk; at t=2: patients with times 2 and 3
    expected = -((0.5 - math.log(sum(math.exp(r) for r in (0.5, -1.0, 2.0))))
                 + (2.0 - math.log(math.exp(2.0) + math.exp(-1.0)))) / 2
    assert float(gen.cox_nll(risk, time, event)) == pytest.approx(expected)
    (_, _, e), _, _ = gen.survival()
    assert 0.6 < float(e.mean()) < 0.85  # some censored, most seen


def test_the_gamma_deviance_is_zero_at_the_truth_and_the_books_differ() -> None:
    y = torch.tensor([0.5, 2.0, 7.0])
    assert float(gen.gamma_deviance(torch.log(y), y)) == pytest.approx(0.0, abs=1e-7)
    assert float(gen.gamma_deviance(torch.log(y) + 1, y)) > 0
    (xp, yp), ((x, y), _, _) = gen.claim_books()
    assert (yp > 0).all() and (y > 0).all() and float(y.mean()) > float(yp.mean())


def test_retraining_the_fine_tunes_best_run_gives_its_committed_test_loss() -> None:
    """The fine-tune at its best LR, retrained with its pretraining (a few CPU seconds): the
    committed test loss; a retrain on other kernels drifts within ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, "fresh-mlp_ft_claims_gamma_radamw", gen.severity_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
