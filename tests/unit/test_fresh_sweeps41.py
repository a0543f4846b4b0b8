"""Round 41's made held-out sweeps (``fresh_sweeps41.py``): a byte transformer LM on
``optparse.py`` under QHAdam with a warmup and a cosine; a two-tower retrieval model under the
symmetric InfoNCE loss with SGD (Nesterov) and ``ExponentialLR``, logged once per epoch; a byte
transformer pretrained here on code, fine-tuned on English prose under LAMB with a warmup and a
linear decay. The checks every round shares (labels by place, grids, new families, the
manifest's side) run in ``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and
``test_realworld_sides.py``; these pin what this round wrote itself."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch.nn import functional as F

from benchmarks.realworld import fresh_sweeps41 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    lm, towers, ft = gen.plan()
    assert lm.meta["optimizer"] == "QHAdam" and lm.meta["nus"] == [0.7, 1.0]
    assert "cosine" in lm.meta["schedule"] and "transformer" in lm.meta["model"]
    assert towers.meta["optimizer"] == "SGD" and towers.meta["nesterov"] is True
    assert "ExponentialLR" in towers.meta["schedule"] and "InfoNCE" in towers.meta["loss"]
    assert "once per epoch" in towers.meta["logged"]
    assert ft.meta["optimizer"] == "LAMB" and ft.meta["fine_tune"] is True
    assert "pretrained here" in ft.meta["model"]
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_qhadam_at_nus_one_is_adam_and_otherwise_mixes_in_the_raw_gradient() -> None:
    torch.manual_seed(0)
    w0, grads = torch.randn(5), [torch.randn(5) for _ in range(4)]

    def steps(opt_of) -> torch.Tensor:
        w = torch.nn.Parameter(w0.clone())
        opt = opt_of([w])
        for g in grads:
            w.grad = g.clone()
            opt.step()
        return w.detach()
    adam = steps(lambda p: torch.optim.Adam(p, lr=0.1, betas=gen.QH_BETAS, eps=1e-8))
    assert torch.allclose(steps(lambda p: gen.QHAdam(p, lr=0.1, nus=(1.0, 1.0))), adam, atol=1e-6)
    # nu1 0: the raw gradient over Adam's denominator; at the first step Adam's m is the gradient
    one = gen.QHAdam([w := torch.nn.Parameter(w0.clone())], lr=0.1, nus=(0.0, 1.0))
    w.grad = grads[0].clone()
    one.step()
    assert torch.allclose(w.detach(), w0 - 0.1 * grads[0] / (grads[0].abs() + 1e-8), atol=1e-6)
    assert not torch.allclose(steps(lambda p: gen.QHAdam(p, lr=0.1)), adam)


def test_the_text_windows_are_next_bytes_of_disjoint_blocks() -> None:
    for (xtr, ytr), (xva, yva), (xte, yte) in (gen.lm_windows(), gen.prose_windows()):
        for x, y in ((xtr, ytr), (xva, yva), (xte, yte)):
            assert x.shape[1] == 64 and torch.equal(x[:, 1:], y[:, :-1])
            assert int(x.max()) < 128
        assert len(xva) == len(xte) and len(xtr) > 10 * len(xte)
        train = {bytes(r) for r in xtr.tolist()}
        assert sum(bytes(r) in train for r in xte.tolist()) <= len(xte) // 25


def test_info_nce_is_symmetric_and_log_n_when_nothing_is_told_apart() -> None:
    assert float(gen.info_nce(torch.zeros(6, 6))) == pytest.approx(math.log(6))
    torch.manual_seed(0)
    logits = torch.randn(6, 6)
    target = torch.arange(6)
    assert float(gen.info_nce(logits)) == pytest.approx(
        (float(F.cross_entropy(logits, target)) + float(F.cross_entropy(logits.T, target))) / 2)
    assert float(gen.info_nce(logits)) == pytest.approx(float(gen.info_nce(logits.T)))


def test_the_two_towers_give_cosines_over_the_temperature() -> None:
    torch.manual_seed(0)
    model = gen.TwoTower()
    (q, item), _, _ = gen.paired_views()
    with torch.no_grad():
        logits = model(q[:7], item[:7])
    assert logits.shape == (7, 7) and float(logits.abs().max()) <= 1 / gen.TT_TAU + 1e-4


def test_the_fine_tune_starts_at_the_pretrained_lm_and_decays_only_matrices(monkeypatch) -> None:
    seen = {}

    def capture(model, opt, *args, **kwargs):
        seen.update(model=model, opt=opt)
    monkeypatch.setattr(gen, "minibatch_run", capture)
    gen.lamb_ft_run(1e-2)
    model, opt = seen["model"], seen["opt"]
    weights = gen.pretrained_lm()
    assert all(torch.equal(v, weights[k]) for k, v in model.state_dict().items())
    decayed, rest = opt.param_groups
    assert decayed["weight_decay"] == gen.FT_WD and rest["weight_decay"] == 0.0
    assert {p.dim() for p in decayed["params"]} == {2} and {p.dim() for p in rest["params"]} == {1}
    assert len(decayed["params"]) + len(rest["params"]) == len(list(model.parameters()))
    _, _, (xte, yte) = gen.prose_windows()
    with torch.no_grad():
        start = float(gen.next_byte_loss(model.eval()(xte), yte))
    s = SUMMARIES["fresh-gpt_ft_code2prose_lamb_warmlinear"]
    assert s["start_eval_losses"][0] == pytest.approx(start, rel=RETRAINED_REL)  # pretrained here


def test_retraining_the_two_towers_best_run_gives_its_committed_test_loss() -> None:
    """The two towers at their best LR, retrained (about a CPU second): the committed test
    loss; a retrain on other kernels drifts within ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, "fresh-twotower_pairs_infonce_nesterov_exp_epochs",
                             gen.two_tower_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
    assert [r[0] for r in run.log.rows] == list(range(1, gen.TT_EPOCHS + 1))
