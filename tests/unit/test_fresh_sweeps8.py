"""Round 8's made held-out sweeps (``fresh_sweeps8.py``): every run is labelled by its place in
its sweep, ranked by the loss on a test split that its CSV never logs (the CSV's ``val_loss`` is
a separate validation split); each grid spans its best LR by a decade on both sides; the
manifest lines of the one-run diagnosis carry the same labels on the ``round8-made`` side only;
and the committed truth is what the generator makes.
The checks every round shares run in ``test_made_rounds.py``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from benchmarks.realworld import cache_dir, curves_of, read_csv
from benchmarks.realworld import fresh_sweeps8 as gen
from benchmarks.realworld import fresh_sweeps9 as gen9
from benchmarks.realworld import fresh_sweeps10 as gen10
from benchmarks.realworld import fresh_sweeps11 as gen11
from benchmarks.realworld import fresh_sweeps12 as gen12
from benchmarks.realworld import fresh_sweeps13 as gen13
from benchmarks.realworld import fresh_sweeps14 as gen14
from benchmarks.realworld import fresh_sweeps15 as gen15
from benchmarks.realworld import fresh_sweeps16 as gen16
from benchmarks.realworld import fresh_sweeps17 as gen17
from benchmarks.realworld import fresh_sweeps18 as gen18
from benchmarks.realworld import fresh_sweeps19 as gen19
from benchmarks.realworld import fresh_sweeps20 as gen20
from benchmarks.realworld import fresh_sweeps21 as gen21
from benchmarks.realworld import fresh_sweeps22 as gen22
from benchmarks.realworld import fresh_sweeps23 as gen23
from benchmarks.realworld import fresh_sweeps24 as gen24
from benchmarks.realworld import fresh_sweeps25 as gen25
from benchmarks.realworld import fresh_sweeps26 as gen26
from benchmarks.realworld import fresh_sweeps27 as gen27
from benchmarks.realworld import fresh_sweeps28 as gen28
from benchmarks.realworld import fresh_sweeps29 as gen29
from benchmarks.realworld import fresh_sweeps30 as gen30
from benchmarks.realworld import fresh_sweeps31 as gen31
from benchmarks.realworld import fresh_sweeps32 as gen32
from benchmarks.realworld import fresh_sweeps33 as gen33
from benchmarks.realworld import fresh_sweeps34 as gen34
from benchmarks.realworld import fresh_sweeps35 as gen35
from benchmarks.realworld import fresh_sweeps36 as gen36
from benchmarks.realworld import fresh_sweeps37 as gen37
from benchmarks.realworld import fresh_sweeps38 as gen38
from benchmarks.realworld import fresh_sweeps39 as gen39
from benchmarks.realworld import fresh_sweeps40 as gen40
from benchmarks.realworld import fresh_sweeps41 as gen41
from benchmarks.realworld import fresh_sweeps42 as gen42
from benchmarks.realworld import fresh_sweeps43 as gen43
from benchmarks.realworld import fresh_sweeps44 as gen44
from benchmarks.realworld import fresh_sweeps45 as gen45
from benchmarks.realworld import fresh_sweeps46 as gen46
from benchmarks.realworld import fresh_sweeps47 as gen47
from benchmarks.realworld import fresh_sweeps48 as gen48
from benchmarks.realworld import fresh_sweeps49 as gen49
from benchmarks.realworld import fresh_sweeps50 as gen50
from benchmarks.realworld import fresh_sweeps51 as gen51
from benchmarks.realworld import fresh_sweeps52 as gen52
from benchmarks.realworld import fresh_sweeps53 as gen53
from benchmarks.realworld import fresh_sweeps54 as gen54
from benchmarks.realworld import fresh_sweeps55 as gen55
from benchmarks.realworld import fresh_sweeps56 as gen56
from benchmarks.realworld.fresh_sweeps import FreshSweep, run_id
from benchmarks.realworld.made_tasks import Logged
from benchmarks.realworld.make_runs import quarter_decades
from tests.unit.test_fresh_sweeps7 import RETRAINED_REL, retrain_best

SUMMARIES = json.loads(gen.OUT.read_text())


def _tested_sweep(tmp_path, by_epoch: bool) -> tuple[FreshSweep, list[float]]:
    """A made-up sweep written to the cache as the generator writes it: a bowl of final test
    losses around 1e-2 (one run within 2% of the best, one ending above its start, one NaN),
    whose logged validation losses rank the runs the other way round."""
    lrs = quarter_decades(-3.0, -1.0)
    tests = [1.8, 1.5, 1.2, 1.01, 1.0, 1.3, 1.9, 2.5, math.nan]
    sweep = FreshSweep("bowl", lrs, 100, lambda lr: None, {"optimizer": "SGD"})
    for k, (lr, test) in enumerate(zip(lrs, tests)):
        loss = np.linspace(2.3, test if math.isfinite(test) else 3.0, 100)
        if not math.isfinite(test):
            loss = loss[:40]
            loss[-1] = math.nan
        rows = [(i + 1, float(v), lr, math.nan if by_epoch else 1.0) for i, v in enumerate(loss)]
        log = Logged(rows=rows, val={len(rows): 0.55 + 0.1 * (len(lrs) - k)}, val0=2.3)
        gen.write_tested(tmp_path, run_id(sweep, lr), gen.TestedRun(
            log, 2.3, test if math.isfinite(test) else math.inf, by_epoch))
    return sweep, tests


# Every round from 8 on writes its manifest rows through ``fresh_sweeps8.manifest_rows``: one
# test for all of them, with what each round sets (its corpus family for the made-up sweep,
# whether it logs once per epoch, its seed).
TESTED_ROUNDS = [(gen, "classifier", False, 4), (gen9, "classifier", True, 5),
                 (gen10, "other", False, 6), (gen11, "other", False, 7), (gen12, "other", True, 8),
                 (gen13, "other", False, 9), (gen14, "lm_pretrain", True, 10),
                 (gen15, "classifier", True, 11), (gen16, "other", False, 12),
                 (gen17, "classifier", False, 13), (gen18, "other", False, 14),
                 (gen19, "lm_pretrain", False, 15), (gen20, "classifier", False, 16),
                 (gen21, "other", False, 17), (gen22, "other", True, 18),
                 (gen23, "classifier", True, 19), (gen24, "lm_pretrain", False, 20),
                 (gen25, "classifier", False, 21), (gen26, "classifier", True, 22),
                 (gen27, "lm_pretrain", False, 23), (gen28, "classifier", False, 24),
                 (gen29, "classifier", False, 25), (gen30, "other", False, 26),
                 (gen31, "classifier", False, 27), (gen32, "classifier", False, 28),
                 (gen33, "other", True, 29), (gen34, "classifier", True, 30),
                 (gen35, "classifier", True, 31), (gen36, "other", True, 32),
                 (gen37, "other", True, 33), (gen38, "other", True, 34),
                 (gen39, "other", True, 35), (gen40, "classifier", True, 36),
                 (gen41, "other", True, 37), (gen42, "other", True, 38),
                 (gen43, "other", True, 39), (gen44, "other", True, 40),
                 (gen45, "classifier", True, 41), (gen46, "other", True, 42),
                 (gen47, "classifier", True, 43), (gen48, "other", True, 44),
                 (gen49, "other", True, 45), (gen50, "other", True, 46),
                 (gen51, "other", True, 47), (gen52, "other", True, 48),
                 (gen53, "other", True, 49), (gen54, "other", True, 50),
                 (gen55, "other", True, 51), (gen56, "other", True, 52)]


@pytest.mark.parametrize(("round_gen", "family", "by_epoch", "seed"), TESTED_ROUNDS,
                         ids=lambda v: getattr(v, "__name__", "").rsplit(".", 1)[-1] or None)
def test_manifest_rows_label_by_the_test_loss_that_no_log_holds(
        round_gen, family: str, by_epoch: bool, seed: int, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LRWATCH_REALWORLD", str(tmp_path))
    monkeypatch.setitem(round_gen.CORPUS_FAMILY, "bowl", family)
    sweep, tests = _tested_sweep(tmp_path, by_epoch=by_epoch)
    rows = round_gen.manifest_rows(sweep, "0" * 40)
    assert [r["label"]["status"] for r in rows] == [
        "stalled", "stalled", "stalled", "healthy", "healthy", "oscillating", "oscillating",
        "diverging", "diverging"]
    assert rows[-1]["label"]["source"] == "nonfinite"
    assert rows[4]["meta"]["peak_lr"] == 1e-2
    assert rows[4]["meta"]["seed"] == round_gen.SEED == seed
    script = f"benchmarks/realworld/{round_gen.__name__.rsplit('.', 1)[1]}.py"
    assert {r["path"] for r in rows} == {script}
    for lr, test in zip(sweep.lrs, tests[:-1]):
        cols = read_csv(cache_dir() / f"{run_id(sweep, lr)}.csv")
        assert set(cols) == {"step", "loss", "lr", "grad_norm", "val_loss"} | (
            {"epoch"} if by_epoch else set())
        assert test not in cols["val_loss"].tolist()
        if by_epoch:
            assert np.array_equal(cols["epoch"], cols["step"])  # read as one point per epoch


def test_an_epoch_log_is_read_as_one_point_per_epoch(tmp_path, monkeypatch) -> None:
    from lrwatch.readers.csvlogger import read_csv_log

    monkeypatch.setenv("LRWATCH_REALWORLD", str(tmp_path))
    sweep, _ = _tested_sweep(tmp_path, by_epoch=True)
    path = tmp_path / f"{run_id(sweep, sweep.lrs[0])}.csv"
    cols = read_csv(path)
    assert np.array_equal(cols["epoch"], cols["step"])
    assert curves_of({"meta": sweep.meta}, cols).epoch_points
    assert read_csv_log(path).curves.loss.values.size == 100
    assert gen.read_tested(tmp_path, run_id(sweep, sweep.lrs[0])).by_epoch


@pytest.mark.parametrize("round_gen", [r[0] for r in TESTED_ROUNDS],
                         ids=lambda g: g.__name__.rsplit(".", 1)[1])
def test_manifest_rows_refuse_a_sweep_missing_from_the_cache(round_gen, tmp_path,
                                                             monkeypatch) -> None:
    monkeypatch.setenv("LRWATCH_REALWORLD", str(tmp_path))
    name = round_gen.__name__.rsplit(".", 1)[1]
    with pytest.raises(SystemExit, match=f"{name}: .* is not in the cache"):
        round_gen.manifest_rows(round_gen.plan()[0], "0" * 40)


@pytest.mark.slow
def test_a_committed_truth_is_what_the_generator_makes() -> None:
    """The per-epoch MLP at its best LR, retrained (the cheapest family, a few CPU seconds):
    the committed final test loss, which its logged validation loss is not."""
    run, s, i = retrain_best(SUMMARIES, "fresh-mlp_epochs_nesterov", gen.mlp_epochs_run)
    assert run.test == pytest.approx(s["final_eval_losses"][i], rel=RETRAINED_REL)
    assert run.test0 == pytest.approx(s["start_eval_losses"][i], rel=1e-4)
    assert [r[0] for r in run.log.rows] == list(range(1, gen.MLP_EPOCHS + 1))
    assert run.log.val[gen.MLP_EPOCHS] != pytest.approx(run.test, rel=1e-3)
