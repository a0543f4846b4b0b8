"""What a diagnosis says, as one string a test's assertion searches and prints on failure."""

from __future__ import annotations

from lrwatch.analysis import Diagnosis


def evidence_said(d: Diagnosis) -> str:
    """The diagnosis's evidence messages, one after the other."""
    return " ".join(e.message for e in d.evidence)


def said(d: Diagnosis) -> str:
    """The evidence, then the suggestion's rationale after a ``|``."""
    return evidence_said(d) + " | " + d.suggestion.rationale
