"""Running ``lrwatch`` in tests the way a user does: exit code, stdout, stderr."""

from __future__ import annotations

import json
from pathlib import Path

from lrwatch.cli import main


def lrwatch(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """``lrwatch ARGS`` in this process (a traceback fails the test): exit code, stdout,
    stderr."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def run_cli(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """``lrwatch analyze ARGS``: exit code, stdout, stderr."""
    return lrwatch(capsys, "analyze", *args)


def analyze_by_lr(capsys, folder: Path) -> dict[float, dict]:  # type: ignore[no-untyped-def]
    """``lrwatch analyze FOLDER --json`` of runs logged as ``lr=<LR>.csv``: each entry by its
    LR (the run must exit 0)."""
    code, out, err = lrwatch(capsys, "analyze", str(folder), "--json")
    assert code == 0, err
    return {float(e["run"].split("=")[1]): e for e in json.loads(out)["runs"]}
