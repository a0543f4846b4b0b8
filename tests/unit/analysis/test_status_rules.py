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
# rest (detector, clause, advice, rule, style row) is exactly what the recipe asks for. Its
# detector reads a marker no real rule reads (an optimizer named "ExampleOpt"), so a real
# status added later does not take its runs.

class NewStatus(str, Enum):
    EXAMPLE = "example_status"


def _example_optimizer(f: rules.Findings) -> rules.Reading | None:
    """The detector and clause of the new status: the run was trained by ExampleOpt."""
    if f.meta.optimizer != "ExampleOpt":
        return None
    at = int(f.curve.first[-1])
    return rules.Reading([Symptom(SymptomName.FLATTENING, 0.6, Evidence(
        "trained by ExampleOpt", "optimizer", at), since_step=at)])


def _advise_example(c: rules.AdviceContext) -> rules.Advice:
    return rules.Advice(Action.RANGE_TEST, None, ("ExampleOpt needs a range test",))


# just before the last clause (healthy for every run): every other clause is tried first
NEW_RULE = rules.StatusRule(NewStatus.EXAMPLE, _advise_example,  # type: ignore[arg-type]
                            (rules.Clause(999, _example_optimizer),))
NEW_STYLE = formatting.StatusStyle("example", "#9467bd", "#f4f0f8", "magenta")


@pytest.fixture
def with_new_status(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "RULES", [*rules.RULES, NEW_RULE])
    monkeypatch.setitem(formatting.STATUS_STYLES, "example_status", NEW_STYLE)


def _healthy(optimizer: str) -> RunCurves:
    steps = np.arange(600)
    rng = np.random.default_rng(0)
    loss = (2.3 * np.exp(-steps / 80) + 0.1) * np.exp(0.02 * rng.standard_normal(steps.size))
    return RunCurves(loss=Series(steps, loss), optimizer=optimizer,
                     lr=Series(steps, np.full(steps.size, 1e-3)))


def test_a_new_status_is_classified_advised_and_styled(with_new_status: None) -> None:
    found = analyze(_healthy("ExampleOpt"))
    assert found.status is NewStatus.EXAMPLE
    assert any(e.message == "trained by ExampleOpt" for e in found.evidence)
    assert found.suggestion.action is Action.RANGE_TEST
    assert found.suggestion.rationale.startswith("ExampleOpt needs a range test")
    assert found.to_dict()["status"] == "example_status"
    assert formatting.status_style(found.status.value) == NEW_STYLE


def test_a_new_status_leaves_other_runs_to_the_clauses_before_and_after_it(
        with_new_status: None) -> None:
    assert analyze(_healthy("Adam")).status is Status.HEALTHY
    steps = np.arange(600)
    blowup = RunCurves(loss=Series(steps, np.where(steps < 300, 2.0, 2.0 * 1.02 ** (steps - 300))),
                       optimizer="ExampleOpt")
    assert analyze(blowup).status is Status.DIVERGING  # a blow-up comes first
