"""Run the benchmark suites: ``python -m benchmarks [suite ...]`` (all when none is named).

Each suite is a module of this package with ``main() -> None``; it prints its figures and
writes them under ``benchmarks/out/``.
"""

from __future__ import annotations

import importlib
import sys
import time

SUITES: list[str] = [
    "overhead",
    "overhead_front_ends",
    "overhead_hooks",
    "guard",
    "diagnosis",
    "diagnosis_ceiling",
    "realworld_diagnosis",
    "realworld_live",
    "readers",
    "finder",
    "finder_general",
    "dashboard",
    "sweeps",
    "teamstore",
    "notify",
    "gpu",
]


def main(argv: list[str]) -> None:
    chosen = argv or SUITES
    unknown = [s for s in chosen if s not in SUITES]
    if unknown:
        sys.exit(f"unknown suite {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    for suite in chosen:
        print(f"== {suite}", flush=True)
        start = time.perf_counter()
        importlib.import_module(f"benchmarks.{suite}").main()
        print(f"== {suite} done in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
