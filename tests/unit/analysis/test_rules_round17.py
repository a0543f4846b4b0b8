"""Round 17: the wrong "keep"s. A run trained from scratch 3x or more below the top of its
optimizer's usual range read "healthy, keep" (or "add decay") however far its loss fell; in the
sweeps such runs were too low (27 of 28 runs so read, 9 made families; every run there, whatever
its reading: 152 of 170 labelled too low): the healthy reading is an open one (0.5) whose
evidence names the LR's place, and the action is a range test. A validation loss that turned up
at an LR at or above the top of the range read "healthy, keep" too; 17 of 21 such runs were too
high: the evidence names both readings, the action is a range test. A fine-tune is exempt (its
range is a prior of its own); an LR within the range keeps the healthy reading's own action."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(1, 1001)
EPOCHS = np.arange(100, 1001, 100)


def _fall(seed: int = 3) -> np.ndarray:
    """A cross-entropy that falls 97% over the run and still falls at its end, 5% noise."""
    rng = np.random.default_rng(seed)
    return (2.3 * np.exp(-STEPS / 250.0) + 0.01) * np.exp(rng.normal(0.0, 0.05, STEPS.size))


def _val_turning() -> np.ndarray:
    """A validation loss read at each of 10 epochs: lowest (0.30) at the 5th, 40% above it at
    the end."""
    return np.array([1.2, 0.7, 0.45, 0.34, 0.30, 0.31, 0.33, 0.36, 0.39, 0.42])


def _run(lr: float, optimizer: str, *, momentum: float | None = None,
         fine_tune: bool | None = None, val: bool = False) -> RunCurves:
    return RunCurves(loss=Series(STEPS, _fall()), lr=Series(STEPS, np.full(STEPS.size, lr)),
                     val_loss=Series(EPOCHS, _val_turning()) if val else None,
                     optimizer=optimizer, momentum=momentum, fine_tune=fine_tune)


def test_a_fall_from_scratch_far_below_the_top_asks_for_a_range_test() -> None:
    # SGD with momentum 0.9: usual range 3.3e-4-0.1, so 3e-3 sits 33x below its top
    d = analyze(_run(3e-3, "SGD", momentum=0.9))
    assert d.status is Status.HEALTHY, said(d)
    assert d.suggestion.action is Action.RANGE_TEST, said(d)
    assert d.confidence == 0.5
    assert "peak LR 0.003 is 33x below the top of SGD's usual range" in said(d)
    assert "too low is the likelier reading" in said(d)


def test_the_same_fall_near_the_top_keeps_its_lr() -> None:
    d = analyze(_run(0.05, "SGD", momentum=0.9))  # 2x below the top: within LIKELY_LOW
    assert d.status is Status.HEALTHY and d.suggestion.action is Action.KEEP, said(d)
    assert "below the top" not in said(d)


def test_a_fine_tune_far_below_the_from_scratch_range_keeps_its_lr() -> None:
    # AdamW at 2e-5 is 150x below a from-scratch top (3e-3), within the fine-tuning range
    d = analyze(_run(2e-5, "AdamW", fine_tune=True))
    assert d.status is Status.HEALTHY and d.suggestion.action is Action.KEEP, said(d)
    assert "below the top" not in said(d)


def test_a_validation_turn_at_the_top_of_the_range_asks_for_a_range_test() -> None:
    d = analyze(_run(3e-3, "Adam", val=True))  # the top of Adam's usual range
    assert d.status is Status.HEALTHY, said(d)
    assert d.suggestion.action is Action.RANGE_TEST, said(d)
    assert d.confidence == 0.5
    assert "validation loss turned up at step 500" in said(d)
    assert "overfitting, or too high: peak LR 0.003 sits at the top of Adam's usual range" \
        in said(d)


def test_a_validation_turn_within_the_range_keeps_the_reading_s_action() -> None:
    d = analyze(_run(1e-3, "Adam", val=True))  # 3x below the top: neither rule applies
    assert d.status is Status.HEALTHY and d.suggestion.action is Action.KEEP, said(d)
    assert "validation loss turned up at step 500" in said(d)
    assert "overfitting, or too high" not in said(d)
    assert "below the top" not in said(d)


def test_the_online_analyzer_agrees() -> None:
    for lr, optimizer, momentum, val in ((3e-3, "SGD", 0.9, False), (3e-3, "Adam", None, True)):
        online = online_agrees(_run(lr, optimizer, momentum=momentum, val=val), chunk=100)
        assert online.suggestion.action is Action.RANGE_TEST
