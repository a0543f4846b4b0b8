"""Round 42's made held-out sweeps (``fresh_sweeps42.py``): a byte transformer LM on
``threading.py`` under Sophia with a warmup and a cosine; MADE on made binary images under Adam
with ``StepLR``, logged once per epoch; Houlsby adapters in an MLP pretrained here, fine-tuned
on a label-smoothed cross-entropy under SGD with ``CyclicLR``. The checks every round shares
(labels by place, grids, new families, the manifest's side) run in ``test_made_rounds.py``,
``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``; these pin what this round wrote
itself."""

from __future__ import annotations

import json

import pytest
import torch
from torch.nn import functional as F

from benchmarks.realworld import fresh_sweeps42 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    lm, made, ft = gen.plan()
    assert lm.meta["optimizer"] == "Sophia (SophiaG)" and lm.meta["rho"] == 0.04
    assert "cosine" in lm.meta["schedule"] and "transformer" in lm.meta["model"]
    assert made.meta["optimizer"] == "Adam" and "StepLR" in made.meta["schedule"]
    assert "Bernoulli" in made.meta["loss"] and "once per epoch" in made.meta["logged"]
    assert ft.meta["optimizer"] == "SGD" and "CyclicLR" in ft.meta["schedule"]
    assert ft.meta["fine_tune"] is True and "adapters" in ft.meta["model"]
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_sophia_steps_lr_times_the_momentums_sign_clipped_by_the_hessian() -> None:
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
    hessian = {"value": torch.zeros(3)}

    def sampled_loss() -> torch.Tensor:  # its gradient squared is the Hessian estimate
        return (hessian["value"].sqrt() * w).sum()
    opt = gen.SophiaG([w], sampled_loss, lr=0.1, weight_decay=0.0, tokens=1, every=2)
    w.grad = torch.tensor([0.5, -0.5, 0.0])
    opt.step()  # h 0: every moving coordinate takes a full sign step
    m = (1 - gen.SO_BETAS[0]) * torch.tensor([0.5, -0.5, 0.0])
    assert torch.allclose(w.detach(), torch.tensor([0.9, -1.9, 3.0]))
    hessian["value"] = torch.tensor([1e6, 1e-9, 1.0])
    opt.step()  # not refreshed (every 2): the same zero h, another full step
    assert torch.allclose(w.detach(), torch.tensor([0.8, -1.8, 3.0]))
    opt.step()  # refreshed: a huge curvature shrinks the first coordinate's step
    h = (1 - gen.SO_BETAS[1]) * hessian["value"]
    m = m * (1 + gen.SO_BETAS[0] + gen.SO_BETAS[0] ** 2)
    ratio = (m.abs() / (gen.SO_RHO * h + 1e-15)).clamp(max=1.0)
    expect = torch.tensor([0.8, -1.8, 3.0]) - 0.1 * m.sign() * ratio
    assert torch.allclose(w.detach(), expect, atol=1e-7)
    assert 0 < float(ratio[0]) < 1e-3 and float(ratio[1]) == 1.0


def test_the_gnb_loss_draws_labels_from_the_models_own_softmax() -> None:
    torch.manual_seed(0)
    model = gen.RecordingTransformer(128, gen.SO_CTX, 16, 1, 2, 32)
    (xtr, ytr), _, _ = gen.lm_windows()
    model.train()
    gen.next_byte_loss(model(xtr[:4]), ytr[:4])
    assert torch.equal(model.last, xtr[:4])
    model.eval()
    model(xtr[4:6])  # evaluation leaves the training batch in place
    assert torch.equal(model.last, xtr[:4])
    assert float(gen.sampled_next_byte_loss(model).detach()) > 0


def test_made_is_autoregressive_in_the_pixel_order() -> None:
    model = gen.MADE()
    x = torch.rand(1, gen.MA_SIDE ** 2, requires_grad=True)
    for i in (0, 1, 30, 63):
        grad, = torch.autograd.grad(model(x)[0, i], x)
        assert not grad[0, i:].any()
    assert float(gen.bernoulli_nll(torch.zeros(2, 64), torch.ones(2, 64))) == pytest.approx(
        64 * float(F.softplus(torch.tensor(0.0))))


def test_the_images_are_binary_and_split_as_the_plan_says() -> None:
    (xtr,), (xva,), (xte,) = gen.block_images()
    assert (len(xtr), len(xva), len(xte)) == (gen.MA_TRAIN, gen.MA_VAL, gen.MA_TEST)
    assert set(torch.unique(xtr).tolist()) == {0.0, 1.0} and xtr.shape[1] == 64


def test_the_adapters_start_as_the_identity_and_train_only_what_houlsby_trains(
        monkeypatch) -> None:
    seen = {}

    def capture(model, opt, *args, **kwargs):
        seen.update(model=model, opt=opt, scheduler=kwargs["scheduler"])
    monkeypatch.setattr(gen, "minibatch_run", capture)
    gen.adapter_run(1e-2)
    model, opt = seen["model"], seen["opt"]
    base = gen.ln_mlp()
    base.load_state_dict(gen.pretrained_mlp())
    _, _, (xte, _) = gen.ad_tables()[1]
    with torch.no_grad():
        assert torch.allclose(model(xte), base(xte), atol=1e-6)
    tuned = {id(p) for p in opt.param_groups[0]["params"]}
    assert tuned == {id(p) for p in model.parameters() if p.requires_grad}
    kinds = {type(m).__name__ for m in model for p in m.parameters(recurse=False)
             if id(p) in tuned}
    assert kinds == {"LayerNorm", "Linear"}  # the head's Linear; the adapters' own below
    assert sum(isinstance(m, gen.Adapter) for m in model) == 2
    assert not any(p.requires_grad for p in model[0].parameters())  # the first layer frozen
    sched = seen["scheduler"](opt)
    lrs = []
    for _ in range(gen.AD_STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] == pytest.approx(1e-3) and max(lrs) == pytest.approx(1e-2)
    assert max(lrs[100:200]) == pytest.approx(1e-3 + 0.5 * 9e-3)  # triangular2: halved


def test_retraining_mades_best_run_gives_its_committed_test_loss() -> None:
    """MADE at its best LR, retrained (about a CPU second): the committed test loss; a retrain
    on other kernels drifts within ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, "fresh-made_blocks_bernoulli_adam_steplr_epochs",
                             gen.made_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
    assert [r[0] for r in run.log.rows] == list(range(1, gen.MA_EPOCHS + 1))


def test_retraining_the_adapters_best_run_gives_its_committed_test_loss() -> None:
    run, s, i = retrain_best(SUMMARIES, "fresh-mlp_ft_adapters_smoothce_sgdm_cyclic",
                             gen.adapter_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
