"""``/compare?runs=1,2,3``: several runs overlaid, aligned by step, live."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from lrwatch import figures
from lrwatch.errors import RunNotFound
from lrwatch.figures import PANELS
from lrwatch.store import RunInfo, Store

from .. import components, live
from ..data import DataSource, StoreProblem

COMPARE_PANELS = ("loss", "lr", "grad_norm", "update_ratio")
DEFAULT_SMOOTHING = 0.6


def layout(source: DataSource, run_ids: list[int]) -> html.Div:
    if len(run_ids) < 1:
        return html.Div([html.H2("Compare runs"),
                         html.P("Tick two or more runs in the run list to compare them."),
                         dcc.Link("back to the runs", href="/")])
    try:
        with source.open() as store:
            infos = [store.run(i) for i in run_ids]
    except (StoreProblem, RunNotFound) as exc:
        return html.Div([html.H2("Compare runs"), html.P(str(exc), className="problem"),
                         dcc.Link("back to the runs", href="/")])
    return html.Div([
        dcc.Store(id="compare-ref", data=run_ids),
        html.H2("Compare runs"),
        html.Ul([html.Li(dcc.Link(r.name, href=f"/run/{r.id}")) for r in infos],
                className="compare-list"),
        html.Label(["loss smoothing ", dcc.Slider(
            id="compare-smoothing", min=0, max=0.99, step=0.01, value=DEFAULT_SMOOTHING,
            marks={0: "0", 0.6: "0.6", 0.9: "0.9", 0.99: "0.99"}, className="slider")],
            className="control"),
        html.Div([components.graph(f"c-{p}", wide=p == "loss") for p in COMPARE_PANELS],
                 className="graphs"),
    ], className="compare-page")


def _traces(store: Store, runs: list[RunInfo], panel_name: str) -> list[dict[str, Any]]:
    panel = PANELS[panel_name]
    colorway = figures.colorway()
    traces = []
    for i, run in enumerate(runs):
        for spec in figures.compare_traces(panel, store.keys(run)):
            traces.append(live.trace_entry(run, spec, name=run.name,
                                           color=colorway[i % len(colorway)]))
    return traces


def _build(source: DataSource, store: Store, panel: Any, traces: list[dict[str, Any]],
           runs: list[RunInfo], *, smoothing: float, window: Any) -> tuple[Any, Any]:
    return source.builds.get(
        live.view_key("compare", panel.name, traces, smoothing, window),
        tuple(run.last_step for run in runs),
        lambda: live.build_time_graph(
            store, panel, traces, title=f"{panel.title}: {len(runs)} runs", smoothing=smoothing,
            log_y=panel.log_y, window=window, note=f"no {panel.name} recorded yet"))


def _register_panel(app: Dash, source: DataSource, panel_name: str) -> None:
    graph_id = f"c-{panel_name}"
    live.register_view(app, graph_id)

    @app.callback(Output(graph_id, "figure"), Output(f"{graph_id}-state", "data"),
                  Input("tick", "n_intervals"), Input(f"{graph_id}-view", "data"),
                  Input("compare-smoothing", "value"),
                  State(f"{graph_id}-state", "data"), State("compare-ref", "data"))
    def poll(_tick: int | None, view: Any, smoothing: float | None, state: Any,
             run_ids: list[int]) -> Any:
        smoothing = DEFAULT_SMOOTHING if smoothing is None else float(smoothing)
        panel = PANELS[panel_name]
        try:
            with source.open() as store:
                runs = [store.run(i) for i in run_ids]
                known = None if state is None else [t["key"] for t in state["traces"]]
                traces = _traces(store, runs, panel_name)
                regrown = state is not None and len(traces) != len(known or [])
                return live.refresh(
                    state, rebuild=regrown or (panel_name == "loss" and state is not None
                                               and state["smoothing"] != smoothing),
                    view=view,
                    build=lambda window: _build(source, store, panel, traces, runs,
                                                smoothing=smoothing, window=window),
                    update=lambda st: live.update_time_graph(store, st))
        except (StoreProblem, RunNotFound):
            return no_update, no_update


def register(app: Dash, source: DataSource) -> None:
    for panel_name in COMPARE_PANELS:
        _register_panel(app, source, panel_name)
