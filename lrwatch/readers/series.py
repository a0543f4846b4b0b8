"""From raw logged points to the ``RunCurves`` analysis reads, the same way for every format.

Logs are messy: a resumed run logs steps it already logged, files list points out of order,
a metric can be missing. The rule here matches the store's: points are sorted by step and
where a step was logged twice the later write wins (a resume replaces what it re-ran).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

import numpy as np

from lrwatch.analysis.types import RunCurves, Series
from lrwatch.errors import InputError
from lrwatch.readers.columns import LOSS_KEY_CHOICE, Columns
from lrwatch.store.rows import latest_per_step as store_latest_per_step

Points = tuple[np.ndarray, np.ndarray]  # (steps int64, values float64) in logged order
HINTED_LR = "hparams.yaml:lr"  # Columns.lr when the LR came from the configuration
# how a note ends where the run's LR is unknown (one a run's folder may yet give: ``path_setup``)
RELATIVE = "; the suggestion is a relative change"


@dataclass(frozen=True)
class Hints:
    """What a log says about the run besides its curves (optimizer, batch size ...); None
    where it says nothing."""

    optimizer: str | None = None
    momentum: float | None = None
    batch_size: int | None = None
    total_steps: int | None = None
    fine_tune: bool | None = None  # starts from pretrained weights (evidence, never a guess)
    clip: float | None = None  # the max gradient norm of gradient clipping
    classes: int | None = None  # classes (or vocabulary size) of a cross-entropy loss
    lr: float | None = None  # the configured LR (hparams.yaml), for logs without an LR column
    lr_scheduled: bool | None = None  # the configuration names a scheduler or warmup
    param_count: int | None = None  # the model's parameters (a config or a log line says so)
    source: str = "hparams.yaml"  # where these were read, as the notes name it


@dataclass(frozen=True)
class ReadResult:
    """A run's curves and what the reader had to do to get them, for the user to check."""

    curves: RunCurves
    columns: Columns
    notes: tuple[str, ...] = field(default=())
    # the configuration sets an LR and a schedule: the LR of each step is unknown, and a name
    # in the run's path (``path_setup``) does not make it known
    lr_scheduled: bool = False


def cannot_read(path: str | Path, exc: OSError) -> InputError:
    """The one way readers say a file or folder cannot be opened: ``cannot read X: reason``."""
    reason = (exc.strerror or str(exc)).lower()
    return InputError(f"cannot read {path}: {reason}")


