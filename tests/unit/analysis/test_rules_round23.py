"""Round 23: the action agrees with its evidence. Round 22's held-out sides told an Adam LM
pretraining run at 5e-3 (above the top of Adam's usual range for its size) "increase 13.6x"
while its evidence read "stalled, or too high: ... one run cannot tell them apart". Where the
evidence of a slow fall keeps too high open (the top of the usual range, or the most the
optimizer plausibly takes), the action is a range test, never a move against that reading; below
the top, where the evidence names no such reading, a slow fall is still told to increase."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(10, 201, 10)  # a validation loss every 10 steps of a 200-step run


def _slow_fall(seed: int = 5) -> np.ndarray:
    """A cross-entropy still coming down at a steady, slow rate: ~9.1 -> ~7.5 (-18%), 0.5% noise."""
    rng = np.random.default_rng(seed)
    return (7.0 + 2.6 * np.exp(-STEPS / 120.0)) * np.exp(rng.normal(0.0, 0.005, STEPS.size))


def _lm(lr: float, loss: np.ndarray | None = None) -> RunCurves:
    loss = _slow_fall() if loss is None else loss
    return RunCurves(loss=Series(STEPS, loss), lr=Series(STEPS, np.full(STEPS.size, lr)),
                     optimizer="Adam", clip=1.0, param_count=79_000_000)


def test_a_slow_fall_whose_evidence_keeps_too_high_open_is_told_a_range_test() -> None:
    for lr in (5e-3, 1.2e-2):  # 1.9x and 4.4x above the top of Adam's range for 79M parameters
        d = analyze(_lm(lr))
        words = said(d)
        assert d.status is Status.STALLED, words
        assert "or too high" in words, words
        assert d.suggestion.action is Action.RANGE_TEST, words
        assert d.suggestion.factor is None and d.suggestion.suggested_lr is None, words
        assert "~3x lower" in d.suggestion.rationale, words


def test_sgd_momentum_at_the_top_of_its_range_is_told_a_range_test_too() -> None:
    steps = np.arange(1, 801)
    rng = np.random.default_rng(2)
    loss = (1.0 + 1.05 * np.exp(-steps / 900.0)) * np.exp(rng.normal(0.0, 0.01, steps.size))
    d = analyze(RunCurves(loss=Series(steps, loss), lr=Series(steps, np.full(steps.size, 0.1)),
                          optimizer="SGD", momentum=0.9))
    words = said(d)
    assert d.status is Status.STALLED, words
    assert "or too high" in words, words
    assert d.suggestion.action is Action.RANGE_TEST, words


def test_the_same_fall_below_the_top_is_still_told_to_increase() -> None:
    d = analyze(_lm(1e-3))  # within Adam's usual range for 79M parameters, below its top
    words = said(d)
    assert d.status is Status.STALLED, words
    assert "or too high" not in words, words
    assert d.suggestion.action is Action.INCREASE, words
    assert d.suggestion.factor is not None and d.suggestion.factor >= 3, words


def test_the_online_analyzer_agrees() -> None:
    for lr in (5e-3, 1e-3):
        online_agrees(_lm(lr, _slow_fall()))
