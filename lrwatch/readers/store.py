"""Runs of an lrwatch store as ``RunCurves``: the one builder the CLI, dashboard and reports share.

The callback records the series under the stable names of ``lrwatch.keys`` and the run's
optimizer, momentum, batch size and planned steps in its metadata; a range test run before the
training is linked from the training run's metadata (``meta["range_test"]``). Range-test runs
themselves are not trainings to diagnose, so ``training_runs`` leaves them out.

As a reader (``READER``): a store file is recognised by its SQLite header, whatever its name;
in a folder, runs of ``lrwatch.db`` keep their names and another store's carry its file stem.

The guard's recoveries (its ``action`` events) go with the curves, so analysis judges what
follows the last one; so do the gradient norms and update ratios of a run's further optimizers
(GANs), which get no LR verdict from their loss. A key the user logged (``g_loss``) is found
under ``logged/g_loss`` too.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from pathlib import Path

from lrwatch import keys
from lrwatch.analysis.types import (
    GuardAction,
    OptimizerCurves,
    RangeTestSummary,
    RunCurves,
    Series,
)
from lrwatch.errors import InputError, LRWatchError, StoreError
from lrwatch.readers.base import Folder, FolderRuns, Found, LogRun, ReadOptions
from lrwatch.readers.columns import LOSS_KEY_CHOICE, LR_KEY_CHOICE, Columns, val_metric_column
from lrwatch.readers.files import file_head, refuse_lfs_pointer
from lrwatch.readers.series import RELATIVE, ReadResult
from lrwatch.store import RunInfo, Store, resolve_location
from lrwatch.store.sqlite import HEADER_BYTES, SQLITE_MAGIC, is_store_header
from lrwatch.store.summary import peak_lr, recoveries

STORE_FILE = "lrwatch.db"
_SUFFIXES = (".db", ".sqlite", ".sqlite3")


@contextmanager
def store_errors(path: str) -> Iterator[None]:
    """Turn what a damaged store raises past its backend's checks (bad JSON, torn blobs) into a
    StoreError."""
    try:
        yield
    except LRWatchError:
        raise
    except ValueError as exc:
        raise StoreError(
            f"cannot read the store {path} ({exc}); the file may be damaged: "
            "pass another store") from None


def training_runs(store: Store) -> list[RunInfo]:
    """The store's runs that are trainings (not LR range tests), oldest first."""
    with store_errors(store.path):
        return [run for run in store.runs() if not keys.is_range_test(run.meta)]


def _logged_metric(available: Any) -> str | None:
    """The store key of the validation metric the user logged (``logged/val_acc``: the
    callback keeps every logged metric under ``keys.logged_key``); None without one."""
    prefix = keys.logged_key("")
    names = {key[len(prefix):]: key for key in available if key.startswith(prefix)}
    picked = val_metric_column(list(names))
    return names[picked] if picked is not None else None


def curves_from_store(store: Store, run: RunInfo | str | int) -> RunCurves:
    """Everything analysis may use about one stored run.

    A run that has recorded nothing yet gives an empty loss series (analysis then says
    ``insufficient_data``), so live views can call this from the first second of a run.

    Example::

        with Store("lrwatch_logs", readonly=True) as store:
            curves = curves_from_store(store, store.runs()[-1])
    """
    return read_store_run(store, run).curves


