"""Render the README's loss-vs-LR picture: ``python -m benchmarks.finder_figure [out.png]``.

Runs ``find_lr`` on the digits MLP with SGD and momentum 0.9 (a task of the benchmark), draws
``result.plot()`` and screenshots it in headless Chromium (Debian's, from ``make browser``),
so the picture is the figure users get, rendered by plotly.js.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import torch

from benchmarks import finder_runs as runs
from benchmarks.finder_tasks import task
from lrwatch import find_lr
from lrwatch.store import ENV_VAR

DEFAULT_OUT = Path(__file__).parents[1] / "docs" / "finder-range-test.png"
CHROMIUM = "/usr/bin/chromium"


def main(out: Path = DEFAULT_OUT) -> None:
    from playwright.sync_api import sync_playwright

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ[ENV_VAR] = str(Path(tmp) / "lrwatch.db")
        digits_mlp = task("digits-mlp")
        module = runs._lightning_module(digits_mlp, "SGD-momentum", seed=0)
        result = find_lr(runs._trainer(), module, runs.loader(digits_mlp, seed=0),
                         min_lr=runs.MIN_LR, max_lr=runs.MAX_LR, update_attr=False)
        fig = result.plot()
        fig.update_layout(width=900, height=480, margin={"t": 50, "b": 110},
                          title={"text": "find_lr on the digits MLP, SGD with momentum 0.9"},
                          legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.2,
                                  "yanchor": "top"})
        page_file = Path(tmp) / "range_test.html"
        fig.write_html(page_file, include_plotlyjs=True, full_html=True,
                       config={"displayModeBar": False})
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 920, "height": 500})
            page.goto(page_file.as_uri())
            page.wait_for_selector(".main-svg")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.locator(".plotly-graph-div").screenshot(path=str(out))
            browser.close()
    print(f"{out}: suggestion {result.suggestion():.3g}, {result.reason}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
