"""The lrwatch error tree.

Every error lrwatch raises on purpose derives from :class:`LRWatchError`, and also from the
builtin that fits, so ``except ValueError`` in user code keeps working::

    LRWatchError
    ├── ConfigError (ValueError)        a bad argument to LRWatch, find_lr, Store, ...
    │   └── LRAttributeError (AttributeError)  find_lr: the model has no LR attribute to set
    ├── InputError (ValueError)         a log file or series that cannot be used
    ├── MissingExtra (ImportError)      an optional dependency is not installed
    └── StoreError (RuntimeError)       the run store cannot be used
        ├── NotAStore                   the file exists but is not an lrwatch store
        ├── SchemaTooNew                the store was written by a newer lrwatch
        ├── StoreLocked                 the store stayed locked past the retry budget
        └── RunNotFound (KeyError)      no run of that name or id in the store

Messages are one line that names the file or argument and says what to do.
"""

from __future__ import annotations


class LRWatchError(Exception):
    """Root of every error lrwatch raises on purpose."""


class ConfigError(LRWatchError, ValueError):
    """An argument is out of range or of the wrong kind."""


class LRAttributeError(ConfigError, AttributeError):
    """The model has no LR attribute for ``find_lr`` to set (Lightning raises AttributeError)."""


class InputError(LRWatchError, ValueError):
    """A log file or a series cannot be read or used."""


class MissingExtra(LRWatchError, ImportError):
    """An optional dependency is needed and not installed."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the '{package}' package: pip install 'lrwatch[{extra}]'"
        )


class StoreError(LRWatchError, RuntimeError):
    """The run store cannot be opened, read or written."""


class NotAStore(StoreError):
    """The file exists but is not an lrwatch store."""


class SchemaTooNew(StoreError):
    """The store was written by a newer lrwatch than this one."""


class StoreLocked(StoreError):
    """The store stayed locked by another process past the retry budget."""


class RunNotFound(StoreError, KeyError):
    """No run of that name or id is in the store."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
