"""lrwatch's own CPU time per step under every front end, measured directly, not as a difference.

``overhead_front_ends`` takes (with - bare) per round, which a loaded machine blurs by
milliseconds. Here each watched run of that suite (same model, steps, defaults) is timed from the
inside: the training thread's CPU time (``time.thread_time``) spent in the per-step methods
through which its framework calls lrwatch (each front end's hooks and the optimizer post-step
hook; nested calls are counted once), plus the CPU time of every other thread of the process over
the run (lrwatch's background writer: a bare run has none). Divided by the bare step of the
same front end's run in the same round, that is lrwatch's share of the step; the suite reports
its median over many interleaved rounds with the quartiles, and per round its difference from
the Lightning callback's share (the issue's reference), so "at or below Lightning" is a count of
rounds, not one median against another. Not counted: what the hooks' presence costs the
framework itself (Lightning's dispatch of one more callback, a forward hook's slower module
call), which only the whole-run difference sees; that difference is printed beside it, from the
same runs, so it also carries the timing wrappers (two ``thread_time`` reads and a call, about
1.5 us, per hook call).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from typing import Any, Callable

import torch

from benchmarks.overhead import OUT
from benchmarks.overhead_front_ends import RUNS, STEPS

ROUNDS = 15  # 5 rounds left one front end's ratio flipping against Lightning's between runs (BENCHMARKS.md)
PAIRS = [("lightning", "lightning+lrwatch"), ("torch", "torch+watch"), ("fabric", "fabric+watch"),
         ("hf", "hf+callback")]  # the reference first
# The per-step entry points: (module, class, methods). The optimizer post-step hook
# (``OptimizerProbe._after_update``) runs inside ``optimizer.step()`` under every front end.
ENTRY_POINTS = (
    ("lrwatch.callback", "LRWatch", ("on_before_backward", "on_before_optimizer_step",
                                     "on_train_batch_end", "on_train_epoch_start")),
    ("lrwatch.watch", "Watch", ("before_step", "after_step", "_optimizer_steps")),
    ("lrwatch.integrations.transformers", "LRWatchCallback",
     ("_forward_done", "_gradient_arrived", "_backward_starts", "_backward_done",
      "on_pre_optimizer_step", "on_step_end", "on_log")),
    ("lrwatch.recorder", "OptimizerProbe", ("_after_update",)),
)


class HookClock:
    """Sums the training thread's CPU time inside the entry points (outermost calls only)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0

    def wrap(self, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._depth += 1
            start = time.thread_time() if self._depth == 1 else 0.0
            try:
                return method(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self.seconds += time.thread_time() - start
        return timed

    def install(self) -> None:
        import importlib

        for module_name, class_name, methods in ENTRY_POINTS:
            cls = getattr(importlib.import_module(module_name), class_name)
            for name in methods:
                setattr(cls, name, self.wrap(getattr(cls, name)))
        watch = importlib.import_module("lrwatch.watch").Watch
        watch.step = watch.after_step  # the alias still points at the unwrapped method


def _spread(values: list[float]) -> dict[str, float]:
    """Median, quartiles and range of per-round values."""
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"median": round(median, 3), "q1": round(q1, 3), "q3": round(q3, 3),
            "min": round(min(values), 3), "max": round(max(values), 3)}


def _timed_run(run: Callable[[str], float], workdir: str, clock: HookClock
               ) -> tuple[float, float, float]:
    """(the run's CPU ms per step, training-thread ms per step in lrwatch's hooks, other
    threads' ms per step)."""
    clock.seconds = 0.0
    process, thread = time.process_time(), time.thread_time()
    step = run(workdir)
    others = (time.process_time() - process) - (time.thread_time() - thread)
    return step * 1e3, clock.seconds / STEPS * 1e3, others / STEPS * 1e3


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overhead_hooks")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"default {ROUNDS}")
    rounds = parser.parse_args(argv or []).rounds
    torch.set_num_threads(1)
    load_before = os.getloadavg()  # the machine is shared: say how busy it was
    started = time.perf_counter()
    clock = HookClock()
    clock.install()
    per_round: dict[str, dict[str, list[float]]] = {
        w: {"bare": [], "with": [], "hooks": [], "others": []} for _, w in PAIRS}
    with tempfile.TemporaryDirectory() as workdir, open(os.devnull, "w") as quiet, \
            contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        for r in range(rounds):
            for b, w in PAIRS:
                runs = per_round[w]
                runs["bare"].append(RUNS[b](f"{workdir}/{b}{r}") * 1e3)
                step, in_hooks, in_others = _timed_run(RUNS[w], f"{workdir}/{w}{r}", clock)
                runs["with"].append(step)
                runs["hooks"].append(in_hooks)
                runs["others"].append(in_others)
    own_ms = {w: [h + o for h, o in zip(v["hooks"], v["others"])] for w, v in per_round.items()}
    own_pct = {w: [100 * x / b for x, b in zip(own_ms[w], v["bare"])] for w, v in per_round.items()}
    reference, reference_ms = own_pct[PAIRS[0][1]], own_ms[PAIRS[0][1]]
    rows = []
    for _, w in PAIRS:
        v = per_round[w]
        bare = statistics.median(v["bare"])
        added = [x - b for x, b in zip(v["with"], v["bare"])]
        against = [p - q for p, q in zip(own_pct[w], reference)]
        against_ms = [p - q for p, q in zip(own_ms[w], reference_ms)]
        rows.append({
            "front_end": w, "bare_ms": round(bare, 3),
            "hooks_ms": round(statistics.median(v["hooks"]), 3),
            "other_threads_ms": round(statistics.median(v["others"]), 3),
            "lrwatch_ms": _spread(own_ms[w]),
            "lrwatch_pct": _spread(own_pct[w]),
            "whole_run_added_ms": _spread(added),
            "whole_run_pct": round(100 * statistics.median(added) / bare, 2),
            "pct_minus_reference": _spread(against),
            "rounds_at_or_below_reference": sum(d <= 0 for d in against),
            # the same in milliseconds: what each front end's own code costs against LRWatch's,
            # whatever its bare step
            "ms_minus_reference": _spread(against_ms),
            "rounds_at_or_below_reference_ms": sum(d <= 0 for d in against_ms)})
    load = {"start": [round(x, 1) for x in load_before],
            "end": [round(x, 1) for x in os.getloadavg()]}  # 1, 5, 15-minute load averages
    result = {"steps_per_run": STEPS, "rounds": rounds, "seconds": round(time.perf_counter() - started),
              "cpu_cores": os.cpu_count(), "load_average": load, "rows": rows,
              "per_round_ms": per_round}
    OUT.mkdir(exist_ok=True)
    (OUT / "overhead_hooks.json").write_text(json.dumps(result, indent=2))
    print(f"{rounds} rounds in {result['seconds']} s on {os.cpu_count()} cores; load average "
          f"(1, 5, 15 min) at start {load['start']}, at end {load['end']}")
    print("lrwatch's own CPU per step (training thread in its hooks + other threads), median "
          "[quartiles] over rounds; whole run: median (with - bare) over the median bare step")
    print("| front end | bare ms/step | lrwatch ms/step | of the bare step | minus Lightning's "
          "(points) | rounds at or below Lightning | in ms: minus Lightning's | rounds at or "
          "below | whole run |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        ms, pct, diff = row["lrwatch_ms"], row["lrwatch_pct"], row["pct_minus_reference"]
        print(f"| {row['front_end']} | {row['bare_ms']:.2f} | {ms['median']:.3f} "
              f"[{ms['q1']:.3f}-{ms['q3']:.3f}] | {pct['median']:.2f}% "
              f"[{pct['q1']:.2f}-{pct['q3']:.2f}] | {diff['median']:+.2f} "
              f"[{diff['q1']:+.2f}, {diff['q3']:+.2f}] | "
              f"{row['rounds_at_or_below_reference']}/{rounds} | "
              f"{row['ms_minus_reference']['median']:+.3f} | "
              f"{row['rounds_at_or_below_reference_ms']}/{rounds} | {row['whole_run_pct']:+.1f}% |")


if __name__ == "__main__":
    main(sys.argv[1:])
