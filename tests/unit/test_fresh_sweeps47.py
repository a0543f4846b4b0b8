"""Round 47's made held-out sweeps (``fresh_sweeps47.py``): an L2-SP fine-tune of a byte
transformer pretrained here under SGD with momentum and a step decay; an FT-Transformer of made
tabular rows under AdamW, logged once per epoch; an RWKV byte LM under Adam with a warmup and an
exponential decay. The checks every round shares (labels by place, grids, new families, the
manifest's side) run in ``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and
``test_realworld_sides.py``; these pin what this round wrote itself."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks.realworld import fresh_sweeps47 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    sp, ftt, rw = gen.plan()
    assert sp.meta["optimizer"] == "SGD" and sp.meta["momentum"] == 0.9
    assert sp.meta["fine_tune"] is True and "L2-SP" in sp.meta["loss"]
    assert ftt.meta["optimizer"] == "AdamW" and "FT-Transformer" in ftt.meta["model"]
    assert "once per epoch" in ftt.meta["logged"]
    assert rw.meta["optimizer"] == "Adam" and "RWKV" in rw.meta["model"]
    assert rw.meta["betas"] == [0.9, 0.99]
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_l2sp_starts_at_no_penalty_under_sgd_momentum_and_a_step_decay(monkeypatch) -> None:
    seen = {}

    def capture(model, opt, loss, splits, *args, **kwargs):
        seen.update(model=model, opt=opt, loss=loss, splits=splits, sched=kwargs["scheduler"])
    monkeypatch.setattr(gen, "minibatch_run", capture)
    gen.l2sp_run(1e-2)
    model, opt, objective = seen["model"], seen["opt"], seen["loss"]
    assert isinstance(opt, torch.optim.SGD) and opt.param_groups[0]["momentum"] == 0.9
    x, y = seen["splits"][2]
    with torch.no_grad():
        out = model(x[:4])
        ce = gen.next_byte_loss(out, y[:4])
        assert float(objective(out, y[:4])) == pytest.approx(float(ce))  # at the start
        for p in model.parameters():
            p.add_(0.01)
        n = sum(p.numel() for p in model.parameters())
        want = float(ce) + gen.SP_ALPHA / 2 * n * 1e-4
        assert float(objective(out, y[:4])) == pytest.approx(want, rel=1e-4)
    sched, lrs = seen["sched"](opt), []
    for _ in range(gen.SP_STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[:gen.SP_DROP_AT] == [1e-2] * gen.SP_DROP_AT
    assert lrs[gen.SP_DROP_AT:] == pytest.approx([1e-3] * (gen.SP_STEPS - gen.SP_DROP_AT))


def test_the_ft_transformer_tokenizes_each_feature_and_reads_the_cls_token() -> None:
    (xtr, ytr), (xva, _), (xte, yte) = gen.tabular_rows()
    assert (len(xtr), len(xva), len(xte)) == (gen.TT_TRAIN, gen.TT_VAL, gen.TT_TEST)
    assert xtr.shape[1] == gen.TT_FEATURES and set(ytr.tolist()) == set(range(gen.TT_CLASSES))
    torch.manual_seed(0)
    model = gen.FTTransformer().eval()
    with torch.no_grad():
        out = model(xte[:5])
        assert out.shape == (5, gen.TT_CLASSES)
        # a feature's change reaches the logits only through its own token
        moved = xte[:5].clone()
        moved[:, 3] += 1.0
        assert not torch.allclose(model(moved), out)
        model.weight[3] = 0.0
        assert torch.allclose(model(moved), model(xte[:5]), atol=1e-6)


def sequential_wkv(tm: gen.TimeMix, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """RWKV-4's WKV as its recurrence (the paper's eq. 14, without the stability shift)."""
    w, u = torch.exp(tm.time_decay), tm.time_first
    num, den, out = torch.zeros_like(k[:, 0]), torch.zeros_like(k[:, 0]), []
    for t in range(k.shape[1]):
        e = torch.exp(u + k[:, t])
        out.append((num + e * v[:, t]) / (den + e))
        num = torch.exp(-w) * num + torch.exp(k[:, t]) * v[:, t]
        den = torch.exp(-w) * den + torch.exp(k[:, t])
    return torch.stack(out, 1)


def test_rwkv_wkv_is_its_recurrence_and_the_lm_is_causal() -> None:
    torch.manual_seed(0)
    tm = gen.TimeMix(8, 0, 2)
    k, v = torch.randn(40, 12, 8), torch.randn(40, 12, 8)  # more than a chunk of windows
    with torch.no_grad():
        assert torch.allclose(tm.wkv(k, v), sequential_wkv(tm, k, v), atol=1e-5)
        lm = gen.RWKVLM()
        x = torch.randint(0, 128, (2, gen.RW_CTX))
        y = lm(x)
        assert y.shape == (2, gen.RW_CTX, 128)
        x2 = x.clone()
        x2[:, 40:] = torch.randint(0, 128, (2, gen.RW_CTX - 40))
        assert torch.allclose(lm(x2)[:, :40], y[:, :40], atol=1e-5)


def test_the_rwkv_schedule_warms_up_then_decays_to_a_tenth() -> None:
    f = gen.warmup_exponential(gen.RW_WARMUP, gen.RW_STEPS, gen.RW_FINAL)
    factors = [f(i) for i in range(gen.RW_STEPS)]
    assert factors[0] == pytest.approx(1 / gen.RW_WARMUP)
    assert factors[gen.RW_WARMUP - 1] == factors[gen.RW_WARMUP] == 1.0
    assert factors[-1] == pytest.approx(gen.RW_FINAL)
    tail = factors[gen.RW_WARMUP:]
    assert tail == sorted(tail, reverse=True)
    assert math.log(tail[1]) == pytest.approx(math.log(gen.RW_FINAL) / (len(tail) - 1))


def test_retraining_the_ft_transformer_best_run_gives_its_committed_test_loss() -> None:
    """The FT-Transformer's best run, retrained (about five CPU seconds): the committed test
    loss; a retrain on other kernels drifts within ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, "fresh-fttransformer_tabular_ce_adamw_epochs",
                             gen.ftt_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
    assert [r[0] for r in run.log.rows] == list(range(1, gen.TT_EPOCHS + 1))
