"""What a path holds: the runs every reader of the registry finds in it (lrwatch stores,
CSVLogger versions, TensorBoard run folders ...).

A path may be a store file (or its folder), a ``metrics.csv`` or its version folder, a
TensorBoard event file or its folder, or any tree of those (``lightning_logs/`` with many
versions). Each run found is a ``LogRun``, read later with ``read_run``, so a caller can show
progress and keep going when one run cannot be read.

Run names: a store run keeps its name; a folder run is named by its last two path parts
(``lightning_logs/version_3``) when the path points at it, else by its path below the given
folder, prefixed with that folder's name (``exp/lightning_logs/version_3``); names follow the
path as given, not where its links lead.

Files that are not regular (a FIFO, a socket, a device) are never opened: reading a FIFO waits
for a writer forever. One a reader would have read is an entry with ``error`` saying so.
"""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path
from typing import Iterable

from lrwatch.errors import InputError
from lrwatch.readers.base import Folder, LogRun, ReadOptions, Reader
from lrwatch.readers.files import HEAD_BYTES, as_utf8, file_head, refuse_lfs_pointer
from lrwatch.readers.jsonlog import READER as JSON_READER
from lrwatch.readers.jsonlog import holds_json
from lrwatch.readers.notebook import READER as NOTEBOOK_READER
from lrwatch.readers.path_setup import with_path_setup
from lrwatch.readers.registry import READERS, reader_for
from lrwatch.readers.series import ReadResult, cannot_read
from lrwatch.readers.store import READER as STORE_READER
from lrwatch.readers.store import STORE_FILE
from lrwatch.readers.text_layouts import PATTERN_EXAMPLE
from lrwatch.readers.textlog import READER as TEXT_READER
from lrwatch.readers.textlog import SUFFIXES as TEXT_SUFFIXES
from lrwatch.readers.textlog import in_a_layout, prints_a_loss
from lrwatch.store.location import is_url

__all__ = ["LogRun", "find_runs", "read_run", "stores_in"]

# Folders a tree walk never enters: they hold code and packages, not logs.
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "venv"}
# A folder with no run: this many of its text files are looked at for a printed loss, to say
# which ones --pattern would read (a repository's tree can hold thousands of .txt data files)
_TEXT_FILES_LOOKED_AT = 200
# the formats --pattern reads: text logs, and the printed output of notebooks' cells
_PATTERN_FORMATS = (TEXT_READER.format, NOTEBOOK_READER.format)
_EXPECTED = "pass a store, a metrics.csv, event files or a folder"


def find_runs(path: str | os.PathLike[str], pattern: str | None = None) -> list[LogRun]:
    """Every run under ``path``, in path order (a store's runs oldest first).

    A store, file or folder found below ``path`` that cannot be read comes back as a
    ``LogRun`` with ``error`` set, in its place, so the others can still be read.
    ``pattern`` (``--pattern``): a regex for plain-text logs, so a file of any name is read
    as one.

    Raises:
        InputError: the path is empty, does not exist, cannot be read, is not a log lrwatch
            reads, or holds no logs.
    """
    source = os.fspath(path)
    if not source:
        raise InputError(f"an empty path ('') was given: {_EXPECTED}")
    if is_url(source):
        from lrwatch.readers.store import server_runs

        return server_runs(source)
    root = Path(source).expanduser()
    try:
        mode = root.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{source} does not exist: {_EXPECTED}") from None
    except OSError as exc:  # a folder on the way that we may not enter, a link loop ...
        raise cannot_read(source, exc) from None
    options = ReadOptions(pattern=pattern)
    if stat.S_ISDIR(mode):
        return _folder_runs(root, source, options)
    if stat.S_ISREG(mode):
        return _file_runs(root, source, options)
    raise InputError(f"{source} is neither a file nor a folder: {_EXPECTED}")


