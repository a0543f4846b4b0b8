"""Lightning ``CSVLogger`` output: ``<save_dir>/<name>/version_<n>/metrics.csv``.

The file has one column per logged key, sorted, plus ``step`` (and ``epoch``); each row holds
one ``log_metrics`` call, so rows are sparse (training, validation and LR rows interleave) and
a cell is empty where a key was not logged. lrwatch's own ``lrwatch export`` CSV has the same
shape. A CSV without a ``step`` column is read as one step per row. Cells are split by the first
of comma, tab and semicolon found in the header line, so spreadsheet exports read too. A ``.log``
or ``.txt`` file whose first line is a CSV header naming a loss (Keras's ``CSVLogger`` writes
``training.log``: ``epoch,accuracy,loss,val_loss``) is read as a CSV, not as a printed log. In a
folder, any other ``.csv`` whose first line is such a header with a step or epoch column is a run
too, named by its stem (a sweep saved as ``lr=3e-4.csv``, ``lr=1e-3.csv`` ...); a CSV that names
no loss (a data set) or no step (a table of results, one row per run) is not a log. A table
read by epoch whose epoch goes back holds several runs one after another (a sweep saved as one
``pandas`` table): a run each, ``<stem>#<k>`` (``table_runs``).

A W&B panel's "Download CSV" export holds several runs: a ``Step`` column, then for each run
shown ``"<run> - <metric>"`` with ``"<run> - <metric>__MIN"`` / ``__MAX`` (its sampling bucket's
range). Such a file is one run per run name (labelled by it): only that run's columns are read,
the ``__MIN`` / ``__MAX`` ones left out, and the metric names chosen from as in any CSV.

The file is streamed once with the stdlib ``csv`` module and only the chosen columns are kept,
as compact arrays, so a multi-gigabyte log never sits in memory as text or twice as numbers.
Lightning writes whole lines, so a last line without its line end is a write cut short (it may
end in half a number): it is left out, with a note.
"""

from __future__ import annotations

import csv
import functools
import math
import os
from dataclasses import replace
import re
from array import array
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import numpy as np

from lrwatch.errors import InputError
from lrwatch.readers.base import Folder, FolderRuns, Found, LogRun, ReadOptions
from lrwatch.readers.columns import (KIND_KEYS, LOSS_KEY_CHOICE, detect_columns, is_loss_name,
                                    names_held_out)
from lrwatch.readers.files import file_head, refuse_lfs_pointer
from lrwatch.readers.hparams import NOT_SETUP, read_hints, setup_tree
from lrwatch.readers.series import Points, ReadResult, build_curves, cannot_read

if TYPE_CHECKING:
    from _csv import _reader

FILE_NAME = "metrics.csv"
# Lightning's, a W&B panel export's, Lightning's and the HF Trainer's under W&B or a history export
STEP_COLUMNS = ("step", "global_step", "Step", "trainer/global_step", "train/global_step")
_EXAMPLES = 3  # how many unreadable cells a note quotes
_INT64_MAX = 2**63 - 1
_DELIMITERS = (",", "\t", ";")  # the first found in the header line splits every row
_TAIL = 4096  # bytes read from the end of a file to quote a line cut short
HEADER_SUFFIXES = (".log", ".txt")  # read as CSV when their first line is a CSV header
# A header cell: a name as loggers write them (``val_loss``, ``lr-Adam/pg1``,
# ``grad_2.0_norm_total``), never a printed line's ``iter 0: loss 4.2``.
_HEADER_CELL = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")
WANDB_STEP = "Step"
_WANDB_SEPARATOR = " - "
_WANDB_BUCKET = ("__MIN", "__MAX")


