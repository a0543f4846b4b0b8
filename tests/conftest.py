"""Shared fixtures: a fresh store path per test, and the Lightning flavours installed."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

FLAVORS = [name for name in ("lightning.pytorch", "pytorch_lightning")
           if importlib.util.find_spec(name.split(".")[0]) is not None]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Where a test's store lives (the file does not exist yet)."""
    return tmp_path / "store" / "lrwatch.db"


@pytest.fixture(params=FLAVORS)
def pl(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Each installed Lightning package in turn (``lightning.pytorch``, ``pytorch_lightning``)."""
    return importlib.import_module(request.param)
