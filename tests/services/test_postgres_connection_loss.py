"""The PostgreSQL store when connections die: one safe retry, otherwise ``DatabaseUnavailable``
fast, and never a retry of a unit that may have reached the server (PostgreSQL only)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from ecomgate.services.ports import DatabaseUnavailable
from ecomgate.storage import migrate
from ecomgate.storage.postgres import PostgresStore
from ecomgate.testing.postgres import PG_ADMIN_URL, create_pg_database, drop_pg_database

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def pg_url(database_url: str) -> str:
    return database_url


@pytest.fixture
async def store(pg_url: str) -> AsyncIterator[PostgresStore]:
    s = await PostgresStore.connect(pg_url, min_size=1, max_size=2, connect_timeout=3)
    yield s
    await s.close()


@pytest.fixture
async def admin() -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    yield conn
    await conn.close()


async def _backend_pid(store: PostgresStore) -> int:
    async with store.transaction() as tx:
        row = await tx.db.fetchone("SELECT pg_backend_pid() AS pid")
    assert row is not None
    return int(row["pid"])


async def _terminate(admin: asyncpg.Connection, pid: int) -> None:
    await admin.execute("SELECT pg_terminate_backend($1)", pid)
    for _ in range(100):
        gone = await admin.fetchval("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $1", pid)
        if gone:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"backend {pid} still alive")


async def _secret(admin_url: str, name: str) -> str | None:
    conn = await asyncpg.connect(admin_url)
    try:
        value: str | None = await conn.fetchval(
            "SELECT value FROM gateway_secrets WHERE name = $1", name
        )
        return value
    finally:
        await conn.close()


async def test_a_pooled_connection_killed_by_the_server_is_replaced_without_an_error(
    store: PostgresStore, admin: asyncpg.Connection
) -> None:
    first = await _backend_pid(store)
    await _terminate(admin, first)
    second = await _backend_pid(store)
    assert second != first


async def test_a_dead_connection_found_at_begin_is_retried_once_on_a_fresh_one(
    store: PostgresStore, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server went away without the client noticing (no FIN: a failover, a firewall):
    BEGIN is the first thing sent, fails, and nothing of the unit has run yet."""
    from asyncpg.transaction import Transaction

    real_start = Transaction.start
    failures = iter([asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")])

    async def start_once_broken(self: Transaction) -> None:
        error = next(failures, None)
        if error is not None:
            raise error
        await real_start(self)

    monkeypatch.setattr(Transaction, "start", start_once_broken)
    runs = 0
    with caplog.at_level(logging.INFO, logger="ecomgate.storage"):
        async with store.transaction() as tx:
            runs += 1
            row = await tx.db.fetchone("SELECT 1 AS one")
            assert row is not None and row["one"] == 1
    assert runs == 1
    assert "retrying once" in caplog.text


async def test_two_failed_connection_attempts_are_database_unavailable(
    store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from asyncpg.transaction import Transaction

    async def always_broken(self: Transaction) -> None:
        raise ConnectionResetError("reset by peer")

    monkeypatch.setattr(Transaction, "start", always_broken)
    runs = 0
    with pytest.raises(DatabaseUnavailable) as caught:
        async with store.transaction():
            runs += 1
    assert runs == 0
    assert caught.value.error_code == 7
    assert caught.value.key == "database_unavailable"


async def test_a_connection_lost_mid_transaction_is_not_retried_and_rolls_back(
    store: PostgresStore, pg_url: str
) -> None:
    name = f"mid-{uuid.uuid4().hex[:8]}"
    runs = 0
    with pytest.raises(DatabaseUnavailable):
        async with store.transaction() as tx:
            runs += 1
            await tx.db.execute("INSERT INTO gateway_secrets (name, value) VALUES ($1, 'x')", name)
            await tx.db.fetchone("SELECT pg_terminate_backend(pg_backend_pid())")
    assert runs == 1
    assert await _secret(pg_url, name) is None
    # and the store carries on with a new connection
    assert await _backend_pid(store) > 0


async def test_a_connection_lost_at_commit_is_unavailable_and_never_retried(
    store: PostgresStore, admin: asyncpg.Connection, pg_url: str
) -> None:
    """The COMMIT's fate is unknown to the client; repeating the unit could apply it twice."""
    name = f"commit-{uuid.uuid4().hex[:8]}"
    runs = 0
    with pytest.raises(DatabaseUnavailable) as caught:
        async with store.transaction() as tx:
            runs += 1
            row = await tx.db.fetchone("SELECT pg_backend_pid() AS pid")
            assert row is not None
            await tx.db.execute("INSERT INTO gateway_secrets (name, value) VALUES ($1, 'x')", name)
            await _terminate(admin, int(row["pid"]))
    assert runs == 1
    assert "commit" in caught.value.detail or "statement" in caught.value.detail
    assert await _secret(pg_url, name) is None


async def test_a_database_that_refuses_connections_is_unavailable_at_once_and_recovers(
    admin: asyncpg.Connection, engine: str
) -> None:
    url = await asyncio.to_thread(create_pg_database)
    name = url.rpartition("/")[2]
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        store = await PostgresStore.connect(url, min_size=2, max_size=4, connect_timeout=3)
        try:
            await store.ping()
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                name,
            )
            started = time.monotonic()
            with pytest.raises(DatabaseUnavailable):
                await store.ping()
            assert time.monotonic() - started < 1.0
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            await store.ping()  # the pool reconnects on its own
        finally:
            await store.close()
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await asyncio.to_thread(drop_pg_database, url)
