"""Live graphs: build a figure once, then every poll send only the points that are new.

A graph's state is a small JSON dict kept in the browser (``dcc.Store``): per trace, the last
step sent (the cursor) and how many points the browser holds. Each poll reads ``step > cursor``
from the store and appends it with ``Patch().extend`` — O(new points), never the whole series.

Long runs stay light: a full build downsamples each trace to :data:`~lrwatch.figures.MAX_POINTS`
(MinMaxLTTB) and notes the density (steps per point); each poll appends new points at that
density (min-max of the new chunk, so a spike is never dropped). When a trace has grown to
:data:`REBUILD_FACTOR` times its budget, the graph is re-aggregated. A zoom re-reads the visible
window at full density, and pins the axis to it. The smoothed loss continues with the same
EMA on a window long enough that the continuation matches a full recomputation to ~1e-6.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from dash import Patch, no_update

from lrwatch import figures, keys
from lrwatch.analysis.smoothing import ema
from lrwatch.figures import MAX_HEATMAP_COLUMNS, MAX_POINTS, Line, Panel, Shade, TraceSpec
from lrwatch.store import RunInfo, Store

#: a trace may grow to this many times its point budget before the graph is re-aggregated
REBUILD_FACTOR = 2
#: the EMA continuation is exact up to this relative weight of the points it leaves out
EMA_TOLERANCE = 1e-6

State = dict[str, Any]


# -- time graphs ------------------------------------------------------------------------------

def trace_entry(run: RunInfo, spec: TraceSpec, name: str | None = None,
                color: str | None = None) -> dict[str, Any]:
    """One trace of a graph: which series feeds it and how it is drawn."""
    return {"run": run.id, "key": spec.key, "style": spec.style, "name": name or spec.label,
            "color": color}


def view_key(*parts: Any) -> tuple[Any, ...]:
    """A hashable name of one graph view (what a shared build is cached under): the parts as
    given, trace entries as tuples of their fields."""
    return tuple(tuple(tuple(t.items()) for t in part) if isinstance(part, list) else part
                 for part in parts)


def build_time_graph(store: Store, panel: Panel, traces: Sequence[dict[str, Any]], *,
                     title: str, smoothing: float, log_y: bool,
                     window: tuple[float, float] | None = None, events_run: RunInfo | None = None,
                     shade: Shade | None = None, note: str | None = None) -> tuple[Any, State]:
    """A full figure (downsampled) and the state its live updates start from."""
    lines: list[Line] = []
    entries = []
    span_lo, span_hi = math.inf, -math.inf
    raw: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}  # loss feeds two traces
    full_values = []  # what the y range is read from: every point in view, not the drawn ones
    for t in traces:
        spec = TraceSpec(t["key"], t["style"], t["name"])
        series = (t["run"], t["key"])
        if series not in raw:
            raw[series] = store.scalars(*series)
        steps, values = figures.load_series(store, t["run"], spec, smoothing=smoothing,
                                            raw=raw[series])
        line = figures.to_line(steps, values, spec, window=window, name=t["name"],
                               color=t["color"])
        if steps.size:
            span_lo, span_hi = min(span_lo, int(steps[0])), max(span_hi, int(steps[-1]))
        # the raw values: a smoothed line lies within them, but an EMA spreads a spike over
        # dozens of steps, which a quantile would take for ordinary values
        raw_steps, raw_values = raw[series]
        full_values.append(raw_values if window is None else
                           raw_values[(raw_steps >= window[0]) & (raw_steps <= window[1])])
        lines.append(line)
        entries.append({**t, "cursor": int(steps[-1]) if steps.size else -1,
                        "shown": len(line.steps), "stride": _stride(steps)})
    events = store.events(events_run) if events_run is not None else None
    y_range = figures.robust_y_range(full_values, log_y)
    fig = figures.time_figure_dict(lines, title=title, y_title=panel.y_title, log_y=log_y,
                                   band=panel.band, shade=shade, events=events, y_range=y_range)
    if note and not any(np.asarray(line.steps).size for line in lines):
        fig["layout"].setdefault("annotations", []).append(_note(note))
    _keep_window(fig, window)
    if window is not None:
        span_lo, span_hi = window
    spp = max(1.0, (span_hi - span_lo + 1) / MAX_POINTS) if span_hi >= span_lo else 1.0
    strip = None
    if events_run is not None and events is not None:
        kinds = figures.event_kinds(e.kind for e in events)
        strip = {"run": events_run.id, "cursor": events[-1].step if events else -1,
                 "index": {kind: len(lines) + i for i, kind in enumerate(kinds)}}
    state: State = {
        "kind": "time", "panel": panel.name, "traces": entries, "spp": spp,
        "window": list(window) if window else None, "smoothing": smoothing, "log_y": log_y,
        "events": strip, "shade": _shade_json(shade),
        "y_range": None if y_range is None else [list(y_range.fences),
                                                 list(y_range.shown) if y_range.shown else None],
    }
    return fig, state


def update_time_graph(store: Store, state: State, *, shade: Shade | None = None
                      ) -> tuple[Any, State | None]:
    """New points since the state's cursors as a ``Patch`` (or ``no_update``), and the new
    state; ``(None, None)`` when the graph must be rebuilt: it has outgrown its budget, a new
    point is an outlier (a spike to clip), or an event of a new kind needs its own trace.
    Ordinary values that grow past a clipped axis widen it in the patch."""
    patch = Patch()
    changed = False
    state = {**state, "traces": [dict(t) for t in state["traces"]]}
    y_range = _y_range(state)
    for i, t in enumerate(state["traces"]):
        steps, values = _new_points(store, t, state["smoothing"])
        if steps.size == 0:
            continue
        drawable = _drawable(_in_view(steps, values, state["window"]), state["log_y"])
        if y_range is None or y_range.beyond_fences(drawable):
            return None, None  # a spike to clip and mark: build the graph again
        if y_range.outside(drawable):  # ordinary values past a clipped axis: widen it
            y_range = y_range.widened(drawable, state["log_y"])
            patch["layout"]["yaxis"]["range"] = figures.y_scale(state["log_y"],
                                                                y_range)["range"]
            state["y_range"] = [list(y_range.fences), list(y_range.shown)]
            changed = True
        steps, values = _thin(steps, values, state["spp"])
        patch["data"][i]["x"].extend(figures.int_list(steps))
        patch["data"][i]["y"].extend(figures.compact(values))
        t["cursor"] = int(t.pop("_last"))
        patch["layout"]["xaxis"]["autorangeoptions"]["maxallowed"] = max(
            int(tr["cursor"]) for tr in state["traces"])
        t["shown"] += int(steps.size)
        changed = True
        if t["shown"] > REBUILD_FACTOR * MAX_POINTS:
            return None, None
    ev = state.get("events")
    if ev is not None:
        new_events = store.events(ev["run"], after_step=ev["cursor"])
        if any(e.kind not in ev["index"] for e in new_events):
            return None, None
        for kind, group in figures.events_by_kind(new_events):
            x, text, symbol, color = figures.event_marks(group)
            k = ev["index"][kind]
            patch["data"][k]["x"].extend(x)
            patch["data"][k]["y"].extend([figures.EVENT_Y] * len(x))
            patch["data"][k]["hovertext"].extend(text)
            patch["data"][k]["marker"]["symbol"].extend(symbol)
            patch["data"][k]["marker"]["color"].extend(color)
        if new_events:
            state["events"] = {**ev, "cursor": new_events[-1].step}
            changed = True
    shade_json = _shade_json(shade)
    if shade_json != state.get("shade"):
        panel = figures.panel_named(state["panel"])
        patch["layout"]["shapes"] = figures.panel_shapes(panel.band, shade)
        state["shade"] = shade_json
        changed = True
    return (patch if changed else no_update), state


def _new_points(store: Store, t: dict[str, Any], smoothing: float) -> tuple[np.ndarray, np.ndarray]:
    """Points of one trace after its cursor; for a smoothed trace, the EMA of the new points
    computed over a window long enough to carry the average over."""
    cursor = int(t["cursor"])
    steps, values = store.scalars(t["run"], t["key"], after_step=cursor)
    if steps.size == 0:
        return steps, values
    t["_last"] = int(steps[-1])
    if t["style"] != "smooth" or smoothing <= 0 or cursor < 0:
        if t["style"] == "smooth" and smoothing > 0:  # nothing sent yet: smooth from the start
            values = ema(values, smoothing)
        return steps, values
    carry = math.ceil(math.log(EMA_TOLERANCE) / math.log(smoothing))
    back = carry * max(1, int(t.get("stride") or 1))
    w_steps, w_values = store.scalars(t["run"], t["key"], after_step=cursor - back)
    smoothed = ema(w_values, smoothing)
    keep = w_steps > cursor
    return w_steps[keep], smoothed[keep]


def _y_range(state: State) -> figures.YRange | None:
    """The y range a graph was built with (None when it had nothing to draw)."""
    saved = state.get("y_range")
    if not saved:
        return None
    fences, shown = saved
    return figures.YRange(tuple(fences), tuple(shown) if shown else None)  # type: ignore[arg-type]


def _in_view(steps: np.ndarray, values: np.ndarray, window: list[float] | None) -> np.ndarray:
    """The values a zoomed graph shows (all of them when it autoranges): points that arrive
    past a zoom's right edge are appended but must not rescale, or rebuild, the view."""
    if not window:
        return values
    return values[(steps >= window[0]) & (steps <= window[1])]


