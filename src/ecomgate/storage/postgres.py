"""PostgreSQL through asyncpg: the production engine.

State changes lock the order row (``SELECT ... FOR UPDATE``); queue consumers claim rows with
``FOR UPDATE SKIP LOCKED``, so any number of gateway processes can share one database.

When the database goes away
---------------------------
Every failure to reach the database becomes ``DatabaseUnavailable`` (errorCode 7 on the
API, 503 on /health) within a bounded time: taking a connection from the pool waits at most
``connect_timeout``, each statement at most ``command_timeout``.

A unit of work is retried once, and only while nothing of it can have reached the server:
when taking a connection fails with a connection error, or when its ``BEGIN`` fails because
the pooled connection turned out to be dead (the server restarted, a failover, an idle
connection cut by a firewall).  Once the unit's first statement of its own has been sent,
nothing is retried here: a connection lost mid-transaction or during ``COMMIT`` may have
left the transaction committed, and only the caller, who knows whether the work is
idempotent, could decide to repeat it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from asyncpg.transaction import Transaction as PgTransaction

from ecomgate.services.ports import DatabaseUnavailable

from .sql import POSTGRESQL, Row, SqlRepositories, UniqueViolation

log = logging.getLogger("ecomgate.storage")

#: errors that mean "the connection was lost or could not be made"
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable
    asyncpg.exceptions.PostgresConnectionError,  # class 08, e.g. connection does not exist
    asyncpg.exceptions.CannotConnectNowError,  # 57P03: starting up / shutting down
    asyncpg.exceptions.AdminShutdownError,  # 57P01: pg_terminate_backend, fast shutdown
    asyncpg.exceptions.CrashShutdownError,  # 57P02
    asyncpg.exceptions.TooManyConnectionsError,  # 53300: max_connections, CONNECTION LIMIT
    asyncpg.exceptions.ObjectNotInPrerequisiteStateError,  # 55000: ALLOW_CONNECTIONS false
    asyncpg.exceptions.InvalidCatalogNameError,  # 3D000: the database is gone
    asyncpg.exceptions.InterfaceError,  # "connection is closed"
    ConnectionError,
)

#: errors that mean "the database did not answer in time": unavailable, but not retried
#: (a retry would double the wait)
TIMEOUT_ERRORS: tuple[type[BaseException], ...] = (
    TimeoutError,  # asyncio.TimeoutError: command_timeout, acquire timeout
    asyncpg.exceptions.QueryCanceledError,  # 57014: statement_timeout on the server
)


def is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, TIMEOUT_ERRORS)


def is_unavailable(exc: BaseException) -> bool:
    return is_timeout(exc) or isinstance(exc, CONNECTION_ERRORS)


def connection_lost(conn: asyncpg.Connection) -> bool:
    """The connection is closed (asyncpg may report a loss it noticed mid-call as an
    ``InternalClientError`` rather than a connection error)."""
    try:
        return bool(conn.is_closed())
    except asyncpg.exceptions.InterfaceError:  # released to the pool because it closed
        return True


def _unavailable(exc: BaseException, where: str) -> DatabaseUnavailable:
    detail = f"{where}: {exc.__class__.__name__}: {exc}"
    log.warning("database unavailable (%s)", detail)
    return DatabaseUnavailable(detail)


class _Executor:
    """Runs one unit's statements; driver failures that mean "no database" become
    ``DatabaseUnavailable`` (never retried: the unit has begun)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        try:
            row: Row | None = await self.conn.fetchrow(sql, *args)
        except Exception as exc:
            if is_unavailable(exc) or connection_lost(self.conn):
                raise _unavailable(exc, "statement") from exc
            raise
        return row

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        try:
            return list(await self.conn.fetch(sql, *args))
        except Exception as exc:
            if is_unavailable(exc) or connection_lost(self.conn):
                raise _unavailable(exc, "statement") from exc
            raise

    async def execute(self, sql: str, *args: Any) -> None:
        try:
            await self.conn.execute(sql, *args)
        except asyncpg.UniqueViolationError as exc:
            raise UniqueViolation(exc.constraint_name or str(exc)) from exc
        except Exception as exc:
            if is_unavailable(exc) or connection_lost(self.conn):
                raise _unavailable(exc, "statement") from exc
            raise

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            await self.conn.executemany(sql, rows)
        except asyncpg.UniqueViolationError as exc:
            raise UniqueViolation(exc.constraint_name or str(exc)) from exc
        except Exception as exc:
            if is_unavailable(exc) or connection_lost(self.conn):
                raise _unavailable(exc, "statement") from exc
            raise


