"""The HTML report renders in Chromium with every network request refused."""

from __future__ import annotations

import pytest

from lrwatch.report import write_report

pytestmark = pytest.mark.browser


def test_the_report_renders_offline(trained_store, browser, tmp_path):
    path = write_report(trained_store, "lr-too-high", tmp_path / "report.html")
    context = browser.new_context()
    fetched: list[str] = []

    def refuse(route):  # anything but the file itself would need a network
        if not route.request.url.startswith("file://"):
            fetched.append(route.request.url)
            return route.abort()
        return route.continue_()

    context.route("**/*", refuse)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5",
                           timeout=30_000)
    assert "diverging" in page.inner_text("body")
    lengths = page.evaluate("[...document.querySelectorAll('.js-plotly-plot')]"
                            ".map(el => el.data[0].x.length)")
    assert lengths[0] == 80  # every step of the run's loss
    context.close()
    assert fetched == [] and errors == []
