"""Jupyter notebooks (``.ipynb``): the training log a notebook printed, read from the cell
outputs it was saved with.

Many runs are logged only there: Keras ``model.fit``'s epochs, a PyTorch loop's
``print(f"Epoch {e} loss {l:.4f}")``, printed Hugging Face dicts. Each code cell whose printed
output reads as a training log, the way a text log is read (``textlog``: the same layouts, the
same generic reading, ``--pattern``), is one run, named ``<notebook stem>:cell<N>``. N counts
the notebook's cells from 1, markdown cells included: the execution count (``In [12]``) is
missing from cells saved unexecuted, repeats across restarts and changes on every rerun, while
a cell's place does not; the notes give the execution count too. A cell that printed several
runs one after another (a loop over LRs: the step starts again, ``textlog.read_lines``) gives
a run for each, ``<stem>:cell<N>#<k>``.

A cell's text is its ``stream`` outputs, each stream (stdout, stderr: Keras and tqdm write to
either) joined in its own order, then the ``text/plain`` of its results and displays; a line
split by another stream's output in between (a tqdm bar redrawn while a loop prints) is whole
again. Terminal colour codes (Keras 3 prints its bar in bold and green) are taken out. A cell
that displayed an HTML table whose header names a loss (the Hugging Face Trainer's progress
table, a history DataFrame) is read from that table's rows instead.
The notebook is read as JSON (nbformat 4), with no Jupyter package.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from lrwatch.analysis.types import RunCurves
from lrwatch.errors import InputError
from lrwatch.readers.base import Folder, FolderRuns, Found, LogRun, ReadOptions
from lrwatch.readers.cell_loops import SCHEDULE_WORDS, loop_lrs
from lrwatch.readers.files import is_lfs_pointer, refuse_lfs_pointer
from lrwatch.readers.path_setup import constant_lr
from lrwatch.readers.series import ReadResult, cannot_read
from lrwatch.readers.text_layouts import GENERIC_MIN_POINTS, PATTERN_EXAMPLE
from lrwatch.readers.textlog import SNIFF_BYTES, SeveralRuns, read_lines, recognise_text

SUFFIX = ".ipynb"
# ECMA-48 control sequences (colours, cursor moves) as a terminal library writes them
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_UTF8_BOM = b"\xef\xbb\xbf"
_LOSS_NAMES = ("loss", "ppl", "perplexity")  # a table's header naming one of these is a log


@dataclass(frozen=True)
class Cell:
    """A code cell's printed output."""

    index: int  # its place among the notebook's cells, from 1
    execution_count: int | None
    text: str
    error: str | None = None  # the name of the exception the cell stopped with
    table: bool = False  # ``text`` is the rows of an HTML table it displayed, not its printout
    source: str = ""  # the cell's code


class _Tables(HTMLParser):
    """The rows of every ``<table>`` of an HTML output, each row its cells' text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _table_lines(html: str) -> str:
    """The rows of the HTML tables whose header names a loss or a perplexity, as lines of named
    values (``Step 200 | Training Loss 1.6317 | Validation Loss 1.6223``): the Hugging Face
    Trainer's progress table in a notebook, a history shown as a pandas DataFrame."""
    parser = _Tables()
    parser.feed(html)
    parser.close()
    lines = []
    for header, *rows in (table for table in parser.tables if table):
        if not any(word in name.lower() for name in header for word in _LOSS_NAMES):
            continue
        lines += [" | ".join(f"{name} {value}".strip() for name, value in zip(header, row))
                  for row in rows]
    return "\n".join(lines)


def _text(value: Any) -> str:
    """An nbformat multiline string (one string, or a list of its lines) as one string."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(part for part in value if isinstance(part, str))
    return ""


def _cell(index: int, cell: dict[str, Any]) -> Cell | None:
    """A code cell's printed output; None for another cell, or one that printed nothing."""
    outputs = cell.get("outputs")
    if cell.get("cell_type") != "code" or not isinstance(outputs, list):
        return None
    streams: dict[str, list[str]] = {}
    shown: list[str] = []
    tables: list[str] = []
    error = None
    for output in outputs:
        if not isinstance(output, dict):
            continue
        kind = output.get("output_type")
        if kind == "stream":
            streams.setdefault(str(output.get("name", "stdout")), []).append(
                _text(output.get("text")))
        elif kind in ("execute_result", "display_data") and isinstance(output.get("data"), dict):
            shown.append(_text(output["data"].get("text/plain")))
            if "<table" in (html := _text(output["data"].get("text/html"))):
                tables.append(_table_lines(html))
        elif kind == "error":
            error = str(output.get("ename") or "an error")
    count = cell.get("execution_count")
    count = count if isinstance(count, int) else None
    # the table a cell displayed last holds its losses (the Trainer redraws it as it logs);
    # its printout beside it is the Trainer's warnings and its run's mean loss
    table = next((t for t in reversed(tables) if t), None)
    source = _text(cell.get("source"))
    if table is not None:
        return Cell(index, count, table, error, table=True, source=source)
    parts = ["".join(texts) for texts in streams.values()] + shown
    text = _ANSI.sub("", "\n".join(part for part in parts if part))
    if not text.strip() and error is None:
        return None
    return Cell(index, count, text, error, source=source)


