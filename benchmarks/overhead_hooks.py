"""lrwatch's own CPU time per step under every front end, measured directly, not as a difference.

``overhead_front_ends`` takes (with - bare) per round, which a loaded machine blurs by
milliseconds. Here each watched run of that suite (same model, steps, defaults) is timed from the
inside: the training thread's CPU time (``time.thread_time``) spent in the per-step methods
through which its framework calls lrwatch (each front end's hooks and the optimizer post-step
hook; nested calls are counted once), plus the CPU time of every other thread of the process over
the run (lrwatch's background writer: a bare run has none). Divided by the median bare step of
the same front end from runs interleaved with them, that is lrwatch's share of the step. Not
counted: what the hooks' presence costs the framework itself (Lightning's dispatch of one more
callback, a forward hook's slower module call), which only the whole-run difference sees.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import statistics
import tempfile
import time
from typing import Any, Callable

import torch

from benchmarks.overhead import OUT
from benchmarks.overhead_front_ends import RUNS, STEPS

ROUNDS = 5
# The per-step entry points: (module, class, methods). The optimizer post-step hook
# (``OptimizerProbe._after_update``) runs inside ``optimizer.step()`` under every front end.
ENTRY_POINTS = (
    ("lrwatch.callback", "LRWatch", ("on_before_backward", "on_before_optimizer_step",
                                     "on_train_batch_end", "on_train_epoch_start")),
    ("lrwatch.watch", "Watch", ("before_step", "after_step", "_optimizer_steps")),
    ("lrwatch.integrations.transformers", "LRWatchCallback",
     ("_forward_done", "_backward_starts", "_backward_done", "on_step_begin",
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


def _timed_run(run: Callable[[str], float], workdir: str, clock: HookClock) -> tuple[float, float]:
    """(training-thread ms per step in lrwatch's hooks, other threads' ms per step)."""
    clock.seconds = 0.0
    process, thread = time.process_time(), time.thread_time()
    run(workdir)
    others = (time.process_time() - process) - (time.thread_time() - thread)
    return clock.seconds / STEPS * 1e3, others / STEPS * 1e3


def main() -> None:
    torch.set_num_threads(1)
    load_before = os.getloadavg()  # the machine is shared: say how busy it was
    clock = HookClock()
    clock.install()
    pairs = [("lightning", "lightning+lrwatch"), ("torch", "torch+watch"),
             ("fabric", "fabric+watch"), ("hf", "hf+callback")]
    bare: dict[str, list[float]] = {b: [] for b, _ in pairs}
    hooks: dict[str, list[float]] = {w: [] for _, w in pairs}
    others: dict[str, list[float]] = {w: [] for _, w in pairs}
    with tempfile.TemporaryDirectory() as workdir, open(os.devnull, "w") as quiet, \
            contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        for r in range(ROUNDS):
            for b, w in pairs:
                bare[b].append(RUNS[b](f"{workdir}/{b}{r}") * 1e3)
                in_hooks, in_others = _timed_run(RUNS[w], f"{workdir}/{w}{r}", clock)
                hooks[w].append(in_hooks)
                others[w].append(in_others)
    rows = []
    for b, w in pairs:
        step = statistics.median(bare[b])
        own = statistics.median(h + o for h, o in zip(hooks[w], others[w]))
        rows.append({"front_end": w, "bare_ms": round(step, 3),
                     "hooks_ms": round(statistics.median(hooks[w]), 3),
                     "other_threads_ms": round(statistics.median(others[w]), 3),
                     "lrwatch_ms": round(own, 3), "lrwatch_pct": round(100 * own / step, 2)})
    load = {"start": [round(x, 1) for x in load_before],
            "end": [round(x, 1) for x in os.getloadavg()]}  # 1, 5, 15-minute load averages
    OUT.mkdir(exist_ok=True)
    (OUT / "overhead_hooks.json").write_text(json.dumps(
        {"steps_per_run": STEPS, "rounds": ROUNDS, "load_average": load, "rows": rows,
         "per_round_ms": {"bare": bare, "hooks": hooks, "other_threads": others}}, indent=2))
    print(f"load average (1, 5, 15 min) at start {load['start']}, at end {load['end']}")
    print("lrwatch's CPU time per step (training thread in its hooks + other threads):")
    print("| front end | bare ms/step | in hooks | other threads | lrwatch | of the bare step |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['front_end']} | {row['bare_ms']:.2f} | {row['hooks_ms']:.3f} | "
              f"{row['other_threads_ms']:.3f} | {row['lrwatch_ms']:.3f} ms | "
              f"{row['lrwatch_pct']:.1f}% |")


if __name__ == "__main__":
    main()