def stores_in(folder: str | os.PathLike[str]) -> list[Path]:
    """The lrwatch store files in ``folder`` and below, found as ``find_runs`` finds them (so
    ``runs``, ``report`` and ``dashboard`` see the stores ``analyze`` reads), in path order.
    A damaged store is listed too: opening it then says what is wrong. None when the folder
    holds no logs."""
    try:
        runs = find_runs(folder)
    except InputError:
        return []
    return list(dict.fromkeys(run.path for run in runs if run.format == STORE_READER.format))


def read_run(run: LogRun, loss_key: str | None = None, lr_key: str | None = None,
             pattern: str | None = None) -> ReadResult:
    """Read one found run's curves.

    Raises:
        InputError: the log cannot be read or has no loss.
        ConfigError: ``pattern`` is not a regex with a ``loss`` group.
        StoreError: the store cannot be read.
        MissingExtra: TensorBoard events without the ``tensorboard`` package.
    """
    if run.error is not None:
        raise InputError(run.error)
    options = ReadOptions(loss_key=loss_key, lr_key=lr_key, pattern=pattern)
    result = reader_for(run.format).read(run, options)
    result = with_path_setup(result, run.path, run.format)
    if pattern and run.format not in _PATTERN_FORMATS:
        return replace(result, notes=(*result.notes, f"--pattern reads plain-text logs only: "
                                      f"{run.path.name} ({run.format}) was read by its own fields"))
    return result


def _absolute(path: Path) -> Path:
    """``path`` made absolute without resolving links: runs are named by the path as given."""
    return Path(os.path.abspath(path))


def _short_name(folder: Path) -> str:
    parts = _absolute(folder).parts
    return "/".join(parts[-2:]) if len(parts) > 1 else _absolute(folder).as_posix()


def _file_runs(path: Path, source: str, options: ReadOptions) -> list[LogRun]:
    head = file_head(path, HEAD_BYTES)
    refuse_lfs_pointer(path, head)
    reader = next((r for r in READERS if r.claims(path, head, options)), None) \
        or _reader_by_content(path, head, options)
    if reader is None:
        raise InputError(
            f"{source} is not a log lrwatch reads: pass an lrwatch store, a Lightning "
            "metrics.csv, TensorBoard event files (events.out.tfevents.*), an MLflow run's "
            "meta.yaml, a Hugging Face trainer_state.json, a JSON log (.json, .jsonl) or a text "
            "log (in a layout lrwatch knows, else with --pattern)")
    return [LogRun(source, found.label or _short_name(path.parent), reader.format, found.path,
                   found.files, found.run_id, found.error, found.part)
            for found in reader.file_runs(path, options)]


def _reader_by_content(path: Path, head: bytes, options: ReadOptions) -> Reader | None:
    """The reader of a file given on its own whose name no reader claims (``log``,
    ``nohup.out.1``, a ``.md`` of a run's copied output), by what it holds: JSON, else a text
    log in a layout lrwatch knows; None for a binary file or text that is no log."""
    text = as_utf8(head)
    if b"\0" in text:
        return None
    if holds_json(text):
        return JSON_READER
    return TEXT_READER if in_a_layout(path, options) else None


