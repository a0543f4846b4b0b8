"""``lrwatch runs [STORE]``: the runs of a store, with status, steps, last loss and peak LR
(the LR ``analyze`` judges and its suggestion is relative to: after warmup and decay, and after
the guard's last recovery), from the runs' stored summaries: no series is read for a run that
finished."""

from __future__ import annotations

import time

import click

from lrwatch.cli._common import (
    STORE_HELP,
    coloured,
    fmt_duration,
    fmt_float,
    fmt_time,
    open_store_readonly,
    printable,
    store_argument,
    table,
)


@click.command(help=f"List the runs recorded in STORE ({STORE_HELP}).")
@store_argument
def runs(store: str | None) -> None:
    with open_store_readonly(store) as st:
        listed = st.run_list()
        if not listed:
            click.echo(f"no runs in {st.path} yet")
            return
        rows = []
        for run, summary in listed:
            end = run.ended_at if run.ended_at is not None else time.time()
            rows.append([
                str(run.id), printable(run.name), coloured(run.status), str(run.steps),
                fmt_float(summary.last_loss), fmt_float(summary.peak_lr, 3),
                fmt_time(run.started_at), fmt_duration(end - run.started_at),
            ])
        click.echo(table(["id", "name", "status", "steps", "loss", "peak lr", "started",
                         "duration"], rows))