@contextmanager
def _open_csv(path: Path, drop_last_line: bool = False) -> Iterator[_reader]:
    """A CSV reader of the file, with I/O, encoding and CSV errors turned into one-line
    InputErrors; ``drop_last_line`` leaves out a last line that has no line end."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            header = fh.readline()
            fh.seek(0)
            lines: Iterable[str] = fh
            if drop_last_line:  # only the last line can lack its end
                lines = (line for line in fh if line.endswith(("\n", "\r")))
            yield csv.reader(lines, delimiter=next((d for d in _DELIMITERS if d in header), ","))
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a text CSV file (not UTF-8); pass a metrics.csv") from None
    except csv.Error as exc:
        raise InputError(f"{path} is not a readable CSV file ({exc})") from None
    except OSError as exc:
        raise cannot_read(path, exc) from None


def _cut_short_line(path: Path) -> str | None:
    """The start of the file's last line when that line has no line end, else None."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - _TAIL))
            tail = fh.read()
    except OSError as exc:
        raise cannot_read(path, exc) from None
    if not tail or tail.endswith((b"\n", b"\r")):
        return None
    return tail.splitlines()[-1].decode("utf-8-sig", "replace")[:40]


def read_header(path: Path) -> list[str]:
    """The column names of a CSV log (its first row)."""
    refuse_lfs_pointer(path)
    with _open_csv(path) as reader:
        header = [cell.strip() for cell in next(reader, [])]
    if any(header):
        return header
    raise InputError(f"{path} is empty: no header and no rows")


def is_csv_header(head: bytes) -> bool:
    """Whether the first line of ``head`` is a CSV header that names a training loss: two or
    more names split by a comma, tab or semicolon (a printed log line is not one)."""
    cells = _header_cells(head)
    return (len(cells) >= 2 and all(_HEADER_CELL.match(c) for c in cells)
            and any(is_loss_name(c) for c in cells))


def _header_cells(head: bytes) -> list[str]:
    """The first line of ``head`` split by the first of comma, tab and semicolon found in it,
    each cell unquoted (empty when it holds none of them)."""
    line = head.split(b"\n", 1)[0].decode("utf-8-sig", "replace").strip()
    delimiter = next((d for d in _DELIMITERS if d in line), None)
    return [] if delimiter is None else [c.strip().strip('"') for c in line.split(delimiter)]


# In a folder walk, a ``.csv`` other than ``metrics.csv`` is a run only with one of these: a
# results table (``lr,final_loss,accuracy``, one row per run) names a loss but is no curve
_STEP_CELLS = frozenset({*(c.lower() for c in STEP_COLUMNS), "steps", "epoch",
                         "iter", "iteration", "iterations", "batch", "update", "updates"})


def _names_a_step(head: bytes) -> bool:
    """Whether the CSV header in ``head`` has a step or epoch column."""
    return any(c.lower() in _STEP_CELLS for c in _header_cells(head))


def _is_csv_run_header(head: bytes) -> bool:
    """Whether a ``.csv`` met in a folder walk is a run: its header names a loss and a step or
    epoch. Its suffix says it is CSV, so its names may hold what a text log's first line could
    not (YOLO's ``metrics/mAP50(B)``, ``metrics/mAP_0.5:0.95``)."""
    cells = _header_cells(head)
    return len(cells) >= 2 and any(is_loss_name(c) for c in cells) and _names_a_step(head)


# Ultralytics YOLO (and YOLOv5) write ``results.csv``, one row an epoch, beside ``args.yaml`` and
# TensorBoard events of the same run: the CSV is the folder's run (it alone logs the LR).
YOLO_FILE_NAME = "results.csv"


def _is_yolo_header(head: bytes) -> bool:
    """Whether ``head`` starts with a YOLO ``results.csv`` header: an epoch, a ``train/...``
    loss and ``metrics/mAP...`` columns."""
    cells = [c.lower() for c in _header_cells(head)]
    return ("epoch" in cells and any(c.startswith("metrics/map") for c in cells)
            and any(c.startswith("train/") and is_loss_name(c) for c in cells))


def _index(path: Path, header: Sequence[str], name: str) -> int:
    """The place of the column ``name`` that is read.

    Raises:
        InputError: two columns have that name (which one holds the run is not known).
    """
    places = [i + 1 for i, cell in enumerate(header) if cell == name]
    if len(places) > 1:
        raise InputError(
            f"{path} has {len(places)} columns named '{name}' (columns "
            f"{', '.join(map(str, places))}): lrwatch cannot tell which one to read; rename "
            "the others")
    return places[0] - 1


