"""Dashboard benchmarks: first render of a 1 M-step run, bytes per live update, server memory.

- **first render**: headless Chromium (Debian's, driven by Playwright) shows a finished 1 M-step
  run until all six graphs hold their data and are drawn, two ways: a cold page (a fresh
  browser context opens ``/run/<id>``: the clock includes loading and compiling ~5 MB of
  plotly.js and Dash), and a click on the run in the run list of an open dashboard. The
  server builds every figure afresh each time (it keeps no figure cache).
- **bytes per live update**: a writer appends 100 steps every 0.5 s to a 1 M-step run while the
  run page is open (1 s poll); every ``_dash-update-component`` answer is counted. Beside it,
  what resending the whole (downsampled) figure would cost.
- **server memory**: ``lrwatch dashboard`` in its own process over a store of 10 runs of 1 M
  steps; the run list and every run page are opened, then the peak resident memory
  (``VmHWM``) of the server process is read.

- **several viewers**: 5 and 10 viewers of a finished 2 M-step run, each a client speaking the
  Dash renderer's protocol over HTTP (:class:`Viewer`) against ``lrwatch dashboard`` in its own
  process; the time until every viewer holds all six graphs, the server's CPU time and peak
  memory. ``viewers --baseline REV`` measures the dashboard at git revision REV beside it.

Targets (issue 5): first render < 2 s, a live update < 20 KB, a few hundred MB of memory;
(issue 15) 5 and 10 viewers get all graphs within 10 s and 20 s.
Writes ``benchmarks/out/dashboard.json`` (``dashboard-viewers.json`` for ``viewers`` alone).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from lrwatch import Store, keys

OUT = Path(__file__).parent / "out"
CHROMIUM = os.environ.get("LRWATCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
STEPS = 1_000_000
LAYERS = 8
VISITS = 5
GRAPHS = ["g-loss", "g-lr", "g-grad_norm", "g-update_ratio", "g-step_time", "g-layers"]
RENDERED = """ids => ids.every(id => {
    const el = document.querySelector('#' + id + ' .js-plotly-plot');
    return el && el.data && el.data.length && el.data[0].x && el.data[0].x.length > 0
        && el.querySelector('.main-svg'); })"""


def write_run(store: Store, name: str, steps: int = STEPS, seed: int = 0) -> int:
    """A finished run of ``steps`` optimizer steps: every key the callback records per step,
    and per-layer gradient norms every 50 steps, written in 65,536-step chunks."""
    rng = np.random.default_rng(seed)
    run = store.create_run(name, {"kind": "train", "optimizer": "AdamW"})
    s = np.arange(steps)
    series = {
        keys.LOSS: 2.3 * np.exp(-s / (steps / 5)) + 0.1 + 0.05 * rng.standard_normal(steps),
        keys.LR: 1e-3 * np.minimum(1, s / (steps / 50)) * 0.5 * (1 + np.cos(np.pi * s / steps)),
        keys.GRAD_NORM: 1 + 0.3 * rng.standard_normal(steps) ** 2,
        keys.UPDATE_RATIO: 1e-3 * (1 + 0.2 * rng.standard_normal(steps)),
        keys.STEP_TIME: 0.01 + 0.001 * rng.random(steps),
    }
    layer_steps = s[::50]
    for lo in range(0, steps, 65_536):
        part = slice(lo, lo + 65_536)
        columns = {k: (s[part], v[part]) for k, v in series.items()}
        ls = layer_steps[(layer_steps >= lo) & (layer_steps < lo + 65_536)]
        for k in range(LAYERS):
            norms = (k + 1) * 0.1 * (1 + 0.1 * rng.random(ls.size))
            columns[f"{keys.GRAD_NORM}/layer{k}"] = (ls, norms)
        store.backend.append(run.id, columns)
    store.backend.set_status(run.id, "finished")
    return run.id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_in_thread(store_path: Path, interval_ms: int = 1000) -> tuple[str, Any]:
    import logging

    from werkzeug.serving import make_server

    from lrwatch.dashboard.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, create_app(store_path, interval_ms=interval_ms).server,
                         threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def first_render(browser: Any, url: str) -> float:
    """Seconds from navigation to all six graphs drawn, in a fresh context (empty cache)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(RENDERED, arg=GRAPHS, timeout=120_000, polling=20)
    elapsed = time.perf_counter() - start
    context.close()
    return elapsed


