"""register.do and registerPreAuth.do over HTTP (spec §3.1, §3.2, §10)."""

from __future__ import annotations

import json
import re

import pytest

from ecomgate.services.context import Services

from ..support import Api, assert_error, make_merchant

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


async def test_success_answers_exactly_order_id_and_form_url(api: Api) -> None:
    body = await api.register(orderNumber="A-1", amount=2000, language="en")
    assert set(body) == {"orderId", "formUrl"}
    assert UUID.fullmatch(body["orderId"])
    assert body["formUrl"] == (
        f"{api.base_url}/payment/merchants/ecom/payment_en.html?mdOrder={body['orderId']}"
    )


async def test_pre_auth_registration_is_a_two_stage_order(api: Api) -> None:
    body = await api.call(
        "registerPreAuth", orderNumber="H-1", amount=500, returnUrl="https://s.example/r"
    )
    assert set(body) == {"orderId", "formUrl"}
    status = await api.status(body["orderId"])
    assert status["orderStatus"] == 0
    assert status["amount"] == 500


async def test_mobile_page_view_selects_the_mobile_page(api: Api) -> None:
    body = await api.register(pageView="MOBILE", language="ru")
    assert "/mobile_payment_ru.html?mdOrder=" in body["formUrl"]


async def test_order_number_may_be_omitted_and_is_then_generated(api: Api) -> None:
    first = await api.register()
    second = await api.register()
    a = await api.status(first["orderId"])
    b = await api.status(second["orderId"])
    assert a["orderNumber"] and b["orderNumber"]
    assert a["orderNumber"] != b["orderNumber"]


async def test_duplicate_order_number_is_error_1(api: Api) -> None:
    await api.register(orderNumber="DUP-1")
    body = await api.register(orderNumber="DUP-1")
    assert_error(body, "1", "duplicate_order_number")


async def test_order_number_of_36_characters_is_accepted(api: Api) -> None:
    body = await api.register(orderNumber="X" * 36)
    assert "orderId" in body


@pytest.mark.parametrize(
    ("params", "code", "named"),
    [
        ({"amount": None}, "4", "amount"),
        ({"returnUrl": None}, "4", "returnUrl"),
        ({"returnUrl": "/relative/path"}, "4", "returnUrl"),
        ({"returnUrl": "./ok"}, "4", "returnUrl"),
        ({"returnUrl": "javascript:alert(1)"}, "4", "returnUrl"),
        ({"failUrl": "/fail"}, "4", "failUrl"),
        ({"amount": "19.99"}, "5", "amount"),
        ({"amount": "1998.9999999999998"}, "5", "amount"),
        ({"amount": "-5"}, "5", "amount"),
        ({"amount": "1234567890123"}, "5", "amount"),
        ({"amount": "abc"}, "5", "amount"),
        ({"amount": "0"}, "5", "amount"),
        ({"currency": "999"}, "3", "999"),
        ({"currency": "64"}, "5", "currency"),
        ({"currency": "RUB"}, "5", "currency"),
        ({"language": "english"}, "5", "language"),
        ({"language": "r1"}, "5", "language"),
        ({"orderNumber": "N" * 37}, "1", "orderNumber"),  # spec §3.1: invalid number is 1
        ({"description": "d" * 599}, "5", "description"),
        ({"description": "<script>alert(1)</script>"}, "5", "description"),
        ({"jsonParams": "{not json"}, "5", "jsonParams"),
        ({"jsonParams": "[1,2]"}, "5", "jsonParams"),
        ({"jsonParams": '{"a":{"b":1}}'}, "5", "jsonParams"),
        ({"sessionTimeoutSecs": "12345678901"}, "5", "sessionTimeoutSecs"),
        ({"sessionTimeoutSecs": "ten"}, "5", "sessionTimeoutSecs"),
        ({"expirationDate": "2030-13-01T00:00:00"}, "5", "expirationDate"),
        ({"expirationDate": "tomorrow"}, "5", "expirationDate"),
        ({"expirationDate": "2001-01-01T00:00:00"}, "5", "expirationDate"),
        ({"email": "e" * 41}, "5", "email"),
        ({"clientId": "c" * 256}, "5", "clientId"),
        ({"features": "TELEPORT"}, "14", "TELEPORT"),
        ({"features": "VERIFY"}, "13", "VERIFY"),
        ({"orderBundle": "{broken"}, "5", "orderBundle"),
        (
            {"orderBundle": json.dumps({"cartItems": {"items": [{"itemAmount": 1500}]}})},
            "5",
            "orderBundle",
        ),
    ],
)
async def test_each_bad_parameter_gets_its_error_code_and_is_named(
    api: Api, params: dict[str, str | None], code: str, named: str
) -> None:
    request: dict[str, object] = {"amount": 2000, "returnUrl": "https://shop.example/ok"}
    for key, value in params.items():
        if value is None:
            request.pop(key, None)
        else:
            request[key] = value
    body = await api.call("register", **request)
    assert body["errorCode"] == code, body
    assert named in body["errorMessage"], body
    assert "orderId" not in body


