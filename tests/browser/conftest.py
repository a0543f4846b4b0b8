"""Headless Chromium against the dashboard served on 127.0.0.1, with a store filled by real
short Lightning runs recorded by ``LRWatch``.

Chromium is Debian's (``make browser`` installs it; ``make test`` runs that first). Playwright
drives it through ``executable_path``: no browser download. A missing Chromium fails the tests
with the command to run; it never skips them.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import expect

CHROMIUM = os.environ.get("LRWATCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run"]
TIMEOUT_MS = 30_000  # software rendering on 2 shared cores: generous, waits end early
expect.set_options(timeout=TIMEOUT_MS)  # assertions too, not only page actions (5 s default)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: run `make browser` "
                    "(Debian's chromium package), or set LRWATCH_CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


class Page:
    """A page plus the console errors and dashboard responses seen on it."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.updates: list[tuple[str, int]] = []  # (callback outputs, response bytes)
        self.scripts: list[str] = []  # URLs of the JavaScript files the page loaded
        page.on("request", lambda r: r.resource_type == "script" and self.scripts.append(r.url))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfinished", self._finished)

    def _finished(self, request: Any) -> None:
        if "_dash-update-component" not in request.url:
            return
        response = request.response()
        body = response.body() if response is not None else b""
        outputs = (request.post_data_json or {}).get("output", "")
        self.updates.append((outputs, len(body)))

    def points(self, graph_id: str) -> list[int] | None:
        """How many x values each trace of a graph holds in the browser."""
        return self.page.evaluate(
            """id => { const el = document.querySelector('#' + id + ' .js-plotly-plot');
                       return el && el.data ? el.data.map(t => (t.x || []).length) : null; }""",
            graph_id)

    def last_step(self, graph_id: str, trace: int = 0) -> float:
        """The largest x (step) a graph's trace shows in the browser."""
        return self.page.evaluate(
            """([id, i]) => { const el = document.querySelector('#' + id + ' .js-plotly-plot');
                return Math.max(...el.data[i].x); }""", [graph_id, trace])

    def wait_step_past(self, graph_id: str, trace: int, step: float,
                       timeout: int = TIMEOUT_MS) -> None:
        """Wait until a graph's trace shows a point past ``step``: new points arrived, however
        many a rebuild of the view (a zoom re-aggregates its window) kept of the old ones."""
        self.page.wait_for_function(
            """([id, i, s]) => { const el = document.querySelector('#' + id + ' .js-plotly-plot');
                return el && el.data && el.data[i] && Math.max(...el.data[i].x) > s; }""",
            arg=[graph_id, trace, step], timeout=timeout)

    def wait_points(self, graph_id: str, trace: int, more_than: int,
                    timeout: int = TIMEOUT_MS) -> None:
        self.page.wait_for_function(
            """([id, i, n]) => { const el = document.querySelector('#' + id + ' .js-plotly-plot');
                return el && el.data && el.data[i] && el.data[i].x.length > n; }""",
            arg=[graph_id, trace, more_than], timeout=timeout)


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[str], Page]]:
    contexts = []

    def open_(url: str) -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = Page(context.new_page())
        page.page.set_default_timeout(TIMEOUT_MS)
        page.page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """Serve ``create_app(store)`` on 127.0.0.1 (a free port) in a thread; returns its URL."""
    from werkzeug.serving import make_server

    from lrwatch.dashboard.app import create_app

    servers = []
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    def serve_(store: Path | str, interval_ms: int = 400) -> str:
        server = make_server("127.0.0.1", 0, create_app(store, interval_ms=interval_ms).server,
                             threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield serve_
    for server, thread in servers:
        server.shutdown()
        thread.join(10)


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's three real trainings on digits (LR far too high, far too low, well chosen),
    recorded by ``LRWatch`` exactly as ``make demo`` records them, without the pacing."""
    from lrwatch.cli.demo import DEMO_STEPS, _quiet_lightning, run_demo

    _quiet_lightning()
    store = tmp_path_factory.mktemp("browser-store") / "lrwatch.db"
    run_demo(store, steps=DEMO_STEPS, pace=0.0, echo=lambda _: None)
    return store


@pytest.fixture(scope="session")
def range_test_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """A real ``find_lr`` range test, then the 60-step training it chose the LR of."""
    from lrwatch import LRWatch, find_lr
    from lrwatch._compat import MODULES
    from lrwatch.cli.demo import DemoRun, _quiet_lightning, digits_loaders, digits_module

    _quiet_lightning()
    pl = next(iter(MODULES.values()))
    store = tmp_path_factory.mktemp("range-test-store") / "lrwatch.db"
    model = digits_module(pl, DemoRun("after-range-test", "SGD", 1e-3, 0.9, "healthy"))
    trainer = pl.Trainer(accelerator="cpu", max_steps=60, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False,
                         num_sanity_val_steps=0, default_root_dir=str(store.parent),
                         callbacks=[LRWatch(store=str(store), name="after-range-test")])
    train, val = digits_loaders()
    result = find_lr(trainer, model, train_dataloaders=train, min_lr=1e-5, max_lr=10,
                     num_training=80)
    trainer.fit(model, train, val)
    return store, result
