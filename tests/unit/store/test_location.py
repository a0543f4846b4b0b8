"""Store locations: a path or a server URL whose password never shows."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from lrwatch.store.location import StoreURL, hide_secret, is_url, redact, resolve_location


def test_a_url_shows_everything_but_its_password() -> None:
    url = resolve_location("postgresql://team:pa55word@db.example.org:5433/runs?sslmode=require")
    assert isinstance(url, StoreURL)
    assert url == "postgresql://team:***@db.example.org:5433/runs?sslmode=require"
    assert f"{url} {url!s} {[url]}".count("pa55word") == 0
    assert url.dsn.endswith("team:pa55word@db.example.org:5433/runs?sslmode=require")
    assert redact("postgres://db/runs?user=a&password=xyz&x=1") == \
        "postgres://db/runs?user=a&password=***&x=1"
    assert redact("postgresql://team@db/runs") == "postgresql://team@db/runs"


def test_a_pickled_url_keeps_no_password() -> None:  # what a checkpoint would hold
    url = StoreURL("postgresql://team:pa55word@db/runs")
    assert b"pa55word" not in pickle.dumps(url)
    assert pickle.loads(pickle.dumps(url)) == "postgresql://team:***@db/runs"


def test_driver_messages_lose_the_password() -> None:
    url = StoreURL("postgresql://team:pa55word@db/runs")
    text = hide_secret("bad dsn 'postgresql://team:pa55word@db/runs' (pa55word)", url)
    assert "pa55word" not in text and "team:***@db" in text


def test_paths_stay_paths(tmp_path: Path) -> None:
    assert not is_url(str(tmp_path)) and not is_url("postgresql.db")
    assert resolve_location(tmp_path / "logs") == tmp_path / "logs" / "lrwatch.db"


@pytest.mark.parametrize("given", [42, 3.5, ["lrwatch_logs"]])
def test_a_store_that_is_not_a_path_is_a_one_line_error(given):
    """``Store(42)`` was a TypeError from os.fspath deep inside."""
    from lrwatch import ConfigError, Store

    with pytest.raises(ConfigError, match="^a store is a path or a postgresql:// URL, got "):
        Store(given, readonly=True)
