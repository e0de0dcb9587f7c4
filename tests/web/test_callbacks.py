"""Callbacks as a shop receives them (spec §4): a real HTTP receiver on 127.0.0.1, the
real app in-process, the dispatcher driven by the test (``drain``) and the clock moved
instead of waiting for retries.  Every checksum is checked with this file's own HMAC code
and every RSA signature with ``cryptography`` directly."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ecomgate import callbacks as shop_side
from ecomgate.notifications.destinations import DestinationPolicy
from ecomgate.notifications.dispatcher import DeliveryConfig, Dispatcher
from ecomgate.notifications.keys import callback_key
from ecomgate.services import expiry
from ecomgate.services import merchants as merchant_service
from ecomgate.services.context import Services
from ecomgate.testing.receiver import CallbackReceiver, Received

from ..api.paying import pay
from ..support import Api, ShiftableClock, assert_error, make_merchant

SECRET = "ooc7slpvc61k7sf7ma7p4hrefr"
NO_3DS_CARD = "4563960122001999"
NO_3DS_CVC = "347"
DECLINED_CARD = "4444444411111111"  # actionCode 5


def expected_checksum(params: dict[str, str], secret: str) -> str:
    """Spec §4.3 step by step, independently of the gateway's code."""
    names = sorted(k for k in params if k not in ("checksum", "sign_alias"))
    text = "".join(f"{name};{params[name]};" for name in names)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


def signed_text(params: dict[str, str]) -> bytes:
    names = sorted(k for k in params if k not in ("checksum", "sign_alias"))
    return "".join(f"{name};{params[name]};" for name in names).encode()


@pytest.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    async with CallbackReceiver() as running:
        yield running


@pytest.fixture
async def dispatcher(services: Services) -> AsyncIterator[Dispatcher]:
    # sandbox rules: plain http to 127.0.0.1 is what a shop's laptop has
    config = DeliveryConfig(destinations=DestinationPolicy(https_only=False, allow_private=True))
    async with Dispatcher(services, config) as running:
        yield running


async def shop(
    services: Services, http: httpx.AsyncClient, receiver: CallbackReceiver, **settings: Any
) -> Api:
    """A merchant with callbacks to ``receiver``, set as ``ecomgate merchant update``
    does; the API client speaks as that merchant."""
    creds = await make_merchant(services, permissions=("card-payment-api", "reverse-deposited"))
    await merchant_service.update_merchant(
        services,
        creds.login,
        settings={"callback_url": receiver.url, "callback_secret": SECRET, **settings},
    )
    return Api(http, creds)


def auth(api: Api) -> dict[str, str]:
    assert api.credentials is not None
    return api.credentials.auth


def login(api: Api) -> str:
    assert api.credentials is not None
    return api.credentials.login


async def callbacks_of(api: Api, order_id: str) -> list[dict[str, Any]]:
    """The order's callbacks with their delivery logs, as the sandbox API shows them."""
    answer = await api.http.get(f"/sandbox/orders/{order_id}/callbacks", params=auth(api))
    body = answer.json()
    assert body["errorCode"] == "0", body
    entries: list[dict[str, Any]] = body["callbacks"]
    return entries


def ops(received: list[Received]) -> list[tuple[str, str]]:
    return [(r.params["operation"], r.params["status"]) for r in received]


async def paid(api: Api, *, two_phase: bool = False, amount: int = 5000) -> str:
    method = "registerPreAuth" if two_phase else "register"
    order = await api.call(method, amount=amount, returnUrl="https://shop.example/ok")
    answer = await pay(api, order["orderId"], NO_3DS_CARD, NO_3DS_CVC)
    assert answer["errorCode"] == "0", answer
    return str(order["orderId"])


