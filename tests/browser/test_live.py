"""Live: a training writing to the store while the page is open."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from lrwatch import LRWatchError, Store

pytestmark = pytest.mark.browser

TRAIN = """
import sys
from lrwatch.cli.demo import DEMO_RUNS, _quiet_lightning, train_demo_run
_quiet_lightning()
train_demo_run(sys.argv[1], DEMO_RUNS[2], steps=20000, pace=0.02, name="live")
"""


@pytest.fixture
def training(tmp_path: Path):
    """A real Lightning training (the demo's well-chosen run) in its own process, paced so
    that it is still writing while the test looks (20,000 steps at 20 ms or more each: on an
    idle machine 2,000 ended before the test's last wait); it is stopped at the end."""
    store = tmp_path / "lrwatch.db"
    process = subprocess.Popen([sys.executable, "-c", TRAIN, str(store)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the training exited early: {process.stderr.read().decode()[-2000:]}")
        try:
            with Store(store, readonly=True) as st:
                runs = st.runs()
                if runs and runs[0].steps >= 64:
                    break
        except LRWatchError:  # the store is being created
            pass
        time.sleep(0.2)
    else:
        pytest.fail("the training did not record 64 steps within 120 s")
    yield store, runs[0].id
    process.terminate()
    process.wait(30)


def test_new_points_appear_without_a_reload_and_the_zoom_stays(training, serve, open_page):
    store, run_id = training
    page = open_page(serve(store, interval_ms=400) + f"/run/{run_id}")
    page.wait_points("g-loss", 0, 10)
    page.page.evaluate("window.__same_page = true")
    n0 = page.points("g-loss")[0]
    page.wait_points("g-loss", 0, n0 + 30)
    page.wait_points("g-lr", 0, n0 + 30)

    # the user drags a zoom box over part of the loss plot: the view stays while points arrive
    # a poll may rebuild the graph and replace the drag layer between two calls: look again
    drag = page.page.locator("#g-loss .nsewdrag").first
    box = None
    deadline = time.monotonic() + 30
    while box is None and time.monotonic() < deadline:
        drag.wait_for()
        box = drag.bounding_box()
    assert box is not None, "the loss graph's drag layer never stayed on the page"
    y = box["y"] + box["height"] / 2
    seen = len(page.updates)
    page.page.mouse.move(box["x"] + box["width"] * 0.2, y)
    page.page.mouse.down()
    page.page.mouse.move(box["x"] + box["width"] * 0.4, y, steps=5)
    page.page.mouse.up()
    zoomed = page.page.evaluate(
        "document.querySelector('#g-loss .js-plotly-plot').layout.xaxis.range")
    # the zoom rebuilds the graph for its window (fewer points), then polls append to it:
    # count from after the rebuild, not from the figure it replaced
    deadline = time.monotonic() + 60
    while sum("g-loss.figure" in outputs for outputs, _ in page.updates[seen:]) < 2 \
            and time.monotonic() < deadline:
        page.page.wait_for_timeout(200)
    # new points show as steps past the last one shown: counting points instead read a rebuild
    # of the zoomed window that landed after the count (fewer points) as no growth (a CI flake)
    page.wait_step_past("g-loss", 0, page.last_step("g-loss") + 30)
    page.wait_step_past("g-loss", 0, page.last_step("g-loss") + 30)  # several polls later
    x_range = page.page.evaluate(
        "document.querySelector('#g-loss .js-plotly-plot').layout.xaxis.range")
    assert x_range == zoomed and zoomed[1] - zoomed[0] < n0  # a real zoom, kept
    assert page.page.evaluate("window.__same_page") is True  # never reloaded

    # polls sent only what was new: no live update carried a whole series
    ticks = [size for outputs, size in page.updates if "g-loss.figure" in outputs]
    assert len(ticks) >= 3
    assert sorted(ticks)[len(ticks) // 2] < 20_000
    assert page.errors == []


def test_a_run_that_starts_later_appears_in_the_run_list(tmp_path, serve, open_page):
    store = tmp_path / "lrwatch.db"
    page = open_page(serve(store, interval_ms=400))
    page.page.locator("#problem-text").wait_for()  # no store yet: the page says so
    from lrwatch.cli.demo import DEMO_RUNS, train_demo_run

    train_demo_run(store, DEMO_RUNS[1], steps=40, name="late")
    page.page.locator('tr.run-row[data-run="late"]').wait_for()
    page.page.locator("#problem-text").wait_for(state="detached")
    assert page.errors == []
