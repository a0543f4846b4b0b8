"""A run as one wide table (a row per step, a column per key), for CSV and Parquet export.

A key that was not recorded at a step is empty (CSV) or null (Parquet); a recorded NaN or inf
stays NaN or inf, so nothing the run logged is lost or invented.
"""

from __future__ import annotations

import csv
import io
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Iterator, Sequence

import numpy as np

from lrwatch import keys as metric_keys
from lrwatch.errors import ConfigError, InputError, MissingExtra
from lrwatch.store import RunInfo, Store


#: the columns a reader of an export looks for first
LEADING_COLUMNS = (metric_keys.LOSS, metric_keys.LR)


@dataclass(frozen=True)
class RunTable:
    steps: np.ndarray  # the union of every key's steps, sorted
    values: dict[str, np.ndarray]  # key -> values aligned on steps
    present: dict[str, np.ndarray]  # key -> bool mask: recorded at that step


def column_order(key: str, lr_key: str = metric_keys.LR) -> tuple[int, int, str]:
    """Where a key's column goes: the loss and the LR first (``lr_key``: the LR the loss is
    judged against, ``lr@Muon`` of a Muon + AdamW hybrid, then the first optimizer's ``lr``),
    then the other run-wide series, then what the user logged, then the per-group and per-layer
    ones (``grad_norm/<layer>``, often dozens), each group by name."""
    leading = (metric_keys.LOSS, lr_key, *LEADING_COLUMNS[1:])
    if key in leading:
        return (0, leading.index(key), key)
    if "/" not in key:
        return (1, 0, key)
    return (2 if key.startswith(metric_keys.LOGGED + "/") else 3, 0, key)


def run_table(store: Store, run: RunInfo, keys: Sequence[str] | None = None) -> RunTable:
    """Align a run's series on the union of their steps; columns in ``column_order`` unless
    ``keys`` names them."""
    lr_key = metric_keys.optimizer_key(metric_keys.LR, metric_keys.judged_label(run.meta))
    available = sorted(store.keys(run), key=lambda key: column_order(key, lr_key))
    if keys:
        missing = [k for k in keys if k not in available]
        if missing:
            raise InputError(
                f"run '{run.name}' has no key {', '.join(missing)}; it has: {', '.join(available)}")
        available = list(keys)
    series = {key: store.scalars(run, key) for key in available}
    steps = np.empty(0, np.int64)
    for s, _ in series.values():
        if not np.array_equal(s, steps):  # most keys share their steps: skip the sort
            steps = np.union1d(steps, s)
    values, present = {}, {}
    for key in list(series):
        s, v = series.pop(key)  # let each series go once aligned
        if s.size == steps.size:  # recorded at every step: the arrays serve as they are
            values[key], present[key] = v, np.ones(steps.size, dtype=bool)
            continue
        where = np.searchsorted(steps, s)
        values[key] = np.full(steps.size, np.nan)
        values[key][where] = v
        present[key] = np.zeros(steps.size, dtype=bool)
        present[key][where] = True
    return RunTable(steps, values, present)


#: rows formatted at a time, so the CSV text in memory stays a few MB however long the run
CSV_BLOCK_ROWS = 65_536


def write_csv(table: RunTable, fh: IO[str]) -> None:
    """Write ``table`` as CSV, a block of rows at a time: a recorded value as Python's shortest
    round-trip form (``0.0003``, ``1e-05``, ``nan``), an unrecorded one as an empty cell."""
    writer = csv.writer(fh)
    keys = list(table.values)
    writer.writerow(["step", *keys])
    for lo in range(0, table.steps.size, CSV_BLOCK_ROWS):
        block = slice(lo, lo + CSV_BLOCK_ROWS)
        columns = [table.steps[block].tolist()]
        for key in keys:
            values, present = table.values[key][block], table.present[key][block]
            # csv writes a float as its repr and None as an empty cell
            columns.append(values.tolist() if present.all()
                           else np.where(present, values, None).tolist())
        writer.writerows(zip(*columns))


def write_file(table: RunTable, path: str | os.PathLike[str], fmt: str = "csv") -> None:
    """Write ``table`` to the file ``path`` as ``csv`` or ``parquet``.

    Raises:
        ConfigError: ``fmt`` is neither, or ``path`` cannot be written (a missing folder, a
            folder, no permission ...).
        MissingExtra: Parquet needs pyarrow.
    """
    if fmt not in ("csv", "parquet"):
        raise ConfigError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    target = Path(path)
    try:
        # a new or regular file is written unnamed beside it and put in place only when whole,
        # so a failure (disk full) or a kill leaves no partial file and any earlier export
        # intact; a device or pipe is written as is
        with _replacing(target) if not target.exists() or target.is_file() else \
                open(target, "wb") as fh:
            if fmt == "parquet":
                write_parquet(table, fh)
            else:
                text = io.TextIOWrapper(fh, newline="")
                write_csv(table, text)
                text.flush()
                text.detach()  # the file is closed (and put in place) by its owner
    except OSError as exc:  # pyarrow's OSErrors wrap the errno's text in their own: give just it
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ConfigError(f"cannot write the export to {path}: {why}; pass another -o") from None


@contextmanager
def _replacing(target: Path) -> Iterator[BinaryIO]:
    """A file that becomes ``target`` only once written whole.

    On Linux it is an unnamed file in the target's folder (``O_TMPFILE``), linked in at the
    end: a kill -9 midway leaves nothing behind. Where the file system has no unnamed files,
    it is ``<target>.partial``, removed on failure (a kill leaves it, and the next export to the
    same target replaces it).
    """
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd = os.open(folder, getattr(os, "O_TMPFILE") | os.O_WRONLY, 0o644)
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        with open(fd, "wb") as fh:
            yield fh
            fh.flush()
            staged = target.with_name(f".{target.name}.{os.getpid()}.partial")
            folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:  # a dir fd makes os.link call linkat(AT_SYMLINK_FOLLOW): the file, not the link
                os.link(f"/proc/self/fd/{fd}", staged.name, dst_dir_fd=folder_fd)
            finally:
                os.close(folder_fd)
        try:
            os.replace(staged, target)
        except OSError:
            _remove(staged)
            raise
        return
    staged = target.with_name(target.name + ".partial")
    try:
        with open(staged, "wb") as fh:
            yield fh
        os.replace(staged, target)
    except BaseException:
        _remove(staged)
        raise


def _remove(path: Path) -> None:
    """Remove a staged file if it is there; a read-only place (where it never was) is no error:
    the error that matters is the one being raised."""
    try:
        path.unlink()
    except OSError:
        pass


def write_parquet(table: RunTable, path: str | os.PathLike[str]) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingExtra("pyarrow", "parquet", "Parquet export") from None
    columns = {"step": pa.array(table.steps)}
    for key, values in table.values.items():
        columns[key] = pa.array(values, mask=~table.present[key])
    pq.write_table(pa.table(columns), path)
