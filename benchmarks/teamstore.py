"""The team store: a PostgreSQL server next to a local SQLite store, measured side by side.

One throwaway server (``tests/helpers/pgcluster.py``, fsync off as in the tests) serves every
part:

- overhead: Lightning training (MLP 784-256-256-10, batch 64, CPU, one thread) with
  ``LRWatch(store=path)`` and ``LRWatch(store=URL)``, interleaved for several rounds; the ratio
  is the median over rounds of URL / path mean step time (after warm-up), in wall time, the
  process's CPU time and the training thread's CPU time (what a loaded machine changes least);
- writers: W processes at once, each the callback's own path (``RunWriter`` on the backend
  ``open_backend(URL)`` gives a writer: the local spool and its sync) fed with synthetic rows of
  five series at a fixed pace. A poller reads each run's ``last_step`` on the server every
  0.1 s; a step's visibility latency is when the poller first saw it minus when its writer
  handed it over. At the end every run must have each of its points exactly once (the sum of
  chunk sizes per series equals the steps written). Server CPU is the postgres processes'
  user+system time from /proc. With ``--outage``, the server is stopped for 30 s in the middle;
- runs list: ``lrwatch runs`` on 10,000 runs (20 points each), from the server and SQLite:
  the per-run reads of before next to the list from stored run summaries, the on-demand list
  of a store written before summaries and the one-time fill; and the dashboard's run-list
  callback over HTTP;
- long run: a 1 M-step run read for the dashboard's graphs (every series in full, as a graph's
  first build does), from the server and from SQLite.

``python -m benchmarks teamstore`` runs all at the default sizes; ``python -m
benchmarks.teamstore writers --writers 50 --steps 20000`` runs one part at other sizes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing as mp
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).parent / "out"
SERIES = ("loss", "lr", "grad_norm", "update_ratio", "step_time")


# -- overhead ------------------------------------------------------------------------------
class CPUStepTimer:
    """Wall and CPU clocks at each training-batch end: CPU time of the whole process (the
    training thread plus the store's writer and sync threads) and of the training thread
    alone. CPU time is what a loaded machine changes least: a step's wall time there is mostly
    waiting for a core."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, float, float]] = []

    def on_train_batch_end(self, *args: Any) -> None:
        self.marks.append((time.perf_counter(), time.process_time(), time.thread_time()))

    def per_step_s(self, warmup: int) -> dict[str, float]:
        """Mean seconds per step after ``warmup`` steps, for each clock."""
        first, last = self.marks[warmup], self.marks[-1]
        n = len(self.marks) - 1 - warmup
        return {clock: (last[k] - first[k]) / n
                for k, clock in enumerate(("wall", "process_cpu", "training_thread_cpu"))}


def _fit(store: str, steps: int) -> dict[str, float]:
    import lightning.pytorch as pl
    import torch

    from benchmarks.overhead import MLP, _data
    from lrwatch import LRWatch

    class Timer(CPUStepTimer, pl.Callback):
        """The clocks as a Lightning callback (Lightning is imported only by this part)."""

    torch.manual_seed(0)
    timer = Timer()
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_steps=steps, max_epochs=-1,
                         callbacks=[timer, LRWatch(store=store)], logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, num_sanity_val_steps=0,
                         limit_val_batches=0)
    sizes = [784, 256, 256, 10]
    with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):
        trainer.fit(MLP(sizes), _data(sizes[0], 64 * steps))
    return timer.per_step_s(steps // 5)


def bench_overhead(url: str, tmp: Path, rounds: int, steps: int) -> dict[str, Any]:
    """``LRWatch(store=path)`` and ``LRWatch(store=URL)`` alternated for ``rounds`` rounds;
    per clock, the median over rounds of the URL / path ratio of the mean step."""
    per: dict[str, list[dict[str, float]]] = {"path": [], "url": []}
    for r in range(rounds):
        per["path"].append(_fit(str(tmp / f"local{r}"), steps))
        per["url"].append(_fit(url, steps))
    clocks = per["path"][0].keys()
    ratios = {c: [u[c] / p[c] for u, p in zip(per["url"], per["path"])] for c in clocks}
    return {"steps_per_run": steps, "rounds": rounds,
            "median_step_ms": {k: {c: round(statistics.median(x[c] for x in v) * 1e3, 3)
                                   for c in clocks} for k, v in per.items()},
            "ratio_url_over_path": {c: round(statistics.median(v), 3) for c, v in ratios.items()},
            "per_round_ratio": {c: [round(x, 3) for x in v] for c, v in ratios.items()}}


# -- concurrent writers ----------------------------------------------------------------------
def _writer(url: str, spool: str, name: str, steps: int, rate: float, batch: int,
            ready: Any, go: Any) -> None:
    os.environ["LRWATCH_SPOOL"] = spool
    from lrwatch.store import FINISHED, open_backend
    from lrwatch.store.writer import RunWriter

    backend = open_backend(url)
    ready.wait()  # every process has imported before the clock starts
    go.wait()
    run = backend.create_run(name, {})
    writer = RunWriter(lambda: open_backend(url), run.id)
    start = time.time()  # the hand-over clock, told to the poller through the run's metadata
    backend.update_meta(run.id, {"t0": start, "rate": rate})
    rng = np.random.default_rng(hash(name) % 2**32)
    for lo in range(0, steps, batch):
        due = start + lo / rate
        time.sleep(max(0.0, due - time.time()))
        s = np.arange(lo, min(lo + batch, steps))
        writer.put({key: (s, rng.random(s.size)) for key in SERIES})
    writer.close(FINISHED)
    backend.close()  # the last user of the sync: its final push


def _training(url: str, spool: str, name: str, steps: int, ready: Any, go: Any) -> None:
    """A real Lightning training with ``LRWatch(store=URL)`` among the synthetic writers: the
    callback's whole path (recorder, spool, sync) under the same load."""
    os.environ["LRWATCH_SPOOL"] = spool
    import torch

    torch.set_num_threads(1)
    import lightning.pytorch as pl

    from benchmarks.overhead import MLP, _data
    from lrwatch import LRWatch

    sizes = [784, 256, 256, 10]
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_steps=steps, max_epochs=-1,
                         callbacks=[LRWatch(store=url, name=name)], logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, num_sanity_val_steps=0,
                         limit_val_batches=0)
    model, data = MLP(sizes), _data(sizes[0], 64 * steps)
    ready.wait()
    go.wait()
    with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):
        trainer.fit(model, data)


