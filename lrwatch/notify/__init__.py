"""Send diagnosis changes and guard actions to the user's own loggers and webhooks.

Opt-in (``LRWatch(mirror=True, alert="https://...")``); stdlib only, logger packages are used
through the logger objects the user already made. See :mod:`lrwatch.notify.notifier`.
"""

from __future__ import annotations

from typing import Any, Iterable

from lrwatch.notify.loggers import logger_sinks
from lrwatch.notify.notifier import Note, Notifier, Sink
from lrwatch.notify.webhook import Webhook, check_alert_url

__all__ = ["Note", "Notifier", "Sink", "Webhook", "build_notifier", "check_alert_url"]


def build_notifier(run_name: str, loggers: Iterable[Any] = (), alert: str | None = None,
                   link: str | None = None) -> Notifier | None:
    """A notifier for ``loggers`` (mirrored) and the ``alert`` webhook; None when both are off."""
    sinks: list[Sink] = logger_sinks(loggers)
    if alert:
        sinks.append(Webhook(alert))
    return Notifier(run_name, sinks, link) if sinks else None
