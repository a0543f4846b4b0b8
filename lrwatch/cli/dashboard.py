"""``lrwatch dashboard [STORE]``: serve the live dashboard for a store."""

from __future__ import annotations

import os
import webbrowser
from pathlib import Path

import click

from lrwatch.cli._common import (
    STORE_HELP,
    FiniteRange,
    check_listen_address,
    printable,
    resolve_store,
    store_argument,
)
from lrwatch.errors import ConfigError


@click.command(help=f"Serve the live dashboard for STORE ({STORE_HELP}). Runs that start "
                    "later appear on their own.")
@store_argument
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on; 0.0.0.0 exposes the dashboard to the network")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(1, 65535))
@click.option("--open", "open_browser", is_flag=True, help="open it in a web browser")
@click.option("--trusted-host", "trusted_hosts", multiple=True, metavar="NAME",
              help="another Host name to answer to (a reverse proxy's); repeatable")
@click.option("--interval", default=1.0, show_default=True, type=FiniteRange(0.2, 60),
              help="seconds between live updates")
@click.option("--parent", type=int, hidden=True, help="stop when this process exits")
@click.option("--background", is_flag=True, hidden=True,
              help="started next to training: run at a lower CPU priority")
def dashboard(store: str | None, host: str, port: int, open_browser: bool,
              trusted_hosts: tuple[str, ...], interval: float, parent: int | None,
              background: bool) -> None:
    from lrwatch.dashboard.launcher import probe, serving_url, url_for

    path = resolve_store(store)
    try:
        check_listen_address(host, port)
        port_taken = False
    except ConfigError:
        if probe(url_for(host, port)) is None:
            raise  # not a dashboard there: another program's port, or a wrong address
        port_taken = True
    served = serving_url(path, host, port)
    if served is not None:  # by `LRWatch(dashboard=True)` or another `lrwatch dashboard`
        click.echo(f"the dashboard for {printable(str(path))} is already served at {served}")
        if open_browser:
            webbrowser.open(served)
        return
    if port_taken:
        raise ConfigError(f"port {port} on {host} is in use by the lrwatch dashboard of another "
                          "store; pass another --port")
    from lrwatch.dashboard.server import serve

    if background and hasattr(os, "nice"):
        os.nice(10)  # training comes first
    if isinstance(path, Path) and not path.exists() and parent is None:
        # served all the same (a training started later creates it), but a mistyped path
        # must not look like a store with no runs
        click.echo(f"no store at {printable(str(path))} yet: its runs appear once a training "
                   "records there (check the path if one already does)")
    serve(path, host, port,
          open_browser=open_browser, trusted_hosts=trusted_hosts,
          interval_ms=int(interval * 1000), parent_pid=parent, echo=click.echo)