def read_columns(path: Path, header: Sequence[str], wanted: Sequence[str],
                 required: str | None = None, kind: str | None = None
                 ) -> tuple[dict[str, Points], list[str]]:
    """Stream the file once and keep the points of ``wanted`` columns.

    Returns each column's ``(steps, values)`` in file order (empty cells skipped; ``nan``,
    ``inf`` kept) and notes about cells that were not numbers and a last line cut short.
    ``kind``: the column that says each row's split (``split``: train / val); a loss column's
    cells of the rows it names a validation or test split are points of ``val_<column>``.

    Raises:
        InputError: the file has no rows, or the ``required`` column got no point and the
            file shows why (no usable step, no number in it, one column, a quote never closed).
    """
    names = list(dict.fromkeys(wanted))
    step_index = next((_index(path, header, c) for c in STEP_COLUMNS if c in header), None)
    # One itemgetter picks the step and every wanted cell of a row: the loop's hot path.
    picks = [0 if step_index is None else step_index, *(_index(path, header, n) for n in names)]
    if kind is not None:
        picks.append(_index(path, header, kind))  # last: the cells zipped stop before it
    pick = itemgetter(*picks)
    width = max(picks) + 1
    steps = [array("q") for _ in names]
    values = [array("d") for _ in names]
    sinks = list(zip((a.append for a in steps), (a.append for a in values), range(len(names))))
    held_out_names = [f"val_{n}" for n in names if kind is not None and is_loss_name(n)]
    held_steps = {n: array("q") for n in held_out_names}
    held_values = {n: array("d") for n in held_out_names}
    held_sinks = [(held_steps[f"val_{n}"].append, held_values[f"val_{n}"].append, sink[2])
                  if f"val_{n}" in held_steps else sink for n, sink in zip(names, sinks)]
    held_out_kinds: dict[str, bool] = {}  # a kind's value -> names a validation or test split
    held_rows: dict[str, int] = {}
    bad_counts = [0] * len(names)
    bad_examples: list[list[str]] = [[] for _ in names]
    bad_step_examples: list[str] = []
    fraction_examples: list[str] = []
    rows = blank = bad_step_count = fraction_count = 0
    cut_short = _cut_short_line(path)
    with _open_csv(path, drop_last_line=cut_short is not None) as reader:
        if next(reader, None) is None:
            cut_short = None  # the header was the only line: no row was cut short
        for row in reader:
            if not row:
                blank += 1
                continue
            rows += 1
            if len(row) < width:
                row = row + [""] * (width - len(row))
            cells = pick(row)
            step: int | None
            if step_index is None:
                step = rows - 1
            else:
                try:
                    step = int(cells[0])
                except ValueError:
                    step = _step(cells[0])
                    if step is None and _fraction(cells[0]):  # never truncated to a step
                        fraction_count += 1
                        if len(fraction_examples) < _EXAMPLES:
                            fraction_examples.append(cells[0][:20])
                        continue
                if step is None or not -_INT64_MAX <= step <= _INT64_MAX or "_" in cells[0]:
                    if len(bad_step_examples) < _EXAMPLES:
                        bad_step_examples.append(cells[0][:20])
                    bad_step_count += 1
                    continue
            row_sinks = sinks
            if kind is not None:
                split = cells[-1].strip()
                if held_out_kinds.setdefault(split, names_held_out(split)):
                    row_sinks = held_sinks
                    held_rows[split] = held_rows.get(split, 0) + 1
            for (add_step, add_value, column), cell in zip(row_sinks, cells[1:]):
                if cell:
                    try:
                        if "_" in cell:  # float() reads 1_05 as 105 (PEP 515): no log writes it
                            raise ValueError(cell)
                        value = float(cell)
                    except ValueError:
                        bad_counts[column] += 1
                        if len(bad_examples[column]) < _EXAMPLES:
                            bad_examples[column].append(cell[:20])
                        continue
                    add_step(step)
                    add_value(value)
        spanned = reader.line_num - 1 - rows - blank  # lines read inside quoted cells
    if rows == 0:
        cut = "" if cut_short is None else (
            f" (its last line {cut_short!r} has no line end, so it may be cut short)")
        raise InputError(f"{path} has a header but no rows: the run logged nothing yet{cut}")
    notes = [f"ignored {count} non-numeric values in '{name}' (e.g. {_quoted(examples)})"
             for name, count, examples in zip(names, bad_counts, bad_examples) if count]
    if bad_step_count:
        notes.append(f"ignored {bad_step_count} rows whose step is not a number")
    if fraction_count:
        notes.append(f"ignored {fraction_count} rows whose step is not a whole number "
                     f"(e.g. {_quoted(fraction_examples)})")
    if cut_short is not None:
        notes.append(f"left out the last line {cut_short!r}: it has no line end, so it may be "
                     "cut short (a write in progress?)")
    if spanned:
        notes.append(f"{spanned} lines were read inside quoted cells, as part of an earlier row "
                     "(a quote \" never closed?)")
    points = {name: (np.frombuffer(s, dtype=np.int64), np.frombuffer(v, dtype=np.float64))
              for name, s, v in zip(names, steps, values)}
    for name in held_out_names:
        points[name] = (np.frombuffer(held_steps[name], dtype=np.int64),
                        np.frombuffer(held_values[name], dtype=np.float64))
    if held_out_names:
        losses = ", ".join(f"'{n[4:]}'" for n in held_out_names)
        notes[:0] = [f"read {losses} of the {count} rows whose '{kind}' is '{split}' as a "
                     f"validation loss ({', '.join(repr(n) for n in held_out_names)})"
                     for split, count in held_rows.items()]
    if required is not None and not points[required][0].size:
        if step_index is not None and fraction_count and bad_step_count + fraction_count == rows:
            raise InputError(
                f"{path} has no usable step: its '{header[step_index]}' cells are not whole "
                f"numbers (e.g. {_quoted(fraction_examples)}), so they count no optimizer steps; "
                "rename that column to read the rows in order, one step each")
        if step_index is not None and bad_step_count == rows:
            raise InputError(
                f"{path} has no usable step: no '{header[step_index]}' cell is a number within "
                f"±2^63 (e.g. {_quoted(bad_step_examples)})")
        column = names.index(required)
        if bad_counts[column]:
            raise _no_number(path, required, bad_counts[column], bad_examples[column],
                             one_column=len(header) == 1, spanned=spanned)
    return points, notes


