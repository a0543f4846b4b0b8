"""``Notifier``: hand each diagnosis change and guard action to the user's own channels.

A front end (the Lightning callback, ``Watch``, the HF callback) calls ``diagnosis_changed`` or
``guard_acted`` with what it already prints and stores; the notifier turns that into one
:class:`Note` and gives it to every sink. Training comes first:

- a sink that may wait on the network (a webhook, MLflow, W&B) is served by one background
  thread through a bounded queue, so the training thread only enqueues;
- a sink that writes a local in-memory buffer (CSVLogger, TensorBoard, a logger lrwatch does not
  know) is written on the training thread, in microseconds, because those buffers are not
  thread-safe (CSVLogger's row list is rewritten by ``save()`` on the training thread);
- no sink's error reaches training: the first failure of each sink is one warning on the
  ``lrwatch`` logger, later ones are not reported, and the sink keeps getting later notes (an
  endpoint that was down may come back).

``close()`` waits at most ``CLOSE_GRACE_S`` for the background deliveries still queued, then
leaves them to the (daemon) thread and says how many were not yet delivered.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Mapping, Protocol, Sequence

from lrwatch.formatting import STATUS_STYLES

log = logging.getLogger("lrwatch")

# Notes queued for the background thread before new ones are dropped (and said so): a run
# announces a handful of changes (the guard repeats a status only when it changes, or when the
# suggested LR moves 3x), so 100 means the background sinks are stuck, not busy.
QUEUE_SIZE = 100
# How long close() waits at the end of training for queued background deliveries. A working
# local endpoint answers in milliseconds (tests/integration/test_notify_alert.py); a slow or dead
# one must not hold the end of training for its whole retry budget.
CLOSE_GRACE_S = 3.0

# The ``lrwatch/status`` scalar written to the user's loggers: each status's severity in the one
# status table (higher is worse); a blow-up alarm (NaN/inf, a sudden jump) counts as diverging.
# ``insufficient_data`` and ``no_lr_verdict`` say nothing about the LR: no scalar, the text only.
STATUS_CODES: dict[str, int] = {
    name: style.severity for name, style in STATUS_STYLES.items() if style.severity is not None}
STATUS_CODES["alarm"] = STATUS_CODES["diverging"]
# A guard action's status (its payload's ``action`` -> the word), and the
# ``lrwatch/guard_action`` scalar: what the guard did at that step.
ACTION_STATUS: dict[str, str] = {"stop": "stopped", "recover": "recovered"}
ACTION_CODES: dict[str, int] = {"stopped": 1, "recovered": 2}

DIAGNOSIS = "diagnosis"
ACTION = "action"


@dataclass(frozen=True)
class Note:
    """One diagnosis change or guard action, in the words and numbers every sink needs.

    ``status`` is the diagnosis status (``alarm`` for an early blow-up alarm) or, for a guard
    action, ``stopped`` / ``recovered``; ``message`` is the line lrwatch printed.
    """

    run_name: str
    step: int
    kind: str
    status: str
    message: str
    evidence: tuple[str, ...] = ()
    suggestion: str | None = None
    final: bool = False
    link: str | None = None

    @property
    def title(self) -> str:
        """``lrwatch: run 'x' stopped at step 57``: a headline for alerts and tags."""
        if self.kind == ACTION:
            return f"lrwatch: run '{self.run_name}' {self.status} at step {self.step}"
        what = "final verdict" if self.final else "now"
        status = "blowing up" if self.status == "alarm" else self.status.replace("_", " ")
        return f"lrwatch: run '{self.run_name}' {what}: {status}"

    @property
    def code(self) -> tuple[str, int] | None:
        """The scalar this note sets in the user's loggers, when its status has one."""
        key, codes = (("lrwatch/guard_action", ACTION_CODES) if self.kind == ACTION
                      else ("lrwatch/status", STATUS_CODES))
        value = codes.get(self.status)
        return (key, value) if value is not None else None

    def markdown(self) -> str:
        """The note as a few Markdown lines: the message, then the evidence and the suggestion
        it does not already spell out, then the dashboard link."""
        lines = [self.message]
        lines += [f"- {e}" for e in self.evidence if e not in self.message]
        if self.suggestion and self.suggestion not in self.message:
            lines.append(f"Suggestion: {self.suggestion}")
        if self.link:
            lines.append(f"Dashboard: {self.link}")
        return "\n".join(lines)


class Sink(Protocol):
    """Somewhere notes go. ``name`` is how a failure is reported (never a secret URL path);
    ``background`` sinks may wait on the network and are served off the training thread."""

    name: str
    background: bool

    def send(self, note: Note) -> None: ...