def opened_from_the_list(browser: Any, url: str, run_id: int, visits: int) -> list[float]:
    """Seconds from a click on the run in the run list (the app already loaded, as when a
    user browses runs) to all six graphs drawn; back to the list between visits."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("tr.run-row")
    page.wait_for_function("window.Plotly !== undefined", timeout=60_000)
    times = []
    for _ in range(visits):
        start = time.perf_counter()
        page.click(f'tr.run-row a[href="/run/{run_id}"]')
        page.wait_for_function(RENDERED, arg=GRAPHS, timeout=120_000, polling=20)
        times.append(time.perf_counter() - start)
        page.click("a.brand")
        page.wait_for_selector("tr.run-row")
    context.close()
    return times


def bench_first_render(browser: Any, tmp: Path) -> dict[str, Any]:
    store_path = tmp / "render.db"
    with Store(store_path) as st:
        run_id = write_run(st, "one-million")
        small_id = write_run(st, "one-thousand", steps=1000)
    url, server = serve_in_thread(store_path)
    try:
        cold = [first_render(browser, f"{url}/run/{run_id}") for _ in range(VISITS + 1)]
        small = [first_render(browser, f"{url}/run/{small_id}") for _ in range(VISITS)]
        in_app = opened_from_the_list(browser, url, run_id, VISITS)
    finally:
        server.shutdown()
    return {"steps": STEPS,
            "cold_page_1000_step_run_median_s": round(statistics.median(small), 3),
            "cold_page_first_visit_s": round(cold[0], 3),
            "cold_page_median_s": round(statistics.median(cold[1:]), 3),
            "from_run_list_median_s": round(statistics.median(in_app), 3),
            "cold_page_visits_s": [round(t, 3) for t in cold],
            "from_run_list_visits_s": [round(t, 3) for t in in_app]}


def bench_live_bytes(browser: Any, tmp: Path, seconds: float = 20.0) -> dict[str, Any]:
    store_path = tmp / "live.db"
    with Store(store_path) as st:
        run_id = write_run(st, "growing")
        st.backend.set_status(run_id, "running", ended=False)
    url, server = serve_in_thread(store_path)
    stop = threading.Event()
    appended = []

    def train() -> None:  # 200 steps per second, in 100-step transactions like the writer's
        with Store(store_path) as st:
            step = STEPS
            rng = np.random.default_rng(1)
            while not stop.wait(0.5):
                s = np.arange(step, step + 100)
                columns = {k: (s, 0.1 + 0.01 * rng.random(100)) for k in
                           (keys.LOSS, keys.LR, keys.GRAD_NORM, keys.UPDATE_RATIO, keys.STEP_TIME)}
                st.backend.append(run_id, columns)
                st.backend.heartbeat(run_id)
                step += 100
                appended.append(step)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    answers: list[tuple[float, str, int]] = []

    def finished(request: Any) -> None:
        if "_dash-update-component" in request.url:
            try:
                body = request.response().body()
            except Exception:  # noqa: BLE001 - the page is closing
                return
            answers.append((time.perf_counter(), request.post_data_json["output"], len(body)))

    page.on("requestfinished", finished)
    try:
        page.goto(f"{url}/run/{run_id}")
        page.wait_for_function(RENDERED, arg=GRAPHS, timeout=120_000)
        page.wait_for_timeout(3000)  # first builds and the diagnosis are in
        writer = threading.Thread(target=train)
        start = time.perf_counter()
        answers.clear()
        writer.start()
        page.wait_for_timeout(seconds * 1000)
        stop.set()
        writer.join()
        full = page.evaluate("""() => JSON.stringify(
            document.querySelector('#g-loss .js-plotly-plot').data.map(t => ({x: t.x, y: t.y}))
        ).length""")
    finally:
        context.close()
        server.shutdown()
    graph = [size for _, out, size in answers if "g-loss.figure" in out]
    ticks: dict[int, int] = {}
    for t, _, size in answers:  # all answers of one poll, by 1 s slot
        ticks[int(t - start)] = ticks.get(int(t - start), 0) + size
    return {
        "steps_per_second_written": 200, "poll_interval_s": 1.0, "seconds": seconds,
        "loss_graph_answer_bytes_median": int(statistics.median(graph)),
        "loss_graph_answer_bytes_max": max(graph),
        "all_graphs_bytes_per_poll_median": int(statistics.median(ticks.values())),
        "all_graphs_bytes_per_poll_max": max(ticks.values()),
        "loss_graph_full_resend_bytes": full,
        "answers": len(answers), "steps_appended": appended[-1] - STEPS if appended else 0,
    }


def bench_memory(browser: Any, tmp: Path, runs: int = 10) -> dict[str, Any]:
    store_path = tmp / "ten.db"
    with Store(store_path) as st:
        ids = [write_run(st, f"run-{i}", seed=i) for i in range(runs)]
    size_mb = store_path.stat().st_size / 1e6
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lrwatch.cli", "dashboard", str(store_path), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        from lrwatch.dashboard.launcher import probe

        deadline = time.monotonic() + 60
        while probe(url) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        idle = _memory_mb(process.pid)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(f"document.querySelectorAll('tr.run-row').length === {runs}",
                               timeout=120_000)
        for run_id in ids:
            page.goto(f"{url}/run/{run_id}")
            page.wait_for_function(RENDERED, arg=GRAPHS, timeout=120_000)
        page.goto(f"{url}/compare?runs=" + ",".join(map(str, ids[:4])))
        page.wait_for_function(RENDERED, arg=["c-loss", "c-lr", "c-grad_norm"], timeout=120_000)
        page.goto(url)  # the run list again, with every verdict computed
        page.wait_for_function(
            "document.querySelectorAll('.badge[data-status=analysing]').length === 0",
            timeout=300_000)
        context.close()
        peak, now = _memory_mb(process.pid, "VmHWM"), _memory_mb(process.pid)
    finally:
        process.terminate()
        process.wait(30)
    return {"runs": runs, "steps_per_run": STEPS, "store_mb": round(size_mb),
            "server_idle_rss_mb": idle, "server_peak_rss_mb": peak, "server_rss_after_mb": now}


# -- several viewers of one long run ------------------------------------------------------------

VIEWER_STEPS = 2_000_000
#: Chromium opens at most six connections to one host, shared by its tabs: polls queue behind them
BROWSER_CONNECTIONS = 6


def run_page_callbacks(url: str) -> list[dict[str, Any]]:
    """The server callbacks a run page fires on each poll, from the app's own dependency list
    (what the browser's renderer reads): the graphs, the header, the store check."""
    import urllib.request

    with urllib.request.urlopen(url + "/_dash-dependencies", timeout=60) as response:
        dependencies = json.loads(response.read())
    page = [d for d in dependencies if d.get("clientside_function") is None
            and d["output"].lstrip(".").startswith(("g-", "run-summary", "problem"))]
    return [{"output": d["output"], "outputs": _outputs(d["output"]),
             "inputs": [f"{i['id']}.{i['property']}" for i in d["inputs"]],
             "state": [f"{i['id']}.{i['property']}" for i in d["state"]]} for d in page]


def _outputs(output: str) -> list[dict[str, str]]:
    return [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
            for o in output.strip(".").split("...")]


class Viewer:
    """One browser tab on ``/run/<id>``, speaking the Dash renderer's protocol over HTTP.

    Every poll (1 s) it fires the page's server callbacks with the props it holds, through the
    ``pool`` of its browser's connections. As the renderer does, an answer is applied
    only if no newer request of the same callback was sent meanwhile; a callback triggered by
    a gated ``<graph>-poll`` (a page that gates its polls) is fired only when its last request is
    back.
    """

    def __init__(self, url: str, run_id: int, callbacks: list[dict[str, Any]], pool: Any) -> None:
        self.url, self.callbacks, self.pool = url, callbacks, pool
        self.lock = threading.Lock()
        self.sent: dict[str, int] = {}
        self.out: set[str] = set()
        self.props: dict[str, Any] = {"run-ref.data": run_id, "smoothing.value": 0.6,
                                      "loss-log.value": [], "problem-msg.data": ""}
        self.drawn: dict[str, float] = {}
        self.started = time.perf_counter()

    def poll(self, tick: int) -> None:
        for callback in self.callbacks:
            gated = [i for i in callback["inputs"] if i.endswith("-poll.data")]
            with self.lock:
                if gated and callback["output"] in self.out:
                    continue  # the page's gate: its last request is still out
                self.props["tick.n_intervals"] = tick
                for name in gated:
                    self.props[name] = {"n": tick, "at": time.time() * 1000}
                seq = self.sent[callback["output"]] = self.sent.get(callback["output"], 0) + 1
                self.out.add(callback["output"])
            self.pool.submit(self._send, callback, seq)

    def _send(self, callback: dict[str, Any], seq: int) -> None:
        import urllib.request

        with self.lock:  # the renderer reads the props when it sends
            body = {"output": callback["output"], "outputs": callback["outputs"],
                    "inputs": [self._prop(i) for i in callback["inputs"]],
                    "state": [self._prop(i) for i in callback["state"]],
                    "changedPropIds": ["tick.n_intervals"]}
        request = urllib.request.Request(self.url + "/_dash-update-component",
                                         data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                answer = json.loads(response.read() or b"{}") if response.status == 200 else {}
        except OSError:
            answer = {}
        with self.lock:
            if self.sent[callback["output"]] != seq:
                return  # a newer request of this callback is out: the renderer drops this one
            self.out.discard(callback["output"])
            for component, props in answer.get("response", {}).items():
                for name, value in props.items():
                    if name == "figure" and "data" in value and component not in self.drawn:
                        self.drawn[component] = time.perf_counter() - self.started
                    if name == "data":
                        self.props[f"{component}.data"] = value

    def _prop(self, name: str) -> dict[str, Any]:
        component, prop = name.rsplit(".", 1)
        return {"id": component, "property": prop, "value": self.props.get(name)}

    def done(self) -> bool:
        with self.lock:
            return len(self.drawn) == len(GRAPHS)



def watch_viewers(url: str, run_id: int, viewers: int, limit_s: float) -> list[float | None]:
    """Seconds until each viewer (a tab of one browser) has all six graphs (None: not within
    ``limit_s``)."""
    from concurrent.futures import ThreadPoolExecutor

    callbacks = run_page_callbacks(url)
    pool = ThreadPoolExecutor(BROWSER_CONNECTIONS)  # the tabs of one browser share them
    tabs = [Viewer(url, run_id, callbacks, pool) for _ in range(viewers)]
    start = time.perf_counter()
    tick = 0
    while time.perf_counter() - start < limit_s and not all(t.done() for t in tabs):
        tick += 1
        for tab in tabs:
            tab.poll(tick)
        time.sleep(max(0.0, start + tick - time.perf_counter()))  # the 1 s poll
    pool.shutdown(wait=False, cancel_futures=True)
    return [max(t.drawn.values()) if t.done() else None for t in tabs]


def server_from(source: Path | None, store_path: Path, port: int) -> subprocess.Popen[bytes]:
    """``lrwatch dashboard`` in its own process: this checkout's, or the one extracted at
    ``source`` (a baseline)."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    # started beside the store: `-m` puts the working folder first on the path, and this
    # checkout's folder would shadow the baseline
    return subprocess.Popen(
        [sys.executable, "-m", "lrwatch.cli", "dashboard", str(store_path), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=store_path.parent)


def extract_revision(revision: str, into: Path) -> Path:
    """The package as it was at a git ``revision``, laid out as installed (``lrwatch.dashboard``
    from ``dashboard/``), for a side-by-side baseline."""
    root = Path(__file__).resolve().parent.parent
    archive = subprocess.run(["git", "-C", str(root), "archive", revision, "lrwatch", "dashboard"],
                             check=True, capture_output=True).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / "dashboard").rename(into / "lrwatch" / "dashboard")
    return into


def bench_viewers(tmp: Path, baseline: str | None, counts: tuple[int, ...] = (5, 10),
                  limit_s: float = 60.0) -> dict[str, Any]:
    store_path = tmp / "viewers.db"
    with Store(store_path) as st:
        run_id = write_run(st, "two-million", steps=VIEWER_STEPS)
    builds: dict[str, Path | None] = {"this": None}
    if baseline is not None:
        builds = {baseline: extract_revision(baseline, tmp / "baseline"), **builds}
    results: dict[str, Any] = {"steps": VIEWER_STEPS, "poll_interval_s": 1.0, "limit_s": limit_s,
                               "store_mb": round(store_path.stat().st_size / 1e6)}
    for viewers in counts:
        for name, source in builds.items():  # one after the other, each on a fresh server
            port = free_port()
            process = server_from(source, store_path, port)
            url = f"http://127.0.0.1:{port}"
            try:
                from lrwatch.dashboard.launcher import probe

                deadline = time.monotonic() + 60
                while probe(url) is None and time.monotonic() < deadline:
                    time.sleep(0.2)
                times = watch_viewers(url, run_id, viewers, limit_s)
                cpu = _cpu_seconds(process.pid)
                peak = _memory_mb(process.pid, "VmHWM")
            finally:
                process.terminate()
                process.wait(30)
            drawn = [t for t in times if t is not None]
            row = {"viewers": viewers, "server": name,
                   "viewers_with_all_graphs": len(drawn),
                   "slowest_viewer_s": round(max(drawn), 2) if len(drawn) == viewers else None,
                   "median_viewer_s": round(statistics.median(drawn), 2) if drawn else None,
                   "server_cpu_s": cpu, "server_peak_rss_mb": peak}
            print("viewers:", row, flush=True)
            results.setdefault("runs", []).append(row)
    return results


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)


def _memory_mb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return -1


def main(argv: list[str] | None = None) -> None:
    """All dashboard benchmarks; ``viewers [--baseline REV]`` runs only the several-viewers one,
    beside the dashboard as it was at git revision REV."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.dashboard")
    parser.add_argument("only", nargs="?", choices=["viewers"])
    parser.add_argument("--baseline", help="a git revision to measure side by side (viewers)")
    args = parser.parse_args(argv or [])
    OUT.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="lrwatch-bench-"))
    results: dict[str, Any] = {"cpus": os.cpu_count(), "load_avg_1m_at_start": os.getloadavg()[0]}
    try:
        if args.only is None:
            results.update(_browser_benchmarks(tmp))
        results["viewers"] = bench_viewers(tmp, args.baseline)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["load_avg_1m_at_end"] = os.getloadavg()[0]
    out = OUT / ("dashboard.json" if args.only is None else f"dashboard-{args.only}.json")
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")


def _browser_benchmarks(tmp: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        sys.exit(f"the dashboard benchmarks need Chromium at {CHROMIUM}: run `make browser`")
    results: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu",
                                          "--disable-dev-shm-usage"])
        results["first_render"] = bench_first_render(browser, tmp)
        print("first render of a 1 M-step run:", results["first_render"], flush=True)
        results["live_update"] = bench_live_bytes(browser, tmp)
        print("bytes per live update:", results["live_update"], flush=True)
        results["memory"] = bench_memory(browser, tmp)
        print("server memory, 10 runs of 1 M steps:", results["memory"], flush=True)
        browser.close()
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
