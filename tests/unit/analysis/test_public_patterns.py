"""The shapes public training logs showed lrwatch getting wrong (issues 12 and 13), each built
as a synthetic curve in tests/helpers/curves.py, and what a user must see on each."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers import curves as synth

PATTERNS = synth.public_patterns()


@pytest.mark.parametrize("case", PATTERNS, ids=[c.name for c in PATTERNS])
def test_each_public_pattern_gets_its_status(case: synth.Labeled) -> None:
    d = analyze(case.curves)
    assert d.status is case.status, [e.message for e in d.evidence]


@pytest.mark.parametrize("case", PATTERNS, ids=[c.name for c in PATTERNS])
def test_one_factor_stated_once_and_no_self_contradiction(case: synth.Labeled) -> None:
    d = analyze(case.curves)
    moves = re.findall(r"~\d[\d.]*x", d.suggestion.rationale)
    assert len(moves) <= 1, d.suggestion.rationale
    words = " ".join(e.message for e in d.evidence)
    if d.status is Status.STALLED:
        assert "not levelled off" not in words


@pytest.mark.parametrize("case", [synth.lm_with_a_floor(), synth.sft_with_a_floor()],
                         ids=["lm", "sft"])
def test_a_loss_with_a_floor_that_did_not_halve_is_not_a_stall(case: synth.Labeled) -> None:
    """Never "stalled, increase"; within the usual range a fall that flattens before it halved
    may as well be too low (round 12), so a range test is as right as keep."""
    d = analyze(case.curves)
    assert d.status is Status.HEALTHY
    assert d.suggestion.action in (Action.KEEP, Action.ADD_DECAY, Action.RANGE_TEST)
    assert d.suggestion.factor in (None, 1.0)


def test_a_flat_loss_at_an_ordinary_lr_asks_for_a_range_test_naming_both_readings() -> None:
    for case in (synth.stuck_at_unigram(), synth.stuck_at_chance()):
        d = analyze(case.curves)
        assert d.suggestion.action is Action.RANGE_TEST and d.suggestion.factor is None
        assert d.confidence <= 0.5
        words = " ".join(e.message for e in d.evidence)
        assert "too low" in words and "or too high" in words
    chance = analyze(synth.stuck_at_chance().curves)
    assert any("ln(10) = 2.3, chance level" in e.message for e in chance.evidence)


def test_a_flat_loss_far_below_the_usual_range_is_still_too_low() -> None:
    c = synth.stuck_at_chance().curves
    low = RunCurves(loss=c.loss, lr=Series(c.loss.steps, np.full(len(c.loss), 1e-7)),
                    optimizer="Adam", classes=10)
    d = analyze(low)
    assert d.status is Status.STALLED and d.suggestion.action is Action.INCREASE


def test_a_loss_at_chance_a_decade_or_two_below_the_usual_range_is_no_100x_move() -> None:
    """A binary classifier at plain SGD 3e-4 whose loss sits at ln 2 (chance) over its first
    steps: too low an LR, or a plateau it leaves later at this LR (public IMDB sweeps: such runs
    trained well by their last epoch). One run cannot tell: a range test, at low confidence,
    naming chance level and both readings; never a move of 10x or more."""
    n = 600
    steps = np.arange(n)
    loss = np.log(2.0) * synth._noise(n, 0.01, 71)
    d = analyze(RunCurves(loss=Series(steps, loss), lr=Series(steps, np.full(n, 3e-4)),
                          optimizer="SGD", classes=2))
    assert d.status is Status.STALLED
    assert d.suggestion.action is Action.RANGE_TEST and d.suggestion.factor is None
    assert d.confidence <= 0.5
    words = " ".join(e.message for e in d.evidence)
    assert "chance level" in words and "too low" in words and "or too high" in words


def test_clipped_sgd_at_lr_20_that_falls_smoothly_is_not_oscillating() -> None:
    d = analyze(synth.clipped_sgd_lstm().curves)
    assert d.status is Status.HEALTHY
    assert d.suggestion.action in (Action.KEEP, Action.ADD_DECAY)


def test_a_loss_above_chance_from_the_first_logged_point_blew_up_before_it() -> None:
    d = analyze(synth.blown_before_first_log().curves)
    assert d.status is Status.DIVERGING
    assert d.suggestion.factor < 1
    assert "above chance level ln(10)" in d.evidence[0].message


@pytest.mark.parametrize("case", [synth.recovered_spike(), synth.nan_epoch_in_the_middle()],
                         ids=["spike", "nan_epoch"])
def test_a_blow_up_that_came_back_says_reduce_or_clip(case: synth.Labeled) -> None:
    d = analyze(case.curves)
    assert d.status is Status.OSCILLATING
    assert d.suggestion.action is Action.REDUCE and d.suggestion.factor == pytest.approx(1 / 3)
    assert "edge of stability" in d.suggestion.rationale and "clip" in d.suggestion.rationale


def test_a_single_nan_step_in_a_long_dense_log_is_a_note_not_a_verdict() -> None:
    loss = synth.converging(np.arange(500), 50)
    loss[200] = math.nan
    d = analyze(RunCurves(loss=Series(np.arange(500), loss)))
    assert d.status is Status.HEALTHY
    assert "NaN came back" in d.suggestion.rationale


def test_an_epoch_staircase_is_not_a_stall() -> None:
    d = analyze(synth.epoch_staircase().curves)
    assert d.status is Status.HEALTHY
    assert any("epoch boundaries" in e.message for e in d.evidence)


def test_a_flat_unnormalised_loss_gets_nothing_strong() -> None:
    d = analyze(synth.flat_unnormalised().curves)
    assert d.confidence <= 0.5
    assert d.suggestion.factor is None or 0.1 < d.suggestion.factor < 10


def test_a_fine_tune_goes_up_at_most_3x() -> None:
    d = analyze(synth.slow_fine_tune().curves)
    assert d.status is Status.STALLED
    assert d.suggestion.action is Action.INCREASE and 1 < d.suggestion.factor <= 3
    assert d.confidence <= 0.6


def test_a_fine_tune_is_recognised_from_its_lr_and_linear_decay() -> None:
    c = synth.slow_fine_tune().curves
    n = len(c.loss)
    lr = 1e-5 * (1 - np.arange(n) / n)  # the Hugging Face Trainer's default: linear to 0
    d = analyze(RunCurves(loss=c.loss, lr=Series(c.loss.steps, lr), optimizer="AdamW"))
    assert d.suggestion.action is not Action.INCREASE or d.suggestion.factor <= 3


def test_blew_up_then_died_is_diverging_and_says_re_initialise() -> None:
    d = analyze(synth.blew_up_then_died().curves)
    assert d.status is Status.DIVERGING
    assert d.suggestion.factor == pytest.approx(0.1)
    assert "re-initialise" in d.suggestion.rationale
    assert "1.4e+17 at step 14" in d.evidence[0].message
    assert "gradients vanished" in d.evidence[1].message


def test_an_increase_stays_within_what_the_optimizer_plausibly_takes() -> None:
    # a loss that never moved at SGD lr 0.005 with momentum 0.9 (1.3 decades under its usual
    # top): too low, and the increase the drop asks for (300x) would pass lr 1
    n = 500
    steps = np.arange(n)
    loss = 2.3 * np.exp(np.random.default_rng(0).normal(0, 0.02, n))  # never moved
    sgdm = RunCurves(loss=Series(steps, loss), lr=Series(steps, np.full(n, 0.005)),
                     optimizer="SGD", momentum=0.9)
    d = analyze(sgdm)
    assert d.status is Status.STALLED and d.suggestion.action is Action.INCREASE
    assert d.suggestion.suggested_lr == pytest.approx(1.0)
    assert "no higher than ~1" in d.suggestion.rationale


def test_no_increase_is_told_at_the_most_the_optimizer_plausibly_takes() -> None:
    # a slow, steady fall under Adam at 1e-2, its plausible maximum: "increase ~1x (0.01 ->
    # 0.01)" was the advice; with no room above, a slow fall reads as too high as well
    n = 1000
    steps = np.arange(n)
    loss = (2.2 + 1.0 * np.exp(-steps / 800)) * synth._noise(n, 0.01, 3)
    adam = RunCurves(loss=Series(steps, loss), lr=Series(steps, np.full(n, 1e-2)),
                     optimizer="Adam")
    d = analyze(adam)
    assert d.status is Status.STALLED
    assert d.suggestion.action is Action.RANGE_TEST and d.suggestion.suggested_lr is None
    assert "too high an LR as well" in d.suggestion.rationale
    assert "keep the LR" not in d.suggestion.rationale


def test_a_loss_never_finite_blames_no_lr_yet() -> None:
    d = analyze(RunCurves(loss=Series(np.arange(50), np.full(50, math.nan))))
    assert d.status is Status.DIVERGING and d.confidence <= 0.5
    assert d.suggestion.action is Action.RANGE_TEST and d.suggestion.factor is None
    assert "check the inputs" in d.suggestion.rationale


def _lm_log(first: float, bump: float, lr: float, classes: int, n: int = 1500,
            seed: int = 58) -> RunCurves:
    """A language model logged from its first step: ``first`` at step 0, ``bump`` times chance
    over the next 15 steps, then a healthy fall to 0.3 of chance."""
    chance = math.log(classes)
    t = np.arange(n)
    loss = (0.3 * chance + (first - 0.3 * chance) * np.exp(-t / (n / 10))) * synth._noise(
        n, 0.03, seed)
    loss[1:16] = bump * chance * synth._noise(15, 0.05, seed + 1)
    loss[0] = first
    return synth._with(synth._curves(loss, lr, optimizer="AdamW"), classes=classes)


def test_an_early_blow_up_the_model_learned_past_asks_for_warmup_not_a_lower_lr() -> None:
    """Parameter-golf records (Muon, no warmup): ln 1024 at step 1, 8-15 in the next steps,
    then 0.3 of chance at the end: the published runs were right to keep their LR."""
    d = analyze(_lm_log(first=math.log(1024), bump=1.8, lr=3e-3, classes=1024))
    assert d.status is Status.HEALTHY
    assert d.suggestion.action is Action.ADD_WARMUP and d.suggestion.factor is None
    assert "keep the peak LR" in d.suggestion.rationale
    assert "blew up in its first steps" in d.evidence[0].message


def test_an_early_blow_up_far_above_the_usual_range_still_lowers_the_lr() -> None:
    d = analyze(_lm_log(first=math.log(1024), bump=1.8, lr=0.3, classes=1024))
    assert d.status is Status.OSCILLATING
    assert d.suggestion.action is Action.REDUCE and d.suggestion.factor < 1


def test_a_first_loss_above_chance_from_the_initialisation_is_not_a_blow_up() -> None:
    """Large first logits (an embedding tied to the head at N(0, 1)) put the first loss far
    above ln K before any update: that is the initialisation, and the run is healthy."""
    d = analyze(_lm_log(first=4.3 * math.log(256), bump=3.0, lr=1e-3, classes=256))
    assert d.status is Status.HEALTHY, [e.message for e in d.evidence]
    assert not any("blew up" in e.message for e in d.evidence)


def test_a_healthy_verdict_says_what_the_loss_did_in_numbers() -> None:
    d = analyze(synth.healthy_exponential().curves)
    assert d.status is Status.HEALTHY
    assert any(re.search(r"loss fell \d+% \([\d.]+ -> [\d.]+, steps 0-999\)", e.message)
               for e in d.evidence), [e.message for e in d.evidence]


def test_a_smooth_fall_still_going_names_both_readings_at_modest_confidence() -> None:
    """The same LM curve at a sweep's best LR and at one 30x lower: healthy near the top of the
    usual range, too low (increase ~3x, no more) far below it, both at 0.5 and both naming the
    other reading and the test that tells them apart."""
    good = analyze(synth.smooth_lm_fall(3e-3).curves)
    low = analyze(synth.smooth_lm_fall(1e-4).curves)
    assert good.status is Status.HEALTHY and good.suggestion.action is Action.KEEP
    assert low.status is Status.STALLED and low.suggestion.action is Action.INCREASE
    assert low.suggestion.factor == pytest.approx(3.0)
    for d in (good, low):
        assert d.confidence <= 0.5
        words = " ".join(e.message for e in d.evidence)
        assert "healthy, or too low" in words and "range test" in words
    assert "range test" in good.suggestion.rationale and "3x" in good.suggestion.rationale


def test_a_loss_mostly_gone_keeps_its_confidence() -> None:
    """A loss 90% gone excludes the too-low reading (no LR could have removed much more): at a
    constant LR or under warmup + cosine it stays healthy, not the open 0.5 (round 15: at 0.6,
    not 0.7, while it still falls: its sweep's neighbours fall as smoothly)."""
    for case in (synth.healthy_exponential(), synth.healthy_warmup_cosine()):
        d = analyze(case.curves)
        assert d.status is Status.HEALTHY and d.confidence >= 0.6
        assert not any("healthy, or too low" in e.message for e in d.evidence)
