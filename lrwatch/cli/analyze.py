"""``lrwatch analyze PATH...``: diagnose the learning rate of runs already logged.

Each PATH is an lrwatch store, a Lightning ``metrics.csv`` (or its version folder, or a
``lightning_logs/`` tree), TensorBoard event files or folders, a Hugging Face
``trainer_state.json`` or its output folder, a text log, or any folder holding these. One row
(or one JSON entry) per run; a run that cannot be read gets its own entry with an ``error`` and
the others go on.
The exit status is 0 whatever the diagnosis, and 1 only when nothing could be read.

``--json`` prints one document, a stable contract::

    {"runs": [{"source": "...", "run": "...", "status": "oscillating", "confidence": 0.87,
               "since_step": 1200, "steps": 5000, "current_lr": 0.3, "suggested_lr": 0.1,
               "action": "reduce", "factor": 0.33, "rationale": "...", "needed_steps": null,
               "evidence": ["..."], "alarm": null, "columns": {"loss": "train_loss_step", ...},
               "notes": ["..."], "error": null, "sweep": null, "peak_lr": 0.3}]}

``current_lr`` and ``peak_lr`` hold the same number, the run's peak LR (what was set; warmup
and decay do not move it): ``peak_lr`` says so, ``current_lr`` stays for the tools that read it.

A run that belongs to a sweep (see ``lrwatch sweep``; runs of one logged setup at several LRs,
or every run read with ``--as-one``) takes the sweep's reading: where the sweep ranks it, its
``status`` is its place in the status table's words (below the best: stalled; above it:
oscillating, or diverging where it blew up or ended no lower than it started; at it, or in a
flat sweep: healthy) at confidence 0.85, 0.7 where the sweep's evidence is thin (an evidence
line says why) or the loss ended no lower than it started, 0.9 where the run blew up; a run
whose loss ends within 2% of the best run's is told ``range_test`` at 0.5, and one near the
best by its LR whose loss ends 2% or more above the best run's ``range_test`` at 0.4; its
``action``, ``suggested_lr`` and ``rationale`` come from the sweep, its first
evidence line says where it stands, and ``sweep`` holds ``{"position", "best_lr",
"best_lr_low", "best_lr_high", "flat", "edge", "runs", "run_status", "run_confidence"}`` (the
last two: what the run's own curve says).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence, TextIO

import click

from lrwatch.cli._common import coloured, fmt_float, printable, table
from lrwatch.errors import ConfigError, InputError, LRWatchError
from lrwatch.store import DEFAULT_DIR, ENV_VAR

if TYPE_CHECKING:
    from lrwatch.readers import LogRun

PROGRESS_MIN_RUNS = 5  # a progress bar from this many runs on
# A run whose log names no optimizer has its LR judged by its curves alone: say how to do better.
NO_OPTIMIZER = ("the log names no optimizer, so its LR is judged by the curves alone: "
                "--optimizer NAME (and --fine-tune for a fine-tune) judges it against the "
                "optimizer's usual range")
# The keys of every JSON entry, in order: the contract other tools rely on.
ENTRY_KEYS = ("source", "run", "status", "confidence", "since_step", "steps", "current_lr",
              "suggested_lr", "action", "factor", "rationale", "needed_steps", "evidence",
              "alarm", "columns", "notes", "error", "sweep", "peak_lr")


@dataclass(frozen=True)
class _Failure:
    """A path or run that could not be read, in its place among the results."""

    source: str
    name: str | None
    error: str


@click.command(help=(
    "Diagnose the learning rate of logged runs. Each PATH is an lrwatch store, a Lightning "
    "metrics.csv or its version folder (or a lightning_logs/ tree), TensorBoard event files "
    "or folders (or curves downloaded from TensorBoard's page), an MLflow file store "
    "(mlruns/), a W&B run folder (wandb/run-*), a Hugging Face trainer_state.json or output "
    "folder (or its model card, README.md), a JSON log, a text log (.log, .txt, .out, .err, "
    "or a file of any name in a layout lrwatch knows), a Jupyter notebook (.ipynb: each cell "
    "whose saved output prints a training log is a run, named NOTEBOOK:cellN), "
    "or any folder of these (default: $LRWATCH_STORE or ./lrwatch_logs). Exits 0 whatever the "
    "diagnosis; 1 when nothing could be read."))
@click.argument("paths", nargs=-1, metavar="[PATH...]")
@click.option("--json", "as_json", is_flag=True,
              help="print one JSON document {\"runs\": [...]} instead of a table")
@click.option("--run", "run_names", metavar="NAME", multiple=True,
              help="only runs of this name (a store run, or a folder such as version_3); "
                   "repeatable: --run a --run b analyzes both")
@click.option("--loss-key", metavar="K", help="the loss column, tag or key (default: detected)")
@click.option("--lr-key", metavar="K",
              help="the learning-rate column, tag or key (default: detected)")
@click.option("--pattern", metavar="REGEX",
              help="read text logs and notebooks' printed cell output with this regex, named "
                   "groups loss (required), step, lr, "
                   "grad_norm, val_loss: --pattern 'step (?P<step>\\d+) loss (?P<loss>\\S+)' "
                   "(default: nanoGPT, word_language_model, printed HF dicts, Keras fit output, "
                   "fairseq, Megatron-LM / GPT-NeoX, llm.c, modded-nanogpt, timm, OpenMMLab "
                   "(mmengine), LitGPT and torchvision's MetricLogger logs are recognised; "
                   "other lines are read by the names before their values, 'Step 10 | "
                   "loss: 2.31')")
@click.option("--as-one", is_flag=True,
              help="take every run read as one sweep of one model at several LRs, whatever "
                   "their logged setups: each run's status and advice then come from its place "
                   "in the sweep (see lrwatch sweep)")
@click.option("--params", metavar="N",
              help="the model's parameter count (124M, 1.3B, 350k): larger models train at "
                   "lower LRs, so an Adam-style optimizer's usual range moves down with it "
                   "(default: read from the run where it says, else a small model's range)")
@click.option("--classes", metavar="K",
              help="the classes (or vocabulary size) of a cross-entropy loss, for every run "
                   "read: its chance level ln K tells a loss stuck at a uniform guess or worse "
                   "than one (default: read from the run where it says: a store's classes=, a "
                   "Hugging Face config.json; else unknown)")
@click.option("--optimizer", metavar="NAME",
              help="the optimizer the runs were trained with (AdamW, SGD, Lion ...), where "
                   "their logs do not say: a run's LR is judged against its usual range, and "
                   "a loss log alone does not tell an SGD run from an Adam one (default: read "
                   "from the run where it says: hparams.yaml, a Trainer's arguments, an "
                   "lr-AdamW column; else unknown)")
@click.option("--fine-tune/--from-scratch", "fine_tune", default=None,
              help="the runs fine-tune pretrained weights (judged against fine-tuning LRs, "
                   "1e-5 to 3e-4 for an Adam-style optimizer, LoRA included, and never told "
                   "to increase more than 3x), or train from scratch (default: read from the "
                   "run where it says, as a Hugging Face Trainer's arguments do; else "
                   "unknown)")
def analyze(paths: tuple[str, ...], as_json: bool, run_names: tuple[str, ...],
            loss_key: str | None, lr_key: str | None, pattern: str | None,
            params: str | None, classes: str | None, as_one: bool, optimizer: str | None,
            fine_tune: bool | None) -> None:
    from lrwatch.analysis import analyze as diagnose
    from lrwatch.loss_classes import parse_classes
    from lrwatch.readers import find_runs, read_run
    from lrwatch.readers.model_size import checked_count
    from lrwatch.readers.textlog import compile_pattern

    if pattern is not None:
        compile_pattern(pattern)  # a bad one is a usage error before anything is read
    param_count = checked_count(params, "--params") if params is not None else None
    given: dict[str, Any] = {"param_count": param_count} if param_count is not None else {}
    if classes is not None:
        given["classes"] = parse_classes(classes, "--classes")
    if optimizer is not None:
        given["optimizer"] = _optimizer(optimizer)
    if fine_tune is not None:
        given["fine_tune"] = fine_tune
    paths = paths or (os.environ.get(ENV_VAR) or DEFAULT_DIR,)  # where LRWatch records
    items: list[LogRun | _Failure] = []
    for path in paths:
        try:
            items.extend(find_runs(path, pattern=pattern))
        except LRWatchError as exc:
            items.append(_Failure(path, None, str(exc)))
    everything = [item for item in items if not isinstance(item, _Failure)]  # sweeps: all runs
    if run_names:
        items = _select(items, run_names, paths)

    def read_one(run: LogRun) -> Any:
        """A run's curves as the user's flags say: its reader's, with --params, --classes,
        --optimizer and --fine-tune."""
        result = read_run(run, loss_key=loss_key, lr_key=lr_key, pattern=pattern)
        curves = dataclasses.replace(result.curves, **given) if given else result.curves
        notes = result.notes + _optimizer_notes(result.curves.optimizer, given.get("optimizer"))
        if curves.optimizer is None and curves.lr is not None and len(curves.lr):
            notes += (NO_OPTIMIZER,)
        return dataclasses.replace(result, curves=curves, notes=notes)

    entries: list[dict[str, Any]] = []
    read: list[tuple[int, LogRun, Any]] = []  # for the sweeps among them
    with _progress(items) as bar:
        for item in bar:
            if isinstance(item, _Failure) or item.error is not None:
                entries.append(_entry(item.source, item.name, error=item.error))
                continue
            try:
                result = read_one(item)
                diagnosis = diagnose(result.curves)
            except LRWatchError as exc:
                entries.append(_entry(item.source, item.name, error=str(exc)))
                continue
            read.append((len(entries), item, result))
            columns = {k: v for k, v in vars(result.columns).items() if v is not None}
            entries.append(_entry(item.source, item.name, diagnosis=diagnosis.to_dict(),
                                  columns=columns, notes=list(result.notes)))
    from lrwatch.cli.sweep import add_sweep_advice

    add_sweep_advice(entries, read, everything, read_one, as_one=as_one)
    if as_json:
        click.echo(json.dumps({"runs": entries}, indent=2, allow_nan=False))
    elif any(e["error"] is None for e in entries):
        click.echo(_human(entries, show_source=len(paths) > 1))
    if all(e["error"] is not None for e in entries):
        raise InputError(printable(_nothing_read(entries)))


def _optimizer(text: str) -> str:
    """``--optimizer``'s class name (``adamw`` -> ``AdamW``), or a one-line ConfigError."""
    from lrwatch.readers.hparams import optimizer_name

    if not text.strip():
        raise ConfigError("--optimizer needs the optimizer's class name, e.g. --optimizer AdamW")
    return optimizer_name(text)


