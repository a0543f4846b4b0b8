"""The live engine: a full build, then only new points, at the density shown."""

from __future__ import annotations

import json

import numpy as np
from dash import Patch, no_update
from dash._utils import to_json

from lrwatch import keys
from lrwatch.analysis import ema
from lrwatch.dashboard import live
from lrwatch.figures import MAX_POINTS, PANELS

from .conftest import fill_run


def loss_graph(store, run_id, smoothing=0.6, window=None):
    run = store.run(run_id)
    traces = [live.trace_entry(run, spec) for spec in PANELS["loss"].traces(store.keys(run))]
    return live.build_time_graph(store, PANELS["loss"], traces, title="loss",
                                 smoothing=smoothing, log_y=False, window=window, events_run=run)


def operations(patch: Patch) -> list[dict]:
    return json.loads(to_json(patch))["operations"]


def extended(patch: Patch, trace: int, axis: str) -> list:
    for op in operations(patch):
        if op["location"] == ["data", trace, axis] and op["operation"] == "Extend":
            return op["params"]["value"]
    return []


def test_a_poll_sends_only_the_new_points_and_advances_the_cursors(store):
    run = fill_run(store, "live", 100)
    fig, state = loss_graph(store, run)
    assert [len(t["x"]) for t in fig["data"][:2]] == [100, 100]
    assert [t["cursor"] for t in state["traces"]] == [99, 99]

    patch, state2 = live.update_time_graph(store, state)
    assert patch is no_update and state2 == state  # nothing new, nothing sent

    fill_run(store, "live", 50, start=100, run_id=run)
    patch, state = live.update_time_graph(store, state)
    assert extended(patch, 0, "x") == list(range(100, 150))
    assert len(extended(patch, 1, "y")) == 50
    assert [t["cursor"] for t in state["traces"]] == [149, 149]
    assert len(to_json(patch)) < 20_000


def test_the_smoothed_loss_continues_exactly_as_a_full_recomputation(store):
    run = fill_run(store, "ema", 3000)
    _, state = loss_graph(store, run, smoothing=0.95)
    fill_run(store, "ema", 40, start=3000, run_id=run)
    patch, _ = live.update_time_graph(store, state)
    _, raw = store.scalars(run, keys.LOSS)
    assert np.allclose(extended(patch, 1, "y"), ema(raw, 0.95)[-40:], rtol=1e-5)  # 6 digits sent


def test_new_points_of_a_long_run_come_at_the_density_shown(store):
    run = fill_run(store, "long", 200_000)
    fig, state = loss_graph(store, run)
    assert len(fig["data"][0]["x"]) == MAX_POINTS
    assert state["spp"] == 100.0
    fill_run(store, "long", 1000, start=200_000, run_id=run, seed=1)
    patch, state = live.update_time_graph(store, state)
    sent = extended(patch, 0, "y")
    assert len(sent) == 20  # min and max of every 100 steps
    _, raw = store.scalars(run, keys.LOSS, after_step=199_999)
    # a spike is never dropped (values travel with 6 significant digits)
    assert np.isclose(max(sent), raw.max(), rtol=1e-5)
    assert np.isclose(min(sent), raw.min(), rtol=1e-5)


def test_a_graph_grown_past_its_budget_asks_to_be_rebuilt(store):
    run = fill_run(store, "grow", 10)
    _, state = loss_graph(store, run)
    fill_run(store, "grow", 2 * MAX_POINTS, start=10, run_id=run)
    assert live.update_time_graph(store, state) == (None, None)


def test_a_zoomed_window_shows_every_point_of_it(store):
    run = fill_run(store, "zoom", 100_000)
    fig, state = loss_graph(store, run, window=(5000.0, 5999.0))
    assert fig["data"][0]["x"] == list(range(5000, 6000))
    assert state["window"] == [5000.0, 5999.0]


def test_new_nan_steps_and_events_are_marked_as_they_come(store):
    run = fill_run(store, "nan", 100)
    fig, state = loss_graph(store, run)
    assert [t["name"] for t in fig["data"]] == ["loss", "loss (smoothed)"]  # no events yet
    fill_run(store, "nan", 20, start=100, run_id=run, nan_from=110)
    # the first event of a kind gets its own trace (and legend entry): the graph is rebuilt
    assert live.update_time_graph(store, state) == (None, None)
    fig, state = loss_graph(store, run)
    k = state["events"]["index"][keys.EVENT_NONFINITE]
    assert fig["data"][k]["name"] == "NaN/inf" and fig["data"][k]["x"] == [110]
    fill_run(store, "nan", 20, start=120, run_id=run, nan_from=120)
    patch, state = live.update_time_graph(store, state)
    assert extended(patch, 0, "y") == [None] * 20
    assert extended(patch, k, "x") == [120]  # one mark for steps 120-139
    assert state["events"]["cursor"] == 139


def test_the_heatmap_follows_the_run_to_its_last_step(store):
    run = fill_run(store, "layers", 100, layers=2, layer_every=10)
    fig, state = live.build_heatmap(store, store.run(run))
    assert fig["data"][0]["x"] == [j * 10 - 0.5 for j in range(11)]  # ends at step 99
    assert state["width"] == 10 and state["count"] == 10
    fill_run(store, "layers", 25, start=100, run_id=run, layers=2, layer_every=10)
    patch, state = live.update_heatmap(store, state)
    assert state["count"] == 13  # steps 100-119 fill two bins, step 120 begins a third
    ops = {tuple(op["location"]): op for op in operations(patch)}
    assert ops[("data", 0, "x", 10)]["params"]["value"] == 99.5  # the last bin, sent again
    assert extended(patch, 0, "x") == [109.5, 119.5, 124.5]  # the run's last step: 124
    z = [op["params"]["value"] for op in operations(patch)
         if op["location"][:4] == ["data", 0, "z", 0] and op["operation"] == "Extend"]
    assert z == [[-1.0, -1.0, -1.0]]


