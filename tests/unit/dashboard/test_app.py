"""The app over HTTP: safe defaults, store problems on the page, callbacks that never fail."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time

import pytest

from lrwatch import Store
from lrwatch.dashboard.app import APP_NAME, HEALTH_PATH, create_app, page_for, parse_run_ids
from lrwatch.dashboard.data import DataSource

from .conftest import Callbacks, fill_run


def test_forged_host_headers_are_refused(two_runs, store_path):
    client = create_app(store_path).server.test_client()
    assert client.get("/", headers={"Host": "127.0.0.1:8050"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost:8050"}).status_code == 200
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get(HEALTH_PATH, headers={"Host": "attacker.test:8050"}).status_code == 400


def test_the_host_check_ignores_case_and_stands_without_flask_trusted_hosts(two_runs,
                                                                             store_path):
    """Host names are case-insensitive; and Flask before 3.1 ignores its TRUSTED_HOSTS
    setting, so the check must not rest on it."""
    server = create_app(store_path).server
    server.config["TRUSTED_HOSTS"] = None  # what an older Flask amounts to
    client = server.test_client()
    assert client.get("/", headers={"Host": "LocalHost:8050"}).status_code == 200
    assert client.get("/", headers={"Host": "[::1]:8050"}).status_code == 200
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost.evil.example:8050"}).status_code == 400
    assert client.get("/", headers={"Host": ""}).status_code == 400


def test_health_names_the_app_and_a_fingerprint_of_the_store_not_its_path(two_runs, store_path):
    answer = create_app(store_path).server.test_client().get(HEALTH_PATH).json
    assert answer["app"] == APP_NAME
    assert answer["store"] == DataSource(store_path).store_id
    assert str(store_path.parent) not in str(answer)


def test_debug_is_off_and_no_request_reads_a_file(two_runs, store_path):
    app = create_app(store_path)
    assert app.server.debug is False
    client = app.server.test_client()
    for url in ("/_dash-component-suites/../../../../etc/passwd",
                "/_dash-component-suites/dash/..%2F..%2F..%2Fetc%2Fpasswd",
                "/assets/../../../../etc/passwd"):
        response = client.get(url)
        assert response.status_code >= 400 and b"root:" not in response.data
    assert parse_run_ids("?runs=1,../../etc/passwd,2,/tmp/x,2,99999999999999") == [1, 2]
    not_found = page_for(app_source(store_path), "/run/../../etc/passwd", "")
    assert "Not found" in str(not_found)


def app_source(store_path):
    return DataSource(store_path)


def test_serving_never_writes_to_the_store(two_runs, store_path):
    two_runs.close()
    before = hashlib.sha256(store_path.read_bytes()).hexdigest()
    calls = Callbacks(create_app(store_path))
    for run_id in (1, 2):
        response = calls.call(["g-loss.figure", "g-loss-state.data"],
                              [("tick", "n_intervals", None), ("g-loss-view", "data", None),
                               ("smoothing", "value", 0.6), ("loss-log", "value", [])],
                              [("g-loss-state", "data", None), ("run-ref", "data", run_id)])
        assert response.status_code == 200
    assert hashlib.sha256(store_path.read_bytes()).hexdigest() == before


def test_a_missing_store_is_not_created(tmp_path):
    path = tmp_path / "nothing" / "lrwatch.db"
    calls = Callbacks(create_app(path))
    response = calls.call(["problem.children", "problem-msg.data"],
                          [("tick", "n_intervals", None)], [("problem-msg", "data", None)])
    assert "no lrwatch store" in response.json["response"]["problem-msg"]["data"]
    assert not path.exists() and not path.parent.exists()


def test_a_locked_store_gives_a_message_that_says_so(store, store_path):
    fill_run(store, "a", 10)
    store.close()
    holder = sqlite3.connect(store_path, timeout=0)  # another process holding an exclusive lock
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE runs SET name = name")
    try:
        calls = Callbacks(create_app(store_path))
        response = calls.call(["problem.children", "problem-msg.data"],
                              [("tick", "n_intervals", 1)], [("problem-msg", "data", None)])
        start = time.monotonic()
        graph = calls.call(["g-loss.figure", "g-loss-state.data"],
                           [("tick", "n_intervals", 2), ("g-loss-view", "data", None),
                            ("smoothing", "value", 0.6), ("loss-log", "value", [])],
                           [("g-loss-state", "data", None), ("run-ref", "data", 1)])
        waited = time.monotonic() - start
    finally:
        holder.close()
    assert response.status_code == 200
    assert "locked" in response.json["response"]["problem-msg"]["data"]
    # the next polls do not each wait out SQLite's busy timeout again
    assert graph.status_code == 200 and graph.json["response"] == {} and waited < 2


@pytest.mark.parametrize("problem, expected", [
    ("empty", "empty"),
    ("corrupt", "not an lrwatch store"),
    ("foreign", "another program"),
])
def test_a_store_that_cannot_be_read_gives_a_message_not_an_error(problem, expected, tmp_path):
    path = tmp_path / "lrwatch.db"
    if problem == "empty":
        path.touch()
    elif problem == "corrupt":
        path.write_bytes(b"\x00garbage" * 500)
    else:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE t(x)")
        conn.close()
    calls = Callbacks(create_app(path))
    response = calls.call(["problem.children", "problem-msg.data"],
                          [("tick", "n_intervals", 3)], [("problem-msg", "data", None)])
    assert response.status_code == 200
    assert expected in response.json["response"]["problem-msg"]["data"]
    table = calls.call(["runs-body.children", "runs-sig.data", "runs-empty.children"],
                       [("tick", "n_intervals", 3), ("run-filter", "value", None),
                        ("status-filter", "value", None), ("selected", "data", [])],
                       [("runs-sig", "data", None)])
    assert table.status_code == 200 and table.json["response"] == {}  # nothing sent, no failure


def test_polls_never_fail_while_a_training_writes(store, store_path):
    run = fill_run(store, "busy", 100)
    store.close()
    stop = threading.Event()
    written = []

    def write() -> None:  # stands in for the training's writer thread
        with Store(store_path) as writer_store:
            step = 100
            while not stop.is_set():
                fill_run(writer_store, "busy", 20, start=step, run_id=run)
                step += 20
                written.append(step)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        calls = Callbacks(create_app(store_path))
        state = None
        statuses = []
        for tick in range(30):
            response = calls.call(["g-loss.figure", "g-loss-state.data"],
                                  [("tick", "n_intervals", tick), ("g-loss-view", "data", None),
                                   ("smoothing", "value", 0.6), ("loss-log", "value", [])],
                                  [("g-loss-state", "data", state), ("run-ref", "data", run)],
                                  changed=["tick.n_intervals"])
            statuses.append(response.status_code)
            state = response.json["response"].get("g-loss-state", {}).get("data", state)
    finally:
        stop.set()
        writer.join()
    assert statuses == [200] * 30
    assert len(written) > 5 and state["traces"][0]["cursor"] > 100


def test_an_unknown_run_gets_a_page_that_says_so(two_runs, store_path):
    page = str(page_for(DataSource(store_path), "/run/42", ""))
    assert "no run '42'" in page and "steady" in page


def test_the_banner_of_a_run_with_no_lr_says_the_factor_only_when_it_changes_the_lr(store,
                                                                                   store_path):
    from .test_report import _no_lr_runs

    _no_lr_runs(store)
    ids = {r.name: r.id for r in store.runs()}
    store.close()
    calls = Callbacks(create_app(store_path))

    def header(name: str) -> str:
        for _ in range(100):  # the diagnosis runs beside the app: poll until it is there
            response = calls.call(["run-summary.children", "banner.children", "banner-sig.data"],
                                  [("tick", "n_intervals", 1)],
                                  [("run-ref", "data", ids[name]), ("banner-sig", "data", None)],
                                  changed=["tick.n_intervals"])
            assert response.status_code == 200
            text = str(response.json["response"])
            if "analysing" not in text:
                return text
            time.sleep(0.1)
        raise AssertionError(f"no diagnosis of {name}")

    assert "multiply the LR by 0.1" in header("rising")
    falling = header("falling")
    assert "Recommendation: keep" in falling and "multiply the LR" not in falling  # "by 1"
    one = header("one-step")
    assert "1 step analysed" in one and "' 1 step'," in one and "1 steps" not in one


def test_an_empty_loss_panel_says_yet_only_while_running_and_points_at_logged_losses(
        store, store_path):
    import numpy as np

    s = np.arange(50)
    gan = store.create_run("gan", {"kind": "train"})  # manual optimization: no loss returned
    store.append(gan, {"lr": (s, np.full(50, 2e-4)), "logged/g_loss": (s, np.ones(50)),
                       "logged/d_loss": (s, np.ones(50))})
    store.set_status(gan, "finished")
    running = store.create_run("starting", {"kind": "train"})
    store.append(running, {"lr": (s, np.full(50, 0.1))})
    store.close()
    calls = Callbacks(create_app(store_path))

    def note(run_id: int) -> str:
        response = calls.call(["g-loss.figure", "g-loss-state.data"],
                              [("tick", "n_intervals", 0), ("g-loss-view", "data", None),
                               ("smoothing", "value", 0.6), ("loss-log", "value", [])],
                              [("g-loss-state", "data", None), ("run-ref", "data", run_id)],
                              changed=["tick.n_intervals"])
        assert response.status_code == 200
        figure = response.json["response"]["g-loss"]["figure"]
        return " | ".join(a["text"] for a in figure["layout"].get("annotations", []))

    # it said "no loss recorded yet" of a finished GAN, whose losses were logged by name
    assert note(gan.id) == ("no loss recorded; this run logged d_loss, g_loss: see 'logged "
                            "metric' below")
    assert note(running.id) == "no loss recorded yet"
