"""``LRWatch(alert=URL)`` against real local HTTP receivers: one that answers, one that hangs,
one that fails with 500, and a port where nothing listens."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import lightning.pytorch as lpl
import pytest
import torch

from lrwatch import LRWatch, Store, keys
from lrwatch.notify import Notifier, Webhook
from lrwatch.notify.notifier import CLOSE_GRACE_S
from tests.helpers.models import loader, make_module, trainer


class Receiver:
    """A webhook endpoint in a thread: records each POST, then answers ``status`` (or hangs
    until the test ends, when ``status`` is None)."""

    def __init__(self, status: int | None) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.content_types: list[str] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                receiver.content_types.append(self.headers["Content-Type"])
                if status is None:
                    receiver.release.wait(120)
                    return
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"no")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Any]:
    made: list[Receiver] = []

    def make(status: int | None = 200) -> Receiver:
        made.append(Receiver(status))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _fit(tmp_path: Any, alert: str, epochs: int = 1, dashboard_url: str | None = None,
         **options: Any) -> tuple[float, Any, list[Any]]:
    """A diverging fit (SGD at LR 0.4); its wall time, run and stored events."""
    torch.set_num_threads(1)
    callback = LRWatch(store=tmp_path / "s", alert=alert, **options)
    callback.dashboard_url = dashboard_url  # what a served dashboard (dashboard=True) sets
    t = trainer(lpl, [callback], tmp_path, max_epochs=epochs, limit_val_batches=0)
    start = time.perf_counter()
    t.fit(make_module(lpl, lr=0.4), loader(n=2048, batch_size=32))
    elapsed = time.perf_counter() - start
    with Store(tmp_path / "s", readonly=True) as store:
        (run,) = store.runs()
        return elapsed, run, store.events(run)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "lrwatch" and r.levelno == logging.WARNING]


def test_each_change_and_the_stop_reach_the_webhook_with_a_dashboard_link(tmp_path, receiver):
    good = receiver(200)
    _, run, events = _fit(tmp_path, good.url, on_diverge="stop",
                          dashboard_url="http://127.0.0.1:8050")
    texts = [b["text"] for b in good.bodies]
    assert set(good.content_types) == {"application/json"}
    assert [set(b) for b in good.bodies] == [{"text"}] * len(events)  # one post per event
    (stop,) = [e for e in events if e.kind == keys.EVENT_ACTION]
    assert texts[1].startswith(f"*lrwatch: run '{run.name}' stopped at step {stop.step}*\n")
    assert stop.payload["reason"] in texts[1]
    assert "blowing up" in texts[0] and texts[2].startswith(f"*lrwatch: run '{run.name}' final")
    assert all(t.endswith(f"\nDashboard: http://127.0.0.1:8050/run/{run.id}") for t in texts)


def test_a_diagnosis_alert_gives_status_evidence_and_suggestion(tmp_path, receiver):
    good = receiver(200)
    _, run, events = _fit(tmp_path, good.url, epochs=3)  # warn: trains on, diagnoses diverging
    diverging = [e for e in events if e.payload.get("status") == "diverging"]
    assert diverging, "the run was expected to be diagnosed diverging"
    payload = diverging[0].payload
    (text,) = [b["text"] for b in good.bodies
               if b["text"].startswith(f"*lrwatch: run '{run.name}' now: diverging*")]
    assert payload["evidence"][0] in text and payload["rationale"] in text
    assert f"Suggestion: {payload['action']}" in text
    assert "Dashboard" not in text  # none served


def test_a_hanging_endpoint_does_not_hold_training(tmp_path, receiver, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    good_time, _, _ = _fit(tmp_path / "good", receiver(200).url, on_diverge="stop")
    hang = receiver(None)
    hang_time, _, events = _fit(tmp_path / "hang", hang.url, on_diverge="stop")
    # held training would wait 3 tries x 5 s per note; the end of training waits CLOSE_GRACE_S
    assert hang_time < good_time + CLOSE_GRACE_S + 5.0
    assert hang.bodies  # it was tried
    (pending,) = [w for w in _warnings(caplog) if "still being sent" in w]
    assert f"{len(events)} notification(s) to the alert webhook http://127.0.0.1:" in pending
    assert "secret" not in " ".join(_warnings(caplog))  # the URL's path is never shown


def _notes(url: str, n: int, **webhook: Any) -> Notifier:
    notifier = Notifier("r", [Webhook(url, **webhook)])
    for step in range(n):
        notifier.diagnosis_changed(step, f"lrwatch: run 'r' is diverging ({step})",
                                   {"status": "diverging", "evidence": ["loss up 10x"]})
    return notifier


def test_a_500_is_retried_a_bounded_number_of_times_and_reported_once(receiver, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    failing = receiver(500)
    _notes(failing.url, 2, attempts=3, backoff_s=0.05).close(grace_s=30)
    assert len(failing.bodies) == 6  # 2 notes x 3 tries
    (warning,) = _warnings(caplog)
    assert "HTTP 500" in warning and "after 3 tries" in warning and "training goes on" in warning


def test_a_404_is_not_retried(receiver, caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    missing = receiver(404)
    _notes(missing.url, 1, attempts=3, backoff_s=0.05).close(grace_s=30)
    assert len(missing.bodies) == 1
    (warning,) = _warnings(caplog)
    assert "HTTP 404" in warning and "check the alert URL" in warning


def test_an_unreachable_endpoint_is_reported_once(caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    with socket.socket() as s:  # a port where nothing listens once it is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _notes(f"http://127.0.0.1:{port}/hook", 3, attempts=2, backoff_s=0.05).close(grace_s=30)
    (warning,) = _warnings(caplog)
    assert f"http://127.0.0.1:{port} failed" in warning and "after 2 tries" in warning


def test_watch_sends_its_stop_to_the_webhook_too(tmp_path, receiver):
    """``Watch(alert=URL)`` (a plain loop) posts through the same engine listener as LRWatch."""
    from lrwatch import Watch

    good = receiver(200)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.4)  # far too high for this regressor
    with Watch(model, optimizer, store=tmp_path / "s", on_diverge="stop", alert=good.url) as watch:
        for _ in range(3):
            for x, y in loader(n=2048):
                loss = torch.nn.functional.mse_loss(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                watch.after_step(loss, samples=len(x))
                if watch.should_stop:
                    break
            if watch.should_stop:
                break
    run = watch.run
    with Store(tmp_path / "s", readonly=True) as store:
        events = store.events(run)
    (stop,) = [e for e in events if e.kind == keys.EVENT_ACTION]
    texts = [b["text"] for b in good.bodies]
    assert len(texts) == len(events)  # one post per event
    assert any(t.startswith(f"*lrwatch: run '{run.name}' stopped at step {stop.step}*\n")
               for t in texts)
