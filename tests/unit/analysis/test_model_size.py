"""Model size in the prior: larger models train at lower LRs, so a smooth fall at a textbook LR
for a GPT-2 or an LLM is not "too low"; and a smooth run at or above the top of the usual range
names "too high" as the other reading (round 5 of issue 12)."""

from __future__ import annotations

import pytest

from lrwatch.analysis import Action, RunCurves, Status, analyze
from lrwatch.analysis.optimizers import typical_range
from lrwatch.errors import ConfigError
from tests.helpers import curves as synth
from tests.helpers.said import evidence_said

GPT2_SMALL = 124_000_000
ONE_B = 1_000_000_000


# Both curves still fall at the end, a little below the top of their size's range: healthy, and
# since round 10 the action is the range test their evidence names ("or too low"), not keep;
# never an increase.
def test_a_124m_gpt_at_6e_4_with_warmup_and_cosine_is_not_told_to_increase() -> None:
    d = analyze(synth.gpt_pretrain(6e-4, GPT2_SMALL))
    assert d.status is Status.HEALTHY
    assert d.suggestion.action in (Action.KEEP, Action.RANGE_TEST)
    assert d.suggestion.factor in (1.0, None)


def test_a_1b_llm_at_3e_4_is_not_told_to_increase() -> None:
    d = analyze(synth.gpt_pretrain(3e-4, ONE_B))
    assert d.status is Status.HEALTHY
    assert d.suggestion.action in (Action.KEEP, Action.RANGE_TEST)


def test_a_small_mlp_at_1e_4_still_falling_still_gets_increase() -> None:
    for size in (100_000, None):
        d = analyze(synth.small_mlp_still_falling(size))
        assert d.status is Status.STALLED, size
        assert d.suggestion.action is Action.INCREASE and d.suggestion.factor > 1, size


def test_unknown_size_keeps_the_small_model_range_and_says_so() -> None:
    """Without a size the 124M curve at 6e-4 reads as before (increase ~3x, no more), but the
    evidence says the range assumes a small model, that larger ones use lower LRs, and how to
    give the size."""
    d = analyze(synth.gpt_pretrain(6e-4, None))
    assert d.suggestion.action is Action.INCREASE
    assert d.suggestion.factor == pytest.approx(3.0)
    words = evidence_said(d)
    assert "assumes" in words and "small" in words and "larger models train at lower LRs" in words
    assert "--params" in words and "param_count=" in words


def test_a_smooth_run_at_or_above_the_top_for_its_size_names_too_high() -> None:
    """A 124M GPT at 2e-3 (above its size's top) and a 7B LLM at 3e-4 (at it): healthy at low
    confidence, keep, the evidence naming too high as the other reading and the run that
    tells; never a move of 10x."""
    for lr, size in ((2e-3, GPT2_SMALL), (3e-4, 7_000_000_000)):
        d = analyze(synth.gpt_pretrain(lr, size))
        assert d.status is Status.HEALTHY
        assert d.confidence <= 0.5
        assert "healthy, or too high" in evidence_said(d)
        assert "~3x lower" in d.suggestion.rationale
        assert d.suggestion.action is Action.KEEP and d.suggestion.factor == 1.0


def test_the_same_lr_well_below_the_top_does_not_name_too_high() -> None:
    d = analyze(synth.gpt_pretrain(1e-4, GPT2_SMALL))
    assert "too high" not in evidence_said(d)


def test_the_usual_range_falls_with_size_and_small_models_keep_it() -> None:
    small = typical_range("AdamW")
    assert typical_range("AdamW", param_count=100_000) == small
    assert typical_range("AdamW", param_count=50_000_000) == small
    tops = [typical_range("AdamW", param_count=n)[1]  # type: ignore[index]
            for n in (125_000_000, 1_300_000_000, 13_000_000_000, 175_000_000_000)]
    # three times GPT-3's published LR at each size (table 2.1: 6e-4, 2e-4, 1e-4, 6e-5)
    assert tops == pytest.approx([1.8e-3, 6e-4, 3e-4, 1.8e-4])
    assert typical_range("AdamW", param_count=10 ** 13) == typical_range(
        "AdamW", param_count=175_000_000_000)
    # SGD's range and the fine-tuning range do not move with size
    assert typical_range("SGD", param_count=ONE_B) == typical_range("SGD")
    assert typical_range("AdamW", fine_tune=True, param_count=ONE_B) == \
        typical_range("AdamW", fine_tune=True)


def test_the_evidence_names_the_size_it_read_the_range_for() -> None:
    d = analyze(synth.gpt_pretrain(1e-4, GPT2_SMALL))
    assert "for 124M parameters" in evidence_said(d)


@pytest.mark.parametrize("bad", [0, -5, 1.5e8, True, "124M"])
def test_a_bad_param_count_is_named(bad: object) -> None:
    curves = synth.gpt_pretrain(6e-4, None)
    with pytest.raises(ConfigError, match=r"param_count=.*positive integer"):
        RunCurves(loss=curves.loss, param_count=bad)  # type: ignore[arg-type]
