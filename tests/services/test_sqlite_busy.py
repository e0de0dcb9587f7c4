"""SQLite shared by several processes on one host: a writer waits up to ``busy_timeout`` for
another process's write, and past it the database is "unavailable" (errorCode 7), never a
raw "database is locked"."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from ecomgate.services.ports import DatabaseUnavailable
from ecomgate.storage import migrate
from ecomgate.storage.sqlite import SqliteStore


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/busy.db"
    migrate.upgrade(url)
    return url


async def test_a_write_lock_held_past_busy_timeout_is_database_unavailable(
    sqlite_url: str,
) -> None:
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    store = SqliteStore(sqlite_url, busy_timeout_ms=200)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process is writing
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable) as caught:
            async with store.transaction() as tx:
                await tx.db.fetchone("SELECT 1")
        assert 0.15 < time.monotonic() - started < 2
        assert caught.value.error_code == 7
        assert "locked" in caught.value.detail
        other.execute("ROLLBACK")
        async with store.transaction() as tx:  # the lock is gone: business as usual
            assert await tx.secrets.get_or_create("k", "v") == "v"
    finally:
        await store.close()
        other.close()


async def test_a_writer_waits_for_a_short_write_of_another_process(sqlite_url: str) -> None:
    import threading

    other = sqlite3.connect(
        sqlite_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
    )
    store = SqliteStore(sqlite_url, busy_timeout_ms=5_000)
    try:
        other.execute("BEGIN IMMEDIATE")
        threading.Timer(0.2, lambda: other.execute("COMMIT")).start()
        async with store.transaction() as tx:
            assert await tx.secrets.get_or_create("k", "v") == "v"
    finally:
        await store.close()
        other.close()