async def test_error_messages_follow_the_language(api: Api) -> None:
    en = await api.call("register", returnUrl="https://s.example", language="en")
    ru = await api.call("register", returnUrl="https://s.example", language="RU")
    assert_error(en, "4", "missing_parameter", "en", name="amount")
    assert_error(ru, "4", "missing_parameter", "ru", name="amount")


async def test_everything_sent_at_registration_comes_back_in_the_status(api: Api) -> None:
    bundle = {
        "customerDetails": {"email": "buyer@example.com"},
        "cartItems": {"items": [{"positionId": 1, "name": "Tea", "itemAmount": 2000}]},
    }
    body = await api.register(
        orderNumber="FULL-1",
        amount=2000,
        currency="978",
        description="Green tea",
        jsonParams=json.dumps({"email": "buyer@example.com", "colour": "green"}),
        orderBundle=json.dumps(bundle),
        clientId="client-7",
        email="buyer@example.com",
        phone="+79001234567",
        postAddress="Moscow, Red Square 1",
        features="FORCE_TDS",
        sessionTimeoutSecs=600,
    )
    status = await api.status(body["orderId"])
    assert status["orderNumber"] == "FULL-1"
    assert status["currency"] == "978"
    assert status["orderDescription"] == "Green tea"
    assert {"name": "colour", "value": "green"} in status["merchantOrderParams"]
    assert status["orderBundle"] == bundle
    assert status["bindingInfo"] == {"clientId": "client-7"}
    assert status["payerData"] == {
        "email": "buyer@example.com",
        "phone": "+79001234567",
        "postAddress": "Moscow, Red Square 1",
    }
    assert status["features"] == ["FORCE_TDS"]


async def test_null_json_params_and_empty_values_count_as_absent(api: Api) -> None:
    body = await api.register(jsonParams="null", description="", failUrl="")
    status = await api.status(body["orderId"])
    assert status["merchantOrderParams"] == []


async def test_unknown_parameters_are_ignored(api: Api) -> None:
    body = await api.register(refundAmount="5", somethingNew="x")
    assert "orderId" in body


async def test_currency_defaults_to_the_merchants(api: Api) -> None:
    body = await api.register()
    status = await api.status(body["orderId"])
    assert status["currency"] == "643"


# -- issue 11: the registration rules of spec §3.1 ------------------------------------------
def _cart(*items: dict[str, object] | None, key: str = "items") -> str:
    if items == (None,):
        return json.dumps({"cartItems": {key: None}})
    return json.dumps({"cartItems": {key: list(items)}})


@pytest.mark.parametrize("cart", [_cart(None), _cart()], ids=["null", "empty"])
async def test_an_order_bundle_whose_cart_items_are_null_or_empty_is_an_empty_cart(
    api: Api, cart: str
) -> None:
    """Spec §3.1: ``cartItems.items`` null or [] is an empty cart, accepted whatever the
    order's amount (there is no total to compare)."""
    body = await api.call("register", amount=2000, returnUrl="https://s.example", orderBundle=cart)
    assert "orderId" in body, body
    status = await api.status(body["orderId"])
    assert status["orderBundle"] == json.loads(cart)


