"""Alerts: a Slack-compatible JSON message (``{"text": ...}``) posted to a webhook URL.

Slack incoming webhooks, Mattermost and Rocket.Chat take this body as it is; a bridge turns it
into anything else. Each note is one POST from the notifier's background thread, with a
timeout per try and a bounded number of tries; only a connection failure, a timeout, HTTP 429
or a 5xx is tried again (a 4xx other than 429 means the URL or the body is wrong: trying again
cannot help). A failure is named by the URL's scheme and host only: a webhook's path is its
secret.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from lrwatch.errors import ConfigError
from lrwatch.notify.notifier import Note

# Seconds one POST may take. A working endpoint answers in milliseconds (the local receiver of
# tests/integration/test_notify_alert.py) to about a second (a chat service across the
# internet); 5 s leaves room for a slow network, and bounds what a dead one costs the
# background thread: 3 tries, 1 s and 2 s apart, ~18 s per note at most.
TIMEOUT_S = 5.0
ATTEMPTS = 3
BACKOFF_S = 1.0  # wait before the second try; doubled before each later one


def check_alert_url(url: object) -> str:
    """``url`` when it is an http(s) URL with a host; else a ConfigError naming ``alert``."""
    if not isinstance(url, str) or urlsplit(url.strip()).scheme not in ("http", "https") \
            or not urlsplit(url.strip()).hostname:
        raise ConfigError(f"alert must be an http(s) webhook URL such as "
                          f"'https://hooks.slack.com/services/...', got {url!r}")
    return url.strip()


def slack_text(note: Note) -> str:
    """The message: a bold headline, then the note's Markdown lines (Slack links the URL)."""
    return f"*{note.title}*\n{note.markdown()}"


class Webhook:
    """Posts each note as ``{"text": ...}`` (a sink served by the background thread)."""

    background = True

    def __init__(self, url: str, timeout_s: float = TIMEOUT_S, attempts: int = ATTEMPTS,
                 backoff_s: float = BACKOFF_S) -> None:
        self.url = check_alert_url(url)
        parts = urlsplit(self.url)
        self.name = f"the alert webhook {parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        self.timeout_s, self.attempts, self.backoff_s = timeout_s, attempts, backoff_s

    def send(self, note: Note) -> None:
        body = json.dumps({"text": slack_text(note)}).encode()
        wait = self.backoff_s
        for attempt in range(1, self.attempts + 1):
            try:
                self._post(body)
                return
            except urllib.error.HTTPError as exc:
                if exc.code != 429 and exc.code < 500:
                    raise RuntimeError(f"HTTP {exc.code} {exc.reason}: check the alert URL") \
                        from None
                failure = f"HTTP {exc.code} {exc.reason}"
            except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections
                failure = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
            if attempt < self.attempts:
                time.sleep(wait)
                wait *= 2
        raise RuntimeError(f"{failure} after {self.attempts} tries")

    def _post(self, body: bytes) -> None:
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            response.read()
