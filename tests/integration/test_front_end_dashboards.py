"""``dashboard=True`` for ``Watch`` and the Hugging Face callback, as for ``LRWatch``
(``test_callback_dashboard``): the dashboard of the training's store serves during training and
after it, in this process, and the end of training says how to serve it again."""

from __future__ import annotations

import logging
import socket
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import torch

from lrwatch import Store, Watch
from lrwatch.dashboard.launcher import probe, store_fingerprint
from lrwatch.store.location import canonical
from tests.helpers.models import loader

START_S = 90  # the dashboard imports Dash first: generous on a busy machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_served(url: str | None) -> dict[str, Any] | None:
    deadline = time.monotonic() + START_S
    answer = None
    while url and answer is None and time.monotonic() < deadline:
        answer = probe(url)
        time.sleep(0.2)
    return answer


def _check_serves(url: str, store: Path) -> None:
    """The dashboard at ``url`` answers with its page and serves ``store``."""
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200 and b"<title>lrwatch</title>" in response.read()
    answer = probe(url)
    assert answer is not None and answer["store"] == store_fingerprint(canonical(store))


def _note(caplog: Any, url: str, store: Path) -> None:
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(
        "lrwatch: dashboard at") or "to reopen it afterwards" in r.getMessage()]
    assert lines == [f"lrwatch: dashboard at {url}",
                     f"lrwatch: the dashboard at {url} serves until this process exits; "
                     f"to reopen it afterwards: lrwatch dashboard {store}"]


def test_watch_serves_the_dashboard_during_the_loop_and_after_it(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    watch = Watch(model, optimizer, store=tmp_path / "s", dashboard=True,
                  dashboard_port=_free_port())
    try:
        with watch:
            for i, (x, y) in enumerate(loader()):
                loss = torch.nn.functional.mse_loss(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                watch.step(loss)
                if i == 3:  # mid-loop: it serves the store being written
                    assert _wait_until_served(watch.dashboard_url) is not None
                    _check_serves(watch.dashboard_url, watch.store_path)
        assert probe(watch.dashboard_url) is not None  # until this process exits
        assert Store(tmp_path / "s", readonly=True).runs()[0].steps == 8
        _note(caplog, watch.dashboard_url, watch.store_path)
    finally:
        if watch._dashboard is not None:
            watch._dashboard.stop()


def test_the_hf_callback_serves_the_dashboard_during_training_and_after_it(tmp_path, caplog):
    transformers = pytest.importorskip("transformers")
    from lrwatch.integrations.transformers import LRWatchCallback
    from tests.integration.test_transformers import _gpt2, Tokens

    class WaitForDashboard(transformers.TrainerCallback):
        """Holds the last step until the dashboard answers (before LRWatchCallback's end)."""

        answer: dict[str, Any] | None = None

        def on_train_end(self, *args: Any, **kwargs: Any) -> None:
            self.answer = _wait_until_served(watch.dashboard_url)

    caplog.set_level(logging.WARNING, logger="lrwatch")
    watch = LRWatchCallback(dashboard=True, dashboard_port=_free_port())
    waiter = WaitForDashboard()
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=8, max_steps=8,
        report_to="none", use_cpu=True, save_strategy="no", disable_tqdm=True, seed=0)
    trainer = transformers.Trainer(model=_gpt2(), args=args, train_dataset=Tokens(),
                                   callbacks=[waiter, watch])
    try:
        trainer.train()
        assert watch.dashboard_url is not None and waiter.answer is not None
        store = tmp_path / "out" / "lrwatch_logs"
        _check_serves(watch.dashboard_url, watch.engine.store_path)
        assert Store(store, readonly=True).runs()[0].steps == 8
        _note(caplog, watch.dashboard_url, watch.engine.store_path)
        trainer.train()  # a second run in the same process serves from the same dashboard
        assert probe(watch.dashboard_url) is not None
    finally:
        if watch._dashboard is not None:
            watch._dashboard.stop()


def test_bad_dashboard_ports_are_one_line_errors(tmp_path):
    from lrwatch import ConfigError

    model = torch.nn.Linear(2, 1)
    with pytest.raises(ConfigError, match="dashboard_port must be in 0-65535, got 70000"):
        Watch(model, torch.optim.SGD(model.parameters(), lr=0.1), store=tmp_path / "s",
              dashboard=True, dashboard_port=70000)
