"""JSON training logs, in the three shapes training scripts write them:

- a dict of equal-length lists: a Keras ``History.history`` saved with ``json.dump``
  (``{"loss": [...], "val_loss": [...], "lr": [...]}``), and the same from many PyTorch scripts
  (``train_loss`` / ``val_loss``); one point per epoch unless a step list is there;
- a list of per-point records (``[{"epoch": 1, "train_loss": 0.9, "lr": 1e-3}, ...]``:
  ``metrics.json``, ``log.json``), or a dict holding such a list (or a dict of lists) under one
  key;
- JSON lines, one record per line: ``.jsonl``, and the ``log.txt`` that DeiT, MAE, ConvNeXt and
  DINO write once an epoch (``{"train_lr": ..., "train_loss": ..., "test_loss": ...,
  "epoch": ...}``). A ``.txt`` or ``.log`` whose first line is a JSON object is read here, not
  as a printed text log.

A file named in no way lrwatch knows (``metrics``, ``history.bak``) whose first bytes are a JSON
object's is read here too, as a ``.json`` is (``holds_json``).

Records of several kinds with one set of keys (one JSON event a line: ``{"event":
"training_step", "step": 1, "loss": 9.8}`` beside ``{"event": "validation_step", "step": 1,
"loss": 2.1}``) are told apart by their kind: the loss of a record whose ``event`` (``split``,
``phase``, ``mode``, ``stage``, ``type``, ``kind``) names a validation or test split is read as a
validation loss (``val_loss``), as a note says.

The step is a ``step`` (``global_step``, ``iter``, ``iteration``) key where one is there, else
the ``epoch`` (each point then summarises one epoch, as a note says), else the point's order.
``null`` and ``NaN`` are kept as non-finite points: they are what ``diverging`` is made of. A
record that lacks a key has no point of it (records are sparse, as ``metrics.csv`` rows are).
"""

from __future__ import annotations

import functools
import json
import math
import re
from array import array
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from lrwatch.errors import InputError
from lrwatch.readers.base import Folder, FolderRuns, Found, LogRun, ReadOptions
from lrwatch.readers.columns import (KIND_KEYS, Columns, detect_columns, is_loss_name,
                                    names_held_out)
from lrwatch.readers.files import TEXT_SUFFIXES, file_head, refuse_lfs_pointer
from lrwatch.readers.hparams import NOT_SETUP, hints_from_tree
from lrwatch.readers.series import Hints, Points, ReadResult, build_curves, cannot_read

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
LINE_SUFFIXES = TEXT_SUFFIXES  # read here only when their first line is a JSON object
# names of JSON lines: every other file read here may be one JSON document
_LINES_SUFFIXES = LINE_SUFFIXES + (".jsonl", ".ndjson")
# JSON's start: an object's first key, or a list of objects (a printed Python dict,
# ``{'loss': 2.1}``, is a text log's line)
_JSON_START = re.compile(rb"\s*(?:\[\s*)?\{\s*\"")
# LLaMA-Factory's ``trainer_log.jsonl`` counts its records' optimizer steps in ``current_steps``
STEP_KEYS = ("step", "global_step", "iter", "iteration", "trainer/global_step", "_step",
             "current_steps")
EPOCH_KEY = "epoch"
# What DeiT / MAE / ConvNeXt (``n_parameters``) and other scripts log of the model's size.
PARAM_KEYS = ("n_parameters", "num_parameters", "n_params", "num_params", "param_count")
SNIFF_BYTES = 64 * 1024  # a folder walk looks for a loss key in this much of a file's start
# A folder walk parses a whole ``.json`` to tell a log from a config only up to this size;
# a bigger one whose start names a loss is listed and read when asked.
SNIFF_PARSE_BYTES = 32 * 1024 * 1024
_SETTING_LIST = 8  # a list of numbers this long or shorter may be a setting (layer sizes)
_EXPECTED = ("a dict of equal-length lists (a Keras history), a list of per-point records, "
             "or JSON lines (one record per line)")
