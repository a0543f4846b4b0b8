"""``lrwatch sync LOCAL_STORE URL``: push the runs of a local store to a store server."""

from __future__ import annotations

import click


@click.command(help=(
    "Push every run of LOCAL_STORE (a store file or folder, or the spool a training with "
    "LRWatch(store=URL) left behind) to the store server at URL (postgresql://...). Only what "
    "the server lacks is sent, so running it again sends nothing new; the rows of a killed "
    "training go now, and its run reads interrupted."))
@click.argument("local_store")
@click.argument("url")
def sync(local_store: str, url: str) -> None:
    from lrwatch.cli._common import printable
    from lrwatch.errors import ConfigError
    from lrwatch.store import is_url, resolve_location
    from lrwatch.store.spool import sync_store

    if not is_url(url):
        raise ConfigError(f"{url} is not a store server URL: pass postgresql://user@host/db")
    if is_url(local_store):
        raise ConfigError(f"LOCAL_STORE {resolve_location(local_store)} is a URL: pass the path "
                          "of a local store (a file or folder)")
    report = sync_store(local_store, url)
    shown = resolve_location(url)
    click.echo(f"{report.runs} run{'s' if report.runs != 1 else ''} of {local_store} on {shown}: "
               f"{report.changed} updated ({report.points} points, {report.events} events sent), "
               f"{report.runs - report.changed} already there")
    if report.renamed:  # another run had the name there: say what to ask the server for
        shown_names = ", ".join(f"{printable(a)} is {printable(b)}" for a, b in report.renamed)
        click.echo(f"on the server, where another run already had its name: "
                   f"{shown_names}")
