"""Round 34's made held-out sweeps (``fresh_sweeps34.py``): a byte GPT under PyTorch's Muon with
AdamW beside it at one LR (warmup-stable-decay); a CORAL ordinal regressor under LAMB logged once
per epoch; a fine-tune of an MLP pretrained here under schedule-free AdamW with the L1 loss. The
checks every round shares (labels by place, grids, new families, the manifest's side) run in
``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``; these pin
what this round wrote itself."""

from __future__ import annotations

import json

import pytest
import torch

from benchmarks.realworld import fresh_sweeps34 as gen

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    gpt, ordinal, ft = gen.plan()
    assert gpt.meta["optimizer"].startswith("Muon") and "AdamW" in gpt.meta["optimizer"]
    assert ordinal.meta["optimizer"] == "LAMB" and "once per epoch" in ordinal.meta["logged"]
    assert ft.meta["optimizer"] == "schedule-free AdamW" and ft.meta["fine_tune"] is True
    assert "CORAL" in ordinal.meta["loss"] and ft.meta["loss"].startswith("L1")
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_muon_takes_the_blocks_matrices_and_adamw_the_rest_at_one_lr() -> None:
    model = gen.CausalTransformer(16, 1, 2, 8)
    opt = gen.MuonAdamW(model, 0.01)
    muon = {id(p) for g in opt.muon.param_groups for p in g["params"]}
    adamw = {id(p) for g in opt.adamw.param_groups for p in g["params"]}
    assert not muon & adamw and muon | adamw == {id(p) for p in model.parameters()}
    assert id(model.tok.weight) in adamw and id(model.head.weight) in adamw
    assert all(p.ndim == 2 for g in opt.muon.param_groups for p in g["params"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, gen.warmup_stable_decay)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.01 / gen.GPT_WARMUP] * 2)
    assert opt.muon.param_groups[0]["lr"] == opt.adamw.param_groups[0]["lr"]
    del sched
    assert gen.warmup_stable_decay(gen.GPT_WARMUP) == 1.0
    assert gen.warmup_stable_decay(gen.GPT_STEPS - gen.GPT_COOLDOWN // 2) == pytest.approx(0.5)


def test_lamb_scales_a_decayed_tensors_step_by_its_trust_ratio_and_leaves_biases_adam() -> None:
    """The first step from zero state: Adam's bias-corrected step is the gradient's sign (each
    entry +-1, eps aside); with weight decay the step is ``lr ||w|| / ||r||`` along ``r``, without
    it the plain ``lr`` along the sign."""
    w = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
    b = torch.nn.Parameter(torch.tensor([0.0, 0.0]))
    opt = gen.Lamb([{"params": [w]}, {"params": [b], "weight_decay": 0.0}], lr=0.1,
                   weight_decay=0.01)
    w.grad, b.grad = torch.tensor([1.0, 1.0]), torch.tensor([-2.0, 0.5])
    opt.step()
    r = torch.tensor([1.0, 1.0]) + 0.01 * torch.tensor([3.0, 4.0])
    assert w.detach() == pytest.approx(torch.tensor([3.0, 4.0]) - 0.1 * 5.0 / r.norm() * r,
                                       abs=1e-5)
    assert b.detach() == pytest.approx(torch.tensor([0.1, -0.1]), abs=1e-5)


def test_schedule_free_trains_at_y_and_evaluates_at_the_average_x() -> None:
    p = torch.nn.Parameter(torch.tensor([1.0]))
    opt = gen.ScheduleFreeAdamW([p], lr=0.1)
    for _ in range(3):
        p.grad = torch.tensor([1.0])
        opt.step()
    state = opt.state[p]
    y = p.detach().clone()
    assert y == pytest.approx(0.9 * state["x"] + 0.1 * state["z"])
    assert state["z"] < state["x"] < torch.tensor([1.0])  # the average lags the base sequence
    with opt.averaged():
        assert p.detach() == pytest.approx(state["x"])
    assert p.detach() == pytest.approx(y)


def test_the_ordinal_grades_are_ordered_quintiles_and_coral_reads_them_cumulatively() -> None:
    (_, ytr), _, (_, yte) = gen.graded()
    assert set(ytr.tolist()) == set(range(gen.OR_GRADES))
    counts = torch.bincount(torch.cat([ytr, yte]), minlength=gen.OR_GRADES).float()
    assert (counts / counts.sum() - 1 / gen.OR_GRADES).abs().max() < 0.05
    logits = torch.tensor([[20.0, 20.0, -20.0, -20.0]])
    assert float(gen.coral_loss(logits, torch.tensor([2]))) < 1e-6
    assert float(gen.coral_loss(logits, torch.tensor([4]))) > 39.0
