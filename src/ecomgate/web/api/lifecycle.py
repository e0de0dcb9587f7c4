"""deposit.do, reverse.do, refund.do, decline.do (spec §3.5-§3.8): thin adapters over
``services.lifecycle``.  Success is ``{"errorCode": "0", "errorMessage": "Success"}``."""

from __future__ import annotations

from typing import Any

from ecomgate.domain.errors import GatewayError
from ecomgate.services import lifecycle
from ecomgate.services.lifecycle import RefundCommand
from ecomgate.services.uow import OrderRef

from . import params
from .contracts.common import SuccessAnswer
from .endpoint import Api, ApiCall
from .params import DECLINE, DEPOSIT, REFUND, REVERSE


def _ref(values: dict[str, Any]) -> OrderRef:
    """``orderId`` (any accepted spelling) or the caller's ``orderNumber``; spec §1.4 lets
    ``orderNumber`` (+ ``merchantLogin``) stand in for ``orderId``."""
    raw_id = values.get("orderId")
    number = values.get("orderNumber")
    if raw_id is None and number is None:
        raise GatewayError(5, "order_id_required")
    return OrderRef(
        order_id=None if raw_id is None else params.order_id(raw_id), order_number=number
    )


async def deposit(call: ApiCall) -> SuccessAnswer:
    merchant = await call.authenticate()
    v = DEPOSIT.validate(call.raw, call.ctx)
    await lifecycle.deposit(call.services, merchant, _ref(v), v["amount"], v.get("currency"))
    return call.success()


async def reverse(call: ApiCall) -> SuccessAnswer:
    merchant = await call.authenticate()
    v = REVERSE.validate(call.raw, call.ctx)
    await lifecycle.reverse(call.services, merchant, _ref(v), v.get("amount"), v.get("currency"))
    return call.success()


async def refund(call: ApiCall) -> SuccessAnswer:
    merchant = await call.authenticate()
    v = REFUND.validate(call.raw, call.ctx)
    cmd = RefundCommand(
        amount=v["amount"],
        currency=v.get("currency"),
        expected_deposited=v.get("expectedDepositedAmount"),
        external_id=v.get("externalRefundId"),
    )
    await lifecycle.refund(call.services, merchant, _ref(v), cmd)
    return call.success()


async def decline(call: ApiCall) -> SuccessAnswer:
    merchant = await call.authenticate()
    v = DECLINE.validate(call.raw, call.ctx)
    await lifecycle.decline(call.services, merchant, _ref(v))
    return call.success()


def install(api: Api) -> None:
    api.add("deposit", deposit)
    api.add("reverse", reverse)
    api.add("refund", refund)
    api.add("decline", decline)
