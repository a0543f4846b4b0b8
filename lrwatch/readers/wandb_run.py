"""A Weights & Biases run file (``wandb/run-<date>-<id>/run-<id>.wandb``), read without wandb.

What ``wandb`` writes locally, online or offline: a run folder under ``wandb/`` holding the
run's transaction log ``run-<id>.wandb`` beside ``files/`` (``config.yaml``, ``output.log``,
``wandb-summary.json``) and ``logs/``. Repositories commit these folders; they hold every
``wandb.log`` call, so the run folder is one run.

The file is a LevelDB-style log (``wandb/sdk/internal/datastore.py``): a 7-byte header (``:W&B``,
a magic number, a version), then 32 KiB blocks of records, each with a 7-byte header (CRC32,
length, type: 1 a whole record, 2 its first piece, 3 a middle one, 4 the last). A record is a
protobuf ``wandb_internal.Record``; its field 2 is a history row (``HistoryRecord``), whose
items (field 1) carry ``key`` (field 1; wandb-core, the default since 0.18, writes the key's path
as ``nested_key``, field 2, instead) and ``value_json`` (field 16). Only those are read, so
no protobuf package is needed. The step is the trainer's own step where the run logs one
(``trainer/global_step``: Lightning's ``WandbLogger``; ``train/global_step``: the Hugging Face
Trainer), else W&B's ``_step`` (one per ``wandb.log`` call). A last record cut short (a run still
writing) is left out, with a note.

The run's config (``wandb.config``) gives hints (the LR, optimizer, batch size, momentum,
parameter count, a fine-tune) and the run's setup, so runs that differ only in the LR are found
as a sweep. It is ``files/config.yaml`` where W&B wrote one (each key ``{desc, value}``: an online
run, or a synced one), else the config records of the run file (an offline run writes no
``config.yaml``): the run record's config (field 4 of ``RunRecord``, field 17), then each
``ConfigRecord`` (field 5) of ``wandb.config.update``, their items shaped as history items.
``_wandb`` (W&B's own) is left out, nested values are flattened with dots
(``optimizer.lr``), and keys that say where a run went or its seed are no part of the setup.
"""

from __future__ import annotations

import json
import math
from array import array
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import numpy as np

from lrwatch.errors import InputError
from lrwatch.readers.base import Folder, FolderRuns, Found, LogRun, ReadOptions
from lrwatch.readers.columns import detect_columns
from lrwatch.readers import model_size
from lrwatch.readers.files import file_head, refuse_lfs_pointer
from lrwatch.readers.hftrainer import RUN_IDENTITY, fine_tune_from_args
from lrwatch.readers.hparams import hints_from_tree, read_yaml
from lrwatch.readers.series import Hints, Points, ReadResult, build_curves, cannot_read

SUFFIX = ".wandb"
MAGIC = b":W&B"
_FILE_HEADER = 7
_BLOCK = 32 * 1024
_RECORD_HEADER = 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4
# wandb_internal.proto: Record.history = 2; HistoryRecord.item = 1; HistoryItem.key = 1, its
# nested_key = 2 (the key's path, which wandb-core writes instead: ["train/loss"]), value_json = 16
_HISTORY, _ITEM, _KEY, _NESTED_KEY, _VALUE_JSON = 2, 1, 1, 2, 16
# Record.config = 5 (a ConfigRecord, its updates field 1 shaped as history items); Record.run =
# 17, whose RunRecord.config = 4 is the config given to wandb.init
_CONFIG, _RUN, _RUN_CONFIG = 5, 17, 4
CONFIG_FILE = "files/config.yaml"
# Where a run went and its seed, not how it trained: these differ across the runs of a sweep
# (the HF Trainer's arguments, which its WandbCallback logs, and the usual script flags).
_NOT_SETUP = RUN_IDENTITY | {"seed", "data_seed", "run_id", "out_dir", "log_dir", "save_dir",
                             "checkpoint_dir", "ckpt_dir", "exp_name", "experiment_name",
                             "wandb_project", "wandb_entity", "wandb_run_name", "project",
                             "entity"}
# the trainer's step where the run logs one, before W&B's own count of log calls
STEP_KEYS = ("trainer/global_step", "train/global_step", "_step")
# a run folder's own parts, never runs of their own (files/output.log is the run's console)
_PARTS = frozenset({"files", "logs", "tmp"})


class _Damaged(Exception):
    """A record that is no protobuf message of the shape W&B writes."""


