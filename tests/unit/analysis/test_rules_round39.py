"""Round 39: a fall that flattens before the loss halved, with the LR not logged. Within the
usual range such a fall already got a range test (a good LR's approach to a floor and a too-low
LR's slow fall look the same on one run, round 12); with no LR in the log it was told "healthy,
keep" at 0.5, though its place is unknown: of 104 such public runs (30 repositories), 50 were
labelled healthy, 43 too low and 11 too high. It now gets the same range test, and its evidence
names all three readings. An LR-free optimizer (Prodigy) logs no LR that matters: it keeps."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers.online import online_agrees
from tests.helpers.said import said

STEPS = np.arange(0, 600, 2)


def _flattening(optimizer: str | None = "AdamW", lr: float | None = None) -> RunCurves:
    """A loss that eases from 2.0 toward 1.4 (a 30% fall, flattening), with
    mini-batch noise; the LR logged only where ``lr`` is given."""
    rng = np.random.default_rng(39)
    loss = (1.4 + 0.6 * np.exp(-STEPS / 120.0)) * np.exp(rng.normal(0, 0.03, STEPS.size))
    logged = None if lr is None else Series(STEPS, np.full(STEPS.size, lr))
    return RunCurves(loss=Series(STEPS, loss), lr=logged, optimizer=optimizer)


def test_a_flattening_fall_with_no_lr_logged_gets_a_range_test_naming_every_reading():
    d = analyze(_flattening())
    words = said(d)
    assert d.status is Status.HEALTHY, words
    assert d.suggestion.action is Action.RANGE_TEST, words
    assert d.confidence <= 0.5, words
    assert "healthy, too low or too high" in words and "the LR not logged" in words, words


def test_the_same_fall_with_no_optimizer_named_gets_it_too():
    assert analyze(_flattening(optimizer=None)).suggestion.action is Action.RANGE_TEST


def test_the_same_fall_with_its_lr_logged_in_the_range_reads_as_before():
    # within a decade of the range's top (round 43 leans a flattening fall further below it
    # toward too low)
    d = analyze(_flattening(lr=1e-3))
    assert d.suggestion.action is Action.RANGE_TEST, said(d)
    assert "healthy, or too low" in said(d), said(d)


def test_an_lr_free_optimizer_keeps():
    d = analyze(_flattening(optimizer="Prodigy"))
    assert d.suggestion.action is not Action.RANGE_TEST, said(d)
    assert "not logged" not in said(d), said(d)


def test_the_online_analyzer_agrees():
    assert online_agrees(_flattening(), chunk=20).suggestion.action is Action.RANGE_TEST
