"""How far the loss moved is said once: a run that barely moved showed "loss moved only -1.0%
over the whole run (...)" and, next to it, "loss hardly moved: -1.0% over the whole run (...)"."""

from __future__ import annotations

import numpy as np

from lrwatch.analysis import RunCurves, Series, Status, analyze


def test_a_loss_that_barely_moved_says_so_once():
    steps = np.arange(300)
    loss = 2.3 * np.exp(-steps / 50000) * np.exp(np.random.default_rng(0).normal(0, 0.01, 300))
    d = analyze(RunCurves(loss=Series(steps, loss), optimizer="SGD",
                          lr=Series(steps, np.full(300, 3e-4))))
    assert d.status is Status.STALLED
    said = [e.message for e in d.evidence]
    assert sum("-1.0% over the whole run" in m for m in said) == 1, said
