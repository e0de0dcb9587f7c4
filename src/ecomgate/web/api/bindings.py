"""Stored-credential methods (spec §3.10) and addParams.do (§10).

getBindings.do, getBindingsByCardOrId.do, unBindCard.do, bindCard.do, extendBinding.do,
paymentOrderBinding.do, createBindingNoPayment.do: each needs the merchant's ``bindings``
permission (errorCode 5 without).  Thin adapters over ``services.bindings`` and
``services.payment.pay_with_binding``; the wire shapes are in ``views.py``.
"""

from __future__ import annotations

import json
from typing import Any

from ecomgate.domain.errors import GatewayError, InvalidParameter
from ecomgate.domain.merchant import Permission
from ecomgate.services import bindings, payment
from ecomgate.services.payment import CardDataError, Next
from ecomgate.services.register import add_order_params
from ecomgate.services.uow import OrderRef
from ecomgate.web import buyer_texts

from . import params
from .card_payment import answer
from .endpoint import Api, ApiCall
from .messages import message
from .params import (
    ADD_PARAMS,
    BINDING_ID,
    BINDINGS_BY_CARD_OR_ID,
    CREATE_BINDING_NO_PAYMENT,
    EXTEND_BINDING,
    GET_BINDINGS,
    PAYMENT_ORDER_BINDING,
)
from .views import binding_view


def _required(values: dict[str, Any], name: str) -> str:
    """Spec §3.10: an empty mandatory binding parameter is errorCode 5, not 4."""
    value = values.get(name)
    if not value:
        raise GatewayError(5, "missing_parameter", name=name)
    return str(value)


async def get_bindings(call: ApiCall) -> dict[str, Any]:
    merchant = await call.authenticate(Permission.BINDINGS)
    v = GET_BINDINGS.validate(call.raw, call.ctx)
    found = await bindings.list_for_client(
        call.services,
        merchant,
        _required(v, "clientId"),
        binding_type=v.get("bindingType"),
        show_expired=v.get("showExpired", False),
    )
    return call.success() | {"bindings": [binding_view(b) for b in found]}


async def get_bindings_by_card_or_id(call: ApiCall) -> dict[str, Any]:
    merchant = await call.authenticate(Permission.BINDINGS)
    v = BINDINGS_BY_CARD_OR_ID.validate(call.raw, call.ctx)
    pan, binding_id = v.get("pan"), v.get("bindingId")
    if not pan and not binding_id:
        raise GatewayError(5, "pan_or_binding_id_required")
    found = await bindings.by_card_or_id(
        call.services,
        merchant,
        pan=pan or None,  # the card number wins over bindingId
        binding_id=None if pan else binding_id,
        show_expired=v.get("showExpired", False),
    )
    return call.success() | {"bindings": [binding_view(b, client=True) for b in found]}


async def unbind_card(call: ApiCall) -> dict[str, Any]:
    merchant = await call.authenticate(Permission.BINDINGS)
    v = BINDING_ID.validate(call.raw, call.ctx)
    await bindings.unbind(call.services, merchant, _required(v, "bindingId"))
    return call.success()


async def bind_card(call: ApiCall) -> dict[str, Any]:
    merchant = await call.authenticate(Permission.BINDINGS)
    v = BINDING_ID.validate(call.raw, call.ctx)
    await bindings.bind(call.services, merchant, _required(v, "bindingId"))
    return call.success()


async def extend_binding(call: ApiCall) -> dict[str, Any]:
    merchant = await call.authenticate(Permission.BINDINGS)
    v = EXTEND_BINDING.validate(call.raw, call.ctx)
    binding_id = _required(v, "bindingId")
    await bindings.extend(call.services, merchant, binding_id, _required(v, "newExpiry"))
    return call.success()


async def payment_order_binding(call: ApiCall) -> dict[str, Any]:
    """Server-to-server payment with a binding; answered as spec §3.9 shows.  A declined
    payment is errorCode 2 ("declined because of the credentials"), with the same
    redirect/decline fields as the page's answer."""
    merchant = await call.authenticate(Permission.BINDINGS)
    v = PAYMENT_ORDER_BINDING.validate(call.raw, call.ctx)
    order_id = params.order_id(_required(v, "mdOrder"))
    binding_id = _required(v, "bindingId")
    if v.get("tii", "F").upper() not in ("F", "U", "R"):
        raise InvalidParameter("tii", "bad_tii")
    language = v.get("language")
    try:
        result = await payment.pay_with_binding(
            call.services,
            order_id,
            binding_id,
            cvc=v.get("cvc"),
            merchant=merchant,
            initiator=v.get("tii", "F"),
            language=language,
            ip=v.get("ip", ""),
            email=v.get("email", "").strip(),
        )
    except CardDataError as exc:
        return {
            "errorCode": str(exc.error_code),
            "errorMessage": message(exc.key, call.language),
            "field": exc.field,
        }
    lang = language or result.order.language
    body = {"is3DSVer2": False} | answer(result, lang)
    declined = result.next is Next.RETRY or (
        result.next is Next.REDIRECT and result.order.action_code != 0
    )
    if declined:
        text = buyer_texts.decline_message(result.order.action_code, lang)
        body |= {"errorCode": "2", "errorMessage": text, "error": text}
    return body


async def create_binding_no_payment(call: ApiCall) -> dict[str, Any]:
    merchant = await call.authenticate(Permission.BINDINGS)
    v = CREATE_BINDING_NO_PAYMENT.validate(call.raw, call.ctx)
    binding = await bindings.create_without_payment(
        call.services,
        merchant,
        bindings.NewCard(
            client_id=_required(v, "clientId"),
            pan=_required(v, "pan"),
            expiry=_required(v, "expiryDate"),
            cardholder_name=v.get("cardholderName", ""),
            email=v.get("email", ""),
            phone=v.get("phone", ""),
        ),
    )
    return call.success() | {
        "bindingId": binding.id,
        "maskedPan": binding.masked_pan,
        "expiryDate": binding.expiry,
        "cardholderName": binding.cardholder_name,
        "clientId": binding.client_id,
    }


async def add_params(call: ApiCall) -> dict[str, Any]:
    """addParams.do (spec §10): ``params``, a JSON object of names and values, joins the
    order's ``merchantOrderParams``."""
    merchant = await call.authenticate()
    v = ADD_PARAMS.validate(call.raw, call.ctx)
    order_id = params.order_id(_required(v, "orderId"))
    raw = v.get("params")
    if not raw:
        raise GatewayError(5, "missing_parameter", name="params")
    pairs: dict[str, str] = {}
    for name, value in raw.items():
        if isinstance(value, dict | list) or value is None:
            raise GatewayError(5, "bad_add_params")
        pairs[str(name)] = value if isinstance(value, str) else json.dumps(value)
    await add_order_params(call.services, merchant, OrderRef(order_id=order_id), pairs)
    return call.success()


def install(api: Api) -> None:
    api.add("getBindings", get_bindings)
    api.add("getBindingsByCardOrId", get_bindings_by_card_or_id)
    api.add("unBindCard", unbind_card)
    api.add("bindCard", bind_card)
    api.add("extendBinding", extend_binding)
    api.add("paymentOrderBinding", payment_order_binding, payment_error=True)
    api.add("createBindingNoPayment", create_binding_no_payment)
    api.add("addParams", add_params)
