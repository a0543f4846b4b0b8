"""Round 43's made held-out sweeps (``fresh_sweeps43.py``): a byte transformer LM on
``dataclasses.py`` under SOAP with ``SequentialLR`` (a warmup, then a cosine); SIREN on a made
image's pixels under Adadelta with ``StepLR``, logged once per epoch; DoRA in a quantile MLP
pretrained here, fine-tuned on the pinball loss under AdamW with a cosine. The checks every
round shares (labels by place, grids, new families, the manifest's side) run in
``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``; these pin
what this round wrote itself."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks.realworld import fresh_sweeps43 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    lm, siren, ft = gen.plan()
    assert lm.meta["optimizer"] == "SOAP" and "SequentialLR" in lm.meta["schedule"]
    assert "transformer" in lm.meta["model"]
    assert siren.meta["optimizer"] == "Adadelta" and "StepLR" in siren.meta["schedule"]
    assert "SIREN" in siren.meta["model"] and "once per epoch" in siren.meta["logged"]
    assert ft.meta["optimizer"] == "AdamW" and "pinball" in ft.meta["loss"]
    assert ft.meta["fine_tune"] is True and "DoRA" in ft.meta["model"]
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_soap_is_adam_in_the_preconditioners_eigenbasis() -> None:
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(3, 2))
    start = w.detach().clone()
    opt = gen.SOAP([w], lr=0.1, weight_decay=0.0, every=1)
    g1, g2 = torch.randn(3, 2), torch.randn(3, 2)
    w.grad = g1
    opt.step()  # the first step fills the preconditioners only
    assert torch.equal(w.detach(), start)
    b1, b2 = gen.SP_BETAS
    big_l, big_r = (1 - b2) * g1 @ g1.T, (1 - b2) * g1.T @ g1
    ql = torch.flip(torch.linalg.eigh(big_l)[1], [1])
    qr = torch.flip(torch.linalg.eigh(big_r)[1], [1])
    w.grad = g2
    opt.step()
    m, v = (1 - b1) * g2, (1 - b2) * (ql.T @ g2 @ qr) ** 2
    step = 0.1 * math.sqrt(1 - b2) / (1 - b1)
    expect = start - step * ql @ ((ql.T @ m @ qr) / (v.sqrt() + gen.SP_EPS)) @ qr.T
    assert torch.allclose(w.detach(), expect, atol=1e-5)
    # an orthogonal basis keeps the step's size: Adam's first step is +-lr in every coordinate
    assert float((w.detach() - start).norm()) == pytest.approx(0.1 * math.sqrt(6), rel=1e-3)
    b = torch.nn.Parameter(torch.zeros(4))
    opt1d = gen.SOAP([b], lr=0.1, weight_decay=0.0)
    for _ in range(3):
        b.grad = torch.randn(4)
        opt1d.step()
    assert torch.isfinite(b.detach()).all() and b.detach().abs().sum() > 0
    assert [a.shape for a in opt1d.state[b]["gg"]] == [(4, 4)]  # a vector: one n x n


def test_the_warmup_then_cosine_sequence() -> None:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = gen.warmup_then_cosine(opt)
    lrs = []
    for _ in range(gen.SP_STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] == pytest.approx(gen.SP_WARM_FROM)
    assert max(lrs) == pytest.approx(1.0) and lrs[gen.SP_WARMUP] == pytest.approx(1.0)
    assert lrs[-1] < 1e-3


def test_siren_is_initialised_as_the_paper_says_and_the_pixels_split_as_planned() -> None:
    torch.manual_seed(0)
    model = gen.siren()
    first, hidden = model[0].linear.weight.detach(), model[1].linear.weight.detach()
    assert float(first.abs().max()) <= 1 / 2
    assert float(hidden.abs().max()) <= math.sqrt(6 / gen.SI_WIDTH) / gen.SI_OMEGA
    (xtr, ytr), (xva, _), (xte, _) = gen.image_pixels()
    assert (len(xtr), len(xva), len(xte)) == (gen.SI_TRAIN, gen.SI_VAL,
                                              gen.SI_SIDE ** 2 - gen.SI_TRAIN - gen.SI_VAL)
    every = torch.cat([xtr, xva, xte])
    assert len(torch.unique(every, dim=0)) == gen.SI_SIDE ** 2  # each pixel in one split
    assert ytr.shape == (gen.SI_TRAIN, 1)


def test_dora_starts_as_the_pretrained_model_and_trains_only_its_own_parameters(
        monkeypatch) -> None:
    seen = {}

    def capture(model, opt, *args, **kwargs):
        seen.update(model=model, opt=opt)
    monkeypatch.setattr(gen, "minibatch_run", capture)
    gen.dora_run(1e-2)
    model, opt = seen["model"], seen["opt"]
    base = gen.quantile_mlp()
    base.load_state_dict(gen.pretrained_quantile_mlp())
    _, _, (xte, _) = gen.dr_tables()[1]
    with torch.no_grad():
        assert torch.allclose(model(xte), base(xte), atol=1e-5)
    tuned = {id(p) for p in opt.param_groups[0]["params"]}
    assert tuned == {id(p) for p in model.parameters() if p.requires_grad}
    doras = [m for m in model if isinstance(m, gen.DoRALinear)]
    assert len(doras) == 2 and all(not m.base.weight.requires_grad for m in doras)
    assert all(id(m.m) in tuned and id(m.a) in tuned and id(m.b) in tuned for m in doras)
    assert all(p.requires_grad for p in model[-1].parameters())  # the head in full
    layer = doras[0]
    with torch.no_grad():
        layer.m.mul_(2.0)  # the magnitude scales each output row's weight
        x = torch.randn(5, layer.base.in_features)
        assert torch.allclose(layer(x) - layer.base.bias,
                              2 * (x @ layer.base.weight.T), atol=1e-5)


def test_retraining_sirens_best_run_gives_its_committed_test_loss() -> None:
    """SIREN at its best LR, retrained (under a CPU second): the committed test loss; a
    retrain on other kernels drifts within ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, "fresh-siren_image_mse_adadelta_steplr_epochs",
                             gen.siren_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
    assert [r[0] for r in run.log.rows] == list(range(1, gen.SI_EPOCHS + 1))


def test_retraining_the_dora_fine_tunes_best_run_gives_its_committed_test_loss() -> None:
    run, s, i = retrain_best(SUMMARIES, "fresh-mlp_ft_dora_pinball_adamw_cosine", gen.dora_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
