"""A real PostgreSQL server for the team-store tests, started once per session (``make test``
installs Debian's package; plain pytest uses it when installed), and a fresh database per test."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.helpers.pgcluster import Cluster, server_bin


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    if server_bin() is None:
        pytest.skip("PostgreSQL is not installed: run `make postgres`")
    server = Cluster()
    yield server
    server.close()


@pytest.fixture
def pg_url(cluster: Cluster) -> str:
    """The URL (password included) of a new, empty database."""
    return cluster.url(cluster.new_database())


@pytest.fixture(autouse=True)
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's spool in its own folder."""
    folder = tmp_path / "spool"
    monkeypatch.setenv("LRWATCH_SPOOL", str(folder))
    return folder
