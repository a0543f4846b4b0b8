"""Round 21's made held-out sweeps (``fresh_sweeps21.py``): a GRU encoder-decoder reverses noisy
symbol strings under Adam with gradient clipping and teacher forcing; a SimCLR-style MLP embeds
scikit-learn's digits by NT-Xent under SGD with momentum and a cosine; a factorization machine
predicts synthetic clicks under Adagrad; each logged every 10 steps with a val_loss at each
epoch's end, each with a floor no run passes (random target symbols, augmentations, clicks drawn
from their odds); and the committed truths are what the generator makes. The checks every round
shares (labels by place, grids, new families, the manifest's side) run in
``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and ``test_realworld_sides.py``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from benchmarks.realworld import fresh_sweeps21 as gen
from tests.unit.test_fresh_sweeps7 import (RETRAINED_REL,
                                           assert_logged_every_10th_step_and_each_epochs_val,
                                           retrain_best)

SUMMARIES = json.loads(gen.OUT.read_text())
S2S, CL, FM = ("fresh-seq2seq_reverse_gru_adam_clip", "fresh-simclr_digits_sgdm_cosine",
               "fresh-fm_synthclicks_adagrad")


def _best_final(name: str) -> float:
    s = SUMMARIES[name]
    return min(f for f in s["final_eval_losses"] if f is not None)


def test_the_families_train_with_the_optimizers_and_schedules_the_plan_names() -> None:
    s2s, cl, fm = gen.plan()
    assert [s.meta["optimizer"] for s in gen.plan()] == ["Adam", "SGD", "Adagrad"]
    assert (s2s.meta["clip"], s2s.meta["teacher_forcing"], s2s.meta["schedule"]) == (
        1.0, True, "constant")
    assert (cl.meta["momentum"], cl.meta["schedule"]) == (0.9, "cosine to 0")
    assert (fm.meta["schedule"], fm.meta["clip"]) == ("constant", None)
    assert not any(s.meta["fine_tune"] for s in gen.plan())
    # the grids cover what users pick (the generator's docstring): Adam on a small seq2seq 3e-4
    # to 1e-2; SGD for a small SimCLR 1e-2 to 0.3; Adagrad on an FM 1e-2 (its default) to 0.1
    assert min(s2s.lrs) <= 3e-4 and max(s2s.lrs) >= 1e-2
    assert min(cl.lrs) <= 1e-2 and max(cl.lrs) >= 0.3
    assert min(fm.lrs) <= 1e-2 and max(fm.lrs) >= 0.1
    assert all(len(s.lrs) == 13 for s in gen.plan())


def test_the_logging_is_every_10_steps_with_a_val_loss_each_epoch() -> None:
    for s in gen.plan():
        assert s.meta["logged"] == "every 10 steps (that step's loss), val_loss each epoch"
    per_epoch = (gen.S2S_STEPS_PER_EPOCH, gen.CL_STEPS_PER_EPOCH, gen.FM_STEPS_PER_EPOCH)
    assert all(n % gen.LOG_EVERY == 0 for n in per_epoch)
    # at least 30 logged points a run (round 19's LM logged 4 and got no verdict)
    assert all(s.steps // gen.LOG_EVERY >= 30 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_the_reversals_are_reversed_strings_with_a_tenth_of_symbols_random() -> None:
    (src, tgt), (vs, _), (ts, tt) = gen.reversals()
    assert (len(src), len(vs), len(ts)) == (gen.S2S_TRAIN, gen.S2S_VAL, gen.S2S_TEST)
    kept = float((tgt == src.flip(1)).float().mean())
    assert kept == pytest.approx(1 - gen.S2S_NOISE * (1 - 1 / gen.S2S_SYMBOLS), abs=0.01)
    torch.manual_seed(0)
    assert gen.Seq2Seq()(src[:3], tgt[:3]).shape == (3, gen.S2S_LEN, gen.S2S_SYMBOLS)
    # the floor: a model that knows every reversal still cannot guess the random symbols
    right = 1 - gen.S2S_NOISE + gen.S2S_NOISE / gen.S2S_SYMBOLS
    floor = -right * math.log(right) - (1 - right) * math.log(gen.S2S_NOISE / gen.S2S_SYMBOLS)
    assert _best_final(S2S) > floor


def test_the_contrastive_views_differ_and_the_loss_is_simclrs() -> None:
    (xtr,), (xva,), (xte,) = gen.digit_images()
    assert (len(xtr), len(xva)) == (gen.CL_TRAIN, gen.CL_VAL)
    # the test split is the rest of the 1797 digits (261), scored in whole batches of 32: 256
    views = gen.fixed_views(xte, 0)
    assert sum(len(a) for a, _ in views) == gen.CL_TEST and len(xte) - gen.CL_TEST < gen.CL_BATCH
    g = torch.Generator().manual_seed(0)
    a, b = gen.augment(xtr[:4], g), gen.augment(xtr[:4], g)
    assert a.shape == (4, 64) and not torch.equal(a, b)
    # identical views of distinct images score below a random guess among the 2N - 1 others
    z = torch.eye(8, 32)
    assert float(gen.nt_xent(z, z)) < math.log(2 * 8 - 1)
    assert gen.SimCLR()(a).shape == (4, gen.CL_PROJ)
    assert 0 < _best_final(CL) < SUMMARIES[CL]["start_eval_losses"][0]


def test_the_clicks_come_from_their_odds_and_no_run_passes_their_entropy() -> None:
    (xtr, ytr), _, (xte, yte) = gen.clicks()
    assert xtr.shape == (gen.FM_TRAIN, gen.FM_FIELDS)
    fields = xtr // gen.FM_CARD
    assert torch.equal(fields, torch.arange(gen.FM_FIELDS).expand_as(fields))
    assert 0.2 < float(torch.cat([ytr, yte]).mean()) < 0.8  # clicks and none
    assert gen.FactorizationMachine()(xtr[:5]).shape == (5,)
    # the floor: the test split's clicks' entropy under their true odds (0.452)
    p = gen.click_log()[1][-gen.FM_TEST:]
    floor = float(-(p * np.log(p) + (1 - p) * np.log(1 - p)).mean())
    assert 0.4 < floor < _best_final(FM)


def test_no_familys_best_run_removes_90_percent_of_its_loss() -> None:
    for s in SUMMARIES.values():
        i = s["lrs"].index(s["best_lr"])
        assert s["final_eval_losses"][i] > 0.1 * s["start_eval_losses"][i]


@pytest.mark.parametrize(("name", "run_of", "epochs", "per_epoch"), [
    (S2S, gen.seq2seq_run, gen.S2S_EPOCHS, gen.S2S_STEPS_PER_EPOCH),
    (CL, gen.simclr_run, gen.CL_EPOCHS, gen.CL_STEPS_PER_EPOCH),
    (FM, gen.fm_run, gen.FM_EPOCHS, gen.FM_STEPS_PER_EPOCH)], ids=["seq2seq", "simclr", "fm"])
def test_the_committed_truths_are_what_the_generator_makes(name, run_of, epochs, per_epoch,
                                                           tmp_path) -> None:
    """Each family at its best LR, retrained (a second or two of CPU): the committed final test
    loss, which the logged validation losses are not; each CSV holds every 10th step and a
    val_loss at each epoch's end, the LR constant or annealed to zero by the cosine."""
    run, s, i = retrain_best(SUMMARIES, name, run_of)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    assert run.log.final_val != pytest.approx(run.test, rel=1e-3)
    cols = assert_logged_every_10th_step_and_each_epochs_val(run, tmp_path, epochs, per_epoch)
    peak = s["lrs"][i]
    assert max(cols["lr"]) == pytest.approx(peak, rel=0.01)
    if name == CL:
        assert cols["lr"][-1] < 0.01 * peak
    else:
        assert min(cols["lr"]) == pytest.approx(peak)
    assert math.isfinite(run.test)
