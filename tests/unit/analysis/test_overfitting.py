"""Round 13 of issue 12: a validation loss that turned up while the training loss kept falling
is evidence the log holds (overfitting). The diagnosis says so, with the step it turned, and
what it asks (stop at the validation minimum; a run at ~3x lower LR tells whether a lower LR
generalises better), beside the healthy reading's own action; the LR is never raised for a
training loss still falling: on the real-world sides most runs that overfit were their sweep's
best LR (39 of 59 labelled keep, 17 down)."""

from __future__ import annotations

import numpy as np
import pytest

from lrwatch.analysis import Action, OnlineAnalyzer, RunCurves, Series, Status, analyze
from lrwatch.errors import ConfigError
from tests.helpers import curves as synth
from tests.helpers.said import evidence_said


def _epoch_classifier(val: np.ndarray, *, lr: float = 3e-3, fall: float = 4.0) -> RunCurves:
    """A per-epoch log of 30 epochs under constant AdamW: the training loss falls from 1.4
    toward zero (``fall``: epochs per e-fold), the validation loss is ``val``."""
    epochs = np.arange(1, 31)
    loss = (1.4 * np.exp(-epochs / fall) + 0.004) * synth._noise(30, 0.02, 131)
    return RunCurves(loss=Series(epochs, loss), lr=Series(epochs, np.full(30, lr)),
                     val_loss=Series(epochs, val), optimizer="AdamW", classes=3,
                     epoch_points=True)


def _turns_at(epoch: int, rise: float) -> np.ndarray:
    """A validation loss that falls to 0.88 at ``epoch`` and then rises ``rise`` (a share)."""
    epochs = np.arange(1, 31)
    down = 0.88 + 0.3 * (epoch - epochs) / epoch
    up = 0.88 * (1 + rise * (epochs - epoch) / (30 - epoch))
    return np.where(epochs <= epoch, down, up)


def test_a_memorising_epoch_log_names_the_turn_and_what_it_asks() -> None:
    """Round 12 made: a docstring classifier above its best LR memorised its training set (the
    training loss down 99-100%) while its validation loss rose 12-22%, and read "healthy as far
    as 30 epochs tell", keep. At AdamW 3e-3, the top of its usual range, the turn reads as too
    high as well since round 17: a range test, its evidence naming both readings."""
    d = analyze(_epoch_classifier(_turns_at(6, 0.2)))
    assert d.status is Status.HEALTHY, evidence_said(d)
    assert d.suggestion.action is Action.RANGE_TEST, d.suggestion.rationale
    assert "validation loss turned up at step 6" in evidence_said(d)
    assert "overfitting, or too high: peak LR 0.003 sits at the top" in evidence_said(d)
    assert "overfits" in d.suggestion.rationale and "early stopping" in d.suggestion.rationale
    assert "~3x lower LR" in d.suggestion.rationale
    assert d.since_step == 6
    assert d.confidence <= 0.6


def test_a_slow_fall_with_a_turned_validation_loss_is_not_told_to_increase() -> None:
    """Round 11 made: a tabular MLP's training loss still fell at epoch 30 (read "stalled,
    increase x3") while its validation loss had turned: more LR is not what it needs."""
    slow = _epoch_classifier(_turns_at(12, 0.15), lr=1e-4, fall=12.0)
    # without the validation loss it reads stalled (a range test since round 14: a short epoch
    # log of a fall still under way)
    assert analyze(RunCurves(loss=slow.loss, lr=slow.lr, optimizer="AdamW", classes=3,
                             epoch_points=True)).status is Status.STALLED
    d = analyze(slow)
    assert d.status is Status.HEALTHY, evidence_said(d)
    assert d.suggestion.action not in (Action.INCREASE, Action.REDUCE), d.suggestion.rationale
    assert "validation loss turned up at step 12" in evidence_said(d)
    assert "overfits" in d.suggestion.rationale


@pytest.mark.parametrize("val", [
    np.linspace(1.2, 0.6, 30),  # still falling: no overfitting
    _turns_at(10, 0.05),  # a 5% rise: within what noise and a flat floor give
])
def test_a_validation_loss_that_did_not_turn_is_not_read_as_overfitting(val: np.ndarray) -> None:
    d = analyze(_epoch_classifier(val))
    assert "overfits" not in evidence_said(d)
    assert "overfits" not in d.suggestion.rationale


def test_a_validation_loss_that_rises_with_the_training_loss_is_not_overfitting() -> None:
    """The training loss stopped falling where the validation loss turned: whatever went wrong
    shows in the training loss, which the other rules read."""
    epochs = np.arange(1, 31)
    loss = np.where(epochs <= 10, 1.4 * np.exp(-epochs / 3), 1.4 * np.exp(-10 / 3))
    val = _turns_at(10, 0.3)
    d = analyze(RunCurves(loss=Series(epochs, loss * synth._noise(30, 0.01, 7)),
                          val_loss=Series(epochs, val), optimizer="AdamW", epoch_points=True,
                          lr=Series(epochs, np.full(30, 3e-3))))
    assert "overfits" not in evidence_said(d)


