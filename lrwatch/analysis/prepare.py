"""Clean a run's series and line them up on the loss steps."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis.types import RunCurves, Series


def clean(series: Series) -> tuple[np.ndarray, np.ndarray]:
    """Steps in increasing order, one value per step: the last one logged for a repeated step
    (a resumed run rewrites the steps it repeats)."""
    steps, values = series.steps, series.values
    if steps.size > 1 and not np.all(steps[1:] > steps[:-1]):
        order = np.argsort(steps, kind="stable")
        steps, values = steps[order], values[order]
        keep = np.ones(steps.size, dtype=bool)
        keep[:-1] = steps[1:] != steps[:-1]  # the last of each run of equal steps
        steps, values = steps[keep], values[keep]
    return steps, values


def on_steps(series: Series | None, steps: np.ndarray) -> np.ndarray:
    """The series' value at each of ``steps``: the last value logged at or before that step
    (an LR logged every 50 steps holds in between); NaN before its first value."""
    out = np.full(steps.size, np.nan)
    if series is None or len(series) == 0 or steps.size == 0:
        return out
    s, v = clean(series)
    if s.size == steps.size and np.array_equal(s, steps):
        return v.astype(np.float64, copy=True)
    idx = np.searchsorted(s, steps, side="right") - 1
    has = idx >= 0
    out[has] = v[idx[has]]
    return out


def align(curves: RunCurves) -> tuple[np.ndarray, ...]:
    """``(steps, loss, lr, grad_norm, update_ratio)``: equal-length arrays on the loss steps."""
    steps, loss = clean(curves.loss)
    return (steps, loss.astype(np.float64, copy=False), on_steps(curves.lr, steps),
            on_steps(curves.grad_norm, steps), on_steps(curves.update_ratio, steps))