def _postgres_cpu_s() -> float:
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as fh:
                if fh.read().strip() != "postgres":
                    continue
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            # own user+system time, and that of exited children (backends of closed
            # connections are reaped by the postmaster)
            total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        except OSError:
            continue
    return total


def bench_writers(cluster: Any, writers: int, steps: int, rate: float,
                  outage_s: float = 0.0, trainings: int = 0, training_steps: int = 2000
                  ) -> dict[str, Any]:
    """``writers`` synthetic writer processes (and ``trainings`` real Lightning trainings
    beside them, not counted in the writers' figures): every point on the server exactly once."""
    import psycopg

    url = cluster.url(cluster.new_database())
    from lrwatch.store import Store

    Store(url).close()  # the schema, before the clock
    spool = tempfile.mkdtemp(prefix="lrwatch-spool-")
    ctx = mp.get_context("spawn")
    ready, go = ctx.Barrier(writers + trainings + 1), ctx.Event()
    procs = [ctx.Process(target=_writer, args=(url, spool, f"w{i}", steps, rate, 100, ready, go))
             for i in range(writers)]
    fits = [ctx.Process(target=_training, args=(url, spool, f"t{i}", training_steps, ready, go))
            for i in range(trainings)]
    for p in procs + fits:
        p.start()
    ready.wait()
    cpu0 = _postgres_cpu_s()
    started = time.time()
    go.set()
    seen: dict[str, int] = {}
    latencies: list[float] = []
    outage = (started + (steps / rate) / 3, started + (steps / rate) / 3 + outage_s)
    down = False
    conn = None
    while any(p.is_alive() for p in procs) or (conn is not None and len(seen) < writers) or down:
        now = time.time()
        if outage_s and not down and outage[0] <= now < outage[1]:
            if conn is not None:
                conn.close()
                conn = None
            cluster.stop_server()
            down = True
        if down and now >= outage[1]:
            cluster.start_server()
            down = False
        if not down:
            try:
                if conn is None:
                    conn = psycopg.connect(url, autocommit=True)
                rows = conn.execute("SELECT name, last_step, meta FROM lrwatch.runs").fetchall()
            except psycopg.Error:
                conn = None
                rows = []
            now = time.time()
            for name, last, meta in rows:
                last = -1 if last is None else last
                before = seen.get(name, -1)
                info = json.loads(meta)
                if last > before and "t0" in info:
                    # each newly visible batch of 100 steps: its last step's hand-over time
                    for step in range(before + 100 - (before + 1) % 100, last + 1, 100):
                        latencies.append(now - (info["t0"] + (step - 99) / info["rate"]))
                    seen[name] = last
            if len(seen) == writers and all(v == steps - 1 for v in seen.values()) and not any(
                    p.is_alive() for p in procs):
                break
        time.sleep(0.1)
    elapsed = time.time() - started
    for p in procs + fits:
        p.join()
    cpu = _postgres_cpu_s() - cpu0
    counts = cluster.sql(
        "SELECT r.name, s.name, sum(c.n), count(DISTINCT c.id) FROM lrwatch.runs r JOIN "
        "lrwatch.series s ON s.run_id = r.id JOIN lrwatch.chunks c ON c.series_id = s.id "
        "GROUP BY r.name, s.name", url.rsplit("/", 1)[1])
    synthetic = [(r, s, int(n)) for r, s, n, _ in counts if not str(r).startswith("t")]
    points = sum(n for _, _, n in synthetic)
    wrong = [(r, s, n) for r, s, n in synthetic if n != steps]
    statuses = cluster.sql("SELECT status, count(*) FROM lrwatch.runs GROUP BY status",
                           url.rsplit("/", 1)[1])
    return {"writers": writers, "steps_each": steps, "steps_per_s_each": rate,
            "trainings": _trainings_check(counts, spool, url, trainings, training_steps),
            "outage_s": outage_s, "elapsed_s": round(elapsed, 1),
            "points_expected": writers * steps * len(SERIES), "points_on_server": points,
            "series_not_exactly_once": wrong[:5], "statuses": dict(statuses),
            "rows_per_s": round(points / elapsed),
            # a restarted server's processes start their clocks again: no figure then
            "server_cpu_s": None if outage_s else round(cpu, 1),
            "server_cpu_share_of_one_core": None if outage_s else round(cpu / elapsed, 3),
            "visibility_s": {"median": round(statistics.median(latencies), 2),
                             "p90": round(float(np.percentile(latencies, 90)), 2),
                             "max": round(max(latencies), 2)} if latencies else None}


