"""``lrwatch check STORE``: verify a whole store, one line per problem, exit 1 when any."""

from __future__ import annotations

import sys

import click

from lrwatch.cli._common import STORE_HELP, open_store_readonly, printable, store_argument


@click.command(help="Verify a whole store: SQLite's integrity check, every run, every chunk of "
                    "series data against its checksum, every event. One line per problem; "
                    f"exits 1 when there is any. STORE: {STORE_HELP}.")
@store_argument
def check(store: str | None) -> None:
    with open_store_readonly(store) as st:
        found = 0
        for problem in st.problems():
            found += 1
            click.echo(f"{st.path}: {printable(problem)}")
        if found:
            click.echo(f"{st.path}: {found} problem{'s' if found > 1 else ''} found; the store "
                       "is damaged: restore it from a copy, or export the runs that read well",
                       err=True)
            sys.exit(1)
        click.echo(f"{st.path}: no problem found ({len(st.runs())} runs checked)")
