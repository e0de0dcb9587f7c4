"""Sandbox test controls, under the reserved prefix ``/sandbox`` (design convention 6).

Mounted only when ``settings.sandbox`` is on.  They are API methods like any other, served
by the same machinery as the ``.do`` endpoint: the caller authenticates as on the API
(``userName``+``password`` or ``token``, form or query parameters, ``merchantLogin``), may
touch only its own orders, and gets JSON with the API's ``errorCode``/``errorMessage``.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Route

from ecomgate.services import expiry

from ..api import params
from ..api.endpoint import Api, ApiCall
from ..api.messages import message

PREFIX = "/sandbox"


async def expire_order(call: ApiCall) -> dict[str, Any]:
    """``POST /sandbox/orders/{orderId}/expire``: the order's lifetime ends now; an unpaid
    order becomes 6 / -2007 and ``declinedByTimeout`` goes to the outbox."""
    merchant = await call.authenticate()
    order_id = params.order_id(call.request.path_params["order_id"])
    order = await expiry.expire_now(call.services, merchant, order_id)
    return {
        "errorCode": "0",
        "errorMessage": message("success", call.language),
        "orderId": order.id,
        "orderStatus": int(order.status),
        "actionCode": order.action_code,
        "expiredAt": order.expires_at,
    }


def install(api: Api) -> None:
    api.add("expire", expire_order)


def routes(api: Api) -> list[BaseRoute]:
    """``api`` is bound at start-up like the ``.do`` one; its methods are the last path
    segment: ``/sandbox/orders/{order_id}/{method}``."""
    return [Route(f"{PREFIX}/orders/{{order_id}}/{{method}}", api.endpoint, methods=["POST"])]
