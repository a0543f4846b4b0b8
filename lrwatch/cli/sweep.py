"""``lrwatch sweep PATH...``: read runs of one model at several learning rates together.

The runs under the PATHs are grouped into sweeps by their logged setup (see ``lrwatch.sweeps``);
when each PATH holds one run, or with ``--as-one``, the runs given are one sweep. One table per
sweep (or, with ``--json``, one document)::

    {"sweeps": [{"runs": [{"run": "...", "lr": 0.001, "position": "too_low",
                           "final_loss": 1.23, "suggested_lr": 0.01, "unranked": false}],
                 "best_lr": 0.01, "best_lr_low": 0.006, "best_lr_high": 0.02,
                 "flat": false, "edge": null, "budget_step": 999, "ranked_by": "loss",
                 "validation_best_lr": null, "summary": "..."}],
     "left_out": [{"run": "...", "reason": "..."}]}

``position`` is ``too_low``, ``near_best``, ``too_high`` or ``diverged``; ``edge`` is ``low`` or
``high`` when the best LR sits at that end of the grid (extend it that way), else null;
``ranked_by`` is ``val_loss`` when the runs' validation losses were compared, ``best_val_loss``
when each run's lowest validation loss was (some runs overfit: the checkpoint early stopping
keeps), ``val_metric`` / ``best_val_metric`` when every run logged a higher-is-better validation
metric (``val_acc``, ``eval_accuracy``) and the training loss would have ranked them (each
run's metric at that step, or its best where some run overfits; its ``final_loss`` is then the
error, 1 - the metric or 100 - it in percent), else ``loss``;
``unranked`` is true for a run whose loss ends within noise of the best run's (the sweep cannot
rank it: its position rests on its LR alone); ``validation_best_lr`` is the best LR by the
validation loss where the training loss ranked the runs although the best of them overfit and
the two losses disagree (the band spans both; the runs between them are unranked), else null.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable, Sequence, cast

import click

from lrwatch.cli._common import fmt_float, printable, table
from lrwatch.errors import InputError, LRWatchError

if TYPE_CHECKING:
    from lrwatch.analysis.sweep import RankedBy

POSITION_COLOURS = {"too_low": "yellow", "near_best": "green", "too_high": "magenta",
                    "diverged": "red"}


@click.command(help=(
    "Read runs of one model at several learning rates together: the best LR with its band, "
    "whether the LR matters at all (flat), and where each run stands. PATHs are lrwatch stores, "
    "Lightning version folders or lightning_logs/ trees; runs are grouped into sweeps by their "
    "logged setup, or taken as one sweep when each PATH holds one run (or with --as-one)."))
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--json", "as_json", is_flag=True, help="print one JSON document {\"sweeps\": [...]}")
@click.option("--as-one", is_flag=True, help="take every run found as one sweep")
@click.option("--loss-key", metavar="K", help="the loss column, tag or key (default: detected)")
@click.option("--lr-key", metavar="K", help="the LR column, tag or key (default: detected)")
@click.option("--rank-by", type=click.Choice(["loss", "val_loss", "best_val_loss", "val_metric",
                                             "best_val_metric"]),
              help="what ranks the runs: the training loss, the validation loss at the step "
                   "compared, each run's lowest validation loss (the checkpoint early "
                   "stopping keeps), the validation metric (accuracy: val_acc, "
                   "eval_accuracy ...) at that step, or each run's best of it; default: chosen "
                   "from the logs (the metric, where every run logs one, wherever the training "
                   "loss would rank them). Say it when runs overfit and log no accuracy: "
                   "whether you keep by a held-out loss or by accuracy is not in the curves")
def sweep(paths: tuple[str, ...], as_json: bool, as_one: bool, loss_key: str | None,
          lr_key: str | None, rank_by: str | None) -> None:
    from lrwatch.analysis.sweep import MIN_RUNS
    from lrwatch.readers import find_runs, read_run
    from lrwatch.sweeps import drop_copies, find_sweeps, members_of, read_sweep

    per_path = [find_runs(path) for path in paths]
    log_runs = list({(r.path, r.run_id, r.part, r.error): r
                     for runs in per_path for r in runs}.values())
    unread: dict[tuple[str, str], str] = {(r.source, r.name): r.error for r in log_runs if r.error}

    def read(run: Any) -> Any:
        try:
            return read_run(run, loss_key=loss_key, lr_key=lr_key)
        except LRWatchError as exc:
            unread[(run.source, run.name)] = str(exc)
            raise

    members = members_of(log_runs, read)
    ranking = cast("RankedBy | None", rank_by)
    with_lr = [m for m in members if m.lr is not None]
    # too few runs for any sweep, however they are taken (as one, or grouped by setup)
    if len(with_lr) < MIN_RUNS or len({m.lr for m in with_lr}) < 2:
        raise InputError(_too_few(paths, log_runs, unread, members, with_lr, MIN_RUNS))
    members, copies = drop_copies(members)
    copied = {(m.source, m.name): f"the same setup, LR and loss curve as {printable(same.name)}:"
              " one run logged twice (two loggers?), read once" for m, same in copies}
    if as_one or (len(paths) > 1 and all(len(runs) == 1 for runs in per_path)):
        sweeps = [read_sweep(members, ranking)]
    else:
        sweeps = find_sweeps(members, ranking)
    in_sweeps = {(m.source, m.name) for s in sweeps for m in s.members}
    left_out = [{"run": r.name,
                 "reason": unread.get((r.source, r.name)) or copied.get((r.source, r.name))
                 or _why_left_out(r, members)}
                for r in log_runs if (r.source, r.name) not in in_sweeps]
    if not sweeps:
        no_lr = sum(m.lr is None for m in members)
        unlogged = (f" ({no_lr} of them log no learning rate: a sweep needs each run's LR)"
                    if no_lr else "")
        no_setup = sum(m.lr is not None and m.setup is None for m in members)
        if no_setup:
            unlogged += f" ({no_setup} of them log no setup to group them by: {_NO_SETUP})"
        raise InputError(
            f"no sweep in {', '.join(paths)}: {_runs(len(log_runs))}, but no 3 of them share a "
            f"setup and differ in the LR{unlogged}{_unread(unread)}; pass the runs of one sweep "
            "with --as-one")
    if as_json:
        document = {"sweeps": [s.reading.to_dict() for s in sweeps], "left_out": left_out}
        click.echo(json.dumps(document, indent=2, allow_nan=False))
        return
    click.echo("\n\n".join(_human(s.reading) for s in sweeps))
    if left_out:
        click.echo(click.style("\nleft out:\n" + "\n".join(
            f"  {printable(e['run'])}: {e['reason']}" for e in left_out), dim=True))


# What a run's setup is read from, for a run that has none
_NO_SETUP = ("no hparams.yaml, store metadata, W&B config, nor a Trainer's config.json, "
             "training_args.json or model card; a Trainer's training_args.bin is a pickle "
             "lrwatch does not load")


def _runs(count: int) -> str:
    return f"{count} run" + ("" if count == 1 else "s")


def _unread(unread: dict[tuple[str, str], str]) -> str:
    """`` (2 cannot be read: the first, X is empty ...)``, or "" when every run was read."""
    if not unread:
        return ""
    return f" ({len(unread)} cannot be read: {next(iter(unread.values()))})"


def _too_few(paths: Sequence[str], log_runs: Sequence[Any], unread: dict[tuple[str, str], str],
             members: Sequence[Any], with_lr: Sequence[Any], min_runs: int) -> str:
    """Why the runs given cannot make a sweep: how many were found, could not be read, log no
    LR, and at how many LRs the rest are."""
    if members and not with_lr and not unread:
        return (f"no sweep in {', '.join(paths)}: none of its {len(members)} runs logs a "
                "learning rate, and a sweep needs each run's LR; name the LR column with "
                "--lr-key")
    where = f"no sweep in {', '.join(paths)}: {_runs(len(log_runs))} found"
    if len(log_runs) == 1 and unread:
        return f"{where}, which cannot be read: {next(iter(unread.values()))}"
    parts = [f"{len(unread)} cannot be read (the first: {next(iter(unread.values()))})"
             ] if unread else []
    if len(members) > len(with_lr):
        parts.append(f"{len(members) - len(with_lr)} log no learning rate")
    if with_lr:
        lrs = len({m.lr for m in with_lr})
        parts.append(f"{len(with_lr)} at {lrs} LR" + ("" if lrs == 1 else "s"))
    if members and not with_lr:
        fix = "name the LR column with --lr-key"
    elif len(members) > len(with_lr):  # some runs have an LR, others none
        fix = "name the LR column with --lr-key, or pass runs of one model at different LRs"
    else:
        fix = "pass runs of one model at different LRs"
    return (f"{where}: {', '.join(parts)}; a sweep needs {min_runs} runs at 2 or more learning "
            f"rates: {fix}")


def _why_left_out(log_run: Any, members: list[Any]) -> str:
    if log_run.error is not None:
        return log_run.error
    found = next((m for m in members if (m.source, m.name) == (log_run.source, log_run.name)),
                 None)
    if found is None:
        return "cannot be read (see `lrwatch analyze`)"
    if found.lr is None:
        return found.no_lr or "no learning rate logged (no LR curve, no lr in its hyperparameters)"
    if found.setup is None:
        return f"no setup logged to match it with others ({_NO_SETUP})"
    return "no 2 other runs share its setup at other LRs"


def _human(reading: Any) -> str:
    rows = []
    for run in reading.runs:
        factor = "" if run.factor is None else f"x{fmt_float(run.factor, 2)}"
        rows.append([printable(run.name), fmt_float(run.lr, 3),
                     "-" if run.final_loss is None else fmt_float(run.final_loss, 4),
                     click.style(run.position, fg=POSITION_COLOURS[run.position]),
                     factor, "-" if run.suggested_lr is None else fmt_float(run.suggested_lr, 3)
                     + (" (pruned: placed by its LR)" if run.pruned else "")
                     + _rank_note(run, reading)])
    text = table(["run", "lr", "final loss", "position", "to best", "suggested lr"], rows)
    if reading.validation_best_lr is not None:  # the logs cannot say which loss the user keeps by
        text += ("\nsay which loss ranks these runs: --rank-by val_loss if you keep each run's "
                 "final model by a held-out loss, --rank-by loss if by the training loss or "
                 "accuracy; or run a range test (lrwatch's find_lr) between the two best LRs")
    return f"{reading.summary}\n{text}"


def _rank_note(run: Any, reading: Any) -> str:
    """Why the sweep does not rank a run, or ranks it by a margin its loss undoes, for its table
    row ("" when neither): what ``lrwatch analyze`` says of it beside the sweep."""
    from lrwatch.sweep_advice import CLOSE_LEVEL, close_to_best, disputed, worse_than_best

    if run.unranked and disputed(run.lr, reading):
        return " (training and validation losses disagree: cannot rank)"
    if run.unranked:
        return " (within noise of the best: cannot rank)"
    if close_to_best(run, reading):
        return f" (within {CLOSE_LEVEL:.0%} of the best run's loss: a seed decides)"
    if worse_than_best(run, reading):
        return f" (near by its LR, {CLOSE_LEVEL:.0%}+ above the best run's loss)"
    return ""



def add_sweep_advice(entries: list[dict[str, Any]], read: list[tuple[int, Any, Any]],
                     others: Sequence[Any] = (), read_other: Callable[[Any], Any] | None = None,
                     as_one: bool = False) -> None:
    """Give each analysed run that belongs to a sweep the sweep's status, suggestion, an
    evidence line and a ``sweep`` entry. ``read`` holds ``(entry index, LogRun, ReadResult)`` of
    every run read; ``others`` are runs found but not analysed (``--run`` chose some), read with
    ``read_other`` only when they may complete a sweep; ``as_one``: the runs read are one sweep,
    whatever their logged setups."""
    from lrwatch.sweep_advice import advise_in_sweep
    from lrwatch.sweeps import (MIN_LRS, drop_copies, find_sweeps, member, members_of,
                                read_sweep, setup_key, setup_of)

    indices: dict[tuple[Any, Any, Any], list[int]] = {}  # a run named twice (two PATHs) is one run
    members = []
    for index, log_run, result in read:
        same = indices.setdefault((log_run.path, log_run.run_id, log_run.part), [])
        if not same:
            members.append(member(log_run.source, str(index), result.curves, setup_of(log_run)))
        same.append(index)
    wanted = {m.setup for m in members if m.setup is not None}
    unread = list({(r.path, r.run_id, r.part): r for r in others if r.error is None
                   and (r.path, r.run_id, r.part) not in indices
                   and (as_one or setup_key(setup_of(r)) in wanted)}.values())
    if unread and read_other is not None:
        members += [replace(m, name=f"other {m.name}", run=replace(m.run, name=f"other {m.name}"))
                    for m in members_of(unread, read_other) if m.run is not None]
    by_first = {same[0]: same for same in indices.values()}
    # a run logged twice (two loggers) is read once; the copy gets the advice of the run it is
    members, copies = drop_copies(members)
    for copy, same in copies:
        if not copy.name.startswith("other "):
            by_first[int(same.name)] += by_first.pop(int(copy.name))
    if as_one:
        with_lr = [m for m in members if m.lr is not None]
        if len({m.lr for m in with_lr}) < MIN_LRS:
            raise InputError(
                f"--as-one: {len(with_lr)} of the {len(members)} runs read log a learning rate, "
                f"at {len({m.lr for m in with_lr})} different LRs; a sweep needs {MIN_LRS} LRs "
                "(name the LR column with --lr-key)")
    for found in [read_sweep(members)] if as_one else find_sweeps(members):
        reading = found.reading
        for place in reading.runs:
            if not place.name.startswith("other "):
                for index in by_first[int(place.name)]:
                    advise_in_sweep(entries[index], place, reading)
