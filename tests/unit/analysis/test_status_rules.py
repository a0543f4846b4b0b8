"""A diagnosis status is its enum member, its rule (detector, clause, advice) and its style row:
a status added that way is classified, advised and shown without touching ``classify`` or
``suggest``, and every status has its rule and its style."""

from __future__ import annotations

from enum import Enum

import numpy as np
import pytest

from lrwatch import formatting
from lrwatch.analysis import RunCurves, Series, Status, analyze
from lrwatch.analysis import status_rules as rules
from lrwatch.analysis.detectors import Symptom
from lrwatch.analysis.types import Action, Evidence, SymptomName


def test_every_status_has_a_rule_or_says_who_gives_it() -> None:
    ruled = [rule.status for rule in rules.RULES]
    assert len(ruled) == len(set(ruled)), "one rule per status"
    for status in Status:
        assert (status in ruled) != (status in rules.GIVEN_ELSEWHERE), status.value
        assert status.value in formatting.STATUS_STYLES, status.value


def test_no_two_clauses_share_a_precedence() -> None:
    precedences = [clause.precedence for clause, _ in rules.ordered_clauses()]
    assert len(precedences) == len(set(precedences))


def test_a_status_without_a_rule_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="no_lr_verdict"):
        rules.rule_for(Status.NO_LR_VERDICT)


# --- a status added the documented way ---------------------------------------------------------
# ``Status`` cannot grow at run time, so the new status is a member of a test-local enum; the
# rest (detector, clause, advice, rule, style row) is exactly what the recipe asks for.

class NewStatus(str, Enum):
    OVERFITTING = "example_overfitting"


def _val_rising(f: rules.Findings) -> rules.Reading | None:
    """The detector and clause of the new status: the last validation loss is 20% above its best
    while the training loss kept falling."""
    val = f.meta.val_loss
    if val is None or len(val) < 10:
        return None
    best, end = float(np.min(val.values)), float(val.values[-1])
    if end < 1.2 * best:
        return None
    at = int(val.steps[int(np.argmin(val.values))])
    found = Symptom(SymptomName.STOPPED_IMPROVING, 0.6, Evidence(
        f"validation loss rose {end / best:.2f}x above its best (step {at})", "val_loss", at))
    return rules.Reading([found], since=at)


def _advise_overfitting(c: rules.AdviceContext) -> rules.Advice:
    return rules.Advice(Action.KEEP, 1.0, ("the model overfits: stop early or regularise",))


NEW_RULE = rules.StatusRule(NewStatus.OVERFITTING, _advise_overfitting,  # type: ignore[arg-type]
                            (rules.Clause(255, _val_rising),))
NEW_STYLE = formatting.StatusStyle("overfitting (example)", "#9467bd", "#f4f0f8", "magenta")


@pytest.fixture
def with_new_status(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "RULES", [*rules.RULES, NEW_RULE])
    monkeypatch.setitem(formatting.STATUS_STYLES, "example_overfitting", NEW_STYLE)


def _run(val_end: float) -> RunCurves:
    steps = np.arange(600)
    rng = np.random.default_rng(0)
    loss = (2.3 * np.exp(-steps / 80) + 0.1) * np.exp(0.02 * rng.standard_normal(steps.size))
    val_steps = np.arange(50, 600, 50)
    val = np.concatenate([np.linspace(1.0, 0.5, 5), np.linspace(0.5, val_end, 6)])
    return RunCurves(loss=Series(steps, loss), val_loss=Series(val_steps, val), optimizer="Adam",
                     lr=Series(steps, np.full(steps.size, 1e-3)))


def test_a_new_status_is_classified_advised_and_styled(with_new_status: None) -> None:
    found = analyze(_run(val_end=0.9))
    assert found.status is NewStatus.OVERFITTING
    assert found.since_step == 250
    assert any("validation loss rose 1.80x" in e.message for e in found.evidence)
    assert found.suggestion.action is Action.KEEP
    assert found.suggestion.rationale.startswith("the model overfits")
    assert found.to_dict()["status"] == "example_overfitting"
    assert formatting.status_style(found.status.value) == NEW_STYLE


def test_a_new_status_leaves_other_runs_to_the_clauses_before_and_after_it(
        with_new_status: None) -> None:
    assert analyze(_run(val_end=0.45)).status is Status.HEALTHY
    steps = np.arange(600)
    blowup = RunCurves(loss=Series(steps, np.where(steps < 300, 2.0, 2.0 * 1.02 ** (steps - 300))),
                       val_loss=_run(val_end=0.9).val_loss)
    assert analyze(blowup).status is Status.DIVERGING  # a blow-up comes first
