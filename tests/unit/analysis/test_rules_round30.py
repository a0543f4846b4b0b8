"""Round 30: a log too short to judge still says where its LR sits. A run with too few points for
a verdict read "not enough steps to judge yet; keep" even at an LR thousands of times the top of
its optimizer's usual range (a QLoRA fine-tune at lr 5). Far above the range (LR_BEYOND decades
from scratch, FINE_NEAR_DECADES above the fine-tuning range) the action is a range test that
names the LR's place; anywhere else, or with a clipped SGD step, "keep" (wait) stays."""

from __future__ import annotations

import numpy as np
import pytest

from lrwatch.analysis import Action, RunCurves, Series, Status, analyze

STEPS = np.arange(5) * 10  # five logged points: too few for a verdict


def _run(lr: float, optimizer: str = "AdamW", **facts: object) -> RunCurves:
    loss = np.array([2.30, 2.25, 2.21, 2.18, 2.16])
    return RunCurves(loss=Series(STEPS, loss), lr=Series(STEPS, np.full(STEPS.size, lr)),
                     optimizer=optimizer, **facts)  # type: ignore[arg-type]


def test_a_short_log_far_above_the_range_asks_for_a_range_test() -> None:
    d = analyze(_run(5.0))
    assert d.status is Status.INSUFFICIENT_DATA and d.confidence == 0
    assert d.suggestion.action is Action.RANGE_TEST
    assert "peak LR 5 is" in d.suggestion.rationale
    assert "above the top of AdamW's usual range" in d.suggestion.rationale


def test_a_fine_tune_far_above_the_fine_tuning_range_names_that_range() -> None:
    d = analyze(_run(5.0, fine_tune=True))
    assert d.suggestion.action is Action.RANGE_TEST
    assert "above the top of AdamW's fine-tuning range" in d.suggestion.rationale


@pytest.mark.parametrize(("lr", "facts"), [
    (1e-3, {}),  # inside AdamW's usual range
    (3e-2, {}),  # 10x above its top: less than LR_BEYOND
    (3e-3, {"fine_tune": True}),  # 10x above the fine-tuning range: small models train there
])
def test_a_short_log_elsewhere_waits(lr: float, facts: dict) -> None:  # type: ignore[type-arg]
    d = analyze(_run(lr, **facts))
    assert d.status is Status.INSUFFICIENT_DATA
    assert d.suggestion.action is Action.KEEP, d.suggestion.rationale


def test_a_clipped_sgd_step_is_not_placed_by_its_lr() -> None:
    # lr 20 with clipping at 0.25, the word-language-model setup: the range says nothing of it
    d = analyze(_run(20.0, "SGD", clip=0.25))
    assert d.suggestion.action is Action.KEEP, d.suggestion.rationale
