"""The dashboard ships plotly.js's cartesian partial bundle; it must match plotly.py's plotly.js."""

from __future__ import annotations

import re
from pathlib import Path

import plotly

BUNDLE = Path(__file__).resolve().parents[3] / "dashboard" / "assets" / "plotly-cartesian.min.js"


def _version(text: str) -> str:
    match = re.search(r"plotly\.js(?: \([a-z -]+\))? v(\d+\.\d+\.\d+)", text)
    assert match, "no plotly.js version banner"
    return match.group(1)


def test_the_bundled_plotly_js_is_the_version_plotly_py_draws_for():
    full = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert _version(BUNDLE.read_text()[:400]) == _version(full.read_text()[:400])
