"""A stalled loss that ended above where it began, at an LR inside the usual range: too high
reads as well as too low (issue 12), so a range test, never a 10-300x increase."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import analyze
from lrwatch.analysis.types import Action, RunCurves, Series, Status

STEPS = np.arange(0, 3000, 10)


def _rising(lr: float, rise: float = 0.07, noise: float = 0.12) -> RunCurves:
    """A noisy loss that drifts up 11% over the run (a fine-tune's MRPC log looked like it)."""
    loss = 0.65 + rise * STEPS / 3000 + np.random.default_rng(3).normal(0, noise, STEPS.size)
    return RunCurves(loss=Series(STEPS, loss), lr=Series(STEPS, np.full(STEPS.size, lr)),
                     optimizer="SGD")


def test_a_loss_that_rose_inside_the_range_gets_a_range_test():
    d = analyze(_rising(0.01))
    assert d.status is Status.STALLED
    assert (d.suggestion.action, d.suggestion.factor) == (Action.RANGE_TEST, None)
    assert "ended higher than it began, at an LR inside SGD's usual range" in \
        d.suggestion.rationale


def test_below_the_range_the_lr_is_still_raised():
    """Far below SGD's usual LRs the LR's place says too low, rise or not."""
    d = analyze(_rising(1e-5))
    assert d.suggestion.action is Action.INCREASE and d.suggestion.factor > 10


def test_a_flat_loss_that_ends_a_little_higher_is_still_raised():
    """Within the noise of a flat loss (+2%), as the benchmark corpus's too-low SGD runs end."""
    d = analyze(_rising(1e-3, rise=0.013, noise=0.01))
    assert d.status is Status.STALLED
    assert d.suggestion.action is Action.INCREASE
