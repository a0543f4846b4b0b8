"""``lrwatch report [STORE] --run R -o report.html``: one self-contained HTML file per run."""

from __future__ import annotations

import click

from lrwatch.cli._common import RUN_HELP, STORE_HELP, FiniteRange, store_argument


@click.command(help=f"Write one self-contained HTML file (works offline) with a run's "
                    f"diagnosis and figures, from STORE ({STORE_HELP}).")
@store_argument
@click.option("--run", "run_ref", default=None, help=f"{RUN_HELP} (default: the latest run)")
@click.option("-o", "--output", default="report.html", show_default=True,
              type=click.Path(dir_okay=False, writable=True), help="the HTML file to write")
@click.option("--smoothing", default=0.6, show_default=True, type=FiniteRange(0, 0.999),
              help="EMA weight of the smoothed loss")
def report(store: str | None, run_ref: str | None, output: str, smoothing: float) -> None:
    from lrwatch.cli._common import find_run, open_store_readonly, output_path
    from lrwatch.report import write_report

    with open_store_readonly(store) as st:
        run = None if run_ref is None else find_run(st, run_ref)
        path = write_report(st, run, output_path(output, st.path), smoothing=smoothing)
    size = path.stat().st_size / 1e6
    click.echo(f"wrote {path} ({size:.1f} MB, opens offline)")
