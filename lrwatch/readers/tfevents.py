"""TensorBoard event files (``events.out.tfevents.*``), as Lightning's TensorBoardLogger writes.

Read with the ``tensorboard`` package, an optional extra (``pip install 'lrwatch[tensorboard]'``)
imported only here and only when events are read. Every scalar of every event file of a run
folder is streamed once into compact arrays; files are read oldest first, so where a resumed
run logged a step again, the later value wins.
"""

from __future__ import annotations

from array import array
from dataclasses import replace
import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from lrwatch.errors import InputError, MissingExtra
from lrwatch.readers.base import Folder, FolderRuns, Found, LogRun, ReadOptions
from lrwatch.readers.columns import detect_columns
from lrwatch.readers.files import refuse_lfs_pointer
from lrwatch.readers.hparams import read_hints, setup_tree
from lrwatch.readers.series import Points, ReadResult, build_curves, cannot_read

MARKER = "tfevents"
_RECORD_FRAME = 16  # TFRecord: 8-byte length, 4-byte length CRC, the data, 4-byte data CRC


def is_event_file(path: Path) -> bool:
    return MARKER in path.name and path.is_file()


def event_files(folder: Path) -> list[Path]:
    """The event files directly in ``folder``, oldest first: their names are
    ``events.out.tfevents.<seconds>.<host>.<pid>.<count>``, so numbers compare as numbers (two
    writers of one process in the same second end ``.9`` and ``.10``)."""
    return sorted((p for p in folder.iterdir() if is_event_file(p)), key=_natural)


def _natural(path: Path) -> list[tuple[int, int | str]]:
    """A file name's sort key that orders its runs of digits by value."""
    return [(0, int(part)) if part.isdigit() else (1, part)
            for part in re.split(r"(\d+)", path.name) if part]


def read_scalars(files: Sequence[Path]) -> tuple[dict[str, Points], list[str]]:
    """Every scalar tag of the files: ``tag -> (steps, values)`` in logged order, and notes on
    files read only in part.

    TensorBoard's loader stops quietly at a record cut short or failing its checksum; here the
    bytes read are counted (each record is its data plus 16 bytes of length and checksums), so
    a file that has more is said to be damaged or cut short, with how much was left out.

    Raises:
        MissingExtra: the ``tensorboard`` package is not installed.
        InputError: a file cannot be read as TensorBoard events.
    """
    try:
        # The raw loader: records as bytes, parsed here without the read-time migrations
        # TensorBoard's UI needs (several times faster); scalars are read from
        # ``simple_value`` or 0-d tensors.
        from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
        from tensorboard.compat.proto import event_pb2
        from tensorboard.util import tensor_util
    except ImportError:
        raise MissingExtra(
            "tensorboard", "tensorboard", "Reading TensorBoard event files") from None
    steps: dict[str, array] = {}
    values: dict[str, array] = {}
    notes: list[str] = []
    for path in files:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise cannot_read(path, exc) from None
        if size == 0:
            continue  # created, then the process died: nothing was logged
        refuse_lfs_pointer(path)
        events = read_bytes = 0
        try:
            for record in RawEventFileLoader(str(path)).Load():
                events += 1
                read_bytes += len(record) + _RECORD_FRAME
                event = event_pb2.Event.FromString(record)
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
        if read_bytes < size:
            notes.append(f"{path} is damaged or cut short after {events} records: left out its "
                         f"last {size - read_bytes} bytes (a write in progress, or a copy cut "
                         "short?)")
    points = {tag: (np.frombuffer(steps[tag], dtype=np.int64),
                    np.frombuffer(values[tag], dtype=np.float64)) for tag in steps}
    return points, notes


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
    points, notes = read_scalars(files)
    if not points:
        raise InputError(f"{where} holds no scalar values: the run logged nothing yet")
    tags = sorted(points)
    columns = detect_columns(tags, where, loss_key=loss_key, lr_key=lr_key)
    # Keras's TensorBoard callback logs ``epoch_loss`` with the epoch as its step; Ultralytics
    # YOLO logs ``train/box_loss`` … beside ``metrics/mAP50(B)`` at the epoch (counted from 1)
    by_epoch = (columns.loss.rsplit("/", 1)[-1].startswith("epoch_")
                or (columns.loss.startswith("train/")
                    and any(t.lower().startswith("metrics/map") for t in tags)))
    result = build_curves(columns, points, read_hints(files[0].parent), where,
                          epoch_points=by_epoch)
    return replace(result, notes=tuple(notes) + result.notes)


class EventLogReader:
    """TensorBoard event files: a folder holding some is one run (all its files together)."""

    format = "tensorboard"

    def wants(self, name: str) -> bool:
        return MARKER in name

    def claims(self, path: Path, head: bytes, options: ReadOptions) -> bool:
        return is_event_file(path)

    def file_runs(self, path: Path, options: ReadOptions) -> list[Found]:
        return [Found(path.parent, files=(path,))]

    def folder_runs(self, folder: Folder, options: ReadOptions) -> FolderRuns:
        events = sorted(folder.path / f for f in folder.files if self.wants(f))
        return FolderRuns((Found(folder.path, files=tuple(events)),) if events else ())

    def read(self, run: LogRun, options: ReadOptions) -> ReadResult:
        # one event file is named itself: its folder given as "." (a file named in the current
        # folder) or holding other runs' files would not tell the user which file is meant
        where = str(run.files[0]) if len(run.files) == 1 else str(run.path)
        return read_event_log(run.files, where, loss_key=options.loss_key,
                              lr_key=options.lr_key)

    def setup(self, run: LogRun) -> dict[str, Any] | None:
        tree = setup_tree(run.path)  # Lightning's hparams.yaml, less its seed
        return {"hparams": tree} if tree else None


READER = EventLogReader()