class Notifier:
    """Sends each diagnosis change and guard action to its sinks; never blocks or breaks training.

    Args:
        run_name: the run's name, as the store and the dashboard show it.
        sinks: where notes go (see ``lrwatch.notify.loggers`` and ``lrwatch.notify.webhook``).
        link: the run's dashboard page, when one is served.
    """

    def __init__(self, run_name: str, sinks: Sequence[Sink], link: str | None = None) -> None:
        self.run_name = run_name
        self.link = link
        self._inline = [s for s in sinks if not s.background]
        self._background = [s for s in sinks if s.background]
        self._failed: set[str] = set()  # sinks whose failure was reported
        self._queue: queue.Queue[Note | None] = queue.Queue(maxsize=QUEUE_SIZE)
        self._dropped = 0
        self._undelivered = 0  # notes queued or in delivery (changed under _lock)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        if self._background:
            self._thread = threading.Thread(target=self._deliver, name="lrwatch-notify",
                                            daemon=True)
            self._thread.start()

    def diagnosis_changed(self, step: int, message: str, payload: Mapping[str, Any]) -> None:
        """A new diagnosis was announced (``payload``: ``Diagnosis.to_dict()``, or an alarm's
        ``{"status": "alarm", "evidence": [...]}``; ``final`` marks the end-of-training verdict)."""
        self._send(Note(self.run_name, step, DIAGNOSIS, str(payload.get("status", "unknown")),
                        message, _evidence(payload), _suggestion(payload),
                        bool(payload.get("final")), self.link))

    def guard_acted(self, step: int, message: str, payload: Mapping[str, Any]) -> None:
        """The guard stopped or recovered the run (``payload``: its action record)."""
        action = str(payload.get("action", "acted"))
        status = ACTION_STATUS.get(action, action)
        reason = payload.get("reason")
        self._send(Note(self.run_name, step, ACTION, status, message,
                        (str(reason),) if reason else (), None, False, self.link))

    def close(self, grace_s: float = CLOSE_GRACE_S) -> None:
        """Let queued deliveries finish for up to ``grace_s``; report what is still pending."""
        if self._thread is None:
            return
        deadline = time.monotonic() + grace_s
        self._closed = True  # the thread ends once the queue is empty, sentinel or not
        try:
            self._queue.put(None, timeout=grace_s)
        except queue.Full:
            pass
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive() and self._undelivered:
            log.warning(f"lrwatch: {self._undelivered} notification(s) to "
                        f"{', '.join(s.name for s in self._background)} still being sent after "
                        f"{grace_s:g} s; left to the background, training is not held")
        self._thread = None

    # -- plumbing ----------------------------------------------------------------------------
    def _send(self, note: Note) -> None:
        for sink in self._inline:
            self._attempt(sink, note)
        if self._thread is None:
            return
        try:
            with self._lock:
                self._queue.put_nowait(note)
                self._undelivered += 1
        except queue.Full:
            self._dropped += 1
            if self._dropped == 1:
                log.warning(f"lrwatch: {QUEUE_SIZE} notifications are waiting for "
                            f"{', '.join(s.name for s in self._background)}; newer ones are "
                            "dropped until they get through, training goes on")

    def _deliver(self) -> None:
        while True:
            note = self._queue.get()
            if note is None:
                return
            for sink in self._background:
                self._attempt(sink, note)
            with self._lock:
                self._undelivered -= 1
            if self._closed and self._queue.empty():
                return

    def _attempt(self, sink: Sink, note: Note) -> None:
        try:
            sink.send(note)
        except Exception as exc:  # noqa: BLE001 - a notification is never worth a training run
            if sink.name not in self._failed:
                self._failed.add(sink.name)
                log.warning(f"lrwatch: sending to {sink.name} failed ({exc}); training goes on "
                            "and later failures of it are not reported")


def _evidence(payload: Mapping[str, Any]) -> tuple[str, ...]:
    evidence = payload.get("evidence") or ()
    return tuple(str(e) for e in evidence)


def _suggestion(payload: Mapping[str, Any]) -> str | None:
    """``reduce (0.4 -> 0.04): why``, from a ``Diagnosis.to_dict()``."""
    action = payload.get("action")
    if not action:
        return None
    text = str(action).replace("_", " ")
    now, new, factor = payload.get("current_lr"), payload.get("suggested_lr"), payload.get("factor")
    if now is not None and new is not None:
        text += f" ({now:.3g} -> {new:.3g})"
    elif factor is not None:
        text += f" (x{factor:.3g})"
    rationale = payload.get("rationale")
    return f"{text}: {rationale}" if rationale else text