async def test_a_cart_item_whose_price_times_quantity_differs_from_its_amount_is_refused_with_5(
    api: Api,
) -> None:
    """Spec §3.1: ``itemAmount`` = ``itemPrice`` × ``quantity.value`` (rounded) when both are
    given; otherwise errorCode 5.  Consistent items (fractional quantities rounded) pass."""
    wrong = _cart(
        {
            "positionId": 1,
            "itemPrice": 500,
            "quantity": {"value": 2, "measure": "pcs"},
            "itemAmount": 1000,
        },
        {
            "positionId": 2,
            "itemPrice": 400,
            "quantity": {"value": 3, "measure": "pcs"},
            "itemAmount": 1000,
        },
    )
    body = await api.call("register", amount=2000, returnUrl="https://s.example", orderBundle=wrong)
    assert_error(body, "5", "cart_item_amount_mismatch", position=2, amount=1000, expected=1200)
    right = _cart(
        {"itemPrice": 500, "quantity": {"value": 2, "measure": "pcs"}, "itemAmount": 1000},
        {"itemPrice": 600, "quantity": {"value": 1.667, "measure": "kg"}, "itemAmount": 1000},
    )
    body = await api.call("register", amount=2000, returnUrl="https://s.example", orderBundle=right)
    assert "orderId" in body, body
    no_price = _cart({"quantity": {"value": 3, "measure": "pcs"}, "itemAmount": 2000})
    body = await api.call(
        "register", amount=2000, returnUrl="https://s.example", orderBundle=no_price
    )
    assert "orderId" in body, body


async def test_an_order_number_longer_than_36_characters_is_error_code_1(api: Api) -> None:
    """Spec §3.1: an invalid order number is errorCode 1 (not 5), on both register methods;
    the status lookup by orderNumber keeps the generic 5."""
    for method in ("register", "registerPreAuth"):
        body = await api.call(
            method, amount=2000, returnUrl="https://s.example", orderNumber="N" * 37
        )
        assert_error(body, "1", "too_long", name="orderNumber", max=36)
    status = await api.call("getOrderStatusExtended", orderNumber="N" * 37)
    assert_error(status, "5", "too_long", name="orderNumber", max=36)


async def test_autocompletion_date_and_auto_reverse_date_need_their_permission(
    api: Api, services: Services
) -> None:
    """Spec §3.2: the gateway capturing (``autocompletionDate``) or reversing
    (``autoReverseDate``) a hold by itself needs the merchant's permission, else 5;
    register.do (one stage, nothing to capture) ignores the dates as before."""
    when = "2030-01-01T03:00:00"
    for name in ("autocompletionDate", "autoReverseDate"):
        body = await api.call(
            "registerPreAuth", amount=2000, returnUrl="https://s.example", **{name: when}
        )
        assert_error(body, "5", "parameter_needs_permission", name=name)
    one_stage = await api.call(
        "register", amount=2000, returnUrl="https://s.example", autocompletionDate=when
    )
    assert "orderId" in one_stage, one_stage

    granted = await make_merchant(
        services, permissions=("card-payment-api", "auto-completion", "auto-reverse")
    )
    client = Api(api.http, granted)
    try:
        for name in ("autocompletionDate", "autoReverseDate"):
            body = await client.call(
                "registerPreAuth", amount=2000, returnUrl="https://s.example", **{name: when}
            )
            assert "orderId" in body, body
    finally:
        await client.aclose()


async def test_fee_input_needs_its_permission_and_shows_in_fee_and_total_amount(
    api: Api, services: Services
) -> None:
    """Spec §3.1/§3.3: ``feeInput`` (minor units) needs the merchant's permission, else 5;
    the status then reports it as ``feeAmount`` and ``totalAmount`` = amount + fee."""
    refused = await api.call("register", amount=2000, returnUrl="https://s.example", feeInput=150)
    assert_error(refused, "5", "parameter_needs_permission", name="feeInput")

    granted = await make_merchant(services, permissions=("fee-input",))
    client = Api(api.http, granted)
    try:
        for method in ("register", "registerPreAuth"):
            body = await client.call(
                method, amount=2000, returnUrl="https://s.example", feeInput=150
            )
            info = (await client.status(body["orderId"]))["paymentAmountInfo"]
            assert (info["feeAmount"], info["totalAmount"]) == (150, 2150)
        plain = await client.call("register", amount=2000, returnUrl="https://s.example")
        info = (await client.status(plain["orderId"]))["paymentAmountInfo"]
        assert (info["feeAmount"], info["totalAmount"]) == (0, 2000)
    finally:
        await client.aclose()