def read_store_run(store: Store, run: RunInfo | str | int, loss_key: str | None = None,
                   lr_key: str | None = None) -> ReadResult:
    """``curves_from_store`` with key overrides, plus the keys chosen and notes for the CLI.

    Raises:
        InputError: ``loss_key`` or ``lr_key`` is not a key of the run.
        StoreError: the run is not there or the store cannot be read.
    """
    with store_errors(store.path):
        info = store.run(run)
        available = store.keys(info)
        where = f"run '{info.name}' of {store.path}"
        loss_key, lr_key = (_stored_key(key, flag, available, where) for flag, key in
                            ((LOSS_KEY_CHOICE, loss_key), (LR_KEY_CHOICE, lr_key)))

        def series(key: str | None) -> Series | None:
            if key is None or key not in available:
                return None
            return Series(*store.scalars(info, key))

        meta = info.meta
        labels = keys.optimizer_labels(keys.optimizer_classes(meta))
        # several optimizers are judged as one where the run recorded their shared loss's
        # (``engine.judged_optimizer``), else they trained against each other: no LR verdict
        judged = 0 if len(labels) <= 1 else keys.judged_index(meta)
        label = labels[judged] if judged is not None and labels else None

        def judged_key(base: str) -> str:
            return keys.optimizer_key(base, label)

        lr_judged, grad_judged = judged_key(keys.LR), judged_key(keys.GRAD_NORM)
        columns = Columns(
            loss=loss_key or keys.LOSS,
            lr=lr_key or (lr_judged if lr_judged in available else None),
            grad_norm=grad_judged if grad_judged in available else None,
            val_loss=keys.VAL_LOSS if keys.VAL_LOSS in available else None,
            optimizer=_text(meta.get("optimizer")),
            val_metric=_logged_metric(available),
        )
        curves = RunCurves(
            loss=series(columns.loss) or Series(np.empty(0, np.int64), np.empty(0)),
            lr=series(columns.lr),
            grad_norm=series(columns.grad_norm),
            update_ratio=series(judged_key(keys.UPDATE_RATIO)),
            val_loss=series(columns.val_loss),
            val_metric=series(columns.val_metric),
            val_metric_name=columns.val_metric and columns.val_metric[len(keys.LOGGED) + 1:],
            optimizer=columns.optimizer,
            momentum=_number(meta.get("momentum")),  # the judged optimizer's
            batch_size=_count(meta.get("batch_size")),
            total_steps=_count(meta.get("planned_steps")),
            range_test=_range_test(meta.get("range_test")),
            clip=_norm_clip(meta),
            param_count=_count(meta.get("param_count")),
            classes=_classes(meta.get("classes")),
            fine_tune=meta.get("fine_tune") if isinstance(meta.get("fine_tune"), bool) else None,
            guard_actions=_guard_actions(store, info),
            other_optimizers=() if judged is not None else tuple(
                OptimizerCurves(other, series(keys.optimizer_key(keys.GRAD_NORM, other)),
                                series(keys.optimizer_key(keys.UPDATE_RATIO, other)))
                for other in labels[1:] if other is not None),
        )
    notes: tuple[str, ...] = ()
    if not columns.lr:
        notes = (f"{where} recorded no learning rate{RELATIVE}",)
    elif curves.lr is None or not np.any(np.isfinite(curves.lr.values) & (curves.lr.values > 0)):
        notes = (f"the learning rate '{columns.lr}' of {where} has no usable value (none is a "
                 "finite number above 0); the suggestion is a relative change",)
    return ReadResult(curves=curves, columns=columns, notes=notes)


def judged_lr(store: Store, run: RunInfo) -> float | None:
    """The LR a verdict on the run is relative to, as ``analyze`` takes it: the peak LR (what
    the user sets: with warmup or decay the last LR is not), after the guard's last recovery; of
    the judged optimizer (``keys.judged_label``: a Muon + AdamW hybrid's Muon)."""
    with store_errors(store.path):
        steps, lr = store.scalars(run, keys.optimizer_key(keys.LR, keys.judged_label(run.meta)))
        actions = _guard_actions(store, run)
    return peak_lr(steps, lr, actions[-1].step if actions else None)


def _stored_key(key: str | None, flag: str, available: list[str], where: str) -> str | None:
    """``key`` as stored: itself, or the metric the user logged under that name."""
    if key is None or key in available:
        return key
    if keys.logged_key(key) in available:
        return keys.logged_key(key)
    have = ", ".join(available) or "none"
    raise InputError(f"{where} has no key '{key}' ({flag}); it has: {have}")


