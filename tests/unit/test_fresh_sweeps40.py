"""Round 40's made held-out sweeps (``fresh_sweeps40.py``): a Switch (mixture-of-experts) byte
transformer on ``statistics.py`` under AdamW with a warmup and an inverse square root decay; a
student CNN distilled from a teacher CNN trained here, under SGD with momentum and MultiStepLR,
logged once per epoch; a LayerNorm-only fine-tune of an MLP classifier pretrained here under
AdamW with a linear decay. The checks every round shares (labels by place, grids, new families,
the manifest's side) run in ``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and
``test_realworld_sides.py``; these pin what this round wrote itself."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch.nn import functional as F

from benchmarks.realworld import fresh_sweeps40 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    moe, student, lntune = gen.plan()
    assert moe.meta["optimizer"] == "AdamW" and "mixture-of-experts" in moe.meta["model"]
    assert "load-balancing" in moe.meta["loss"] and "inverse square root" in moe.meta["schedule"]
    assert student.meta["optimizer"] == "SGD" and "MultiStepLR" in student.meta["schedule"]
    assert "once per epoch" in student.meta["logged"]
    assert student.meta["loss"].startswith("knowledge distillation")
    assert lntune.meta["optimizer"] == "AdamW" and lntune.meta["fine_tune"] is True
    assert "only its LayerNorms trained" in lntune.meta["model"]
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_text_windows_are_next_bytes_of_disjoint_blocks() -> None:
    (xtr, ytr), (xva, yva), (xte, yte) = gen.statistics_windows()
    for x, y in ((xtr, ytr), (xva, yva), (xte, yte)):
        assert x.shape[1] == gen.MO_CTX and torch.equal(x[:, 1:], y[:, :-1])
        assert int(x.max()) < 128
    assert len(xva) == len(xte) and len(xtr) > 20 * len(xte)
    train = {bytes(r) for r in xtr.tolist()}
    repeated = sum(bytes(r) in train for r in xte.tolist())
    assert repeated <= len(xte) // 25  # blocks are dealt: only text the module repeats recurs


def test_each_token_goes_to_one_expert_and_the_balance_loss_is_one_when_even() -> None:
    torch.manual_seed(0)
    ffn = gen.SwitchFFN(gen.MO_D)
    x = torch.randn(2, 8, gen.MO_D)
    out = ffn(x)
    flat = x.reshape(-1, gen.MO_D)
    prob = F.softmax(ffn.router(flat), -1)
    e = int(prob[0].argmax())
    h = F.relu(flat[0] @ ffn.w1[e] + ffn.b1[e, 0])
    assert torch.allclose(out.reshape(-1, gen.MO_D)[0], (h @ ffn.w2[e] + ffn.b2[e, 0]) * prob[0, e],
                          atol=1e-5)
    with torch.no_grad():
        ffn.router.weight.zero_()  # every probability 1/E, every token to expert 0
    ffn(x)
    assert float(ffn.aux.detach()) == pytest.approx(1.0)


def test_the_switch_lm_reads_no_later_byte() -> None:
    torch.manual_seed(0)
    model = gen.SwitchLM().eval()
    (x, _), _, _ = gen.statistics_windows()
    x = x[:3].clone()
    later = x.clone()
    later[:, 20] = (later[:, 20] + 1) % 128
    with torch.no_grad():
        a, b = model(x), model(later)
    assert torch.allclose(a[:, :20], b[:, :20], atol=1e-5)
    assert not torch.allclose(a[:, 20:], b[:, 20:])


def test_the_distillation_loss_is_the_weighted_kl_and_cross_entropy() -> None:
    torch.manual_seed(0)
    s, t, y = torch.randn(5, gen.KD_CLASSES), torch.randn(5, gen.KD_CLASSES), torch.arange(5)
    assert float(gen.distillation_loss(t, t, y)) == pytest.approx(
        (1 - gen.KD_ALPHA) * float(F.cross_entropy(t, y)), rel=1e-5)
    p, q = F.softmax(t / gen.KD_T, -1), F.softmax(s / gen.KD_T, -1)
    kl = float((p * (p.log() - q.log())).sum(1).mean())
    assert float(gen.distillation_loss(s, t, y)) == pytest.approx(
        gen.KD_ALPHA * gen.KD_T ** 2 * kl + (1 - gen.KD_ALPHA) * float(F.cross_entropy(s, y)),
        rel=1e-5)


def test_the_glyphs_are_ten_classes_with_noisy_labels_only_in_training_and_validation() -> None:
    (xtr, ytr), _, (xte, yte) = gen.glyphs()
    assert xtr.shape[1:] == (1, gen.KD_SIDE, gen.KD_SIDE)
    assert len(xtr) == gen.KD_TRAIN and len(xte) == gen.KD_TEST
    assert set(ytr.tolist()) == set(yte.tolist()) == set(range(gen.KD_CLASSES))
    s = SUMMARIES["fresh-cnn_kd_student_glyphs_sgdm_multistep_epochs"]
    best = min(f for f in s["final_eval_losses"] if f is not None)
    assert best < 0.5 * math.log(gen.KD_CLASSES)  # the clean test labels are learnable


def test_the_ln_tune_starts_at_the_pretrained_mlp_on_a_shifted_domain() -> None:
    base = gen.ln_mlp()
    base.load_state_dict(gen.pretrained_ln())
    (xp, yp), (_, _, (xte, yte)) = gen.ln_tables()
    with torch.no_grad():
        pre = float(F.cross_entropy(base(xp), yp))
        start = float(F.cross_entropy(base(xte), yte))
    assert start > pre + 0.3  # the domain moved
    s = SUMMARIES["fresh-mlp_ft_lntune_shifted_ce_adamw_linear"]
    assert s["start_eval_losses"][0] == pytest.approx(start, rel=1e-5)


def test_retraining_the_ln_tunes_best_run_gives_its_committed_test_loss() -> None:
    """The fine-tune at its best LR, retrained with its pretraining (a few CPU seconds): the
    committed test loss; a retrain on other kernels drifts within ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, "fresh-mlp_ft_lntune_shifted_ce_adamw_linear",
                             gen.ln_tune_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)


def test_the_ln_tune_steps_only_the_layernorms(monkeypatch) -> None:
    seen = {}

    def capture(model, opt, *args, **kwargs):
        seen.update(model=model, opt=opt)
    monkeypatch.setattr(gen, "minibatch_run", capture)
    gen.ln_tune_run(1e-2)
    model, opt = seen["model"], seen["opt"]
    stepped = {id(p) for g in opt.param_groups for p in g["params"]}
    norms = [m for m in model if isinstance(m, torch.nn.LayerNorm)]
    assert stepped == {id(p) for m in norms for p in m.parameters()} and len(norms) == 2
    assert {p.requires_grad for p in model.parameters() if id(p) not in stepped} == {False}
