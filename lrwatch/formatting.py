"""How numbers, times and durations read wherever lrwatch shows them (CLI, dashboard, reports)."""

from __future__ import annotations

import math
import time


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
