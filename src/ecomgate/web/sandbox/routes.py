"""Sandbox test controls, under the reserved prefix ``/sandbox`` (design convention 6).

Mounted only when ``settings.sandbox`` is on.  The caller authenticates as on the API
(``userName``+``password`` or ``token`` as form or query parameters) and may touch only its
own orders.  Answers are JSON with the API's ``errorCode``/``errorMessage``.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ecomgate.domain.errors import AccessDenied, GatewayError, OrderNotFound
from ecomgate.domain.ids import normalize_order_id
from ecomgate.domain.merchant import Merchant
from ecomgate.services import expiry
from ecomgate.services.auth import Authenticator
from ecomgate.services.context import Services

from ..api.endpoint import json_response
from ..api.messages import message
from ..api.params import RawParams, read_params

log = logging.getLogger("ecomgate.sandbox")

PREFIX = "/sandbox"


def _param(raw: RawParams, name: str) -> str | None:
    values = raw.get(name)
    return values[-1] if values else None


async def _merchant(request: Request, raw: RawParams) -> Merchant:
    authenticator: Authenticator = request.app.state.authenticator
    token = _param(raw, "token")
    user, password = _param(raw, "userName"), _param(raw, "password")
    if token and not (user or password):
        return await authenticator.by_token(token)
    if user and password and not token:
        return await authenticator.by_password(user, password)
    raise AccessDenied()


async def expire_order(request: Request) -> Response:
    """``POST /sandbox/orders/{orderId}/expire``: the order's lifetime ends now; an unpaid
    order becomes 6 / -2007 and ``declinedByTimeout`` goes to the outbox."""
    raw = await read_params(request)
    language = (_param(raw, "language") or "en").lower()
    services: Services = request.app.state.services
    try:
        merchant = await _merchant(request, raw)
        order_id = normalize_order_id(request.path_params["order_id"])
        if order_id is None:
            raise OrderNotFound()
        order = await expiry.expire_now(services, merchant, order_id)
    except GatewayError as exc:
        return json_response(
            {
                "errorCode": str(exc.error_code),
                "errorMessage": message(exc.key, language, **exc.params),
            }
        )
    except Exception:
        log.exception("sandbox expire failed")
        return json_response({"errorCode": "7", "errorMessage": message("system_error", language)})
    body: dict[str, Any] = {
        "errorCode": "0",
        "errorMessage": message("success", language),
        "orderId": order.id,
        "orderStatus": int(order.status),
        "actionCode": order.action_code,
        "expiredAt": order.expires_at,
    }
    return json_response(body)


def routes() -> list[BaseRoute]:
    return [Route(f"{PREFIX}/orders/{{order_id}}/expire", expire_order, methods=["POST"])]
