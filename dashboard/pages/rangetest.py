"""``/range/<id>``: an LR range test, loss against LR, with lrwatch's suggestion, its safe
range and the LR Lightning's rule would have picked."""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from lrwatch import figures
from lrwatch.errors import RunNotFound

from .. import components
from ..data import DataSource, StoreProblem


def layout(source: DataSource, run_id: int) -> html.Div:
    try:
        with source.open() as store:
            info = store.run(run_id)
            test = figures.linked_range_test(store, info)
    except (StoreProblem, RunNotFound) as exc:
        return html.Div([html.H2(f"Range test {run_id}"), html.P(str(exc), className="problem"),
                         dcc.Link("back to the runs", href="/")])
    if test is None:
        return html.Div([html.H2(info.name), html.P("This run has no LR range test."),
                         dcc.Link("back to the runs", href="/")])
    return html.Div([
        dcc.Store(id="range-ref", data=test.id),
        html.H2(f"LR range test · {test.name}", className="run-name"),
        html.Div(id="range-summary", className="summary"),
        components.graph("range-graph", wide=True),
    ], className="range-page")


def summary(info: dict[str, Any]) -> list[Any]:
    """The suggestion in words: value, safe range, Lightning's pick, the reason."""
    if not info:
        return [html.P("The test has not reported a suggestion (yet).", className="muted")]
    parts: list[Any] = []
    lr = info.get("suggested_lr")
    if lr is not None:
        parts.append(html.Strong(f"Suggested LR {components.fmt_lr(float(lr))}"))
    if info.get("lower_lr") is not None and info.get("upper_lr") is not None:
        parts.append(f" · safe range {components.fmt_lr(float(info['lower_lr']))}"
                     f" – {components.fmt_lr(float(info['upper_lr']))}")
    if info.get("lightning_suggestion") is not None:
        parts.append(" · Lightning's rule would pick "
                     f"{components.fmt_lr(float(info['lightning_suggestion']))}")
    if info.get("status") and info["status"] != "ok":
        parts.append(f" · {info['status']}")
    reason = info.get("reason")
    if not reason:
        return [html.Div(parts)]
    return [html.Div(parts), html.Div(str(reason), className="rationale")]


def register(app: Dash, source: DataSource) -> None:
    @app.callback(Output("range-graph", "figure"), Output("range-graph-state", "data"),
                  Output("range-summary", "children"),
                  Input("tick", "n_intervals"), State("range-graph-state", "data"),
                  State("range-ref", "data"))
    def poll(_tick: int | None, state: Any, run_id: int) -> Any:
        try:
            with source.open() as store:
                test = store.run(run_id)
                events = len(store.events(test))
                version = [test.last_step, events]
                if state == version:
                    return no_update, no_update, no_update
                return (figures.range_test_from_store(store, test), version,
                        summary(figures.range_test_summary(store, test)))
        except (StoreProblem, RunNotFound):
            return no_update, no_update, no_update
