"""What a path holds: the runs of an lrwatch store, CSVLogger versions, TensorBoard run folders.

A path may be a store file (or its folder), a ``metrics.csv`` or its version folder, a
TensorBoard event file or its folder, or any tree of those (``lightning_logs/`` with many
versions). Each run found is a ``LogRun``, read later with ``read_run``, so a caller can show
progress and keep going when one run cannot be read.

Run names: a store run keeps its name; a folder run is named by its last two path parts
(``lightning_logs/version_3``) when the path points at it, else by its path below the given
folder, prefixed with that folder's name (``exp/lightning_logs/version_3``); names follow the
path as given, not where its links lead.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lrwatch.errors import InputError, StoreError
from lrwatch.readers import csvlogger, tfevents
from lrwatch.readers.series import ReadResult, cannot_read
from lrwatch.readers.store import read_store_run, store_errors, training_runs
from lrwatch.store import Store
from lrwatch.store.sqlite import HEADER_BYTES, SQLITE_MAGIC, is_store_header

# "folder": a folder that could not be listed; such a LogRun only carries its error.
Format = Literal["store", "csv", "tensorboard", "folder"]

STORE_FILE = "lrwatch.db"
_STORE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
_CSV_SUFFIXES = (".csv",)
# Folders a tree walk never enters: they hold code and packages, not logs.
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "venv"}
_EXPECTED = "pass a store, a metrics.csv, event files or a folder"


@dataclass(frozen=True)
class LogRun:
    """One run found under a path; ``error`` is set when it was found but cannot be listed."""

    source: str  # the path as the user gave it
    name: str
    format: Format
    path: Path  # the CSV file, the event folder, or the store file
    files: tuple[Path, ...] = ()  # TensorBoard: the run's event files
    run_id: int | None = None  # store: the run's id
    error: str | None = None


def find_runs(path: str | os.PathLike[str]) -> list[LogRun]:
    """Every run under ``path``, in path order (a store's runs oldest first).

    A store, file or folder found below ``path`` that cannot be read comes back as a
    ``LogRun`` with ``error`` set, in its place, so the others can still be read.

    Raises:
        InputError: the path is empty, does not exist, cannot be read, is not a log lrwatch
            reads, or holds no logs.
    """
    source = os.fspath(path)
    if not source:
        raise InputError(f"an empty path ('') was given: {_EXPECTED}")
    root = Path(source).expanduser()
    try:
        mode = root.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{source} does not exist: {_EXPECTED}") from None
    except OSError as exc:  # a folder on the way that we may not enter, a link loop ...
        raise cannot_read(source, exc) from None
    if stat.S_ISDIR(mode):
        return _folder_runs(root, source)
    if stat.S_ISREG(mode):
        return _file_runs(root, source)
    raise InputError(f"{source} is neither a file nor a folder: {_EXPECTED}")


def read_run(run: LogRun, loss_key: str | None = None, lr_key: str | None = None) -> ReadResult:
    """Read one found run's curves.

    Raises:
        InputError: the log cannot be read or has no loss.
        StoreError: the store cannot be read.
        MissingExtra: TensorBoard events without the ``tensorboard`` package.
    """
    if run.error is not None:
        raise InputError(run.error)
    if run.format == "csv":
        return csvlogger.read_csv_log(run.path, loss_key=loss_key, lr_key=lr_key)
    if run.format == "tensorboard":
        return tfevents.read_event_log(run.files, str(run.path), loss_key=loss_key, lr_key=lr_key)
    assert run.run_id is not None, "a store LogRun always has its run id"
    with store_errors(str(run.path)), Store(run.path, readonly=True) as store:
        return read_store_run(store, run.run_id, loss_key=loss_key, lr_key=lr_key)


def _file_header(path: Path) -> bytes:
    """The first bytes of a file, enough to recognise SQLite and an lrwatch store.

    Raises:
        OSError: the file cannot be read.
    """
    with open(path, "rb") as fh:
        return fh.read(HEADER_BYTES)


def _absolute(path: Path) -> Path:
    """``path`` made absolute without resolving links: runs are named by the path as given."""
    return Path(os.path.abspath(path))


def _short_name(folder: Path) -> str:
    parts = _absolute(folder).parts
    return "/".join(parts[-2:]) if len(parts) > 1 else _absolute(folder).as_posix()


def _file_runs(path: Path, source: str) -> list[LogRun]:
    try:
        header = _file_header(path)
    except OSError as exc:
        raise cannot_read(source, exc) from None
    if header.startswith(SQLITE_MAGIC) or path.suffix.lower() in _STORE_SUFFIXES:
        return _store_runs(path, source, prefix="")
    if tfevents.is_event_file(path):
        return [LogRun(source, _short_name(path.parent), "tensorboard", path.parent,
                       files=(path,))]
    if path.suffix.lower() in _CSV_SUFFIXES:
        name = _short_name(path.parent) if path.name == csvlogger.FILE_NAME else path.stem
        return [LogRun(source, name, "csv", path)]
    raise InputError(
        f"{source} is not a log lrwatch reads: pass an lrwatch store, a Lightning metrics.csv "
        "or TensorBoard event files (events.out.tfevents.*)")


def _store_runs(path: Path, source: str, prefix: str) -> list[LogRun]:
    """The training runs of a store; one entry with ``error`` set when it cannot be opened."""
    try:
        with store_errors(str(path)), Store(path, readonly=True) as store:
            runs = training_runs(store)
    except StoreError as exc:
        return [LogRun(source, prefix + path.name, "store", path, error=str(exc))]
    if not runs:
        return [LogRun(source, prefix + path.name, "store", path,
                       error=f"the store {path} has no training runs yet")]
    return [LogRun(source, prefix + run.name, "store", path, run_id=run.id) for run in runs]


def _folder_runs(root: Path, source: str) -> list[LogRun]:
    """Every run in ``root`` or below; a store folder is walked like any other, so logs and
    other stores beside its ``lrwatch.db`` are found too.

    Links to folders are followed, each real folder entered once (so a link loop ends), real
    folders before links (so ``latest -> version_3`` is read as ``version_3``). A folder or
    store that cannot be read is an entry with ``error``, in its place.
    """
    found: list[LogRun] = []
    top = _absolute(root).name
    entered: set[tuple[int, int]] = set()

    def name_of(here: Path) -> str:
        relative = here.relative_to(root).as_posix()
        return _short_name(here) if relative == "." else f"{top}/{relative}"

    def unreadable(exc: OSError) -> None:
        folder = Path(exc.filename)
        found.append(LogRun(source, name_of(folder), "folder", folder,
                            error=str(cannot_read(folder, exc))))

    for folder, dirs, files in os.walk(root, onerror=unreadable, followlinks=True):
        here = Path(folder)
        try:
            real = here.stat()
        except OSError as exc:
            unreadable(exc)
            continue
        if (real.st_dev, real.st_ino) in entered:
            dirs[:] = []
            continue
        entered.add((real.st_dev, real.st_ino))
        dirs[:] = sorted((d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS),
                         key=lambda d: (os.path.islink(here / d), d))
        relative = here.relative_to(root).as_posix()
        for file in sorted(f for f in files if f.lower().endswith(_STORE_SUFFIXES)):
            # runs of lrwatch.db keep their names; another store's carry its file stem
            prefix = "" if relative == "." else f"{top}/{relative}/"
            prefix += "" if file == STORE_FILE else f"{Path(file).stem}/"
            try:
                is_store = file == STORE_FILE or is_store_header(_file_header(here / file))
            except OSError as exc:
                found.append(LogRun(source, prefix + file, "store", here / file,
                                    error=str(cannot_read(here / file, exc))))
                continue
            if is_store:
                found.extend(_store_runs(here / file, source, prefix=prefix))
        if csvlogger.FILE_NAME in files:
            found.append(LogRun(source, name_of(here), "csv", here / csvlogger.FILE_NAME))
        else:
            events = sorted(here / f for f in files if tfevents.MARKER in f)
            if events:
                found.append(LogRun(source, name_of(here), "tensorboard", here,
                                    files=tuple(events)))
    if not found:
        raise InputError(
            f"no logs in {source}: expected an lrwatch store ({STORE_FILE}), a Lightning "
            "metrics.csv or TensorBoard event files (events.out.tfevents.*) in it or below")
    return found
