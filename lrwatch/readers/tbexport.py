"""Curves downloaded from TensorBoard's page: one file a curve, the way people share them.

TensorBoard's "Download CSV" writes ``Wall time,Step,Value`` rows, and "Download JSON" a list of
``[wall time, step, value]``; each file holds one scalar tag of one run, named
``run-<run>-tag-<tag>.csv`` (the tag's ``/`` written as ``_``) unless the user renamed it
(``train_loss.csv``). The files of one run (the same ``<run>``; renamed files: every export in
the folder) are one run: each tag a curve, the loss, LR and validation loss chosen among the
tags as among a CSV's columns. A file given on its own is read with the other exports of its run
beside it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from lrwatch.errors import InputError
from lrwatch.readers.base import Folder, FolderRuns, Found, LogRun, ReadOptions
from lrwatch.readers.columns import detect_columns
from lrwatch.readers.files import file_head
from lrwatch.readers.series import Hints, Points, ReadResult, build_curves, cannot_read

SUFFIXES = (".csv", ".json")
# "Wall time,Step,Value" (TensorBoard's export), any capitals and spacing
_CSV_HEADER = re.compile(rb"^(?:\xef\xbb\xbf)?\s*wall[ _]?time\s*,\s*step\s*,\s*value\s*\r?\n",
                         re.IGNORECASE)
# ... and its JSON rows: a wall time (Unix seconds, 2001-2033), a step, a value (a data file of
# number triples is no export)
_JSON_START = re.compile(rb"^\s*\[\s*\[\s*1\d{9}(?:\.\d*)?(?:[eE][-+]?\d+)?\s*,\s*\d+(?:\.0)?\s*,")
# TensorBoard's file name: run-<run>-tag-<tag> (``run-.-tag-loss`` for a run at the log root)
_NAME = re.compile(r"^run[-_](?P<run>.*?)[-_]tag[-_](?P<tag>.+)$")
_MAX_BYTES = 256 * 1024 * 1024  # one scalar's export; larger is no such file


def is_export(path: Path) -> bool:
    """Whether a file is a TensorBoard scalar export, by its first bytes (never raises)."""
    if not path.name.lower().endswith(SUFFIXES):
        return False
    try:
        head = file_head(path, 256)
    except InputError:
        return False
    pattern = _CSV_HEADER if path.suffix.lower() == ".csv" else _JSON_START
    return pattern.match(head) is not None


def run_and_tag(path: Path) -> tuple[str | None, str]:
    """The run (None for a renamed file) and the tag an export's name gives."""
    match = _NAME.match(path.stem)
    return (match["run"], match["tag"]) if match else (None, path.stem)


class TensorBoardExportReader:
    """TensorBoard's "Download CSV" / "Download JSON" files: a run's exports are one run."""

    format = "tensorboard_export"

    def wants(self, name: str) -> bool:
        return name.lower().endswith(SUFFIXES)

    def claims(self, path: Path, head: bytes, options: ReadOptions) -> bool:
        return is_export(path)

    def file_runs(self, path: Path, options: ReadOptions) -> list[Found]:
        run, _ = run_and_tag(path)
        files = tuple(p for p in _exports(path.parent, [f.name for f in _siblings(path)])
                      if run_and_tag(p)[0] == run)
        return [Found(path, label=_label(path, run), files=files or (path,))]

    def folder_runs(self, folder: Folder, options: ReadOptions) -> FolderRuns:
        by_run: dict[str | None, list[Path]] = {}
        for path in _exports(folder.path, folder.files):
            by_run.setdefault(run_and_tag(path)[0], []).append(path)
        return FolderRuns(tuple(Found(files[0], label=_label(files[0], run), files=tuple(files))
                                for run, files in by_run.items()))

    def read(self, run: LogRun, options: ReadOptions) -> ReadResult:
        return read_exports(run.files or (run.path,), options)

    def setup(self, run: LogRun) -> dict[str, Any] | None:
        return None  # a curve's export says nothing of how the run was trained


def _siblings(path: Path) -> list[Path]:
    try:
        return sorted(p for p in path.parent.iterdir() if p.is_file())
    except OSError:
        return [path]


def _exports(folder: Path, names: Any) -> list[Path]:
    return [folder / n for n in sorted(names) if is_export(folder / n)]


def _label(path: Path, run: str | None) -> str:
    """A run's name in its folder: TensorBoard's run name (its folder's for ``.``), or the
    folder's for renamed exports."""
    if run in (None, "", "."):
        return path.parent.name or "."
    return run


def read_exports(files: tuple[Path, ...], options: ReadOptions = ReadOptions()) -> ReadResult:
    """One run from the exports of its tags, each tag a curve.

    Raises:
        InputError: a file cannot be read or is no export, or no tag is a training loss.
    """
    points: dict[str, Points] = {}
    notes = []
    for path in files:
        _, tag = run_and_tag(path)
        points[tag] = _read(path)
        if not points[tag][0].size:
            notes.append(f"{path.name} holds no point")
    where = ", ".join(p.name for p in files) if len(files) <= 3 else f"{files[0].parent} exports"
    columns = detect_columns(list(points), where, loss_key=options.loss_key,
                             lr_key=options.lr_key)
    result = build_curves(columns, points, Hints(), where)
    read = f"read TensorBoard's exported curves: {', '.join(sorted(points))}"
    return replace(result, notes=(read, *notes, *result.notes))


def _read(path: Path) -> Points:
    """The ``(steps, values)`` of one export.

    Raises:
        InputError: it cannot be read, or its rows are not ``wall time, step, value``.
    """
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise InputError(f"{path} is larger than a scalar's export ({_MAX_BYTES >> 20} MB)")
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a text file; pass TensorBoard's CSV or JSON") from None
    except OSError as exc:
        raise cannot_read(path, exc) from None
    if path.suffix.lower() == ".json":
        try:
            rows = json.loads(text)
        except ValueError as exc:
            raise InputError(f"{path} is not readable JSON ({exc})") from None
    else:
        rows = [line.split(",") for line in text.splitlines()[1:] if line.strip()]
    steps, values = [], []
    for number, row in enumerate(rows, start=2):
        try:
            _, step, value = (float(cell) for cell in row)
        except (TypeError, ValueError):
            raise InputError(f"{path}: row {number - (path.suffix.lower() == '.json')} is not "
                             f"'wall time, step, value' ({str(row)[:60]})") from None
        if math.isfinite(step) and step.is_integer():
            steps.append(int(step))
            values.append(value)
    return np.array(steps, dtype=np.int64), np.array(values, dtype=np.float64)


READER = TensorBoardExportReader()
