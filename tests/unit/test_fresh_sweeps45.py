"""Round 45's made held-out sweeps (``fresh_sweeps45.py``): prompt tuning of a byte transformer
pretrained here under AdamW; a neural additive model under full-batch Rprop, logged once per
epoch; a diagonal state-space (S4D) byte LM under AdamW with a cosine decay. The checks every
round shares (labels by place, grids, new families, the manifest's side) run in
``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``; these pin
what this round wrote itself."""

from __future__ import annotations

import json

import pytest
import torch

from benchmarks.realworld import fresh_sweeps45 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    pt, nam, s4d = gen.plan()
    assert pt.meta["optimizer"] == "AdamW" and pt.meta["fine_tune"] is True
    assert "prompt tuning" in pt.meta["model"] and "transformer" in pt.meta["model"]
    assert nam.meta["optimizer"] == "Rprop" and "additive" in nam.meta["model"]
    assert "once per epoch" in nam.meta["logged"]
    assert nam.meta["loss"] == "binary cross-entropy"
    assert s4d.meta["optimizer"] == "AdamW" and "S4D" in s4d.meta["model"]
    assert "Cosine" in s4d.meta["schedule"]
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_prompt_tuning_trains_only_the_prompt_of_a_frozen_pretrained_model(monkeypatch) -> None:
    seen = {}

    def capture(model, opt, *args, **kwargs):
        seen.update(model=model, opt=opt)
    monkeypatch.setattr(gen, "minibatch_run", capture)
    gen.prompt_run(1.0)
    model, opt = seen["model"], seen["opt"]
    assert isinstance(opt, torch.optim.AdamW)
    assert [p for g in opt.param_groups for p in g["params"]] == [model.prompt]
    assert [p for p in model.parameters() if p.requires_grad] == [model.prompt]
    assert model.prompt.shape == (gen.PT_PROMPT, gen.FT_D)
    base = gen.code_lm()
    base.load_state_dict(gen.pretrained_lm())
    assert all(torch.equal(a, b) for a, b in zip(model.lm.state_dict().values(),
                                                  base.state_dict().values()))
    x = gen.short_prose()[2][0][:3]
    assert x.shape[1] == gen.FT_CTX - gen.PT_PROMPT
    with torch.no_grad():
        out = model.eval()(x)
        assert out.shape == (3, x.shape[1], 128)
        # the prompt reaches the text's logits; with it replaced by the embeddings of the bytes
        # before the text, the model reads the whole window as the pretrained model does
        full = torch.cat([gen.prose_windows()[2][0][:3, :gen.PT_PROMPT], x], 1)
        model.prompt.copy_(model.lm.tok(full[:1, :gen.PT_PROMPT])[0])
        assert torch.allclose(model(x[:1]), base.eval()(full[:1])[:, gen.PT_PROMPT:], atol=1e-5)


def test_the_nam_is_a_sum_of_one_net_per_feature() -> None:
    torch.manual_seed(0)
    model = gen.NAM()
    x = torch.rand(7, gen.NA_FEATURES) * 2 - 1
    with torch.no_grad():
        parts = model.parts(x)
        assert torch.allclose(model(x), parts.sum(1) + model.bias)
        moved = x.clone()
        moved[:, 2] = 0.5  # one feature changed moves only its own net's output
        changed = model.parts(moved) - parts
        assert torch.allclose(changed[:, [0, 1, 3, 4, 5]], torch.zeros(7, 5))
    (xtr, ytr), _, (xte, _) = gen.additive_table()
    assert (len(xtr), len(xte)) == (gen.NA_TRAIN, gen.NA_TEST)
    assert set(ytr.tolist()) == {0.0, 1.0}


def test_the_s4d_layer_is_causal_and_its_kernel_decays() -> None:
    torch.manual_seed(0)
    layer = gen.S4D(4)
    u = torch.randn(2, 16, 4)
    with torch.no_grad():
        y = layer(u)
        v = u.clone()
        v[:, 10:] = torch.randn(2, 6, 4)  # the future changed: the past's outputs the same
        assert torch.allclose(layer(v)[:, :10], y[:, :10], atol=1e-5)
        k = layer.kernel(400).abs()
        assert (k[:, -50:].amax(1) < k[:, :50].amax(1)).all()
    lm = gen.S4DLM()
    assert lm(torch.randint(0, 128, (2, gen.SS_CTX))).shape == (2, gen.SS_CTX, 128)


@pytest.mark.parametrize(("name", "run_of"), [
    ("fresh-nam_additive_bce_rprop_epochs", gen.nam_run),
    ("fresh-s4d_mailbox_adamw_cosine", gen.s4d_run)])
def test_retraining_a_best_run_gives_its_committed_test_loss(name, run_of) -> None:
    """The NAM's and the S4D LM's best runs, retrained (under a CPU second and about three):
    the committed test loss; a retrain on other kernels drifts within ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, name, run_of)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
