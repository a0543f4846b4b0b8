"""``/``: the run list, newest first. Filter by name and status, tick runs to compare them.

A store of thousands of runs shows its newest :data:`SHOWN_ROWS` that match the filters, and
says how many more there are: the filters find the others."""

from __future__ import annotations

from typing import Any

from dash import ALL, Dash, Input, Output, Patch, State, dcc, html, no_update

from lrwatch.formatting import STATUS_STYLES, status_style

from .. import components
from ..data import DataSource, StoreProblem, run_rows

STATUS_FILTERS = [s.label for name, s in STATUS_STYLES.items() if name != "analysing"]
#: rows shown at most: building a row's components and their JSON took ~4 ms a row on the
#: loaded development machine (300 runs: a first view in 1.2 s, ``python -m benchmarks
#: teamstore runs``), so all 10,000 runs of a team store would answer in tens of seconds
SHOWN_ROWS = 100


def layout() -> html.Div:
    return html.Div([
        html.Div([
            dcc.Input(id="run-filter", type="search", placeholder="filter by name",
                      debounce=False, className="filter"),
            dcc.Dropdown(id="status-filter", options=STATUS_FILTERS, multi=True,
                         placeholder="any status", className="status-filter"),
            dcc.Link("compare selected", id="compare-link", href="/compare",
                     className="button disabled"),
            html.Span(id="selection-hint", className="muted"),
        ], className="toolbar"),
        html.Table([components.run_table_header(), html.Tbody(id="runs-body")],
                   className="runs"),
        html.Div(id="runs-empty", className="muted"),
        dcc.Store(id="runs-sig"),
        dcc.Store(id="selected", data=[]),
    ], className="runs-page")


def _matches(row: Any, text: str, statuses: list[str]) -> bool:
    if text and text.lower() not in row.name.lower():
        return False
    if not statuses:
        return True
    shown = {status_style(row.badge).label, row.status}
    return bool(shown & set(statuses))


def register(app: Dash, source: DataSource) -> None:
    @app.callback(Output("runs-body", "children"), Output("runs-sig", "data"),
                  Output("runs-empty", "children"),
                  Input("tick", "n_intervals"), Input("run-filter", "value"),
                  Input("status-filter", "value"), Input("selected", "data"),
                  State("runs-sig", "data"))
    def table(_tick: int | None, text: str | None, statuses: list[str] | None,
              selected: list[int] | None, previous: list[list[Any]] | None) -> Any:
        try:
            with source.open() as store:
                rows = run_rows(source, store)
        except StoreProblem:
            return no_update, no_update, no_update
        chosen = set(selected or [])
        rows = [r for r in rows if _matches(r, text or "", statuses or [])]
        hidden = max(0, len(rows) - SHOWN_ROWS)
        rows = rows[:SHOWN_ROWS]
        signature = [[r.id, components.row_signature(r, r.id in chosen)] for r in rows]
        if signature == previous:
            return no_update, no_update, no_update
        empty = "" if rows else ("no runs match" if (text or statuses) else "no runs yet")
        if hidden:
            empty = (f"{hidden} older {'matching ' if text or statuses else ''}runs not shown: "
                     "filter by name or status to find them")
        if previous is not None and [s[0] for s in signature] == [p[0] for p in previous]:
            patch = Patch()  # same rows in the same order: send only the rows that changed
            for i, (row, sig, old) in enumerate(zip(rows, signature, previous)):
                if sig != old:
                    patch[i] = components.run_row(row, row.id in chosen)
            return patch, signature, empty
        return [components.run_row(r, r.id in chosen) for r in rows], signature, empty

    @app.callback(Output("selected", "data"), Output("compare-link", "href"),
                  Output("compare-link", "className"), Output("selection-hint", "children"),
                  Input({"type": "select-run", "run": ALL}, "value"),
                  State("selected", "data"))
    def selection(values: list[list[int]], previous: list[int] | None) -> Any:
        chosen = sorted({v for value in values or [] for v in (value or [])})
        if chosen == sorted(previous or []):
            return no_update, no_update, no_update, no_update
        href = "/compare?runs=" + ",".join(str(i) for i in chosen)
        ready = len(chosen) >= 2
        hint = f"{len(chosen)} selected" if chosen else "tick runs to compare them"
        return chosen, href, "button" if ready else "button disabled", hint
