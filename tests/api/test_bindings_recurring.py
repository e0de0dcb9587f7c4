"""The recurring-payment flow over HTTP against a real ``ecomgate serve``, on both engines:
a first payment with ``clientId`` stores the card, then merchant-initiated charges by
``bindingId``; a customer-initiated charge with a 3-D Secure card goes through the emulated
ACS and is paid; unbinding stops the charges, binding again resumes them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from ecomgate.services.context import Services
from ecomgate.testing.processes import GatewayProcess

from ..support import Api, make_merchant
from .paying import pay, through_acs

PERMISSIONS = ("card-payment-api", "bindings", "auto-payment")


async def test_first_payment_then_merchant_initiated_charges(
    gateway: GatewayProcess, services: Services
) -> None:
    api = Api(gateway.base_url, await make_merchant(services, permissions=PERMISSIONS))
    try:
        client = f"subscriber-{uuid.uuid4().hex[:8]}"
        first = await api.register(clientId=client, amount=4900)
        assert (await pay(api, first["orderId"], "4563960122001999", "347"))["errorCode"] == "0"
        status = await api.status(first["orderId"])
        assert status["orderStatus"] == 2
        binding_id = status["bindingInfo"]["bindingId"]

        async def charge(amount: int) -> dict[str, Any]:
            order = await api.register(clientId=client, amount=amount)
            answer = await api.call(
                "paymentOrderBinding", mdOrder=order["orderId"], bindingId=binding_id, tii="R"
            )
            return answer | {"status": await api.status(order["orderId"])}

        for month in range(3):
            charged = await charge(4900 + month)
            assert charged["errorCode"] == "0", charged
            assert charged["status"]["orderStatus"] == 2
            assert charged["status"]["paymentAmountInfo"]["depositedAmount"] == 4900 + month
            assert charged["status"]["bindingInfo"]["bindingId"] == binding_id

        listed = await api.call("getBindings", clientId=client)
        assert [b["bindingId"] for b in listed["bindings"]] == [binding_id]
        assert (await api.call("unBindCard", bindingId=binding_id))["errorCode"] == "0"
        refused = await charge(100)
        assert refused["errorCode"] == "5", refused
        assert refused["status"]["orderStatus"] == 0
        assert (await api.call("bindCard", bindingId=binding_id))["errorCode"] == "0"
        assert (await charge(100))["status"]["orderStatus"] == 2
        # nor does the gateway's log hold the card number
        assert "4563960122001999" not in gateway.log()
    finally:
        await api.aclose()


async def test_customer_initiated_binding_payment_with_3ds(
    gateway: GatewayProcess, services: Services
) -> None:
    api = Api(gateway.base_url, await make_merchant(services, permissions=PERMISSIONS))
    try:
        client = f"buyer-{uuid.uuid4().hex[:8]}"
        async with httpx.AsyncClient(timeout=30) as browser:

            async def through_3ds(order_id: str, answer: dict[str, Any]) -> None:
                assert "acsUrl" in answer, answer
                back = await through_acs(browser, order_id, answer, "12345678")
                finished = await browser.post(back.term_url, data=back.fields)
                assert finished.status_code == 303, finished.text

            # the first payment goes through 3-D Secure (1) too: the card is kept meanwhile
            first = await api.register(clientId=client)
            await through_3ds(
                first["orderId"], await pay(api, first["orderId"], "4012001038166662")
            )
            status = await api.status(first["orderId"])
            assert status["orderStatus"] == 2, status
            binding_id = status["bindingInfo"]["bindingId"]
            order = await api.register(clientId=client)
            answer = await api.call(
                "paymentOrderBinding", mdOrder=order["orderId"], bindingId=binding_id, cvc="123"
            )
            await through_3ds(order["orderId"], answer)
        status = await api.status(order["orderId"])
        assert status["orderStatus"] == 2, status
        assert status["bindingInfo"]["bindingId"] == binding_id
    finally:
        await api.aclose()
