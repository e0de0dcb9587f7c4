"""The sandbox controls a shop's test suite drives: merchants of its own, a clock per
merchant, chaos per merchant, a reset — over HTTP, in-process, as a test suite calls them."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ecomgate.notifications.destinations import DestinationPolicy
from ecomgate.notifications.dispatcher import DeliveryConfig, Dispatcher
from ecomgate.services.context import Services
from ecomgate.testing.receiver import CallbackReceiver

from ..api.paying import pay
from ..support import Api, MerchantCredentials, assert_error
from .conftest import SANDBOX_TOKEN

GOOD_CARD, GOOD_CVC = "4563960122001999", "347"


async def sandbox(http: httpx.AsyncClient, path: str, **form: Any) -> dict[str, Any]:
    answer = await http.post(f"/sandbox/{path}", data=form)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def new_shop(http: httpx.AsyncClient, **settings: Any) -> Api:
    """A merchant made as a test suite makes one: with the sandbox key."""
    settings.setdefault("language", "en")
    body = await sandbox(
        http,
        "merchants",
        sandboxToken=SANDBOX_TOKEN,
        login=f"suite-{secrets.token_hex(4)}",
        **settings,
    )
    assert body["errorCode"] == "0", body
    return Api(http, MerchantCredentials(body["userName"], body["password"]))


def auth(api: Api) -> dict[str, str]:
    assert api.credentials is not None
    return api.credentials.auth


@pytest.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    async with CallbackReceiver() as running:
        yield running


@pytest.fixture
async def dispatcher(services: Services) -> AsyncIterator[Dispatcher]:
    config = DeliveryConfig(
        destinations=DestinationPolicy(https_only=False, allow_private=True), sandbox_chaos=True
    )
    async with Dispatcher(services, config) as running:
        yield running


async def test_a_test_suite_makes_its_own_merchant_and_uses_it_at_once(
    http: httpx.AsyncClient,
) -> None:
    shop = await new_shop(http, callback_url="https://shop.example/cb", max_attempts="3")
    order = await shop.register()
    assert set(order) == {"orderId", "formUrl"}
    paid = await pay(shop, order["orderId"], GOOD_CARD, GOOD_CVC)  # card-payment-api granted
    assert paid["errorCode"] == "0"


async def test_merchants_are_made_only_with_the_sandbox_key(http: httpx.AsyncClient) -> None:
    wrong = await sandbox(http, "merchants", sandboxToken="guess", login="intruder", language="en")
    assert_error(wrong, "5", "access_denied")
    missing = await sandbox(http, "merchants", sandboxToken=SANDBOX_TOKEN, language="en")
    assert_error(missing, "4", "missing_parameter", name="login")


async def test_one_merchants_clock_moves_and_nobody_elses(
    http: httpx.AsyncClient, receiver: CallbackReceiver, dispatcher: Dispatcher
) -> None:
    mine = await new_shop(http, callback_url=receiver.url)
    theirs = await new_shop(http, callback_url=receiver.url)
    my_order = (await mine.register(sessionTimeoutSecs=1200))["orderId"]
    their_order = (await theirs.register(sessionTimeoutSecs=1200))["orderId"]

    moved = await sandbox(http, "clock/advance", seconds=1200, **auth(mine))
    assert (moved["errorCode"], moved["clockOffsetSeconds"]) == ("0", 1200)
    await dispatcher.drain()

    mine_now = await mine.status(my_order)
    assert (mine_now["orderStatus"], mine_now["actionCode"]) == (6, -2007)
    assert (await theirs.status(their_order))["orderStatus"] == 0
    [callback] = await receiver.wait_for(1)
    assert (callback.params["mdOrder"], callback.params["operation"]) == (
        my_order,
        "declinedByTimeout",
    )
    shown = await http.get("/sandbox/clock", params=auth(mine))
    assert shown.json()["clockOffsetSeconds"] == 1200


async def test_a_chosen_action_code_declines_the_next_operations_only(
    http: httpx.AsyncClient,
) -> None:
    shop = await new_shop(http, max_attempts="3")
    chaos = await sandbox(http, "chaos", actionCode=116, actionCodeCount=1, **auth(shop))
    assert chaos["chaos"]["actionCode"] == 116
    order = (await shop.register())["orderId"]
    await pay(shop, order, GOOD_CARD, GOOD_CVC)
    declined = await shop.status(order)
    assert (declined["orderStatus"], declined["actionCode"]) == (0, 116)  # attempts left
    await pay(shop, order, GOOD_CARD, GOOD_CVC)
    assert (await shop.status(order))["orderStatus"] == 2
    other = await new_shop(http)  # chaos is per merchant
    assert (await sandbox(http, "chaos", **auth(other)))["chaos"]["actionCode"] is None


async def test_a_refund_under_an_injected_timeout_is_settled_by_the_reconciler(
    http: httpx.AsyncClient,
) -> None:
    shop = await new_shop(http)
    order = (await shop.register(amount=3000))["orderId"]
    await pay(shop, order, GOOD_CARD, GOOD_CVC)
    await sandbox(http, "chaos", acquirerTimeout="true", **auth(shop))
    refund = await shop.call("refund", orderId=order, amount=1000)
    assert_error(refund, "7", "acquirer_pending")
    pending = await shop.status(order)
    assert pending["paymentAmountInfo"]["refundedAmount"] == 0  # not counted as done

    await sandbox(http, "chaos/clear", **auth(shop))
    await sandbox(http, "clock/advance", seconds=120, **auth(shop))  # the reconciler's turn
    settled = await shop.status(order)
    assert (settled["orderStatus"], settled["paymentAmountInfo"]["refundedAmount"]) == (4, 1000)


async def test_callbacks_dropped_or_delayed_on_demand(
    http: httpx.AsyncClient, receiver: CallbackReceiver, dispatcher: Dispatcher
) -> None:
    dropped = await new_shop(http, callback_url=receiver.url)
    await sandbox(http, "chaos", callbacks="drop", **auth(dropped))
    lost = (await dropped.register())["orderId"]
    await pay(dropped, lost, GOOD_CARD, GOOD_CVC)
    delayed = await new_shop(http, callback_url=receiver.url)
    await sandbox(http, "chaos", callbacks="delay", callbackDelaySeconds=300, **auth(delayed))
    late = (await delayed.register())["orderId"]
    await pay(delayed, late, GOOD_CARD, GOOD_CVC)
    await dispatcher.drain()
    assert receiver.received == []
    log = await http.get(f"/sandbox/orders/{lost}/callbacks", params=auth(dropped))
    assert log.json()["callbacks"][0]["lastError"] == "dropped by sandbox chaos"

    await sandbox(http, "clock/advance", seconds=300, **auth(delayed))
    await dispatcher.drain()
    [callback] = await receiver.wait_for(1)
    assert callback.params["mdOrder"] == late


async def test_a_reset_forgets_the_merchants_orders_but_not_the_merchant(
    http: httpx.AsyncClient,
) -> None:
    shop = await new_shop(http)
    order = (await shop.register())["orderId"]
    await sandbox(http, "clock/advance", seconds=60, **auth(shop))
    reset = await sandbox(http, "reset", **auth(shop))
    assert (reset["errorCode"], reset["ordersDeleted"]) == ("0", 1)
    assert_error(await shop.status(order), "6", "order_not_found")
    assert (await http.get("/sandbox/clock", params=auth(shop))).json()["clockOffsetSeconds"] == 0
    assert "formUrl" in await shop.register()


async def test_chaos_of_one_merchant_never_touches_another_merchants_payments(
    http: httpx.AsyncClient,
) -> None:
    noisy = await new_shop(http)
    await sandbox(http, "chaos", actionCode=116, actionCodeCount=5, **auth(noisy))
    quiet = await new_shop(http)
    order = (await quiet.register())["orderId"]
    await pay(quiet, order, GOOD_CARD, GOOD_CVC)
    assert (await quiet.status(order))["orderStatus"] == 2


async def test_a_stored_card_expires_when_its_merchants_clock_passes_its_expiry(
    http: httpx.AsyncClient,
) -> None:
    from datetime import UTC, datetime

    shop = await new_shop(http, permissions="bindings,create-binding-no-payment,auto-payment")
    expiry = f"{datetime.now(UTC).year + 1}12"
    card = await shop.call(
        "createBindingNoPayment", clientId="client-1", pan=GOOD_CARD, expiryDate=expiry
    )
    assert card["errorCode"] == "0", card
    assert len((await shop.call("getBindings", clientId="client-1"))["bindings"]) == 1

    await sandbox(http, "clock/advance", seconds=2 * 366 * 86_400, **auth(shop))

    assert_error(await shop.call("getBindings", clientId="client-1"), "2", "no_bindings")
    shown = await shop.call("getBindings", clientId="client-1", showExpired="true")
    assert [b["bindingId"] for b in shown["bindings"]] == [card["bindingId"]]
    order = await shop.register(clientId="client-1")
    charge = await shop.call(
        "paymentOrderBinding", mdOrder=order["orderId"], bindingId=card["bindingId"], tii="U"
    )
    assert_error(charge, "5", "binding_not_found")
