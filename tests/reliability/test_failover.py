"""Failover on a real replicated PostgreSQL (issue 16): the gateway runs on a multi-host URL
(``target_session_attrs=read-write``) over a primary and its synchronous standby; the
primary is killed under load, the standby promoted, and the gateway carries on by itself.
Every order acknowledged before the kill must be on the new primary: with synchronous
replication an acknowledged commit is on the standby's disk too.

The figures are printed and written to ``$ECOMGATE_RELIABILITY_DIR`` (when set)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from ecomgate import storage
from ecomgate.services.context import Services
from ecomgate.testing.processes import start_gateway

from ..api.paying import card
from ..support import MerchantCredentials, make_merchant, services_on
from .pg_replication import ReplicatedPostgres, replication_problem
from .test_crash_under_load import APPROVING, RETURN_URL, _report

CLIENTS = 8
LOAD_BEFORE_KILL = 1.0
#: payments acknowledged before the primary is killed
PAID_BEFORE_KILL = 20
OUTAGE = 1.0
RECOVERY_TIMEOUT = 30.0
LOAD_AFTER_RECOVERY = 1.5


@pytest.fixture
def replicated() -> Iterator[ReplicatedPostgres]:
    problem = replication_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"the failover test cannot run in CI: {problem}")
        pytest.skip(problem)
    cluster = ReplicatedPostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@dataclass
class Shops:
    credentials: MerchantCredentials
    base_url: str
    paid: dict[str, float] = field(default_factory=dict)  # order id -> when acknowledged
    system_errors: int = 0
    unanswered: int = 0
    stopping: bool = False

    async def call(self, http: httpx.AsyncClient, method: str, **params: str) -> dict[str, Any]:
        data = {**self.credentials.auth, **params}
        response = await http.post(f"{self.base_url}/payment/rest/{method}.do", data=data)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body.get("errorCode") == "7":  # the database is not answering: said so, and safe
            self.system_errors += 1
        return body

    async def client(self) -> None:
        async with httpx.AsyncClient(timeout=15) as http:
            while not self.stopping:
                try:
                    order = await self.call(http, "register", amount="1500", returnUrl=RETURN_URL)
                    if "orderId" not in order:
                        await asyncio.sleep(0.05)
                        continue
                    paid = await self.call(
                        http, "paymentorder", MDORDER=order["orderId"], **card(*APPROVING)
                    )
                    if paid.get("errorCode") == "0":
                        self.paid[order["orderId"]] = time.monotonic()
                except httpx.HTTPError:
                    self.unanswered += 1
                    await asyncio.sleep(0.05)


async def test_the_gateway_survives_a_primary_failover_without_losing_an_order(
    replicated: ReplicatedPostgres, tmp_path: Path
) -> None:
    url = replicated.url()
    store = await storage.open_store(url)
    try:
        services: Services = services_on(store)
        gateway_env = {
            "ECOMGATE_PG_CONNECT_TIMEOUT": "2",
            "ECOMGATE_SWEEP_INTERVAL": "0.2",
        }
        gateway = start_gateway(url, tmp_path / "gateway", extra_env=gateway_env)
        merchant = await make_merchant(services)
    finally:
        await store.close()
    shops = Shops(merchant, gateway.base_url)
    clients = [asyncio.create_task(shops.client()) for _ in range(CLIENTS)]
    try:
        # load until enough payments are acknowledged (a busy machine needs longer)
        deadline = time.monotonic() + RECOVERY_TIMEOUT
        await asyncio.sleep(LOAD_BEFORE_KILL)
        while len(shops.paid) < PAID_BEFORE_KILL:
            assert time.monotonic() < deadline, f"no load before the kill:\n{gateway.log()}"
            await asyncio.sleep(0.1)
        killed_at = time.monotonic()
        await asyncio.to_thread(replicated.crash_primary)
        before_kill = {oid for oid, at in shops.paid.items() if at < killed_at}
        await asyncio.sleep(OUTAGE)
        await asyncio.to_thread(replicated.promote_standby)
        promoted_at = time.monotonic()
        deadline = promoted_at + RECOVERY_TIMEOUT
        while not any(at > promoted_at for at in shops.paid.values()):
            assert time.monotonic() < deadline, (
                f"no payment within {RECOVERY_TIMEOUT} s of the promotion:\n{gateway.log()}"
            )
            await asyncio.sleep(0.1)
        recovered_after = min(at for at in shops.paid.values() if at > promoted_at) - promoted_at
        await asyncio.sleep(LOAD_AFTER_RECOVERY)
    finally:
        shops.stopping = True
        await asyncio.gather(*clients)
        gateway.stop()

    # every acknowledged payment, on the new primary, paid
    conn = await asyncpg.connect(replicated.standby_url())
    try:
        rows = await conn.fetch(
            "SELECT id, status FROM orders WHERE id = ANY($1::text[])", list(shops.paid)
        )
        in_recovery = await conn.fetchval("SELECT pg_is_in_recovery()")
    finally:
        await conn.close()
    found = {row["id"]: row["status"] for row in rows}
    lost = sorted(set(shops.paid) - set(found))
    not_paid = sorted(oid for oid, status in found.items() if status != 2)
    figures = {
        "engine": "postgresql",
        "failovers": 1,
        "payments_acknowledged_before_the_kill": len(before_kill),
        "payments_acknowledged": len(shops.paid),
        "answers_errorcode_7_during_the_outage": shops.system_errors,
        "requests_unanswered": shops.unanswered,
        "seconds_from_promotion_to_first_payment": round(recovered_after, 2),
        "lost": len(lost),
        "not_paid": len(not_paid),
    }
    _report("failover", figures)
    assert not in_recovery
    assert len(before_kill) >= PAID_BEFORE_KILL, figures
    assert lost == [] and not_paid == [], figures
