"""Round 19's made held-out sweeps (``fresh_sweeps19.py``): a byte transformer LM learns
``_pydecimal.py`` from scratch under RAdam at a constant LR with no warmup, logged every 100
steps; fastText learns which package a standard-library docstring comes from under plain SGD,
logged once per epoch with its val_loss; a U-Net learns to denoise synthetic shapes from noisy
targets (Noise2Noise) under AdamW with OneCycle, logged every 10 steps with a val_loss at each
epoch's end; each loss has a floor no run passes; and the committed truths are what the
generator makes.
The checks every round shares (labels by place, grids, new families, the manifest's side) run in
``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from benchmarks.realworld import fresh_sweeps19 as gen
from tests.unit.test_fresh_sweeps7 import (RETRAINED_REL,
                                           assert_logged_every_10th_step_and_each_epochs_val,
                                           retrain_best)

SUMMARIES = json.loads(gen.OUT.read_text())
GPT, FT, UNET = ("fresh-gpt_pydecimal_radam_const", "fresh-fasttext_docpkg_sgd_epochs",
                 "fresh-unet_shapes_noise2noise_adamw_onecycle")


def _best_final(name: str) -> float:
    s = SUMMARIES[name]
    return min(f for f in s["final_eval_losses"] if f is not None)


def test_the_families_train_with_the_optimizers_and_schedules_the_plan_names() -> None:
    gpt, ft, unet = gen.plan()
    assert [s.meta["optimizer"] for s in gen.plan()] == ["RAdam", "SGD", "AdamW"]
    assert (gpt.meta["warmup_steps"], gpt.meta["schedule"], gpt.meta["clip"]) == (
        0, "constant", None)
    assert (ft.meta["momentum"], ft.meta["schedule"], ft.meta["epochs"]) == (0.0, "constant", 20)
    assert unet.meta["schedule"].startswith("OneCycleLR per step")
    assert not any(s.meta["fine_tune"] for s in gen.plan())
    # the grids cover what users pick (the generator's docstring): RAdam 1e-4 to 3e-3 on a small
    # LM (its grid moved up three quarters of a decade, in two moves), fastText's 0.1 to 1.0,
    # AdamW with OneCycle 1e-3 to 1e-2
    assert min(gpt.lrs) == pytest.approx(10 ** -3.25)
    assert max(gpt.lrs) == pytest.approx(10 ** -0.25)
    assert min(ft.lrs) <= 0.1 and max(ft.lrs) >= 1.0
    assert min(unet.lrs) <= 1e-3 and max(unet.lrs) >= 1e-2
    assert all(len(s.lrs) == 13 for s in gen.plan())


def test_the_logging_is_every_100_steps_once_an_epoch_or_every_10_steps() -> None:
    gpt, ft, unet = gen.plan()
    assert gpt.meta["logged"] == "every 100 steps (that step's loss)"
    assert ft.meta["logged"] == "once per epoch (its mean loss) with val_loss"
    assert unet.meta["logged"] == "every 10 steps (that step's loss), val_loss each epoch"
    assert gen.GPT_EVAL_EVERY % gen.GPT_LOG_EVERY == 0 and gen.GPT_STEPS % gen.GPT_LOG_EVERY == 0
    assert gen.UNET_STEPS_PER_EPOCH % gen.UNET_LOG_EVERY == 0
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_lm_reads_pydecimal_and_no_run_learns_it_by_heart() -> None:
    train_part, val_part, test_part = gen.decimal_source()
    text = bytes(torch.cat([train_part, val_part, test_part]).tolist()).decode()
    assert text.startswith("# Copyright (c) 2004 Python Software Foundation.")
    assert "class Decimal(object):" in text and int(torch.cat([train_part, test_part]).max()) < 128
    model = gen.CausalTransformer(gen.GPT_D, gen.GPT_LAYERS, gen.GPT_HEADS, gen.GPT_CTX)
    assert model(train_part[:gen.GPT_CTX][None]).shape == (1, gen.GPT_CTX, 256)
    # a byte LM untrained sits near ln 256; the best run keeps over a nat a byte on unseen code
    s = SUMMARIES[GPT]
    assert s["start_eval_losses"][0] == pytest.approx(math.log(256), rel=0.1)
    assert _best_final(GPT) > 1.0


def test_fasttext_hashes_words_and_bigrams_and_starts_at_ln_10() -> None:
    grams = gen.hashed_ngrams("Return the Decimal")
    assert len(grams) == 5 and all(0 <= g < gen.FT_BUCKETS for g in grams)
    assert grams == gen.hashed_ngrams("return  THE decimal.")  # case and punctuation aside
    assert gen.hashed_ngrams("") == gen.hashed_ngrams("42")  # no word: one empty word
    (ftr, ytr), (fva, yva), (fte, yte) = gen.docstring_table()
    counts = torch.bincount(torch.cat([ytr, yva, yte]), minlength=len(gen.FT_PACKAGES))
    assert int(counts.min()) >= 100 and len(ftr) == int(0.8 * int(counts.sum()))
    assert {"tkinter", "asyncio", "email"} <= set(gen.FT_PACKAGES)
    model = gen.FastText(len(gen.FT_PACKAGES))
    assert model(ftr[:4]).shape == (4, 10)
    # fastText's zero output matrix: every run starts at ln 10, whatever its LR
    assert all(v == pytest.approx(math.log(10), rel=1e-6)
               for v in SUMMARIES[FT]["start_eval_losses"])
    assert _best_final(FT) > 0.1


def test_the_unet_keeps_its_shape_and_no_run_passes_the_targets_noise() -> None:
    model = gen.UNet()
    assert model(torch.zeros(2, 1, 16, 16)).shape == (2, 1, 16, 16)
    (xtr, ytr), _, (xte, yte) = gen.noisy_shapes()
    assert (len(xtr), len(xte)) == (gen.UNET_TRAIN, gen.UNET_TEST)
    # input and target are two noisy copies of one image: their difference is noise alone,
    # whose half-square is the target noise's variance: no denoiser's MSE goes under it
    floor = 0.5 * float(((xte - yte) ** 2).mean())
    assert floor == pytest.approx(gen.UNET_NOISE ** 2, rel=0.02)
    assert _best_final(UNET) > floor


def test_no_familys_best_run_removes_90_percent_of_its_loss() -> None:
    for s in SUMMARIES.values():
        i = s["lrs"].index(s["best_lr"])
        assert s["final_eval_losses"][i] > 0.1 * s["start_eval_losses"][i]


def test_the_committed_truths_are_what_the_generator_makes(tmp_path) -> None:
    """fastText and the U-Net at their best LRs, retrained (about 12 CPU seconds): the committed
    final test losses, which the logged validation losses are not; fastText's CSV holds one
    row an epoch at a constant LR, the U-Net's every 10th step and a val_loss at each epoch's
    end under OneCycle."""
    from benchmarks.realworld import read_csv
    from benchmarks.realworld.fresh_sweeps8 import write_tested

    ft, s, i = retrain_best(SUMMARIES, FT, gen.fasttext_run)
    unet, m, j = retrain_best(SUMMARIES, UNET, gen.unet_run)
    assert ft.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert ft.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    write_tested(tmp_path, "ft", ft)
    cols = read_csv(tmp_path / "ft.csv")
    assert cols["step"].astype(int).tolist() == list(range(1, gen.FT_EPOCHS + 1))
    assert np.allclose(cols["lr"], s["lrs"][i])
    assert ft.log.final_val != pytest.approx(ft.test, rel=1e-3)
    assert unet.test == pytest.approx(m["final_eval_losses"][j], rel=RETRAINED_REL)
    cols = assert_logged_every_10th_step_and_each_epochs_val(unet, tmp_path, gen.UNET_EPOCHS,
                                                              gen.UNET_STEPS_PER_EPOCH)
    peak = m["lrs"][j]
    assert max(cols["lr"]) == pytest.approx(peak, rel=0.01)  # 30% of the way up
    assert cols["lr"][0] < 0.25 * peak and cols["lr"][-1] < 1e-3 * peak
    assert math.isfinite(ft.test) and math.isfinite(unet.test)
