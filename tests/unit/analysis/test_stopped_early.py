"""A loss that fell a little and then stopped (round 6 of issue 12): a floor, too low or too high
an LR. It is never read as healthy by itself; the verdict leans only where the LR's place says
which, at low confidence and by 3x at most, and otherwise asks for a range test. Sign-based
optimizers (signSGD, Signum) are read against Lion's range, not SGD's."""

from __future__ import annotations

import numpy as np
import pytest

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from lrwatch.analysis.optimizers import plausible_max, typical_range
from tests.helpers import curves as synth
from tests.helpers.said import evidence_said


def test_a_loss_that_stopped_early_with_no_lr_logged_gets_a_range_test_naming_both() -> None:
    """The pretraining challenge's logs carry no LR: the run is not called healthy, the answer
    is a range test at low confidence, and the evidence names too high and too low."""
    d = analyze(synth.stopped_early(None))
    assert d.status is Status.STALLED
    assert d.suggestion.action is Action.RANGE_TEST
    assert d.confidence <= 0.5
    words = evidence_said(d)
    assert "too high" in words and "too low" in words and "floor" in words


def test_far_above_the_range_it_leans_too_high_by_3x_not_to_the_range() -> None:
    """At 10x the top of AdamW's range the lean is "too high": reduce exactly 3x (never the
    10x down to the range's top), at confidence 0.5 or under."""
    d = analyze(synth.stopped_early(3e-2))
    assert d.status is Status.OSCILLATING
    assert d.suggestion.action is Action.REDUCE
    assert d.suggestion.factor == pytest.approx(1 / 3)
    assert d.confidence <= 0.5
    assert "too high" in evidence_said(d)


def test_far_below_the_top_it_leans_too_low_by_3x() -> None:
    d = analyze(synth.stopped_early(1e-4))
    assert d.status is Status.STALLED
    assert d.suggestion.action is Action.INCREASE
    assert d.suggestion.factor == pytest.approx(3.0)
    assert d.confidence <= 0.5
    assert "stopped" in d.suggestion.rationale


def test_at_the_top_of_the_range_it_asks_for_a_range_test_naming_too_high() -> None:
    d = analyze(synth.stopped_early(3e-3))
    assert d.status is Status.STALLED
    assert d.suggestion.action is Action.RANGE_TEST
    assert "too high" in evidence_said(d)


def test_a_healthy_lm_that_still_falls_at_the_end_stays_healthy() -> None:
    """The rule reads a loss that stopped, not one approaching its floor: the LM with a floor
    and the GPT still falling keep their healthy verdict."""
    assert analyze(synth.lm_with_a_floor().curves).status is Status.HEALTHY
    assert analyze(synth.gpt_pretrain(6e-4, 124_000_000)).status is Status.HEALTHY


@pytest.mark.parametrize("name", ["signSGD", "SignSGD", "Signum"])
def test_sign_optimizers_share_lions_range_and_cap(name: str) -> None:
    assert typical_range(name) == typical_range("Lion") == (1e-5, 3e-4)
    assert plausible_max(name) == plausible_max("Lion") == 1e-3


def test_signsgd_at_a_lion_like_lr_is_not_told_to_increase_300x() -> None:
    """Round 5's IMDB signSGD at 3e-5 (its sweep's best) read against SGD's range 1e-3-0.3 was
    told "increase ~300x" (its log holds the first 4,000 of 62,500 steps: 0.77 -> 0.61, still
    falling in a straight line): read against Lion's range, the move is 10x at most."""
    n = 1000
    t = np.arange(n)
    loss = (0.769 - 0.16 * t / n) * np.exp(np.random.default_rng(3).normal(0, 0.05, n))
    curves = RunCurves(loss=Series(t, loss), lr=Series(t, np.full(n, 3e-5)),
                       optimizer="signSGD", classes=2)
    d = analyze(curves)
    assert d.suggestion.action is Action.INCREASE
    assert d.suggestion.factor is not None and d.suggestion.factor <= 10.0 + 1e-9
