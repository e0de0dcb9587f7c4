"""web/api/views.py directly: the wire shapes of getOrderStatusExtended.do (§3.3) and
getOrderStatus.do (§3.4), built from a domain ``Order`` made here — no storage, no HTTP."""

from __future__ import annotations

import dataclasses
from typing import Any

from ecomgate.acquirers.emulator.cards_table import TEST_CARDS
from ecomgate.domain.card_issuers import issuer_of
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.operations import Operation, OperationKind, OperationState
from ecomgate.domain.order import CardSnapshot, Order
from ecomgate.web.api.views import extended_status, short_status

ORDER_ID = "01920000-0000-7000-8000-000000000001"
CREATED_AT = 1_700_000_000_000
CARD = CardSnapshot("456396**1999", "203012", "TEST CARDHOLDER", "VISA")


def an_order(**fields: Any) -> Order:
    """The one place these tests build a domain Order (adapt here when the domain moves)."""
    defaults: dict[str, Any] = {
        "id": ORDER_ID,
        "merchant_id": "m-1",
        "order_number": "N-1",
        "amount": 2000,
        "currency": "643",
        "two_phase": False,
        "created_at": CREATED_AT,
        "expires_at": CREATED_AT + 1_200_000,
        "return_url": "https://shop.example/ok",
    }
    return Order(**(defaults | fields))


def op(kind: OperationKind, amount: int, at: int, **fields: Any) -> Operation:
    return Operation(
        id=f"{kind}-{at}",
        order_id=ORDER_ID,
        kind=kind,
        state=fields.pop("state", OperationState.APPROVED),
        amount=amount,
        created_at=at,
        **fields,
    )


def paid(**fields: Any) -> Order:
    defaults: dict[str, Any] = dict(
        status=OrderStatus.DEPOSITED,
        action_code=0,
        card=CARD,
        ip="203.0.113.7",
        operations=[
            # the authorization's fields live on its ledger row only
            op(
                OperationKind.AUTHORIZATION,
                2000,
                CREATED_AT + 1000,
                approval_code="A1B2C3",
                reference_number="123456789012",
                terminal_id="EMU00001",
                settled_at=CREATED_AT + 1000,
                eci="05",
            ),
            op(OperationKind.DEPOSIT, 2000, CREATED_AT + 1000),
        ],
    )
    return an_order(**(defaults | fields))


def test_a_fresh_order_has_exactly_the_fields_of_an_unpaid_order() -> None:
    body = extended_status(an_order(description="tea"), "en")
    assert body == {
        "errorCode": "0",
        "errorMessage": "Success",
        "orderNumber": "N-1",
        "orderStatus": 0,
        "actionCode": -100,
        "actionCodeDescription": "",
        "amount": 2000,
        "currency": "643",
        "date": CREATED_AT,
        "orderDescription": "tea",
        "merchantOrderParams": [],
        "transactionAttributes": [],
        "attributes": [{"name": "mdOrder", "value": ORDER_ID}],
        "paymentWay": "CARD",
        "paymentAmountInfo": {
            "paymentState": "CREATED",
            "approvedAmount": 0,
            "depositedAmount": 0,
            "refundedAmount": 0,
            "feeAmount": 0,
            "totalAmount": 2000,
        },
        "bankInfo": {"bankName": "", "bankCountryCode": "UNKNOWN", "bankCountryName": "<Unknown>"},
        "chargeback": False,
    }


def test_a_paid_order_shows_its_card_authorisation_and_deposit() -> None:
    body = extended_status(paid(), "en")
    assert body["orderStatus"] == 2 and body["actionCode"] == 0
    assert body["cardAuthInfo"] == {
        "maskedPan": "456396**1999",
        "pan": "456396**1999",
        "expiration": "203012",
        "cardholderName": "TEST CARDHOLDER",
        "paymentSystem": "VISA",
        "product": "Visa Gold",
        "productCategory": "CREDIT",
        "approvalCode": "A1B2C3",
        "secureAuthInfo": {"eci": "05"},
    }
    assert (body["authDateTime"], body["depositedDate"]) == (CREATED_AT + 1000,) * 2
    assert (body["authRefNum"], body["terminalId"], body["ip"]) == (
        "123456789012",
        "EMU00001",
        "203.0.113.7",
    )
    assert body["paymentAmountInfo"]["paymentState"] == "DEPOSITED"
    assert body["paymentAmountInfo"]["depositedAmount"] == 2000
    assert "refunds" not in body and "reversedDate" not in body
    assert body["bankInfo"] == {
        "bankName": "EcomGate Test Bank (Visa)",
        "bankCountryCode": "RU",
        "bankCountryName": "Russia",
    }


def test_a_card_whose_bin_is_not_in_the_issuer_table_has_an_unknown_bank() -> None:
    order = paid()
    assert order.card is not None
    order.card = dataclasses.replace(order.card, masked_pan="220220**0005")
    body = extended_status(order, "en")
    assert body["bankInfo"] == {
        "bankName": "",
        "bankCountryCode": "UNKNOWN",
        "bankCountryName": "<Unknown>",
    }
    assert (body["cardAuthInfo"]["product"], body["cardAuthInfo"]["productCategory"]) == ("", "")


