"""``ecomgate serve --workers 2``: two worker processes share one port and one database, and
both serve — on PostgreSQL, and on SQLite on one host (WAL, ``BEGIN IMMEDIATE``, busy
timeout: writes from the two processes serialise instead of failing)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ecomgate.testing.processes import GatewayProcess, start_gateway

from ..support import MerchantCredentials

REQUESTS = 200


@pytest.fixture(scope="module")
def two_workers(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    process = start_gateway(
        database_url, Path(tmp_path_factory.mktemp("workers")), extra_env={"ECOMGATE_WORKERS": "2"}
    )
    yield process
    workers = WORKER_PIDS.pop(process.process.pid, set())
    process.stop()
    for pid in workers:  # the supervisor takes its workers with it
        assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid), f"worker {pid} left behind"


#: gateway pid -> the worker pids seen answering
WORKER_PIDS: dict[int, set[int]] = {}


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _is_zombie(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]) == "Z"
    except OSError:
        return True


def _fresh_connection_client(base_url: str) -> httpx.AsyncClient:
    """No keep-alive: every request is a new connection, which the kernel hands to whichever
    worker accepts it first."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=30,
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=0),
    )


async def _health_pids(base_url: str, rounds: int) -> set[int]:
    async with _fresh_connection_client(base_url) as http:
        answers = await asyncio.gather(*(http.get("/health") for _ in range(rounds)))
    assert {a.status_code for a in answers} == {200}
    return {int(a.json()["pid"]) for a in answers}


async def test_both_workers_answer_and_are_children_of_the_gateway(
    two_workers: GatewayProcess,
) -> None:
    pids: set[int] = set()
    for _ in range(50):  # the second worker may still be starting
        pids |= await _health_pids(two_workers.base_url, 40)
        if len(pids) == 2:
            break
        await asyncio.sleep(0.1)
    assert len(pids) == 2, f"only {pids} answered within 50 rounds of 40 health checks"
    assert pids <= _children(two_workers.process.pid)
    WORKER_PIDS[two_workers.process.pid] = pids
    assert os.getpid() not in pids


async def test_concurrent_registrations_through_both_workers_all_succeed(
    two_workers: GatewayProcess, merchant: MerchantCredentials
) -> None:
    async with _fresh_connection_client(two_workers.base_url) as http:

        async def register(i: int) -> dict[str, str]:
            response = await http.post(
                "/payment/rest/register.do",
                data={
                    **merchant.auth,
                    "orderNumber": f"W-{i}",
                    "amount": "100",
                    "returnUrl": "https://shop.example/ok",
                },
            )
            assert response.status_code == 200, response.text
            body: dict[str, str] = response.json()
            return body

        bodies = await asyncio.gather(*(register(i) for i in range(REQUESTS)))
        failures = [b for b in bodies if "orderId" not in b]
        assert not failures, failures[:3]
        assert len({b["orderId"] for b in bodies}) == REQUESTS
        # every order is visible through either worker
        statuses = await asyncio.gather(
            *(
                http.post(
                    "/payment/rest/getOrderStatusExtended.do",
                    data={**merchant.auth, "orderId": b["orderId"]},
                )
                for b in bodies[:40]
            )
        )
        assert {s.json()["orderStatus"] for s in statuses} == {0}
    pids = await _health_pids(two_workers.base_url, 40)
    assert pids, "no worker answered"
    log = two_workers.log()
    assert "database is locked" not in log
    assert "Traceback" not in log
