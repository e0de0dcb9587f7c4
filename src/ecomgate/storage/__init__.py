"""Storage: one repository interface (``services.ports``), two real engines."""

from __future__ import annotations

from typing import Any

from ecomgate.services.ports import Store


async def open_store(url: str, **options: Any) -> Store:
    """Open the engine the URL names: ``sqlite:///path`` or ``postgresql://...``."""
    if url.startswith("sqlite:///"):
        from .sqlite import SqliteStore

        sq = {k[7:]: v for k, v in options.items() if k.startswith("sqlite_")}
        return SqliteStore(url, **sq)
    if url.startswith(("postgresql", "postgres://")):
        from .postgres import PostgresStore

        pg = {k[3:]: v for k, v in options.items() if k.startswith("pg_")}
        return await PostgresStore.connect(url, **pg)
    raise ValueError(f"unsupported ECOMGATE_DATABASE_URL: {url!r}")
