"""A gateway killed with SIGKILL between reserving an authorization and recording the
acquirer's answer: after a restart the reconciler settles the order as the acquirer says,
on both engines.  Nothing is left PENDING."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from ecomgate.domain.operations import OperationState
from ecomgate.services.context import Services
from ecomgate.testing.processes import start_gateway

from ..support import Api, MerchantCredentials
from .paying import pay, stored_order

#: the emulator holds every call this long: time enough to kill the gateway meanwhile
SLOW_EMULATOR = {"ECOMGATE_EMULATOR_LATENCY_MS": "60000", "ECOMGATE_SWEEP_INTERVAL": "3600"}
#: after the restart: answer at once, ask about unknown answers at once, sweep often
RECOVERING = {
    "ECOMGATE_EMULATOR_LATENCY_MS": "0",
    "ECOMGATE_ACQUIRER_TIMEOUT_MS": "200",
    "ECOMGATE_RECONCILE_AFTER_MS": "0",
    "ECOMGATE_SWEEP_INTERVAL": "0.05",
}


async def _until_pending(services: Services, order_id: str) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            order = await stored_order(services, order_id)
            if order.operations and order.operations[0].state is OperationState.PENDING:
                return
        except AssertionError:  # not stored yet
            pass
        assert time.monotonic() < deadline, "the authorization was never reserved"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize(
    ("pan", "cvc", "status", "action_code"),
    [("4563960122001999", "347", 2, 0), ("4444444411111111", "123", 6, 5)],
    ids=["approved", "declined"],
)
async def test_a_payment_cut_off_by_sigkill_is_settled_after_the_restart(
    database_url: str,
    services: Services,
    merchant: MerchantCredentials,
    tmp_path: Path,
    pan: str,
    cvc: str,
    status: int,
    action_code: int,
) -> None:
    gateway = start_gateway(database_url, tmp_path / "first", extra_env=SLOW_EMULATOR)
    api = Api(gateway.base_url, merchant)
    try:
        order_id = (await api.register())["orderId"]
        paying = asyncio.ensure_future(pay(api, order_id, pan, cvc))
        await _until_pending(services, order_id)
        gateway.process.kill()  # SIGKILL: no shutdown, the answer is never recorded
        gateway.process.wait(timeout=10)
        with pytest.raises(Exception):  # noqa: B017 - the connection is simply cut
            await paying
    finally:
        gateway.stop()
        await api.aclose()

    restarted = start_gateway(database_url, tmp_path / "second", extra_env=RECOVERING)
    api = Api(restarted.base_url, merchant)
    try:
        deadline = time.monotonic() + 15
        while True:
            body = await api.status(order_id)
            if body["orderStatus"] != 0:
                break
            assert time.monotonic() < deadline, f"still unsettled after the restart: {body}"
            await asyncio.sleep(0.05)
        assert (body["orderStatus"], body["actionCode"]) == (status, action_code)
        order = await stored_order(services, order_id)
        assert all(op.state is not OperationState.PENDING for op in order.operations)
    finally:
        restarted.stop()
        await api.aclose()
