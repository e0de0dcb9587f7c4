"""In-process fixtures for the web adapters: the real app (``create_app``) on a real
database, its lifespan run here, driven through ``httpx.ASGITransport`` — no server, no
port, no second process.

The tests here check what a shop sees of the API (parameters, wire shapes, messages, every
rule of the spec, pages, 3-D Secure over HTTP); they run on both engines, a SQLite file and
a PostgreSQL database, since a rule that holds on one engine only does not hold.  A real
``ecomgate serve`` on both engines is in ``tests/api``.

One app per engine for the whole session (start-up costs more than a test); every test gets a fresh
merchant (``merchant`` from ``tests/conftest.py``), so tests never see each other's orders.
Merchants are made through the app's own ``Services``: one SQLite connection for both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette

from ecomgate.config import Settings
from ecomgate.services.context import Services
from ecomgate.testing.postgres import drop_pg_database
from ecomgate.testing.processes import TEST_VAULT_KEYS
from ecomgate.web.app import create_app

from ..conftest import fresh_database
from ..support import TEST_SECRET, Api, MerchantCredentials, ShiftableClock

PUBLIC_URL = "http://gateway.test"
SANDBOX_TOKEN = "web-sandbox-token"


@pytest.fixture(scope="session")
def web_database_url(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The in-process app's database, migrated as ``ecomgate serve`` would: a SQLite file,
    then a PostgreSQL database (every rule of the API holds on both engines)."""
    url = fresh_database(engine, str(tmp_path_factory.mktemp(f"web-{engine}")))
    yield url
    if engine == "postgresql":
        drop_pg_database(url)


@pytest.fixture(scope="session")
async def app(web_database_url: str) -> AsyncIterator[Starlette]:
    settings = Settings(
        database_url=web_database_url,
        public_url=PUBLIC_URL,
        secret_key=TEST_SECRET,
        sandbox=True,
        # no background work: a test that needs a sweep or a callback delivery runs it
        # (services.expiry.sweep, notifications.dispatcher.Dispatcher)
        background=False,
        sandbox_token=SANDBOX_TOKEN,
        sqlite_synchronous="NORMAL",
        log_level="warning",
        vault_keys=TEST_VAULT_KEYS,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        # the one place the tests reach into the app's services: a clock they can move
        application.state.services.clock = ShiftableClock()
        yield application


@pytest.fixture(scope="session")
def services(app: Starlette) -> Services:
    """The app's own services (overrides the both-engines one of ``tests/conftest.py``)."""
    services: Services = app.state.services
    return services


@pytest.fixture
def clock(services: Services) -> Iterator[ShiftableClock]:
    """The app's clock; whatever a test moves it by is undone afterwards."""
    shiftable = services.clock
    assert isinstance(shiftable, ShiftableClock)
    yield shiftable
    shiftable.offset_ms = 0


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client that calls the app in-process, at ``PUBLIC_URL``; it never follows redirects
    by itself.  The ASGI client address is 127.0.0.1."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL, timeout=30) as client:
        yield client


@pytest.fixture
def api(http: httpx.AsyncClient, merchant: MerchantCredentials) -> Api:
    """An API client with a fresh merchant's credentials, in-process."""
    return Api(http, merchant)
