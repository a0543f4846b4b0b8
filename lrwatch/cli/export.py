"""``lrwatch export STORE --run R --format csv|parquet``: one run's series as a wide table."""

from __future__ import annotations

import sys

import click

from lrwatch.cli._common import STORE_HELP, open_store_readonly, output_path


@click.command(help=f"Export one run's series as a table, one row per step. STORE: {STORE_HELP}.")
@click.argument("store", required=False, metavar="[STORE]")
@click.option("--run", "run_ref", required=True, help="run name, uid or id (see `lrwatch runs`)")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv",
              show_default=True)
@click.option("-o", "--output", help="file to write (default: <run>.<format>; '-' = stdout, csv only)")
@click.option("--keys", "only_keys", help="comma-separated keys to export (default: all)")
def export(store: str | None, run_ref: str, fmt: str, output: str | None,
           only_keys: str | None) -> None:
    from lrwatch.export import run_table, write_csv, write_parquet

    with open_store_readonly(store) as st:
        run = st.run(run_ref)
        target = output or f"{run.name}.{fmt}"
        if target != "-":
            output_path(target, st.path)
        wanted = [k.strip() for k in only_keys.split(",")] if only_keys else None
        columns = run_table(st, run, wanted)
    if fmt == "csv":
        if target == "-":
            write_csv(columns, sys.stdout)
        else:
            with open(target, "w", newline="") as fh:
                write_csv(columns, fh)
    else:
        if target == "-":
            raise click.BadParameter("parquet cannot go to stdout; give a file", param_hint="-o")
        write_parquet(columns, target)
    if target != "-":
        click.echo(f"wrote {columns.steps.size} steps x {len(columns.values)} keys of "
                   f"'{run.name}' to {target}", err=True)
