"""SQLite's group commit: concurrent units share one COMMIT, and each stays a unit."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from ecomgate.storage import migrate
from ecomgate.storage.sqlite import SqliteStore


@pytest.fixture
async def store(tmp_path: Path) -> SqliteStore:
    url = f"sqlite:///{tmp_path}/group.db"
    migrate.upgrade(url)
    s = SqliteStore(url)
    yield s
    await s.close()


async def _put(store: SqliteStore, name: str, fail: bool = False) -> None:
    async with store.transaction() as tx:
        await tx.db.execute("INSERT INTO gateway_secrets (name, value) VALUES ($1, $2)", name, "v")
        if fail:
            raise RuntimeError("this unit fails after writing")


def _names(path: Path) -> set[str]:
    # a separate connection sees only what was committed
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM gateway_secrets")}


async def test_concurrent_units_are_all_durable_when_they_return(store: SqliteStore) -> None:
    await asyncio.gather(*(_put(store, f"unit-{i}") for i in range(200)))
    assert _names(store.path) == {f"unit-{i}" for i in range(200)}


async def test_a_failing_unit_rolls_back_alone(store: SqliteStore) -> None:
    results = await asyncio.gather(
        *(_put(store, f"unit-{i}", fail=i % 3 == 0) for i in range(30)),
        return_exceptions=True,
    )
    failed = {f"unit-{i}" for i, r in enumerate(results) if isinstance(r, Exception)}
    assert failed == {f"unit-{i}" for i in range(0, 30, 3)}
    assert _names(store.path) == {f"unit-{i}" for i in range(30)} - failed


async def test_a_cancelled_waiter_does_not_strand_the_batch(store: SqliteStore) -> None:
    async with store.transaction() as tx:
        await tx.db.execute("INSERT INTO gateway_secrets (name, value) VALUES ('a', 'v')")
        waiter = asyncio.ensure_future(_put(store, "never"))
        await asyncio.sleep(0)  # the waiter queues for the lock
        waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert _names(store.path) == {"a"}
