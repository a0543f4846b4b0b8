"""``/sweeps``: the store's runs that differ only in the learning rate, read together.

One graph per sweep: final loss against LR with the fitted curve, the best-LR estimate and its
band (``lrwatch.figures.sweep_figure_dict``); a click on a run's point opens its page, and the
runs are listed as links too. Built when the page opens (sweeps are read after the fact).
"""

from __future__ import annotations

from typing import Any

from dash import ALL, Dash, Input, Output, dcc, html, no_update

from lrwatch import figures
from lrwatch.errors import LRWatchError

from .. import components
from ..data import DataSource, StoreProblem


def layout(source: DataSource) -> html.Div:
    from lrwatch.sweeps import find_sweeps, store_members

    try:
        with source.open() as store:
            found = store_members(store)
    except (StoreProblem, LRWatchError) as exc:
        return html.Div([html.H2("Sweeps"), html.P(str(exc), className="problem"),
                         dcc.Link("back to the runs", href="/")])
    ids = {m.name: run_id for run_id, m in found}
    sweeps = find_sweeps([m for _, m in found])
    if not sweeps:
        return html.Div([html.H2("Sweeps"), html.P(
            "No sweep here: a sweep is 3 or more runs of one model and setup (same model, "
            "parameter count, optimizer settings, schedule, batch size, hyperparameters) at "
            "different learning rates."), dcc.Link("back to the runs", href="/")])
    return html.Div([
        dcc.Location(id="sweep-nav", refresh="callback-nav"),
        html.H2("Sweeps"),
        *[_section(i, s.reading, ids) for i, s in enumerate(sweeps)],
    ], className="sweep-page")


def _section(index: int, reading: Any, ids: dict[str, int]) -> html.Div:
    links = {name: f"/run/{run_id}" for name, run_id in ids.items()}
    figure = figures.sweep_figure_dict(reading, links=links, title=f"Sweep {index + 1}")
    rows = [html.Li([dcc.Link(r.name, href=links[r.name]), f" · LR {components.fmt_lr(r.lr)} · ",
                     html.Span(r.position.replace("_", " "),
                               style={"color": figures.POSITION_COLORS[r.position]}),
                     *([f" · try {components.fmt_lr(r.suggested_lr)}"]
                       if r.suggested_lr is not None and r.position != "near_best" else [])],
                    **components.data_attrs(position=r.position))
            for r in reading.runs]
    return html.Div([
        html.P(reading.summary, className="summary"),
        dcc.Graph(id={"type": "sweep-graph", "index": index}, figure=figure,
                  config={"displaylogo": False, "responsive": True}),
        html.Ul(rows, className="sweep-runs"),
    ], className="sweep")


def register(app: Dash, source: DataSource) -> None:
    @app.callback(Output("sweep-nav", "href"),
                  Input({"type": "sweep-graph", "index": ALL}, "clickData"),
                  prevent_initial_call=True)
    def open_run(clicks: list[Any]) -> Any:
        """A click on a run's point opens that run's page."""
        for click in clicks:
            for point in (click or {}).get("points", []):
                href = point.get("customdata")
                if isinstance(href, str) and href.startswith("/run/"):
                    return href
        return no_update