def _no_number(path: Path, name: str, count: int, examples: list[str], one_column: bool,
               spanned: int) -> InputError:
    """Every cell of column ``name`` was text: say so, and the likely cause when the file
    shows one."""
    if spanned:
        hint = f"{spanned} lines were read inside quoted cells (a quote \" never closed?)"
    elif one_column:
        hint = "the file has a single column: lrwatch reads comma-, tab- or semicolon-separated CSV"
    else:
        hint = f"pick another with {LOSS_KEY_CHOICE}"
    return InputError(f"{path}: none of the {count} values in '{name}' is a number "
                      f"(e.g. {_quoted(examples)}); {hint}")


def _quoted(examples: list[str]) -> str:
    return ", ".join(map(repr, examples))


def _step(cell: str) -> int | None:
    """A step written as a float (``12.0``, as pandas writes), None when it is no whole
    number."""
    try:
        number = float(cell)
        return int(number) if number.is_integer() else None
    except (ValueError, OverflowError):
        return None


def _fraction(cell: str) -> bool:
    """Whether a cell is a finite number but no whole one (``0.5``: no optimizer step)."""
    try:
        number = float(cell)
    except ValueError:
        return False
    return math.isfinite(number) and not number.is_integer() and "_" not in cell


def wandb_runs(header: Sequence[str]) -> dict[str, dict[str, str]] | None:
    """The runs of a W&B panel export, each as ``{metric: column}`` (``__MIN`` / ``__MAX``
    columns left out), in the file's order; None when ``header`` is not one (a ``Step`` column
    and every other column ``"<run> - <metric>"``)."""
    others = [h for h in header if h != WANDB_STEP]
    if WANDB_STEP not in header or not others:
        return None
    runs: dict[str, dict[str, str]] = {}
    for column in others:
        run, separator, metric = column.rpartition(_WANDB_SEPARATOR)
        if not separator or not run.strip() or not metric.strip():
            return None
        if not metric.endswith(_WANDB_BUCKET):
            runs.setdefault(run.strip(), {}).setdefault(metric.strip(), column)
    return runs or None