def _drawable(values: np.ndarray, log_y: bool) -> np.ndarray:
    """The values an axis can show (positive ones on a log axis)."""
    return values[values > 0] if log_y else values


def _thin(steps: np.ndarray, values: np.ndarray, spp: float) -> tuple[np.ndarray, np.ndarray]:
    """A new chunk at the density of the points already shown (two points, min and max, per
    ``spp`` steps; at least four), so appending never sends more than the view can show."""
    span = int(steps[-1]) - int(steps[0]) + 1
    budget = max(4, 2 * math.ceil(span / spp))
    return figures.downsample(steps, values, budget)


def _keep_window(fig: dict[str, Any], window: tuple[float, float] | None) -> None:
    """Pin the x axis to the zoomed window a figure was built for (plotly's ``uirevision``
    alone loses a zoom when a whole new figure replaces an autoranged one)."""
    if window is None:
        fig["layout"]["xaxis"]["autorange"] = True
    else:
        fig["layout"]["xaxis"].update(range=list(window), autorange=False)


def empty_figure(note: str, height: int = 160) -> dict[str, Any]:
    """A graph with nothing to draw yet, saying why."""
    fig = figures.time_figure_dict([], title="", y_title="", height=height)
    fig["layout"]["annotations"] = [_note(note)]
    fig["layout"]["xaxis"]["visible"] = fig["layout"]["yaxis"]["visible"] = False
    return fig


