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

from .sql import SQLITE, Row, SqlTransaction, UniqueViolation

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


class SqliteStore:
    engine = "sqlite"

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

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTransaction]:
        async with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield SqlTransaction(self._executor, SQLITE)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    async def ping(self) -> None:
        async with self._lock:
            self._conn.execute("SELECT 1").fetchone()

    async def close(self) -> None:
        self._conn.close()
