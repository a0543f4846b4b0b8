"""The LR range test view, for a test stored by a real ``find_lr``."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lrwatch import Store

pytestmark = pytest.mark.browser


def test_the_range_test_shows_loss_vs_lr_with_the_suggestion_and_lightnings_pick(
        range_test_store, serve, open_page):
    store, result = range_test_store
    with Store(store, readonly=True) as st:
        test, train = st.runs()
    page = open_page(serve(store))
    row = page.page.locator(f'tr.run-row[data-run="{test.name}"]')  # after-range-test-range-test
    expect(row.locator('.badge[data-status="range test"]')).to_be_visible()
    assert f"{result.suggestion():.3g}" in row.inner_text()

    page.page.goto(page.page.url.rstrip("/") + f"/run/{train.id}")
    page.page.click("text=LR range test before this run")
    page.page.wait_for_url(re.compile(rf"/range/{test.id}$"))
    page.wait_points("range-graph", 0, 10)
    graph = "document.querySelector('#range-graph .js-plotly-plot')"
    assert page.page.evaluate(f"{graph}.layout.xaxis.type") == "log"
    shapes = {s["name"]: s for s in page.page.evaluate(f"{graph}.layout.shapes")}
    assert shapes["lrwatch suggestion"]["x0"] == pytest.approx(result.suggestion())
    assert shapes["safe range"]["x0"] == pytest.approx(result.lower)
    assert shapes["safe range"]["x1"] == pytest.approx(result.upper)
    if result.lightning_suggestion is not None:
        assert shapes["Lightning's pick"]["x0"] == pytest.approx(result.lightning_suggestion)
    assert page.points("range-graph")[0] == len(result.results["lr"])
    expect(page.page.locator("#range-summary")).to_contain_text(
        f"Suggested LR {result.suggestion():.3g}")
    assert page.errors == []
