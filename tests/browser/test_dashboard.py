"""The dashboard in headless Chromium, against real recorded Lightning runs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from lrwatch import Store, keys

from .conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser


def run_ids(store: Path) -> dict[str, int]:
    with Store(store, readonly=True) as st:
        return {r.name: r.id for r in st.runs()}


def test_the_demo_runs_get_three_different_verdicts_in_the_run_list(trained_store, serve,
                                                                    open_page):
    from lrwatch.cli.demo import DEMO_RUNS

    page = open_page(serve(trained_store))
    rows = page.page.locator("tr.run-row")
    expect(rows).to_have_count(len(DEMO_RUNS))
    for run in DEMO_RUNS:  # diverging, stalled, healthy
        row = page.page.locator(f'tr.run-row[data-run="{run.name}"]')
        expect(row.locator(f'.badge[data-status="{run.expected}"]')).to_be_visible()
    # current -> suggested LR: down for the diverging run, up for the stalled one
    high = page.page.locator('tr.run-row[data-run="lr-too-high"]')
    lrs = re.findall(r"[\d.e+-]+", high.locator("td").nth(4).inner_text())
    assert float(lrs[1]) < float(lrs[0]) == 3.0
    low = page.page.locator('tr.run-row[data-run="lr-too-low"]')
    lrs = re.findall(r"[\d.e+-]+", low.locator("td").nth(4).inner_text())
    assert float(lrs[1]) > float(lrs[0])
    page.page.fill("#run-filter", "high")
    expect(rows).to_have_count(1)
    assert page.errors == []


def test_diverging_run_shows_diverging_with_a_suggestion_to_reduce_the_lr(trained_store, serve,
                                                                          open_page):
    ids = run_ids(trained_store)
    page = open_page(serve(trained_store) + f"/run/{ids['lr-too-high']}")
    banner = page.page.locator("#diagnosis")
    # the verdict comes from a background analysis, after the page's graphs: a busy machine
    expect(banner).to_have_attribute("data-status", "diverging", timeout=TIMEOUT_MS)
    advice = page.page.locator("#recommendation").inner_text()
    assert "reduce" in advice
    current, suggested = map(float, re.findall(r"LR ([\d.e+-]+) → ([\d.e+-]+)", advice)[0])
    assert suggested < current == 3.0
    # the graphs hold every recorded point of this short run
    with Store(trained_store, readonly=True) as st:
        steps, _ = st.scalars(ids["lr-too-high"], keys.LOSS)
        lr_steps, _ = st.scalars(ids["lr-too-high"], keys.LR)
    page.wait_points("g-loss", 0, steps.size - 1)
    assert page.points("g-loss")[:2] == [steps.size, steps.size]  # raw and smoothed
    page.wait_points("g-lr", 0, lr_steps.size - 1)
    xs = page.page.evaluate("document.querySelector('#g-loss .js-plotly-plot').data[0].x")
    assert np.array_equal(xs, steps)
    # the diagnosis span is shaded on the loss plot, from its since_step
    shapes = page.page.evaluate(
        "document.querySelector('#g-loss .js-plotly-plot').layout.shapes.map(s => s.name)")
    assert "diagnosis" in shapes
    expect(page.page.locator("#g-layers .js-plotly-plot .heatmaplayer")).to_have_count(1)
    assert page.errors == []
    # drawn with the bundled cartesian plotly.js (1.5 MB), never the full 4.8 MB one
    assert any("/plotly-cartesian.min.js" in url for url in page.scripts)
    assert not any("/plotly.min.js" in url for url in page.scripts)


def test_compare_view_overlays_the_runs_by_step(trained_store, serve, open_page):
    ids = run_ids(trained_store)
    page = open_page(serve(trained_store))
    for name in ids:
        page.page.locator(f'tr.run-row[data-run="{name}"] input[type=checkbox]').check()
    link = page.page.locator("#compare-link")
    expect(link).to_have_attribute("href", re.compile(r"/compare\?runs="))
    link.click()
    page.wait_points("c-loss", 1, 0)
    names = page.page.evaluate(
        "document.querySelector('#c-loss .js-plotly-plot').data.map(t => t.name)")
    assert sorted(names) == sorted(ids)
    with Store(trained_store, readonly=True) as st:
        assert page.points("c-loss") == [st.run(i).steps for i in ids.values()]
    assert page.errors == []


@pytest.mark.parametrize("problem", ["missing", "empty", "corrupt"])
def test_a_store_that_cannot_be_read_shows_a_clear_message(problem, tmp_path, serve, open_page):
    path = tmp_path / "lrwatch.db"
    if problem == "empty":
        path.write_bytes(b"")
    elif problem == "corrupt":
        path.write_bytes(b"this is not a database" * 100)
    page = open_page(serve(path))
    message = page.page.locator("#problem-text")
    expect(message).to_contain_text(
        {"missing": "no lrwatch store", "empty": "empty",
         "corrupt": "not an lrwatch store"}[problem])
    expect(message).to_contain_text(str(path))
    assert page.errors == []


def test_a_long_run_opens_downsampled_and_a_zoom_shows_every_point(tmp_path, serve, open_page):
    """Volume, not realism: 200,000 steps written through the store's append."""
    import numpy as np

    store_path = tmp_path / "lrwatch.db"
    with Store(store_path) as st:
        run = st.create_run("long", {"kind": "train"})
        steps = np.arange(200_000)
        loss = 2 * np.exp(-steps / 50_000) + 0.01 * np.sin(steps)
        loss[123_456] = 9.0  # one spike
        lr = np.full(steps.size, 0.1)
        st.backend.append(run.id, {keys.LOSS: (steps, loss), keys.LR: (steps, lr)})
        st.backend.set_status(run.id, "finished")
    page = open_page(serve(store_path) + f"/run/{run.id}")
    page.wait_points("g-loss", 0, 100)
    n = page.points("g-loss")[0]
    assert n <= 2000
    ys = page.page.evaluate("document.querySelector('#g-loss .js-plotly-plot').data[0].y")
    assert max(ys) == 9.0  # the spike survives downsampling
    page.page.evaluate("""Plotly.relayout(document.querySelector('#g-loss .js-plotly-plot'),
                                          {'xaxis.range': [100000, 100500]})""")
    page.page.wait_for_function(
        """() => { const x = document.querySelector('#g-loss .js-plotly-plot').data[0].x;
                   return x.filter(s => s >= 100000 && s <= 100500).length === 501; }""")
    assert page.page.evaluate(
        "document.querySelector('#g-loss .js-plotly-plot').layout.xaxis.range") == [100000, 100500]
    page.page.check("#loss-log input")
    page.page.wait_for_function(
        "document.querySelector('#g-loss .js-plotly-plot').layout.yaxis.type === 'log'")
    assert page.errors == []
