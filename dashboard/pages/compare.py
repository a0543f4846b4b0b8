"""``/compare?runs=1,2,3``: several runs overlaid, aligned by step, live; the metrics the runs
logged (one at a time, picked in a dropdown); range tests in a loss-vs-LR panel of their own,
never on the by-step panels (their LR sweeps decades and would flatten the runs' LR)."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from lrwatch import figures, formatting, keys
from lrwatch.errors import RunNotFound
from lrwatch.figures import PANELS
from lrwatch.store import RunInfo, Store

from .. import components, live
from ..data import DataSource, StoreProblem

COMPARE_PANELS = ("loss", "lr", "grad_norm", "update_ratio")
DEFAULT_SMOOTHING = 0.6


def is_range_test(run: RunInfo) -> bool:
    return keys.is_range_test(run.meta)


def layout(source: DataSource, run_ids: list[int]) -> html.Div:
    if len(run_ids) < 1:
        return html.Div([html.H2("Compare runs"),
                         html.P("Tick two or more runs in the run list to compare them."),
                         dcc.Link("back to the runs", href="/")])
    try:
        with source.open() as store:
            infos = [store.run(i) for i in run_ids]
            tests = [r for r in infos if is_range_test(r)]
            trained = [r for r in infos if not is_range_test(r)]
            logged = components.logged_options(k for r in trained for k in store.keys(r))
            range_tests = (figures.range_tests_figure_dict(store, tests) if tests else None)
    except (StoreProblem, RunNotFound) as exc:
        return html.Div([html.H2("Compare runs"), html.P(str(exc), className="problem"),
                         dcc.Link("back to the runs", href="/")])
    sections: list[Any] = [components.graph(f"c-{p}", wide=p == "loss") for p in COMPARE_PANELS]
    if trained:
        sections.append(components.logged_graph("c-logged", "compare-logged-metric", logged))
    if range_tests is not None:
        sections.append(html.Div(dcc.Graph(id="c-range-tests", figure=range_tests,
                                           config={"displaylogo": False}),
                                 className="graph wide"))
    return html.Div([
        dcc.Store(id="compare-ref", data=[r.id for r in trained]),
        html.H2("Compare runs"),
        html.Ul([html.Li(dcc.Link(r.name, href=f"/{'range' if is_range_test(r) else 'run'}/{r.id}"))
                 for r in infos], className="compare-list"),
        html.Div([
            html.Label(["loss smoothing ", dcc.Slider(
                id="compare-smoothing", min=0, max=0.99, step=0.01, value=DEFAULT_SMOOTHING,
                marks={0: "0", 0.6: "0.6", 0.9: "0.9", 0.99: "0.99"}, className="slider")],
                className="control"),
            dcc.Checklist(id="compare-loss-log",
                          options=[{"label": " log-scale loss", "value": "log"}], value=[],
                          className="control"),
        ], className="toolbar"),
        html.Div(sections, className="graphs"),
    ], className="compare-page")


def _traces(store: Store, runs: list[RunInfo], panel: figures.Panel) -> list[dict[str, Any]]:
    colorway = figures.colorway()
    traces = []
    for i, run in enumerate(runs):
        for spec in figures.compare_traces(panel, store.keys(run), run.meta):
            traces.append(live.trace_entry(run, spec, name=run.name,
                                           color=colorway[i % len(colorway)]))
    return traces


def _build(source: DataSource, store: Store, panel: figures.Panel,
           traces: list[dict[str, Any]], runs: list[RunInfo], *, smoothing: float, log_y: bool,
           window: Any) -> tuple[Any, Any]:
    return source.builds.get(
        live.view_key("compare", panel.name, traces, smoothing, log_y, window),
        tuple(run.last_step for run in runs),
        lambda: live.build_time_graph(
            store, panel, traces, title=f"{panel.title}: {formatting.count(len(runs), 'run')}",
            smoothing=smoothing,
            log_y=log_y, window=window, note=f"no {panel.y_title} recorded yet"))


def _poll(source: DataSource, run_ids: list[int], panel_of: Any, state: Any, view: Any, *,
          smoothing: float, log_y: bool | None) -> tuple[Any, Any]:
    """One poll of one compare graph; ``panel_of(store, runs)`` names its panel."""
    with source.open() as store:
        runs = [store.run(i) for i in run_ids]
        panel = panel_of(store, runs)
        y_log = panel.log_y if log_y is None else log_y
        known = None if state is None else [t["key"] for t in state["traces"]]
        traces = _traces(store, runs, panel)
        changed = state is not None and (
            len(traces) != len(known or []) or state["panel"] != panel.name
            or state["smoothing"] != smoothing or state["log_y"] != y_log)
        return live.refresh(
            state, rebuild=changed, view=view,
            build=lambda window: _build(source, store, panel, traces, runs,
                                        smoothing=smoothing, log_y=y_log, window=window),
            update=lambda st: live.update_time_graph(store, st))


def _register_panel(app: Dash, source: DataSource, panel_name: str) -> None:
    graph_id = f"c-{panel_name}"
    live.register_view(app, graph_id)
    inputs = [Input("compare-smoothing", "value")]
    if panel_name == "loss":
        inputs.append(Input("compare-loss-log", "value"))

    @app.callback(Output(graph_id, "figure"), Output(f"{graph_id}-state", "data"),
                  Input("tick", "n_intervals"), Input(f"{graph_id}-view", "data"), *inputs,
                  State(f"{graph_id}-state", "data"), State("compare-ref", "data"))
    def poll(_tick: int | None, view: Any, smoothing: float | None, *rest: Any) -> Any:
        log_value = rest[0] if panel_name == "loss" else None
        state, run_ids = rest[-2], rest[-1]
        # only the loss is smoothed: the other panels keep one build whatever the slider says
        smoothing = DEFAULT_SMOOTHING if smoothing is None or panel_name != "loss" \
            else float(smoothing)
        try:
            return _poll(source, run_ids, lambda store, runs: PANELS[panel_name], state, view,
                         smoothing=smoothing,
                         log_y=bool(log_value) if panel_name == "loss" else None)
        except (StoreProblem, RunNotFound):
            return no_update, no_update


def _register_logged(app: Dash, source: DataSource) -> None:
    live.register_view(app, "c-logged")

    @app.callback(Output("c-logged", "figure"), Output("c-logged-state", "data"),
                  Output("compare-logged-metric", "value"),
                  Input("tick", "n_intervals"), Input("c-logged-view", "data"),
                  Input("compare-logged-metric", "value"),
                  State("c-logged-state", "data"), State("compare-ref", "data"),
                  State("compare-logged-metric", "options"))
    def poll(_tick: int | None, view: Any, picked: str | None, state: Any, run_ids: list[int],
             options: list[dict[str, str]] | None) -> Any:
        values = [o["value"] for o in options or []]
        metric = picked if picked in values else (values[0] if values else None)
        new_value = metric if metric != picked else no_update
        if metric is None:
            if state is not None:
                return no_update, no_update, new_value
            return (live.empty_figure("none of these runs logged a metric with self.log"), None,
                    new_value)
        try:
            figure, new_state = _poll(source, run_ids,
                                      lambda store, runs: figures.panel_named(metric), state,
                                      view, smoothing=DEFAULT_SMOOTHING, log_y=None)
        except (StoreProblem, RunNotFound):
            return no_update, no_update, no_update
        return figure, new_state, new_value


def register(app: Dash, source: DataSource) -> None:
    for panel_name in COMPARE_PANELS:
        _register_panel(app, source, panel_name)
    _register_logged(app, source)
