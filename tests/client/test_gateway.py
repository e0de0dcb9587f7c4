"""Every SDK method against a real gateway, and errors mapped to their families."""

from __future__ import annotations

import secrets

import pytest

from ecomgate.client import (
    AsyncGateway,
    DeclinedError,
    Gateway,
    GatewaySystemError,
    InvalidRequestError,
    MissingParameterError,
    OrderNotFoundError,
    OrderNumberError,
    ProtocolError,
)
from ecomgate.testing.processes import GatewayProcess
from ecomgate.web.api.messages import message

from ..api.paying import FUTURE_YEAR
from ..support import MerchantCredentials

RETURN_URL = "https://shop.example/back"
APPROVED = ("4563960122001999", "347")  # the emulator approves it without 3-D Secure
DECLINED = ("4444444444446666", "123")  # declined, actionCode -20010
EXPIRY = f"{FUTURE_YEAR}12"


def number() -> str:
    return f"SDK-{secrets.token_hex(6)}"


def paid_order(g: Gateway, amount: int = 5000, *, two_stage: bool = False) -> str:
    register = g.register_preauth if two_stage else g.register
    order = register(amount=amount, return_url=RETURN_URL, order_number=number())
    pan, cvc = APPROVED
    result = g.process_form(md_order=order.order_id, pan=pan, cvc=cvc, expiry=EXPIRY)
    assert result.redirect is not None and result.redirect.startswith(RETURN_URL)
    return order.order_id


def test_register_pay_and_read_the_status(sdk: Gateway) -> None:
    order = sdk.register(
        amount=1000,
        return_url=RETURN_URL,
        order_number=number(),
        description="two cups",
        json_params={"basket": "7"},
    )
    assert order.form_url.endswith(f"mdOrder={order.order_id}")
    status = sdk.status(order_id=order.order_id)
    assert (status.order_status, status.action_code) == (0, -100)
    assert status.payment_amount_info is not None
    assert status.payment_amount_info.payment_state == "CREATED"
    assert status.merchant_order_params[0].name == "basket"
    assert status.order_description == "two cups"

    pan, cvc = APPROVED
    paid = sdk.process_form(
        md_order=order.order_id, pan=pan, cvc=cvc, expiry=EXPIRY, cardholder_name="TEST BUYER"
    )
    assert paid.error_code == "0" and paid.redirect is not None
    status = sdk.status(order_id=order.order_id)
    assert (status.order_status, status.action_code) == (2, 0)
    assert status.payment_amount_info is not None
    assert status.payment_amount_info.deposited_amount == 1000
    assert status.card_auth_info is not None
    assert status.card_auth_info.masked_pan == "456396**1999"
    by_number = sdk.status(order_number=status.order_number)
    assert by_number.raw["attributes"] == status.raw["attributes"]

    legacy = sdk.legacy_status(order_id=order.order_id)
    assert (legacy.order_status, legacy.error_code, legacy.amount) == (2, "0", 1000)
    assert legacy.pan == "456396**1999"


def test_a_declined_payment_is_a_status_not_an_exception(sdk: Gateway) -> None:
    order = sdk.register(amount=1000, return_url=RETURN_URL)
    pan, cvc = DECLINED
    result = sdk.process_form(md_order=order.order_id, pan=pan, cvc=cvc, expiry=EXPIRY)
    assert result.action_code == -20010
    legacy = sdk.legacy_status(order_id=order.order_id)
    assert (legacy.order_status, legacy.error_code) == (6, "2")  # ErrorCode 2: declined


def test_hold_deposit_reverse_refund_decline_and_add_params(sdk: Gateway) -> None:
    held = paid_order(sdk, 3000, two_stage=True)
    assert sdk.status(order_id=held).order_status == 1
    assert sdk.deposit(order_id=held, amount=2000).error_code == "0"
    assert sdk.status(order_id=held).order_status == 2

    refund_id = secrets.token_hex(8)
    sdk.refund(order_id=held, amount=500, external_refund_id=refund_id)
    status = sdk.status(order_id=held)
    assert status.order_status == 4
    assert [(r.amount, r.external_refund_id) for r in status.refunds] == [(500, refund_id)]

    other = paid_order(sdk, 1500, two_stage=True)
    sdk.reverse(order_id=other)
    assert sdk.status(order_id=other).order_status == 3

    unpaid = sdk.register(amount=100, return_url=RETURN_URL)
    sdk.add_params(order_id=unpaid.order_id, params={"note": "gift"})
    assert {"name": "note", "value": "gift"} in sdk.status(order_id=unpaid.order_id).raw[
        "merchantOrderParams"
    ]
    sdk.decline(order_id=unpaid.order_id)
    assert sdk.status(order_id=unpaid.order_id).order_status == 6


