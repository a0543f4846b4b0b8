"""Round 35's made held-out sweeps (``fresh_sweeps35.py``): an encoder-decoder transformer writing
numbers in words under AdEMAMix; a 1-D CNN tagging noisy symbol bursts with CTC under ADOPT,
logged once per epoch; a fine-tune of a segmenter pretrained here with the soft Dice loss under
Cautious AdamW. The checks every round shares (labels by place, grids, new families, the
manifest's side) run in ``test_made_rounds.py``, ``test_fresh_sweeps8.py`` and
``test_realworld_sides.py``; these pin what this round wrote itself."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from benchmarks.realworld import fresh_sweeps35 as gen
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def test_the_families_train_with_the_optimizers_and_losses_the_plan_names() -> None:
    words, ctc, seg = gen.plan()
    assert words.meta["optimizer"] == "AdEMAMix" and "transformer" in words.meta["model"]
    assert ctc.meta["optimizer"] == "ADOPT" and "once per epoch" in ctc.meta["logged"]
    assert ctc.meta["loss"].startswith("CTC")
    assert seg.meta["optimizer"] == "Cautious AdamW" and seg.meta["fine_tune"] is True
    assert seg.meta["loss"] == "soft Dice"
    assert all(len(s.lrs) == 13 for s in gen.plan())
    for s in SUMMARIES.values():
        assert s["truth"] == "test split, not in the CSV"


def test_numbers_are_written_in_words_with_their_two_spellings() -> None:
    rng = np.random.default_rng(0)
    assert gen.in_words(0, rng) == "zero"
    assert gen.in_words(17, rng) == "seventeen"
    spellings = {gen.in_words(42_105, rng) for _ in range(40)}
    assert spellings == {"forty-two thousand one hundred five",
                         "forty two thousand one hundred five",
                         "forty-two thousand one hundred and five",
                         "forty two thousand one hundred and five"}
    (src, tgt), _, (ste, _) = gen.number_words()
    assert not {tuple(r) for r in src.tolist()} & {tuple(r) for r in ste.tolist()}
    assert (tgt[:, 0] == gen.BOS).all() and ((tgt == gen.EOS).sum(1) == 1).all()


def test_ademamix_mixes_a_fast_corrected_and_a_slow_ema_over_adams_rms() -> None:
    """Without warmups, one step from zero state: the fast EMA corrected is g, the slow one
    (1 - b3) g, the RMS |g|: the step ``lr (1 + alpha (1 - b3)) sign(g)``."""
    p = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
    opt = gen.AdEMAMix([p], lr=0.1, betas=(0.9, 0.999, 0.99), alpha=5.0, eps=0.0)
    p.grad = torch.tensor([2.0, -0.5])
    opt.step()
    step = 0.1 * (1 + 5.0 * 0.01)
    assert p.detach() == pytest.approx(torch.tensor([1.0 - step, -1.0 + step]))
    assert gen.half_life_warmup(0, 0.9999, 0.9, 100) == pytest.approx(0.9, abs=1e-6)
    assert gen.half_life_warmup(100, 0.9999, 0.9, 100) == 0.9999


def test_adopt_only_sets_v_on_its_first_step_and_normalises_by_the_previous_v() -> None:
    p = torch.nn.Parameter(torch.tensor([1.0]))
    opt = gen.ADOPT([p], lr=0.1)
    p.grad = torch.tensor([2.0])
    opt.step()
    assert float(p.detach()) == 1.0 and float(opt.state[p]["v"]) == 4.0
    p.grad = torch.tensor([4.0])
    opt.step()  # 4 / sqrt(4) = 2, clipped to step 1's clip 1 ** 0.25 = 1
    assert float(opt.state[p]["m"]) == pytest.approx(0.1 * 1.0)
    assert float(p.detach()) == pytest.approx(1.0 - 0.1 * 0.1)
    assert float(opt.state[p]["v"]) == pytest.approx(0.9999 * 4 + 0.0001 * 16)


def test_cautious_adamw_drops_the_momentum_entries_against_the_gradient() -> None:
    p = torch.nn.Parameter(torch.tensor([0.0, 0.0]))
    opt = gen.CautiousAdamW([p], lr=0.1, weight_decay=0.0)
    p.grad = torch.tensor([1.0, 1.0])
    opt.step()
    assert p.detach() == pytest.approx(torch.tensor([-0.1, -0.1]), abs=1e-6)
    p.grad = torch.tensor([1.0, -100.0])
    opt.step()  # the second entry's momentum flips with its gradient: both agree, none masked
    m = opt.state[p]["m"]
    assert m[0] > 0 and m[1] < 0
    p.grad = torch.tensor([-1e-3, -1.0])
    before = p.detach().clone()
    opt.step()  # entry 0: momentum > 0, gradient < 0: masked; entry 1 kept, scaled by 2
    assert float(p.detach()[0]) == pytest.approx(float(before[0]))
    assert float(p.detach()[1]) > float(before[1])


def test_the_bursts_hold_their_symbols_and_ctc_reads_them() -> None:
    (x, y, lengths), _, _ = gen.bursts()
    assert x.shape[1:] == (gen.CT_FEATS, gen.CT_FRAMES)
    assert ((lengths >= 3) & (lengths <= 6)).all()
    assert all((y[k, :lengths[k]] > 0).all() and (y[k, lengths[k]:] == 0).all()
               for k in range(50))
    loss = gen.ctc(gen.ctc_tagger(), x[:4], y[:4], lengths[:4])
    assert math.isfinite(float(loss.detach())) and float(loss.detach()) > 0


def test_the_segmentation_masks_cover_the_shapes_and_dice_is_zero_on_a_perfect_mask() -> None:
    (xp, mp), ((x, m), _, _) = gen.segmentation_data()
    assert mp.shape[1:] == (1, gen.SG_SIZE, gen.SG_SIZE) and (m.sum((1, 2, 3)) > 0).all()
    perfect = (m[:8] * 2 - 1) * 50.0
    assert float(gen.soft_dice(perfect, m[:8])) == pytest.approx(0.0, abs=1e-6)
    assert float(gen.soft_dice(-perfect.abs(), m[:8])) > 0.9


def test_retraining_the_ctc_taggers_best_run_gives_its_committed_test_loss() -> None:
    """The CTC tagger at its best LR, retrained (a few CPU seconds): the committed test loss; a
    retrain on other kernels drifts within ``RETRAINED_REL``."""
    run, s, i = retrain_best(SUMMARIES, "fresh-cnn1d_ctc_bursts_adopt_epochs", gen.ctc_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=RETRAINED_REL)
