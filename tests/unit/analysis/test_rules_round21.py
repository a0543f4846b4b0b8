"""Round 21: confidence that the held-out sides earn. Round 20's held-out made side read a text
CNN under Adadelta at LR 1 and 1.78 (labelled too high and diverging) "stalled" at 0.7 from a fall
still under way, and told it a range test because the LR already sat at what Adadelta plausibly
takes: the evidence said "too low", the action "too high as well". A slow fall at an LR at the
optimizer's plausible most now names both readings and says so at 0.5. A swing back up read
oscillating (its labels say diverging as often) stays under 0.7; the reduce stays."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(0, 401, 10)  # every 10 steps, 400 steps, as the text CNN's loop logs


def _slow_fall(seed: int = 3) -> np.ndarray:
    """A loss still coming down at a steady, slow rate at the end: 0.7 -> ~0.43, 1% noise."""
    rng = np.random.default_rng(seed)
    return (0.2 + 0.5 * np.exp(-STEPS / 500.0)) * np.exp(rng.normal(0.0, 0.01, STEPS.size))


def _run(loss: np.ndarray, optimizer: str, lr: float) -> RunCurves:
    return RunCurves(loss=Series(STEPS, loss), optimizer=optimizer,
                     lr=Series(STEPS, np.full(STEPS.size, lr)))


def test_a_slow_fall_at_the_optimizers_most_names_both_readings_at_an_open_confidence() -> None:
    d = analyze(_run(_slow_fall(), "Adadelta", 1.0))
    words = said(d)
    assert d.status is Status.STALLED, words
    assert d.suggestion.action is Action.RANGE_TEST, words
    assert "stalled, or too high" in words and "plausibly takes" in words
    assert d.confidence <= 0.5


def test_the_same_fall_with_room_to_increase_keeps_its_reading() -> None:
    d = analyze(_run(_slow_fall(), "SGD", 1e-3))  # 10x below SGD's usual top
    words = said(d)
    assert d.status is Status.STALLED, words
    assert d.suggestion.action is Action.INCREASE, words
    assert "stalled, or too high" not in words
    assert d.confidence >= 0.7


def _swung_back_up(seed: int = 5) -> np.ndarray:
    """A fall from 2.3 to ~0.5 by step 200, then a climb back past 1.5 by step 400."""
    rng = np.random.default_rng(seed)
    fall = 0.5 + 1.8 * np.exp(-STEPS / 50.0)
    rise = np.where(STEPS > 200, 1.2 * ((STEPS - 200) / 200.0) ** 2, 0.0)
    return (fall + rise) * np.exp(rng.normal(0.0, 0.01, STEPS.size))


def test_a_swing_back_up_reads_oscillating_under_the_07_bin_and_still_reduces() -> None:
    d = analyze(_run(_swung_back_up(), "Adam", 3e-3))
    words = said(d)
    assert d.status is Status.OSCILLATING, words
    assert d.suggestion.action is Action.REDUCE, words
    assert "climbed back" in words
    assert 0.5 <= d.confidence <= 0.6


def test_the_online_analyzer_agrees() -> None:
    for loss, optimizer, lr in ((_slow_fall(), "Adadelta", 1.0), (_swung_back_up(), "Adam", 3e-3)):
        online_agrees(_run(loss, optimizer, lr))
