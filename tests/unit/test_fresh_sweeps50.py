"""Round 50's made held-out sweeps (``fresh_sweeps50.py``): a Conformer classifying made keyword
utterances under Adam with the Noam warmup; a layer-wise-LR-decay fine-tune of a byte
transformer pretrained here under AdamW; a noise-conditional score net trained by denoising score
matching under plain SGD with weight decay, logged once per epoch. The checks every round shares
(labels by place, grids, new families, the manifest's side) run in ``test_made_rounds.py``,
``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``; these pin what this round wrote
itself."""

from __future__ import annotations

import json

import pytest
import torch

from benchmarks.realworld import fresh_sweeps50 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    cf, ll, sm = gen.plan()
    assert cf.meta["optimizer"] == "Adam" and "Conformer" in cf.meta["model"]
    assert cf.meta["warmup_steps"] >= 0.1 * gen.CF_STEPS
    assert ll.meta["optimizer"] == "AdamW" and ll.meta["layerwise_lr_decay"] == gen.LL_DECAY
    assert ll.meta["fine_tune"] is True and ll.meta["warmup_steps"] >= 0.1 * gen.LL_STEPS
    assert sm.meta["optimizer"] == "SGD" and sm.meta["momentum"] == 0.0
    assert "score matching" in sm.meta["loss"] and "once per epoch" in sm.meta["logged"]
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_conformer_reads_the_phones_order_and_noam_warms_up_then_decays(monkeypatch) -> None:
    (xtr, ytr), (xva, _), (xte, _) = gen.keyword_data()
    assert (len(xtr), len(xva), len(xte)) == (gen.CF_TRAIN, gen.CF_VAL, gen.CF_TEST)
    assert xtr.shape[1:] == (gen.CF_FRAMES, gen.CF_BANDS)
    assert set(ytr.tolist()) == set(range(gen.CF_WORDS))
    # the keywords come in pairs of the same phones reversed: only their order tells them apart
    assert sorted(gen.CF_KEYWORDS[0]) == sorted(gen.CF_KEYWORDS[1])
    torch.manual_seed(0)
    model = gen.Conformer().eval()
    with torch.no_grad():
        out = model(xte[:3])
        assert out.shape == (3, gen.CF_WORDS)
        assert not torch.allclose(model(xte[:3].flip(1)), out, atol=1e-4)
    seen = {}
    monkeypatch.setattr(gen, "minibatch_run",
                        lambda model, opt, *a, **k: seen.update(opt=opt, sched=k["scheduler"]))
    gen.conformer_run(1e-3)
    opt = seen["opt"]
    assert isinstance(opt, torch.optim.Adam)
    assert opt.param_groups[0]["betas"] == gen.CF_BETAS and opt.param_groups[0]["eps"] == 1e-9
    sched, lrs = seen["sched"](opt), []
    for _ in range(gen.CF_STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    w = gen.CF_WARMUP
    assert lrs[0] == pytest.approx(1e-3 / w) and max(lrs) == pytest.approx(1e-3)
    assert lrs.index(max(lrs)) == w - 1
    assert lrs[4 * w - 1] == pytest.approx(0.5e-3)  # the inverse square root: a quarter's half


def test_the_fine_tune_decays_the_lr_layer_by_layer_downward(monkeypatch) -> None:
    (xtr, ytr), (xva, _), (xte, _) = gen.collections_windows()
    assert xtr.shape[1] == gen.FT_CTX and ytr.shape == xtr.shape and len(xva) and len(xte)
    seen = {}
    monkeypatch.setattr(gen, "minibatch_run",
                        lambda model, opt, *a, **k: seen.update(model=model, opt=opt))
    monkeypatch.setattr(gen, "pretrained_lm", lambda: gen.code_lm().state_dict())  # no pretraining
    gen.llrd_run(1e-3)
    opt, model = seen["opt"], seen["model"]
    assert isinstance(opt, torch.optim.AdamW)
    lr_of = {id(p): g["lr"] for g in opt.param_groups for p in g["params"]}
    wd_of = {id(p): g["weight_decay"] for g in opt.param_groups for p in g["params"]}
    assert len(lr_of) == len(list(model.parameters()))
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-3)  # the top first: the logged LR
    d = gen.LL_DECAY
    assert lr_of[id(model.head.weight)] == lr_of[id(model.norm.weight)] == pytest.approx(1e-3)
    top, low = model.blocks.layers[-1], model.blocks.layers[0]
    assert lr_of[id(top.linear1.weight)] == pytest.approx(1e-3 * d)
    assert lr_of[id(low.linear1.weight)] == pytest.approx(1e-3 * d ** gen.FT_LAYERS)
    assert lr_of[id(model.tok.weight)] == pytest.approx(1e-3 * d ** (gen.FT_LAYERS + 1))
    assert wd_of[id(model.tok.weight)] == gen.LL_WD and wd_of[id(top.norm1.weight)] == 0.0


def test_the_score_loss_is_smallest_for_the_true_denoising_direction() -> None:
    xtr, (nva, sva, zva), (nte, ste, zte) = gen.score_data()
    assert len(xtr) == gen.SM_TRAIN and len(nte) == gen.SM_DRAWS * gen.SM_TEST
    assert torch.allclose(torch.unique(ste), torch.tensor(gen.SM_SIGMAS))

    class Oracle(torch.nn.Module):  # sigma times the score that knows the noise: loss 0
        def forward(self, noisy, sigma):
            return -zte
    assert float(gen.dsm_loss(Oracle(), nte, ste, zte)) == 0.0

    class Zero(torch.nn.Module):  # no score at all: half the noise's squared norm, about 1
        def forward(self, noisy, sigma):
            return torch.zeros_like(noisy)
    assert float(gen.dsm_loss(Zero(), nte, ste, zte)) == pytest.approx(1.0, rel=0.05)


def test_retraining_the_score_best_run_gives_its_committed_test_loss() -> None:
    """The score net's best run, retrained (under a CPU second): the committed test loss; a
    retrain on other kernels drifts within ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, "fresh-score_moons_dsm_sgd_epochs", gen.score_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
    assert [r[0] for r in run.log.rows] == list(range(1, gen.SM_EPOCHS + 1))
