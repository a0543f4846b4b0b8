r"""Plain-text training logs: what a training script prints, one line per logging step.

A ``.log``, ``.txt``, ``.out`` or ``.err`` file (``files.TEXT_SUFFIXES``; a file of another name
when it holds such lines) is read in the layout (``text_layouts``: nanoGPT, word_language_model,
printed HF dicts, Keras, fairseq, Megatron-LM, llm.c, modded-nanogpt, timm, OpenMMLab, LitGPT,
torchvision's MetricLogger, Composer) that reads the most loss points in its first lines, or by the
user's ``--pattern``; a line may carry a prefix (a time stamp, a rank), as logs copied from job
runners and notebooks do. A script's own printout in none of them is read by the names on its lines
(``Epoch [2/5], Step [100/600], Loss: 0.21``), with a note that says so. A log whose step starts
again at its first one holds several runs one after another (seeds ``>>`` into one file): a run
for each, ``<stem>#<k>``.

A line that states the model's size (nanoGPT's ``number of parameters: 123.69M``) gives the
parameter count, which moves an adaptive optimizer's usual LR range down for a large model.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from lrwatch.errors import InputError
from lrwatch.readers import model_size
from lrwatch.readers.base import Folder, FolderRuns, Found, LogRun, ReadOptions
from lrwatch.readers.columns import Columns
from lrwatch.readers.files import (TEXT_SUFFIXES, as_utf8, file_head, is_lfs_pointer,
                                   refuse_lfs_pointer, text_encoding)
from lrwatch.readers.series import Hints, ReadResult, build_curves, cannot_read
from lrwatch.readers.text_layouts import (CURVES, GENERIC_MIN_POINTS, NUMBER_GROUP_EXAMPLE,
                                          PATTERN_EXAMPLE, PRESETS, Layout, PatternParser,
                                          compile_pattern, generic_layout, generic_layouts,
                                          presets)

SUFFIXES = TEXT_SUFFIXES
# A layout is recognised in the first lines: the first QUICK_SNIFF_BYTES, and where no layout
# reads a loss there, up to SNIFF_BYTES. nanoGPT prints its configuration first (a few kB); a
# multi-node Megatron-DeepSpeed job's stdout holds 280-600 kB of launcher commands and per-rank
# arguments before its first iteration line (5 of 88 public logs of one repository were missed
# at 256 kB). Ten layouts tried on 1 MB of a log's lines took more than the reading itself.
QUICK_SNIFF_BYTES = 256 * 1024
SNIFF_BYTES = 1024 * 1024
# every preset's loss is named on its line ("loss", "Loss:", "lm loss", llm.c's main.log "trl:"),
# and a log of perplexities names them ("train ppl: 581.2"): a head without one of these is no
# log, and is not parsed line by line
LOSS_WORDS = (b"loss", b"trl:", b"ppl", b"perplexity")
_DIGIT = re.compile(r"\d")
# The lines a preset takes a loss or its state from: its loss lines name one, and the only
# state kept from another line is Keras's "Epoch 3/30" above each summary (a perplexity stands
# for the loss where none is printed). A step's line that names neither ("step:10/6000
# train_time:950ms") is not parsed to recognise a layout.
_SNIFFED_WORDS = ("loss", "trl:", "tel:", "epoch", "ppl", "perplexity")
# "loss" and a decimal number just after it (Train Loss: 7.3251, loss=0.52, loss 3.1): a training
# log's line, which prose (a README's "the loss is printed every step") does not have
_LOSS_NUMBER = re.compile(rb"loss\W{0,3}[-+]?\d*\.\d", re.IGNORECASE)


def _lines(text: str) -> Iterator[str]:
    """Lines, with progress bars' carriage returns taken as line ends too."""
    return (line.strip() for line in text.splitlines())


def _layout(name: str, options: ReadOptions) -> Layout:
    """A fresh layout (parsers may remember lines they read): the user's or a preset."""
    if options.pattern:
        return compile_pattern(options.pattern)
    return next(layout for layout in (*presets(), *generic_layouts()) if layout.name == name)


def _recognise(path: Path, options: ReadOptions) -> str | None:
    """The layout of a log file from its first lines (``recognise``)."""
    return recognise(lambda size: file_head(path, size), options)


def in_a_layout(path: Path, options: ReadOptions) -> bool:
    """Whether a file's first lines are a training log in a layout lrwatch reads (or match
    ``--pattern``). Never raises: a file that cannot be read is in none."""
    try:
        return _recognise(path, options) is not None
    except InputError:
        return False


def recognise_text(text: str, options: ReadOptions) -> str | None:
    """The layout of a log already in memory (a notebook cell's printed output), recognised
    as a file of that text would be (``recognise``)."""
    data = text.encode("utf-8")
    return recognise(lambda size: data[:size], options)


def recognise(head: Callable[[int], bytes], options: ReadOptions) -> str | None:
    """The layout of a log from its first lines (``head(size)``: its first ``size`` bytes):
    ``--pattern`` when given, else the preset that reads the most loss points there, else a
    generic reading of named values (``loss: 2.3``) where the lines name a loss often enough;
    None when nothing reads one."""
    for size in (QUICK_SNIFF_BYTES, SNIFF_BYTES):
        data = head(size)
        name = _recognise_head(as_utf8(data), options)  # a UTF-16 log is looked at as its text
        if name is not None or len(data) < size:
            return name
    return None