def _regular_files(here: Path, names: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """The names some reader wants, split into regular files and ``(name, why)`` for the rest
    (not regular, or not there any more); other names are never looked at."""
    regular: list[str] = []
    skipped: list[tuple[str, str]] = []
    for name in names:
        if not any(reader.wants(name) for reader in READERS):
            continue
        try:
            mode = os.stat(here / name).st_mode
        except OSError as exc:
            skipped.append((name, str(cannot_read(here / name, exc))))
            continue
        if stat.S_ISREG(mode):
            regular.append(name)
        else:
            skipped.append((name, f"skipped {here / name}: {_kind(mode)}, not a regular file "
                                  "(lrwatch reads only regular files; a FIFO would wait forever)"))
    return regular, skipped


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a file"


def _folder_runs(root: Path, source: str, options: ReadOptions) -> list[LogRun]:
    """Every run in ``root`` or below; a store folder is walked like any other, so logs and
    other stores beside its ``lrwatch.db`` are found too.

    Links to folders are followed, each real folder entered once (so a link loop ends), real
    folders before links (so ``latest -> version_3`` is read as ``version_3``), never to a
    folder that holds ``root`` (``up -> ..`` would read what lies beside it). A folder or
    store that cannot be read is an entry with ``error``, in its place. A folder is one run of
    the first reader that finds a folder run in it; runs named inside a folder are all kept.
    """
    found: list[LogRun] = []
    texts: list[Path] = []  # text files met, to name those that print a loss when no run is found
    top = _absolute(root).name
    entered: set[tuple[int, int]] = set()
    above = {(s.st_dev, s.st_ino) for s in _stats(Path(os.path.realpath(root)).parents)}

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
        if (real.st_dev, real.st_ino) in entered or (real.st_dev, real.st_ino) in above:
            dirs[:] = []
            continue
        entered.add((real.st_dev, real.st_ino))
        dirs[:] = sorted((d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS),
                         key=lambda d: (os.path.islink(here / d), d))
        relative = here.relative_to(root).as_posix()
        prefix = "" if relative == "." else f"{top}/{relative}/"
        regular, skipped = _regular_files(here, files)
        if len(texts) < _TEXT_FILES_LOOKED_AT:
            texts.extend(here / name for name in sorted(regular)
                         if name.lower().endswith(TEXT_SUFFIXES))
        view = Folder(here, tuple(regular), tuple(dirs))
        folder_run_taken = False
        for reader in READERS:
            result = reader.folder_runs(view, options)
            kept = [run for run in result.runs if run.label is not None or not folder_run_taken]
            for run in kept:
                name = name_of(here) if run.label is None else prefix + run.label
                found.append(LogRun(source, name, reader.format, run.path, run.files,
                                    run.run_id, run.error, run.part))
            folder_run_taken |= any(run.label is None for run in kept)
            if kept:  # what a dropped run covered is still to be walked
                dirs[:] = [d for d in dirs if d not in result.covers]
            # a file a run was found in is that reader's: later readers neither look at it
            # again (a text reader sniffing JSON lines with every layout) nor list it twice
            taken = {path.name for run in kept for path in (run.path, *run.files)
                     if path.parent == here}
            if taken:
                view = Folder(here, tuple(f for f in view.files if f not in taken), view.dirs)
        found.extend(LogRun(source, prefix + name, "file", here / name, error=why)
                     for name, why in skipped)
    if not found:
        raise InputError(
            f"no logs in {source}: expected an lrwatch store ({STORE_FILE}), a Lightning "
            "metrics.csv or TensorBoard event files (events.out.tfevents.*), a Hugging Face "
            "trainer_state.json, a JSON log or a text training log in it or below"
            + ("" if options.pattern else _unknown_layouts(texts[:_TEXT_FILES_LOOKED_AT])))
    return found


def _stats(folders: Iterable[Path]) -> list[os.stat_result]:
    """``os.stat`` of each folder that can be looked at (the others are left out)."""
    found = []
    for folder in folders:
        try:
            found.append(folder.stat())
        except OSError:
            continue
    return found


def _unknown_layouts(texts: list[Path]) -> str:
    """What to add to "no logs in": the text files that print a loss in no known layout (a
    script's own ``Train Loss: 7.32`` lines), which ``--pattern`` reads; "" when none does."""
    printing = [path for path in texts if prints_a_loss(path)]
    if not printing:
        return ""
    files = "a text file prints" if len(printing) == 1 else f"{len(printing)} text files print"
    return (f"; {files} a loss in no layout lrwatch knows (e.g. {printing[0]}): read "
            f"{'it' if len(printing) == 1 else 'them'} with --pattern, e.g. {PATTERN_EXAMPLE}")
