"""LRWatch(dashboard=True): the dashboard serves next to training and after it, in this process
(that it ends with the process: tests/integration/test_dashboard_life.py)."""

from __future__ import annotations

import socket
import time
from typing import Any

import lightning.pytorch as pl

from lrwatch import LRWatch
from lrwatch.dashboard.launcher import probe
from tests.helpers.models import loader, make_module, trainer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WaitForDashboard(pl.Callback):
    """Holds the last training step until the dashboard answers (it imports Dash meanwhile)."""

    def __init__(self, watch: LRWatch) -> None:
        self.watch = watch
        self.answer: dict[str, Any] | None = None

    def on_train_end(self, *args: Any) -> None:
        deadline = time.monotonic() + 60
        while self.answer is None and time.monotonic() < deadline:
            self.answer = probe(self.watch.dashboard_url or "http://127.0.0.1:1/")
            time.sleep(0.2)


def test_the_dashboard_serves_during_training_and_after_it(tmp_path):
    watch = LRWatch(store=tmp_path / "s", dashboard=True, dashboard_port=_free_port())
    waiter = WaitForDashboard(watch)
    fit = trainer(pl, [watch, waiter], tmp_path, max_epochs=1)
    try:
        fit.fit(make_module(pl), loader())
        assert watch.dashboard_url is not None
        assert watch.dashboard_url.startswith("http://127.0.0.1:")
        assert waiter.answer is not None and waiter.answer["app"] == "lrwatch-dashboard"
        assert probe(watch.dashboard_url) is not None  # until this process exits
        fit.fit(make_module(pl), loader())  # a second fit in the same process serves from it
        assert probe(watch.dashboard_url) is not None
    finally:
        watch._dashboard.stop()


def test_a_dashboard_that_cannot_start_does_not_stop_training(tmp_path, recwarn, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> None:  # any failure, not only lrwatch's own errors
        raise OSError("no sockets left")

    monkeypatch.setattr("lrwatch.dashboard.launcher.start_in_background", broken)
    watch = LRWatch(store=tmp_path / "s", dashboard=True)
    fit = trainer(pl, [watch], tmp_path, max_epochs=1)
    fit.fit(make_module(pl), loader())
    assert fit.global_step > 0 and watch.dashboard_url is None
    assert any("the dashboard did not start (OSError: no sockets left)" in str(w.message)
               for w in recwarn)