def _step_run() -> RunCurves:
    """A step log (every step for 3000 steps) with a validation loss every 100 steps that turns
    up at step 1200."""
    steps = np.arange(3000)
    loss = (2.3 * np.exp(-steps / 300) + 0.02) * synth._noise(3000, 0.05, 17)
    vs = np.arange(100, 3000, 100)
    val = np.where(vs <= 1200, 0.6 + 0.4 * (1200 - vs) / 1200, 0.6 + 0.25 * (vs - 1200) / 1800)
    return RunCurves(loss=Series(steps, loss), lr=Series(steps, np.full(3000, 0.05)),
                     val_loss=Series(vs, val), optimizer="SGD", total_steps=3000)


def test_the_online_analyzer_reads_the_validation_loss_as_analyze_does() -> None:
    c = _step_run()
    assert c.val_loss is not None and c.lr is not None
    online = OnlineAnalyzer(optimizer="SGD", total_steps=3000)
    for start in range(0, 3000, 250):
        sl = slice(start, start + 250)
        online.update(c.loss.steps[sl], c.loss.values[sl], lr=c.lr.values[sl])
        seen = c.val_loss.steps <= c.loss.steps[sl][-1]
        fresh = seen & (c.val_loss.steps > start - 1)
        online.update_val_loss(c.val_loss.steps[fresh], c.val_loss.values[fresh])
    live, batch = online.diagnose(), analyze(c)
    assert "validation loss turned up at step 1200" in evidence_said(batch)
    assert live.status is batch.status
    assert live.suggestion == batch.suggestion
    assert [e.message for e in live.evidence] == [e.message for e in batch.evidence]
    # the validation points survive a resume
    resumed = OnlineAnalyzer(optimizer="SGD", total_steps=3000)
    resumed.load_state_dict(online.state_dict())
    assert [e.message for e in resumed.diagnose().evidence] == \
        [e.message for e in batch.evidence]


def test_update_val_loss_checks_its_input() -> None:
    online = OnlineAnalyzer()
    with pytest.raises(ConfigError, match="val_loss has 2 values for 3 steps"):
        online.update_val_loss([1, 2, 3], [0.5, 0.4])
    with pytest.raises(ConfigError, match="needs numbers"):
        online.update_val_loss([1], ["x"])
    online.update_val_loss([5, 6], [0.5, 0.4])
    online.update_val_loss([6, 7], [0.3, 0.2])  # step 6 again: ignored
    assert online.state_dict()["val_loss"][0].tolist() == [5, 6, 7]


def _frozen_backbone_head(val: np.ndarray) -> RunCurves:
    """Real-world round 35's shape: a new 10-class head on a frozen backbone, 10 epochs of Adam
    with the LR not logged; the first epoch's mean training loss blew up to 4.5x chance (10.5)
    and fell to ~1, the validation loss is ``val``."""
    epochs = np.arange(1, 11)
    loss = (0.9 + 9.6 * np.exp(-(epochs - 1) / 1.2)) * synth._noise(10, 0.02, 35)
    return RunCurves(loss=Series(epochs, loss), val_loss=Series(epochs, val), optimizer="Adam",
                     classes=10, epoch_points=True)


def test_a_validation_loss_worse_than_chance_while_training_learns_is_too_high() -> None:
    """Round 35: at Adam 0.1 twelve such heads learned their training set (the training loss
    0.3-0.6x ln 10) while the validation loss never came below 2.3x chance, and read "healthy,
    keep". Worse than a uniform guess on unseen data is too high an LR: reduce ~10x, naming the
    other reading (validation data unlike training's), at a confidence under 0.9."""
    d = analyze(_frozen_backbone_head(np.linspace(6.0, 9.0, 10)))
    assert d.status is Status.OSCILLATING, evidence_said(d)
    assert d.suggestion.action is Action.REDUCE and d.suggestion.factor == pytest.approx(0.1)
    assert "never came below chance level ln(10) = 2.3: 6 at its lowest" in evidence_said(d)
    assert "labels and preprocessing" in d.suggestion.rationale
    assert d.confidence < 0.9


@pytest.mark.parametrize("val", [
    np.linspace(1.5, 0.9, 10),  # below chance: it generalises
    np.linspace(2.4, 2.3, 10),  # at chance, not far above it: read by the other rules
    np.linspace(600.0, 250.0, 10),  # summed over the set, not averaged: it falls as training does
])
def test_a_validation_loss_near_or_below_chance_or_summed_is_not_read_as_too_high(
        val: np.ndarray) -> None:
    d = analyze(_frozen_backbone_head(val))
    assert "never came below chance level" not in evidence_said(d)
    assert d.suggestion.action is not Action.REDUCE or d.suggestion.factor != pytest.approx(0.1)
