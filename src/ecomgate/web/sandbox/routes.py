"""Sandbox test controls, under the reserved prefix ``/sandbox`` (design convention 6).

Mounted only when ``settings.sandbox`` is on.  They are API methods like any other, served
by the same machinery as the ``.do`` endpoint: the caller authenticates as on the API
(``userName``+``password`` or ``token``, form or query parameters, ``merchantLogin``), may
touch only its own orders, and gets JSON with the API's ``errorCode``/``errorMessage``.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Route

from ecomgate.notifications import admin as callback_admin
from ecomgate.notifications.dispatcher import Dispatcher
from ecomgate.notifications.requests import skip_reason
from ecomgate.services import expiry, status
from ecomgate.services.ports import CallbackAttempt
from ecomgate.services.uow import OrderRef

from ..api import params
from ..api.endpoint import Api, ApiCall
from . import merchants

PREFIX = "/sandbox"


async def expire_order(call: ApiCall) -> dict[str, Any]:
    """``POST /sandbox/orders/{orderId}/expire``: the order's lifetime ends now; an unpaid
    order becomes 6 / -2007 and ``declinedByTimeout`` goes to the outbox."""
    merchant = await call.authenticate()
    order_id = params.order_id(call.request.path_params["order_id"])
    order = await expiry.expire_now(call.services, merchant, order_id)
    return call.success(
        orderId=order.id,
        orderStatus=int(order.status),
        actionCode=order.action_code,
        expiredAt=order.expires_at,
    )


def _attempt_json(a: CallbackAttempt) -> dict[str, Any]:
    return {
        "attempt": a.attempt,
        "startedAt": a.started_at,
        "origin": a.origin,
        "method": a.method,
        "url": a.url,
        "httpStatus": a.http_status,
        "latencyMs": a.latency_ms,
        "error": a.error,
    }


async def order_callbacks(call: ApiCall) -> dict[str, Any]:
    """``GET|POST /sandbox/orders/{orderId}/callbacks``: the order's callbacks in the order
    of its operations, each with the parameters it sends (as the merchant's settings are
    now) and its delivery log."""
    merchant = await call.authenticate()
    order_id = params.order_id(call.request.path_params["order_id"])
    order = await status.find_order(call.services, merchant, OrderRef(order_id=order_id))
    logs = await callback_admin.find_logs(call.services, merchant=merchant, order_id=order.id)
    items = []
    async with Dispatcher(call.services, call.options["delivery"]) as dispatcher:
        for log in logs:
            event = log.event
            reason = skip_reason(event, merchant)
            sent = None if reason else await dispatcher.request_for(event, merchant)
            items.append(
                {
                    "id": event.id,
                    "operation": event.operation,
                    "status": event.status,
                    "state": event.state,
                    "attempts": event.attempts,
                    "createdAt": event.created_at,
                    "nextTryAt": event.next_try_at if event.state == "pending" else None,
                    "deliveredAt": event.delivered_at,
                    "lastError": event.last_error,
                    "notSentBecause": reason,
                    "method": sent.method if sent else None,
                    "params": sent.params if sent else None,
                    "deliveries": [_attempt_json(a) for a in log.attempts],
                }
            )
    return call.success(orderId=order.id, callbacks=items)


async def resend_callback(call: ApiCall) -> dict[str, Any]:
    """``POST /sandbox/callbacks/{callbackId}/resend``: send it again now; the answer is
    the attempt as the delivery log keeps it."""
    merchant = await call.authenticate()
    event_id = params.order_id(call.request.path_params["event_id"])
    async with Dispatcher(call.services, call.options["delivery"]) as dispatcher:
        attempt = await callback_admin.resend(
            call.services, dispatcher, event_id, merchant=merchant
        )
    return call.success(callbackId=event_id, delivery=_attempt_json(attempt))


def install(api: Api) -> None:
    api.add("expire", expire_order)
    api.add("callbacks", order_callbacks)
    api.add("resend", resend_callback)
    api.add("merchants", merchants.create_merchant)
    api.add("reset", merchants.reset)
    api.add("clock", merchants.clock)
    api.add("clock/advance", merchants.advance_clock)
    api.add("chaos", merchants.chaos)
    api.add("chaos/clear", merchants.clear_chaos)


def routes(api: Api) -> list[BaseRoute]:
    """``api`` is bound at start-up like the ``.do`` one; each method has its own path, and
    the one that changes state answers POST only."""
    return [
        Route(f"{PREFIX}/orders/{{order_id}}/expire", api.bound("expire", ("POST",)), methods=_ANY),
        Route(f"{PREFIX}/orders/{{order_id}}/callbacks", api.bound("callbacks"), methods=_ANY),
        Route(
            f"{PREFIX}/callbacks/{{event_id}}/resend", api.bound("resend", ("POST",)), methods=_ANY
        ),
        Route(f"{PREFIX}/merchants", api.bound("merchants", ("POST",)), methods=_ANY),
        Route(f"{PREFIX}/reset", api.bound("reset", ("POST",)), methods=_ANY),
        Route(f"{PREFIX}/clock", api.bound("clock"), methods=_ANY),
        Route(f"{PREFIX}/clock/advance", api.bound("clock/advance", ("POST",)), methods=_ANY),
        Route(f"{PREFIX}/chaos", api.bound("chaos"), methods=_ANY),
        Route(f"{PREFIX}/chaos/clear", api.bound("chaos/clear", ("POST",)), methods=_ANY),
    ]


#: every HTTP method reaches the endpoint, which answers in JSON (405 for the others)
_ANY = ["GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"]
