"""A Lightning training with ``store=URL`` and every command pointed at the server."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from lrwatch import LRWatch, keys
from lrwatch.store import FINISHED, Store
from tests.helpers.cli import lrwatch
from tests.helpers.models import loader, make_module, trainer
from tests.helpers.pgcluster import Cluster

pl = importlib.import_module("lightning.pytorch")


def test_a_lightning_run_lands_on_the_server_and_every_command_reads_it(
        pg_url: str, cluster: Cluster, tmp_path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    module = make_module(pl, lr=0.05)
    trainer(pl, [LRWatch(store=pg_url)], tmp_path).fit(module, loader(), loader(64))
    with Store(pg_url, readonly=True) as server:
        (run,) = server.runs()
        assert (run.name, run.status, run.steps) == ("TinyRegressor", FINISHED, 16)
        steps, loss = server.scalars(run, keys.LOSS)
        assert steps.tolist() == list(range(16))
        assert np.allclose(loss, module.seen_losses, rtol=1e-6)
        assert cluster.password not in repr(run.meta)
    out = capsys.readouterr()
    assert cluster.password not in out.out + out.err

    code, out, err = lrwatch(capsys, "runs", pg_url)
    assert code == 0 and "TinyRegressor" in out and "finished" in out
    code, out, err = lrwatch(capsys, "analyze", pg_url, "--json")
    assert code == 0 and '"run": "TinyRegressor"' in out and '"error": null' in out
    report = tmp_path / "r.html"
    assert lrwatch(capsys, "report", pg_url, "-o", str(report))[0] == 0
    assert report.stat().st_size > 10_000
    monkeypatch.setenv("LRWATCH_STORE", pg_url)
    code, out, err = lrwatch(capsys, "runs")
    assert code == 0 and "TinyRegressor" in out
    for text in (out, err):
        assert cluster.password not in text


def test_a_server_that_is_not_there_is_one_clear_line(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    code, out, err = lrwatch(capsys, "runs", "postgresql://me:s3cret-pw@127.0.0.1:1/none")
    assert code != 0 and "Traceback" not in err
    assert "cannot connect to the store server postgresql://me:***@127.0.0.1:1/none" in err
    assert "s3cret-pw" not in out + err


def test_sync_says_when_a_run_is_named_otherwise_on_the_server(
        pg_url: str, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    # two machines, each with a run called "exp": the second lands as "exp-2", and
    # `lrwatch export URL --run exp` on that machine would read the first machine's run
    for machine, steps in (("a", 10), ("b", 12)):
        with Store(tmp_path / f"{machine}.db") as local:
            run = local.create_run("exp", {})
            local.append(run, {keys.LOSS: (np.arange(steps), np.ones(steps))})
            local.set_status(run, FINISHED)
    code, out, err = lrwatch(capsys, "sync", str(tmp_path / "a.db"), pg_url)
    assert code == 0 and "another run" not in out
    for _ in range(2):  # said again by every sync of it
        code, out, err = lrwatch(capsys, "sync", str(tmp_path / "b.db"), pg_url)
        assert code == 0
        assert out.splitlines()[-1] == (
            "on the server, where another run already had its name: exp is exp-2")
    with Store(pg_url, readonly=True) as server:
        assert server.run("exp-2").steps == 12