async def test_a_hold_its_capture_and_two_refunds_arrive_signed_and_in_order(
    services: Services,
    http: httpx.AsyncClient,
    receiver: CallbackReceiver,
    dispatcher: Dispatcher,
) -> None:
    api = await shop(
        services,
        http,
        receiver,
        callback_params="amount,currency,depositedAmount,refundedAmount,maskedPan,paymentState",
    )
    order_id = await paid(api, two_phase=True)
    assert (await api.call("deposit", orderId=order_id, amount=0))["errorCode"] == "0"
    await api.call("refund", orderId=order_id, amount=1500, externalRefundId="r-1")
    await api.call("refund", orderId=order_id, amount=0)
    await dispatcher.drain()

    got = await receiver.wait_for(4)
    assert ops(got) == [("approved", "1"), ("deposited", "1"), ("refunded", "1"), ("refunded", "1")]
    for callback in got:
        assert callback.method == "GET"
        assert callback.params["mdOrder"] == order_id
        assert callback.params["checksum"] == expected_checksum(callback.params, SECRET)
        assert callback.params["sign_alias"]
        assert shop_side.verify_checksum(callback.params, SECRET)
    approved, deposited, first_refund, second_refund = (c.params for c in got)
    # each callback reports the order as its own operation left it
    assert (approved["paymentState"], approved["depositedAmount"]) == ("APPROVED", "0")
    assert (deposited["paymentState"], deposited["depositedAmount"]) == ("DEPOSITED", "5000")
    assert first_refund["refundedAmount"] == "1500"
    assert (first_refund["operationRefundedAmount"], first_refund["externalRefundId"]) == (
        "1500",
        "r-1",
    )
    assert second_refund["operationRefundedAmount"] == "3500"
    assert "externalRefundId" not in second_refund
    assert approved["maskedPan"] == "456396**1999"
    assert (approved["amount"], approved["currency"]) == ("5000", "643")
    # nothing the merchant did not ask for
    assert "approvalCode" not in approved and "ip" not in approved


async def test_a_reversal_and_an_expiry_each_arrive(
    services: Services,
    http: httpx.AsyncClient,
    receiver: CallbackReceiver,
    dispatcher: Dispatcher,
    clock: ShiftableClock,
) -> None:
    api = await shop(services, http, receiver)
    held = await paid(api, two_phase=True)
    assert (await api.call("reverse", orderId=held))["errorCode"] == "0"
    unpaid = (await api.register(sessionTimeoutSecs=60))["orderId"]
    clock.advance(61)
    await expiry.sweep(services)
    await dispatcher.drain()

    got = await receiver.wait_for(3)
    by_order = {(r.params["mdOrder"], r.params["operation"]) for r in got}
    assert by_order == {(held, "approved"), (held, "reversed"), (unpaid, "declinedByTimeout")}
    assert all(shop_side.verify_checksum(r.params, SECRET) for r in got)


async def test_post_mode_sends_the_same_parameters_as_a_form_body(
    services: Services,
    http: httpx.AsyncClient,
    receiver: CallbackReceiver,
    dispatcher: Dispatcher,
) -> None:
    api = await shop(services, http, receiver, callback_method="post")
    order_id = await paid(api)
    await dispatcher.drain()
    [callback] = await receiver.wait_for(1)
    assert callback.method == "POST"
    assert callback.query == {}
    assert callback.headers["content-type"] == "application/x-www-form-urlencoded"
    assert (callback.form["mdOrder"], callback.form["operation"]) == (order_id, "deposited")
    assert callback.form["checksum"] == expected_checksum(callback.form, SECRET)


async def test_rsa_signed_callbacks_verify_with_the_certificate_under_sha512_only(
    services: Services,
    http: httpx.AsyncClient,
    receiver: CallbackReceiver,
    dispatcher: Dispatcher,
) -> None:
    api = await shop(services, http, receiver, callback_signing="rsa")
    await paid(api)
    await dispatcher.drain()
    [callback] = await receiver.wait_for(1)

    merchant = await merchant_service.get_merchant(services, login(api))
    certificate = (await callback_key(services, merchant)).certificate_pem
    public_key = x509.load_pem_x509_certificate(certificate.encode()).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    signature = bytes.fromhex(callback.params["checksum"])
    assert callback.params["checksum"] == callback.params["checksum"].upper()
    text = signed_text(callback.params)
    public_key.verify(signature, text, padding.PKCS1v15(), hashes.SHA512())
    with pytest.raises(InvalidSignature):
        public_key.verify(signature, text, padding.PKCS1v15(), hashes.SHA256())
    assert shop_side.verify_signature(callback.params, certificate)
    assert not shop_side.verify_signature(callback.params | {"status": "0"}, certificate)


