"""Every example runs, in one process (one import of torch and Lightning for all)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SCRIPTS = sorted(p for p in EXAMPLES.glob("[0-9][0-9]_*.py"))


def test_examples_are_numbered_and_say_what_they_show():
    assert [p.name[:2] for p in SCRIPTS] == [f"{i:02d}" for i in range(1, len(SCRIPTS) + 1)]
    for script in SCRIPTS:
        text = script.read_text()
        assert text.startswith('"""' + script.name[:2] + " — "), script.name


@pytest.mark.timeout(2400)  # every example in one process: minutes on a busy machine
def test_every_example_runs(tmp_path):
    code = textwrap.dedent(f"""
        import runpy, sys, warnings
        warnings.filterwarnings("ignore")
        sys.path.insert(0, {str(EXAMPLES)!r})
        for script in {[str(p) for p in SCRIPTS]!r}:
            print("== " + script, flush=True)
            runpy.run_path(script, run_name="__main__")
    """)
    env = {k: v for k, v in os.environ.items() if k != "LRWATCH_STORE"}  # ./lrwatch_logs
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=2300, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    out = result.stdout
    assert "digits-adam: 100 steps" in out
    assert "recorded: " in out and "grad_norm" in out
    for name in ("digits-plot-overview.html", "digits-plot-loss.html", "compare-loss.html",
                 "digits-report.html"):
        assert (tmp_path / name).stat().st_size > 1_000_000, name  # plotly.js inside
    assert sum(line.startswith(("sgd-lr-", "adam-lr-")) for line in out.splitlines()) == 3
    assert "the dashboard answers: HTTP 200" in out
    assert "logged: ['logged/d_loss', 'logged/g_loss']" in out
    assert "trained 'digits-hydra' with on_diverge=stop" in out
    assert "*lrwatch: run 'digits-too-hot' stopped at step " in out  # the local webhook got it
    assert "digits-loop: finished after 96 steps, stopped: False" in out
    assert "digits-loop-too-high: diverged after" in out and "stopped: True" in out
    assert "tiny-gpt2: 120 steps recorded" in out
