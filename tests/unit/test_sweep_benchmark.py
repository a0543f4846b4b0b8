"""The sweep benchmark's reading of the fresh sweeps: runs written as ``fresh_sweeps.py`` writes
them (CSVs in the cache, a ``sweeps_fresh.json`` summary) are scored on every grid, the band
included, and a sweep with a run missing from the cache is left out, not scored short."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from benchmarks import sweeps as bench
from benchmarks.realworld.made_tasks import Logged
from benchmarks.realworld.make_runs import quarter_decades, write_run
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL

TRUE_BEST = 10 ** -2.1


def write_sweep(tmp_path, monkeypatch, lrs: list[float]) -> list[str]:
    """A 17-LR quarter-decade sweep whose final loss is a bowl around TRUE_BEST."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("LRWATCH_REALWORLD", str(cache))
    rng = np.random.default_rng(0)
    ids, finals = [], []
    for lr in lrs:
        final = 0.5 * math.exp(0.4 * math.log10(lr / TRUE_BEST) ** 2)
        steps = np.arange(1, 401)
        noise = 1 + 0.01 * rng.standard_normal(400)
        loss = (final + (2.3 - final) * np.exp(-steps / 50)) * noise
        rid = f"fresh-bowl-lr{lr:.3g}"
        rows = [(int(s), float(v), lr, 1.0) for s, v in zip(steps, loss)]
        write_run(cache, rid, Logged(rows=rows, val={400: final}, val0=2.3))
        ids.append(rid)
        finals.append(final)
    summary = {"fresh-bowl": {"family": "bowl", "steps": 400, "meta": {"optimizer": "SGD"},
                              "lrs": lrs, "runs": ids, "final_eval_losses": finals,
                              "start_eval_losses": [2.3] * len(lrs),
                              "labels": ["healthy"] * len(lrs)}}
    path = tmp_path / "sweeps_fresh.json"
    path.write_text(json.dumps(summary))
    monkeypatch.setattr(bench, "FRESH", path)
    return ids


def test_fresh_sweeps_are_scored_on_halves_one_decade_quarters_and_the_full_grid(tmp_path,
                                                                               monkeypatch):
    lrs = quarter_decades(-4.0, 0.0)
    write_sweep(tmp_path, monkeypatch, lrs)
    sweeps = bench.fresh_sweeps()
    assert [r["lr"] for r in sweeps["fresh-bowl"]] == lrs
    result = bench.evaluate(sweeps, single_run=False)
    assert result["coarse"]["sweeps"] == 2  # the two half-decade halves
    assert result["decade"]["sweeps"] == 1  # only every fourth LR from the first has 5 LRs
    assert result["full"]["sweeps"] == 1
    for kind in ("coarse", "decade", "full"):
        assert result[kind]["best_within_2x"]["rate"] == 1.0
        assert result[kind]["band_covers_truth"]["n"] == result[kind]["sweeps"]


def test_a_sweep_with_a_run_missing_from_the_cache_is_left_out(tmp_path, monkeypatch):
    ids = write_sweep(tmp_path, monkeypatch, quarter_decades(-4.0, 0.0))
    (tmp_path / "cache" / f"{ids[3]}.csv").unlink()
    assert bench.fresh_sweeps() == {}


@pytest.mark.parametrize("lrs, quarter", [(quarter_decades(-4.0, 0.0), True),
                                          ([1e-4, 1e-3, 1e-2, 1e-1, 1.0], False)])
def test_only_a_quarter_decade_grid_gives_one_decade_sweeps(lrs, quarter):
    assert bench._quarter_decade(lrs) is quarter


def test_round_5_sweeps_are_read_from_their_own_file(tmp_path, monkeypatch):
    write_sweep(tmp_path, monkeypatch, quarter_decades(-4.0, 0.0))
    monkeypatch.setattr(bench, "FRESH", tmp_path / "absent.json")
    assert bench.fresh_sweeps() == {}
    assert len(bench.fresh_sweeps(tmp_path / "sweeps_fresh.json")["fresh-bowl"]) == 17


def test_a_committed_round_5_truth_is_what_its_generator_makes():
    """The linear softmax at its best LR, retrained: the same final eval loss as the committed
    sweeps_fresh5.json (the cheapest run of round 5, 2 CPU seconds)."""
    import torch

    from benchmarks.realworld import fresh_sweeps5

    summary = json.loads(fresh_sweeps5.OUT.read_text())["fresh-linear_features_sgd"]
    i = summary["lrs"].index(summary["best_lr"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        log = fresh_sweeps5.linear_run(summary["lrs"][i])
    finally:
        torch.set_num_threads(threads)
    assert log.final_val == pytest.approx(summary["final_eval_losses"][i], rel=RETRAINED_REL)
