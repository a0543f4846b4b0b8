"""Several viewers of one run share its graph builds: a build in flight is awaited, not
started again, and its result serves everyone until the run has new rows (issue 15, item 1)."""

from __future__ import annotations

import threading
import time

import pytest

from lrwatch.dashboard import live
from lrwatch.dashboard.app import create_app

from .conftest import Callbacks, fill_run

VIEWERS = 4


def first_poll(calls: Callbacks, run_id: int, tick: int) -> dict:
    """The loss graph's poll of a viewer that has no figure yet."""
    response = calls.call(["g-loss.figure", "g-loss-state.data"],
                          [("tick", "n_intervals", tick), ("g-loss-view", "data", None),
                           ("smoothing", "value", 0.6), ("loss-log", "value", [])],
                          [("g-loss-state", "data", None), ("run-ref", "data", run_id)],
                          changed=["tick.n_intervals"])
    assert response.status_code == 200
    return response.json["response"]


@pytest.fixture
def counted_builds(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every full build of a time graph, made slow enough (0.5 s more) that concurrent polls
    overlap it, as a 2 M-step build overlaps the next 1 s tick."""
    builds: list[float] = []
    real = live.build_time_graph

    def slow_build(*args, **kwargs):
        builds.append(time.monotonic())
        time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(live, "build_time_graph", slow_build)
    return builds


def test_viewers_polling_at_once_share_one_build(store, store_path, counted_builds):
    run_id = fill_run(store, "long", 20_000)
    app = create_app(store_path)
    answers: list[dict] = []
    start = threading.Barrier(VIEWERS)

    def viewer(tick: int) -> None:
        calls = Callbacks(app)
        start.wait(timeout=60)
        answers.append(first_poll(calls, run_id, tick))

    threads = [threading.Thread(target=viewer, args=(i,)) for i in range(VIEWERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert len(answers) == VIEWERS
    assert len(counted_builds) == 1
    figures = [a["g-loss"]["figure"] for a in answers]
    assert all(len(f["data"][0]["x"]) == len(figures[0]["data"][0]["x"]) > 0 for f in figures)


def test_a_built_view_is_reused_until_the_run_has_new_rows(store, store_path, counted_builds):
    run_id = fill_run(store, "live", 3000)
    calls = Callbacks(create_app(store_path))
    first = first_poll(calls, run_id, 1)
    again = first_poll(calls, run_id, 2)
    assert len(counted_builds) == 1
    assert again["g-loss-state"]["data"] == first["g-loss-state"]["data"]

    fill_run(store, "live", 500, start=3000, run_id=run_id)
    fresh = first_poll(calls, run_id, 3)
    assert len(counted_builds) == 2
    assert fresh["g-loss"]["figure"]["data"][0]["x"][-1] == 3499
