"""MLflow's file store (``mlruns/``): what Lightning's ``MLFlowLogger`` and the Hugging Face
Trainer's ``MLflowCallback`` write by default, read without MLflow installed.

A run is a folder ``mlruns/<experiment>/<run id>/`` holding ``meta.yaml`` and ``metrics/``; each
metric is a file under ``metrics/`` (a key with slashes, ``train/loss``, is nested folders), one
line per logged point, ``<timestamp ms> <value> <step>``. ``params/<name>`` files hold one value
each (the LR, the optimizer, the batch size): read as hints and as the run's setup, as a
Lightning ``hparams.yaml`` is. In a folder walk an experiment's runs are named by their run
names (``mlruns/<experiment>/<run name>``; the run id's first 8 characters added where two share
a name); runs MLflow marks deleted are left out, as MLflow's own listings leave them out.
"""

from __future__ import annotations

import re
from array import array
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from lrwatch.errors import InputError
from lrwatch.readers.base import Folder, FolderRuns, Found, LogRun, ReadOptions
from lrwatch.readers.columns import detect_columns
from lrwatch.readers.files import refuse_lfs_pointer
from lrwatch.readers.hparams import hints_from_tree, text_value
from lrwatch.readers.series import Points, ReadResult, build_curves, cannot_read

META = "meta.yaml"
METRICS = "metrics"
PARAMS = "params"
# a run folder's own parts, never runs of their own (artifacts may hold a copy of other logs)
_PARTS = frozenset({METRICS, PARAMS, "tags", "artifacts", "inputs", "outputs"})


_META_LINE = re.compile(r"^(run_name|lifecycle_stage):\s*(.*?)\s*$", re.MULTILINE)


def is_run_folder(path: Path) -> bool:
    return (path / META).is_file() and (path / METRICS).is_dir()


def _run_meta(path: Path) -> dict[str, str]:
    """``run_name`` and ``lifecycle_stage`` of a run's ``meta.yaml`` (empty when unreadable)."""
    try:
        text = (path / META).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    return {key: value.strip("'\"") for key, value in _META_LINE.findall(text)}


def _experiment_runs(folder: Folder) -> FolderRuns:
    """The live runs of an experiment folder, labelled by run name (unique within it); every
    run folder, a deleted one's too, is covered: the walk does not read it on its own."""
    runs, covered = [], []
    for name in folder.dirs:
        path = folder.path / name
        if not is_run_folder(path):
            continue
        covered.append(name)
        meta = _run_meta(path)
        if meta.get("lifecycle_stage") != "deleted":
            runs.append((path, meta.get("run_name") or name))
    counts = Counter(label for _, label in runs)
    return FolderRuns(tuple(Found(path, label if counts[label] == 1 else
                                  f"{label} ({path.name[:8]})") for path, label in runs),
                      frozenset(covered))


def _metric_points(path: Path) -> tuple[Points, int]:
    """One metric file's ``(steps, values)`` in file order and how many lines were not
    ``timestamp value step``.

    Raises:
        InputError: it cannot be read.
    """
    refuse_lfs_pointer(path)
    steps, values = array("q"), array("d")
    bad = 0
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                cells = line.split()
                if not cells:
                    continue
                try:
                    value = float(cells[1])
                    step = int(cells[2]) if len(cells) > 2 else len(steps)
                except (IndexError, ValueError):
                    bad += 1
                    continue
                steps.append(step)
                values.append(value)
    except OSError as exc:
        raise cannot_read(path, exc) from None
    return (np.frombuffer(steps, dtype=np.int64), np.frombuffer(values, dtype=np.float64)), bad


def read_params(run: Path) -> dict[str, Any]:
    """``params/<name>`` files as a tree (``optimizer/lr`` nested); empty where there are none
    or they cannot be read: params are hints, never a reason to fail a read."""
    tree: dict[str, Any] = {}
    folder = run / PARAMS
    if not folder.is_dir():
        return tree
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            value = text_value(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        *parents, leaf = path.relative_to(folder).parts
        node = tree
        for part in parents:  # a folder and a file of one name cannot both exist
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def read_mlflow_run(run: Path, loss_key: str | None = None,
                    lr_key: str | None = None) -> ReadResult:
    """A run of an MLflow file store from its metric files, hints from its params.

    Raises:
        InputError: it has no metric file, no loss among them, or one cannot be read.
    """
    metrics = run / METRICS
    files = sorted(p for p in metrics.rglob("*") if p.is_file())
    if not files:
        raise InputError(f"{run} is an MLflow run with no metric logged yet (its {METRICS}/ "
                         "folder is empty)")
    points: dict[str, Points] = {}
    notes: list[str] = []
    for path in files:
        key = path.relative_to(metrics).as_posix()
        points[key], bad = _metric_points(path)
        if bad:
            notes.append(f"ignored {bad} lines of metric '{key}' that are not "
                         "'timestamp value step'")
    columns = detect_columns(sorted(points), str(run), loss_key=loss_key, lr_key=lr_key)
    hints = replace(hints_from_tree(read_params(run)), source="its MLflow params")
    result = build_curves(columns, points, hints, str(run))
    return replace(result, notes=tuple(notes) + result.notes)


class MlflowReader:
    """An MLflow run folder (``meta.yaml`` beside ``metrics/``) is one run; an experiment folder
    (``meta.yaml`` above run folders) lists its runs by name."""

    format = "mlflow"

    def wants(self, name: str) -> bool:
        return name == META

    def claims(self, path: Path, head: bytes, options: ReadOptions) -> bool:
        return path.name == META and is_run_folder(path.parent)

    def file_runs(self, path: Path, options: ReadOptions) -> list[Found]:
        return [Found(path.parent)]

    def folder_runs(self, folder: Folder, options: ReadOptions) -> FolderRuns:
        if META not in folder.files:
            return FolderRuns()
        if METRICS in folder.dirs:  # a run folder met on its own
            return FolderRuns((Found(folder.path),), _PARTS & frozenset(folder.dirs))
        return _experiment_runs(folder)

    def read(self, run: LogRun, options: ReadOptions) -> ReadResult:
        return read_mlflow_run(run.path, loss_key=options.loss_key, lr_key=options.lr_key)

    def setup(self, run: LogRun) -> dict[str, Any] | None:
        params = read_params(run.path)
        return {"hparams": params} if params else None


READER = MlflowReader()
