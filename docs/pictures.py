"""Regenerate the README's pictures: ``python docs/pictures.py`` (about a minute).

- ``docs/dashboard.png``: the run list: the demo's three runs and the oscillating one;
- ``docs/dashboard-run.png``: the run view of the demo's diverging run;
- ``docs/status-<status>.png``: the loss of a typical run of each status, its diagnosis span
  shaded (diverging, oscillating, stalled, healthy);
- ``docs/guard-recovered.png``: the demo's LR-too-high run trained with
  ``LRWatch(on_diverge="recover")``: loss, LR and gradient norm, the recovery marked.

Everything comes from real trainings on scikit-learn's digits recorded by ``LRWatch`` (the
demo's three runs, and one with Adam at 0.1, which oscillates), drawn by ``lrwatch.figures``
and the dashboard, and rendered by headless Chromium (Debian's, through Playwright).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

DOCS = Path(__file__).resolve().parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OSCILLATING = ("adam-lr-0.1", "Adam", 0.1, 0.9, "oscillating")
RECOVERED = ("sgd-lr-3-recovered", "SGD", 3.0, 0.0, "diverging")


def train(store: Path) -> None:
    from lrwatch.cli.demo import DEMO_STEPS, DemoRun, _quiet_lightning, run_demo, train_demo_run

    _quiet_lightning()
    run_demo(store, steps=DEMO_STEPS, pace=0.0, echo=print)
    train_demo_run(store, DemoRun(*OSCILLATING), steps=DEMO_STEPS)


def recovered_picture(store: Path, browser: object, tmp: Path) -> None:
    import plotly.io as pio

    import lrwatch
    from lrwatch.cli.demo import DEMO_STEPS, DemoRun, train_demo_run

    train_demo_run(store, DemoRun(*RECOVERED), steps=DEMO_STEPS, on_diverge="recover",
                   snapshot_every_n_steps=20)
    with lrwatch.Store(store, readonly=True) as st:
        (action,) = [e for e in st.events(RECOVERED[0], kind="action")][:1]
    fig = lrwatch.plot(store, RECOVERED[0], kind="overview", smoothing=0.8)
    fig.update_layout(width=760, height=640, title={
        "text": f'on_diverge="recover": SGD at lr 3, back to step '
                f'{action.payload["restored_step"]} at step {action.step}, LR x0.1'})
    page_file = tmp / "recovered.html"
    page_file.write_text(pio.to_html(fig, include_plotlyjs=True, full_html=True))
    page = browser.new_page(viewport={"width": 780, "height": 660})  # type: ignore[attr-defined]
    page.goto(page_file.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg")
    page.locator(".js-plotly-plot").screenshot(path=str(DOCS / "guard-recovered.png"))
    page.close()
    print("wrote docs/guard-recovered.png")


def status_pictures(store: Path, browser: object, tmp: Path) -> None:
    import plotly.io as pio

    from lrwatch import Store, figures

    with Store(store, readonly=True) as st:
        for run in st.runs():
            diagnosis = figures.run_diagnosis(st, run)
            status = diagnosis.status.value
            fig = figures.run_figure(st, run, "loss", smoothing=0.8, diagnosis=diagnosis)
            fig.update_layout(width=420, height=240, showlegend=False,
                              title={"text": f"{status} · {run.name}"},
                              margin={"l": 50, "r": 10, "t": 36, "b": 36})
            page_file = tmp / f"{status}.html"
            page_file.write_text(pio.to_html(fig, include_plotlyjs=True, full_html=True))
            page = browser.new_page(viewport={"width": 440, "height": 260})  # type: ignore[attr-defined]
            page.goto(page_file.as_uri())
            page.wait_for_selector(".js-plotly-plot .main-svg")
            page.locator(".js-plotly-plot").screenshot(path=str(DOCS / f"status-{status}.png"))
            page.close()
            print(f"wrote docs/status-{status}.png ({run.name})")


def dashboard_pictures(store: Path, browser: object) -> None:
    from werkzeug.serving import make_server

    from lrwatch import Store
    from lrwatch.dashboard.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, create_app(store).server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    with Store(store, readonly=True) as st:
        demo = [r for r in st.runs() if r.name != OSCILLATING[0]]
    try:
        page = browser.new_page(viewport={"width": 1200, "height": 360})  # type: ignore[attr-defined]
        page.goto(url)
        page.wait_for_function("document.querySelectorAll('tr.run-row').length === 4")
        page.wait_for_function(
            "document.querySelectorAll('.badge[data-status=analysing]').length === 0")
        page.screenshot(path=str(DOCS / "dashboard.png"))
        print("wrote docs/dashboard.png")
        page.set_viewport_size({"width": 1200, "height": 1000})
        page.goto(f"{url}/run/{demo[0].id}")
        page.wait_for_selector("#diagnosis")
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 6")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(DOCS / "dashboard-run.png"))
        print("wrote docs/dashboard-run.png")
        page.close()
    finally:
        server.shutdown()


def main() -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        sys.exit(f"needs Chromium at {CHROMIUM}: run `make browser`")
    tmp = Path(tempfile.mkdtemp(prefix="lrwatch-pictures-"))
    os.chdir(tmp)  # the dashboard shows the store's path relative to here
    try:
        store = Path("lrwatch_logs") / "demo.db"
        train(store)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu",
                                              "--disable-dev-shm-usage"])
            status_pictures(store, browser, tmp)
            dashboard_pictures(store, browser)
            recovered_picture(Path("lrwatch_logs") / "guard.db", browser, tmp)
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