def _trainings_check(counts: list[tuple], spool: str, url: str, trainings: int,
                     steps: int) -> dict[str, Any] | None:
    """The real trainings' runs on the server against their spool: every series with as many
    points as the training recorded, and the loss with one point per step."""
    if not trainings:
        return None
    from lrwatch.store import Store
    from lrwatch.store.location import resolve_location
    from lrwatch.store.spool import spool_path

    os.environ["LRWATCH_SPOOL"] = spool
    server = {(str(r), str(s)): int(n) for r, s, n, _ in counts if str(r).startswith("t")}
    differ, series = [], 0
    with Store(spool_path(resolve_location(url)), readonly=True) as local:
        for run in (r for r in local.runs() if r.name.startswith("t")):
            for key in local.keys(run):
                series += 1
                n = int(local.scalars(run, key)[0].size)
                if server.get((run.name, key)) != n:
                    differ.append((run.name, key, n, server.get((run.name, key))))
    losses = sorted(n for (r, s), n in server.items() if s == "loss")
    return {"runs": trainings, "steps_each": steps, "series": series,
            "series_differing_from_spool": differ[:5], "loss_points_per_run": losses,
            "all_loss_steps": losses == [steps] * trainings}


# -- many runs, one long run ----------------------------------------------------------------
def _fill_runs(url: str, local: Path, runs: int) -> None:
    """``runs`` finished runs of 20 steps (loss, lr) on the server and in an SQLite store, as a
    store written before run summaries holds them (none has one)."""
    from lrwatch.store.postgres import PostgresBackend
    from lrwatch.store.sqlite import SQLiteBackend

    s = np.arange(20)
    columns = {"loss": (s, 2.0 / (1 + s)), "lr": (s, np.full(20, 1e-3))}
    server = PostgresBackend(url)
    for lo in range(0, runs, 1000):
        def batch(conn: Any, lo: int = lo) -> None:
            for i in range(lo, min(lo + 1000, runs)):
                run_id = server._insert_run(conn, f"{i:032x}", f"run{i}", "finished",
                                            time.time(), time.time(), {"optimizer": "AdamW"})
                server._append(conn, run_id, columns, [])
        server._write(batch)
    server.close()
    sqlite = SQLiteBackend(local)
    for i in range(runs):
        run = sqlite.create_run(f"run{i}", {"optimizer": "AdamW"})
        sqlite.append(run.id, columns)
        sqlite.set_status(run.id, "finished")
    sqlite.close()