def read_csv_log(path: Path, loss_key: str | None = None, lr_key: str | None = None,
                 part: str | None = None) -> ReadResult:
    """A run from a CSVLogger ``metrics.csv`` (hints from ``hparams.yaml`` beside it), or the
    run ``part`` of a W&B panel export.

    Raises:
        InputError: the file is empty, has no rows, is not CSV text, or has no loss column.
    """
    header = read_header(path)
    if part is not None and wandb_runs(header) is not None:
        return _read_wandb_run(path, header, part, loss_key, lr_key)
    # a long log's split column (train / val rows): its val rows' losses are val_<loss> points
    kind = next((h for h in header if h.lower() in KIND_KEYS), None)
    held_out = {} if kind is None else {f"val_{h}": h for h in header
                                        if is_loss_name(h) and f"val_{h}" not in header}
    columns = detect_columns([h for h in header if h and h not in STEP_COLUMNS]
                             + list(held_out), str(path), loss_key=loss_key, lr_key=lr_key)
    wanted = [held_out.get(c, c) for c in (columns.loss, columns.lr, columns.grad_norm,
                                            columns.val_loss, columns.momentum,
                                            columns.val_metric) if c is not None]
    epoch = _epoch_index(header)
    points, notes = read_columns(path, header, wanted + [epoch] * (epoch is not None),
                                 required=columns.loss, kind=kind if held_out else None)
    if epoch is not None:
        starts = _run_starts(*points[epoch])
        if part is not None:
            points, which = _table_run(path, points, starts, int(part))
            held = table_runs(path)
            if int(part) <= len(held) and held[int(part) - 1]:
                which += ": its rows with " + ", ".join(
                    f"{k}={v}" for k, v in held[int(part) - 1].items())
            notes.insert(0, which)
        elif len(starts) > 1:
            _refuse_runs_one_after_another(path, *points[epoch])
    if columns.val_loss in held_out and not points[columns.val_loss][0].size:
        columns = replace(columns, val_loss=None)  # a split column that names no val rows
    result = build_curves(columns, points, read_hints(path.parent), str(path),
                          epoch_points=epoch is not None)
    return replace(result, notes=tuple(notes) + result.notes)


def _epoch_index(header: Sequence[str]) -> str | None:
    """The epoch column of a table whose rows are epochs (a Keras ``CSVLogger`` log, a
    ``pandas`` table with an ``Epoch`` column), any capitalisation; None where a step column, or
    a finer count (``iteration``, ``batch`` ...), says the rows are steps."""
    cells = {h.lower() for h in header}
    if any(c in header for c in STEP_COLUMNS) or cells & (_STEP_CELLS - {"epoch"}):
        return None
    return next((h for h in header if h.lower() == "epoch"), None)


def _run_starts(rows: np.ndarray, epochs: np.ndarray) -> list[int]:
    """The first row of each run of a table read by epoch: a run starts where the epoch goes
    back (cells that are no number belong to the run they sit in)."""
    finite = np.isfinite(epochs)
    back = np.flatnonzero(np.diff(epochs[finite]) < 0)
    return [0, *(int(r) for r in rows[finite][back + 1])]


def table_runs(path: Path) -> list[dict[str, str]]:
    """The runs of a CSV table read by epoch whose epoch column starts again (a sweep saved as
    one table, as ``pandas`` writes it), each as the columns that hold one value through it
    and set it apart from the others (``{"start_lr": "0.001", "seed": "0"}``); [] for a table
    of one run (or no table read by epoch). Never raises: reading the file says what is wrong.
    A table is read once for its listing and each of its runs, not once for each."""
    try:
        stat = path.stat()
    except OSError:
        return []
    return [dict(run) for run in _table_runs(path, stat.st_mtime_ns, stat.st_size)]


