"""Throw-away PostgreSQL databases on the server at ``ECOMGATE_TEST_PG_URL`` (default
127.0.0.1:5432, database ``test``): created with a random name, dropped with ``FORCE``."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg

#: an existing database on the server, to connect to while creating and dropping others
PG_ADMIN_URL = os.environ.get("ECOMGATE_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")


def pg_problem() -> str | None:
    """Why no PostgreSQL answers at ``PG_ADMIN_URL`` (``None``: it does)."""

    async def probe() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return None


def create_pg_database() -> str:
    """A new, empty database on ``PG_ADMIN_URL``'s server; its URL."""
    name = f"ecomgate_test_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


def drop_pg_database(url: str) -> None:
    """Drop the database at ``url`` (made by ``create_pg_database``), connections and all."""
    name = url.rpartition("/")[2]

    async def drop() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())
