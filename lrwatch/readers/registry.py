"""The readers lrwatch knows, in the order they are asked.

A folder is one run of the first reader that finds a folder run in it (a ``metrics.csv`` or a
``trainer_state.json`` before TensorBoard events beside it); runs named inside a folder (store
runs, text logs) are all kept.
A new format: one module with a ``Reader`` (see ``base``) and one line here.
"""

from __future__ import annotations

from lrwatch.errors import ConfigError
from lrwatch.readers import (csvlogger, hfcard, hftrainer, jsonlog, mlflow, notebook, store,
                             tbexport, textlog, tfevents, wandb_run)
from lrwatch.readers.base import Reader

READERS: tuple[Reader, ...] = (
    store.READER,
    tbexport.READER,  # before CSV and JSON logs: a curve downloaded from TensorBoard's page
    csvlogger.READER,
    hftrainer.READER,  # before TensorBoard: a Trainer's folder may hold its events too
    hfcard.READER,  # after the Trainer's state, which holds every logged step of the card's run
    jsonlog.READER,  # after the Trainer's JSON, before text logs (a log.txt of JSON lines)
    mlflow.READER,
    wandb_run.READER,  # before text logs: a W&B run folder's files/output.log is its console
    tfevents.READER,
    notebook.READER,  # before text logs, which claim any file under --pattern
    textlog.READER,
)


def reader_for(format: str) -> Reader:
    """The reader of ``LogRun.format``.

    Raises:
        ConfigError: no reader has that format.
    """
    for reader in READERS:
        if reader.format == format:
            return reader
    known = ", ".join(r.format for r in READERS)
    raise ConfigError(f"no reader reads the format {format!r}; lrwatch reads: {known}")