@functools.lru_cache(maxsize=4)
def _table_runs(path: Path, mtime_ns: int, size: int) -> tuple[dict[str, str], ...]:
    """``table_runs`` of the file as it is now (its time and size key the cache)."""
    try:
        header = read_header(path)
        epoch = _epoch_index(header)
        if epoch is None:
            return ()
        points, _ = read_columns(path, header, [epoch])
        starts = _run_starts(*points[epoch])
        if len(starts) < 2:
            return ()
        held = _values_held(path, header, starts)
    except InputError:
        return ()
    apart = [c for c, values in zip(header, zip(*held))
             if None not in values and len(set(values)) > 1 and c != epoch]
    return tuple({c: run[header.index(c)] for c in apart} for run in held)


def _values_held(path: Path, header: Sequence[str], starts: list[int]) -> list[list[str | None]]:
    """For each run (rows from each of ``starts``), each column's cell where every row of the
    run holds the same one, else None."""
    held: list[list[str | None]] = []
    bounds = set(starts)
    with _open_csv(path) as reader:
        next(reader, None)
        for row_number, row in enumerate(r for r in reader if r):
            cells = [c.strip() for c in row] + [""] * (len(header) - len(row))
            if row_number in bounds:
                held.append(list(cells[:len(header)]))
                continue
            run = held[-1]
            for i, cell in enumerate(cells[:len(header)]):
                if run[i] is not None and run[i] != cell:
                    run[i] = None
    return held


def _table_run(path: Path, points: dict[str, Points], starts: list[int], k: int
               ) -> tuple[dict[str, Points], str]:
    """The points of run ``k`` (from 1) of a table of runs one after another, its rows counted
    from 0, and the note that says which it is.

    Raises:
        InputError: the table holds no such run (it was rewritten since it was listed).
    """
    if not 1 <= k <= len(starts):
        raise InputError(f"{path} holds {len(starts)} run(s) one after another, not a run {k}: "
                         "it changed since it was listed; list its runs again")
    low = starts[k - 1]
    high = starts[k] if k < len(starts) else np.iinfo(np.int64).max
    kept = {}
    for name, (rows, values) in points.items():
        inside = (rows >= low) & (rows < high)
        kept[name] = (rows[inside] - low, values[inside])
    return kept, (f"run {k} of those {path.name} holds one after another (its 'epoch' column "
                  "starts again)")


def _refuse_runs_one_after_another(path: Path, rows: np.ndarray, epochs: np.ndarray) -> None:
    """Raise when the epoch column of a CSV read whole starts again: the file is a table of
    several runs one after another (a sweep saved as one file), which read as one run would be
    one curve jumping back up at each new run (``table_runs`` lists them, each read alone).

    Raises:
        InputError: the epoch goes back at some row.
    """
    finite = np.isfinite(epochs)
    rows, epochs = rows[finite], epochs[finite]
    back = np.flatnonzero(np.diff(epochs) < 0)
    if back.size:
        first = back[0]
        raise InputError(
            f"{path} holds several runs one after another: its 'epoch' column starts again "
            f"{back.size} time{'s' * (back.size > 1)} (from {epochs[first]:g} to "
            f"{epochs[first + 1]:g} at line {rows[first + 1] + 2}); list its runs (lrwatch "
            "analyze reads each) and read one of them")


def _read_wandb_run(path: Path, header: Sequence[str], part: str, loss_key: str | None,
                    lr_key: str | None) -> ReadResult:
    """The run ``part`` of a W&B panel export: its columns only, named by their metrics."""
    metrics = (wandb_runs(header) or {}).get(part)
    if metrics is None:
        raise InputError(f"{path} has no run '{part}' (not a W&B panel export with that run)")
    where = f"{path} (W&B run '{part}')"
    columns = detect_columns(list(metrics), where, loss_key=loss_key, lr_key=lr_key)
    wanted = [c for c in (columns.loss, columns.lr, columns.grad_norm, columns.val_loss,
                          columns.momentum, columns.val_metric) if c is not None]
    found, notes = read_columns(path, header, [metrics[c] for c in wanted],
                                required=metrics[columns.loss])
    points = {name: found[metrics[name]] for name in wanted}
    if not points[columns.loss][0].size:
        raise InputError(f"{where}: its '{columns.loss}' column has no point")
    result = build_curves(columns, points, read_hints(path.parent), where)
    return replace(result, notes=tuple(notes) + result.notes)


