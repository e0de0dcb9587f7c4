"""Schema migrations with yoyo-migrations; the same SQL files serve both engines."""

from __future__ import annotations

from importlib import resources

from yoyo import get_backend, read_migrations
from yoyo.backends import DatabaseBackend
from yoyo.migrations import MigrationList

#: seconds to wait for a PostgreSQL connection (libpq waits forever by default, and
#: ``ecomgate db check`` serves as a readiness probe)
CONNECT_TIMEOUT = 10


def _hosts_as_params(url: str) -> str:
    """A multi-host URL (``postgresql://u@h1:p1,h2:p2/db?target_session_attrs=read-write``,
    for failover) with its hosts moved to libpq's ``host``/``port`` list parameters: yoyo
    cannot parse a netloc of several hosts, libpq takes the lists from the query."""
    scheme, _, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    user, at, hosts = netloc.rpartition("@")
    if "," not in hosts:
        return url
    names, ports = [], []
    for host in hosts.split(","):
        name, _, port = host.partition(":")
        names.append(name)
        ports.append(port or "5432")
    database, _, query = path.partition("?")
    listed = f"host={','.join(names)}&port={','.join(ports)}"
    query = f"{query}&{listed}" if query else listed
    return f"{scheme}://{user}{at}{slash}{database}?{query}"


def _yoyo_url(database_url: str) -> str:
    if database_url.startswith("sqlite:///"):
        return database_url
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            url = _hosts_as_params("postgresql+psycopg://" + database_url[len(prefix) :])
            if "connect_timeout=" not in url:
                url += f"{'&' if '?' in url else '?'}connect_timeout={CONNECT_TIMEOUT}"
            return url
    return database_url


def _backend(database_url: str) -> DatabaseBackend:
    if database_url.startswith("sqlite:///"):
        from .sqlite import sqlite_path

        sqlite_path(database_url).parent.mkdir(parents=True, exist_ok=True)
    return get_backend(_yoyo_url(database_url), migration_table="schema_migrations")


def _migrations() -> MigrationList:
    folder = resources.files("ecomgate.storage").joinpath("migrations")
    return read_migrations(str(folder))


def pending(database_url: str) -> list[str]:
    """Ids of the migrations not applied yet."""
    backend = _backend(database_url)
    try:
        return [m.id for m in backend.to_apply(_migrations())]
    finally:
        backend.connection.close()


def upgrade(database_url: str) -> list[str]:
    """Apply what is pending (under yoyo's lock, so concurrent starts are safe)."""
    backend = _backend(database_url)
    try:
        migrations = _migrations()
        with backend.lock():
            todo = backend.to_apply(migrations)
            backend.apply_migrations(todo)
        return [m.id for m in todo]
    finally:
        backend.connection.close()
