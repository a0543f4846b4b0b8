"""Round 37: a fine-tune far above the fine-tuning range that trained, with noise its only sign.
Round 40's held-out LayerNorm-only fine-tune (AdamW, its best runs at 0.03-0.18, 2-3 decades above
the fine-tuning range 1e-5-3e-4) fell 21-25% with 10-15% step-to-step noise and was told "reduce
100-300x" from the LR's place: that range holds large models fine-tuned in full or with LoRA, and
a fine-tune of a few parameters takes LRs decades above it. A fine-tune whose loss fell 10% or
more with nothing but noise to show too high an LR now gets a range test at 0.4; one that did
not train, or whose loss swung back up, keeps the cut."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(10, 310, 10)


def _fine_tune(floor: float, swing: float = 1.0, noise: float = 0.12,
               lr: float = 0.1) -> RunCurves:
    """AdamW fine-tune at ``lr``: the loss eases from 1.45 toward ``floor`` with ``noise``
    (relative, per point); its last third climbs back to ``swing`` times its level there."""
    rng = np.random.default_rng(37)
    loss = floor + (1.45 - floor) * np.exp(-STEPS / 80.0)
    loss[20:] *= np.linspace(1.0, swing, STEPS.size - 20)
    loss = loss * np.exp(rng.normal(0, noise, STEPS.size))
    return RunCurves(loss=Series(STEPS, loss), optimizer="AdamW", fine_tune=True,
                     lr=Series(STEPS, np.full(STEPS.size, lr)))


def test_a_fine_tune_that_trained_far_above_its_range_gets_a_range_test_not_a_cut():
    d = analyze(_fine_tune(floor=1.08))
    words = said(d)
    assert d.suggestion.action is Action.RANGE_TEST, words
    assert d.confidence <= 0.4, words
    assert "a fine-tune of a few parameters" in words


def test_a_fine_tune_that_did_not_train_there_is_still_cut():
    d = analyze(_fine_tune(floor=1.43))
    assert d.status is Status.OSCILLATING, said(d)
    assert d.suggestion.action is Action.REDUCE, said(d)


def test_a_fine_tune_whose_loss_swung_back_up_there_is_still_cut():
    d = analyze(_fine_tune(floor=0.9, swing=1.2, noise=0.03))
    assert "the loss rose" in said(d), said(d)
    assert d.suggestion.action is Action.REDUCE, said(d)


def test_the_online_analyzer_agrees():
    live = online_agrees(_fine_tune(floor=1.08), chunk=5)
    assert live.suggestion.action is Action.RANGE_TEST
