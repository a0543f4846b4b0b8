"""Round 33: a flat loss inside the usual range that fell at first. A VAE's epoch log under SGD
at 0.0158 (inside SGD's usual range, a decade and more below its top) fell from 134 before
training to 68.7 after the first epoch, then sat flat there: the level every LR from there up
sat at (too high). Read from its flat stretch alone it was told "stalled, increase 189x" at 0.7.
A loss that fell 40%+ from its first logged point got going: inside the usual range, far below
its top, too low stays the likelier reading, but by one step (3x) at a lean confidence, its
evidence saying how far the loss fell. A loss flat from its first point, or an LR below the
usual range, keeps the move the flat stretch asks for. (Round 45: logged once an epoch, whose
first point may be a whole epoch's mean that hides the fall, such a loss reads two ways inside
the range, ``test_rules_round45``; here the log is of steps, its first point the start.)"""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

EPOCHS = np.arange(0, 101)
STEPS = EPOCHS * 50  # a point every 50 steps from step 0, the loss before training


def _fell_then_flat() -> np.ndarray:
    """Epoch 0 (before training) at 134, then 68.7 easing to 68.3 with 0.1% noise."""
    rng = np.random.default_rng(33)
    loss = 68.3 + 0.4 * np.exp(-(EPOCHS - 1) / 20.0)
    loss = loss * np.exp(rng.normal(0.0, 0.001, EPOCHS.size))
    loss[0] = 134.0
    return loss


def _flat_from_the_start() -> np.ndarray:
    loss = _fell_then_flat()
    loss[0] = 68.8
    return loss


def _run(loss: np.ndarray, lr: float, fine_tune: bool | None = None) -> RunCurves:
    return RunCurves(loss=Series(STEPS, loss), optimizer="SGD", momentum=0.0,
                     lr=Series(STEPS, np.full(STEPS.size, lr)), fine_tune=fine_tune)


def test_a_fall_then_flat_inside_the_range_leans_up_by_one_step() -> None:
    d = analyze(_run(_fell_then_flat(), 0.0158))
    words = said(d)
    assert d.status is Status.STALLED, words
    assert d.suggestion.action is Action.INCREASE, words
    assert d.suggestion.factor is not None and abs(d.suggestion.factor - 3.0) < 1e-9, words
    assert d.confidence <= 0.45, words
    assert "the loss fell 49% (134 -> 68.3) in its first logged points" in words
    assert "it fell at first and then sat flat" in words
    assert "too low is the likelier reading, not a certain one" in words


def test_a_loss_flat_from_its_first_point_keeps_the_move_the_flat_stretch_asks_for() -> None:
    d = analyze(_run(_flat_from_the_start(), 0.0158))
    assert d.status is Status.STALLED, said(d)
    assert d.suggestion.action is Action.INCREASE and d.suggestion.factor > 10, said(d)
    assert "fell at first" not in said(d)


def test_below_the_usual_range_the_fall_does_not_hold_the_move_back() -> None:
    # from scratch (SGD's usual range starts at 1e-3): a fine-tune's LR too where nothing says
    d = analyze(_run(_fell_then_flat(), 3e-4, fine_tune=False))
    assert d.status is Status.STALLED, said(d)
    assert d.suggestion.action is Action.INCREASE and d.suggestion.factor > 10, said(d)


def test_the_online_analyzer_agrees() -> None:
    live = online_agrees(_run(_fell_then_flat(), 0.0158), chunk=10)
    assert live.status is Status.STALLED
    assert live.suggestion.factor is not None and abs(live.suggestion.factor - 3.0) < 1e-9
