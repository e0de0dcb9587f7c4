"""Stored cards over HTTP (spec §3.10), in-process: a card saved by a payment with
``clientId``, then paid by ``bindingId`` (customer-initiated with CVC, merchant-initiated
without), listed, unbound, bound again; foreign bindings look unknown; VERIFY; the binding
methods' answers and errors; addParams.do; unserved spec methods."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from ecomgate.services.context import Services

from ..support import Api, assert_error, make_merchant

BINDING_PERMISSIONS = (
    "card-payment-api",
    "bindings",
    "auto-payment",
    "verify",
    "create-binding-no-payment",
)
NO_3DS_PAN, NO_3DS_CVC = "4563960122001999", "347"
THREE_DS_PAN = "4111111111111111"
MAESTRO = "639002000000000003"
YEAR = str(datetime.now(UTC).year + 3)


@pytest.fixture
async def shop(services: Services, http: Any) -> Api:
    return Api(http, await make_merchant(services, permissions=BINDING_PERMISSIONS))


async def pay_card(
    api: Api, order_id: str, pan: str = NO_3DS_PAN, cvc: str = NO_3DS_CVC, **extra: str
) -> dict[str, Any]:
    return await api.call(
        "paymentorder",
        MDORDER=order_id,
        **{"$PAN": pan, "$CVC": cvc},
        YYYY=YEAR,
        MM="12",
        TEXT="TEST CARDHOLDER",
        **extra,
    )


async def saved_card(
    api: Api, client_id: str, pan: str = NO_3DS_PAN, cvc: str = NO_3DS_CVC, **reg: Any
) -> str:
    """A first payment with ``clientId``: the card becomes a binding."""
    order = await api.register(clientId=client_id, **reg)
    paid = await pay_card(api, order["orderId"], pan=pan, cvc=cvc)
    assert paid["errorCode"] == "0", paid
    status = await api.status(order["orderId"])
    assert status["orderStatus"] == 2, status
    binding_id = status["bindingInfo"]["bindingId"]
    assert paid["bindingId"] == binding_id
    return str(binding_id)


async def test_recurring_flow_save_pay_list_unbind_bind(shop: Api) -> None:
    client = f"client-{uuid.uuid4().hex[:8]}"
    binding_id = await saved_card(shop, client)

    # customer-initiated, with CVC
    second = await shop.register(clientId=client, amount=1500)
    paid = await shop.call(
        "paymentOrderBinding", mdOrder=second["orderId"], bindingId=binding_id, cvc=NO_3DS_CVC
    )
    assert paid["errorCode"] == "0", paid
    assert paid["redirect"].startswith("https://shop.example/ok")
    status = await shop.status(second["orderId"])
    assert (status["orderStatus"], status["paymentWay"]) == (2, "CARD_BINDING")
    assert status["bindingInfo"] == {"clientId": client, "bindingId": binding_id}
    assert status["cardAuthInfo"]["maskedPan"] == "456396**1999"

    # merchant-initiated, without CVC
    third = await shop.register(clientId=client, amount=990)
    mit = await shop.call(
        "paymentOrderBinding", mdOrder=third["orderId"], bindingId=binding_id, tii="U"
    )
    assert mit["errorCode"] == "0", mit
    assert (await shop.status(third["orderId"]))["orderStatus"] == 2
    short = await shop.call("getOrderStatus", orderId=third["orderId"])
    assert (short["clientId"], short["bindingId"]) == (client, binding_id)

    listed = await shop.call("getBindings", clientId=client, bindingId="")
    assert listed["errorCode"] == "0"
    assert listed["bindings"] == [
        {
            "bindingId": binding_id,
            "maskedPan": "456396**1999",
            "expiryDate": f"{YEAR}12",
            "bindingCategory": "COMMON",
            "paymentWay": "CARD_BINDING",
            "paymentSystem": "VISA",
            "displayLabel": "456396**1999",
        }
    ]

    assert (await shop.call("unBindCard", bindingId=binding_id))["errorCode"] == "0"
    assert_error(await shop.call("unBindCard", bindingId=binding_id), "2", "binding_not_active")
    fourth = await shop.register(clientId=client)
    refused = await shop.call(
        "paymentOrderBinding", mdOrder=fourth["orderId"], bindingId=binding_id, cvc="347"
    )
    assert_error(refused, "5", "binding_not_found")
    assert (await shop.status(fourth["orderId"]))["orderStatus"] == 0
    assert_error(await shop.call("getBindings", clientId=client), "2", "no_bindings")

    assert (await shop.call("bindCard", bindingId=binding_id))["errorCode"] == "0"
    assert_error(await shop.call("bindCard", bindingId=binding_id), "2", "binding_active")
    again = await shop.call(
        "paymentOrderBinding", mdOrder=fourth["orderId"], bindingId=binding_id, cvc="347"
    )
    assert again["errorCode"] == "0", again
    assert (await shop.status(fourth["orderId"]))["orderStatus"] == 2


async def test_same_card_again_reuses_the_binding(shop: Api) -> None:
    client = f"client-{uuid.uuid4().hex[:8]}"
    first = await saved_card(shop, client)
    assert await saved_card(shop, client) == first
    assert len((await shop.call("getBindings", clientId=client))["bindings"]) == 1


async def test_no_binding_without_client_id_or_when_not_needed(shop: Api) -> None:
    order = await shop.register()
    await pay_card(shop, order["orderId"])
    assert "bindingInfo" not in await shop.status(order["orderId"])
    client = f"client-{uuid.uuid4().hex[:8]}"
    order = await shop.register(clientId=client)
    await pay_card(shop, order["orderId"], bindingNotNeeded="true")
    assert "bindingId" not in (await shop.status(order["orderId"]))["bindingInfo"]
    assert_error(await shop.call("getBindings", clientId=client), "2", "no_bindings")
    forced = await shop.register(clientId=client, features="FORCE_CREATE_BINDING")
    await pay_card(shop, forced["orderId"], bindingNotNeeded="true")
    assert "bindingId" in (await shop.status(forced["orderId"]))["bindingInfo"]


async def test_client_without_cards_gets_error_2(shop: Api) -> None:
    assert_error(await shop.call("getBindings", clientId="nobody"), "2", "no_bindings")
    assert_error(await shop.call("getBindings"), "5", "missing_parameter", name="clientId")


async def test_another_merchant_can_neither_see_nor_use_the_binding(
    shop: Api, services: Services, http: Any
) -> None:
    client = f"client-{uuid.uuid4().hex[:8]}"
    binding_id = await saved_card(shop, client)
    other = Api(http, await make_merchant(services, permissions=BINDING_PERMISSIONS))
    assert_error(await other.call("getBindings", clientId=client), "2", "no_bindings")
    order = await other.register(clientId=client)
    unknown = str(uuid.uuid4())
    answers = [
        await other.call("paymentOrderBinding", mdOrder=order["orderId"], bindingId=b, cvc="347")
        for b in (binding_id, unknown)
    ]
    assert answers[0] == answers[1]
    assert_error(answers[0], "5", "binding_not_found")
    for method in ("unBindCard", "bindCard"):
        foreign = await other.call(method, bindingId=binding_id)
        assert foreign == await other.call(method, bindingId=unknown)
        assert_error(foreign, "2", "binding_not_found")
    assert_error(
        await other.call("getBindingsByCardOrId", bindingId=binding_id), "5", "binding_not_found"
    )
    assert (await other.call("getBindingsByCardOrId", pan=NO_3DS_PAN))["bindings"] == []
    registered = await other.register(clientId=client, bindingId=binding_id)
    assert_error(registered, "5", "binding_not_found")
    # nor another client of the same merchant
    order = await shop.register(clientId="someone-else")
    refused = await shop.call(
        "paymentOrderBinding", mdOrder=order["orderId"], bindingId=binding_id, cvc="347"
    )
    assert_error(refused, "5", "binding_not_found")


async def test_binding_methods_need_the_bindings_permission(services: Services, http: Any) -> None:
    plain = Api(http, await make_merchant(services))
    for method, params in (
        ("getBindings", {"clientId": "c"}),
        ("getBindingsByCardOrId", {"bindingId": "b"}),
        ("unBindCard", {"bindingId": "b"}),
        ("bindCard", {"bindingId": "b"}),
        ("extendBinding", {"bindingId": "b", "newExpiry": "203012"}),
        ("paymentOrderBinding", {"mdOrder": str(uuid.uuid4()), "bindingId": "b"}),
        ("createBindingNoPayment", {"clientId": "c"}),
    ):
        body = await plain.call(method, **params)
        assert_error(body, "5", "operation_forbidden", method=f"/payment/rest/{method}.do")


async def test_merchant_initiated_needs_auto_payment_and_cit_needs_cvc(
    services: Services, http: Any
) -> None:
    shop = Api(http, await make_merchant(services, permissions=("card-payment-api", "bindings")))
    client = f"client-{uuid.uuid4().hex[:8]}"
    binding_id = await saved_card(shop, client)
    order = await shop.register(clientId=client)
    mit = await shop.call(
        "paymentOrderBinding", mdOrder=order["orderId"], bindingId=binding_id, tii="R"
    )
    assert_error(mit, "5", "mit_forbidden")
    cit = await shop.call("paymentOrderBinding", mdOrder=order["orderId"], bindingId=binding_id)
    assert_error(cit, "5", "binding_cvc_required")
    no_client = await shop.register()
    body = await shop.call(
        "paymentOrderBinding", mdOrder=no_client["orderId"], bindingId=binding_id, cvc="347"
    )
    assert_error(body, "5", "order_without_client")


async def test_auto_payment_order_is_charged_without_cvc(shop: Api) -> None:
    client = f"client-{uuid.uuid4().hex[:8]}"
    binding_id = await saved_card(shop, client)
    order = await shop.register(clientId=client, features="AUTO_PAYMENT")
    body = await shop.call("paymentOrderBinding", mdOrder=order["orderId"], bindingId=binding_id)
    assert body["errorCode"] == "0", body
    assert (await shop.status(order["orderId"]))["orderStatus"] == 2


async def test_customer_initiated_payment_with_a_3ds_card_starts_3ds2(shop: Api) -> None:
    client = f"client-{uuid.uuid4().hex[:8]}"
    created = await shop.call(
        "createBindingNoPayment",
        clientId=client,
        pan=THREE_DS_PAN,
        expiryDate=f"{YEAR}12",
        cardholderName="test cardholder",
    )
    assert created["errorCode"] == "0", created
    assert (created["maskedPan"], created["expiryDate"], created["cardholderName"]) == (
        "411111**1111",
        f"{YEAR}12",
        "TEST CARDHOLDER",
    )
    order = await shop.register(clientId=client)
    body = await shop.call(
        "paymentOrderBinding", mdOrder=order["orderId"], bindingId=created["bindingId"], cvc="123"
    )
    assert body["errorCode"] == "0", body
    # the card speaks 3-D Secure 2 (the gateway's default): the method step comes first
    assert {"threeDSServerTransId", "threeDSMethodURL"} <= set(body)
    assert body["is3DSVer2"] is True
    assert (await shop.status(order["orderId"]))["orderStatus"] == 5
    # merchant-initiated skips 3-D Secure
    order = await shop.register(clientId=client)
    mit = await shop.call(
        "paymentOrderBinding", mdOrder=order["orderId"], bindingId=created["bindingId"], tii="U"
    )
    assert mit["errorCode"] == "0" and "acsUrl" not in mit, mit
    assert (await shop.status(order["orderId"]))["orderStatus"] == 2


async def test_declined_binding_payment_is_error_2(shop: Api) -> None:
    client = f"client-{uuid.uuid4().hex[:8]}"
    created = await shop.call(
        "createBindingNoPayment", clientId=client, pan="4444444444446666", expiryDate=f"{YEAR}12"
    )
    order = await shop.register(clientId=client)
    body = await shop.call(
        "paymentOrderBinding", mdOrder=order["orderId"], bindingId=created["bindingId"], cvc="123"
    )
    assert body["errorCode"] == "2", body
    assert body["actionCode"] == -20010
    assert (await shop.status(order["orderId"]))["orderStatus"] == 6


async def test_verify_ends_reversed_with_a_binding(shop: Api) -> None:
    client = f"client-{uuid.uuid4().hex[:8]}"
    order = await shop.register(clientId=client, amount=0, features="VERIFY")
    assert "orderId" in order, order
    await pay_card(shop, order["orderId"])
    status = await shop.status(order["orderId"])
    assert status["orderStatus"] == 3
    assert status["paymentAmountInfo"]["paymentState"] == "REVERSED"
    assert status["paymentAmountInfo"]["depositedAmount"] == 0
    assert "bindingId" in status["bindingInfo"]
    listed = await shop.call("getBindings", clientId=client)
    assert [b["bindingId"] for b in listed["bindings"]] == [status["bindingInfo"]["bindingId"]]


async def test_binding_type_show_expired_and_extend(shop: Api, clock: Any) -> None:
    client = f"client-{uuid.uuid4().hex[:8]}"
    binding_id = await saved_card(shop, client, jsonParams='{"recurringFrequency":"30"}')
    assert_error(
        await shop.call("getBindings", clientId=client, bindingType="C"), "2", "no_bindings"
    )
    recurrent = await shop.call("getBindings", clientId=client, bindingType="R")
    assert recurrent["bindings"][0]["bindingCategory"] == "RECURRENT"
    assert_error(
        await shop.call("getBindings", clientId=client, bindingType="X"), "5", "bad_binding_type"
    )

    assert_error(
        await shop.call("extendBinding", bindingId=binding_id, newExpiry="200001"),
        "5",
        "bad_new_expiry",
    )
    new_expiry = f"{int(YEAR) + 2}06"
    assert (await shop.call("extendBinding", bindingId=binding_id, newExpiry=new_expiry))[
        "errorCode"
    ] == "0"
    listed = await shop.call("getBindings", clientId=client)
    assert listed["bindings"][0]["expiryDate"] == new_expiry

    clock.advance(6 * 366 * 86_400)  # the card has expired
    assert_error(await shop.call("getBindings", clientId=client), "2", "no_bindings")
    shown = await shop.call("getBindings", clientId=client, showExpired="true")
    assert [b["bindingId"] for b in shown["bindings"]] == [binding_id]
    order = await shop.register(clientId=client)
    expired = await shop.call(
        "paymentOrderBinding", mdOrder=order["orderId"], bindingId=binding_id, cvc="347"
    )
    assert_error(expired, "5", "binding_not_found")


async def test_get_bindings_by_card_or_id(shop: Api) -> None:
    first, second = (f"client-{uuid.uuid4().hex[:8]}" for _ in range(2))
    a = await saved_card(shop, first, pan=MAESTRO, cvc="123")
    b = await saved_card(shop, second, pan=MAESTRO, cvc="123")
    by_pan = await shop.call("getBindingsByCardOrId", pan=MAESTRO, cvc="123")
    assert by_pan["errorCode"] == "0"
    assert {(x["bindingId"], x["clientId"]) for x in by_pan["bindings"]} == {
        (a, first),
        (b, second),
    }
    by_id = await shop.call("getBindingsByCardOrId", bindingId=a)
    assert {x["bindingId"] for x in by_id["bindings"]} == {a, b}
    assert_error(await shop.call("getBindingsByCardOrId"), "5", "pan_or_binding_id_required")


async def test_create_binding_no_payment_checks(services: Services, http: Any, shop: Api) -> None:
    bad = await shop.call(
        "createBindingNoPayment", clientId="c", pan="4111111111111112", expiryDate=f"{YEAR}12"
    )
    assert_error(bad, "5", "bad_pan")
    past = await shop.call(
        "createBindingNoPayment", clientId="c", pan=THREE_DS_PAN, expiryDate="202001"
    )
    assert_error(past, "5", "bad_expiry_date")
    only_bindings = Api(http, await make_merchant(services, permissions=("bindings",)))
    body = await only_bindings.call(
        "createBindingNoPayment", clientId="c", pan=THREE_DS_PAN, expiryDate=f"{YEAR}12"
    )
    assert_error(body, "5", "operation_forbidden", method="createBindingNoPayment.do")


async def test_register_with_binding_id(shop: Api) -> None:
    client = f"client-{uuid.uuid4().hex[:8]}"
    binding_id = await saved_card(shop, client)
    assert_error(
        await shop.register(bindingId=binding_id), "4", "missing_parameter", name="clientId"
    )
    assert_error(
        await shop.register(bindingId=binding_id, clientId=client, features="FORCE_CREATE_BINDING"),
        "13",
        "force_binding_with_binding",
    )
    order = await shop.register(bindingId=binding_id, clientId=client)
    assert "orderId" in order, order
    # paid with that card only: a typed card is refused
    assert_error(await pay_card(shop, order["orderId"]), "5", "order_needs_binding")
    other = await saved_card(shop, client, pan=MAESTRO, cvc="123")
    wrong = await shop.call(
        "paymentOrderBinding", mdOrder=order["orderId"], bindingId=other, cvc="123"
    )
    assert_error(wrong, "5", "binding_not_found")
    # the page's CVC-only form (processform.do with bindingId, no credentials)
    page = Api(shop.http)
    body = await page.call(
        "processform", MDORDER=order["orderId"], bindingId=binding_id, **{"$CVC": "347"}
    )
    assert body["errorCode"] == "0", body
    assert body["bindingId"] == binding_id
    assert (await shop.status(order["orderId"]))["orderStatus"] == 2


async def test_add_params_joins_merchant_order_params(shop: Api) -> None:
    order = await shop.register(jsonParams='{"a":"1"}')
    body = await shop.call("addParams", orderId=order["orderId"], params='{"b":"2","n":3}')
    assert body["errorCode"] == "0", body
    status = await shop.status(order["orderId"])
    assert status["merchantOrderParams"] == [
        {"name": "a", "value": "1"},
        {"name": "b", "value": "2"},
        {"name": "n", "value": "3"},
    ]
    assert_error(
        await shop.call("addParams", orderId=order["orderId"], params='{"x":{"y":1}}'),
        "5",
        "bad_add_params",
    )
    assert_error(
        await shop.call("addParams", orderId=str(uuid.uuid4()), params='{"b":"2"}'),
        "6",
        "order_not_found",
    )


@pytest.mark.parametrize("method", ["recurrentPayment", "installmentPayment"])
async def test_unserved_spec_methods_answer_200_with_an_error_code(shop: Api, method: str) -> None:
    body = await shop.call(method, language="en")
    assert_error(body, "7", "method_not_served", method=f"{method}.do")
    ru = await shop.call(method, language="ru")
    assert_error(ru, "7", "method_not_served", language="ru", method=f"{method}.do")


async def test_empty_mandatory_binding_parameters_are_errorcode_5(shop: Api) -> None:
    for method, params, name in (
        ("unBindCard", {}, "bindingId"),
        ("bindCard", {"bindingId": ""}, "bindingId"),
        ("extendBinding", {"bindingId": "b"}, "newExpiry"),
        ("paymentOrderBinding", {"bindingId": "b"}, "mdOrder"),
        ("paymentOrderBinding", {"mdOrder": str(uuid.uuid4())}, "bindingId"),
        ("createBindingNoPayment", {"pan": THREE_DS_PAN, "expiryDate": "203012"}, "clientId"),
        ("addParams", {"params": '{"a":"1"}'}, "orderId"),
    ):
        assert_error(await shop.call(method, **params), "5", "missing_parameter", name=name)
    assert_error(
        await shop.call("extendBinding", bindingId="b", newExpiry="20301"),
        "5",
        "wrong_length",
        name="newExpiry",
        max=6,
    )
    assert_error(
        await shop.call("getBindingsByCardOrId", pan="4111-1111"),
        "5",
        "not_digits",
        name="pan",
        max=19,
    )


async def test_the_page_offers_saved_cards_only_to_their_client(shop: Api) -> None:
    client = f"client-{uuid.uuid4().hex[:8]}"
    binding_id = await saved_card(shop, client)
    mine = await shop.register(clientId=client)
    page = await shop.http.get(mine["formUrl"])
    assert binding_id in page.text and "456396**1999" in page.text
    assert 'id="save-card"' not in page.text.split('id="saved-cards"')[0]
    other = await shop.register(clientId="another-client")
    page = await shop.http.get(other["formUrl"])
    assert binding_id not in page.text and 'id="save-card"' in page.text
    anonymous = await shop.register()
    page = await shop.http.get(anonymous["formUrl"])
    assert 'id="saved-cards"' not in page.text and 'id="save-card"' not in page.text


async def test_after_a_declined_stored_card_the_buyer_may_pay_with_another(
    services: Services, http: Any
) -> None:
    from ecomgate.domain.merchant import MerchantSettings

    shop = Api(
        http,
        await make_merchant(
            services,
            permissions=BINDING_PERMISSIONS,
            settings=MerchantSettings(language="en", max_attempts=2),
        ),
    )
    client = f"client-{uuid.uuid4().hex[:8]}"
    limited = await shop.call(
        "createBindingNoPayment", clientId=client, pan="4444444444446666", expiryDate=f"{YEAR}12"
    )
    order = await shop.register(clientId=client)
    declined = await shop.call(
        "paymentOrderBinding", mdOrder=order["orderId"], bindingId=limited["bindingId"], cvc="123"
    )
    assert (declined["errorCode"], declined["attemptsLeft"]) == ("2", 1), declined
    paid = await pay_card(shop, order["orderId"])
    assert paid["errorCode"] == "0", paid
    status = await shop.status(order["orderId"])
    assert (status["orderStatus"], status["paymentWay"]) == (2, "CARD")
    new_binding = status["bindingInfo"]["bindingId"]
    assert new_binding != limited["bindingId"]


async def attempts_merchant(services: Services, http: Any) -> Api:
    from ecomgate.domain.merchant import MerchantSettings

    return Api(
        http,
        await make_merchant(
            services,
            permissions=BINDING_PERMISSIONS,
            settings=MerchantSettings(language="en", max_attempts=3),
        ),
    )


async def test_a_declined_cards_stash_never_becomes_the_binding_of_another_card(
    services: Services, http: Any
) -> None:
    shop = await attempts_merchant(services, http)
    client = f"client-{uuid.uuid4().hex[:8]}"
    order = await shop.register(clientId=client)
    declined = await pay_card(shop, order["orderId"], pan="4444444444446666", cvc="123")
    assert declined["errorCode"] != "0" or (await shop.status(order["orderId"]))["actionCode"]
    # the second attempt, with another card and "save card" unticked, is approved
    paid = await pay_card(shop, order["orderId"], bindingNotNeeded="true")
    assert paid["errorCode"] == "0", paid
    status = await shop.status(order["orderId"])
    assert status["orderStatus"] == 2
    assert "bindingInfo" not in status or not status["bindingInfo"].get("bindingId")
    assert_error(await shop.call("getBindings", clientId=client), "2", "no_bindings")


async def test_after_a_declined_saved_card_the_page_offers_every_card_again(
    services: Services, http: Any
) -> None:
    shop = await attempts_merchant(services, http)
    client = f"client-{uuid.uuid4().hex[:8]}"
    good = await saved_card(shop, client)
    limited = await shop.call(
        "createBindingNoPayment", clientId=client, pan="4444444444446666", expiryDate=f"{YEAR}12"
    )
    order = await shop.register(clientId=client)
    await shop.call(
        "paymentOrderBinding", mdOrder=order["orderId"], bindingId=limited["bindingId"], cvc="123"
    )
    page = await shop.http.get(order["formUrl"])
    assert good in page.text and limited["bindingId"] in page.text  # not shut in
    assert 'name="$PAN"' in page.text or 'id="pan"' in page.text  # a new card too


async def test_verify_takes_no_amount(shop: Api) -> None:
    answer = await shop.register(clientId="verify-client", amount=100, features="VERIFY")
    assert_error(answer, "5", "verify_amount_not_zero", name="amount")


async def test_tii_is_f_u_or_r(shop: Api) -> None:
    client = f"client-{uuid.uuid4().hex[:8]}"
    binding_id = await saved_card(shop, client)
    order = await shop.register(clientId=client)
    answer = await shop.call(
        "paymentOrderBinding", mdOrder=order["orderId"], bindingId=binding_id, tii="X"
    )
    assert_error(answer, "5", "bad_tii", name="tii")


async def test_payment_order_binding_errors_carry_error_and_is3dsver2(shop: Api) -> None:
    order = await shop.register(clientId="nobody")
    answer = await shop.call(
        "paymentOrderBinding", mdOrder=order["orderId"], bindingId=str(uuid.uuid4()), cvc="123"
    )
    assert_error(answer, "5", "binding_not_found")
    assert (answer["error"], answer["is3DSVer2"]) == (answer["errorMessage"], False)
