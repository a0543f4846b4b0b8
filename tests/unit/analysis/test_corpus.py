"""The cached corpus of real Lightning runs: the analysis keeps its measured quality on it, and
the online analyzer agrees with analyze() on real curves too."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.corpus import CACHE, load
from benchmarks.diagnosis import evaluate
from lrwatch.analysis import OnlineAnalyzer, analyze

pytestmark = pytest.mark.skipif(not CACHE.exists(), reason="corpus cache not generated")


@pytest.fixture(scope="module")
def runs():  # type: ignore[no-untyped-def]
    return load()


def test_corpus_holds_every_label_on_both_sides(runs) -> None:  # type: ignore[no-untyped-def]
    for heldout in (False, True):
        labels = {r.label for r in runs if r.heldout is heldout}
        assert labels == {"diverging", "oscillating", "stalled", "healthy"}
    assert {r.task for r in runs if r.heldout}.isdisjoint({r.task for r in runs if not r.heldout})


def test_held_out_quality_does_not_regress(runs) -> None:  # type: ignore[no-untyped-def]
    # floors a little under the figures published in BENCHMARKS.md
    res = evaluate([r for r in runs if r.heldout])
    assert res["accuracy"] >= 0.80
    assert res["direction_right"] >= 0.88
    assert res["median_factor_to_best"] <= 4.0


def test_online_agrees_with_analyze_on_real_runs(runs) -> None:  # type: ignore[no-untyped-def]
    for run in runs[::40]:
        c = run.curves
        online = OnlineAnalyzer(optimizer=c.optimizer, momentum=c.momentum,
                                batch_size=c.batch_size, total_steps=c.total_steps)
        for start in range(0, len(c.loss), 13):
            sl = slice(start, start + 13)
            online.update(c.loss.steps[sl], c.loss.values[sl], lr=c.lr.values[sl],
                          grad_norm=c.grad_norm.values[sl])
        live, batch = online.diagnose(), analyze(c)
        assert (live.status, live.since_step, live.suggestion) == \
            (batch.status, batch.since_step, batch.suggestion), run.sweep
        assert np.isclose(live.confidence, batch.confidence)
