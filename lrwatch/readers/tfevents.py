"""TensorBoard event files (``events.out.tfevents.*``), as Lightning's TensorBoardLogger writes.

Read with the ``tensorboard`` package, an optional extra (``pip install 'lrwatch[tensorboard]'``)
imported only here and only when events are read. Every scalar of every event file of a run
folder is streamed once into compact arrays; files are read oldest first, so where a resumed
run logged a step again, the later value wins.
"""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import Sequence

import numpy as np

from lrwatch.errors import InputError, MissingExtra
from lrwatch.readers.columns import detect_columns
from lrwatch.readers.hparams import read_hints
from lrwatch.readers.series import Points, ReadResult, build_curves, cannot_read

MARKER = "tfevents"


def is_event_file(path: Path) -> bool:
    return MARKER in path.name and path.is_file()


def event_files(folder: Path) -> list[Path]:
    """The event files directly in ``folder``, oldest first (their names start with a time)."""
    return sorted(p for p in folder.iterdir() if is_event_file(p))


def read_scalars(files: Sequence[Path]) -> dict[str, Points]:
    """Every scalar tag of the files: ``tag -> (steps, values)`` in logged order.

    Raises:
        MissingExtra: the ``tensorboard`` package is not installed.
        InputError: a file cannot be read as TensorBoard events.
    """
    try:
        # The loader without the read-time migrations TensorBoard's UI needs (several times
        # faster): scalars are read here from ``simple_value`` or 0-d tensors.
        from tensorboard.backend.event_processing.event_file_loader import (
            LegacyEventFileLoader,
        )
        from tensorboard.util import tensor_util
    except ImportError:
        raise MissingExtra(
            "tensorboard", "tensorboard", "Reading TensorBoard event files") from None
    steps: dict[str, array] = {}
    values: dict[str, array] = {}
    for path in files:
        try:
            if path.stat().st_size == 0:
                continue  # created, then the process died: nothing was logged
        except OSError as exc:
            raise cannot_read(path, exc) from None
        events = 0
        try:
            for event in LegacyEventFileLoader(str(path)).Load():
                events += 1
                if not event.HasField("summary"):
                    continue
                for value in event.summary.value:
                    number = _scalar(value, tensor_util)
                    if number is None:
                        continue
                    if value.tag not in steps:
                        steps[value.tag], values[value.tag] = array("q"), array("d")
                    steps[value.tag].append(event.step)
                    values[value.tag].append(number)
        except OSError as exc:
            raise cannot_read(path, exc) from None
        except Exception as exc:  # the tensorboard package raises its own and protobuf errors
            raise InputError(
                f"{path} is not a readable TensorBoard event file ({type(exc).__name__}: {exc})"
            ) from None
        if events == 0:  # every writer starts a file with a version record
            raise InputError(f"{path} is not a TensorBoard event file (no readable record in it)")
    return {tag: (np.frombuffer(steps[tag], dtype=np.int64),
                  np.frombuffer(values[tag], dtype=np.float64)) for tag in steps}


def _scalar(value, tensor_util) -> float | None:  # type: ignore[no-untyped-def]
    """The number of a scalar summary value, None for images, histograms, text ..."""
    if value.HasField("simple_value"):
        return float(value.simple_value)
    if not value.HasField("tensor") or value.tensor.tensor_shape.dim:
        return None
    try:
        array_ = tensor_util.make_ndarray(value.tensor)
    except Exception:  # an unknown dtype: not a scalar we can read
        return None
    if array_.size != 1 or array_.dtype.kind not in "fiub":
        return None
    return float(array_.reshape(-1)[0])


def read_event_log(files: Sequence[Path], where: str, loss_key: str | None = None,
                   lr_key: str | None = None) -> ReadResult:
    """A run from TensorBoard event files (hints from ``hparams.yaml`` beside them).

    Raises:
        MissingExtra: the ``tensorboard`` package is not installed.
        InputError: the files hold no scalars, no loss, or cannot be read.
    """
    points = read_scalars(files)
    if not points:
        raise InputError(f"{where} holds no scalar values: the run logged nothing yet")
    tags = sorted(points)
    columns = detect_columns(tags, where, loss_key=loss_key, lr_key=lr_key)
    return build_curves(columns, points, read_hints(files[0].parent), where)
