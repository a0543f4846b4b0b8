"""Readable graphs in headless Chromium: a spike does not flatten the loss, range tests stay off
the by-step compare, axis titles clear their tick labels, logged metrics can be picked, and the
per-layer heatmap tells zero from missing. Checked from the rendered page (plotly's computed
layout and the SVG text boxes), as a user would see it."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from lrwatch import Store, keys
from lrwatch.store import FINISHED, PendingEvent

pytestmark = pytest.mark.browser

SPIKE = 1.4e17
STEPS = 300

FULL_LAYOUT = "id => document.querySelector('#' + id + ' .js-plotly-plot')._fullLayout"
#: the boxes of every axis title and tick label of each graph on the page, by graph id
TEXT_BOXES = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
    const box = el => { const r = el.getBoundingClientRect();
                        return [r.left, r.top, r.right, r.bottom, el.textContent]; };
    const all = sel => Array.from(gd.querySelectorAll(sel)).filter(
        el => el.textContent && el.getBoundingClientRect().width > 0).map(box);
    const paper = gd.querySelector('.main-svg').getBoundingClientRect();
    return {id: gd.parentElement.id, paper: [paper.left, paper.top, paper.right, paper.bottom],
            titles: all('.g-xtitle text, .g-ytitle text'),
            ticks: all('.xtick text, .ytick text')};
})"""


def _train_run(st: Store, name: str, *, spike: bool, seed: int) -> int:
    rng = np.random.default_rng(seed)
    run = st.create_run(name, {"kind": "train", "optimizer": "SGD"}).id
    s = np.arange(STEPS)
    loss = 2.3 * np.exp(-s / 80) + 0.1 + 0.02 * rng.standard_normal(s.size)
    if spike:
        loss[150] = SPIKE
    val = s[s % 50 == 49]
    layer = np.where(s < 40, 0.0, 0.5 + rng.random(s.size))  # no gradient for 40 steps
    st.backend.append(run, {
        keys.LOSS: (s, loss), keys.LR: (s, np.full(s.size, 0.1 if spike else 1e-6)),
        keys.GRAD_NORM: (s, 1 + rng.random(s.size)),
        keys.UPDATE_RATIO: (s, 2e-3 * (1 + rng.random(s.size))),
        keys.VAL_LOSS: (val, 0.3 + 0.01 * np.arange(val.size)),
        keys.logged_key("val_acc"): (val, 0.5 + 0.08 * np.arange(val.size)),
        keys.logged_key("train_loss_epoch"): (val, 1.0 - 0.1 * np.arange(val.size)),
        f"{keys.GRAD_NORM}/head": (s, layer),
        f"{keys.GRAD_NORM}/body": (s, 2 + rng.random(s.size)),
    }, [PendingEvent(200, keys.EVENT_DIAGNOSIS, {"status": "healthy"}, time.time())])
    st.backend.set_status(run, FINISHED)
    return run


@pytest.fixture(scope="module")
def graphs_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """A run with a 1.4e17 spike at LR 0.1, a quiet one at LR 1e-6 (tick labels as long as
    '0.0000010'), and a range test sweeping LR 1e-5..10."""
    path = tmp_path_factory.mktemp("graphs") / "lrwatch.db"
    with Store(path) as st:
        ids = {"spiky": _train_run(st, "spiky", spike=True, seed=0),
               "quiet": _train_run(st, "quiet", spike=False, seed=1)}
        test = st.create_run("range-test-quiet", {"kind": "range_test"}).id
        s = np.arange(100)
        lr = np.geomspace(1e-5, 10, s.size)
        loss = 2.3 - 0.5 * np.log10(lr / 1e-5) / 6 + np.where(lr > 1, 5 * lr, 0)
        st.backend.append(test, {keys.LR: (s, lr), keys.LOSS: (s, loss),
                                 keys.LOSS_SMOOTHED: (s, loss)})
        st.backend.set_status(test, FINISHED)
        ids["range-test-quiet"] = test
    return path, ids