def _as_older_schema(url: str, local: Path) -> None:
    """Both stores as the version before run summaries left them (no summaries table)."""
    import sqlite3

    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS lrwatch.summaries")
        conn.execute("UPDATE lrwatch.meta SET value = '1' WHERE key = 'schema'")
    with sqlite3.connect(local) as lite:
        lite.execute("DROP TABLE IF EXISTS summaries")
        lite.execute("PRAGMA user_version=2")
    lite.close()


def _time_runs_command(location: str, cpu: list[float] | None = None) -> float:
    """Wall seconds of ``lrwatch runs LOCATION`` in-process (output discarded); its CPU
    seconds (this process: the server's work is not in them) go to ``cpu`` when given."""
    from lrwatch.cli import main

    start, start_cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(["runs", location])
        except SystemExit:
            pass
    if cpu is not None:
        cpu.append(time.process_time() - start_cpu)
    return time.perf_counter() - start


def _time_per_run_reads(location: str) -> float:
    """What ``lrwatch runs`` read before run summaries: per run its last loss, its LR series
    and its guard events (the text formatting left out, which only flatters this side)."""
    from lrwatch import keys
    from lrwatch.readers import judged_lr
    from lrwatch.store import Store

    start = time.perf_counter()
    with Store(location, readonly=True) as store:
        for run in store.runs():
            store.last_values(run, [keys.LOSS])
            judged_lr(store, run)
    return time.perf_counter() - start


def _dashboard_list_times(location: str, calls: int) -> dict[str, list[float]]:
    """The dashboard's run-list callback over HTTP (Flask's test client, as the browser posts
    it): a first view (every row built) and polls with nothing new (the same rows), in wall
    seconds and in CPU seconds of the request's thread (the background diagnoser, which starts
    on every listed run, left out)."""
    import logging

    from lrwatch.dashboard.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    client = create_app(location).server.test_client()
    client.get("/")

    def post(previous: Any, cpu: list[float]) -> tuple[float, Any]:
        body = {"output": "..runs-body.children...runs-sig.data...runs-empty.children..",
                "outputs": [{"id": "runs-body", "property": "children"},
                            {"id": "runs-sig", "property": "data"},
                            {"id": "runs-empty", "property": "children"}],
                "inputs": [{"id": "tick", "property": "n_intervals", "value": 1},
                           {"id": "run-filter", "property": "value", "value": ""},
                           {"id": "status-filter", "property": "value", "value": []},
                           {"id": "selected", "property": "data", "value": []}],
                "state": [{"id": "runs-sig", "property": "data", "value": previous}],
                "changedPropIds": ["tick.n_intervals"]}
        start, start_cpu = time.perf_counter(), time.thread_time()
        response = client.post("/_dash-update-component", json=body)
        elapsed = time.perf_counter() - start
        cpu.append(time.thread_time() - start_cpu)
        assert response.status_code in (200, 204), response.status_code
        answer = response.json["response"] if response.status_code == 200 else {}
        return elapsed, answer.get("runs-sig", {}).get("data", previous)

    first: list[float] = []
    poll: list[float] = []
    first_cpu: list[float] = []
    poll_cpu: list[float] = []
    for _ in range(calls):
        elapsed, signature = post(None, first_cpu)
        first.append(elapsed)
        poll.append(post(signature, poll_cpu)[0])
    return {"first_view_s": first, "poll_s": poll, "first_view_cpu_s": first_cpu,
            "poll_cpu_s": poll_cpu}


