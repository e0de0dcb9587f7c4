"""The emulator's fault knob, set from the environment: a shop can see how its back office
copes when the processing declines a capture or a refund."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ecomgate.services.context import Services
from ecomgate.testing.processes import GatewayProcess, start_gateway

from ..support import Api, make_merchant
from .paying import pay


@pytest.fixture(scope="module")
def failing_gateway(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    process = start_gateway(
        database_url,
        Path(tmp_path_factory.mktemp("failing")),
        extra_env={"ECOMGATE_EMULATOR_FAIL_OPERATIONS": "true"},
    )
    yield process
    process.stop()


@pytest.fixture
async def failing_api(failing_gateway: GatewayProcess, services: Services) -> AsyncIterator[Api]:
    client = Api(failing_gateway.base_url, await make_merchant(services))
    yield client
    await client.aclose()


async def test_a_declined_capture_keeps_the_hold_and_says_why(failing_api: Api) -> None:
    order = await failing_api.call(
        "registerPreAuth", amount=2000, returnUrl="https://shop.example/ok"
    )
    await pay(failing_api, order["orderId"], "4563960122001999", "347")
    answer = await failing_api.call("deposit", orderId=order["orderId"], amount=0)
    assert answer["errorCode"] == "7"
    assert "actionCode 5" in answer["errorMessage"]
    status = await failing_api.status(order["orderId"])
    assert status["orderStatus"] == 1
    assert status["paymentAmountInfo"]["depositedAmount"] == 0


async def test_a_declined_refund_leaves_the_money_deposited(failing_api: Api) -> None:
    order = await failing_api.register(amount=2000)
    await pay(failing_api, order["orderId"], "4563960122001999", "347")
    answer = await failing_api.call("refund", orderId=order["orderId"], amount=500)
    assert answer["errorCode"] == "7"
    status = await failing_api.status(order["orderId"])
    assert status["orderStatus"] == 2
    assert status["paymentAmountInfo"]["depositedAmount"] == 2000
    assert "refunds" not in status