def _note(text: str) -> dict[str, Any]:
    """A grey line of text in the middle of an empty plot."""
    return {"text": text, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
            "showarrow": False, "font": {"color": "#888"}}


def _stride(steps: np.ndarray) -> int:
    """Typical step spacing of a series (1 when every step is recorded)."""
    if steps.size < 2:
        return 1
    return max(1, int(np.median(np.diff(steps[-256:]))))


def _shade_json(shade: Shade | None) -> list[Any] | None:
    return None if shade is None else [shade.start, shade.end, shade.status]


# -- the per-layer heatmap --------------------------------------------------------------------

def build_heatmap(store: Store, run: RunInfo, *, window: tuple[float, float] | None = None
                  ) -> tuple[Any, State]:
    """The per-layer gradient-norm heatmap and the state its live updates start from."""
    grid = figures.layer_heatmap(store, run, window=window)
    if not grid.layers:
        fig = figures.heatmap_figure_dict(grid, height=160)
        fig["layout"]["annotations"] = [
            _note("no per-layer gradient norms recorded (grad_norm/<layer>)")]
    else:
        fig = figures.heatmap_figure_dict(grid)
    _keep_window(fig, window)
    return fig, {"kind": "heat", "run": run.id, "layers": grid.layers,
                 "n_keys": len(figures.layer_keys(store.keys(run))), "start": grid.start,
                 "width": grid.width, "count": max(0, len(grid.edges) - 1),
                 "end": grid.edges[-1] if grid.edges else None,
                 "window": list(window) if window else None}


