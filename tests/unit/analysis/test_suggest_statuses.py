"""Every status ``classify`` can give has its own advice; one without advice raises instead of
being told "not enough steps to judge yet"."""

from __future__ import annotations

import numpy as np
import pytest

from lrwatch.analysis.suggest import suggest
from lrwatch.analysis.types import Action, RunCurves, Series, Status

CURVES = RunCurves(loss=Series(np.arange(100), np.linspace(2.0, 1.0, 100)), optimizer="SGD")
CLASSIFIED = [s for s in Status if s is not Status.NO_LR_VERDICT]  # diagnose builds that one


@pytest.mark.parametrize("status", CLASSIFIED, ids=[s.value for s in CLASSIFIED])
def test_every_classified_status_has_its_advice(status: Status) -> None:
    advice = suggest(status, CURVES, 0.01, since_step=0, first_step=0)
    assert isinstance(advice.action, Action) and advice.rationale
    too_short = "not enough steps to judge yet" in advice.rationale
    assert too_short == (status is Status.INSUFFICIENT_DATA)


def test_a_status_without_advice_is_refused() -> None:
    with pytest.raises(ValueError, match="no_lr_verdict"):
        suggest(Status.NO_LR_VERDICT, CURVES, 0.01, since_step=0, first_step=0)