def _records(fh: BinaryIO, cut: list[bool]) -> Iterator[bytes]:
    """The record payloads of a W&B run file, pieces joined, block by block; a last record cut
    short is not yielded, and ``cut`` gets True."""
    fh.read(_FILE_HEADER)
    pending = b""
    offset = _FILE_HEADER  # the first block holds the file header
    while block := fh.read(_BLOCK - offset):
        pos = 0
        while pos + _RECORD_HEADER <= len(block):
            length = int.from_bytes(block[pos + 4:pos + 6], "little")
            kind = block[pos + 6]
            if pos + _RECORD_HEADER + length > len(block):
                cut.append(True)  # the run was still writing it
                return
            payload = block[pos + _RECORD_HEADER:pos + _RECORD_HEADER + length]
            pos += _RECORD_HEADER + length
            if kind == _FULL:
                yield payload
            elif kind == _FIRST:
                pending = payload
            elif kind in (_MIDDLE, _LAST):
                pending += payload
                if kind == _LAST:
                    yield pending
                    pending = b""
            elif kind == 0 and length == 0:
                break  # zero padding: the block's tail
        offset = 0
    if pending:
        cut.append(True)


def _fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of a protobuf message: varints as int, the rest as bytes."""
    pos = 0

    def varint() -> int:
        nonlocal pos
        value = shift = 0
        while True:
            if pos >= len(buf) or shift > 63:
                raise _Damaged
            byte = buf[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while pos < len(buf):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            yield number, varint()
        elif wire == 2:
            size = varint()
            if pos + size > len(buf):
                raise _Damaged
            yield number, buf[pos:pos + size]
            pos += size
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            yield number, buf[pos:pos + width]
            pos += width
        else:
            raise _Damaged


def _row(history: bytes) -> dict[str, Any]:
    """One history row: ``{key: value}`` of its items (values as JSON decodes them)."""
    row: dict[str, Any] = {}
    for number, item in _fields(history):
        if number != _ITEM or not isinstance(item, bytes):
            continue
        key, path, raw = b"", [], None
        for part, value in _fields(item):
            if part == _KEY and isinstance(value, bytes):
                key = value
            elif part == _NESTED_KEY and isinstance(value, bytes):
                path.append(value)
            elif part == _VALUE_JSON and isinstance(value, bytes):
                raw = value
        name = (key or b".".join(path)).decode("utf-8", "replace")
        if name and raw is not None:
            try:
                row[name] = json.loads(raw)
            except ValueError:
                continue
    return row


def history_rows(fh: BinaryIO, config: dict[str, Any] | None = None
                 ) -> tuple[list[dict[str, Any]], list[str]]:
    """The history rows of an open W&B run file (read from its start), in logged order, and
    notes on what could not be read (a record cut short or damaged: the rows before it kept).
    ``config``, where given, gets the run's config items (``wandb.init``'s, then updates)."""
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    cut: list[bool] = []
    try:
        for record in _records(fh, cut):
            for number, value in _fields(record):
                if not isinstance(value, bytes):
                    continue
                if number == _HISTORY:
                    rows.append(_row(value))
                elif number == _CONFIG and config is not None:
                    config.update(_row(value))
                elif number == _RUN and config is not None:
                    for part, run_config in _fields(value):
                        if part == _RUN_CONFIG and isinstance(run_config, bytes):
                            config.update(_row(run_config))
    except _Damaged:
        notes.append(f"stopped at a damaged record after {len(rows)} history rows "
                     "(a run still writing, or a damaged file)")
    if cut:
        notes.append("left out the last record: it is cut short (a run still writing?)")
    return rows, notes


def _history(path: Path, config: dict[str, Any] | None = None
             ) -> tuple[list[dict[str, Any]], list[str]]:
    """The run's history rows in logged order, and notes on what could not be read; ``config``
    gets the config items of the file (``history_rows``).

    Raises:
        InputError: the file cannot be read or is no W&B run file.
    """
    try:
        with open(path, "rb") as fh:
            if fh.read(len(MAGIC)) != MAGIC:
                raise InputError(f"{path} is not a W&B run file (it does not start with "
                                 f"{MAGIC.decode()}); pass a wandb/run-*/run-*.wandb file")
            fh.seek(0)
            return history_rows(fh, config)
    except OSError as exc:
        raise cannot_read(path, exc) from None


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A config with nested values flattened to dotted keys (``optimizer.lr``)."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def read_config(path: Path, file_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The config of the run whose run file is ``path``, flattened (``_flat``), W&B's own
    ``_wandb`` left out: its folder's ``files/config.yaml`` (``{key: {desc, value}}``) where
    there is one, else ``file_config`` (the file's config records) or, not given, the file read
    for them. Empty when neither can be read: a config gives hints, never a reason to fail."""
    tree = read_yaml(path.parent / CONFIG_FILE)
    if tree is not None:
        config = {str(k): v["value"] if isinstance(v, dict) and "value" in v else v
                  for k, v in tree.items()}
    elif file_config is not None:
        config = file_config
    else:
        config = {}
        try:
            _history(path, config)
        except InputError:
            return {}
    return _flat({k: v for k, v in config.items() if k != "_wandb"})


