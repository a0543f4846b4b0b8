"""Helpers shared by subcommands: the STORE argument and value formatting."""

from __future__ import annotations

import click

from lrwatch import formatting

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
