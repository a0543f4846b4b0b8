"""``lrwatch dashboard [STORE]``: serve the live dashboard for a store."""

from __future__ import annotations

import os

import click

from lrwatch.cli._common import STORE_HELP, check_listen_address


@click.command(help=f"Serve the live dashboard for STORE ({STORE_HELP}). Runs that start "
                    "later appear on their own.")
@click.argument("store", required=False, metavar="[STORE]")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on; 0.0.0.0 exposes the dashboard to the network")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(1, 65535))
@click.option("--open", "open_browser", is_flag=True, help="open it in a web browser")
@click.option("--trusted-host", "trusted_hosts", multiple=True, metavar="NAME",
              help="another Host name to answer to (a reverse proxy's); repeatable")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.2, 60),
              help="seconds between live updates")
@click.option("--parent", type=int, hidden=True, help="stop when this process exits")
@click.option("--background", is_flag=True, hidden=True,
              help="started next to training: run at a lower CPU priority")
def dashboard(store: str | None, host: str, port: int, open_browser: bool,
              trusted_hosts: tuple[str, ...], interval: float, parent: int | None,
              background: bool) -> None:
    check_listen_address(host, port)
    from lrwatch.dashboard.server import serve
    from lrwatch.store import default_store_path

    if background and hasattr(os, "nice"):
        os.nice(10)  # training comes first
    serve(store if store is not None else default_store_path(), host, port,
          open_browser=open_browser, trusted_hosts=trusted_hosts,
          interval_ms=int(interval * 1000), parent_pid=parent, echo=click.echo)
