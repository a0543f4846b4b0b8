"""Helpers shared by subcommands: the STORE and --run arguments, checks on -o and --host/--port,
and the safe formatting of values and names."""

from __future__ import annotations

import errno
import math
import ipaddress
import os
import socket
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import click

from lrwatch import formatting
from lrwatch.errors import ConfigError, RunNotFound
from lrwatch.store.rows import SHOWN_NAMES, runs_here

if TYPE_CHECKING:
    from lrwatch.store import RunInfo, Store
    from lrwatch.store.location import StoreURL

STORE_HELP = "store file or folder (default: $LRWATCH_STORE or ./lrwatch_logs)"
RUN_HELP = ("run name, uid or id (see `lrwatch runs`); when a name is also an id, say which: "
            "id:N or name:X")
#: the STORE argument of the commands that read one store (``resolve_store`` gives its default)
store_argument = click.argument("store", required=False, metavar="[STORE]")


class FiniteRange(click.FloatRange):
    """``click.FloatRange`` that also refuses ``nan``, which passes its bounds (every
    comparison with NaN is false) and then broke the command (``--interval nan``: a
    traceback)."""

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value} is not a number in the range {self._describe_range()}.",
                      param, ctx)
        return number


def printable(text: str) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x1b``), so a stored name can
    neither break a line of output nor send escape codes to the terminal."""
    if text.isprintable():  # nearly every name: no per-character work (10,000-run lists)
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def resolve_store(path: str | None) -> Path | StoreURL:
    """The store a command reads: ``path`` (default ``$LRWATCH_STORE`` or ``./lrwatch_logs``)
    when it is a server URL or a file; for a folder, the one store ``analyze`` would find in
    it (``lrwatch_logs/demo.db`` after ``make demo``), else its ``lrwatch.db``, where
    ``LRWatch`` records by default.

    Raises:
        ConfigError: the folder holds several stores (they are listed, to pass one).
    """
    from lrwatch.readers import stores_in
    from lrwatch.store import DEFAULT_DIR, ENV_VAR
    from lrwatch.store.location import StoreURL, resolve_location, resolve_path

    given = path if path is not None else os.environ.get(ENV_VAR) or DEFAULT_DIR
    where = resolve_location(given)
    if isinstance(where, StoreURL):  # a server: nothing to look for in a folder
        return where
    target = Path(given).expanduser()
    if not target.is_dir():
        return resolve_path(target)
    stores = stores_in(target)
    if len(stores) == 1:
        return stores[0]
    if not stores:
        return resolve_path(target)
    context = click.get_current_context(silent=True)
    command = context.command_path if context is not None else "lrwatch"
    listed = ", ".join(printable(str(store)) for store in stores)
    raise ConfigError(f"{printable(str(target))} holds {len(stores)} stores ({listed}); say which, "
                      f"such as: {command} {printable(str(stores[0]))}")


def open_store_readonly(path: str | None):  # type: ignore[no-untyped-def]
    """The store ``resolve_store(path)`` picks, read-only."""
    from lrwatch.store import Store

    return Store(resolve_store(path), readonly=True)


def find_run(store: Store, ref: str) -> RunInfo:
    """The run ``ref`` picks: ``id:N`` by id, ``name:X`` by name, else by name, uid or id.

    A bare ``ref`` that is one run's name and another run's id is refused, not guessed.

    Raises:
        ConfigError: ``ref`` is ambiguous, or ``id:`` is not followed by a number.
        RunNotFound: no run matches.
    """
    runs = store.runs()
    kind, _, rest = ref.partition(":")
    if kind == "id":
        if not rest.isdigit():
            raise ConfigError(f"--run {printable(ref)}: an id is a whole number, as "
                              "`lrwatch runs` lists")
        matches = [run for run in runs if run.id == int(rest)]
    elif kind == "name":
        matches = [run for run in runs if run.name == rest]
    else:
        by_name = [run for run in runs if ref in (run.name, run.uid)]
        by_id = [run for run in runs if ref.isdigit() and run.id == int(ref)]
        if by_name and by_id and by_name[0].id != by_id[0].id:
            raise ConfigError(
                f"--run {ref} is the name of run {by_name[0].id} and the id of run {by_id[0].id} "
                f"('{printable(by_id[0].name)}'); pass --run name:{ref} or --run id:{ref}")
        matches = by_name or by_id
    if not matches:
        names = [printable(run.name) for run in runs[-SHOWN_NAMES:]]
        raise RunNotFound(f"no run '{printable(ref)}' in {store.path}; "
                          + runs_here(names, len(runs)))
    return matches[0]


def output_path(output: str, store_path: str) -> Path:
    """``output`` as a path, refused when writing it would overwrite the store at ``store_path``
    or one of its SQLite side files (``-wal``, ``-shm``, ``-journal``)."""
    from lrwatch.store import store_file_at

    own = store_file_at(output, store_path)
    if own is not None:
        raise ConfigError(f"-o {output} would overwrite the store's file {own}; pass another -o")
    return Path(output).expanduser()


def check_listen_address(host: str, port: int) -> None:
    """Refuse, before a server starts, a ``--host`` this machine cannot listen on or a ``--port``
    in use, saying which and what to pass instead (the server's own error says neither)."""
    fix = ("pass an address of this machine, such as 127.0.0.1 (this machine only) or 0.0.0.0 "
           "(every interface)")
    if ":" in host or host.replace(".", "").isdigit():  # an IP address, not a host name
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ConfigError(f"--host {host} is not a valid IP address; {fix}") from None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as werkzeug chooses
    try:
        address = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)[0][4]
    except socket.gaierror as exc:
        raise ConfigError(f"--host {host} is not a host name this machine knows "
                          f"({exc.strerror}); {fix}") from None
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"port {port} on {host} is in use by another program; "
                                  "pass another --port") from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise ConfigError(f"--host {host} is not an address of this machine; {fix}"
                                  ) from None
            raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}); pass another "
                              "--host or --port") from None


fmt_float = formatting.number
fmt_time = formatting.timestamp
fmt_duration = formatting.duration


def coloured(status: str) -> str:
    return click.style(status, fg=formatting.status_style(status).terminal)


def screen_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: 2 for a wide character (CJK, most emoji), 0 for a
    combining mark, so a column after ``学习率`` still lines up."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain left-aligned text table (cells may carry ANSI colour)."""
    shown = [[screen_width(click.unstyle(c) if "\x1b" in c else c) for c in row]
             for row in [headers, *rows]]  # each cell's width on screen, measured once
    widths = [max(column) for column in zip(*shown)]

    def line(cells: list[str], lengths: list[int]) -> str:
        return "  ".join(c + " " * (w - n) for c, n, w in zip(cells, lengths, widths)).rstrip()

    return "\n".join(line(r, n) for r, n in zip([headers, *rows], shown))