def test_exactly_zero_gradients_are_cells_of_their_own_not_gaps(store):
    run = store.create_run("dead-layer", {"kind": "train"}).id
    steps = np.arange(0, 110, 10)
    norms = np.where(steps < 50, 0.0, 2.0)
    norms[8] = np.nan  # step 80: not recorded
    store.backend.append(run, {keys.LOSS: (steps, np.ones(steps.size)),
                               f"{keys.GRAD_NORM}/head": (steps, norms)})
    fig, _ = live.build_heatmap(store, store.run(run))
    values, zeros = fig["data"][0]["z"][0], fig["data"][1]["z"][0]
    assert zeros[:5] == [1] * 5 and values[:5] == [None] * 5  # drawn, in the zero colour
    assert values[8] is None and zeros[8] is None  # missing stays a gap
    assert values[9] == round(np.log10(2.0), 3)
    assert fig["data"][0]["x"][-1] == 100.5  # the last recorded step, not the bin's end
    assert "gradient exactly 0" in [t.get("name") for t in fig["data"]]


def test_refresh_builds_first_then_updates_and_rebuilds_when_the_view_changes():
    calls = []

    def build(window):
        calls.append(("build", window))
        return "figure", {"window": list(window) if window else None}

    def update(state):
        calls.append(("update", None))
        return no_update, state

    assert live.refresh(None, rebuild=False, view=None, build=build, update=update) == (
        "figure", {"window": None})
    assert live.refresh({"window": None}, rebuild=False, view=None, build=build,
                        update=update) == (no_update, no_update)
    live.refresh({"window": None}, rebuild=False, view=[1, 9], build=build, update=update)
    # a later poll (its trigger is the interval) sees the same view: no second rebuild
    live.refresh({"window": [1.0, 9.0]}, rebuild=False, view=[1, 9], build=build, update=update)
    live.refresh({"window": [1.0, 9.0]}, rebuild=True, view=[1, 9], build=build, update=update)
    live.refresh({"window": [1.0, 9.0]}, rebuild=False, view=None, build=build, update=update)
    # whatever else the browser sends is the whole run
    live.refresh({"window": None}, rebuild=False, view=["x", 2], build=build, update=update)
    live.refresh({"window": None}, rebuild=False, view=[3, 1], build=build, update=update)
    assert calls == [("build", None), ("update", None), ("build", (1.0, 9.0)), ("update", None),
                     ("build", (1.0, 9.0)), ("build", None), ("update", None), ("update", None)]


def test_a_loss_falling_past_a_clipped_axis_widens_it_and_a_new_spike_rebuilds(store):
    """A run with one spike opens on its ordinary range; as the loss keeps falling below that
    range a poll widens the axis in its patch (a rebuild would send the whole series each poll
    and, on a zoomed view, no new point); a new spike is clipped by building again."""
    run = store.create_run("falling", {})
    steps = np.arange(200)
    loss = 2.0 - 0.004 * steps
    loss[100] = 1e6
    store.backend.append(run.id, {keys.LOSS: (steps, loss)})
    fig, state = loss_graph(store, run.id, smoothing=0.0)
    bottom = fig["layout"]["yaxis"]["range"][0]
    more = np.arange(200, 260)
    store.backend.append(run.id, {keys.LOSS: (more, 2.0 - 0.004 * more)})  # 1.2 -> 0.96
    patch, state = live.update_time_graph(store, state)
    assert patch is not None and len(extended(patch, 0, "y")) == 60
    ranges = [op["params"]["value"] for op in operations(patch)
              if op["location"] == ["layout", "yaxis", "range"]]
    assert ranges and ranges[0][0] < min(0.96, bottom) and ranges[0][1] < 1e5
    store.backend.append(run.id, {keys.LOSS: (np.array([260]), np.array([1e7]))})
    assert live.update_time_graph(store, state) == (None, None)


def test_points_past_a_zoomed_window_are_appended_without_rescaling_it(store):
    """A zoom on the start of a run: new points arrive after the window's right edge, far from
    the window's values; the poll appends them and leaves the view's y range alone (a rebuild
    would send only the window again, so a zoomed graph would never grow)."""
    run = store.create_run("zoomed", {})
    steps = np.arange(400)
    store.backend.append(run.id, {keys.LOSS: (steps, 5.0 - 0.01 * steps)})
    fig, state = loss_graph(store, run.id, smoothing=0.0, window=(0.0, 99.0))
    shown = fig["layout"]["yaxis"].get("range")
    more = np.arange(400, 460)
    store.backend.append(run.id, {keys.LOSS: (more, np.full(more.size, 1e6))})
    patch, state = live.update_time_graph(store, state)
    assert patch is not None and len(extended(patch, 0, "y")) > 0
    assert all(op["location"] != ["layout", "yaxis", "range"] for op in operations(patch))
    assert fig["layout"]["yaxis"].get("range") == shown
    # the same values inside the window rebuild it, to clip them
    _, state = loss_graph(store, run.id, smoothing=0.0, window=(0.0, 1000.0))
    store.backend.append(run.id, {keys.LOSS: (np.array([460]), np.array([1e7]))})
    assert live.update_time_graph(store, state) == (None, None)
