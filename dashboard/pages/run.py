"""``/run/<id>``: one run, live. The diagnosis banner, then loss, LR, gradient norms (global and
per layer), update ratio, step time and the metrics the user logged (one at a time, picked in a
dropdown), each graph fed by its own callback so one graph's update can never hold back (or
break) another's."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from lrwatch import figures
from lrwatch.errors import RunNotFound
from lrwatch.store import RUNNING, RunInfo, Store

from .. import components, live
from ..data import DataSource, StoreProblem

TIME_PANELS = ("loss", "lr", "grad_norm", "update_ratio", "step_time")
DEFAULT_SMOOTHING = 0.6


def layout(source: DataSource, run_id: int) -> html.Div:
    try:
        with source.open() as store:
            info = store.run(run_id)
    except (StoreProblem, RunNotFound) as exc:
        return html.Div([html.H2(f"Run {run_id}"), html.P(str(exc), className="problem"),
                         dcc.Link("back to the runs", href="/")])
    extra = []
    test = None
    try:
        with source.open() as store:
            test = figures.linked_range_test(store, info)
    except StoreProblem:
        pass
    if test is not None and test.id != info.id:
        extra.append(dcc.Link("LR range test before this run", href=f"/range/{test.id}",
                              className="nav-link"))
    return html.Div([
        dcc.Store(id="run-ref", data=run_id),
        dcc.Store(id="banner-sig"),
        html.H2(info.name, className="run-name"),
        html.Div(components.run_summary(info), id="run-summary", className="summary"),
        html.Div(extra, className="nav"),
        html.Div(id="banner"),
        html.Div([
            html.Label(["smoothing ", dcc.Slider(
                id="smoothing", min=0, max=0.99, step=0.01, value=DEFAULT_SMOOTHING,
                marks={0: "0", 0.6: "0.6", 0.9: "0.9", 0.99: "0.99"},
                tooltip={"placement": "bottom"}, className="slider")], className="control"),
            dcc.Checklist(id="loss-log", options=[{"label": " log-scale loss", "value": "log"}],
                          value=[], className="control"),
        ], className="toolbar"),
        html.Div([
            components.graph("g-loss", wide=True),
            *(components.graph(f"g-{p}") for p in TIME_PANELS[1:]),
            components.graph("g-layers", wide=True),
            components.logged_graph("g-logged", "logged-metric", _logged_options(source, info)),
        ], className="graphs"),
        components.meta_table(info.meta),
    ], className="run-page")


def _logged_options(source: DataSource, run: RunInfo) -> list[dict[str, str]]:
    try:
        with source.open() as store:
            return components.logged_options(store.keys(run))
    except StoreProblem:
        return []


def _shade(source: DataSource, run: RunInfo) -> figures.Shade | None:
    result = source.diagnoses.get(run)
    return figures.diagnosis_shade(result.diagnosis, run)


def _build(store: Store, source: DataSource, run: RunInfo, panel_name: str, *,
           smoothing: float, log_y: bool | None, window: Any) -> tuple[Any, Any]:
    panel = figures.panel_named(panel_name)
    available = store.keys(run)
    traces = [live.trace_entry(run, spec)
              for spec in figures.run_traces(panel, available, run.meta)]
    return source.builds.get(
        live.view_key("run", panel_name, traces, smoothing, log_y, window),
        (run.last_step, run.status),
        lambda: live.build_time_graph(
            store, panel, traces, title=panel.title, smoothing=smoothing,
            log_y=panel.log_y if log_y is None else log_y, window=window,
            events_run=run if panel_name == "loss" else None, shade=_shade(source, run),
            note=_missing_note(run, panel_name, available)))


def _missing_note(run: RunInfo, panel_name: str, available: list[str]) -> str:
    """What an empty panel says: "yet" only while the run runs; an empty loss panel points at
    the losses the run logged instead (a GAN's ``g_loss`` and ``d_loss``)."""
    note = f"no {panel_name} recorded" + (" yet" if run.status == RUNNING else "")
    logged = [k[len(figures.LOGGED_PREFIX):] for k in figures.logged_keys(available)
              if "loss" in k]
    if panel_name == "loss" and logged:
        note += f"; this run logged {', '.join(logged[:3])}: see 'logged metric' below"
    return note


def _register_time_panel(app: Dash, source: DataSource, panel_name: str) -> None:
    graph_id = f"g-{panel_name}"
    live.register_view(app, graph_id)
    inputs = [Input("tick", "n_intervals"), Input(f"{graph_id}-view", "data")]
    if panel_name == "loss":
        inputs += [Input("smoothing", "value"), Input("loss-log", "value")]

    @app.callback(Output(graph_id, "figure"), Output(f"{graph_id}-state", "data"), *inputs,
                  State(f"{graph_id}-state", "data"), State("run-ref", "data"))
    def poll(_tick: int | None, view: Any, *rest: Any) -> Any:
        # Settings are compared with the state, not read from the trigger: Dash drops an
        # answer when the same callback is asked again before it returns.
        smoothing, log_value = (rest[0], rest[1]) if panel_name == "loss" else (None, None)
        state, run_id = rest[-2], rest[-1]
        smoothing = DEFAULT_SMOOTHING if smoothing is None else float(smoothing)
        log_y = bool(log_value) if panel_name == "loss" else None
        # a new scale has its own ordinary range (in decades on a log axis): build again
        rebuild = state is not None and panel_name == "loss" and (
            state["smoothing"] != smoothing or state["log_y"] != log_y)
        try:
            with source.open() as store:
                run = store.run(run_id)
                return live.refresh(
                    state, rebuild=rebuild, view=view,
                    build=lambda window: _build(store, source, run, panel_name,
                                                smoothing=smoothing, log_y=log_y, window=window),
                    update=lambda st: live.update_time_graph(store, st, shade=_shade(source, run)))
        except (StoreProblem, RunNotFound):
            return no_update, no_update


def _register_logged(app: Dash, source: DataSource) -> None:
    """The logged-metric graph: the metric picked in the dropdown (the first, validation
    metrics first, until one is picked); the dropdown learns metrics logged later."""
    live.register_view(app, "g-logged")

    @app.callback(Output("g-logged", "figure"), Output("g-logged-state", "data"),
                  Output("logged-metric", "options"), Output("logged-metric", "value"),
                  Input("tick", "n_intervals"), Input("g-logged-view", "data"),
                  Input("logged-metric", "value"),
                  State("g-logged-state", "data"), State("run-ref", "data"),
                  State("logged-metric", "options"))
    def poll(_tick: int | None, view: Any, picked: str | None, state: Any, run_id: int,
             shown_options: list[dict[str, str]] | None) -> Any:
        try:
            with source.open() as store:
                run = store.run(run_id)
                options = components.logged_options(store.keys(run))
                values = [o["value"] for o in options]
                metric = picked if picked in values else (values[0] if values else None)
                new_options = options if options != (shown_options or []) else no_update
                new_value = metric if metric != picked else no_update
                if metric is None:
                    if state is not None:
                        return no_update, no_update, new_options, new_value
                    return (live.empty_figure("no metrics logged with self.log yet"), None,
                            new_options, new_value)
                figure, new_state = live.refresh(
                    state, rebuild=state is not None and state["panel"] != metric, view=view,
                    build=lambda window: _build(store, source, run, metric,
                                                smoothing=DEFAULT_SMOOTHING, log_y=None,
                                                window=window),
                    update=lambda st: live.update_time_graph(store, st, shade=_shade(source, run)))
                return figure, new_state, new_options, new_value
        except (StoreProblem, RunNotFound):
            return no_update, no_update, no_update, no_update


def register(app: Dash, source: DataSource) -> None:
    for panel_name in TIME_PANELS:
        _register_time_panel(app, source, panel_name)
    _register_logged(app, source)

    live.register_view(app, "g-layers")

    @app.callback(Output("g-layers", "figure"), Output("g-layers-state", "data"),
                  Input("tick", "n_intervals"), Input("g-layers-view", "data"),
                  State("g-layers-state", "data"), State("run-ref", "data"))
    def layers(_tick: int | None, view: Any, state: Any, run_id: int) -> Any:
        try:
            with source.open() as store:
                run = store.run(run_id)
                return live.refresh(
                    state, rebuild=False, view=view,
                    build=lambda window: source.builds.get(
                        live.view_key("layers", run.id, window), run.last_step,
                        lambda: live.build_heatmap(store, run, window=window)),
                    update=lambda st: live.update_heatmap(store, st))
        except (StoreProblem, RunNotFound):
            return no_update, no_update

    @app.callback(Output("run-summary", "children"), Output("banner", "children"),
                  Output("banner-sig", "data"),
                  Input("tick", "n_intervals"), State("run-ref", "data"),
                  State("banner-sig", "data"))
    def header(_tick: int | None, run_id: int, shown: str | None) -> Any:
        try:
            with source.open() as store:
                run = store.run(run_id)
        except (StoreProblem, RunNotFound):
            return no_update, no_update, no_update
        result = source.diagnoses.get(run)
        d = result.diagnosis
        signature = repr((result.pending and d is None, result.error,
                          d.to_dict() if d is not None else None))
        banner = (components.diagnosis_banner(result, run) if signature != shown
                  else no_update)
        return components.run_summary(run), banner, signature