def notebook_cells(path: Path, data: bytes) -> list[Cell]:
    """The code cells of the notebook ``path`` (whose bytes are ``data``) that printed
    something, in order.

    Raises:
        InputError: it is not JSON, or not an nbformat 4 notebook.
    """
    try:
        notebook = json.loads(data.removeprefix(_UTF8_BOM))  # a Windows editor's mark
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a Jupyter notebook: not UTF-8 text; pass an .ipynb "
                         "as Jupyter saves it") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{path} is not a Jupyter notebook: not JSON ({exc}); pass an .ipynb "
                         "as Jupyter saves it (a cut copy or merge markers break it)") from None
    if isinstance(notebook, dict) and "worksheets" in notebook:
        raise InputError(f"{path} is an nbformat 3 notebook; lrwatch reads nbformat 4: convert "
                         f"it with `jupyter nbconvert --to notebook --inplace {path.name}` (or "
                         "open and save it in Jupyter), then analyze it again")
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise InputError(f"{path} is JSON but not a Jupyter notebook (no 'cells' list, as "
                         "nbformat 4 has); pass an .ipynb as Jupyter saves it")
    found = (_cell(index, cell) for index, cell in enumerate(cells, start=1)
             if isinstance(cell, dict))
    return [cell for cell in found if cell is not None]


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise cannot_read(path, exc) from None


def _runs(path: Path, cells: list[Cell], options: ReadOptions) -> list[Found]:
    """The runs of the cells whose output reads as a training log (or matches ``--pattern``):
    one a cell, ``<stem>:cell<N>``, or ``<stem>:cell<N>#<k>`` for each of the runs a cell
    printed one after another (a loop over LRs: its step starts again)."""
    found = []
    for cell in cells:
        name = recognise_text(cell.text, options)
        if name is None:
            continue
        label = f"{path.stem}:cell{cell.index}"
        try:
            read_lines(_lines_of(cell), name, f"{path} cell {cell.index}", options)
        except SeveralRuns as several:
            found += [Found(path, label=f"{label}#{k}", part=f"{cell.index}.{k}")
                      for k in range(1, several.runs + 1)]
            continue
        except InputError:
            pass  # listed: reading it says why
        found.append(Found(path, label=label, part=str(cell.index)))
    return found


def _lines_of(cell: Cell) -> io.StringIO:
    """A cell's output as lines; newline=None: "\r" ends a line, as in a text log."""
    return io.StringIO(cell.text, newline=None)


def _nothing_read(path: Path, cells: list[Cell], options: ReadOptions) -> InputError:
    """What to say of a notebook in which no cell's output reads as a training log."""
    if not any(cell.text.strip() for cell in cells):
        return InputError(f"{path} holds no cell output (saved with its outputs cleared, or "
                          "never run): run the notebook and save it with its outputs, then "
                          "analyze it again")
    if options.pattern:
        return InputError(f"{path}: no cell's output matches the pattern {options.pattern!r} "
                          f"(pattern= / --pattern) in its first {SNIFF_BYTES // 1024} kB; "
                          "check it against a line the training cell printed")
    return InputError(f"{path} holds no cell output that prints a training loss in a layout "
                      f"lrwatch knows, nor names one on {GENERIC_MIN_POINTS}+ lines ('loss: "
                      "2.31'): save the notebook with its training cell's output, or pass "
                      f"--pattern with named groups, e.g. {PATTERN_EXAMPLE}")


def read_cell(path: Path, index: int, options: ReadOptions = ReadOptions(),
              run: int | None = None) -> ReadResult:
    """A run from the printed output of cell ``index`` (from 1) of the notebook ``path``;
    ``run`` (from 1) the one of several the cell printed one after another.

    Raises:
        ConfigError: ``--pattern`` is not a regex with a ``loss`` group.
        InputError: the file cannot be read or is no notebook, or the cell prints no loss.
    """
    cell, name = _training_cell(path, index, options)
    shown = f" (In [{cell.execution_count}])" if cell.execution_count is not None else ""
    result = read_lines(_lines_of(cell), name, f"{path} cell {index}", options,
                        run=None if run is None else run - 1, printed=not cell.table)
    which = "" if run is None else f": run {run} of those it printed one after another"
    what = "the table displayed by" if cell.table else "the printed output of"
    notes = [f"read from {what} cell {index}{shown}{which}", *result.notes]
    if cell.error is not None:
        notes.append(f"the cell stopped with {cell.error}: its training may have ended early")
    curves = result.curves
    if run is not None and curves.lr is None:
        curves = _with_loop_lr(curves, cell, name, path, options, run, notes)
    return replace(result, curves=curves, notes=tuple(notes))


