"""Diagnose a run's learning rate from its curves. Depends on numpy and scipy only."""

from lrwatch.analysis.diagnose import analyze
from lrwatch.analysis.online import OnlineAnalyzer
from lrwatch.analysis.smoothing import ema
from lrwatch.analysis.types import (
    Action,
    Diagnosis,
    Evidence,
    RangeTestSummary,
    RunCurves,
    Series,
    Status,
    Suggestion,
)

__all__ = [
    "Action",
    "Diagnosis",
    "Evidence",
    "OnlineAnalyzer",
    "RangeTestSummary",
    "RunCurves",
    "Series",
    "Status",
    "Suggestion",
    "analyze",
    "ema",
]