async def test_a_receiver_that_fails_twice_gets_the_callback_on_the_third_attempt(
    services: Services,
    http: httpx.AsyncClient,
    receiver: CallbackReceiver,
    dispatcher: Dispatcher,
    clock: ShiftableClock,
) -> None:
    api = await shop(services, http, receiver)
    order_id = await paid(api)
    receiver.answer(500, 500)
    await dispatcher.drain()
    await dispatcher.drain()
    assert [r.answered for r in receiver.received] == [500]  # the retry waits 30 s
    clock.advance(30)
    await dispatcher.drain()
    clock.advance(30)
    await dispatcher.drain()

    [callback] = await receiver.wait_for(1)
    assert callback.params["operation"] == "deposited"
    assert [r.answered for r in receiver.received] == [500, 500, 200]
    # the delivery log, as the sandbox API shows it
    [entry] = await callbacks_of(api, order_id)
    assert (entry["operation"], entry["state"], entry["attempts"]) == ("deposited", "delivered", 3)
    assert [(d["attempt"], d["httpStatus"], d["error"]) for d in entry["deliveries"]] == [
        (1, 500, "HTTP 500"),
        (2, 500, "HTTP 500"),
        (3, 200, None),
    ]
    assert all(d["latencyMs"] >= 0 and d["url"] == receiver.url for d in entry["deliveries"])
    assert entry["params"]["checksum"] == expected_checksum(entry["params"], SECRET)


async def test_a_callback_whose_retries_are_used_up_is_failed_until_resent(
    services: Services,
    http: httpx.AsyncClient,
    receiver: CallbackReceiver,
    dispatcher: Dispatcher,
    clock: ShiftableClock,
) -> None:
    api = await shop(services, http, receiver)
    order_id = await paid(api)
    receiver.answer(503, 503, 503, 503)
    for _ in range(4):  # the first attempt and three retries, 30 s apart
        await dispatcher.drain()
        clock.advance(30)
    await dispatcher.drain()
    assert [r.answered for r in receiver.received] == [503, 503, 503, 503]  # no fifth
    creds = auth(api)
    [entry] = await callbacks_of(api, order_id)
    assert (entry["state"], entry["attempts"], entry["lastError"]) == ("failed", 4, "HTTP 503")

    resent = (await api.http.post(f"/sandbox/callbacks/{entry['id']}/resend", data=creds)).json()
    assert resent["errorCode"] == "0", resent
    assert (resent["delivery"]["origin"], resent["delivery"]["httpStatus"]) == ("resend", 200)
    [entry] = await callbacks_of(api, order_id)
    assert entry["state"] == "delivered"
    assert len(entry["deliveries"]) == 5


async def test_another_merchants_callback_cannot_be_resent(
    services: Services,
    http: httpx.AsyncClient,
    receiver: CallbackReceiver,
    dispatcher: Dispatcher,
) -> None:
    owner = await shop(services, http, receiver)
    order_id = await paid(owner)
    await dispatcher.drain()
    [entry] = await callbacks_of(owner, order_id)
    stranger = await shop(services, http, receiver)
    answer = await stranger.http.post(
        f"/sandbox/callbacks/{entry['id']}/resend",
        data=auth(stranger),
    )
    assert_error(answer.json(), "6", "unknown_callback", event_id=entry["id"])


async def test_declined_payments_are_notified_only_with_failure_callbacks(
    services: Services,
    http: httpx.AsyncClient,
    receiver: CallbackReceiver,
    dispatcher: Dispatcher,
) -> None:
    quiet = await shop(services, http, receiver)
    order = await quiet.register()
    await pay(quiet, order["orderId"], DECLINED_CARD)
    loud = await shop(services, http, receiver, callback_failures=True)
    failing = await loud.register()
    await pay(loud, failing["orderId"], DECLINED_CARD)
    await dispatcher.drain()

    got = await receiver.wait_for(2)
    assert {r.params["mdOrder"] for r in got} == {failing["orderId"]}
    assert ops(got) == [("declinedCardpresent", "0"), ("deposited", "0")]
    logged = await callbacks_of(quiet, order["orderId"])
    assert {(c["state"], c["notSentBecause"]) for c in logged} == {
        ("skipped", "failure callbacks are off for this merchant")
    }


async def test_only_the_chosen_operations_are_sent(
    services: Services,
    http: httpx.AsyncClient,
    receiver: CallbackReceiver,
    dispatcher: Dispatcher,
) -> None:
    api = await shop(services, http, receiver, callback_operations="deposited, refunded")
    order_id = await paid(api, two_phase=True)
    await api.call("deposit", orderId=order_id, amount=0)
    await api.call("refund", orderId=order_id, amount=0)
    await dispatcher.drain()
    assert ops(await receiver.wait_for(2)) == [("deposited", "1"), ("refunded", "1")]
    assert len(receiver.received) == 2


