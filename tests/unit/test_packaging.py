"""Packaging: building lrwatch is quiet, and the dashboard's assets travel with it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_builds_without_setuptools_warnings_and_carries_the_assets(tmp_path):
    pytest.importorskip("setuptools", minversion="77")  # what pyproject.toml's build needs
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("lrwatch", "dashboard"):
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path / "out"), str(source)],
        capture_output=True, text=True, timeout=600)
    output = build.stdout + build.stderr
    assert build.returncode == 0, output[-3000:]
    assert "absent from the `packages` configuration" not in output
    assert "Package would be ignored" not in output
    (wheel,) = (tmp_path / "out").glob("lrwatch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"lrwatch/dashboard/assets/style.css",
            "lrwatch/dashboard/assets/plotly-cartesian.min.js"} <= names
