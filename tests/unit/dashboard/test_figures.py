"""lrwatch.figures: downsampling, the figure builders and ``lrwatch.plot``."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

import lrwatch
from lrwatch import ConfigError, RunNotFound, figures, keys
from lrwatch.analysis import ema
from lrwatch.store import Event

from .conftest import fill_run


def test_downsample_keeps_the_spike_the_ends_and_the_nan_gap():
    steps = np.arange(1_000_000)
    values = np.sin(steps / 5e4)
    values[123_457] = 50.0  # one spike
    values[600_000:600_100] = np.nan  # a gap
    values[700_000] = np.inf
    s, v = figures.downsample(steps, values, 2000)
    assert s.size <= 2000
    assert np.all(np.diff(s) > 0)
    assert s[0] == 0 and s[-1] == steps[-1]
    assert 123_457 in s and v[s == 123_457][0] == 50.0
    assert np.isnan(v[(s >= 600_000) & (s < 600_100)]).any()
    assert not np.isinf(v).any()


def test_downsample_leaves_short_series_untouched():
    s, v = figures.downsample([3, 5, 9], [1.0, 2.0, 3.0], 2000)
    assert s.tolist() == [3, 5, 9] and v.tolist() == [1.0, 2.0, 3.0]


def test_compact_rounds_to_six_digits_and_turns_nan_and_inf_into_gaps():
    assert figures.compact([0.1234567891, float("nan"), float("inf"), 2.0, 1e-7 / 3]) == [
        0.123457, None, None, 2.0, 3.33333e-08]


def test_time_figure_is_built_from_lists_so_live_views_can_extend_it():
    line = figures.Line("loss", np.arange(5), np.linspace(1, 0, 5), "raw")
    fig = figures.time_figure_dict([line], title="t", y_title="loss", events=[])
    text = json.dumps(fig["data"], default=str)
    # numpy would travel as base64 typed arrays, which Patch cannot extend
    assert "bdata" not in text
    assert isinstance(fig["data"][0]["x"], list) and isinstance(fig["data"][0]["y"], list)
    assert fig["layout"]["uirevision"] == figures.UIREVISION
    go.Figure(fig)  # and plotly accepts every property


def test_names_and_events_are_escaped():
    evil = "<img src=x onerror=alert(1)>"
    line = figures.Line(evil, [0, 1], [1.0, 0.5])
    event = Event(step=1, time=0.0, kind=keys.EVENT_ACTION, payload={"message": evil})
    fig = figures.time_figure([line], title=evil, y_title="loss", events=[event])
    text = fig.to_json()
    assert "<img" not in text
    assert "&lt;img" in text


def test_consecutive_nan_steps_collapse_into_one_mark():
    events = [Event(s, 0.0, keys.EVENT_NONFINITE, {"loss": "nan"}) for s in range(250, 300)]
    events.append(Event(310, 0.0, keys.EVENT_DIAGNOSIS, {"status": "diverging",
                                                         "suggested_lr": 0.01}))
    events.append(Event(320, 0.0, keys.EVENT_ACTION, {"action": "stop",
                                                      "message": "lrwatch: stopping run"}))
    x, text, symbol, _ = figures.event_marks(events)
    assert x == [250, 310, 320]
    assert text[0] == "NaN/inf at steps 250–299 (loss=nan)"
    assert "diverging" in text[1] and "0.01" in text[1]
    assert text[2] == "lrwatch: stopping run"  # the guard's own words
    assert symbol == ["x", "diamond", "star"]


def test_layer_bins_average_log_norms_per_step_bin():
    steps = np.array([0, 10, 20, 30, 40])
    values = np.array([1.0, 100.0, 10.0, np.nan, 0.0])
    assert figures.layer_bins(steps, values, 0, 20, 3) == [1.0, 1.0, None]
    assert figures.zero_bins(steps, values, 0, 20, 3) == [None, None, 1]  # step 40: exactly 0


def test_panels_pick_the_series_of_a_run():
    available = [keys.LOSS, keys.VAL_LOSS, keys.LR, "lr/pg2", "lr@Adam-1", keys.GRAD_NORM,
                 "grad_norm/encoder.0", keys.UPDATE_RATIO]
    assert [t.key for t in figures.PANELS["loss"].traces(available)] == [
        keys.LOSS, keys.LOSS, keys.VAL_LOSS]
    assert [t.key for t in figures.PANELS["lr"].traces(available)] == [
        "lr", "lr/pg2", "lr@Adam-1"]
    assert [t.key for t in figures.PANELS["grad_norm"].traces(available)] == [keys.GRAD_NORM]
    assert figures.PANELS["step_time"].traces(available) == []
    assert figures.layer_keys(available) == ["grad_norm/encoder.0"]


def test_a_gans_second_optimizer_gets_its_gradient_norm_and_update_ratio_drawn():
    # what LRWatch records for two optimizers (README, "What is recorded"): every later
    # optimizer's keys carry a suffix; they were recorded but never drawn
    available = [keys.LOSS, keys.LR, "lr@Adam", keys.GRAD_NORM, "grad_norm@Adam",
                 "grad_norm_clipped@Adam", keys.GRAD_NORM_CLIPPED, "grad_norm/gen.0",
                 "grad_norm/disc.0@Adam", keys.UPDATE_RATIO, "update_ratio@Adam",
                 "update_ratio/gen.0"]
    assert [t.key for t in figures.PANELS["grad_norm"].traces(available)] == [
        keys.GRAD_NORM, keys.GRAD_NORM_CLIPPED, "grad_norm@Adam", "grad_norm_clipped@Adam"]
    assert [t.key for t in figures.PANELS["update_ratio"].traces(available)] == [
        keys.UPDATE_RATIO, "update_ratio@Adam"]


def test_smoothing_runs_on_the_full_series_before_downsampling(store):
    run = fill_run(store, "long", 5000)
    steps, raw = store.scalars(run, keys.LOSS)
    line = figures.read_line(store, run, figures.TraceSpec(keys.LOSS, "smooth"), smoothing=0.9,
                             n_out=100)
    full = ema(raw, 0.9)
    assert len(line.steps) <= 100
    assert np.allclose(line.values, full[np.searchsorted(steps, line.steps)])


def test_heatmap_bins_are_never_narrower_than_the_recording_interval(store):
    run = fill_run(store, "layers", 200, layers=3, layer_every=50)
    grid = figures.layer_heatmap(store, store.run(run))
    assert grid.layers == ["layer0", "layer1", "layer2"]
    assert grid.width == 50 and grid.start == 0 and len(grid.edges) == 5
    assert grid.z[2] == [1.0, 1.0, 1.0, 1.0]  # log10 of 10.0
    assert grid.edges[-1] == 199.5  # the run's last step (199), not the last bin's end (200)


def test_plot_returns_figures_for_every_kind(two_runs, store_path):
    for kind in ("loss", "lr", "grad_norm", "update_ratio", "step_time", "layers"):
        fig = lrwatch.plot(store_path, "steady", kind, diagnosis=False)
        assert isinstance(fig, go.Figure) and fig.data, kind
    overview = lrwatch.plot(store_path, "steady")
    assert {t.name for t in overview.data} >= {"loss", "loss (smoothed)", "lr", "grad_norm",
                                               "update_ratio"}
    loss = lrwatch.plot(store_path, "steady", "loss")
    assert list(loss.data[0].x) == list(range(500))
    compare = lrwatch.plot(store_path, ["steady", "nan-run"], "loss")
    assert [t.name for t in compare.data] == ["steady", "nan-run"]


def test_plot_says_clearly_what_is_wrong(two_runs, store_path):
    with pytest.raises(ConfigError, match="unknown plot kind 'losss'"):
        lrwatch.plot(store_path, "steady", "losss")
    with pytest.raises(RunNotFound, match="no run 'nope'.*steady"):
        lrwatch.plot(store_path, "nope")
    with pytest.raises(ConfigError, match="has no LR range test"):
        lrwatch.plot(store_path, "steady", "range_test")
    with pytest.raises(ConfigError, match="has no per-layer gradient norms"):
        lrwatch.plot(store_path, "nan-run", "layers")
    with pytest.raises(ConfigError, match="shows one run"):
        lrwatch.plot(store_path, ["steady", "nan-run"], "overview")
    # were an AttributeError from inside, and "shows one run" for no run at all
    with pytest.raises(ConfigError, match="^unknown plot kind None: choose one of overview"):
        lrwatch.plot(store_path, "steady", kind=None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="^plot: the list of runs to compare is empty"):
        lrwatch.plot(store_path, [], "loss")
    with pytest.raises(ConfigError, match="^plot: the list of runs to compare is empty"):
        lrwatch.plot(store_path, [])
    with pytest.raises(ConfigError, match="smoothing"):
        lrwatch.plot(store_path, "steady", "loss", smoothing=1.0)


def test_range_test_figure_marks_the_suggestion_the_safe_range_and_lightnings_pick():
    lr = np.geomspace(1e-6, 1, 100)
    loss = 2 - np.log10(lr / 1e-6) / 6 + np.where(lr > 0.1, 10 * lr, 0)
    fig = figures.range_test_figure(lr, loss, suggested_lr=1e-3, lower_lr=1e-4, upper_lr=1e-2,
                                    lightning_lr=3e-2)
    shapes = {s.name: s for s in fig.layout.shapes}
    assert shapes["lrwatch suggestion"].x0 == 1e-3
    assert (shapes["safe range"].x0, shapes["safe range"].x1) == (1e-4, 1e-2)
    assert shapes["Lightning's pick"].x0 == 3e-2
    assert fig.layout.xaxis.type == "log"


def loss_curve(start: float = 2.3, steps: int = 300) -> np.ndarray:
    s = np.arange(steps)
    return start * np.exp(-s / 60) + 0.1 + 0.01 * np.sin(s)


def test_the_y_range_leaves_out_a_spike_and_a_wild_val_loss_but_keeps_the_curve_whole():
    loss = loss_curve()
    spiky = loss.copy()
    spiky[150] = 1.4e17
    yr = figures.robust_y_range([spiky], log_y=False)
    assert yr.shown[0] < loss.min() and loss.max() < yr.shown[1] < 3  # the whole ordinary curve
    # a val loss of 930 over a training loss of ~2 is clipped too
    assert figures.robust_y_range([loss, [0.5, 930.0, 0.4]], log_y=False).shown[1] < 3
    # on a log axis, in decades
    low, high = figures.robust_y_range([spiky], log_y=True).shown
    assert low < loss.min() and loss.max() < high < 3


@pytest.mark.parametrize("curve", [
    np.linspace(2.3, 700, 300),  # the demo's diverging run climbs for good: all of it shown
    loss_curve(start=10.0),  # a loss that starts at 10 and settles at 0.1: its start shown
    np.full(300, 2.3),  # flat
])
def test_a_curve_without_outliers_keeps_plotlys_autorange(curve):
    yr = figures.robust_y_range([curve], log_y=False)
    assert yr.shown is None
    axis = figures.y_scale(False, yr)
    assert axis["autorange"] is True and "range" not in axis  # a null range breaks plotly.js


def test_a_clipped_spike_gets_one_mark_at_the_edge_saying_its_value():
    loss = loss_curve()
    loss[150:153] = [1e9, 1.4e17, 1e12]  # one stretch off the scale: one mark, at its peak
    steps = np.arange(loss.size)
    fig = figures.time_figure([figures.Line("loss", steps, loss, "raw"),
                               figures.Line("smoothed", steps, ema(loss, 0.6), "smooth")],
                              title="t", y_title="loss")
    assert fig.layout.yaxis.range[1] < 3
    (clip,) = [t for t in fig.data if t.name == "off the scale"]
    assert list(clip.x) == [151] and list(clip.text) == ["1.4e+17"]
    assert clip.yaxis == "y8" and fig.layout.yaxis8.range == (0, 1)  # on the top edge


def test_events_get_one_legend_entry_per_kind():
    events = [Event(10, 0.0, keys.EVENT_DIAGNOSIS, {"status": "healthy"}),
              Event(20, 0.0, keys.EVENT_ACTION, {"action": "stop"}),
              Event(30, 0.0, keys.EVENT_DIAGNOSIS, {"status": "diverging"})]
    line = figures.Line("loss", np.arange(40), loss_curve(steps=40))
    fig = figures.time_figure_dict([line], title="t", y_title="loss", events=events,
                                   band=(1e-4, 1e-2))
    names = [t["name"] for t in fig["data"]]
    assert names == ["loss", "diagnosis change", "guard action", "typical 0.0001–0.01"]
    assert fig["data"][1]["x"] == [10, 30] and fig["data"][1]["marker"]["symbol"] == [
        "diamond", "diamond"]
    assert "annotations" not in fig["layout"]  # the band note lives in the legend


def test_range_tests_are_kept_off_the_compare_panels_in_a_loss_vs_lr_figure(store):
    test = store.create_run("range-test", {"kind": "range_test"}).id
    s = np.arange(50)
    lr = np.geomspace(1e-5, 1, s.size)
    store.backend.append(test, {keys.LR: (s, lr), keys.LOSS: (s, np.linspace(2, 1, s.size))})
    fig = figures.range_tests_figure_dict(store, [store.run(test)])
    assert fig["layout"]["xaxis"]["type"] == "log"
    assert fig["data"][0]["x"][0] == 1e-05 and fig["data"][0]["name"] == "range-test"


def test_logged_metrics_are_panels_of_their_own(store):
    run = fill_run(store, "logged", 100)
    store.backend.append(run, {keys.logged_key("val_acc"): (np.array([49, 99]),
                                                            np.array([0.5, 0.7]))})
    assert figures.logged_keys(store.keys(run)) == ["logged/val_acc"]
    fig = lrwatch.plot(store, "logged", "logged/val_acc", diagnosis=False)
    assert list(fig.data[0].y) == [0.5, 0.7] and fig.layout.yaxis.title.text == "val_acc"
    with pytest.raises(ConfigError, match="logged metric"):
        lrwatch.plot(store, "logged", "val_acc")


def test_a_log_axis_over_a_few_decades_is_ticked_at_1_2_5_not_every_digit():
    few = figures.robust_y_range([np.geomspace(0.3, 3, 100)], log_y=True)
    assert figures.y_scale(True, few)["dtick"] == "D2"  # 0.3, 0.5, 1, 2, 3: no pile-up
    many = figures.robust_y_range([np.geomspace(1e-6, 10, 100)], log_y=True)
    assert "dtick" not in figures.y_scale(True, many)  # plotly's decades


def test_a_compare_of_one_run_says_one_run(two_runs, store_path):
    figure = lrwatch.plot(store_path, ["steady"], kind="loss")
    assert figure.layout.title.text == "Training loss: 1 run"  # was "1 runs"
    assert lrwatch.plot(store_path, ["steady", "nan-run"], kind="lr").layout.title.text == (
        "Learning rate: 2 runs")
