"""Round 49's made held-out sweeps (``fresh_sweeps49.py``): a Perceiver classifying made point
sets under LAMB with a step decay; a sequence-classification fine-tune of a byte transformer
pretrained here under NAdamW with a long warmup; a VICReg encoder under AdamW with a per-epoch
cosine, logged once per epoch. The checks every round shares (labels by place, grids, new
families, the manifest's side) run in ``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and
``test_realworld_sides.py``; these pin what this round wrote itself."""

from __future__ import annotations

import json

import pytest
import torch

from benchmarks.realworld import fresh_sweeps49 as gen
from benchmarks.realworld.fresh_sweeps34 import Lamb
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    pc, sc, vr = gen.plan()
    assert pc.meta["optimizer"] == "LAMB" and "Perceiver" in pc.meta["model"]
    assert sc.meta["optimizer"] == "NAdam" and sc.meta["decoupled_weight_decay"] is True
    assert sc.meta["fine_tune"] is True and sc.meta["warmup_steps"] >= 0.1 * gen.SC_STEPS
    assert vr.meta["optimizer"] == "AdamW" and "VICReg" in vr.meta["loss"]
    assert "once per epoch" in vr.meta["logged"]
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_perceiver_ignores_the_points_order_and_lamb_steps_down_tenfold(monkeypatch) -> None:
    (xtr, ytr), (xva, _), (xte, _) = gen.point_sets()
    assert (len(xtr), len(xva), len(xte)) == (gen.PC_TRAIN, gen.PC_VAL, gen.PC_TEST)
    assert xtr.shape[1:] == (gen.PC_POINTS, 2) and set(ytr.tolist()) == set(range(gen.PC_CLASSES))
    torch.manual_seed(0)
    model = gen.Perceiver().eval()
    with torch.no_grad():
        out = model(xte[:3])
        assert out.shape == (3, gen.PC_CLASSES)
        assert torch.allclose(model(xte[:3, torch.randperm(gen.PC_POINTS)]), out, atol=1e-5)
    seen = {}
    monkeypatch.setattr(gen, "minibatch_run",
                        lambda model, opt, *a, **k: seen.update(opt=opt, sched=k["scheduler"]))
    gen.perceiver_run(1e-3)
    opt = seen["opt"]
    assert isinstance(opt, Lamb) and opt.param_groups[1]["weight_decay"] == 0.0
    sched, lrs = seen["sched"](opt), []
    for _ in range(gen.PC_STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    a, b = gen.PC_MILESTONES
    assert lrs[0] == lrs[a - 1] == pytest.approx(1e-3)
    assert lrs[a] == pytest.approx(1e-4) and lrs[b] == pytest.approx(1e-5)


def test_the_fine_tune_reads_its_new_head_at_the_last_position_after_a_long_warmup(
        monkeypatch) -> None:
    (xtr, ytr), (xva, yva), (xte, yte) = gen.module_windows()
    n = len(gen.SC_MODULES)
    assert (len(xtr), len(xva), len(xte)) == (n * gen.SC_TRAIN, n * gen.SC_VAL, n * gen.SC_TEST)
    assert torch.bincount(yte).tolist() == [gen.SC_TEST] * n and xtr.shape[1] == gen.FT_CTX
    seen = {}
    monkeypatch.setattr(gen, "minibatch_run",
                        lambda model, opt, *a, **k: seen.update(model=model, opt=opt))
    monkeypatch.setattr(gen, "pretrained_lm", lambda: gen.code_lm().state_dict())  # no pretraining
    gen.seqcls_run(1e-3)
    assert isinstance(seen["opt"], torch.optim.NAdam)
    assert seen["opt"].param_groups[0]["decoupled_weight_decay"] is True
    model = seen["model"].eval()
    with torch.no_grad():
        out = model(xte[:2])
        assert out.shape == (2, gen.FT_CTX, n)
        x2 = xte[:2].clone()
        x2[:, 0] = (x2[:, 0] + 1) % 128  # the last position reads the whole window
        assert not torch.allclose(model(x2)[:, -1], out[:, -1])
    f = gen.warmup_linear(gen.SC_WARMUP, gen.SC_STEPS)
    factors = [f(i) for i in range(gen.SC_STEPS)]
    assert factors[0] == pytest.approx(1 / gen.SC_WARMUP) and max(factors) == 1.0
    assert factors.index(1.0) == gen.SC_WARMUP - 1 and gen.SC_WARMUP >= 0.1 * gen.SC_STEPS
    assert factors[-1] == pytest.approx(1 / (gen.SC_STEPS - gen.SC_WARMUP))


def test_the_vicreg_loss_rewards_invariant_spread_embeddings_and_punishes_collapse() -> None:
    g = torch.Generator().manual_seed(0)
    z = torch.randn(256, gen.VR_EMB, generator=g)
    spread = float(gen.vicreg_loss(z, z))
    assert spread < 0.1 * gen.VR_VAR
    collapsed = float(gen.vicreg_loss(torch.zeros_like(z), torch.zeros_like(z)))
    assert collapsed == pytest.approx(gen.VR_VAR * (1 - 1e-2), rel=1e-3)
    assert float(gen.vicreg_loss(z, z + 0.5 * torch.randn(z.shape, generator=g))) > spread
    xtr, (va, vb), (ta, tb) = gen.vicreg_data()
    assert len(xtr) == gen.VR_TRAIN and len(ta) == len(tb) == gen.VR_TEST
    assert not torch.equal(ta, tb) and (ta == 0).float().mean() > 0.5 * gen.VR_MASK


def test_retraining_the_vicreg_best_run_gives_its_committed_test_loss() -> None:
    """The VICReg net's best run, retrained (about a CPU second): the committed test loss; a
    retrain on other kernels drifts within ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, "fresh-vicreg_views_adamw_cosine_epochs", gen.vicreg_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
    assert [r[0] for r in run.log.rows] == list(range(1, gen.VR_EPOCHS + 1))