def test_a_spike_of_1e17_leaves_the_loss_in_its_ordinary_range(graphs_store, serve, open_page):
    path, ids = graphs_store
    page = open_page(serve(path) + f"/run/{ids['spiky']}")
    page.wait_points("g-loss", 0, STEPS - 1)
    low, high = page.page.evaluate(FULL_LAYOUT, "g-loss")["yaxis"]["range"]
    assert 0 < high < 3 and low < 0.2  # the loss's own 0.1-2.4, not 0-1.4e17
    ys = page.page.evaluate("document.querySelector('#g-loss .js-plotly-plot').data[0].y")
    assert max(ys) == SPIKE  # the spike is still drawn, clipped at the edge ...
    clip = page.page.evaluate("""Array.from(document.querySelector('#g-loss .js-plotly-plot')
                                 .data).find(t => t.name === 'off the scale')""")
    assert clip["x"][0] == 150 and "1.4e+17" in clip["text"]  # ... where a mark says its value
    expect(page.page.locator("#g-loss .legendtext", has_text="off the scale")).to_be_visible()
    expect(page.page.locator("#g-loss .legendtext", has_text="diagnosis change")).to_be_visible()
    page.page.check("#loss-log input")  # the log toggle keeps the ordinary range, in decades
    page.page.wait_for_function(f"({FULL_LAYOUT})('g-loss').yaxis.type === 'log'")
    low, high = page.page.evaluate(FULL_LAYOUT, "g-loss")["yaxis"]["range"]
    assert -1.5 < low < high < 1
    assert page.errors == []


def test_a_compare_with_a_range_test_keeps_the_lr_axis_of_the_runs(graphs_store, serve,
                                                                   open_page):
    path, ids = graphs_store
    page = open_page(serve(path) + "/compare?runs=" + ",".join(map(str, ids.values())))
    page.wait_points("c-lr", 1, STEPS - 1)
    names = page.page.evaluate("document.querySelector('#c-lr .js-plotly-plot').data"
                               ".map(t => t.name)")
    assert names == ["spiky", "quiet"]
    low, high = page.page.evaluate(FULL_LAYOUT, "c-lr")["yaxis"]["range"]
    assert 1e-7 < 10 ** low <= 1e-6 and 0.1 <= 10 ** high < 1  # the runs' 1e-6 and 0.1 ...
    # ... not stretched to the range test's 10
    # the range test has its own loss-vs-LR panel
    rt = page.page.evaluate(FULL_LAYOUT, "c-range-tests")
    assert rt["xaxis"]["type"] == "log" and rt["xaxis"]["title"]["text"] == "learning rate"
    # the compare loss ignores the spike too
    page.wait_points("c-loss", 1, STEPS - 1)
    assert page.page.evaluate(FULL_LAYOUT, "c-loss")["yaxis"]["range"][1] < 3
    assert page.errors == []


@pytest.mark.parametrize("view", ["run", "compare"])
def test_no_axis_title_overlaps_a_tick_label_and_no_label_is_cut(view, graphs_store, serve,
                                                                 open_page):
    path, ids = graphs_store
    url = serve(path) + (f"/run/{ids['spiky']}" if view == "run"
                         else f"/compare?runs={ids['spiky']},{ids['quiet']}")
    page = open_page(url)
    graph_ids = (["g-loss", "g-lr", "g-grad_norm", "g-update_ratio", "g-logged"] if view == "run"
                 else ["c-loss", "c-lr", "c-grad_norm", "c-update_ratio", "c-logged"])
    for graph_id in graph_ids:
        page.wait_points(graph_id, 0, 5)
    page.page.wait_for_timeout(1500)  # automargin redraws once more
    graphs = [g for g in page.page.evaluate(TEXT_BOXES) if g["titles"]]
    assert {g["id"] for g in graphs} >= set(graph_ids)
    for g in graphs:
        for title in g["titles"]:
            for tick in g["ticks"]:
                assert not _overlap(title, tick), (g["id"], title[4], tick[4])
        for tick in g["ticks"]:  # inside the graph, not cut at its edge ('.0000010')
            assert tick[0] >= g["paper"][0] - 0.5 and tick[2] <= g["paper"][2] + 0.5, (
                g["id"], tick[4])
    assert page.errors == []


