"""Mirror notes into the loggers a Lightning Trainer already has, through their own API.

Every logger gets the note's scalar (``lrwatch/status``: 0 healthy, 1 stalled, 2 oscillating,
3 diverging; ``lrwatch/guard_action``: 1 stopped, 2 recovered) with ``log_metrics`` at the
note's optimizer step, the step Lightning logs at. What each known logger gets beside it:

- TensorBoard: a text entry under ``lrwatch`` (message, evidence, suggestion, dashboard link);
- CSVLogger: the scalar only (a CSV holds numbers);
- MLflow: tags ``lrwatch.status`` and ``lrwatch.message``, and the artifact
  ``lrwatch/notes.md`` rewritten with every note so far;
- W&B: ``run.alert`` (W&B sends it on to Slack or e-mail as the user set up) and the run summary
  keys ``lrwatch/status`` and ``lrwatch/message``.

Loggers are recognised by class name (``TensorBoardLogger`` ...), so both Lightning packages
and subclasses are served without importing either. MLflow and W&B may talk to a server: they
are served in the background; the others write local buffers on the training thread.
"""

from __future__ import annotations

from typing import Any, Iterable

from lrwatch.notify.notifier import Note, Sink

# MLflow refuses tag values above 8000 characters (its MAX_TAG_VAL_LENGTH since 2.x); a message
# is one line, but its evidence can be long.
MLFLOW_TAG_MAX = 8000


class LoggerMirror:
    """Any Lightning logger: the note's scalar through ``log_metrics``."""

    background = False

    def __init__(self, logger: Any) -> None:
        self.logger = logger
        self.name = f"the {type(logger).__name__}"

    def send(self, note: Note) -> None:
        code = note.code
        if code is not None:
            self.logger.log_metrics({code[0]: float(code[1])}, step=note.step)


class TensorBoardMirror(LoggerMirror):
    """The scalar, and a Markdown text entry under ``lrwatch`` at the same step."""

    def send(self, note: Note) -> None:
        super().send(note)
        self.logger.experiment.add_text("lrwatch", note.markdown(), global_step=note.step)


class MLflowMirror(LoggerMirror):
    """The scalar, two tags, and ``lrwatch/notes.md`` with every note so far."""

    background = True

    def __init__(self, logger: Any) -> None:
        super().__init__(logger)
        self._notes: list[str] = []

    def send(self, note: Note) -> None:
        super().send(note)
        client, run_id = self.logger.experiment, self.logger.run_id
        client.set_tag(run_id, "lrwatch.status", note.status)
        client.set_tag(run_id, "lrwatch.message", note.message[:MLFLOW_TAG_MAX])
        self._notes.append(f"## step {note.step}: {note.status}\n\n{note.markdown()}\n")
        client.log_text(run_id, "\n".join(self._notes), "lrwatch/notes.md")


class WandbMirror(LoggerMirror):
    """The scalar, ``run.alert`` and two run-summary keys."""

    background = True

    def send(self, note: Note) -> None:
        super().send(note)
        run = self.logger.experiment
        level = "ERROR" if note.status in ("diverging", "alarm", "stopped") else "WARN"
        # each note is news already (the guard announces changes only): W&B's default of one
        # alert per title a minute would hide a second blow-up after a recovery
        run.alert(title=note.title, text=note.markdown(), level=level, wait_duration=1)
        run.summary.update({"lrwatch/status": note.status, "lrwatch/message": note.message})


_MIRRORS: dict[str, type[LoggerMirror]] = {
    "TensorBoardLogger": TensorBoardMirror,
    "MLFlowLogger": MLflowMirror,
    "WandbLogger": WandbMirror,
}


def logger_sinks(loggers: Iterable[Any]) -> list[Sink]:
    """One sink per logger: the richest one its class (or a base class) is known for."""
    sinks: list[Sink] = []
    for logger in loggers:
        names = [cls.__name__ for cls in type(logger).__mro__]
        mirror = next((_MIRRORS[n] for n in names if n in _MIRRORS), LoggerMirror)
        sinks.append(mirror(logger))
    return sinks
