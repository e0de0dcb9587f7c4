"""Callbacks across real processes, on both engines: events left undelivered by a gateway
killed with SIGKILL are delivered by an ``ecomgate worker`` started afterwards, every one
of them, signed; ``ecomgate listen`` forwards a merchant's callbacks to a local handler."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from ecomgate.callbacks import verify_checksum
from ecomgate.services import merchants as merchant_service
from ecomgate.services.context import Services
from ecomgate.testing.processes import Startup, start_command, start_gateway
from ecomgate.testing.receiver import CallbackReceiver

from ..support import Api, MerchantCredentials, make_merchant
from .paying import pay

SECRET = "callback-secret-of-the-test"
#: deliver at once and retry at once: nothing in these tests waits for a schedule
FAST = {"ECOMGATE_CALLBACK_POLL_INTERVAL": "0.05", "ECOMGATE_CALLBACK_RETRY_SECONDS": "0,0,0"}


@pytest.fixture
def receiver(callback_receiver: CallbackReceiver) -> CallbackReceiver:
    return callback_receiver


async def callback_shop(services: Services, url: str) -> MerchantCredentials:
    creds = await make_merchant(services)
    await merchant_service.update_merchant(
        services, creds.login, settings={"callback_url": url, "callback_secret": SECRET}
    )
    return creds


async def test_events_left_by_a_killed_gateway_are_all_delivered_by_a_worker(
    own_database_url: str, own_services: Services, receiver: CallbackReceiver, tmp_path: Path
) -> None:
    creds = await callback_shop(own_services, receiver.url)
    # a gateway whose background work is left to workers: nothing is sent meanwhile
    gateway = start_gateway(
        own_database_url, tmp_path / "serve", extra_env={"ECOMGATE_BACKGROUND": "false"}
    )
    api = Api(gateway.base_url, creds)
    try:
        paid = []
        for _ in range(3):
            order = await api.call(
                "registerPreAuth", amount=3000, returnUrl="https://shop.example/ok"
            )
            assert (await pay(api, order["orderId"], "4563960122001999", "347"))["errorCode"] == "0"
            await api.call("deposit", orderId=order["orderId"], amount=0)
            await api.call("refund", orderId=order["orderId"], amount=1000)
            paid.append(order["orderId"])
    finally:
        await api.aclose()
        gateway.process.send_signal(signal.SIGKILL)
        gateway.process.wait()
    assert receiver.received == []

    worker = start_command(["worker"], own_database_url, tmp_path / "worker", extra_env=FAST)
    try:
        got = await receiver.wait_for(9, timeout=20)
    finally:
        worker.stop()  # before counting: a late duplicate would have arrived by now
    assert sorted((r.params["mdOrder"], r.params["operation"]) for r in got) == sorted(
        (order_id, op) for order_id in paid for op in ("approved", "deposited", "refunded")
    )
    assert all(verify_checksum(r.params, SECRET) for r in got)
    assert len(receiver.received) == 9  # none twice
    for order_id in paid:  # each order's callbacks in the order of its operations
        mine = [r.params["operation"] for r in got if r.params["mdOrder"] == order_id]
        assert mine == ["approved", "deposited", "refunded"]


async def test_listen_forwards_a_merchants_callbacks_to_a_local_handler(
    own_database_url: str, own_services: Services, receiver: CallbackReceiver, tmp_path: Path
) -> None:
    # the merchant's real callback URL is elsewhere (here: none); the laptop gets them all
    creds = await callback_shop(own_services, "")
    listener = start_command(
        ["listen", "--merchant", creds.login, "--forward-to", receiver.url, "--interval", "0.05"],
        own_database_url,
        tmp_path / "listen",
    )
    gateway = start_gateway(own_database_url, tmp_path / "serve", extra_env=FAST)
    api = Api(gateway.base_url, creds)
    try:
        Startup("listen", listener.process, listener.log).logged("forwarding callbacks of")
        order = await api.register(amount=2500)
        assert (await pay(api, order["orderId"], "4563960122001999", "347"))["errorCode"] == "0"
        [forwarded] = await receiver.wait_for(1, timeout=20)
        Startup("listen", listener.process, listener.log).logged("-> 200")
    finally:
        await api.aclose()
        gateway.stop()
        listener.stop()
    assert (forwarded.params["mdOrder"], forwarded.params["operation"]) == (
        order["orderId"],
        "deposited",
    )
    assert verify_checksum(forwarded.params, SECRET)  # signed as the gateway signs them
    line = next(out for out in listener.log().splitlines() if "-> 200" in out)
    assert "deposited" in line and order["orderId"] in line
