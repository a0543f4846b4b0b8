"""The sweeps page in headless Chromium, against five real recorded Lightning runs of one
setup at five learning rates."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from lrwatch import Store

pytestmark = pytest.mark.browser

LRS = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3.0)  # the last diverges


@pytest.fixture(scope="module")
def sweep_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SGD on digits at six LRs, 120 steps each, validated every 50 steps (what the demo
    records): a sweep the page ranks by the validation loss, whose highest LR diverges."""
    from lrwatch.cli.demo import DemoRun, _quiet_lightning, train_demo_run

    _quiet_lightning()
    store = tmp_path_factory.mktemp("sweep-store") / "lrwatch.db"
    for lr in LRS:
        train_demo_run(store, DemoRun(f"sgd-{lr:g}", "SGD", lr, 0.9, "?"), steps=120)
    return store


def test_the_sweep_axis_names_the_loss_its_points_are_and_a_click_opens_the_run(
        sweep_store, serve, open_page):
    with Store(sweep_store, readonly=True) as store:
        ids = {r.name: r.id for r in store.runs()}
        val_last = {name: float(store.scalars(name, "val_loss")[1][-1]) for name in ids}
    page = open_page(serve(sweep_store) + "/sweeps")
    plot = page.page.locator(".sweep .js-plotly-plot")
    expect(plot.locator(".scatterlayer .point").first).to_be_visible()
    expect(page.page.locator(".sweep .summary")).to_contain_text("validation loss")
    points = page.page.evaluate(
        """() => document.querySelector('.sweep .js-plotly-plot').data
                 .filter(t => t.mode === 'markers' && t.customdata)
                 .flatMap(t => t.x.map((x, i) => [t.text[i], t.y[i], t.customdata[i]]))""")
    assert sorted(p[0] for p in points) == sorted(ids)
    for name, y, href in points:  # the points are each run's last validation loss
        if name != "sgd-3":  # diverged: on the top edge
            assert y == pytest.approx(val_last[name], rel=1e-6)
        assert href == f"/run/{ids[name]}"
    # so the axis says so: it read "final loss (median of the tail ...)", a training loss
    y_title = page.page.evaluate(
        "() => document.querySelector('.sweep .js-plotly-plot').layout.yaxis.title.text")
    assert y_title.startswith("validation loss"), y_title
    expect(plot.locator(".ytitle")).to_contain_text("validation loss")

    # plotly's drag layer takes the pointer: hover the point's spot, then click there
    box = plot.locator(".scatterlayer .trace").first.locator(".point").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.page.mouse.move(x, y)
    page.page.wait_for_timeout(300)
    page.page.mouse.click(x, y)
    first = page.page.evaluate(
        """() => document.querySelector('.sweep .js-plotly-plot').data
                 .find(t => t.mode === 'markers' && t.customdata).text[0]""")
    expect(page.page.locator("h2.run-name")).to_have_text(first)
    assert page.page.url.endswith(f"/run/{ids[first]}")
    assert page.errors == []


def test_hovering_a_diverged_run_says_it_diverged_not_the_edge_it_is_drawn_on(
        sweep_store, serve, open_page):
    page = open_page(serve(sweep_store) + "/sweeps")
    plot = page.page.locator(".sweep .js-plotly-plot")
    expect(plot.locator(".scatterlayer .point").first).to_be_visible()
    traces = page.page.evaluate(
        """() => document.querySelector('.sweep .js-plotly-plot').data.map(t => t.name)""")
    diverged = traces.index("diverged")
    edge = page.page.evaluate(
        "i => document.querySelector('.sweep .js-plotly-plot').data[i].y[0]", diverged)
    box = plot.locator(".scatterlayer .trace").nth(diverged).locator(".point").first \
        .bounding_box()
    page.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    label = plot.locator(".hoverlayer .hovertext")
    expect(label).to_contain_text("sgd-3")
    text = label.text_content()
    # it said "validation loss 2.53": the top edge the point is drawn on, no loss of the run
    assert "validation loss none: the run diverged" in text, text
    assert f"{edge:.4g}" not in text
    assert page.errors == []
