"""What every reader is: the ``Reader`` protocol and the values it takes and gives.

A reader knows one log format. The folder walk (``discover``) shows it each folder's files it
``wants`` (by name, so the walk opens nothing it need not), and it says which runs they hold;
a file given on its own it ``claims`` by its name or first bytes; later it ``read``s one run
into a ``ReadResult``. The registry (``registry.READERS``) lists the readers in the order they
are asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lrwatch.readers.series import ReadResult


@dataclass(frozen=True)
class ReadOptions:
    """The user's choices for reading (``--loss-key``, ``--lr-key``, ``--pattern``)."""

    loss_key: str | None = None
    lr_key: str | None = None
    pattern: str | None = None  # a regex with named groups for plain-text logs


@dataclass(frozen=True)
class LogRun:
    """One run found under a path; ``error`` is set when it was found but cannot be listed."""

    source: str  # the path as the user gave it
    name: str
    format: str  # a reader's format, or "folder" / "file" for what could not be listed
    path: Path  # the file or folder the reader reads
    files: tuple[Path, ...] = ()  # the run's files, when it has several (TensorBoard events)
    run_id: int | None = None  # store: the run's id
    error: str | None = None
    part: str | None = None  # the run within a file of several (a W&B panel export's run name)


@dataclass(frozen=True)
class Folder:
    """One folder of a walk as a reader sees it: the regular files of it that some reader
    wants, and its subfolders (names only)."""

    path: Path
    files: tuple[str, ...]
    dirs: tuple[str, ...]


@dataclass(frozen=True)
class Found:
    """A run a reader found.

    ``label`` None: the run is its folder (named as the folder). Otherwise the run is one of
    several in its folder, named ``label`` there (a store's run, a text log's file stem).
    """

    path: Path
    label: str | None = None
    files: tuple[Path, ...] = ()
    run_id: int | None = None
    error: str | None = None
    part: str | None = None  # the run within a file of several (a W&B panel export's run name)


@dataclass(frozen=True)
class FolderRuns:
    """The runs a reader found in one folder, and the subfolders they already cover (the walk
    does not enter those: a Hugging Face run's ``checkpoint-*`` folders are one run)."""

    runs: tuple[Found, ...] = ()
    covers: frozenset[str] = field(default_factory=frozenset)


class Reader(Protocol):
    """One log format. Adding a format is one module with a ``Reader`` and one registry line."""

    format: str  # the name ``LogRun.format`` carries: "csv", "tensorboard" ...

    def wants(self, name: str) -> bool:
        """Whether a file of this name, met in a folder walk, may belong to this format."""

    def claims(self, path: Path, head: bytes, options: ReadOptions) -> bool:
        """Whether this reader reads the file ``path`` given on its own (``head``: its first
        bytes)."""

    def file_runs(self, path: Path, options: ReadOptions) -> list[Found]:
        """The runs of a file this reader claims."""

    def folder_runs(self, folder: Folder, options: ReadOptions) -> FolderRuns:
        """The runs of one folder of a walk (none when it holds none of this format)."""

    def read(self, run: LogRun, options: ReadOptions) -> ReadResult:
        """One run's curves.

        Raises:
            InputError: the log cannot be read or has no loss.
        """

    def setup(self, run: LogRun) -> dict[str, Any] | None:
        """What the run logged about how it was trained (model, optimizer, batch size,
        hyperparameters), to find the runs of one setup at several LRs (``lrwatch.sweeps``);
        None when its files say nothing. Never raises: a setup is only a hint."""