def _recognise_head(raw: bytes, options: ReadOptions) -> str | None:
    """The layout that reads a loss in a log's first bytes ``raw`` (UTF-8), as ``recognise``
    says; None when none does there."""
    if not options.pattern and not any(word in raw.lower() for word in LOSS_WORDS):
        return None  # no preset reads a loss from lines that never name one
    # a line with no digit is neither a point nor a line a preset keeps state from
    text = raw.decode("utf-8", "replace")
    lines = [line for line in _lines(text) if _DIGIT.search(line)] if options.pattern else [
        line for line, low in zip(_lines(text), _lines(text.lower()))
        if any(word in low for word in _SNIFFED_WORDS) and _DIGIT.search(line)]
    layouts = (compile_pattern(options.pattern),) if options.pattern else presets()
    best, most = None, 0
    for layout in layouts:
        # a --pattern line counts when it matches: a loss group that took no number is
        # said by the reading, not hidden behind "no line matches"
        count = sum(1 for line in lines if (p := layout.parse(line)) is not None
                    and ("loss" in p or options.pattern))
        if count > most:
            best, most = layout.name, count
    if best is None and not options.pattern:
        best = generic_layout(lines)
    return best


def prints_a_loss(path: Path) -> bool:
    """Whether a text file's first lines print a loss beside a number (``Train Loss: 7.3251``),
    as a training log in a layout lrwatch does not know does: a folder of such logs holds runs
    that ``--pattern`` reads. Never raises: a file that cannot be read prints nothing."""
    try:
        return _LOSS_NUMBER.search(as_utf8(file_head(path, QUICK_SNIFF_BYTES))) is not None
    except InputError:
        return False


def read_text_log(path: Path, options: ReadOptions = ReadOptions(),
                  run: int | None = None) -> ReadResult:
    """A run from a plain-text log, in a preset layout or the user's ``--pattern``; ``run``
    (from 0) the one of several it holds one after another (``read_lines``).

    Raises:
        ConfigError: ``--pattern`` is not a regex with a ``loss`` group.
        SeveralRuns: it holds several runs and ``run`` is None.
        InputError: the file cannot be read, matches no layout, or has no loss on any line.
    """
    refuse_lfs_pointer(path)
    name = _recognise(path, options)
    if name is None and options.pattern:
        raise InputError(f"{path}: no line in its first {SNIFF_BYTES // 1024} kB matches "
                         f"the pattern {options.pattern!r} (pattern= / --pattern); check it "
                         "against a line of the log")
    if name is None:
        raise InputError(f"{path} matches no known log layout ({', '.join(PRESETS)}) and "
                         f"names no loss on {GENERIC_MIN_POINTS}+ lines ('loss: 2.31'): pass "
                         f"--pattern with named groups, e.g. {PATTERN_EXAMPLE}")
    return _read(path, name, options, run)


def _read(path: Path, name: str, options: ReadOptions, run: int | None) -> ReadResult:
    """``read_text_log`` of a log whose layout ``name`` is known."""
    try:
        encoding = text_encoding(file_head(path, 4))
        with open(path, encoding=encoding, errors="replace") as fh:  # "\r" ends a line too
            result = read_lines(fh, name, str(path), options, run=run)
    except OSError as exc:
        raise cannot_read(path, exc) from None
    if run is None:
        return result
    which = f"run {run + 1} of those {path.name} holds one after another (its step starts again)"
    return replace(result, notes=(which, *result.notes))


def _file_runs(path: Path, name: str | None, options: ReadOptions) -> list[Found]:
    """A text log's runs: itself, named by its stem, or ``<stem>#<k>`` for each of several
    runs it holds one after another (the whole file is read to count them). A log in no
    layout (``name`` None) or that cannot be read is one run: reading it says why."""
    if name is not None:
        try:
            _read(path, name, options, None)
        except SeveralRuns as several:
            return [Found(path, label=f"{path.stem}#{k}", part=str(k))
                    for k in range(1, several.runs + 1)]
        except InputError:
            pass
    return [Found(path, label=path.stem)]


class SeveralRuns(InputError):
    """A log whose step starts again: several runs printed one after another (a loop over LRs
    in one script or notebook cell, ``>>`` into one file); ``runs`` counts them."""

    def __init__(self, message: str, runs: int) -> None:
        super().__init__(message)
        self.runs = runs


