"""register.do, registerPreAuth.do, getOrderStatusExtended.do, getOrderStatus.do."""

from __future__ import annotations

import re
from typing import Any

from ecomgate.domain.errors import GatewayError
from ecomgate.domain.order import Order
from ecomgate.services import status
from ecomgate.services.register import RegisterCommand, register
from ecomgate.services.uow import OrderRef

from . import params
from .contracts.orders import ExtendedStatusAnswer, LegacyStatusAnswer, RegisterAnswer
from .endpoint import Api, ApiCall
from .params import REGISTER, STATUS
from .views import extended_status, short_status

_PAGE_VIEW = re.compile(r"[A-Za-z0-9_-]{1,20}")
_KEPT = tuple(p.name for p in REGISTER.params if p.keep)


def _command(v: dict[str, Any], two_phase: bool) -> RegisterCommand:
    page_view = v.get("pageView", "DESKTOP")
    if not _PAGE_VIEW.fullmatch(page_view):
        page_view = "DESKTOP"  # spec §3.1: missing/invalid -> DESKTOP
    return RegisterCommand(
        two_phase=two_phase,
        amount=v["amount"],
        return_url=v["returnUrl"],
        currency=v.get("currency"),
        order_number=v.get("orderNumber"),
        fail_url=v.get("failUrl", ""),
        dynamic_callback_url=v.get("dynamicCallbackUrl", ""),
        description=v.get("description", ""),
        language=v.get("language"),
        page_view=page_view,
        client_id=v.get("clientId", ""),
        binding_id=v.get("bindingId", ""),
        json_params=v.get("jsonParams") or {},
        order_bundle=v.get("orderBundle"),
        session_timeout_secs=v.get("sessionTimeoutSecs"),
        expires_at=v.get("expirationDate"),
        features=tuple(dict.fromkeys(f.strip().upper() for f in v.get("features", []))),
        email=v.get("email", ""),
        phone=v.get("phone", ""),
        ip=v.get("ip", ""),
        autocompletion_at=v.get("autocompletionDate"),
        auto_reverse_at=v.get("autoReverseDate"),
        extra={name: v[name] for name in _KEPT if name in v},
    )


async def _register(call: ApiCall, two_phase: bool) -> RegisterAnswer:
    merchant = await call.authenticate()
    values = REGISTER.validate(call.raw, call.ctx)
    order = await register(call.services, merchant, _command(values, two_phase))
    body: RegisterAnswer = {
        "orderId": order.id,
        "formUrl": call.services.links.form_url(order, merchant.settings.page),
    }
    if call.options.get("register_success_error_code"):
        body["errorCode"] = "0"
    return body


async def register_one_stage(call: ApiCall) -> RegisterAnswer:
    return await _register(call, two_phase=False)


async def register_pre_auth(call: ApiCall) -> RegisterAnswer:
    return await _register(call, two_phase=True)


async def find_order(call: ApiCall, *, number_allowed: bool = True) -> Order:
    """The caller's order named by ``orderId`` (wins) or ``orderNumber``."""
    merchant = call.merchant or await call.authenticate()
    values = STATUS.validate(call.raw, call.ctx)
    raw_id = values.get("orderId")
    # spec §3.3: with token authentication the order is named by orderId only
    by_token = bool(call.param("token"))
    number = values.get("orderNumber") if number_allowed and not by_token else None
    if raw_id is None and number is None:
        if by_token and values.get("orderNumber") is not None:
            raise GatewayError(1, "order_id_required_with_token")
        raise GatewayError(1, "no_order_id")
    if raw_id is not None:
        ref = OrderRef(order_id=params.order_id(raw_id))
    else:
        ref = OrderRef(order_number=number)
    return await status.find_order(call.services, merchant, ref)


async def get_order_status_extended(call: ApiCall) -> ExtendedStatusAnswer:
    await call.authenticate()
    order = await find_order(call)
    return extended_status(order, call.language, call.services.processing.terminal_id)


async def get_order_status(call: ApiCall) -> LegacyStatusAnswer:
    await call.authenticate()
    if not call.param("orderId"):
        raise GatewayError(5, "missing_parameter", name="orderId")
    order = await find_order(call, number_allowed=False)
    return short_status(order, call.language)


def install(api: Api) -> None:
    api.add("register", register_one_stage)
    api.add("registerPreAuth", register_pre_auth)
    api.add("getOrderStatusExtended", get_order_status_extended)
    api.add("getOrderStatus", get_order_status, legacy_keys=True)