def test_every_test_card_has_its_issuer_in_the_table() -> None:
    """``bankInfo`` and ``cardAuthInfo.product`` are filled for each card of the spec's
    test-card table (issue 11)."""
    for pan in TEST_CARDS:
        issuer = issuer_of(pan)
        assert issuer.country_code != "UNKNOWN", pan
        assert issuer.product and issuer.product_category in ("DEBIT", "CREDIT", "PREPAID"), pan


def test_only_approved_refunds_are_listed_and_the_last_one_dates_the_order() -> None:
    order = paid(status=OrderStatus.REFUNDED)
    order.operations += [
        op(OperationKind.REFUND, 500, CREATED_AT + 2000, reference_number="111", external_id="r-1"),
        op(OperationKind.REFUND, 700, CREATED_AT + 3000, state=OperationState.DECLINED),
        op(OperationKind.REFUND, 300, CREATED_AT + 4000),
    ]
    body = extended_status(order, "en")
    assert body["refunds"] == [
        {
            "date": CREATED_AT + 2000,
            "actionCode": 0,
            "referenceNumber": "111",
            "amount": 500,
            "externalRefundId": "r-1",
            "approvalCode": "",
        },
        {
            "date": CREATED_AT + 4000,
            "actionCode": 0,
            "referenceNumber": "",
            "amount": 300,
            "externalRefundId": "",
            "approvalCode": "",
        },
    ]
    assert body["refundedDate"] == CREATED_AT + 4000
    assert body["paymentAmountInfo"]["refundedAmount"] == 800


def test_a_reversed_hold_shows_the_reversal_date() -> None:
    order = an_order(
        two_phase=True,
        status=OrderStatus.REVERSED,
        action_code=0,
        operations=[
            op(OperationKind.AUTHORIZATION, 2000, CREATED_AT + 1000),
            op(OperationKind.REVERSAL, 2000, CREATED_AT + 5000),
        ],
    )
    body = extended_status(order, "en")
    assert body["reversedDate"] == CREATED_AT + 5000
    assert body["paymentAmountInfo"]["paymentState"] == "REVERSED"


def test_what_the_shop_registered_comes_back() -> None:
    order = an_order(
        json_params={"colour": "green"},
        order_bundle={"cartItems": {"items": []}},
        email="buyer@example.com",
        phone="+79001234567",
        extra={"postAddress": "Moscow"},
        client_id="client-7",
        binding_id="b-1",
        features=("FORCE_TDS",),
    )
    body = extended_status(order, "en")
    assert body["merchantOrderParams"] == [{"name": "colour", "value": "green"}]
    assert body["orderBundle"] == {"cartItems": {"items": []}}
    assert body["payerData"] == {
        "email": "buyer@example.com",
        "phone": "+79001234567",
        "postAddress": "Moscow",
    }
    assert body["bindingInfo"] == {"clientId": "client-7", "bindingId": "b-1"}
    assert body["features"] == ["FORCE_TDS"]


def test_a_declined_order_describes_its_action_code_in_the_language() -> None:
    order = an_order(status=OrderStatus.DECLINED, action_code=-2007)
    en, ru = extended_status(order, "en"), extended_status(order, "ru")
    assert en["actionCodeDescription"] and ru["actionCodeDescription"]
    assert en["actionCodeDescription"] != ru["actionCodeDescription"]
    assert (en["errorMessage"], ru["errorMessage"]) == ("Success", "Успешно")
    assert en["paymentAmountInfo"]["paymentState"] == "DECLINED"


def test_an_order_at_the_acs_shows_created_as_its_payment_state() -> None:
    body = extended_status(an_order(status=OrderStatus.ACS, card=CARD), "en")
    assert (body["orderStatus"], body["paymentAmountInfo"]["paymentState"]) == (5, "CREATED")
    assert "approvalCode" not in body["cardAuthInfo"]


def test_the_legacy_status_keeps_its_capitalised_names() -> None:
    assert short_status(an_order(), "en") == {
        "OrderStatus": 0,
        "ErrorCode": "0",
        "ErrorMessage": "Success",
        "OrderNumber": "N-1",
        "Amount": 2000,
        "currency": "643",
        "authCode": 2,
    }
    body = short_status(paid(client_id="c-1", binding_id="b-1"), "en")
    assert (body["Pan"], body["expiration"], body["cardholderName"]) == (
        "456396**1999",
        "203012",
        "TEST CARDHOLDER",
    )
    assert (body["approvalCode"], body["Ip"]) == ("A1B2C3", "203.0.113.7")
    assert (body["clientId"], body["bindingId"]) == ("c-1", "b-1")


def test_the_legacy_status_of_a_declined_order_is_error_code_2_with_the_reason() -> None:
    order = an_order(status=OrderStatus.DECLINED, action_code=-2007)
    body = short_status(order, "en")
    assert body["ErrorCode"] == "2"
    assert body["ErrorMessage"] == extended_status(order, "en")["actionCodeDescription"]