def test_server_to_server_payment(sdk: Gateway) -> None:
    order = sdk.register(amount=700, return_url=RETURN_URL)
    pan, cvc = APPROVED
    result = sdk.payment_order(md_order=order.order_id, pan=pan, cvc=cvc, expiry=EXPIRY)
    assert result.redirect is not None
    assert sdk.status(order_id=order.order_id).order_status == 2


def test_the_binding_methods(sdk: Gateway) -> None:
    client = f"client-{secrets.token_hex(4)}"
    pan, _ = APPROVED
    created = sdk.create_binding_no_payment(client_id=client, pan=pan, expiry_date=EXPIRY)
    assert created.masked_pan == "456396**1999" and created.client_id == client
    listed = sdk.get_bindings(client_id=client)
    assert [b.binding_id for b in listed.bindings] == [created.binding_id]
    found = sdk.get_bindings_by_card_or_id(binding_id=created.binding_id)
    assert found.bindings[0].client_id == client

    new_expiry = f"{int(FUTURE_YEAR) + 1}06"
    sdk.extend_binding(binding_id=created.binding_id, new_expiry=new_expiry)
    assert sdk.get_bindings(client_id=client).bindings[0].expiry_date == new_expiry
    sdk.unbind_card(binding_id=created.binding_id)
    with pytest.raises(DeclinedError) as unbound:  # errorCode 2: the binding is not active
        sdk.unbind_card(binding_id=created.binding_id)
    assert unbound.value.error_message == message("binding_not_active", "en")
    sdk.bind_card(binding_id=created.binding_id)

    order = sdk.register(amount=900, return_url=RETURN_URL, client_id=client)
    _, cvc = APPROVED
    paid = sdk.payment_order_binding(
        md_order=order.order_id, binding_id=created.binding_id, cvc=cvc
    )
    assert paid.error_code == "0" and paid.redirect is not None
    status = sdk.status(order_id=order.order_id)
    assert status.order_status == 2
    assert status.binding_info is not None
    assert status.binding_info.binding_id == created.binding_id


def test_errors_raise_their_family_with_the_gateways_message(sdk: Gateway) -> None:
    taken = number()
    sdk.register(amount=100, return_url=RETURN_URL, order_number=taken)
    with pytest.raises(OrderNumberError) as duplicate:
        sdk.register(amount=100, return_url=RETURN_URL, order_number=taken)
    assert duplicate.value.error_code == "1"
    assert duplicate.value.error_message == message("duplicate_order_number", "en")

    with pytest.raises(OrderNotFoundError) as unknown:
        sdk.status(order_id="00000000-0000-0000-0000-000000000000")
    assert unknown.value.error_message == message("order_not_found", "en")

    with pytest.raises(MissingParameterError) as bad_url:
        sdk.register(amount=100, return_url="/relative")
    assert bad_url.value.error_message == message("bad_url", "en", name="returnUrl")

    with pytest.raises(GatewaySystemError) as wrong_state:
        sdk.deposit(order_id=sdk.register(amount=100, return_url=RETURN_URL).order_id, amount=0)
    assert wrong_state.value.error_message == message("deposit_wrong_state", "en")
    assert wrong_state.value.answer["errorCode"] == "7"

    with pytest.raises(TypeError):
        sdk.register(amount=10.5, return_url=RETURN_URL)  # type: ignore[arg-type]


def test_wrong_credentials_and_a_wrong_base_url(gateway: GatewayProcess) -> None:
    with Gateway(gateway.base_url, user_name="nobody-api", password="wrong-pass") as g:
        with pytest.raises(InvalidRequestError) as denied:
            g.status(order_id="00000000-0000-0000-0000-000000000000")
        assert denied.value.error_message == message("access_denied", "ru")
    with (
        Gateway(gateway.base_url, user_name="x", password="y", path_prefix="/no/such/prefix") as g,
        pytest.raises(ProtocolError) as not_api,
    ):
        g.status(order_id="x")
    assert not_api.value.status_code == 404


async def test_the_async_gateway(gateway: GatewayProcess, shop: MerchantCredentials) -> None:
    async with AsyncGateway(
        gateway.base_url, user_name=shop.login, password=shop.password, language="en"
    ) as g:
        order = await g.register(amount=2500, return_url=RETURN_URL)
        pan, cvc = APPROVED
        await g.process_form(md_order=order.order_id, pan=pan, cvc=cvc, expiry=EXPIRY)
        status = await g.status(order_id=order.order_id)
        assert status.order_status == 2
        await g.refund(order_id=order.order_id, amount=2500)
        assert (await g.legacy_status(order_id=order.order_id)).order_status == 4
        with pytest.raises(GatewaySystemError) as nothing_left:
            await g.refund(order_id=order.order_id, amount=1)
        assert nothing_left.value.error_message == message("nothing_to_refund", "en")
