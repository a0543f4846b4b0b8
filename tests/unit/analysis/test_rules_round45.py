"""Round 45: an epoch log whose first point already hides the first epoch's fall, flat from
there at an LR inside the usual range but more than a decade below its top, read "stalled, too
low: increase to the top of the range" (14-56x at 0.5; round 53's self-normalizing net at its
best LR among them). The flat stretch shows a level the first epoch reached, not a stall: it now
reads two ways, with a range test; below the range, or where the log shows its start, the move
stays."""

from __future__ import annotations

import math

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

EPOCHS = np.arange(1, 13)
# each epoch's mean training loss: the first already far below the start (ln 2 for a logistic
# loss), then a level from the second epoch on
LEVEL = np.array([0.528, 0.406, 0.389, 0.389, 0.384, 0.383, 0.366, 0.368, 0.370, 0.372, 0.371,
                  0.374])


def _epochs(lr: float, epoch_points: bool = True) -> RunCurves:
    """SGD with momentum 0.9 at peak ``lr``, a cosine decay per epoch, logged once an epoch
    (or, ``epoch_points=False``, every 100 steps from step 0: the first point is the start)."""
    cosine = 0.5 * (1 + np.cos(math.pi * (EPOCHS - 1) / EPOCHS.size))
    steps = EPOCHS if epoch_points else (EPOCHS - 1) * 100
    return RunCurves(loss=Series(steps, LEVEL), lr=Series(steps, lr * cosine),
                     optimizer="SGD", momentum=0.9, epoch_points=epoch_points)


def test_a_level_after_a_hidden_first_epoch_inside_the_range_is_no_move():
    d = analyze(_epochs(2e-3))
    assert d.suggestion.action is Action.RANGE_TEST, said(d)
    assert d.confidence <= 0.5, said(d)
    assert "two ways" in said(d), said(d)


def test_below_the_range_the_move_stays():
    d = analyze(_epochs(3e-5))
    assert d.status is Status.STALLED and d.suggestion.action is Action.INCREASE, said(d)


def test_a_log_that_shows_its_start_keeps_its_move():
    d = analyze(_epochs(2e-3, epoch_points=False))
    assert d.suggestion.action is Action.INCREASE, said(d)


def test_the_online_analyzer_agrees():
    assert online_agrees(_epochs(2e-3), chunk=3).suggestion.action is Action.RANGE_TEST
