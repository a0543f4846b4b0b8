"""How numbers, times, durations and statuses read wherever lrwatch shows them (CLI,
dashboard, reports)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Mapping

from lrwatch import keys


@dataclass(frozen=True)
class StatusStyle:
    """How one status is shown: its word, its colour (figures, badges, banners) with a pale
    background for banners, its terminal colour (a click colour name), and for a status that
    judges the LR its severity, the ``lrwatch/status`` scalar sent to the user's loggers (higher
    is worse, so a plot reads at a glance; None: no scalar, the status says nothing of the LR)."""

    label: str
    colour: str
    background: str
    terminal: str
    severity: int | None = None


#: every diagnosis status (``lrwatch.analysis.Status`` values) and the dashboard's own ones, in
#: the order filters list them; a status without a row here fails a test instead of going grey
STATUS_STYLES: dict[str, StatusStyle] = {
    "running": StatusStyle("running", "#1f77b4", "#eef5fb", "cyan"),
    "diverging": StatusStyle("diverging", "#d62728", "#fdf0f0", "red", severity=3),
    "oscillating": StatusStyle("oscillating", "#ff7f0e", "#fff6ec", "magenta", severity=2),
    "stalled": StatusStyle("stalled", "#b8a000", "#fffbe6", "yellow", severity=1),
    "healthy": StatusStyle("healthy", "#2ca02c", "#f0f9f0", "green", severity=0),
    "insufficient_data": StatusStyle("too short", "#7f7f7f", "#f5f5f5", "white"),
    "no_lr_verdict": StatusStyle("no LR verdict", "#8c564b", "#f7f1ef", "blue"),
    "range test": StatusStyle("range test", "#17becf", "#eefafb", "cyan"),
    "analysing": StatusStyle("analysing", "#aaaaaa", "#f7f7f7", "white"),
    # a run that ended with nothing to analyse (no loss: it failed before its first step)
    "no_verdict": StatusStyle("no verdict", "#aaaaaa", "#f7f7f7", "white"),
}
#: the badge of a run that ended with nothing the analysis could judge
NO_VERDICT = "no_verdict"
#: how a run ended (the store's run status), shown beside the diagnosis
RUN_STATUS_STYLES: dict[str, StatusStyle] = {
    "finished": StatusStyle("finished", "#555555", "#f5f5f5", "green"),
    "failed": StatusStyle("failed", "#d62728", "#fdf0f0", "red"),
    "interrupted": StatusStyle("interrupted", "#b8a000", "#fffbe6", "yellow"),
    "incomplete": StatusStyle("incomplete", "#b8a000", "#fffbe6", "yellow"),
    "diverged": StatusStyle("diverged", "#d62728", "#fdf0f0", "red"),
}
UNKNOWN_STATUS = StatusStyle("unknown", "#888888", "#f5f5f5", "white")


def status_style(status: str) -> StatusStyle:
    """The style of a diagnosis or run status; an unknown one is shown under its own name."""
    style = STATUS_STYLES.get(status) or RUN_STATUS_STYLES.get(status)
    return style or StatusStyle(status.replace("_", " "), UNKNOWN_STATUS.colour,
                                UNKNOWN_STATUS.background, UNKNOWN_STATUS.terminal)


def number(value: float | None, digits: int = 4) -> str:
    """``0.0003``, ``nan``, ``inf``; ``-`` when unknown."""
    if value is None:
        return "-"
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}g}"


def timestamp(ts: float | None, seconds: bool = False) -> str:
    """Local time of a Unix timestamp: ``2026-11-22 19:07`` (with ``:05`` when ``seconds``)."""
    if ts is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M", time.localtime(ts))


def duration(seconds: float | None) -> str:
    """``0.6s``, ``41s``, ``3m05s``, ``2h07m``."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{max(seconds, 0.0):.1f}s"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def count(n: int, noun: str) -> str:
    """``1 step``, ``1,200 steps``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def lr_change(suggestion: object) -> str:
    """What a diagnosis suggests doing to the LR, after its action: ``LR 0.1 → 0.01``, or where
    the run recorded no LR ``multiply the LR by 0.333``; empty when there is nothing to add (a
    factor of 1 says only "keep", which the action already says)."""
    suggested = getattr(suggestion, "suggested_lr", None)
    if suggested is not None:
        peak = getattr(suggestion, "peak_lr", None)
        return f"LR {'?' if peak is None else f'{peak:.3g}'} → {suggested:.3g}"
    factor = getattr(suggestion, "factor", None)
    if factor is None or not math.isfinite(factor) or f"{factor:.3g}" == "1":
        return ""
    return f"multiply the LR by {factor:.3g}"


def optimizers_text(meta: Mapping[str, Any]) -> str | None:
    """A run's optimizer as its header names it: the class, or of several, each class and the
    one the loss is judged against (``AdamW + Muon (LR judged: Muon's)``, a hybrid recorded
    with ``shared_loss=True``); None where the run names none."""
    classes = keys.optimizer_classes(meta)
    if len(classes) < 2:
        optimizer = meta.get("optimizer")
        return str(optimizer) if optimizer else None
    judged = keys.judged_index(meta)
    text = " + ".join(classes)
    if judged is not None:
        which = classes[judged] if classes.count(classes[judged]) == 1 else \
            f"{classes[judged]} #{judged + 1}"
        return f"{text} (LR judged: {which}'s)"
    return text
