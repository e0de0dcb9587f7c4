"""Helpers for the card-payment API tests: the card form, a buyer's trip through the
emulated ACS pages, and a look at the order's ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from ecomgate.domain.operations import Operation, OperationKind, OperationState
from ecomgate.domain.order import Order
from ecomgate.services.context import Services
from ecomgate.testing.buyer import card_fields, parse_form

from ..support import Api

#: a card expiry that stays in the future whenever the suite runs
FUTURE_YEAR = str(datetime.now(UTC).year + 3)
PAST_YEAR = str(datetime.now(UTC).year - 1)
NAME = "TEST CARDHOLDER"


def card(
    pan: str,
    cvc: str = "123",
    *,
    year: str = FUTURE_YEAR,
    month: str = "12",
    name: str = NAME,
) -> dict[str, str]:
    """The card fields as the hosted page (and paymentorder.do) send them (spec §3.9)."""
    return card_fields(pan, cvc, year, month, name)


async def pay(api: Api, order_id: str, pan: str, cvc: str = "123", **fields: str) -> dict[str, Any]:
    """paymentorder.do for ``order_id``; ``fields`` override card fields or add others."""
    form = {"MDORDER": order_id, **card(pan, cvc), **fields}
    return await api.call("paymentorder", **form)


@dataclass(frozen=True)
class AcsReturn:
    """What the ACS page's auto-submit form would post to the gateway's termUrl."""

    term_url: str
    fields: dict[str, str]
    pages: tuple[str, ...]  # every ACS page body seen on the way


async def through_acs(
    http: httpx.AsyncClient, order_id: str, answer: dict[str, Any], password: str
) -> AcsReturn:
    """Do what a browser does with a 3-D Secure answer of paymentorder.do: POST PaReq, MD
    and TermUrl to acsUrl, submit the password form as the page builds it, and read the
    auto-submitting form that would carry PaRes and MD to termUrl."""
    challenge = await http.post(
        answer["acsUrl"],
        data={"PaReq": answer["paReq"], "MD": order_id, "TermUrl": answer["termUrl"]},
    )
    assert challenge.status_code == 200, challenge.text
    form = parse_form(challenge.text, answer["acsUrl"])
    assert {"PaReq", "MD", "TermUrl", "password"} <= set(form.fields)
    submitted = await http.post(
        form.action, data={**form.fields, "password": password, "action": "submit"}
    )
    assert submitted.status_code == 200, submitted.text
    back = parse_form(submitted.text, form.action)
    assert set(back.fields) == {"PaRes", "MD"}
    return AcsReturn(back.action, back.fields, (challenge.text, submitted.text))


async def stored_order(services: Services, order_id: str) -> Order:
    """The order as the database holds it (no reader has expired it on the way)."""
    async with services.store.transaction() as tx:
        order = await tx.orders.get(order_id)
    assert order is not None
    return order


async def ledger(services: Services, order_id: str) -> list[Operation]:
    return (await stored_order(services, order_id)).operations


def approved_authorizations(operations: list[Operation]) -> list[Operation]:
    return [
        op
        for op in operations
        if op.kind is OperationKind.AUTHORIZATION and op.state is OperationState.APPROVED
    ]


async def expire_now(api: Api, order_id: str) -> None:
    """The sandbox control that ends an order's lifetime now (no waiting in tests)."""
    assert api.credentials is not None
    response = await api.http.post(f"/sandbox/orders/{order_id}/expire", data=api.credentials.auth)
    assert response.json()["errorCode"] == "0", response.text
