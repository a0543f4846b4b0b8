"""Spikes are a recurrence: "the loss keeps being thrown back above where it started" needs two
or more of the recent losses there, not one point that is 12% of a short log's last 8 (real-world
round 31: fine-tunes' 9-epoch logs read "oscillating, reduce 3x" live on one epoch)."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import RunCurves, Series, Status, analyze
from lrwatch.analysis.detectors import SPIKES_LEAST

POINTS = 32  # the detector reads the last max(8, points // 4) = 8 losses


def _run(thrown: int) -> RunCurves:
    """A loss that falls from 1.0 to ~0.3 and stays there, with ``thrown`` of its last 8
    points back at 1.2, above where it started."""
    rng = np.random.default_rng(0)
    loss = (0.3 + 0.7 * np.exp(-np.arange(POINTS) / 4.0)) * np.exp(rng.normal(0, 0.02, POINTS))
    for i in range(thrown):
        loss[-2 - 3 * i] = 1.2
    steps = np.arange(POINTS) * 50
    return RunCurves(loss=Series(steps, loss), lr=Series(steps, np.full(POINTS, 1e-3)),
                     optimizer="Adam")


def _words(d) -> str:  # type: ignore[no-untyped-def]
    return " | ".join(e.message for e in d.evidence)


def test_one_loss_back_above_the_start_is_no_recurrence() -> None:
    d = analyze(_run(1))
    assert not any("spiked back above" in e.message for e in d.evidence), _words(d)
    assert d.status is not Status.OSCILLATING, _words(d)


def test_losses_thrown_back_again_and_again_are_spikes() -> None:
    d = analyze(_run(SPIKES_LEAST))
    assert d.status is Status.OSCILLATING, _words(d)
    assert any(f"{100 * SPIKES_LEAST / 8:.0f}% of the last 8 losses" in e.message
               and "spiked back above" in e.message for e in d.evidence), _words(d)
