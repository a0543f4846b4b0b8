"""An epoch log's first point is a whole epoch's mean: the steep early fall is behind it, so a
fall that looks slow from it is no sign of a slow LR (real-world round 8: Penn Treebank LMs at
their grid's best LR, 6.0 -> 4.7 nats by epoch, were told "stalled, increase 6-10x")."""

from __future__ import annotations

from lrwatch.analysis import Action, Status, analyze
from tests.helpers import curves as synth


def _moves_up(d) -> bool:  # type: ignore[no-untyped-def]
    return d.suggestion.action is Action.INCREASE and (d.suggestion.factor or 1.0) >= 3.0


def test_an_lm_epoch_log_from_its_first_epochs_mean_is_healthy_with_a_range_test() -> None:
    d = analyze(synth.epochs_lm_first_mean())
    assert d.status is Status.HEALTHY and d.confidence <= 0.5
    assert d.suggestion.action is Action.RANGE_TEST
    assert any("epoch's mean" in e.message and "floor on where training started" in e.message
               for e in d.evidence)


def test_a_classifier_epoch_log_starting_below_chance_is_never_told_to_increase() -> None:
    d = analyze(synth.epochs_below_chance_slow())
    assert not _moves_up(d)
    assert d.status is Status.HEALTHY and d.suggestion.action is Action.RANGE_TEST
    assert any("below chance level ln(10)" in e.message for e in d.evidence)


def test_a_too_low_epoch_log_below_chance_gets_a_range_test_not_a_3x_move() -> None:
    d = analyze(synth.epochs_low_lr_below_chance())
    assert d.status is Status.STALLED
    assert d.suggestion.action is Action.RANGE_TEST and not _moves_up(d)


def test_an_epoch_log_that_starts_at_chance_keeps_its_slow_reading() -> None:
    # the start is in the log (the first epoch barely moved): "moved only X%" means what it says;
    # but a short epoch log of a fall still under way is a range test, not a move (real-world
    # round 14: CIFAR-10 classifiers kept by their sweep read "stalled, increase x3.8-x7.8")
    d = analyze(synth.epochs_at_chance_slow())
    assert d.status is Status.STALLED and d.suggestion.action is Action.RANGE_TEST
    assert any("moved only" in e.message for e in d.evidence)
    assert not any("epoch's mean" in e.message for e in d.evidence)
