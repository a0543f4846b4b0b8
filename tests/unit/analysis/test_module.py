"""The analysis package: its public surface, its examples, and what it may import."""

from __future__ import annotations

import doctest
import importlib
import inspect
import subprocess
import sys

import pytest

import lrwatch.analysis

MODULES = ["smoothing", "diagnose", "online"]


def test_public_names() -> None:
    public = {n for n, v in vars(lrwatch.analysis).items()
              if not n.startswith("_") and not inspect.ismodule(v)}
    assert set(lrwatch.analysis.__all__) == public
    assert {"analyze", "ema", "OnlineAnalyzer", "Diagnosis", "RunCurves"} <= public


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(f"lrwatch.analysis.{name}")
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_loads_no_torch_lightning_or_dash() -> None:
    code = ("import sys\n"
            "import lrwatch.analysis\n"
            "from lrwatch.analysis import OnlineAnalyzer, analyze, ema\n"
            "heavy = {'torch', 'lightning', 'pytorch_lightning', 'dash', 'plotly', 'pandas'}\n"
            "print(sorted(heavy & set(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
