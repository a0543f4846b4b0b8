"""Round 40: a fine-tune's range in its optimizer's own units, and what counts as a fine-tune
that trained. Round 44's held-out (IA)^3 fine-tune under PyTorch's Adafactor (its LR capped at
1/sqrt(step), so every run from 1e-2 to 3.16 ended within 1.7% of the best) fell 7-9% smoothly
at every LR and was told "reduce 30-300x" from AdamW's fine-tuning range, 1e-5-3e-4. Now:

- a fine-tune's range moves with the optimizer's own LR scale, as its usual range does
  (Adafactor's top sits 3.3x Adam's, Lion's 10x under it); an optimizer with no usual range
  (Adadelta) has no fine-tuning range either;
- a fine-tune far above its range counts as trained (a range test, not a cut) from a 5% fall,
  with noise its only sign of too high an LR (round 37 asked 10%: a fine-tune starts near its
  floor); one that did not move and swung back up keeps the cut (round 41: a smooth one that
  did not move gets the range test too)."""

from __future__ import annotations

import numpy as np
import pytest

from lrwatch.analysis import Action, RunCurves, Series, analyze
from lrwatch.analysis.optimizers import typical_range
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(10, 310, 10)


@pytest.mark.parametrize("optimizer, expected", [
    ("AdamW", (1e-5, 3e-4)),
    ("Lion", (1e-6, 3e-5)),
    ("Adafactor", (1e-5 * 10 / 3, 1e-3)),
    ("Muon", (1e-5 * 100 / 3, 1e-2)),
    ("SGD", (1e-4, 1e-2)),
])
def test_a_fine_tunes_range_is_in_its_optimizers_units(optimizer, expected):
    assert typical_range(optimizer, fine_tune=True) == pytest.approx(expected)


def test_an_optimizer_with_no_usual_range_has_no_fine_tuning_range():
    assert typical_range("Adadelta") is None
    assert typical_range("Adadelta", fine_tune=True) is None


def _fine_tune(floor: float, optimizer: str = "Adafactor", noise: float = 0.01) -> RunCurves:
    """A fine-tune at lr 0.3 whose loss eases from 2.75 toward ``floor``, with ``noise``."""
    rng = np.random.default_rng(40)
    loss = (floor + (2.75 - floor) * np.exp(-STEPS / 80.0)) * np.exp(rng.normal(0, noise,
                                                                                 STEPS.size))
    return RunCurves(loss=Series(STEPS, loss), optimizer=optimizer, fine_tune=True,
                     lr=Series(STEPS, np.full(STEPS.size, 0.3)))


@pytest.mark.parametrize("optimizer", ["Adafactor", "AdamW"])
def test_a_fine_tune_that_fell_6_percent_far_above_its_range_gets_a_range_test(optimizer):
    d = analyze(_fine_tune(2.5, optimizer))
    assert "-6.2%" in said(d), said(d)
    assert d.suggestion.action is Action.RANGE_TEST, said(d)
    assert d.confidence <= 0.4, said(d)


def test_one_that_barely_moved_and_swung_back_up_there_is_still_cut():
    d = analyze(_fine_tune(2.6, noise=0.15))
    assert "above its best level" in said(d), said(d)
    assert d.suggestion.action is Action.REDUCE, said(d)


def test_the_online_analyzer_agrees():
    assert online_agrees(_fine_tune(2.5), chunk=5).suggestion.action is Action.RANGE_TEST
