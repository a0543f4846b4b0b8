"""Confidence as the real-world sides earned it (round 8): a smooth fall read healthy with less
than 90% of its loss gone was right 63% of the time, a slow run read stalled 73%."""

from __future__ import annotations

from lrwatch.analysis import Status, analyze
from tests.helpers import curves as synth


def test_a_healthy_fall_with_less_than_90_percent_gone_is_said_at_0_6() -> None:
    d = analyze(synth.sft_with_a_floor().curves)  # 2.08 -> 1.04: half the loss gone
    assert d.status is Status.HEALTHY and 0.5 < d.confidence <= 0.6


def test_a_healthy_fall_with_90_percent_gone_still_falling_is_said_at_0_6() -> None:
    """Round 15: 0.7 was right 39 of 79 times where the loss still fell (sweep neighbours)."""
    d = analyze(synth.healthy_exponential().curves)
    assert d.status is Status.HEALTHY and d.confidence == 0.6


def test_a_slow_run_read_as_stalled_is_said_at_0_7_at_most() -> None:
    for case in (synth.stalled_still_falling(), synth.stalled_linear(), synth.stalled_cosine()):
        d = analyze(case.curves)
        assert d.status is Status.STALLED and d.confidence <= 0.7, case.name
