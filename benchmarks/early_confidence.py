"""Early confidence: how sure the live diagnosis is before a run has the steps it needs.

Every run of the labeled corpus (``benchmarks/corpus/runs.npz``; tuning and held-out tasks) and
of the real-world log cache (``benchmarks/realworld``, unlabeled here: only confidences are
counted) is fed to an ``OnlineAnalyzer`` in chunks, as a live run is, with its planned steps
known; after each chunk it is diagnosed. Reported per corpus: the trend verdicts (oscillating,
stalled, healthy) made before the run had the steps a confident verdict needs
(``diagnose.confident_steps``), how many of them had confidence >= 0.9 without the early ceiling
and with it; every suggested LR against the optimizer's plausible maximum
(``optimizers.plausible_max``; none is known with gradient clipping); the diverging verdicts
made that early (exempt from the ceiling: a NaN or a blow-up
needs no more steps) and their confidence; and, on the labeled corpus, how often trend verdicts
agree with the run's label by points seen. ``python -m benchmarks.early_confidence [--every K]``
(every K-th labeled run of the tuning tasks, to save time). Writes
``benchmarks/out/early_confidence.json``.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from benchmarks.corpus import UNLABELABLE
from benchmarks.corpus import load as load_corpus
from lrwatch.analysis import OnlineAnalyzer, RunCurves, Series, Status
from lrwatch.analysis import diagnose as rules
from lrwatch.analysis.optimizers import plausible_max

OUT = Path(__file__).with_name("out")
CHUNKS = 60  # diagnoses per run at most (a chunk is at least MIN_CHUNK points)
MIN_CHUNK = 20
POINT_BUCKETS = (0, 50, 100, 150, 200, 300)
TREND = {s.value for s in rules.TREND_STATUSES}


def _realworld() -> list[tuple[str, RunCurves, None]]:
    """The cached real-world logs with what their manifests know (optimizer, clipping ...);
    labels are not used here, only confidences and suggested LRs are counted."""
    from benchmarks.realworld import load

    runs = []
    for run in load()[0]:
        c = run.curves
        if c is None or len(c.loss) < 2:
            continue
        runs.append((run.id, replace(c, total_steps=int(c.loss.steps[-1]) + 1), None))
    return runs


def _feed(curves: RunCurves) -> Iterable[tuple[int, Any]]:
    """(points seen, diagnosis) after each chunk, the ceiling switched off (it is applied by
    the caller: a minimum, so the raw confidence gives both figures)."""
    online = OnlineAnalyzer(optimizer=curves.optimizer, momentum=curves.momentum,
                            batch_size=curves.batch_size, total_steps=curves.total_steps,
                            clip=curves.clip, fine_tune=curves.fine_tune, classes=curves.classes)
    n = len(curves.loss)
    chunk = max(MIN_CHUNK, -(-n // CHUNKS))

    def values(s: Series | None, sl: slice) -> np.ndarray | None:
        if s is None:
            return None
        return np.interp(curves.loss.steps[sl], s.steps, s.values) if len(s) else None

    for start in range(0, n, chunk):
        sl = slice(start, start + chunk)
        online.update(curves.loss.steps[sl], curves.loss.values[sl],
                      lr=values(curves.lr, sl), grad_norm=values(curves.grad_norm, sl))
        yield min(start + chunk, n), online.diagnose()


def evaluate(runs: list[tuple[str, RunCurves, str | None]]) -> dict[str, Any]:
    real_ceiling = rules.confidence_ceiling
    rules.confidence_ceiling = lambda steps, full: 1.0  # type: ignore[assignment]
    counts: dict[str, int] = defaultdict(int)
    by_points: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    try:
        for _, curves, label in runs:
            steps = curves.loss.steps
            spacing = max(1.0, float(np.median(np.diff(steps)))) if steps.size > 1 else 1.0
            ceiling_lr = plausible_max(curves.optimizer, curves.momentum, curves.clip)
            for points, d in _feed(curves):
                status = d.status.value
                suggested = d.suggestion.suggested_lr
                if suggested is not None:
                    counts["suggestions with an LR"] += 1
                    if ceiling_lr is not None:
                        counts["of those, the optimizer's plausible maximum known"] += 1
                        counts["of those, above the plausible maximum"] += suggested > ceiling_lr
                        counts["of those, an increase above the plausible maximum"] += \
                            suggested > ceiling_lr and d.suggestion.action.value == "increase"
                if status == Status.INSUFFICIENT_DATA.value:
                    continue
                full = rules.confident_steps(spacing, curves.total_steps)
                early = d.steps < full
                if status in TREND:
                    capped = min(d.confidence, real_ceiling(d.steps, full))
                    counts["trend verdicts"] += 1
                    counts["trend verdicts before the steps needed"] += early
                    counts["of those, confidence >= 0.9 without the ceiling"] += early and d.confidence >= 0.9
                    counts["of those, confidence >= 0.9 with the ceiling"] += early and capped >= 0.9
                    if label is not None:
                        bucket = max(b for b in POINT_BUCKETS if points >= b)
                        by_points[bucket][0] += 1
                        by_points[bucket][1] += status == label
                elif status == Status.DIVERGING.value:
                    counts["diverging verdicts before the steps needed"] += early
                    counts["of those, confidence >= 0.9 (exempt)"] += early and d.confidence >= 0.9
    finally:
        rules.confidence_ceiling = real_ceiling  # type: ignore[assignment]
    accuracy = {f"{b}+ points": {"verdicts": n, "agree with label": round(ok / n, 3)}
                for b, (n, ok) in sorted(by_points.items()) if n}
    return {"runs": len(runs), **counts, "accuracy by points seen": accuracy}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=int, default=1,
                        help="every K-th labeled run of the tuning tasks (default: all)")
    args = parser.parse_args(argv)
    labeled = [r for r in load_corpus() if r.label != UNLABELABLE]
    corpora = {
        "corpus, tuning tasks": [(r.sweep, r.curves, r.label) for r in labeled
                                 if not r.heldout][::args.every],
        "corpus, held-out tasks": [(r.sweep, r.curves, r.label) for r in labeled if r.heldout],
        "real-world logs": _realworld(),
    }
    results = {}
    for name, runs in corpora.items():
        results[name] = evaluate(runs)
        print(name, json.dumps(results[name], indent=1), flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "early_confidence.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