def _optimizer_notes(logged: str | None, given: str | None) -> tuple[str, ...]:
    """What a run's notes say of ``--optimizer``: where it overrides the optimizer the run's log
    or folder names (``readers.path_setup``), and where lrwatch knows no usual LR range for it
    (the LR is then judged by the curves)."""
    from lrwatch.analysis.optimizers import is_lr_free, typical_range

    if given is None:
        return ()
    notes = []
    if logged is not None and logged.lower() != given.lower():
        notes.append(f"the run's log or folder names the optimizer {logged}; judged as {given} "
                     "(--optimizer)")
    if typical_range(given) is None and not is_lr_free(given):
        notes.append(f"lrwatch knows no usual LR range for {given} (--optimizer): the LR is "
                     "judged by the curves alone")
    return tuple(notes)


def _select(items: list[LogRun | _Failure], names: Sequence[str], paths: Sequence[str]
            ) -> list[LogRun | _Failure]:
    """The runs named by any of ``names`` (exactly, or as the last part of a folder run's name),
    in the order found.

    Paths that could not be read keep their failure; each name no run has gets one failure
    that lists the runs there are.
    """
    def named(item: LogRun, name: str) -> bool:
        return item.name == name or item.name.endswith("/" + name)

    runs = [item for item in items if not isinstance(item, _Failure)]
    chosen = [item for item in items if isinstance(item, _Failure)
              or any(named(item, name) for name in names)]
    listed = ", ".join(r.name for r in runs[:8]) + (" ..." if len(runs) > 8 else "")
    where = ", ".join(paths)
    missing = [_Failure(where, name, f"no run '{name}' in {where}; runs there: "
                                     f"{listed or 'none'} (LR range tests are not analysed)")
               for name in dict.fromkeys(names) if not any(named(run, name) for run in runs)]
    return [*chosen, *missing]


