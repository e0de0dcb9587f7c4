"""Isolation between merchants (issue 16), in-process: every API method and every sandbox
control, called by merchant B with merchant A's order ids, order numbers, binding ids,
client ids and callback ids, answers exactly as it answers for ids that exist nowhere —
and A's data stays as it was."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from ecomgate.services.context import Services

from ..api.paying import card
from ..support import Api, make_merchant
from .test_fuzz_methods import snapshot

PERMISSIONS = (
    "card-payment-api",
    "bindings",
    "auto-payment",
    "verify",
    "create-binding-no-payment",
    "deposit",
    "reverse",
    "refund",
)
PAN, CVC = "4563960122001999", "347"


@dataclass(frozen=True)
class Ids:
    """A merchant's identifiers of each kind (or made-up ones of the same shape)."""

    paid_order: str
    held_order: str
    new_order: str
    order_number: str
    binding: str
    client: str
    callback: str


async def _paid(api: Api, **reg: Any) -> str:
    order_id = str((await api.register(**reg))["orderId"])
    paid = await api.call("paymentorder", MDORDER=order_id, **card(PAN, CVC))
    assert paid["errorCode"] == "0", paid
    return order_id


@pytest.fixture
async def merchant_a(services: Services, http: httpx.AsyncClient) -> tuple[Api, Ids]:
    api = Api(http, await make_merchant(services, permissions=PERMISSIONS))
    client = f"client-{uuid.uuid4().hex[:8]}"
    number = f"A-{uuid.uuid4().hex[:8]}"
    paid = await _paid(api, clientId=client, orderNumber=number)
    binding = (await api.status(paid))["bindingInfo"]["bindingId"]
    body = await api.call("registerPreAuth", amount=2000, returnUrl="https://shop.example/ok")
    held = str(body["orderId"])
    assert (await api.call("paymentorder", MDORDER=held, **card(PAN, CVC)))["errorCode"] == "0"
    new = str((await api.register())["orderId"])
    assert api.credentials is not None
    callbacks = await http.post(f"/sandbox/orders/{paid}/callbacks", data=api.credentials.auth)
    callback = callbacks.json()["callbacks"][0]["id"]
    return api, Ids(paid, held, new, number, binding, client, callback)


def made_up() -> Ids:
    return Ids(
        paid_order=str(uuid.uuid4()),
        held_order=str(uuid.uuid4()),
        new_order=str(uuid.uuid4()),
        order_number=f"A-{uuid.uuid4().hex[:8]}",
        binding=str(uuid.uuid4()),
        client=f"client-{uuid.uuid4().hex[:8]}",
        callback=str(uuid.uuid4()),
    )


Call = Callable[[Ids], tuple[str, str, dict[str, str]]]  # (HTTP method, path, params)

API_CALLS: dict[str, Call] = {
    "getOrderStatusExtended by orderId": lambda i: (
        "POST",
        "getOrderStatusExtended",
        {"orderId": i.paid_order},
    ),
    "getOrderStatusExtended by orderNumber": lambda i: (
        "POST",
        "getOrderStatusExtended",
        {"orderNumber": i.order_number},
    ),
    "getOrderStatus": lambda i: ("POST", "getOrderStatus", {"orderId": i.paid_order}),
    "deposit": lambda i: ("POST", "deposit", {"orderId": i.held_order, "amount": "0"}),
    "reverse": lambda i: ("POST", "reverse", {"orderId": i.held_order}),
    "refund": lambda i: ("POST", "refund", {"orderId": i.paid_order, "amount": "100"}),
    "refund by orderNumber": lambda i: (
        "POST",
        "refund",
        {"orderNumber": i.order_number, "amount": "100"},
    ),
    "decline": lambda i: ("POST", "decline", {"orderId": i.new_order}),
    "decline by orderNumber": lambda i: ("POST", "decline", {"orderNumber": i.order_number}),
    "paymentorder": lambda i: ("POST", "paymentorder", {"MDORDER": i.new_order, **card(PAN, CVC)}),
    "addParams": lambda i: (
        "POST",
        "addParams",
        {"orderId": i.new_order, "params": json.dumps({"a": "b"})},
    ),
    "getBindings": lambda i: ("POST", "getBindings", {"clientId": i.client}),
    "getBindingsByCardOrId": lambda i: ("POST", "getBindingsByCardOrId", {"bindingId": i.binding}),
    "unBindCard": lambda i: ("POST", "unBindCard", {"bindingId": i.binding}),
    "bindCard": lambda i: ("POST", "bindCard", {"bindingId": i.binding}),
    "extendBinding": lambda i: (
        "POST",
        "extendBinding",
        {"bindingId": i.binding, "newExpiry": "203512"},
    ),
    "paymentOrderBinding with A's order": lambda i: (
        "POST",
        "paymentOrderBinding",
        {"mdOrder": i.new_order, "bindingId": i.binding, "cvc": CVC},
    ),
}
SANDBOX_CALLS: dict[str, Call] = {
    "expire": lambda i: ("POST", f"/sandbox/orders/{i.new_order}/expire", {}),
    "callbacks": lambda i: ("POST", f"/sandbox/orders/{i.paid_order}/callbacks", {}),
    "resend": lambda i: ("POST", f"/sandbox/callbacks/{i.callback}/resend", {}),
}


def _without(text: str, ids: Ids) -> str:
    """The answer with the ids it echoes replaced, so answers for two ids compare."""
    for value in vars(ids).values():
        text = text.replace(value, "<id>")
    return text


@pytest.mark.parametrize("case", sorted({**API_CALLS, **SANDBOX_CALLS}))
async def test_another_merchants_ids_are_answered_exactly_as_not_found(
    http: httpx.AsyncClient,
    services: Services,
    merchant_a: tuple[Api, Ids],
    case: str,
) -> None:
    a, ids = merchant_a
    b = await make_merchant(services, permissions=PERMISSIONS)
    call = {**API_CALLS, **SANDBOX_CALLS}[case]
    assert a.credentials is not None
    before = await snapshot(services, a.credentials.login)
    answers = []
    for which in (ids, made_up()):
        http_method, target, params = call(which)
        path = target if target.startswith("/") else f"/payment/rest/{target}.do"
        response = await http.request(
            http_method, path, data={**b.auth, "language": "en", **params}
        )
        assert response.status_code == 200, response.text
        answers.append(_without(response.text, which))
    assert answers[0] == answers[1], case
    assert json.loads(answers[0]).get("errorCode", json.loads(answers[0]).get("ErrorCode")) != "0"
    assert await snapshot(services, a.credentials.login) == before


async def test_register_with_another_merchants_binding_is_as_with_none(
    http: httpx.AsyncClient, services: Services, merchant_a: tuple[Api, Ids]
) -> None:
    _, ids = merchant_a
    b = Api(http, await make_merchant(services, permissions=PERMISSIONS))
    foreign = await b.register(clientId=ids.client, bindingId=ids.binding, language="en")
    unknown = await b.register(clientId=ids.client, bindingId=str(uuid.uuid4()), language="en")
    assert foreign == unknown and foreign["errorCode"] == "5"
