"""Round 12 of issue 12: a run whose loss did not halve and flattens (or a fine-tune whose loss
hardly moved), at an LR within the usual range or below it, reads as a good LR's approach to a
floor or as too low an LR; one run cannot tell them apart, so the action is a range test (or a
run at ~3x the LR), not "keep". Above the range the rule does not apply."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers import curves as synth
from tests.helpers.said import evidence_said


def _byte_lm(lr: float) -> RunCurves:
    """A byte-level LM logged every 10 steps: a smooth fall 5.1 -> 3.0 (not halved) that
    flattens, under warmup-free cosine decay to 10%."""
    n = 30
    steps = np.arange(10, 10 * n + 1, 10)
    t = steps / steps[-1]
    lr_curve = lr * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * t)))
    loss = (2.9 + 2.3 * np.exp(-t / 0.12)) * synth._noise(n, 0.02, 81)
    return RunCurves(loss=Series(steps, loss), lr=Series(steps, lr_curve), optimizer="AdamW",
                     total_steps=int(steps[-1]), classes=256)


def _fine_tune(lr: float) -> RunCurves:
    """A full fine-tune of a pretrained classifier: the loss starts low and moves 4% under a
    linear decay."""
    n = 48
    steps = np.arange(5, 5 * n + 1, 5)
    t = steps / steps[-1]
    loss = (0.763 - 0.035 * t) * synth._noise(n, 0.005, 84)
    return RunCurves(loss=Series(steps, loss), lr=Series(steps, lr * (1 - t) + 1e-12),
                     optimizer="AdamW", total_steps=int(steps[-1]), fine_tune=True)


def test_a_fall_that_flattens_in_the_range_names_too_low_and_asks_for_a_test() -> None:
    """Round 10 made: the byte transformer at AdamW 1e-3..3.2e-3 (labelled too low by its sweep)
    read "healthy, keep" on "fell 41% and is flattening toward a floor"."""
    for lr in (1e-3, 3e-3):
        d = analyze(_byte_lm(lr))
        assert d.status is Status.HEALTHY, evidence_said(d)
        assert d.suggestion.action is Action.RANGE_TEST, d.suggestion.rationale
        assert "too low" in evidence_said(d)
        assert d.confidence <= 0.5


def test_a_fine_tune_that_hardly_moved_in_its_range_asks_for_a_test() -> None:
    """Round 9 made: the sequence-classifier fine-tune at 3.2e-5..3.2e-4 (too low by its sweep)
    hardly moved and read "healthy, keep"."""
    d = analyze(_fine_tune(1e-4))
    assert d.status is Status.HEALTHY, evidence_said(d)
    assert d.suggestion.action is Action.RANGE_TEST, d.suggestion.rationale
    assert "too low" in evidence_said(d)


def test_above_the_range_a_flattening_fall_is_not_read_too_low() -> None:
    """Half a decade or more above the top of the range too low is no reading: no test is asked
    on its account, and the evidence does not name it."""
    d = analyze(_byte_lm(1e-2))
    assert "healthy, or too low" not in evidence_said(d)
    d = analyze(_fine_tune(1e-3))
    assert "healthy, or too low" not in evidence_said(d)
    assert d.suggestion.action is not Action.INCREASE


def test_a_fine_tune_whose_loss_ended_higher_is_not_said_to_have_fallen() -> None:
    """A DPO fine-tune at 3e-5 whose loss sat at its start and ended 2% higher read "the loss
    fell -2% and flattens"."""
    n = 30
    steps = np.arange(10, 10 * n + 1, 10)
    loss = (0.695 + 0.014 * steps / steps[-1]) * synth._noise(n, 0.003, 46)
    d = analyze(RunCurves(loss=Series(steps, loss), lr=Series(steps, np.full(n, 3e-5)),
                          optimizer="RMSprop", fine_tune=True))
    said = evidence_said(d)
    assert d.suggestion.action is Action.RANGE_TEST, said
    assert "higher than it started and is flat" in said and "fell -" not in said, said
