"""The symptom names detectors produce and ``classify`` / ``suggest`` read are one enum: a
misspelt name fails where it is written instead of silently changing a diagnosis."""

from __future__ import annotations

import numpy as np
import pytest

from lrwatch.analysis.classify import classify
from lrwatch.analysis.curve import curve_from
from lrwatch.analysis.detectors import Symptom
from lrwatch.analysis.prepare import align
from lrwatch.analysis.summary import Summary
from lrwatch.analysis.types import Evidence, SymptomName
from tests.helpers import curves as synth

CATALOGUE = synth.catalogue()


def test_a_misspelt_symptom_name_is_refused() -> None:
    with pytest.raises(ValueError, match="lr_hihg"):
        Symptom("lr_hihg", 0.5, Evidence("the LR is far above the usual range", "lr"))


def test_a_name_given_as_its_value_becomes_the_member() -> None:
    found = Symptom("lr_high", 0.5, Evidence("the LR is far above the usual range", "lr"))
    assert found.name is SymptomName.LR_HIGH


@pytest.mark.parametrize("case", CATALOGUE, ids=[c.name for c in CATALOGUE])
def test_every_symptom_a_verdict_names_is_a_member(case: synth.Labeled) -> None:
    summary = Summary()
    summary.extend(*align(case.curves))
    with np.errstate(all="ignore"):
        verdict = classify(curve_from(summary), summary, case.curves)
    assert all(isinstance(name, SymptomName) for name in verdict.symptoms), verdict.symptoms