def latest_per_step(steps: np.ndarray, values: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Sort by step, keep the last write of each step.

    Also returns how many steps were written again with another value than the one kept
    (Lightning logs some keys twice at a step with the same value, which is no news), and
    whether those writes came in step order: a step written several times before any later
    step is a value updated within its step (early Ultralytics YOLOv8 logs its epoch's running
    mean loss at every batch, all at the epoch's step), not a rerun, which goes back to steps
    it had passed.
    """
    steps = np.asarray(steps, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    unique, latest = store_latest_per_step(steps, values)
    if unique.size == steps.size:
        return unique, latest, 0, True
    kept = latest[np.searchsorted(unique, steps)]  # the kept value of each point's step
    same = (values == kept) | (np.isnan(values) & np.isnan(kept))
    conflicts = np.unique(steps[~same]).size
    return unique, latest, int(conflicts), bool(np.all(np.diff(steps) >= 0))


# The fewest training-loss points, each with a validation loss at its step, at which a log of
# consecutive steps is read as indexed by epoch (``evaluated_every_point``)
EPOCH_INDEX_POINTS = 5


def evaluated_every_point(loss_steps: np.ndarray, val_steps: np.ndarray) -> bool:
    """Whether a log that does not say so is indexed by epoch: the training loss sits at
    consecutive steps from 0 or 1 and a validation loss at every one of them, as a
    ``writer.add_scalar(tag, value, epoch)`` log has it; no run evaluates after every optimizer
    step. Read as optimizer steps, a 36-epoch log looked like a run 36 steps old: "too young to
    judge" (real-world corpus: two repositories' TensorBoard logs of 14-199 epochs)."""
    steps, evaluated = np.unique(loss_steps), np.unique(val_steps)
    return bool(steps.size >= EPOCH_INDEX_POINTS and steps[0] in (0, 1)
                and np.all(np.diff(steps) == 1) and np.array_equal(steps, evaluated))


def build_curves(columns: Columns, points: Mapping[str, Points], hints: Hints,
                 where: str, *, epoch_points: bool = False) -> ReadResult:
    """Assemble ``RunCurves`` from the chosen columns' points; notes say what was cleaned.
    ``epoch_points``: the log is indexed by epoch (each point summarises one); also read so
    where a validation loss sits at every training-loss point (``evaluated_every_point``)."""
    notes: list[str] = []

    def series(name: str | None) -> Series | None:
        if name is None or name not in points or points[name][0].size == 0:
            return None
        steps, values, conflicts, in_order = latest_per_step(*points[name])
        if conflicts and in_order:
            notes.append(f"'{name}' was logged several times at each of {conflicts} steps, in "
                         "step order: a value updated within its step (early Ultralytics "
                         "YOLOv8 logs the epoch's running mean at every batch); kept the last "
                         "value of each")
        elif conflicts:
            notes.append(f"'{name}' has {conflicts} steps logged again with another value "
                         "(a resumed run?); kept the later value of each")
        if name in (columns.perplexity or ()):
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.where(values > 0, np.log(values), np.nan)
        return Series(steps, values)

    if columns.perplexity:
        named = ", ".join(f"'{n}'" for n in columns.perplexity)
        notes.append(f"{where} logs no loss: read the log of each perplexity ({named}) as a "
                     "loss (cross-entropy in nats, ppl = e^loss)")
    if columns.loss_peers:
        parts = ", ".join(f"'{n}'" for n in (columns.loss, *columns.loss_peers))
        notes.append(f"{len(columns.loss_peers) + 1} loss columns alike ({parts}), none named a "
                     f"total: read '{columns.loss}'; pick another with {LOSS_KEY_CHOICE}")
    loss = series(columns.loss)
    if loss is None:
        raise InputError(f"{where} has a '{columns.loss}' column but no value in it; "
                         f"pick another with {LOSS_KEY_CHOICE}")
    val_loss = series(columns.val_loss)
    if epoch_points:
        notes.append(f"{where} is indexed by epoch: each point is read as a summary of one "
                     "epoch, and 'steps' count epochs")
    elif val_loss is not None and evaluated_every_point(loss.steps, val_loss.steps):
        epoch_points = True
        notes.append(f"{where} has a validation loss at every training-loss point, at "
                     "consecutive steps: read as one point per epoch ('steps' count epochs)")
    lr = series(columns.lr)
    if columns.lr is None and hints.lr is not None and not hints.lr_scheduled:
        lr = Series(loss.steps, np.full(loss.steps.size, hints.lr))
        columns = replace(columns, lr=HINTED_LR)
        notes.append(f"no learning-rate column in {where}; took lr={hints.lr:g} from "
                     f"{hints.source} as the LR of every step (it names no scheduler or warmup)")
    elif columns.lr is None and hints.lr is not None:
        notes.append(f"no learning-rate column in {where}; {hints.source} sets lr={hints.lr:g} "
                     "but also a scheduler or warmup, so the LR of each step is unknown: the "
                     "suggestion is a relative change")
    elif columns.lr is None:
        notes.append(f"no learning-rate column in {where}{RELATIVE}")
    elif lr is None or not np.any(np.isfinite(lr.values) & (lr.values > 0)):
        notes.append(f"the learning-rate column '{columns.lr}' has no usable value (none is a "
                     "finite number above 0); the suggestion is a relative change")
    momentum = hints.momentum
    momentum_series = series(columns.momentum)
    if momentum_series is not None:
        finite = momentum_series.values[np.isfinite(momentum_series.values)]
        if finite.size:
            momentum = float(finite[-1])
    curves = RunCurves(
        loss=loss,
        lr=lr,
        grad_norm=series(columns.grad_norm),
        val_loss=val_loss,
        optimizer=columns.optimizer or hints.optimizer,
        momentum=momentum,
        batch_size=hints.batch_size,
        total_steps=hints.total_steps,
        fine_tune=hints.fine_tune,
        clip=hints.clip,
        classes=hints.classes,
        param_count=hints.param_count,
        epoch_points=epoch_points,
        val_metric=series(columns.val_metric),
        val_metric_name=columns.val_metric if series(columns.val_metric) is not None else None,
    )
    return ReadResult(curves=curves, columns=columns, notes=tuple(notes),
                      lr_scheduled=columns.lr is None and hints.lr is not None
                      and bool(hints.lr_scheduled))
