"""The notifier's contract without a Trainer: arguments, the status scalar, failures that are
reported once, and a close() that never waits past its grace."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from lrwatch import ConfigError, LRWatch
from lrwatch.analysis import Status
from lrwatch.notify import Note, Notifier, check_alert_url
from lrwatch.notify.notifier import QUEUE_SIZE, STATUS_CODES


class Collect:
    """A sink that keeps what it gets (``background`` as asked), optionally stuck or failing."""

    def __init__(self, background: bool, fail: bool = False, stuck: threading.Event | None = None):
        self.name, self.background, self.fail, self.stuck = "the test sink", background, fail, stuck
        self.notes: list[Note] = []
        self.entered = threading.Event()  # send() was called

    def send(self, note: Note) -> None:
        self.entered.set()
        if self.stuck is not None:
            self.stuck.wait(60)
        if self.fail:
            raise RuntimeError("refused")
        self.notes.append(note)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "lrwatch"]


@pytest.mark.parametrize("url", ["hooks.slack.com/x", "ftp://host/x", "https://", 42, ""])
def test_an_alert_that_is_not_an_http_url_is_a_config_error_naming_alert(url):
    with pytest.raises(ConfigError, match=r"^alert must be an http\(s\) webhook URL"):
        LRWatch(alert=url)


def test_mirror_must_be_a_bool():
    with pytest.raises(ConfigError, match="^mirror must be True or False, got 'yes'"):
        LRWatch(mirror="yes")


def test_check_alert_url_keeps_a_good_url():
    assert check_alert_url(" https://hooks.slack.com/services/T/B/x ") == \
        "https://hooks.slack.com/services/T/B/x"


def test_every_status_that_judges_the_lr_has_a_scalar_and_worse_is_higher():
    silent = {Status.INSUFFICIENT_DATA.value, Status.NO_LR_VERDICT.value}  # no LR verdict
    judged = {s.value for s in Status} - silent
    assert judged <= set(STATUS_CODES)
    order = [STATUS_CODES[s] for s in ("healthy", "stalled", "oscillating", "diverging")]
    assert order == sorted(order) and STATUS_CODES["alarm"] == STATUS_CODES["diverging"]


def test_a_diagnosis_becomes_a_note_with_evidence_suggestion_and_link():
    sink = Collect(background=False)
    Notifier("run-a", [sink], link="http://h:1/run/3").diagnosis_changed(
        40, "lrwatch: run 'run-a' is stalled ...",
        {"status": "stalled", "evidence": ["loss fell 0.1% in 200 steps"], "action": "increase",
         "current_lr": 1e-5, "suggested_lr": 1e-4, "rationale": "the loss barely moves"})
    (note,) = sink.notes
    assert (note.step, note.status, note.code) == (40, "stalled", ("lrwatch/status", 1))
    assert note.suggestion == "increase (1e-05 -> 0.0001): the loss barely moves"
    assert note.markdown().splitlines()[1:] == [
        "- loss fell 0.1% in 200 steps", "Suggestion: increase (1e-05 -> 0.0001): the loss "
        "barely moves", "Dashboard: http://h:1/run/3"]


def test_a_failing_sink_is_reported_once_and_others_still_get_every_note(caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    bad, good = Collect(background=False, fail=True), Collect(background=True)
    notifier = Notifier("r", [bad, good])
    for step in range(5):
        notifier.guard_acted(step, "lrwatch: recovered ...", {"action": "recover", "reason": "x"})
    notifier.close()
    assert [n.step for n in good.notes] == list(range(5))
    assert good.notes[0].code == ("lrwatch/guard_action", 2)
    (warning,) = _warnings(caplog)
    assert warning.startswith("lrwatch: sending to the test sink failed (refused)")


def test_close_waits_at_most_its_grace_for_a_stuck_sink_and_says_how_many_wait(caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    stuck = threading.Event()
    notifier = Notifier("r", [Collect(background=True, stuck=stuck)])
    for step in range(3):
        notifier.diagnosis_changed(step, "m", {"status": "diverging"})
    start = time.perf_counter()
    notifier.close(grace_s=0.5)
    assert time.perf_counter() - start < 5.0  # generous: the grace is 0.5 s
    stuck.set()
    (warning,) = _warnings(caplog)
    assert "3 notification(s) to the test sink still being sent after 0.5 s" in warning


def test_a_full_queue_drops_new_notes_and_says_so_once(caplog):
    caplog.set_level(logging.WARNING, logger="lrwatch")
    stuck = threading.Event()
    sink = Collect(background=True, stuck=stuck)
    notifier = Notifier("r", [sink])
    notifier.diagnosis_changed(0, "m", {"status": "diverging"})
    assert sink.entered.wait(30)  # the thread holds note 0; the next QUEUE_SIZE wait in line
    for step in range(1, QUEUE_SIZE + 11):
        notifier.diagnosis_changed(step, "m", {"status": "diverging"})
    stuck.set()
    notifier.close(grace_s=30)
    assert [n.step for n in sink.notes] == list(range(QUEUE_SIZE + 1))  # the 10 newest dropped
    (warning,) = _warnings(caplog)
    assert f"{QUEUE_SIZE} notifications are waiting for the test sink" in warning