def read_lines(lines: Iterable[str], name: str, where: str,
               options: ReadOptions = ReadOptions(), run: int | None = None,
               printed: bool = True) -> ReadResult:
    """A run from a log's lines (a file's, or a notebook cell's printed output) in the layout
    ``name`` (as ``recognise`` gives it); ``where`` names the log in errors. A step that goes
    back to the first one or below starts another run (a resumed run restarts later, from its
    checkpoint's step): ``run`` (from 0) picks one of several. ``printed`` False: the lines are
    a table's rows made here, and the notes do not name a text layout the user never printed.

    Raises:
        SeveralRuns: the lines hold several runs and ``run`` is None.
        InputError: no line holds a loss.
    """
    layout = _layout(name, options)
    steps = {curve: array("q") for curve in CURVES}
    values = {curve: array("d") for curve in CURVES}
    order = bad_steps = 0
    params: int | None = None
    first: int | None = None
    last: int | None = None
    starts: list[tuple[int, int, int]] = []  # (line, step before, step) where a run starts
    for number, line in enumerate(lines, start=1):
        point = layout.parse(line.strip())
        if not point:
            params = params or model_size.from_log_line(line)
            continue
        step_value = float(point.get("step", order))
        if not layout.steps_are_order and not step_value.is_integer():  # NaN, inf, 1.5
            bad_steps += 1
            continue
        step = order if layout.steps_are_order else int(step_value)
        order += 1
        if first is None:
            first = step
        elif last is not None and step < last and step <= first:
            starts.append((number, last, step))
        last = step
        if run is not None and run != len(starts):
            continue
        for curve in CURVES:
            if curve in point:
                steps[curve].append(step)
                values[curve].append(point[curve])
    if starts and run is None:
        line_at, before, after = starts[0]
        raise SeveralRuns(
            f"{where} holds {len(starts) + 1} runs one after another: its step starts again "
            f"{len(starts)} time{'s' * (len(starts) > 1)} (from {before} to {after} at line "
            f"{line_at}); list its runs (lrwatch analyze reads each) and read one of them",
            runs=len(starts) + 1)
    points = {curve: (np.frombuffer(steps[curve], dtype=np.int64),
                      np.frombuffer(values[curve], dtype=np.float64)) for curve in CURVES}
    rejected = layout.parse.rejected if isinstance(layout.parse, PatternParser) else {}
    if not points["loss"][0].size and "loss" in rejected:
        count, examples = rejected["loss"]
        raise InputError(f"{where}: the loss group of the pattern {options.pattern!r} (pattern= / "
                         f"--pattern) matched {count} lines but never a number (e.g. "
                         f"{', '.join(repr(e) for e in examples)}): narrow the group to the "
                         f"number, e.g. {NUMBER_GROUP_EXAMPLE}")
    if not points["loss"][0].size:
        raise InputError(f"{where} has no loss on any line read as {layout.name}")
    columns = Columns(loss="loss", **{c: c for c in CURVES[1:] if points[c][0].size})
    notes = []
    if printed:
        notes.append(f"read as a text log ({layout.name})")
        if layout.note:
            notes.append(layout.note)
    if layout.steps_are_order:
        notes.append("its lines carry no step: the step is the entry's order (multiply by the "
                     "logging interval for optimizer steps)")
    if bad_steps:
        notes.append(f"ignored {bad_steps} lines whose step is not a whole number")
    notes += [f"ignored {count} values of the pattern's {group} group that are not numbers "
              f"(e.g. {', '.join(repr(e) for e in examples)}); where they hold one, narrow the "
              f"group to it, e.g. {NUMBER_GROUP_EXAMPLE.replace('loss', group)}"
              for group, (count, examples) in rejected.items()]
    if params is not None:
        notes.append(f"the log gives the model's size: {params:,} parameters")
    result = build_curves(columns, points, Hints(param_count=params), where,
                          epoch_points=layout.epoch_points)
    return replace(result, notes=tuple(notes) + result.notes)


class TextLogReader:
    """``.log``/``.txt`` files in a known layout, or any file with ``--pattern``; each is a run
    named by its file stem, or ``<stem>#<k>`` for each of several runs it holds."""

    format = "text"

    def wants(self, name: str) -> bool:
        return name.lower().endswith(SUFFIXES)

    def claims(self, path: Path, head: bytes, options: ReadOptions) -> bool:
        return bool(options.pattern) or path.suffix.lower() in SUFFIXES

    def file_runs(self, path: Path, options: ReadOptions) -> list[Found]:
        try:
            name = None if is_lfs_pointer(file_head(path)) else _recognise(path, options)
        except InputError:
            name = None  # reading it says why
        return _file_runs(path, name, options)

    def folder_runs(self, folder: Folder, options: ReadOptions) -> FolderRuns:
        """Only the files whose first lines are in a known layout (or match ``--pattern``):
        a folder's README.txt or requirements.txt is not a log."""
        found = []
        for name in sorted(f for f in folder.files if self.wants(f)):
            path = folder.path / name
            try:
                if is_lfs_pointer(file_head(path)):
                    found.append(Found(path, label=path.stem))
                elif (layout := _recognise(path, options)) is not None:
                    found += _file_runs(path, layout, options)
            except InputError as exc:
                found.append(Found(path, label=path.stem, error=str(exc)))
        return FolderRuns(tuple(found))

    def read(self, run: LogRun, options: ReadOptions) -> ReadResult:
        return read_text_log(run.path, options, None if run.part is None else int(run.part) - 1)

    def setup(self, run: LogRun) -> dict[str, Any] | None:
        return None  # a printed log names no setup lrwatch could trust


READER = TextLogReader()