def _nested(flat: dict[str, Any]) -> dict[str, Any]:
    """Dotted keys as a tree again, for the hint helpers, which look a few levels deep
    (``optimizer.class_path``); a key that is both a value and a parent keeps its dotted name."""
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        if isinstance(node, dict) and leaf not in node:
            node[leaf] = value
        else:
            tree[key] = value
    return tree


def config_hints(config: dict[str, Any]) -> Hints:
    """The hints a flattened run config gives, read as a Lightning ``hparams.yaml`` and a HF
    Trainer's arguments and model config are (the HF Trainer logs those to W&B)."""
    tree = _nested(config)
    leaves = {key.rsplit(".", 1)[-1].rsplit("/", 1)[-1]: value for key, value in config.items()}
    return replace(hints_from_tree(tree), fine_tune=fine_tune_from_args(leaves),
                   param_count=model_size.from_config(leaves), source="its W&B config")


def config_setup(config: dict[str, Any]) -> dict[str, Any] | None:
    """The run's setup: its config without the keys that say where it went or its seed (the
    sweep finder leaves out the LR-named ones itself)."""
    kept = {key: value for key, value in config.items()
            if key.rsplit(".", 1)[-1].lower() not in _NOT_SETUP}
    return {"config": kept} if kept else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def read_wandb_run(path: Path, loss_key: str | None = None,
                   lr_key: str | None = None) -> ReadResult:
    """A run from its W&B run file.

    Raises:
        InputError: the file cannot be read, is no W&B run file, logged no history, or has no
            loss key (the error lists the keys it has).
    """
    refuse_lfs_pointer(path)
    file_config: dict[str, Any] = {}
    rows, notes = _history(path, file_config)
    names = list(dict.fromkeys(k for row in rows for k, v in row.items()
                               if v is None or _number(v) is not None))
    if not rows or not names:
        raise InputError(f"{path} holds no logged metric: the run logged nothing yet")
    step_key = next(k for k in (*STEP_KEYS, None) if k is None or k in names)
    columns = detect_columns([k for k in names if k not in STEP_KEYS and not k.startswith("_")],
                             str(path), loss_key=loss_key, lr_key=lr_key)
    used = [c for c in (columns.loss, columns.lr, columns.grad_norm, columns.val_loss,
                        columns.val_metric) if c is not None]
    steps = {k: array("q") for k in used}
    values = {k: array("d") for k in used}
    no_step = 0
    for index, row in enumerate(rows):
        step = index if step_key is None else _number(row.get(step_key))
        if step is None or not math.isfinite(step):
            no_step += any(k in row for k in used)
            continue
        for key in used:
            if key in row:
                value = math.nan if row[key] is None else _number(row[key])
                if value is not None:
                    steps[key].append(int(step))
                    values[key].append(value)
    if no_step:
        notes.append(f"ignored {no_step} history rows without a '{step_key}'")
    if step_key == "_step":
        notes.append("the step is W&B's _step, one per wandb.log call (multiply by the logging "
                     "interval for optimizer steps)")
    points: dict[str, Points] = {k: (np.frombuffer(steps[k], dtype=np.int64),
                                     np.frombuffer(values[k], dtype=np.float64)) for k in used}
    result = build_curves(columns, points, config_hints(read_config(path, file_config)), str(path))
    return replace(result, notes=tuple(notes) + result.notes)


class WandbRunReader:
    """A W&B run folder (``run-<id>.wandb`` in it) is one run; a ``.wandb`` file given on its own
    is its folder's run."""

    format = "wandb"

    def wants(self, name: str) -> bool:
        return name.endswith(SUFFIX)

    def claims(self, path: Path, head: bytes, options: ReadOptions) -> bool:
        return path.suffix == SUFFIX and head.startswith(MAGIC)

    def file_runs(self, path: Path, options: ReadOptions) -> list[Found]:
        return [Found(path)]

    def folder_runs(self, folder: Folder, options: ReadOptions) -> FolderRuns:
        files = sorted(f for f in folder.files if self.wants(f))
        found = []
        for name in files:
            try:
                if file_head(folder.path / name, len(MAGIC)) != MAGIC:
                    continue
            except InputError as exc:
                found.append(Found(folder.path / name, label=Path(name).stem, error=str(exc)))
                continue
            found.append(Found(folder.path / name,
                               label=None if len(files) == 1 else Path(name).stem))
        return FolderRuns(tuple(found), _PARTS & frozenset(folder.dirs) if found else frozenset())

    def read(self, run: LogRun, options: ReadOptions) -> ReadResult:
        return read_wandb_run(run.path, loss_key=options.loss_key, lr_key=options.lr_key)

    def setup(self, run: LogRun) -> dict[str, Any] | None:
        return config_setup(read_config(run.path))


READER = WandbRunReader()
