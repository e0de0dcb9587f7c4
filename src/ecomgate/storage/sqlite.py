"""SQLite: the embedded, zero-configuration engine.

One connection per process, in WAL mode.  Transactions are serialised in-process by an
``asyncio.Lock`` and across processes by ``BEGIN IMMEDIATE`` (SQLite's single writer), which
is what makes a state change exclusive here; PostgreSQL uses row locks instead.
The driver calls are synchronous and short; they run on the event loop without a thread hop,
which measured faster than any async wrapper for one-row statements.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from ecomgate.services.ports import DatabaseUnavailable

from .sql import SQLITE, Row, SqlRepositories, UniqueViolation

_PLACEHOLDER = re.compile(r"\$(\d+)")


def _sqlite_sql(sql: str) -> str:
    return _PLACEHOLDER.sub(r"?\1", sql)


class _Executor:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._cache: dict[str, str] = {}

    def _sql(self, sql: str) -> str:
        out = self._cache.get(sql)
        if out is None:
            out = self._cache[sql] = _sqlite_sql(sql)
        return out

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        row: Row | None = self.conn.execute(self._sql(sql), args).fetchone()
        return row

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        return list(self.conn.execute(self._sql(sql), args).fetchall())

    async def execute(self, sql: str, *args: Any) -> None:
        try:
            self.conn.execute(self._sql(sql), args)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise UniqueViolation(str(exc)) from exc
            raise

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self.conn.executemany(self._sql(sql), rows)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise UniqueViolation(str(exc)) from exc
            raise


def sqlite_path(url: str) -> Path:
    """``sqlite:///relative.db`` or ``sqlite:////absolute.db`` -> a path."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a sqlite URL: {url}")
    return Path(url[len("sqlite:///") :])


class _Batch:
    """Units of work sharing one SQLite transaction, made durable by one COMMIT."""

    def __init__(self, changes: int) -> None:
        self.changes = changes  # the connection's total_changes when the batch began
        self.loop = asyncio.get_running_loop()
        self.done: asyncio.Future[None] = self.loop.create_future()
        self.units = 0


def _settle(batch: _Batch, error: BaseException | None) -> None:
    if isinstance(error, sqlite3.OperationalError):  # locked past busy_timeout, disk I/O
        error = DatabaseUnavailable(f"commit: {error}")
    if error is not None and batch.units:
        batch.done.set_exception(error)
    else:
        batch.done.set_result(None)


class SqliteStore:
    """SQLite with group commit.

    Each unit of work (``transaction()``) runs under a SAVEPOINT inside a shared write
    transaction.  When a unit ends and others are already queued for the lock, the COMMIT
    is left to the last of them: one fsync then makes the whole batch durable, and every
    unit's caller is answered only after it.  Without a queue this is a plain transaction
    per unit.  A unit that fails rolls back to its savepoint and leaves the others intact.
    """

    engine = "sqlite"
    #: upper bound of units per COMMIT, so latency stays bounded under constant load
    max_batch = 256

    def __init__(self, url: str, *, synchronous: str = "FULL", busy_timeout_ms: int = 10_000):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, cached_statements=256
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit survives power loss; NORMAL trades that for speed (configurable)
        self._conn.execute(f"PRAGMA synchronous={synchronous}")
        self._conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._executor = _Executor(self._conn)
        self._lock = asyncio.Lock()
        self._queued = 0  # units waiting for the lock
        self._batch: _Batch | None = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlRepositories]:
        self._queued += 1
        try:
            await self._lock.acquire()
        except BaseException:
            self._queued -= 1
            self._commit_if_idle()
            raise
        self._queued -= 1
        batch: _Batch | None = None
        must_wait = False
        try:
            if self._batch is None:
                try:
                    # waits up to busy_timeout for another process's write to finish
                    self._conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as exc:  # still locked, or disk trouble
                    raise DatabaseUnavailable(f"begin: {exc}") from exc
                self._batch = _Batch(self._conn.total_changes)
            batch = self._batch
            self._conn.execute("SAVEPOINT unit")
            try:
                yield SqlRepositories(self._executor, SQLITE)
            except BaseException:
                self._conn.execute("ROLLBACK TO unit")
                self._conn.execute("RELEASE unit")
                raise
            self._conn.execute("RELEASE unit")
            batch.units += 1
            # a unit that saw no uncommitted writes has nothing to wait for
            must_wait = self._conn.total_changes != batch.changes
        finally:
            try:
                if batch is not None and batch.changes == self._conn.total_changes:
                    if self._queued == 0:
                        self._commit(inline=True)  # nothing written: no fsync, no hop
                elif self._queued == 0 or (batch is not None and batch.units >= self.max_batch):
                    # the fsync runs in a thread: meanwhile the event loop parses and
                    # validates the next requests, which queue up for the next batch
                    await asyncio.to_thread(self._commit)
            finally:
                self._lock.release()
        if must_wait and batch is not None:
            # answer only once the unit is durable (shielded: a cancelled caller must not
            # cancel the shared future)
            await asyncio.shield(batch.done)

    def _commit(self, *, inline: bool = False) -> None:
        """COMMIT the open batch and settle its future (from a worker thread unless
        ``inline``)."""
        batch, self._batch = self._batch, None
        if batch is None:
            return
        error: BaseException | None = None
        try:
            self._conn.execute("COMMIT")
        except BaseException as exc:
            error = exc
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        if inline:
            _settle(batch, error)
        else:
            batch.loop.call_soon_threadsafe(_settle, batch, error)

    def _commit_if_idle(self) -> None:
        """A unit that gave up waiting may have been the one due to commit."""
        if self._batch is not None and self._queued == 0 and not self._lock.locked():
            self._commit(inline=True)

    async def ping(self) -> None:
        async with self.transaction() as tx:
            await tx.db.fetchone("SELECT 1")

    async def close(self) -> None:
        async with self._lock:
            self._commit(inline=True)
        self._conn.close()
