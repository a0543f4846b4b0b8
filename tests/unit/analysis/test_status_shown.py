"""Round 11 of issue 12: a status its evidence shows. A loss that did not halve, at an LR up to
LR_BEYOND above the usual range (or with a gradient norm that fell 2-3x as it trained), is read
"oscillating" only where the curve shows it: the loss swings back up above its best level or is
rough. A smooth fall (a byte transformer with AdamW + cosine; LoRA adapters above the
fine-tuning range) is no oscillation."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze
from tests.helpers import curves as synth
from tests.helpers.said import evidence_said


def _byte_lm(lr: float) -> RunCurves:
    """A byte-level LM logged every 10 steps: the first point already far below ln 256, then a
    smooth fall 5.1 -> 3.0 (not halved) under warmup + cosine to 10%; the gradient norm falls 3x
    as it trains."""
    n = 30
    steps = np.arange(10, 10 * n + 1, 10)
    t = steps / steps[-1]
    lr_curve = lr * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * t)))
    loss = (2.9 + 2.3 * np.exp(-t / 0.3)) * synth._noise(n, 0.02, 81)
    grad = (0.33 + 0.8 * np.exp(-t / 0.3)) * synth._noise(n, 0.05, 82)
    return RunCurves(loss=Series(steps, loss), lr=Series(steps, lr_curve),
                     grad_norm=Series(steps, grad), optimizer="AdamW", total_steps=int(steps[-1]),
                     classes=256)


def _adapter(lr: float, swing: float = 0.0) -> RunCurves:
    """LoRA adapters on a pretrained model: the loss starts low and falls 3% smoothly (with
    ``swing``, it rises that share above its best level mid-run and stays there)."""
    n = 30
    steps = np.arange(10, 10 * n + 1, 10)
    t = steps / steps[-1]
    lr_curve = lr * (1 - t) + 1e-12
    loss = 2.39 - 0.08 * t
    loss = loss * (1 + swing * np.clip((t - 0.4) / 0.1, 0, 1))
    loss = loss * synth._noise(n, 0.01, 83)
    return RunCurves(loss=Series(steps, loss), lr=Series(steps, lr_curve), optimizer="AdamW",
                     total_steps=int(steps[-1]), fine_tune=True)


def test_a_smooth_fall_with_a_falling_gradient_norm_is_not_oscillating() -> None:
    """Round 10 made: the byte transformer at AdamW 1e-3 was "oscillating, reduce x0.33" on
    "moved only -40% | gradient norm fell 3.25x"; nothing in that evidence swings."""
    d = analyze(_byte_lm(1e-3))
    assert d.status is not Status.OSCILLATING, evidence_said(d)
    assert d.suggestion.action is not Action.REDUCE


def test_a_smooth_fall_a_little_above_the_range_is_not_oscillating() -> None:
    d = analyze(_byte_lm(1e-2))  # 0.5 decades above AdamW's usual top
    assert d.status is not Status.OSCILLATING, evidence_said(d)
    assert d.suggestion.action is not Action.REDUCE


def test_lora_adapters_a_little_above_the_fine_tuning_range_are_not_oscillating() -> None:
    """Round 10 made: LoRA at 1e-3 (0.5 decades above the fine-tuning top 3e-4) fell 3% smoothly
    and was told to reduce 3x from the range alone."""
    d = analyze(_adapter(1e-3))
    assert d.status is not Status.OSCILLATING, evidence_said(d)
    assert d.suggestion.action is not Action.REDUCE


def test_a_swing_back_up_still_reads_oscillating_and_says_so() -> None:
    d = analyze(_adapter(1e-3, swing=0.15))
    assert d.status is Status.OSCILLATING
    assert "above its best level" in evidence_said(d)


def test_far_beyond_the_range_a_smooth_small_fall_still_leans_too_high() -> None:
    """More than LR_BEYOND (1.25 decades) above the range too high stays the likelier reading."""
    d = analyze(_adapter(3e-2))
    assert d.status is Status.OSCILLATING
    assert "decades above" in evidence_said(d)