def asyncpg_dsn(url: str) -> str:
    """Accept ``postgresql://``, ``postgres://`` and ``postgresql+asyncpg://``."""
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


class PostgresStore:
    engine = "postgresql"
    #: pause before the one retry of a failed connection attempt
    retry_delay = 0.05

    def __init__(self, pool: asyncpg.Pool, *, acquire_timeout: float = 5.0) -> None:
        self.pool = pool
        self.acquire_timeout = acquire_timeout

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        min_size: int = 2,
        max_size: int = 10,
        command_timeout: float = 10.0,
        connect_timeout: float = 5.0,
    ) -> PostgresStore:
        pool = await asyncpg.create_pool(
            asyncpg_dsn(url),
            min_size=min_size,
            max_size=max_size,
            command_timeout=command_timeout,
            timeout=connect_timeout,
        )
        # waiting for a pooled connection (all busy, or a new one being made) is bounded by
        # the connect timeout too: an exhausted pool answers "unavailable", never hangs
        return cls(pool, acquire_timeout=connect_timeout)

    @staticmethod
    def _discard(conn: asyncpg.Connection) -> None:
        """Close a connection that must not be reused (the pool makes a new one)."""
        try:
            if not conn.is_closed():
                conn.terminate()
        except asyncpg.exceptions.InterfaceError:
            pass  # closed and handed back to the pool already

    async def _release(self, conn: asyncpg.Connection) -> None:
        try:
            await self.pool.release(conn, timeout=self.acquire_timeout)
        except Exception as exc:  # a dead connection: the pool replaces it on next acquire
            log.debug("releasing a connection failed: %s", exc.__class__.__name__)
            self._discard(conn)

    async def _begin(self) -> tuple[asyncpg.Connection, PgTransaction]:
        """A pooled connection inside ``BEGIN``.

        Nothing of the unit has been sent yet, and neither taking a connection nor BEGIN
        changes anything, so any failure here (a refused or dead connection, or asyncpg
        tripping over a connection the server has just closed) is retried once, on a fresh
        connection.  A timeout is not retried: that would double the wait."""
        for attempt in (1, 2):
            conn: asyncpg.Connection | None = None
            try:
                conn = await self.pool.acquire(timeout=self.acquire_timeout)
                tr = conn.transaction()
                await tr.start()
                return conn, tr
            except asyncio.CancelledError:
                if conn is not None:
                    self._discard(conn)  # may be mid-BEGIN: never hand it out again
                    await self._release(conn)
                raise
            except Exception as exc:
                if conn is not None:
                    self._discard(conn)
                    await self._release(conn)
                if attempt == 2 or is_timeout(exc):
                    raise _unavailable(exc, f"connect (attempt {attempt})") from exc
                log.info("database connection failed (%s); retrying once", exc.__class__.__name__)
                # one dead connection usually means all of them (a restart, a failover):
                # the pool replaces every idle one on its next acquire
                await self.pool.expire_connections()
                await asyncio.sleep(self.retry_delay)
        raise AssertionError("unreachable")  # pragma: no cover

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlRepositories]:
        conn, tr = await self._begin()
        try:
            try:
                yield SqlRepositories(_Executor(conn), POSTGRESQL)
            except BaseException:
                try:
                    await tr.rollback()
                except Exception as exc:  # the connection is gone: so is the transaction
                    log.debug("rollback failed: %s", exc.__class__.__name__)
                    self._discard(conn)
                raise
            try:
                await tr.commit()
            except Exception as exc:
                # the outcome is unknown (COMMIT may have been applied): never retried
                lost = connection_lost(conn)
                self._discard(conn)
                if lost or is_unavailable(exc):
                    raise _unavailable(exc, "commit") from exc
                raise
        finally:
            await self._release(conn)

    async def ping(self) -> None:
        async with self.transaction() as tx:
            await tx.db.fetchone("SELECT 1")

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.pool.close(), timeout=self.acquire_timeout)
        except Exception:
            self.pool.terminate()
