"""Round 44's made held-out sweeps (``fresh_sweeps44.py``): an (IA)^3 fine-tune of a byte
transformer pretrained here under PyTorch's Adafactor; a KAN fitting a made function under
full-batch L-BFGS, logged once per epoch; a dense mixture-of-experts MLP classifier under Adamax
with ``PolynomialLR``. The checks every round shares (labels by place, grids, new families, the
manifest's side) run in ``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and
``test_realworld_sides.py``; these pin what this round wrote itself."""

from __future__ import annotations

import json

import pytest
import torch

from benchmarks.realworld import fresh_sweeps44 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    ft, kan, moe = gen.plan()
    assert ft.meta["optimizer"].startswith("Adafactor") and ft.meta["fine_tune"] is True
    assert "(IA)^3" in ft.meta["model"] and "transformer" in ft.meta["model"]
    assert kan.meta["optimizer"] == "L-BFGS" and "KAN" in kan.meta["model"]
    assert "once per epoch" in kan.meta["logged"]
    assert moe.meta["optimizer"] == "Adamax" and "PolynomialLR" in moe.meta["schedule"]
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_ia3_starts_as_the_pretrained_model_and_trains_only_its_vectors(monkeypatch) -> None:
    seen = {}

    def capture(model, opt, *args, **kwargs):
        seen.update(model=model, opt=opt)
    monkeypatch.setattr(gen, "minibatch_run", capture)
    gen.ia3_run(1e-2)
    model, opt = seen["model"], seen["opt"]
    assert isinstance(opt, torch.optim.Adafactor)
    base = gen.code_lm()
    base.load_state_dict(gen.pretrained_lm())
    x = gen.prose_windows()[2][0][:4]
    with torch.no_grad():
        assert torch.allclose(model.eval()(x), base.eval()(x), atol=1e-5)
    tuned = opt.param_groups[0]["params"]
    assert len(tuned) == 2 * gen.FT_LAYERS  # keys and values share one vector a layer
    assert {id(p) for p in tuned} == {id(p) for p in model.parameters() if p.requires_grad}
    assert sorted(p.numel() for p in tuned) == sorted([2 * gen.FT_D, gen.FT_FF] * gen.FT_LAYERS)
    attn = model.blocks.layers[0].self_attn
    with torch.no_grad():
        attn.parametrizations.in_proj_weight[0].ell.fill_(2.0)
        w, b = attn.in_proj_weight, attn.in_proj_bias
        raw = attn.parametrizations.in_proj_weight.original
        assert torch.equal(w[:gen.FT_D], raw[:gen.FT_D])  # the queries untouched
        assert torch.allclose(w[gen.FT_D:], 2 * raw[gen.FT_D:])  # keys and values rescaled
        assert torch.allclose(b[gen.FT_D:], 2 * attn.parametrizations.in_proj_bias.original[
            gen.FT_D:])


def test_the_kan_splines_are_a_partition_of_unity_on_the_grid() -> None:
    layer = gen.KANLayer(2, 3)
    x = torch.rand(50, 2) * 1.98 - 0.99
    b = layer.bases(x)
    assert b.shape == (50, 2, gen.KA_GRID + gen.KA_ORDER)
    assert torch.allclose(b.sum(-1), torch.ones(50, 2), atol=1e-5)
    assert (b >= 0).all()


def test_the_lbfgs_takes_one_full_batch_step_an_epoch() -> None:
    """``step()`` with no closure (``train_by_epoch``'s call) evaluates the stored one, and one
    such step reaches a quadratic's minimum; a closure given to ``step`` is used instead."""
    w = torch.nn.Parameter(torch.tensor([3.0]))
    calls: list[str] = []

    def closure_of(name: str, target: float):
        def closure():
            calls.append(name)
            opt.zero_grad()
            loss = ((w - target) ** 2).sum()
            loss.backward()
            return loss
        return closure
    opt = gen.EpochLBFGS([w], 1.0, closure_of("stored", 1.0))
    opt.step()
    assert set(calls) == {"stored"}
    assert float(w.detach()) == pytest.approx(1.0, abs=1e-4)  # the quadratic's minimum
    calls.clear()
    opt.step(closure_of("given", 2.0))
    assert set(calls) == {"given"}
    assert float(w.detach()) == pytest.approx(2.0, abs=1e-4)


def test_the_mixture_weighs_its_experts_by_the_gate() -> None:
    torch.manual_seed(0)
    model = gen.DenseMoE()
    x = torch.randn(6, gen.MO_IN)
    with torch.no_grad():
        model.gate.weight.zero_()
        model.gate.bias.copy_(torch.tensor([50.0, 0.0, 0.0, 0.0]))
        assert torch.allclose(model(x), model.experts[0](x), atol=1e-5)
    (xtr, ytr), _, (xte, _) = gen.regime_table()
    assert (len(xtr), len(xte)) == (gen.MO_TRAIN, gen.MO_TEST)
    assert set(ytr.tolist()) == set(range(gen.MO_CLASSES))


@pytest.mark.parametrize(("name", "run_of"), [
    ("fresh-kan_function_mse_lbfgs_epochs", gen.kan_run),
    ("fresh-moe_mlp_regimes_ce_adamax_poly", gen.moe_run)])
def test_retraining_a_best_run_gives_its_committed_test_loss(name, run_of) -> None:
    """The KAN's and the mixture's best runs, retrained (about a CPU second each): the committed
    test loss; a retrain on other kernels drifts within ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, name, run_of)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
