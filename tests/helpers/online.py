"""Feed a run to the online analyzer as a training loop would, and check it says what
``analyze`` says of the whole run."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import Diagnosis, OnlineAnalyzer, RunCurves, Series, analyze


def _part(series: Series | None, sl: slice) -> np.ndarray | None:
    return None if series is None else series.values[sl]


def feed(run: RunCurves, chunk: int) -> OnlineAnalyzer:
    """An ``OnlineAnalyzer`` told what the run knows (optimizer, momentum, clip, classes ...)
    and given its rows ``chunk`` at a time, each block's validation points after it."""
    online = OnlineAnalyzer(optimizer=run.optimizer, momentum=run.momentum,
                            batch_size=run.batch_size, total_steps=run.total_steps,
                            clip=run.clip, fine_tune=run.fine_tune, classes=run.classes,
                            param_count=run.param_count, epoch_points=run.epoch_points)
    steps = run.loss.steps
    for start in range(0, steps.size, chunk):
        sl = slice(start, start + chunk)
        online.update(steps[sl], run.loss.values[sl], lr=_part(run.lr, sl),
                      grad_norm=_part(run.grad_norm, sl))
        if run.val_loss is not None:
            last = steps[sl][-1]
            due = (run.val_loss.steps <= last) & (run.val_loss.steps > (
                steps[start - 1] if start else np.iinfo(np.int64).min))
            if due.any():
                online.update_val_loss(run.val_loss.steps[due], run.val_loss.values[due])
    return online


def online_agrees(run: RunCurves, chunk: int = 5) -> Diagnosis:
    """The online verdict at the run's end, asserted equal to ``analyze``'s: status, since
    step, confidence, suggestion (action, factor, LR, rationale) and evidence."""
    live, batch = feed(run, chunk).diagnose(), analyze(run)
    assert (live.status, live.since_step, live.suggestion) == \
        (batch.status, batch.since_step, batch.suggestion)
    assert np.isclose(live.confidence, batch.confidence)
    assert [e.message for e in live.evidence] == [e.message for e in batch.evidence]
    return live
