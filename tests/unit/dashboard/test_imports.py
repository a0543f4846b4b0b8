"""The dashboard and the figures never load torch or Lightning (they run beside training,
and must start fast without touching a GPU)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_no_torch_no_lightning():
    code = textwrap.dedent("""
        import sys
        import lrwatch.cli.dashboard, lrwatch.cli.report, lrwatch.dashboard.server
        import lrwatch.figures, lrwatch.report
        from lrwatch.dashboard.app import create_app
        create_app("missing-store.db")
        loaded = sorted(m for m in ("torch", "lightning", "pytorch_lightning") if m in sys.modules)
        assert not loaded, loaded
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-1500:]


def test_the_dashboard_installs_as_lrwatch_dashboard_not_as_a_top_level_package():
    import lrwatch.dashboard

    assert lrwatch.dashboard.__name__ == "lrwatch.dashboard"
    result = subprocess.run([sys.executable, "-c", "import dashboard"], capture_output=True,
                            text=True, cwd="/", timeout=60)
    assert result.returncode != 0
