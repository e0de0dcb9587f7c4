"""Shared fixtures: both storage engines, a real gateway process on 127.0.0.1, merchants.

``tests/web`` overrides ``services`` (and ``api``) with an in-process app, one per engine.

Every storage-touching test runs once on SQLite and once on PostgreSQL (the ``engine``
parameter).  PostgreSQL is the server at 127.0.0.1:5432 (override with
``ECOMGATE_TEST_PG_URL``); each test session gets a fresh database there and drops it at the
end (``ecomgate.testing.postgres``).  Where no PostgreSQL is reachable the PostgreSQL half is skipped with the reason — except
under CI (``CI`` set), where that is a failure: CI must run both engines.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ecomgate import storage
from ecomgate.services.context import Services
from ecomgate.storage import migrate
from ecomgate.testing.postgres import (
    PG_ADMIN_URL,
    create_pg_database,
    drop_pg_database,
    pg_problem,
)
from ecomgate.testing.processes import GatewayProcess, start_gateway
from ecomgate.testing.receiver import CallbackReceiver

from .support import Api, MerchantCredentials, make_merchant, services_on


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: playwright's sync API keeps an event loop running in the
    main thread while its browser is open, which would break later tests that start one."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def require_postgres() -> None:
    """Skip (on a laptop) or fail (in CI) when no PostgreSQL answers."""
    problem = pg_problem()
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required in CI: {problem}")
    pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL} ({problem}); set ECOMGATE_TEST_PG_URL")


def fresh_database(engine: str, tmp_dir: str) -> str:
    """A new, migrated database of the given engine."""
    if engine == "sqlite":
        url = f"sqlite:///{tmp_dir}/ecomgate-{uuid.uuid4().hex[:8]}.db"
    else:
        require_postgres()
        url = create_pg_database()
    migrate.upgrade(url)
    return url


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that touches storage runs on both engines; one marked ``postgres_only``
    (several processes, outages) runs on PostgreSQL alone instead of being skipped."""
    if "engine" in metafunc.fixturenames:
        postgres_only = metafunc.definition.get_closest_marker("postgres_only") is not None
        engines = ["postgresql"] if postgres_only else ["sqlite", "postgresql"]
        metafunc.parametrize("engine", engines, indirect=True, scope="session")


@pytest.fixture(scope="session")
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = fresh_database(engine, str(tmp_path_factory.mktemp(engine)))
    yield url
    if engine == "postgresql":
        drop_pg_database(url)


@pytest.fixture(scope="session")
async def services(database_url: str) -> AsyncIterator[Services]:
    """The service layer on the test database, in the test process (for set-up and for
    service-level tests); the gateway process shares the same database."""
    store = await storage.open_store(database_url)
    yield services_on(store)
    await store.close()


@pytest.fixture(scope="session")
def gateway(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    """``ecomgate serve --port 0`` on 127.0.0.1, against the session's database."""
    process = start_gateway(database_url, tmp_path_factory.mktemp("gateway"))
    yield process
    process.stop()


@pytest.fixture
def own_database_url(engine: str, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own, for tests that must not share theirs with the
    session's gateway processes (whose background work would take part)."""
    url = fresh_database(engine, str(tmp_path))
    yield url
    if engine == "postgresql":
        drop_pg_database(url)


@pytest.fixture
async def own_services(own_database_url: str) -> AsyncIterator[Services]:
    store = await storage.open_store(own_database_url)
    yield services_on(store)
    await store.close()


@pytest.fixture
async def callback_receiver() -> AsyncIterator[CallbackReceiver]:
    """A shop's callback endpoint on 127.0.0.1 (``ecomgate.testing.receiver``)."""
    async with CallbackReceiver() as receiver:
        yield receiver


@pytest.fixture
async def merchant(services: Services) -> MerchantCredentials:
    """A fresh merchant per test, so tests never see each other's orders."""
    return await make_merchant(services)


@pytest.fixture
async def api(gateway: GatewayProcess, merchant: MerchantCredentials) -> AsyncIterator[Api]:
    """An API client with a fresh merchant's credentials."""
    client = Api(gateway.base_url, merchant)
    yield client
    await client.aclose()