def _in_fresh_process(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` in a spawned process: the dashboard's background diagnoser (it starts on
    every listed run) ends with it instead of loading the parts measured after."""
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def bench_runs_list(cluster: Any, tmp: Path, runs: int, calls: int = 5,
                    before_calls: int = 2) -> dict[str, Any]:
    """``lrwatch runs`` and the dashboard's run list on ``runs`` runs, from the server and
    SQLite: the per-run reads of before, the same store listed on demand (written before
    summaries, opened read-only), the one-time fill when a writer first opens it, then the
    list from stored summaries; before and after alternated in the same rounds."""
    from lrwatch.store.postgres import PostgresBackend
    from lrwatch.store.sqlite import SQLiteBackend

    url = cluster.url(cluster.new_database())
    local = tmp / "many" / "lrwatch.db"
    _fill_runs(url, local, runs)
    _as_older_schema(url, local)
    locations = {"url": url, "path": str(local)}
    out: dict[str, Any] = {"runs": runs}
    out["on_demand_s"] = {k: round(_time_runs_command(v), 3) for k, v in locations.items()}
    print("runs, listed on demand:", out["on_demand_s"], flush=True)
    fill = {}
    for label, open_writer in (("url", lambda: PostgresBackend(url)),
                               ("path", lambda: SQLiteBackend(local))):
        start = time.perf_counter()
        open_writer().close()  # migrates, then summarises every ended run once
        fill[label] = round(time.perf_counter() - start, 3)
    out["one_time_fill_s"] = fill
    print("runs, one-time fill:", fill, flush=True)
    before: dict[str, list[float]] = {"url": [], "path": []}
    after: dict[str, list[float]] = {"url": [], "path": []}
    after_cpu: dict[str, list[float]] = {"url": [], "path": []}
    for r in range(max(calls, before_calls)):
        for label, location in locations.items():
            if r < before_calls:
                before[label].append(_time_per_run_reads(location))
            after[label].append(_time_runs_command(location, after_cpu[label]))
    out["lrwatch_runs_before_s"] = {k: [round(x, 3) for x in v] for k, v in before.items()}
    out["lrwatch_runs_after_s"] = {k: [round(x, 3) for x in v] for k, v in after.items()}
    out["lrwatch_runs_after_median_s"] = {k: round(statistics.median(v), 3)
                                         for k, v in after.items()}
    out["lrwatch_runs_after_cpu_s"] = {k: [round(x, 3) for x in v] for k, v in after_cpu.items()}
    print("runs, before and after:", before, after, flush=True)
    dashboard = {label: _in_fresh_process(_dashboard_list_times, location, calls)
                 for label, location in locations.items()}
    out["dashboard_list_s"] = {k: {part: [round(x, 3) for x in xs] for part, xs in v.items()}
                               for k, v in dashboard.items()}
    out["dashboard_list_median_s"] = {
        k: {part: round(statistics.median(xs), 3) for part, xs in v.items()}
        for k, v in dashboard.items()}
    return out


def bench_long_run(cluster: Any, tmp: Path, steps: int) -> dict[str, Any]:
    from lrwatch.store import Store
    from lrwatch.store.postgres import PostgresBackend
    from lrwatch.store.sqlite import SQLiteBackend

    url = cluster.url(cluster.new_database())
    rng = np.random.default_rng(0)
    for backend in (PostgresBackend(url), SQLiteBackend(tmp / "long")):
        run = backend.create_run("long", {})
        for lo in range(0, steps, 10_000):  # as the writer writes a live run, then compacted
            s = np.arange(lo, min(lo + 10_000, steps))
            backend.append(run.id, {k: (s, rng.random(s.size)) for k in SERIES})
        backend.set_status(run.id, "finished")
        backend.compact(run.id)
        backend.close()
    times: dict[str, list[float]] = {"url": [], "path": []}
    for _ in range(5):
        for label, location in (("url", url), ("path", str(tmp / "long"))):
            start = time.perf_counter()
            with Store(location, readonly=True) as store:  # the dashboard opens one per request
                run = store.run("long")
                for key in store.keys(run):
                    steps_read, _ = store.scalars(run, key)
                    assert steps_read.size == steps
            times[label].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"steps": steps, "series": len(SERIES), "read_all_series_s": {
        k: round(v, 3) for k, v in med.items()}, "ratio_url_over_path": round(
        med["url"] / med["path"], 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.teamstore")
    parser.add_argument("parts", nargs="*", default=["overhead", "writers", "outage", "runs",
                                                    "long"])
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200.0, help="steps per second per writer")
    parser.add_argument("--trainings", type=int, default=0,
                        help="real Lightning trainings among the writers")
    parser.add_argument("--training-steps", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--long-steps", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    from tests.helpers.pgcluster import Cluster

    cluster = Cluster()
    results: dict[str, Any] = {"load_before": os.getloadavg()}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["LRWATCH_SPOOL"] = str(Path(tmp) / "spool")
            url = cluster.url(cluster.new_database())
            for part in args.parts:
                if part == "overhead":
                    results[part] = bench_overhead(url, Path(tmp), args.rounds, 400)
                elif part in ("writers", "outage"):
                    results[part] = bench_writers(cluster, args.writers, args.steps, args.rate,
                                                  outage_s=30.0 if part == "outage" else 0.0,
                                                  trainings=args.trainings,
                                                  training_steps=args.training_steps)
                elif part == "runs":
                    results[part] = bench_runs_list(cluster, Path(tmp), args.runs)
                elif part == "long":
                    results[part] = bench_long_run(cluster, Path(tmp), args.long_steps)
                print(part, json.dumps(results[part]), flush=True)
    finally:
        cluster.close()
    results["load_after"] = os.getloadavg()
    OUT.mkdir(exist_ok=True)
    (OUT / "teamstore.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
