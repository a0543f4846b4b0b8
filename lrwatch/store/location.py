"""Where a store lives: a path (a SQLite file or its folder) or a ``postgresql://`` URL.

A URL may carry a password. :class:`StoreURL` keeps it out of every text lrwatch prints or
records: the string *is* the URL with its password replaced by ``***`` (so messages, the
dashboard header, run metadata, checkpoints and exceptions show that form), and only the
backend that connects reads the real one from ``.dsn``. A password can also come from
``PGPASSWORD`` or a ``.pgpass`` file, as for every PostgreSQL client.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from lrwatch.errors import ConfigError

URL_SCHEMES = ("postgresql", "postgres")
HIDDEN = "***"


class StoreURL(str):
    """A server URL whose text hides the password; ``dsn`` is the URL to connect with."""

    dsn: str

    def __new__(cls, url: str) -> "StoreURL":
        self = super().__new__(cls, redact(url))
        self.dsn = url
        return self

    def __reduce__(self) -> tuple[type, tuple[str]]:  # pickled (a checkpoint): the safe text only
        return (str, (str(self),))


def is_url(location: object) -> bool:
    """Whether ``location`` names a server (``postgresql://`` or ``postgres://``)."""
    return isinstance(location, str) and location.split("://", 1)[0].lower() in URL_SCHEMES \
        and "://" in location


def redact(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***`` (also in a ``password=`` query)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = f"{userinfo.split(':', 1)[0]}:{HIDDEN}"
        netloc = f"{userinfo}@{host}"
    query = re.sub(r"(?i)(^|&)(password)=[^&]*", rf"\1\2={HIDDEN}", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def hide_secret(text: str, location: "StoreURL | str") -> str:
    """``text`` with the password of ``location`` (if it has one) replaced: for messages of
    the driver, which may quote what it was given."""
    dsn = getattr(location, "dsn", None)
    if not dsn:
        return text
    password = urlsplit(dsn).password
    text = text.replace(dsn, str(location))
    return text.replace(password, HIDDEN) if password else text


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """A store is a file; a directory (existing, or named without a suffix) holds ``lrwatch.db``."""
    p = Path(path).expanduser()
    if p.is_dir() or (not p.exists() and p.suffix == ""):
        return p / "lrwatch.db"
    return p


def resolve_location(location: str | os.PathLike[str]) -> "StoreURL | Path":
    """A URL as a :class:`StoreURL`, anything else as the store file's path."""
    if isinstance(location, StoreURL):
        return location
    if not isinstance(location, (str, os.PathLike)):
        raise ConfigError(f"a store is a path or a postgresql:// URL, got {location!r}"[:160])
    if is_url(location):
        return StoreURL(str(location))
    return resolve_path(location)


def canonical(location: str | os.PathLike[str]) -> "StoreURL | str":
    """One spelling per store, to compare and fingerprint: a URL as given (password hidden in
    its text), a path as its store file's absolute path."""
    where = resolve_location(location)
    return where if isinstance(where, StoreURL) else str(where.resolve())