def _with_loop_lr(curves: RunCurves, cell: Cell, name: str, path: Path, options: ReadOptions,
                  run: int, notes: list[str]) -> RunCurves:
    """``curves`` of the cell's ``run``-th run (from 1) with the LR its loop gave it, where the
    cell loops over a list of LRs (``_loop_lrs``) and its code names no schedule."""
    lrs = _loop_lrs(cell, name, path, options)
    if lrs is None:
        return curves
    if SCHEDULE_WORDS.search(cell.source):
        notes.append(f"the cell loops over lr in {list(lrs)}, but its code names a schedule or "
                     "decay: the LR of each step is unknown")
        return curves
    curves = constant_lr(curves, lrs[run - 1], notes)
    notes.append(f"the log has no LR: the cell loops over lr in {list(lrs)}, so its run {run} "
                 f"of {len(lrs)} took lr={lrs[run - 1]:g} at every step")
    return curves


def _training_cell(path: Path, index: int, options: ReadOptions) -> tuple[Cell, str]:
    """Cell ``index`` of the notebook and the log layout its output is in.

    Raises:
        InputError: the file cannot be read or is no notebook, or the cell prints no loss.
    """
    refuse_lfs_pointer(path)
    cell = next((c for c in notebook_cells(path, _read_bytes(path)) if c.index == index), None)
    name = None if cell is None else recognise_text(cell.text, options)
    if cell is None or name is None:
        raise InputError(f"{path} no longer prints a training log in cell {index}: list its "
                         "runs again")
    return cell, name


def _loop_lrs(cell: Cell, name: str, path: Path, options: ReadOptions
              ) -> tuple[float, ...] | None:
    """The LRs of the cell's one loop over a literal list of LRs (``cell_loops``), where the
    list holds as many distinct values as the runs the cell printed; None otherwise."""
    lrs = loop_lrs(cell.source)
    if lrs is None or len(set(lrs)) != len(lrs):
        return None
    try:
        read_lines(_lines_of(cell), name, f"{path} cell {cell.index}", options)
    except SeveralRuns as several:
        return lrs if several.runs == len(lrs) else None
    except InputError:
        return None
    return None


class NotebookReader:
    """``.ipynb`` files: each code cell whose printed output is a training log is a run,
    named ``<stem>:cell<N>`` (``#<k>`` for each of several it printed one after another)."""

    format = "notebook"

    def wants(self, name: str) -> bool:
        return name.lower().endswith(SUFFIX)

    def claims(self, path: Path, head: bytes, options: ReadOptions) -> bool:
        return path.suffix.lower() == SUFFIX

    def file_runs(self, path: Path, options: ReadOptions) -> list[Found]:
        """Its training cells' runs.

        Raises:
            InputError: it is no notebook, or no cell's output reads as a training log.
        """
        refuse_lfs_pointer(path)
        cells = notebook_cells(path, _read_bytes(path))
        found = _runs(path, cells, options)
        if not found:
            raise _nothing_read(path, cells, options)
        return found

    def folder_runs(self, folder: Folder, options: ReadOptions) -> FolderRuns:
        """The training cells of the folder's notebooks. A notebook that prints no training
        log (a plot, a data exploration) or is no notebook at all holds no run, as a
        README.txt does not; one that cannot be read, or a Git LFS pointer in a notebook's
        place, is listed, for reading it to say why. Jupyter's ``.ipynb_checkpoints/``
        copies are not met: the walk enters no hidden folder."""
        found = []
        for name in sorted(f for f in folder.files if self.wants(f)):
            path = folder.path / name
            try:
                data = _read_bytes(path)
            except InputError as exc:
                found.append(Found(path, label=path.stem, error=str(exc)))
                continue
            if is_lfs_pointer(data):
                found.append(Found(path, label=path.stem))  # reading it says to pull it
                continue
            try:
                cells = notebook_cells(path, data)
            except InputError:
                continue
            found += _runs(path, cells, options)
        return FolderRuns(tuple(found))

    def read(self, run: LogRun, options: ReadOptions) -> ReadResult:
        if run.part is None:  # a notebook's place held a Git LFS pointer when it was listed
            refuse_lfs_pointer(run.path)
            raise InputError(f"{run.path} has changed since its runs were listed: list them "
                             "again")
        index, _, which = run.part.partition(".")
        return read_cell(run.path, int(index), options, int(which) if which else None)

    def setup(self, run: LogRun) -> dict[str, Any] | None:
        """The runs a cell printed in its one loop over a list of LRs (``cell_loops``) are one
        setup, the cell's: they differ in the LR alone. Otherwise none: printed output names no
        setup lrwatch could trust."""
        index, _, which = (run.part or "").partition(".")
        if not which:
            return None
        try:
            cell, name = _training_cell(run.path, int(index), ReadOptions())
        except (InputError, ValueError):
            return None
        if _loop_lrs(cell, name, run.path, ReadOptions()) is None:
            return None
        return {"runs of one loop": f"{run.path.name}:cell{cell.index}"}


READER = NotebookReader()