def _progress(items: Sequence[Any], file: TextIO | None = None) -> Any:
    """click's progress bar on stderr when many runs are read, else a plain iteration."""
    if len(items) < PROGRESS_MIN_RUNS:
        return contextlib.nullcontext(items)
    return click.progressbar(items, label="reading logs", show_pos=True,
                             file=file or sys.stderr, item_show_func=_progress_label)


def _progress_label(item: LogRun | _Failure | None) -> str | None:
    return None if item is None else printable(item.name or item.source)


def _utf8(text: str) -> str:
    r"""``text`` as valid UTF-8: the undecodable bytes of a file name (which Python keeps as lone
    surrogates, ``bad\udcff.csv``, refused by JSON readers and UTF-8 terminals) escaped as
    ``bad\xff.csv``."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        raw = text.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def _entry(source: str, run: str | None, diagnosis: dict[str, Any] | None = None,
           columns: dict[str, str] | None = None, notes: list[str] | None = None,
           error: str | None = None) -> dict[str, Any]:
    """One JSON entry with every key of ``ENTRY_KEYS`` (None where not known); the texts that
    carry paths (source, run, notes, error) made valid UTF-8."""
    d = diagnosis or {}
    confidence = d.get("confidence")
    values = {
        **{k: d.get(k) for k in ENTRY_KEYS},
        "source": _utf8(source),
        "run": None if run is None else _utf8(run),
        "confidence": confidence if confidence is None or math.isfinite(confidence) else None,
        "evidence": list(d.get("evidence", [])),
        "columns": columns or {},
        "notes": [_utf8(note) for note in notes or []],
        "error": None if error is None else _utf8(error),
    }
    return {k: values[k] for k in ENTRY_KEYS}


def _lr_cell(entry: dict[str, Any]) -> str:
    peak, suggested, factor = entry["peak_lr"], entry["suggested_lr"], entry["factor"]
    if peak is not None and suggested is not None:
        return f"{fmt_float(peak, 3)} → {fmt_float(suggested, 3)}"
    if factor is not None:
        return f"x{fmt_float(factor, 2)}"
    return fmt_float(peak, 3)


def _headline(entry: dict[str, Any]) -> str:
    """The finding a row shows: the top evidence of a problem; for a healthy run the rationale
    (its evidence is context, such as the update ratio, which beside "keep" reads as alarm);
    without an LR verdict (several optimizers) the health of each optimizer."""
    if entry["status"] == "no_lr_verdict":
        return " | ".join(entry["evidence"]) or entry["rationale"] or ""
    evidence = [] if entry["status"] == "healthy" else entry["evidence"]
    return (evidence or [entry["rationale"] or ""])[0]


def _human(entries: list[dict[str, Any]], show_source: bool) -> str:
    """A table, one row per run, then the notes that apply (one that every run carries, once);
    names, paths and messages with control characters escaped (``\\n``, ``\\x1b``), as
    ``runs`` and ``export`` print them."""
    headers = ["run", "status", "conf", "since", "steps", "lr", "action", "evidence"]
    if show_source:
        headers.insert(0, "source")
    rows: list[list[str]] = []
    notes: list[str] = []
    read = [e for e in entries if e["error"] is None]
    # a note every run read carries (a folder of runs of one logger) is said once
    shared = [n for n in dict.fromkeys(read[0]["notes"])
              if all(n in e["notes"] for e in read)] if len(read) > 1 else []
    for e in entries:
        run = printable(e["run"] or "-")
        if e["error"] is not None:
            row = [run, click.style("error", fg="red"), "", "", "", "", "", printable(e["error"])]
        else:
            row = [run, coloured(e["status"]), f"{e['confidence']:.2f}",
                   "-" if e["since_step"] is None else str(e["since_step"]), str(e["steps"]),
                   _lr_cell(e), e["action"], printable(_headline(e))]
            notes.extend(f"  {run}: {printable(note)}" for note in e["notes"]
                         if note not in shared)
        if show_source:
            row.insert(0, printable(e["source"]))
        rows.append(row)
    notes.extend(f"  every run: {printable(note)}" for note in shared)
    text = table(headers, rows)
    if notes:
        text += "\n" + click.style("notes:\n" + "\n".join(notes), dim=True)
    return text


def _nothing_read(entries: list[dict[str, Any]]) -> str:
    """The one-line error when no run could be read: the first reason, the other paths."""
    if not entries:
        return "nothing to analyze"
    first = entries[0]["error"]
    others = sorted({e["source"] for e in entries[1:]} - {entries[0]["source"]})
    if len(entries) == 1:
        return first
    if others:
        more = f"; also unreadable: {', '.join(others)}"
    else:
        more = f" (and {len(entries) - 1} more runs)"
    return f"nothing could be read: {first}{more}"
