"""Round 46's made held-out sweeps (``fresh_sweeps46.py``): a DPO fine-tune of a byte
transformer pretrained here under RMSprop with a warmup; a sparse autoencoder under Adam with a
late linear decay, logged once per epoch; a retention (RetNet) byte LM under AdamW with a warmup
and a linear decay. The checks every round shares (labels by place, grids, new families, the
manifest's side) run in ``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and
``test_realworld_sides.py``; these pin what this round wrote itself."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks.realworld import fresh_sweeps46 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    dpo, sae, ret = gen.plan()
    assert dpo.meta["optimizer"] == "RMSprop" and dpo.meta["fine_tune"] is True
    assert "DPO" in dpo.meta["loss"] and "transformer" in dpo.meta["model"]
    assert sae.meta["optimizer"] == "Adam" and "sparse autoencoder" in sae.meta["model"]
    assert "once per epoch" in sae.meta["logged"] and "L1" in sae.meta["loss"]
    assert ret.meta["optimizer"] == "AdamW" and "RetNet" in ret.meta["model"]
    assert ret.meta["betas"] == [0.9, 0.98]
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_dpo_starts_at_log2_against_the_pretrained_reference_and_trains_every_weight(
        monkeypatch) -> None:
    seen = {}

    def capture(model, opt, loss, splits, *args, **kwargs):
        seen.update(model=model, opt=opt, loss=loss, splits=splits)
    monkeypatch.setattr(gen, "minibatch_run", capture)
    gen.dpo_run(1e-4)
    model, opt = seen["model"], seen["opt"]
    assert isinstance(opt, torch.optim.RMSprop)
    assert {id(p) for g in opt.param_groups for p in g["params"]} == {
        id(p) for p in model.parameters()}
    pairs, reference = seen["splits"][2]
    assert pairs.shape[1:] == (2, gen.FT_CTX)
    # the rejected shares the chosen's prompt and ends otherwise
    assert torch.equal(pairs[:, 0, :gen.DP_PROMPT], pairs[:, 1, :gen.DP_PROMPT])
    assert (pairs[:, 0, gen.DP_PROMPT:] != pairs[:, 1, gen.DP_PROMPT:]).any(1).all()
    with torch.no_grad():
        policy = model.eval()(pairs[:8])
        assert torch.allclose(policy, reference[:8], atol=1e-4)  # the policy starts as it
        assert float(gen.dpo_loss(policy, reference[:8])) == pytest.approx(math.log(2), abs=1e-4)
        # a policy that prefers the chosen more than the reference does has a lower loss
        better = policy + torch.tensor([1.0, -1.0])
        assert float(gen.dpo_loss(better, reference[:8])) < math.log(2)


def test_the_sparse_autoencoder_loss_is_error_plus_decoder_weighted_l1() -> None:
    torch.manual_seed(0)
    model = gen.SparseAutoencoder()
    assert torch.allclose(model.w_dec.norm(dim=0), torch.full((gen.SA_LATENTS,), 0.1))
    assert torch.equal(model.w_enc, model.w_dec.T)
    (xtr, ytr), _, (xte, _) = gen.superposed_activations()
    assert torch.equal(xtr, ytr) and (len(xtr), len(xte)) == (gen.SA_TRAIN, gen.SA_TEST)
    x = xtr[:5]
    with torch.no_grad():
        rebuilt, f = model(x)
        assert (f >= 0).all() and f.shape == (5, gen.SA_LATENTS)
        want = ((rebuilt - x) ** 2).sum(1).mean() + gen.SA_L1 * (
            f * model.w_dec.norm(dim=0)).sum(1).mean()
        assert float(gen.sae_loss(model, x)) == pytest.approx(float(want))


@pytest.mark.filterwarnings("ignore:Detected call of:UserWarning")
def test_the_sae_lr_holds_then_decays_over_the_last_fifth(monkeypatch) -> None:
    """The schedule ``sae_run`` hands ``train_by_epoch``, stepped once an epoch without
    training; then one real epoch, to show the run goes through."""
    seen = {}
    real = gen.train_by_epoch

    def capture(model, opt, epochs, order, *args, **kwargs):
        seen["lrs"] = []
        sched = kwargs["scheduler"](opt)
        for _ in range(epochs):
            seen["lrs"].append(opt.param_groups[0]["lr"])
            sched.step()
        opt.param_groups[0]["lr"] = 1.0
        return real(model, opt, 1, order[:1], *args, **kwargs)
    monkeypatch.setattr(gen, "train_by_epoch", capture)
    gen.sae_run(1.0)
    hold = round((1 - gen.SA_DECAY) * gen.SA_EPOCHS)
    assert seen["lrs"][:hold + 1] == [1.0] * (hold + 1)
    assert seen["lrs"][hold:] == sorted(seen["lrs"][hold:], reverse=True)
    assert 0 < seen["lrs"][-1] < 0.5


def test_retention_is_causal_and_decays() -> None:
    torch.manual_seed(0)
    layer = gen.Retention(8, 2)
    u = torch.randn(2, 16, 8)
    with torch.no_grad():
        y = layer(u)
        v = u.clone()
        v[:, 10:] = torch.randn(2, 6, 8)  # the future changed: the past's outputs the same
        assert torch.allclose(layer(v)[:, :10], y[:, :10], atol=1e-5)
        d = layer.decay(16)
        assert (d.triu(1) == 0).all()
        assert (d[:, -1, 1:] > d[:, -1, :-1]).all()  # nearer bytes weigh more
        assert (d[0, -1, 0] / d[0, -1, -1]) < (d[1, -1, 0] / d[1, -1, -1])  # heads decay apart
    lm = gen.RetNetLM()
    assert lm(torch.randint(0, 128, (2, gen.RN_CTX))).shape == (2, gen.RN_CTX, 128)


@pytest.mark.parametrize(("name", "run_of"), [
    ("fresh-sae_superposition_l1_adam_lindecay_epochs", gen.sae_run),
    ("fresh-retnet_imaplib_adamw_warmlinear", gen.retnet_run)])
def test_retraining_a_best_run_gives_its_committed_test_loss(name, run_of) -> None:
    """The sparse autoencoder's and the retention LM's best runs, retrained (about a CPU
    second and five): the committed test loss; a retrain on other kernels drifts within
    ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, name, run_of)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