def update_heatmap(store: Store, state: State) -> tuple[Any, State | None]:
    """Bring the heatmap up to the run's last step: the last bin, which was partial, again, and
    the bins begun since; ``(None, None)`` to rebuild (new layers, or too many columns)."""
    if state.get("window"):
        return no_update, state
    run = store.run(state["run"])
    if len(figures.layer_keys(store.keys(run))) != state["n_keys"]:
        return None, None  # a layer appeared (or the first ones did): lay the rows out again
    if not state["layers"]:
        return no_update, state
    start, width, count = state["start"], state["width"], state["count"]
    last = int(run.last_step or 0)
    if last + 0.5 <= state.get("end", -math.inf):
        return no_update, state
    total = max(count, math.ceil((last + 1 - start) / width))
    if total > REBUILD_FACTOR * MAX_HEATMAP_COLUMNS:
        return None, None
    redo = count - 1  # the last bin shown may have been partial: it is sent again
    first = start + redo * width
    n = total - redo
    patch = Patch()
    for i, layer in enumerate(state["layers"]):
        steps, values = store.scalars(run, f"{keys.GRAD_NORM}/{layer}", after_step=first - 1)
        for trace, cells in ((0, figures.layer_bins(steps, values, first, width, n)),
                             (1, figures.zero_bins(steps, values, first, width, n))):
            patch["data"][trace]["z"][i][redo] = cells[0]
            patch["data"][trace]["z"][i].extend(cells[1:])
    edges = figures.bin_edges(start, width, redo, n, last)
    for trace in (0, 1):
        patch["data"][trace]["x"][count] = edges[1]
        patch["data"][trace]["x"].extend(edges[2:])
    return patch, {**state, "count": total, "end": edges[-1]}


# -- one poll of one graph --------------------------------------------------------------------

#: runs in the browser on every relayout (zoom, pan, double click, resize): the x range the
#: graph really shows, or null when it autoranges. ``relayoutData`` alone holds only the last
#: event, and plotly follows a zoom with an ``autosize`` event that would hide it.
VIEW_JS = """
function(relayout, shown, graphId) {
    const gd = document.querySelector('#' + graphId + ' .js-plotly-plot');
    if (!gd || !gd.layout || !gd.layout.xaxis) { return window.dash_clientside.no_update; }
    const ax = gd.layout.xaxis;
    const view = (ax.autorange || !ax.range) ? null : [Number(ax.range[0]), Number(ax.range[1])];
    return JSON.stringify(view) === JSON.stringify(shown) ? window.dash_clientside.no_update : view;
}
"""


def register_view(app: Any, graph_id: str) -> None:
    """Keep ``<graph_id>-view`` equal to the x range the graph shows (None: autorange)."""
    from dash import Input, Output, State

    app.clientside_callback(VIEW_JS, Output(f"{graph_id}-view", "data"),
                            Input(graph_id, "relayoutData"), State(f"{graph_id}-view", "data"),
                            State(graph_id, "id"))


def refresh(state: State | None, *, rebuild: bool, view: list[float] | None,
            build: Any, update: Any) -> tuple[Any, Any]:
    """Decide what one graph sends on this poll: a full figure, a ``Patch``, or nothing.

    The zoom comes from the graph's view (see :data:`VIEW_JS`) and is compared with the window
    the state was built for, whatever triggered the call: Dash drops a callback's answer when
    the same callback is asked again before it returns, so a poll right after a zoom must
    notice the zoom on its own.

    Args:
        state: the graph's state from the browser (None before the first build).
        rebuild: the view's settings changed (smoothing): build again, keeping the zoom.
        view: the x range the graph shows, or None when it autoranges.
        build: ``window -> (figure, state)``; update: ``state -> (patch, state)``, where a
            ``None`` state asks for a rebuild.
    """
    window = tuple(state["window"]) if state and state.get("window") else None
    wanted = _window(view)
    if state is None or rebuild or wanted != window:
        return build(wanted)
    figure, new_state = update(state)
    if new_state is None:
        return build(window)
    if figure is no_update and new_state == state:
        return no_update, no_update
    return figure, new_state


def _window(view: Any) -> tuple[float, float] | None:
    """A valid ``[lo, hi]`` step range from the browser, else None (the whole run)."""
    try:
        lo, hi = float(view[0]), float(view[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    return (lo, hi) if math.isfinite(lo) and math.isfinite(hi) and lo < hi else None