# A key whose value starts like a number, a list, null or NaN: ``"train_loss": [0.9`` or
# ``"loss": 0.9`` (a config's ``"loss": "ce"`` is no point).
_KEY = re.compile(rb'"([^"\\]{1,200})"\s*:\s*(?=[\[\-\d.]|null|NaN|Infinity)')
_EXAMPLES = 3


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _value(value: Any) -> float | None:
    """A logged value as a float (``null`` is NaN: a point that was not finite); None when it
    is no number."""
    if value is None:
        return math.nan
    return float(value) if _is_number(value) else None


def _is_series(values: Any) -> bool:
    """A list of numbers (``null`` allowed), at least one of them a number."""
    return (isinstance(values, list) and any(_is_number(v) for v in values)
            and all(v is None or _is_number(v) for v in values))


def _records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(r, dict) for r in value)


def _has_loss(keys: Iterable[str], loss_key: str | None) -> bool:
    return any(k == loss_key if loss_key else is_loss_name(k) for k in keys)


# --- parsing ---------------------------------------------------------------------------------

def _load(path: Path) -> tuple[Any, list[str]]:
    """``_parse`` of the file as it is now: a file that lists several runs is read once for
    the walk, its listing, each run and each run's setup, not once for each."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise cannot_read(path, exc) from None
    data, notes = _parsed(path, stat.st_mtime_ns, stat.st_size)
    return data, list(notes)


@functools.lru_cache(maxsize=2)
def _parsed(path: Path, mtime_ns: int, size: int) -> tuple[Any, tuple[str, ...]]:
    data, notes = _parse(path)
    return data, tuple(notes)


def _parse(path: Path) -> tuple[Any, list[str]]:
    """The file's JSON: one document (``.json``, a file of no JSON lines name) or a list of the
    records of its lines (JSON lines, and a ``.json`` written line by line), with notes on lines
    that were no record.

    Raises:
        InputError: it cannot be read, is a Git LFS pointer, or is neither JSON nor JSON lines.
    """
    refuse_lfs_pointer(path)
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except OSError as exc:
        raise cannot_read(path, exc) from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a text JSON file (not UTF-8); pass a JSON log") from None
    if not text.strip():
        raise InputError(f"{path} is empty: the run logged nothing yet")
    if path.suffix.lower() not in _LINES_SUFFIXES:
        try:
            return json.loads(text), []
        except ValueError as exc:
            if not str(exc).startswith("Extra data"):  # a second document: JSON lines
                raise InputError(f"{path} is not readable JSON ({exc}); the file may be cut "
                                 "short or damaged") from None
    return _json_lines(path, text)


def _json_lines(path: Path, text: str) -> tuple[list[Any], list[str]]:
    records: list[Any] = []
    bad: list[int] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            bad.append(number)
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            bad.append(number)
    if not records:
        raise InputError(f"{path} holds no JSON record on any line; expected {_EXPECTED}")
    notes = []
    if bad:
        cut = (" (the last one has no line end: a write in progress?)"
               if bad[-1] == len(lines) and not text.endswith(("\n", "\r")) else "")
        notes.append(f"ignored {len(bad)} lines that are not a JSON record (line "
                     f"{', '.join(map(str, bad[:_EXAMPLES]))}{' ...' if len(bad) > 3 else ''})"
                     f"{cut}")
    return records, notes


def _table(data: Any, path: Path, loss_key: str | None) -> tuple[Any, str | None]:
    """The dict of lists or the list of records in ``data`` (at its top, or under one key of a
    dict: the first whose keys name a loss) and that key.

    Raises:
        InputError: it holds neither.
    """
    if _records(data) or (isinstance(data, dict) and any(_is_series(v) for v in data.values())):
        return data, None
    inner = _inner_table(data, loss_key)
    if inner is not None and _has_loss(_keys(inner[0]), loss_key):
        return inner
    for key, value in data.items() if isinstance(data, dict) else ():
        records = _grouped_records(value)
        if records and _has_loss(_keys(records), loss_key):
            return records, key
    if inner is not None:
        return inner
    found = (f"a dict of {', '.join(map(repr, list(data)[:12]))}" if isinstance(data, dict)
             else f"a list of {len(data)} items" if isinstance(data, list)
             else f"a single {type(data).__name__}")
    raise InputError(f"{path} is JSON but not a training log lrwatch reads: it holds {found}; "
                     f"expected {_EXPECTED}")


def _inner_table(data: Any, loss_key: str | None) -> tuple[Any, str] | None:
    """The records or the dict of lists under one key of the dict ``data`` (the first whose keys
    name a loss, else the first), and that key; None when it holds none."""
    if not isinstance(data, dict):
        return None
    inner = [(k, v) for k, v in data.items()
             if _records(v) or (isinstance(v, dict) and any(_is_series(x) for x in v.values()))]
    for key, value in inner:
        if _has_loss(_keys(value), loss_key):
            return value, key
    return (inner[0][1], inner[0][0]) if inner else None


def _keys(table: Any) -> set[str]:
    """The keys of a dict's lists (a ``config`` beside them, with its ``moe_aux_loss_factor``,
    names no loss), or of every record of a list of them."""
    if isinstance(table, dict):
        return {k for k, v in table.items() if _is_series(v)}
    return {k for r in table for k in r}


def _grouped_records(value: Any) -> list[dict[str, Any]] | None:
    """A history kept in groups, each a dict of lists with its own step list (``{"train": {"iter":
    [...], "train_loss": [...]}, "val": {"iter": [...], "val_loss": [...]}}``: a W&B history
    exported by group) as one list of records in step order, each group's lists that are as long
    as its steps; None when ``value`` is no such thing (a group without a step list cannot be
    placed among the others)."""
    if not isinstance(value, dict):
        return None
    groups = [g for g in value.values()
              if isinstance(g, dict) and any(_is_series(x) for x in g.values())]
    steps = [_step_key(k for k in g if _is_series(g[k])) for g in groups]
    if not groups or None in steps:
        return None
    name = steps[0]
    records: list[dict[str, Any]] = []
    for group, step in zip(groups, steps):
        size = len(group[step])
        lists = {k: v for k, v in group.items() if _is_series(v) and len(v) == size}
        records += [{(name if k == step else k): v[i] for k, v in lists.items()}
                    for i in range(size)]
    return sorted(records, key=lambda r: (r[name] is None, r[name] or 0))


def _runs_of(data: Any, loss_key: str | None) -> bool:
    """Whether ``data`` is a list of runs, not the records of one: dicts that each hold their
    own log, as lists naming a loss (``[{"experiment": ..., "train_losses": [...]}, ...]``) or
    under a key (step-back's ``[{"config": ..., "history": [...]}, ...]``): a sweep saved as one
    file; none of them a record with a loss number of its own."""
    return _records(data) and all(
        not _has_loss((k for k, v in item.items() if v is None or _is_number(v)), loss_key)
        and (_has_loss(_keys(item), loss_key) or (
            (inner := _inner_table(item, loss_key)) is not None
            and _has_loss(_keys(inner[0]), loss_key)))
        for item in data)


def _parallel_runs(data: Any, loss_key: str | None) -> list[dict[str, Any]] | None:
    """A sweep saved as parallel lists, one item a run (``{"lr_s": [1e-4, 1e-3], "loss_history":
    [[...], [...]], "val_loss_history": [[...], [...]]}``): run ``i`` as a dict of each list's
    ``i``-th item (an LR list's as ``lr``) beside the file's other values; None when ``data``
    is no such thing: a loss key holding two or more lists of numbers, and a list of as many
    LRs (without it, lists of lists may be a run's epochs of batch losses)."""
    if not isinstance(data, dict):
        return None
    nested = {k: v for k, v in data.items() if isinstance(v, list) and len(v) >= 2
              and all(_is_series(x) for x in v)}
    losses = [v for k, v in nested.items() if _has_loss([k], loss_key)]
    if not losses:
        return None
    count = len(losses[0])
    if not any(_names_lrs(k) and _is_series(v) and len(v) == count for k, v in data.items()):
        return None
    nested = {k: v for k, v in nested.items() if len(v) == count}
    each = {("lr" if _names_lrs(k) else k): v for k, v in data.items()
            if _is_series(v) and len(v) == count}
    shared = {k: v for k, v in data.items() if k not in nested and not (
        _is_series(v) and len(v) == count)}
    return [{**shared, **{k: v[i] for k, v in each.items()},
             **{k: v[i] for k, v in nested.items()}} for i in range(count)]


def _names_lrs(key: str) -> bool:
    """Whether a key names a list of LRs (``lrs``, ``lr_s``, ``learning_rates``)."""
    return key.lower().replace("-", "_") in ("lrs", "lr_s", "lr_list", "learning_rates",
                                              "lr_values", "lr_grid")


def _runs(data: Any, loss_key: str | None) -> list[dict[str, Any]] | None:
    """The runs of a file that holds several: a list of runs (``_runs_of``) or parallel lists
    (``_parallel_runs``); None for a file of one run."""
    return data if _runs_of(data, loss_key) else _parallel_runs(data, loss_key)


# --- points ----------------------------------------------------------------------------------

def _step_key(names: Iterable[str]) -> str | None:
    present = set(names)
    return next((k for k in STEP_KEYS if k in present), None)


def _integral(values: Iterable[Any]) -> bool:
    return all(_is_number(v) and float(v).is_integer() for v in values)


def _columns_points(table: dict[str, Any], path: Path, options: ReadOptions
                    ) -> tuple[Columns, dict[str, Points], bool, list[str], Hints]:
    """A dict of lists: one point per index, at the step list's value where there is one."""
    series = {k: v for k, v in table.items() if _is_series(v)}
    step_key = _step_key(series)
    by_epoch = step_key is None
    if step_key is None and EPOCH_KEY in series and _integral(series[EPOCH_KEY]):
        step_key = EPOCH_KEY
    columns = detect_columns([k for k in series if k != step_key], str(path),
                             loss_key=options.loss_key, lr_key=options.lr_key)
    size = len(series[columns.loss])
    # a list of another length than the loss's counts other points (a validation loss per epoch
    # beside a loss per batch): its steps are unknown, so it is left out, and a note says so
    notes = []
    for field in ("lr", "grad_norm", "val_loss", "val_metric"):
        key = getattr(columns, field)
        if key is not None and len(series[key]) != size:
            columns = replace(columns, **{field: None})
            notes.append(f"{path}: '{key}' has {len(series[key])} values and the loss "
                         f"'{columns.loss}' {size}, so the steps of '{key}' are unknown: read "
                         "without it")
    used = [c for c in (columns.loss, columns.lr, columns.grad_norm, columns.val_loss,
                        columns.val_metric)
            if c is not None]
    if step_key is not None and len(series[step_key]) != size:
        raise InputError(f"{path}: its lists differ in length: '{columns.loss}' has {size} "
                         f"values, '{step_key}' has {len(series[step_key])}; a dict of lists is "
                         "read as one point per index, so the steps must be as many (pick "
                         "another loss with --loss-key)")
    if step_key is not None and not _integral(series[step_key]):
        raise InputError(f"{path}: its '{step_key}' list holds values that are not whole "
                         "numbers (or null); lrwatch reads it as the step of each point")
    steps = (np.asarray(series[step_key], dtype=np.int64) if step_key
             else np.arange(size, dtype=np.int64))
    points = {k: (steps, np.asarray([math.nan if v is None else float(v) for v in series[k]],
                                    dtype=np.float64)) for k in used}
    return columns, points, by_epoch, notes, _hints(table)


def _held_out_records(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The records with the losses of evaluation records renamed ``val_<name>`` (a record whose
    kind, ``event`` ...,  names a validation or test split), and notes saying so."""
    renamed: dict[tuple[str, str, str], int] = {}  # (kind key, its value, loss key) -> records
    out = []
    for record in records:
        kind = next((k for k in KIND_KEYS if isinstance(record.get(k), str)), None)
        if kind is None or not names_held_out(record[kind]):
            out.append(record)
            continue
        moved = {k: f"val_{k}" for k in record if is_loss_name(k) and f"val_{k}" not in record}
        for key in moved:
            renamed[(kind, record[kind], key)] = renamed.get((kind, record[kind], key), 0) + 1
        out.append({moved.get(k, k): v for k, v in record.items()})
    notes = [f"read '{key}' of the {count} records whose '{kind}' is '{value}' as a validation "
             f"loss ('val_{key}')" for (kind, value, key), count in renamed.items()]
    return out, notes


def _records_points(records: list[dict[str, Any]], path: Path, options: ReadOptions
                    ) -> tuple[Columns, dict[str, Points], bool, list[str], Hints]:
    """A list of records: each is one point of every key it has."""
    records, kind_notes = _held_out_records(records)
    names = list(dict.fromkeys(k for r in records for k, v in r.items()
                               if v is None or _is_number(v)))
    step_key = _step_key(names)
    by_epoch = False
    order = False
    if step_key is None and EPOCH_KEY in names and _integral(
            r[EPOCH_KEY] for r in records if EPOCH_KEY in r):
        step_key, by_epoch = EPOCH_KEY, True
    elif step_key is None:
        order = True
    try:
        columns = detect_columns([k for k in names if k != step_key], str(path),
                                 loss_key=options.loss_key, lr_key=options.lr_key)
    except InputError as exc:
        raise _text_loss(records, names, path, options) or exc from None
    used = [c for c in (columns.loss, columns.lr, columns.grad_norm, columns.val_loss,
                        columns.val_metric)
            if c is not None]
    steps = {k: array("q") for k in used}
    values = {k: array("d") for k in used}
    bad = {k: 0 for k in used}
    no_step = 0
    for index, record in enumerate(records):
        if order:
            step = index
        else:
            raw = record.get(step_key)
            if not (_is_number(raw) and float(raw).is_integer()):
                no_step += 1
                continue
            step = int(raw)
        for key in used:
            if key in record:
                value = _value(record[key])
                if value is None:
                    bad[key] += 1
                    continue
                steps[key].append(step)
                values[key].append(value)
    notes = kind_notes + [f"ignored {count} values of '{key}' that are not numbers"
                          for key, count in bad.items() if count]
    if no_step:
        notes.append(f"ignored {no_step} records whose '{step_key}' is missing or not a whole "
                     "number")
    if order:
        notes.append("its records carry no step or epoch: the step is the record's order "
                     "(multiply by the logging interval for optimizer steps)")
    points = {k: (np.frombuffer(steps[k], dtype=np.int64),
                  np.frombuffer(values[k], dtype=np.float64)) for k in used}
    return columns, points, by_epoch, notes, _hints(records[-1])


def _text_loss(records: list[dict[str, Any]], names: list[str], path: Path,
               options: ReadOptions) -> InputError | None:
    """Why no loss column was found where the records name one whose values are all text
    (``"loss": "2.31"``, a script that logged ``str(loss)``); None where they name none."""
    texts = [k for k in dict.fromkeys(k for r in records for k in r) if k not in names]
    key = options.loss_key if options.loss_key in texts else next(
        (k for k in texts if options.loss_key is None and is_loss_name(k)), None)
    if key is None:
        return None
    examples = [str(r[key])[:20] for r in records if r.get(key) is not None][:3]
    return InputError(f"{path}: none of its '{key}' values is a number (e.g. "
                      f"{', '.join(repr(e) for e in examples)}); write them as JSON numbers")


def _hints(source: dict[str, Any]) -> Hints:
    """The model's size where the log gives it (``n_parameters``: DeiT, MAE, ConvNeXt)."""
    for key in PARAM_KEYS:
        value = source.get(key)
        if isinstance(value, list):
            value = next((v for v in reversed(value) if _is_number(v)), None)
        if _is_number(value) and value > 0:
            return Hints(param_count=int(value))
    return Hints()


def read_json_log(path: Path, options: ReadOptions = ReadOptions(),
                  part: str | None = None) -> ReadResult:
    """A run from a JSON log: a dict of lists, a list of records, or JSON lines; ``part`` (an
    index) picks one run of a file that lists several. What a document holds beside its log (a
    ``config``, a ``learning_rate``, an ``optimizer``) is read for hints.

    Raises:
        InputError: the file cannot be read, is not JSON, holds none of those shapes, has no
            loss key (the error lists the keys it has), or its step list and loss list differ
            in length.
    """
    data, notes = _load(path)
    if part is not None:
        runs = _runs(data, options.loss_key)
        if runs is None or not 0 <= int(part) < len(runs):
            raise InputError(f"{path} no longer lists run {part}: list its runs again")
        data = runs[int(part)]
    # what the document says beside its log (a run's config, DeepOBS's learning_rate and
    # optimizer): hints, never points
    config = {k: v for k, v in data.items() if not (_is_series(v) or _records(v) or (
        isinstance(v, dict) and any(_is_series(x) for x in v.values())))} \
        if isinstance(data, dict) else None
    table, under = _table(data, path, options.loss_key)
    if under is not None:
        notes.append(f"read the {'records' if isinstance(table, list) else 'lists'} under "
                     f"'{under}'")
    read = _records_points if isinstance(table, list) else _columns_points
    columns, points, by_epoch, point_notes, hints = read(table, path, options)
    if config:
        hints = replace(hints_from_tree(config), param_count=hints.param_count,
                        source="the settings beside its log")
    result = build_curves(columns, points, hints, str(path), epoch_points=by_epoch)
    return replace(result, notes=tuple(notes + point_notes) + result.notes)


# --- recognising -----------------------------------------------------------------------------

def _first_record(head: bytes) -> dict[str, Any] | None:
    """The first non-blank line of ``head`` as a JSON object, None when it is not one."""
    for line in head.splitlines():
        if line.strip():
            try:
                record = json.loads(line.decode("utf-8-sig"))
            except ValueError:
                return None
            return record if isinstance(record, dict) else None
    return None


def holds_json(head: bytes) -> bool:
    """Whether a file whose name no reader claims begins as a JSON log does (``head``: its first
    bytes, UTF-8): an object's first key, or a list of objects."""
    return _JSON_START.match(head.removeprefix(b"\xef\xbb\xbf")) is not None


def _lines_name_loss(head: bytes) -> bool:
    """Whether a record among the complete lines of ``head`` names a loss."""
    complete = head if len(head) < SNIFF_BYTES else head.rsplit(b"\n", 1)[0]
    for line in complete.splitlines():
        try:
            record = json.loads(line.decode("utf-8-sig"))
        except ValueError:
            continue
        if isinstance(record, dict) and _has_loss(record, None):
            return True
    return False


def _is_log(path: Path) -> bool:
    """Whether a file met in a folder walk is a JSON log (never raises: the walk goes on)."""
    try:
        head = file_head(path, SNIFF_BYTES)
    except InputError:
        return False
    suffix = path.suffix.lower()
    if suffix in LINE_SUFFIXES or suffix in (".jsonl", ".ndjson"):
        return _first_record(head) is not None and _lines_name_loss(head)
    if b'"log_history"' in head:  # a Hugging Face trainer state: its own reader's
        return False
    if not any(is_loss_name(m.group(1).decode("utf-8", "replace")) for m in _KEY.finditer(head)):
        return False
    try:
        if path.stat().st_size > SNIFF_PARSE_BYTES:
            return True
        data, _ = _load(path)
        _table(data, path, None)
    except (InputError, OSError):
        return False
    return True


class JsonLogReader:
    """JSON logs: ``.json`` / ``.jsonl`` files, and ``.txt`` / ``.log`` files of JSON lines;
    each is a run named by its file stem."""

    format = "json"

    def wants(self, name: str) -> bool:
        return name.lower().endswith(JSON_SUFFIXES + LINE_SUFFIXES)

    def claims(self, path: Path, head: bytes, options: ReadOptions) -> bool:
        suffix = path.suffix.lower()
        if suffix in JSON_SUFFIXES:
            return True
        # ``--pattern`` asks for a text log: the text reader reads it then.
        return suffix in LINE_SUFFIXES and not options.pattern and (
            _first_record(head) is not None or head.lstrip().startswith(b'{"'))

    def file_runs(self, path: Path, options: ReadOptions) -> list[Found]:
        return _found(path, options)

    def folder_runs(self, folder: Folder, options: ReadOptions) -> FolderRuns:
        """Only the files that hold a log (a loss key, in a shape read here): a folder's
        ``config.json`` or ``package.json`` is not a run, nor is a ``trainer_state.json``."""
        found = []
        for name in sorted(folder.files):
            if not self.wants(name) or name == "trainer_state.json":
                continue
            if options.pattern and name.lower().endswith(LINE_SUFFIXES):
                continue
            path = folder.path / name
            if _is_log(path):
                found.extend(_found(path, options))
        return FolderRuns(tuple(found))

    def read(self, run: LogRun, options: ReadOptions) -> ReadResult:
        return read_json_log(run.path, options, part=run.part)

    def setup(self, run: LogRun) -> dict[str, Any] | None:
        """A run's setup, so the runs that differ only in their LR are a sweep: of a file that
        lists several, its ``config``; of a document of one run, its ``config``, else the
        settings it holds beside its lists where one of them names something (DeepOBS's
        ``optimizer`` and ``testproblem`` beside its ``batch_size``, a script's ``args`` with
        its ``optimizer``: numbers alone may be any model's), less its seed; None for a log of
        metrics alone (JSON lines)."""
        try:
            data, _ = _load(run.path) if run.part is not None or (
                run.path.suffix.lower() not in _LINES_SUFFIXES
                and run.path.stat().st_size <= SNIFF_PARSE_BYTES) else (None, [])
            if run.part is None:
                return _document_setup(data)
            runs = _runs(data, None) or []
            config = runs[int(run.part)].get("config")
        except (InputError, OSError, IndexError, ValueError, AttributeError, TypeError):
            return None
        if isinstance(data, dict):  # parallel lists: the runs of one file, at their own LRs
            return {"runs of one file": run.path.name}
        return {"hparams": config} if isinstance(config, dict) and config else None


def _document_setup(data: Any) -> dict[str, Any] | None:
    """The setup a JSON document of one run holds (``JsonLogReader.setup``)."""
    if not isinstance(data, dict):
        return None
    config = data.get("config")
    if isinstance(config, dict) and config:
        return {"hparams": config}
    settings = {k: v for k, v in data.items() if str(k).lower() not in NOT_SETUP and (
        v is None or isinstance(v, (str, int, float, bool))
        or (isinstance(v, dict) and not _holds_log(v)))}
    named = any(_names_something(v) for v in settings.values())
    return {"settings": settings} if named else None


def _holds_log(tree: dict[Any, Any]) -> bool:
    """Whether a mapping holds a log (records, a loss series, a series of more than a few
    numbers), not settings (``"layer_sizes": [784, 100, 10]``, ``"betas": [0.9, 0.999]``)."""
    return any(_records(v) or (_is_series(v) and (len(v) > _SETTING_LIST or is_loss_name(str(k))))
               for k, v in tree.items())


def _names_something(value: Any) -> bool:
    """A non-empty text, or a mapping that holds one (a script's ``args`` with its
    ``optimizer``)."""
    if isinstance(value, dict):
        return any(isinstance(v, str) and v for v in value.values())
    return isinstance(value, str) and bool(value)


def _found(path: Path, options: ReadOptions) -> list[Found]:
    """The runs of a JSON log: one, named by the file's stem, or each run of a file that holds
    several (a document no larger than SNIFF_PARSE_BYTES: a list of runs, parallel lists),
    named ``<stem>-<index>``."""
    try:
        if path.suffix.lower() not in _LINES_SUFFIXES \
                and path.stat().st_size <= SNIFF_PARSE_BYTES:
            runs = _runs(_load(path)[0], options.loss_key)
            if runs is not None:
                return [Found(path, label=f"{path.stem}-{i}", part=str(i))
                        for i in range(len(runs))]
    except (InputError, OSError):
        pass  # reading the run says what is wrong with the file
    return [Found(path, label=path.stem)]


READER = JsonLogReader()
