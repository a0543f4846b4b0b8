"""Helpers shared by subcommands: the STORE argument and value formatting."""

from __future__ import annotations

import os
from pathlib import Path

import click

from lrwatch import formatting
from lrwatch.errors import ConfigError

STORE_HELP = "store file or folder (default: $LRWATCH_STORE or ./lrwatch_logs)"


def printable(text: str) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x1b``), so a stored name can
    neither break a line of output nor send escape codes to the terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def open_store_readonly(path: str | None):  # type: ignore[no-untyped-def]
    """The store at ``path`` (or the default one), read-only."""
    from lrwatch.store import Store

    return Store(path, readonly=True)


def output_path(output: str, store_path: str) -> Path:
    """``output`` as a path, refused when writing it would overwrite the store at ``store_path``
    or one of its SQLite side files (``-wal``, ``-shm``, ``-journal``)."""
    target = Path(output).expanduser()
    for suffix in ("", "-wal", "-shm", "-journal"):
        own = Path(f"{store_path}{suffix}")
        if target.resolve() == own.resolve() or (
                target.exists() and own.exists() and os.path.samefile(target, own)):
            what = f"the store's {suffix[1:]} file" if suffix else "the store"
            raise ConfigError(f"-o {output} would overwrite {what} {own}; pass another -o")
    return target


fmt_float = formatting.number
fmt_time = formatting.timestamp
fmt_duration = formatting.duration


STATUS_COLOURS = {
    "running": "cyan", "finished": "green", "failed": "red", "interrupted": "yellow",
    "diverged": "red", "healthy": "green", "stalled": "yellow", "oscillating": "magenta",
    "diverging": "red", "insufficient_data": "white",
}


def coloured(status: str) -> str:
    return click.style(status, fg=STATUS_COLOURS.get(status))


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain left-aligned text table (cells may carry ANSI colour)."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(click.unstyle(cell)))

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - len(click.unstyle(c))) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])