async def test_a_dynamic_callback_url_takes_the_orders_payment_events(
    services: Services,
    http: httpx.AsyncClient,
    receiver: CallbackReceiver,
    dispatcher: Dispatcher,
) -> None:
    api = await shop(services, http, receiver, callback_url="")
    dynamic = receiver.url.replace("/callback", "/orders/42/paid?shop=tea")
    order = await api.register(dynamicCallbackUrl=dynamic)
    await pay(api, order["orderId"], NO_3DS_CARD, NO_3DS_CVC)
    await dispatcher.drain()
    [callback] = await receiver.wait_for(1)
    assert callback.path == "/orders/42/paid"
    # the URL's own query arrives too, and the checksum covers all that arrives
    assert callback.query["shop"] == "tea"
    assert callback.params["checksum"] == expected_checksum(callback.params, SECRET)


async def test_a_hanging_shop_does_not_slow_the_api(
    services: Services,
    http: httpx.AsyncClient,
    receiver: CallbackReceiver,
    dispatcher: Dispatcher,
) -> None:
    api = await shop(services, http, receiver)
    receiver.hold()
    background = asyncio.create_task(dispatcher.run(0.05))
    try:
        order_id = await paid(api)
        await receiver.wait(lambda: receiver.holding == 1, "the callback held by the shop")
        # while the shop still holds the callback open, the API answers as always: well
        # before the callback's own timeout would free anything it might wait for
        async with asyncio.timeout(dispatcher.config.timeout_seconds / 2):
            for _ in range(5):
                registered = await api.register()
                assert "formUrl" in registered
            status = await api.status(order_id)
        assert status["orderStatus"] == 2
        assert receiver.holding == 1
    finally:
        receiver.release()
        background.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await background
    assert receiver.received[0].params["mdOrder"] == order_id


async def test_a_resend_never_overtakes_an_earlier_callback_of_its_order(
    services: Services,
    http: httpx.AsyncClient,
    receiver: CallbackReceiver,
    dispatcher: Dispatcher,
) -> None:
    api = await shop(services, http, receiver)
    order_id = await paid(api, two_phase=True)
    await api.call("deposit", orderId=order_id, amount=0)
    receiver.answer(500)  # the approved callback fails and waits for its retry
    await dispatcher.drain()
    approved, deposited = await callbacks_of(api, order_id)
    assert (approved["state"], deposited["state"]) == ("pending", "pending")
    answer = await api.http.post(f"/sandbox/callbacks/{deposited['id']}/resend", data=auth(api))
    assert_error(answer.json(), "7", "callback_behind_earlier", event_id=deposited["id"])
    assert [r.params["operation"] for r in receiver.received] == ["approved"]


async def test_an_unusable_url_is_a_failed_attempt_not_a_stuck_callback(
    services: Services,
    http: httpx.AsyncClient,
    receiver: CallbackReceiver,
    dispatcher: Dispatcher,
) -> None:
    api = await shop(services, http, receiver)
    # a URL the settings check refuses today, stored before it existed
    merchant = await merchant_service.get_merchant(services, login(api))
    broken = replace(merchant.settings, callback_url="http://127.0.0.1:99999/cb")
    async with services.uow.transaction() as repos:
        await repos.merchants.update(replace(merchant, settings=broken))
    order = await api.register()
    await pay(api, order["orderId"], NO_3DS_CARD, NO_3DS_CVC)
    await dispatcher.drain()
    [entry] = await callbacks_of(api, order["orderId"])
    assert (entry["state"], entry["attempts"]) == ("pending", 1)
    [delivery] = entry["deliveries"]
    assert (delivery["httpStatus"], delivery["error"]) == (
        None,
        "refused: bad URL: Port out of range 0-65535",
    )


async def test_the_sandbox_changes_state_on_post_only(http: httpx.AsyncClient, api: Api) -> None:
    order = await api.register()
    answer = await http.get(f"/sandbox/orders/{order['orderId']}/expire", params=auth(api))
    assert answer.status_code == 405
    assert answer.json() == {"errorCode": "7", "errorMessage": "Method GET not allowed"}
    assert (await api.status(order["orderId"]))["orderStatus"] == 0
