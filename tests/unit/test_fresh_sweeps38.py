"""Round 38's made held-out sweeps (``fresh_sweeps38.py``): a GRU encoder-decoder with additive
attention turning dates written in words into ISO dates under NAdam with warm restarts; a VAE of
made bar images (the Bernoulli ELBO) under Adagrad, logged once per epoch; a LoRA fine-tune of a
count MLP pretrained here with the negative binomial likelihood under AdamW. The checks every
round shares (labels by place, grids, new families, the manifest's side) run in
``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``; these pin
what this round wrote itself."""

from __future__ import annotations

import datetime
import json

import pytest
import torch

from benchmarks.realworld import fresh_sweeps38 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    dates, vae, lora = gen.plan()
    assert dates.meta["optimizer"] == "NAdam" and "attention" in dates.meta["model"]
    assert "warm restarts" in dates.meta["schedule"]
    assert vae.meta["optimizer"] == "Adagrad" and "once per epoch" in vae.meta["logged"]
    assert "ELBO" in vae.meta["loss"] and vae.meta["model"].startswith("VAE")
    assert lora.meta["optimizer"] == "AdamW" and lora.meta["fine_tune"] is True
    assert lora.meta["loss"].startswith("negative binomial") and "LoRA" in lora.meta["model"]
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_each_source_is_a_written_date_and_no_run_passes_the_noise_floor() -> None:
    (pair, tgt), _, _ = gen.dates()
    src = pair[:, :gen.DT_SRC_LEN]
    assert torch.equal(pair[:, gen.DT_SRC_LEN:], tgt)
    for k in range(20):
        text = "".join(gen.DT_SRC_CHARS[int(c) - 1] for c in src[k] if int(c))
        day = next(datetime.datetime.strptime(text, f).date()
                   for f in gen.DT_FORMATS if _parses(text, f))
        iso = "".join(gen.DT_TGT_CHARS[int(c)] for c in tgt[k])
        # strptime reads %y 50..68 as 2050..2068: compare YY-MM-DD; the noise replaces about
        # one character in ten
        assert sum(a != b for a, b in zip(iso[2:], day.isoformat()[2:])) <= 3
    floor = gen.noise_floor()
    finals = SUMMARIES["fresh-gru_attn_s2s_dates_nadam_warmrestarts"]["final_eval_losses"]
    assert all(f is None or f > floor for f in finals)


def _parses(text: str, fmt: str) -> bool:
    try:
        datetime.datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def test_the_decoder_reads_no_later_target_character() -> None:
    torch.manual_seed(0)
    model = gen.AttentionSeq2Seq().eval()
    (pair, _), _, _ = gen.dates()
    x = pair[:4].clone()
    later = x.clone()
    later[:, gen.DT_SRC_LEN + 5] = (later[:, gen.DT_SRC_LEN + 5] + 1) % len(gen.DT_TGT_CHARS)
    with torch.no_grad():
        a, b = model(x), model(later)
    assert torch.allclose(a[:, :6], b[:, :6], atol=1e-6)  # target char 5 feeds step 6 on
    assert not torch.allclose(a[:, 6:], b[:, 6:])


def test_the_losses_are_whole_negative_log_likelihoods() -> None:
    log_mu, log_a = torch.tensor([0.3, 1.5, -0.2]), torch.tensor([-0.7, 0.1, -2.0])
    y = torch.tensor([0.0, 4.0, 2.0])
    r, mu = torch.exp(-log_a), torch.exp(log_mu)
    expected = -torch.distributions.NegativeBinomial(r, probs=mu / (mu + r)).log_prob(y).mean()
    got = gen.negbin_nll(torch.stack([log_mu, log_a], 1), y)
    assert float(got) == pytest.approx(float(expected), rel=1e-5)
    torch.manual_seed(0)
    vae = gen.VAE()
    (x,), _, _ = gen.bar_images()
    with torch.no_grad():
        assert float(vae.neg_elbo(x[:50], torch.zeros(50, gen.VB_LATENT))) > 0


def test_the_lora_fine_tune_starts_at_the_pretrained_model_and_trains_only_adapters() -> None:
    base = gen.count_mlp()
    base.load_state_dict(gen.pretrained_counts())
    layer = gen.LoRALinear(base[0])
    x = torch.randn(5, gen.NB_FEATS)
    with torch.no_grad():
        assert torch.allclose(layer(x), base[0](x))
    assert [n for n, p in layer.named_parameters() if p.requires_grad] == ["a", "b"]
    (xp, yp), ((xs, ys), _, _) = gen.count_tables()
    assert float(ys.mean()) != pytest.approx(float(yp.mean()), rel=0.05)  # the regime moved


def test_retraining_the_fine_tunes_best_run_gives_its_committed_test_loss() -> None:
    """The fine-tune at its best LR, retrained with its pretraining (a few CPU seconds): the
    committed test loss; a retrain on other kernels drifts within ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, "fresh-lora_mlp_ft_counts_negbin_adamw", gen.lora_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
