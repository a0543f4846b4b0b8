"""The readers lrwatch knows, in the order they are asked.

A folder is one run of the first reader that finds a folder run in it (a ``metrics.csv`` before
TensorBoard events beside it); runs named inside a folder (store runs, text logs) are all kept.
A new format: one module with a ``Reader`` (see ``base``) and one line here.
"""

from __future__ import annotations

from lrwatch.readers import csvlogger, hftrainer, store, textlog, tfevents
from lrwatch.readers.base import Reader

READERS: tuple[Reader, ...] = (
    store.READER,
    csvlogger.READER,
    tfevents.READER,
    hftrainer.READER,
    textlog.READER,
)


def reader_for(format: str) -> Reader:
    """The reader of ``LogRun.format``."""
    return next(r for r in READERS if r.format == format)
