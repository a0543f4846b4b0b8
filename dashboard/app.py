"""The Dash app: ``create_app(store_path)`` builds one, with no module-level state.

Pages (client-side routes; run ids are integers, a request never names a file):

- ``/``                 the run list: status badges, LR now → suggested, filter, select
- ``/run/<id>``         one run: diagnosis banner, loss, LR, gradient norms, update ratio ...
- ``/compare?runs=1,2`` several runs overlaid by step
- ``/range/<id>``       an LR range test: loss vs LR with the suggestion
- ``/sweeps``           runs of one setup at several LRs: final loss vs LR, the best LR

Every page polls on one ``dcc.Interval`` and sends only what changed. The app is a
single-page router rather than Dash's ``use_pages``: page callbacks registered with the global
``dash.callback`` are shared by every app in a process (and cleared after the first one is
served), while each of our apps closes over its own store.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from dash import Dash, Input, Output, State, dcc, html, no_update

from lrwatch._version import __version__

from . import components
from .data import DataSource, store_label
from .launcher import APP_NAME, DEFAULT_INTERVAL_MS, HEALTH_PATH, LOCAL_HOSTS
from .pages import compare, rangetest, run, runs, sweep

ASSETS = str(Path(__file__).parent / "assets")
#: how often pages poll the store


def create_app(store_path: str | os.PathLike[str], *, interval_ms: int = DEFAULT_INTERVAL_MS,
               trusted_hosts: tuple[str, ...] = LOCAL_HOSTS) -> Dash:
    """A Dash app serving the store at ``store_path`` read-only.

    Args:
        store_path: the store file or folder; it may not exist yet (the page says so and
            picks it up when training creates it).
        interval_ms: how often the open page polls for new points.
        trusted_hosts: Host header values the server answers; any other gets 400 (DNS
            rebinding). Loopback names by default.
    """
    source = DataSource(store_path)
    app = Dash(__name__, title="lrwatch", assets_folder=ASSETS, update_title="",
               suppress_callback_exceptions=True, serve_locally=True)
    refuse_untrusted_hosts(app.server, trusted_hosts)
    app.layout = html.Div([
        dcc.Location(id="url"),
        dcc.Interval(id="tick", interval=interval_ms),
        dcc.Store(id="problem-msg"),
        html.Header([
            dcc.Link("lrwatch", href="/", className="brand"),
            html.Span(store_label(source.path), className="store-path", title="store"),
            components.links([("runs", "/"), ("sweeps", "/sweeps")]),
        ]),
        html.Div(id="problem"),
        # loads plotly.js with the first page, so the first graphs opened draw at once
        dcc.Graph(id="plotly-preload", figure={"data": [], "layout": {}},
                  style={"display": "none"}),
        html.Main(id="page"),
        html.Footer(f"lrwatch {__version__}"),
    ])

    @app.callback(Output("page", "children"), Input("url", "pathname"), Input("url", "search"))
    def route(pathname: str | None, search: str | None) -> Any:
        return page_for(source, pathname or "/", search or "")

    @app.callback(Output("problem", "children"), Output("problem-msg", "data"),
                  Input("tick", "n_intervals"), State("problem-msg", "data"))
    def store_problem(_tick: int | None, shown: str | None) -> Any:
        message = source.check() or ""
        if message == (shown or "") and _tick is not None:
            return no_update, no_update
        return components.problem(message), message

    runs.register(app, source)
    run.register(app, source)
    compare.register(app, source)
    rangetest.register(app, source)
    sweep.register(app, source)

    @app.server.route(HEALTH_PATH)
    def health() -> dict[str, str]:
        return {"app": APP_NAME, "version": __version__, "store": source.store_id}

    return app


def refuse_untrusted_hosts(server: Any, trusted_hosts: tuple[str, ...]) -> None:
    """Answer 400 to a request whose Host header (without its port, any case) is not one of
    ``trusted_hosts``: a page of another site that a DNS rebinding points at this server gets
    nothing. Checked here rather than by Flask's ``TRUSTED_HOSTS``, which only Flask >= 3.1
    honours (older Flask, which the dependencies allow, ignores it) and which is case-sensitive.
    """
    from flask import abort, request

    trusted = {host.lower() for host in trusted_hosts}

    @server.before_request
    def check_host() -> None:
        if host_name(request.headers.get("Host", "")) not in trusted:
            abort(400)


def host_name(header: str) -> str:
    """The host of a Host header, lower-cased and without its port: ``[::1]:8050`` → ``[::1]``,
    ``LOCALHOST:8050`` → ``localhost``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[:header.find("]") + 1] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


_RUN = re.compile(r"^/run/(\d{1,12})/?$")
_RANGE = re.compile(r"^/range/(\d{1,12})/?$")


def page_for(source: DataSource, pathname: str, search: str) -> Any:
    """The page of a URL; anything unexpected gets the not-found page."""
    if pathname in ("/", ""):
        return runs.layout()
    if m := _RUN.match(pathname):
        return run.layout(source, int(m.group(1)))
    if m := _RANGE.match(pathname):
        return rangetest.layout(source, int(m.group(1)))
    if pathname.rstrip("/") == "/sweeps":
        return sweep.layout(source)
    if pathname.rstrip("/") == "/compare":
        return compare.layout(source, parse_run_ids(search))
    return html.Div([html.H2("Not found"), dcc.Link("back to the runs", href="/")],
                    className="not-found")


def parse_run_ids(search: str) -> list[int]:
    """``?runs=1,2,3`` → ``[1, 2, 3]``; anything that is not a small integer is dropped."""
    values = parse_qs(search.lstrip("?")).get("runs", [])
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part.isdigit() and len(part) <= 12 and int(part) not in ids:
                ids.append(int(part))
    return ids[:12]