def _guard_actions(store: Store, info: RunInfo) -> tuple[GuardAction, ...]:
    """The guard's recoveries, oldest first."""
    out = []
    for event in recoveries(store.events(info, kind=keys.EVENT_ACTION)):
        p = event.payload
        restored = p.get("restored_step")
        out.append(GuardAction(event.step, restored if isinstance(restored, int) else None,
                               _number(p.get("lr_before")), _number(p.get("lr_after"))))
    return tuple(out)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _count(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number > 0 else None


def _classes(value: Any) -> int | None:
    """A stored K, when it is one (a whole number of 2 or more): the diagnosis's chance level."""
    count = _count(value)
    return count if count is not None and count >= 2 and count == _number(value) else None


def _range_test(value: Any) -> RangeTestSummary | None:
    """The linked range test's summary, when the metadata has all three numbers."""
    if not isinstance(value, dict):
        return None
    numbers = [_number(value.get(k)) for k in ("suggested_lr", "lower_lr", "upper_lr")]
    if any(n is None or n <= 0 for n in numbers):
        return None
    suggested, lower, upper = numbers
    return RangeTestSummary(suggested_lr=suggested, lower_lr=lower, upper_lr=upper)  # type: ignore[arg-type]


class StoreReader:
    """The runs of lrwatch stores: each training run of a store file is one run."""

    format = "store"

    def wants(self, name: str) -> bool:
        return name.lower().endswith(_SUFFIXES)

    def claims(self, path: Path, head: bytes, options: ReadOptions) -> bool:
        return head.startswith(SQLITE_MAGIC) or path.suffix.lower() in _SUFFIXES

    def file_runs(self, path: Path, options: ReadOptions) -> list[Found]:
        return _store_runs(path, label_prefix="")

    def folder_runs(self, folder: Folder, options: ReadOptions) -> FolderRuns:
        found: list[Found] = []
        for file in sorted(f for f in folder.files if self.wants(f)):
            path = folder.path / file
            prefix = "" if file == STORE_FILE else f"{Path(file).stem}/"
            try:
                head = file_head(path, HEADER_BYTES)
                refuse_lfs_pointer(path, head)
            except InputError as exc:
                found.append(Found(path, label=prefix + file, error=str(exc)))
                continue
            is_store = file == STORE_FILE or is_store_header(head)
            if is_store:
                found.extend(_store_runs(path, label_prefix=prefix))
        return FolderRuns(tuple(found))

    def read(self, run: LogRun, options: ReadOptions) -> ReadResult:
        if run.run_id is None:
            raise InputError(f"{run.path}: a store run is read by its id")
        with store_errors(str(run.path)), Store(run.path, readonly=True) as store:
            return read_store_run(store, run.run_id, loss_key=options.loss_key,
                                  lr_key=options.lr_key)

    def setup(self, run: LogRun) -> dict[str, Any] | None:
        if run.run_id is None:
            return None
        try:
            with store_errors(str(run.path)), Store(run.path, readonly=True) as store:
                return store_setup(store.run(run.run_id).meta)
        except (LRWatchError, ValueError, OSError):
            return None


def store_setup(meta: dict[str, Any]) -> dict[str, Any] | None:
    """A store run's setup, from the metadata the callback records (``callback.py``); None for
    a run that recorded no model."""
    first = (meta.get("optimizers") or [{}])[0]
    setup = {k: meta.get(k) for k in (
        "model", "param_count", "optimizer", "schedulers", "batch_size", "planned_steps",
        "accumulate_grad_batches", "gradient_clip_val", "precision", "world_size", "hparams")}
    setup["optimizer_settings"] = first.get("hparams") if isinstance(first, dict) else None
    return setup if meta.get("model") else None


def _store_runs(path: Path, label_prefix: str) -> list[Found]:
    """The training runs of a store; one entry with ``error`` set when it cannot be opened."""
    try:
        with store_errors(str(path)), Store(path, readonly=True) as store:
            runs = training_runs(store)
    except StoreError as exc:
        return [Found(path, label=label_prefix + path.name, error=str(exc))]
    if not runs:
        return [Found(path, label=label_prefix + path.name,
                      error=f"the store {path} has no training runs yet")]
    return [Found(path, label=label_prefix + run.name, run_id=run.id) for run in runs]


def server_runs(url: str) -> list[LogRun]:
    """The training runs on a store server (``postgresql://...``), as ``find_runs`` lists them;
    shown by the URL with its password hidden."""
    location = resolve_location(url)
    shown = str(location)
    try:
        with Store(location, readonly=True) as store:
            runs = training_runs(store)
    except StoreError as exc:
        return [LogRun(shown, shown, "store", location, error=str(exc))]  # type: ignore[arg-type]
    if not runs:
        return [LogRun(shown, shown, "store", location,  # type: ignore[arg-type]
                       error=f"the store {shown} has no training runs yet")]
    return [LogRun(shown, run.name, "store", location, run_id=run.id)  # type: ignore[arg-type]
            for run in runs]


READER = StoreReader()


def _norm_clip(meta: dict[str, Any]) -> float | None:
    """The gradient-norm clip the callback recorded; None for value clipping, or for a store
    written before the algorithm was recorded (the two cannot be told apart there)."""
    clip = _number(meta.get("gradient_clip_val"))
    algorithm = meta.get("gradient_clip_algorithm")
    if not clip or clip <= 0 or not isinstance(algorithm, str) or not algorithm.endswith("norm"):
        return None
    return clip