def _overlap(a: list, b: list) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_logged_metrics_can_be_picked_in_the_run_view_and_the_compare(graphs_store, serve,
                                                                      open_page):
    path, ids = graphs_store
    base = serve(path)
    page = open_page(base + f"/run/{ids['spiky']}")
    page.wait_points("g-logged", 0, 5)
    data = page.page.evaluate("document.querySelector('#g-logged .js-plotly-plot').data[0]")
    assert data["name"] == "val_acc" and data["x"] == list(range(49, STEPS, 50))
    page.page.click("#logged-metric")
    page.page.get_by_text("train_loss_epoch", exact=True).click()
    page.page.wait_for_function("document.querySelector('#g-logged .js-plotly-plot')"
                                ".data[0].name === 'train_loss_epoch'")
    assert page.errors == []
    page.page.close()  # one polling page at a time on a busy machine
    compare = open_page(base + f"/compare?runs={ids['spiky']},{ids['quiet']}")
    compare.wait_points("c-logged", 1, 5)
    names = compare.page.evaluate("document.querySelector('#c-logged .js-plotly-plot').data"
                                  ".map(t => t.name)")
    assert names == ["spiky", "quiet"]
    assert compare.errors == []


def test_the_layer_heatmap_shows_zero_gradients_and_ends_at_the_last_step(graphs_store, serve,
                                                                          open_page):
    path, ids = graphs_store
    page = open_page(serve(path) + f"/run/{ids['spiky']}")
    page.wait_points("g-layers", 0, 5)
    expect(page.page.locator("#g-layers .js-plotly-plot .heatmaplayer")).to_have_count(1)
    low, high = page.page.evaluate(FULL_LAYOUT, "g-layers")["xaxis"]["range"]
    assert math.isclose(high, STEPS - 0.5)  # the last step, 299, not a bin's end past it
    zeros = page.page.evaluate("document.querySelector('#g-layers .js-plotly-plot').data[1]")
    head = zeros["y"].index("head")
    assert zeros["z"][head][0] == 1  # steps 0-39: exactly zero, drawn in its own colour
    expect(page.page.locator("#g-layers .legendtext",
                             has_text="gradient exactly 0")).to_be_visible()
    assert page.errors == []


def test_a_gans_second_optimizer_has_its_gradient_norm_and_update_ratio_drawn(
        tmp_path, serve, open_page):
    # what LRWatch records for a GAN trained by two Adams (examples/06): every key of the
    # second optimizer carries "@Adam-1"; its LR was drawn, its gradient norm and update
    # ratio were not, though the final verdict says to judge each optimizer by them
    path = tmp_path / "lrwatch.db"
    s = np.arange(120)
    with Store(path) as st:
        run = st.create_run("ring-gan", {"kind": "train", "optimizer": "Adam"}).id
        st.backend.append(run, {
            keys.LR: (s, np.full(s.size, 2e-4)), "lr@Adam-1": (s, np.full(s.size, 1e-4)),
            keys.GRAD_NORM: (s, np.full(s.size, 0.5)), "grad_norm@Adam-1": (s, np.full(s.size, 4.0)),
            keys.UPDATE_RATIO: (s[::10], np.full(12, 1e-3)),
            "update_ratio@Adam-1": (s[::10], np.full(12, 3e-3)),
            keys.logged_key("g_loss"): (s, np.linspace(2, 1, s.size)),
        })
        st.backend.set_status(run, FINISHED)
    page = open_page(serve(path) + f"/run/{run}")
    names = "id => document.querySelector('#' + id + ' .js-plotly-plot').data.map(t => t.name)"
    values = ("([id, i]) => Array.from(document.querySelector('#' + id + ' .js-plotly-plot')"
              ".data[i].y)")
    for graph, keys_, level in (("g-grad_norm", ["grad_norm", "grad_norm@Adam-1"], (0.5, 4.0)),
                                ("g-update_ratio", ["update_ratio", "update_ratio@Adam-1"],
                                 (1e-3, 3e-3))):
        expect(page.page.locator(f"#{graph} .scatterlayer path.js-line")).to_have_count(2)
        assert page.page.evaluate(names, graph)[:2] == keys_
        for i, value in enumerate(level):
            drawn = page.page.evaluate(values, [graph, i])
            assert len(drawn) == (120 if graph == "g-grad_norm" else 12)
            assert drawn == pytest.approx([value] * len(drawn))
    assert page.errors == []