def _table_found(path: Path, table: list[dict[str, str]]) -> list[Found]:
    """The runs of a table of runs one after another, ``<stem>#<k>``."""
    return [Found(path, label=f"{path.stem}#{k}", part=str(k)) for k in range(1, len(table) + 1)]


class CsvLogReader:
    """Lightning ``metrics.csv`` (a folder holding one is a run) and any CSV given on its own."""

    format = "csv"

    def wants(self, name: str) -> bool:
        return name == FILE_NAME or name.lower().endswith(HEADER_SUFFIXES + (".csv",))

    def claims(self, path: Path, head: bytes, options: ReadOptions) -> bool:
        suffix = path.suffix.lower()
        # ``--pattern`` asks for a text log: the text reader reads a .log / .txt then.
        return suffix == ".csv" or (suffix in HEADER_SUFFIXES and not options.pattern
                                    and is_csv_header(head))

    def file_runs(self, path: Path, options: ReadOptions) -> list[Found]:
        try:
            runs = wandb_runs(read_header(path))
        except InputError:
            runs = None  # reading the run says what is wrong with the file
        if runs is not None:  # a W&B panel export: a run per run name
            return [Found(path, label=name, part=name) for name in runs]
        if path.name != FILE_NAME and (table := table_runs(path)):
            return _table_found(path, table)
        return [Found(path, label=None if path.name == FILE_NAME else path.stem)]

    def folder_runs(self, folder: Folder, options: ReadOptions) -> FolderRuns:
        """A ``metrics.csv`` is its folder's run; any other ``.csv``, and a ``.log`` / ``.txt``
        (Keras's ``training.log``), that starts with a CSV header naming a loss is a run named
        by its stem (``--pattern`` asks for ``.log`` / ``.txt`` as text logs)."""
        runs = [Found(folder.path / FILE_NAME)] if FILE_NAME in folder.files else []
        suffixes = (".csv",) if options.pattern else (".csv", *HEADER_SUFFIXES)
        for name in sorted(f for f in folder.files
                           if f != FILE_NAME and f.lower().endswith(suffixes)):
            try:
                head = file_head(folder.path / name)
                if not runs and name == YOLO_FILE_NAME and _is_yolo_header(head):
                    runs.append(Found(folder.path / name))  # the folder's run, as metrics.csv
                elif (_is_csv_run_header(head) if name.lower().endswith(".csv")
                      else is_csv_header(head)):
                    table = table_runs(folder.path / name)
                    runs.extend(_table_found(folder.path / name, table) if table else
                                [Found(folder.path / name, label=Path(name).stem)])
            except InputError:
                continue  # a .log / .txt: the text reader says why it cannot be read
        return FolderRuns(tuple(runs))

    def read(self, run: LogRun, options: ReadOptions) -> ReadResult:
        return read_csv_log(run.path, loss_key=options.loss_key, lr_key=options.lr_key,
                            part=run.part)

    def setup(self, run: LogRun) -> dict[str, Any] | None:
        if run.part is not None and run.name.endswith(f"#{run.part}"):
            # a run of a table of runs: its settings but its seed (the LR is set apart later)
            table = table_runs(run.path)
            held = table[int(run.part) - 1] if int(run.part) <= len(table) else {}
            return {"table": run.path.name,
                    **{k: v for k, v in held.items() if k.lower() not in NOT_SETUP}}
        if run.part is not None:  # the runs a user shows in one W&B panel: one sweep
            return {"wandb_panel_export": run.path.name}
        tree = setup_tree(run.path.parent)  # Lightning's hparams.yaml, less its seed
        return {"hparams": tree} if tree else None


READER = CsvLogReader()
