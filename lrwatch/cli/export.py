"""``lrwatch export STORE --run R --format csv|parquet``: one run's series as a wide table."""

from __future__ import annotations

import re
import sys
from pathlib import PurePath

import click

from lrwatch.cli._common import (
    RUN_HELP,
    STORE_HELP,
    find_run,
    open_store_readonly,
    output_path,
    printable,
    store_argument,
)


@click.command(help=f"Export one run's series as a table, one row per step. STORE: {STORE_HELP}.")
@store_argument
@click.option("--run", "run_ref", required=True, help=RUN_HELP)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default=None,
              help="default: what -o's extension names (.parquet or .pq: parquet), else csv")
@click.option("-o", "--output",
              help="file to write ('-' = stdout, csv only; default: <run>.<format> in the current "
                   "folder, the run's name made a file name: exp/a -> exp_a.csv)")
@click.option("--keys", "only_keys", help="comma-separated keys to export (default: all)")
def export(store: str | None, run_ref: str, fmt: str | None, output: str | None,
           only_keys: str | None) -> None:
    from lrwatch.export import run_table, write_csv, write_file

    fmt = output_format(fmt, output)
    if output == "-" and fmt == "parquet":
        raise click.BadParameter("parquet cannot go to stdout; give a file", param_hint="-o")
    with open_store_readonly(store) as st:
        run = find_run(st, run_ref)
        target = output or default_output(run.name, fmt)
        if target != "-":
            output_path(target, st.path)
        wanted = [k.strip() for k in only_keys.split(",")] if only_keys else None
        columns = run_table(st, run, wanted)
    if target == "-":
        write_csv(columns, sys.stdout)
    else:
        write_file(columns, target, fmt)
        click.echo(f"wrote {columns.steps.size} steps x {len(columns.values)} keys of "
                   f"'{printable(run.name)}' to {target}", err=True)


def default_output(run_name: str, fmt: str) -> str:
    """``<run>.<fmt>`` in the current folder: characters other than letters, digits, ``._-``
    and spaces become ``_``, and dots and spaces at either end go, so ``../x`` stays here."""
    stem = re.sub(r"[^\w. -]+", "_", run_name).strip(" .")
    return f"{stem or 'run'}.{fmt}"


#: the extensions that name a format
SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def output_format(fmt: str | None, output: str | None) -> str:
    """``--format``, or the format ``-o``'s extension names (``run.parquet`` was written as CSV
    under that name); a ``--format`` the extension contradicts is refused."""
    named = SUFFIXES.get(PurePath(output).suffix.lower()) if output and output != "-" else None
    if fmt is not None and named is not None and named != fmt:
        raise click.BadParameter(f"{output} names a {named} file, but --format is {fmt}: "
                                 "drop --format, or change the extension", param_hint="-o")
    return fmt or named or "csv"
