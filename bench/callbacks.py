"""Callback delivery throughput, side by side in one run: the dispatcher delivering
events from the outbox to a receiver (the bare Starlette app of ``bench``, in a process of
its own), against plain httpx GETs to the same receiver with the same concurrency: what
delivery would cost with no claiming, signing and logging at all.

    .venv/bin/python -m bench.callbacks [--engine sqlite|postgresql] [--events 2000]

Never part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid

import httpx

from ecomgate import storage
from ecomgate.domain import ids
from ecomgate.domain.order import CardSnapshot, Order
from ecomgate.notifications.destinations import DestinationPolicy
from ecomgate.notifications.dispatcher import DeliveryConfig, Dispatcher
from ecomgate.services import merchants
from ecomgate.services.context import Services
from ecomgate.storage import migrate
from ecomgate.testing.postgres import create_pg_database, drop_pg_database
from ecomgate.web.links import WebLinks

from .__main__ import start_bare

CARD = CardSnapshot("411111**1111", "203012", "BENCH", "VISA")


class _NoAcquirer:
    name = "none"


async def _fill(services: Services, merchant_id: str, count: int) -> None:
    """``count`` paid one-phase orders, each with its ``deposited`` event."""
    for _ in range(count):
        now = services.clock.now_ms()
        order = Order(
            id=ids.uuid7(now),
            merchant_id=merchant_id,
            order_number=uuid.uuid4().hex,
            amount=2000,
            currency="643",
            two_phase=False,
            created_at=now,
            expires_at=now + 1_200_000,
            return_url="https://shop.example/ok",
        )
        order.start_attempt(now, ids.uuid7(now), CARD)
        order.authorization_approved(
            now,
            deposit_operation_id=ids.uuid7(now),
            approval_code="A",
            auth_ref_num="1",
            terminal_id="T",
        )
        await services.uow.add_order(order)


async def _bare(url: str, count: int, concurrency: int) -> float:
    """Requests per second of plain GETs to the receiver, ``concurrency`` at a time."""
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient() as client:

        async def one(i: int) -> None:
            async with gate:
                response = await client.get(url, params={"mdOrder": str(i), "operation": "x"})
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        return count / (time.perf_counter() - started)


async def run(url: str, receiver_url: str, count: int, concurrency: int) -> tuple[float, float]:
    """(plain requests per second, callbacks delivered per second)."""
    store = await storage.open_store(url)
    services = Services(store=store, acquirer=_NoAcquirer(), links=WebLinks("http://127.0.0.1"))  # type: ignore[arg-type]
    try:
        merchant = await merchants.create_merchant(
            services, login=f"bench-{uuid.uuid4().hex[:6]}", password="bench-password"
        )
        await merchants.update_merchant(
            services,
            merchant.login,
            settings={"callback_url": receiver_url, "callback_secret": "bench"},
        )
        await _fill(services, merchant.id, count)
        config = DeliveryConfig(
            destinations=DestinationPolicy(https_only=False, allow_private=True),
            concurrency=concurrency,
        )
        bare = await _bare(receiver_url, count, concurrency)
        async with Dispatcher(services, config) as dispatcher:
            started = time.perf_counter()
            delivered = await dispatcher.drain(max_passes=count)
            rate = delivered / (time.perf_counter() - started)
        return bare, rate
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="ecomgate-bench-")
    pg = args.engine == "postgresql"
    url = create_pg_database() if pg else f"sqlite:///{workdir}/bench.db"
    migrate.upgrade(url)
    receiver, base = start_bare()
    try:
        bare, rate = asyncio.run(
            run(url, f"{base}/payment/rest/callback.do", args.events, args.concurrency)
        )
    finally:
        receiver.terminate()
        if pg:
            drop_pg_database(url)
    print(
        f"\nCallback delivery ({args.engine}, {args.events} events, {args.concurrency} in flight)"
    )
    print(f"  plain httpx GET to the receiver   {bare:8.0f} req/s   1.00")
    print(f"  dispatcher (claim, sign, log)     {rate:8.0f} /s      {rate / bare:.2f}")


if __name__ == "__main__":
    main()
