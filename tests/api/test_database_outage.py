"""A gateway process whose PostgreSQL database stops accepting it: the API answers
errorCode 7 ("database unavailable") within a few seconds, /health answers 503, and once the
database is back the process recovers on its own, without a restart (PostgreSQL only).

The shared PostgreSQL server is never stopped: the test database is closed to connections
(``ALLOW_CONNECTIONS false``; the test role is a superuser, whom ``CONNECTION LIMIT`` does not
bind) and the gateway's sessions are terminated, which is what a failover or a restart of
the database looks like from the gateway.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest

from ecomgate import storage
from ecomgate.storage import migrate
from ecomgate.testing.postgres import PG_ADMIN_URL, create_pg_database, drop_pg_database
from ecomgate.testing.processes import GatewayProcess, start_gateway

from ..support import Api, MerchantCredentials, make_merchant, services_on

pytestmark = pytest.mark.postgres_only

#: what "fast" means here: well under any shop's HTTP timeout
ANSWER_WITHIN = 3.0
RECOVER_WITHIN = 10.0

T = TypeVar("T")


@pytest.fixture(scope="module")
def outage_database(engine: str) -> Iterator[str]:
    """A database of its own: closing it must not disturb the session's gateway."""
    url = create_pg_database()
    migrate.upgrade(url)
    yield url
    _set_allow_connections(url, True)
    drop_pg_database(url)


def _set_allow_connections(url: str, allow: bool) -> None:
    async def run() -> None:
        await _allow(url, allow)

    asyncio.run(run())


async def _allow(url: str, allow: bool) -> None:
    name = url.rpartition("/")[2]
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}')
        if not allow:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def outage_gateway(
    outage_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    process = start_gateway(
        outage_database,
        Path(tmp_path_factory.mktemp("outage")),
        extra_env={"ECOMGATE_PG_CONNECT_TIMEOUT": "2", "ECOMGATE_PG_COMMAND_TIMEOUT": "5"},
    )
    yield process
    process.stop()


@pytest.fixture
async def outage_merchant(outage_database: str) -> MerchantCredentials:
    store = await storage.open_store(outage_database)
    try:
        return await make_merchant(services_on(store))
    finally:
        await store.close()


@pytest.fixture
async def outage_api(
    outage_gateway: GatewayProcess, outage_merchant: MerchantCredentials
) -> AsyncIterator[Api]:
    client = Api(outage_gateway.base_url, outage_merchant)
    yield client
    await client.aclose()


async def _timed(call: Awaitable[T]) -> tuple[T, float]:
    started = time.monotonic()
    result = await call
    return result, time.monotonic() - started


async def test_the_api_answers_error_7_fast_while_the_database_is_gone_and_recovers(
    outage_api: Api, outage_database: str, outage_gateway: GatewayProcess
) -> None:
    before = await outage_api.register(amount=1000)
    assert "orderId" in before
    order_id = before["orderId"]
    http = outage_api.http

    await _allow(outage_database, False)
    try:
        # register.do: the credentials are cached, the INSERT cannot reach the database
        body, took = await _timed(outage_api.register(amount=1000))
        assert body["errorCode"] == "7", body
        assert "database" in str(body["errorMessage"]).lower()
        assert took < ANSWER_WITHIN, f"register.do took {took:.2f}s"

        body, took = await _timed(outage_api.status(order_id))
        assert body["errorCode"] == "7", body
        assert took < ANSWER_WITHIN

        health, took = await _timed(http.get("/health"))
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"
        assert took < ANSWER_WITHIN

        # the buyer at formUrl sees a page that retries by itself, not a server error
        page = await http.get(f"/payment/merchants/ecom/payment_en.html?mdOrder={order_id}")
        assert page.status_code == 503
        assert "temporarily unavailable" in page.text
        assert 'http-equiv="refresh"' in page.text
        # ... and so does a buyer coming back from the 3-D Secure page
        back = await http.post("/payment/rest/finish3ds.do?lang=en", data={"MD": order_id})
        assert back.status_code == 503
        assert "temporarily unavailable" in back.text

        # a burst of calls while down: every one answered, none hangs
        bodies = await asyncio.wait_for(
            asyncio.gather(*(outage_api.status(order_id) for _ in range(20))), ANSWER_WITHIN * 2
        )
        assert {b["errorCode"] for b in bodies} == {"7"}
    finally:
        await _allow(outage_database, True)

    restored = time.monotonic()
    while True:
        if (await http.get("/health")).status_code == 200:
            break
        assert time.monotonic() - restored < RECOVER_WITHIN, "gateway did not recover"
        await asyncio.sleep(0.05)
    after = await outage_api.register(amount=1000)
    assert "orderId" in after, after
    status = await outage_api.status(order_id)
    assert status["orderStatus"] == 0
    assert outage_gateway.process.poll() is None  # the same process, never restarted


async def test_a_gateway_whose_connections_were_cut_answers_the_next_call_normally(
    outage_api: Api, outage_database: str
) -> None:
    """Every pooled connection killed while idle (a database restart): the next call
    reconnects transparently instead of failing."""
    first = await outage_api.register(amount=500)
    name = outage_database.rpartition("/")[2]
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
    finally:
        await admin.close()
    status = await outage_api.status(first["orderId"])
    assert status.get("errorCode", "0") == "0", status
    assert status["orderStatus"] == 0
