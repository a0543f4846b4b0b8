"""The public surface and the import direction of DESIGN.md."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types

import pytest

import lrwatch


def test_all_lists_exactly_the_public_names():
    # what the package really holds (``dir()`` returns ``__all__`` itself, so it proves
    # nothing): lrwatch's own classes and functions, imported or loaded lazily on first use
    defined = {name for name, value in vars(lrwatch).items()
               if not name.startswith("_") and not isinstance(value, types.ModuleType)
               and getattr(value, "__module__", "").startswith("lrwatch")}
    lazy = set(lrwatch._LAZY)
    assert sorted(lrwatch.__all__) == sorted(defined | lazy | {"__version__"})
    for name in lrwatch.__all__:
        assert getattr(lrwatch, name) is not None


def _imports_without(module: str, blocked: list[str]) -> subprocess.CompletedProcess[str]:
    """Import ``module`` in a fresh interpreter where the ``blocked`` packages cannot be found
    (as if not installed; a finder, so libraries that peek at ``sys.modules`` are not fooled)."""
    code = textwrap.dedent(f"""
        import sys
        from importlib.abc import MetaPathFinder

        class NotInstalled(MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {blocked!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}")
                return None

        sys.meta_path.insert(0, NotInstalled())
        import {module}
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("module, blocked", [
    ("lrwatch", ["torch", "lightning", "pytorch_lightning", "dash", "plotly", "scipy"]),
    ("lrwatch.store", ["torch", "lightning", "pytorch_lightning", "dash", "plotly"]),
    ("lrwatch.analysis", ["torch", "lightning", "pytorch_lightning", "dash", "plotly"]),
    ("lrwatch.cli", ["torch", "lightning", "pytorch_lightning", "dash", "plotly"]),
    ("lrwatch.readers", ["torch", "lightning", "pytorch_lightning", "dash", "plotly"]),
    ("lrwatch.analysis.rangetest", ["torch", "lightning", "pytorch_lightning", "dash", "plotly"]),
    ("lrwatch.sweeps", ["torch", "lightning", "pytorch_lightning", "dash", "plotly"]),
    ("lrwatch.cli.sweep", ["torch", "lightning", "pytorch_lightning", "dash", "plotly"]),
    ("lrwatch.sweep_advice", ["torch", "lightning", "pytorch_lightning", "dash", "plotly"]),
    ("lrwatch.recorder", ["lightning", "pytorch_lightning", "dash", "plotly"]),
    # the range test for plain loops and Hugging Face users, who may have no Lightning
    ("lrwatch.finder_loop", ["lightning", "pytorch_lightning", "transformers", "dash"]),
    ("lrwatch.integrations.transformers_finder", ["lightning", "pytorch_lightning",
                                                  "transformers", "dash"]),
    # what the callback imports to start a dashboard: nothing heavy in the training process
    ("lrwatch.dashboard.launcher", ["torch", "lightning", "pytorch_lightning", "dash", "plotly",
                                    "scipy", "flask"]),
    # dashboard=True of every front end, and Watch for loops without Lightning
    ("lrwatch.live_dashboard", ["torch", "lightning", "pytorch_lightning", "dash", "plotly",
                                "scipy", "flask"]),
    ("lrwatch.watch", ["lightning", "pytorch_lightning", "transformers", "dash", "plotly"]),
])
def test_layers_import_without_what_they_must_not_know(module, blocked):
    result = _imports_without(module, blocked)
    assert result.returncode == 0, result.stderr[-1500:]


def test_the_callback_works_with_either_lightning_package_alone():
    for missing in ("lightning", "pytorch_lightning"):
        result = _imports_without("lrwatch.callback", [missing])
        assert result.returncode == 0, result.stderr[-1500:]


def test_without_any_lightning_the_callback_says_what_to_install():
    result = _imports_without("lrwatch.callback", ["lightning", "pytorch_lightning"])
    assert result.returncode != 0
    assert "pip install 'lrwatch[lightning]'" in result.stderr
