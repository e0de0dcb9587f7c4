"""Sandbox controls for a shop's test suite: merchants of its own, a reset, a clock per
merchant, chaos per merchant (``services/sandbox.py``).

``POST /sandbox/merchants`` is authenticated with the sandbox's key (``sandboxToken``,
set by ``ECOMGATE_SANDBOX_TOKEN``): a test run makes its merchants with it.  Everything
else is authenticated as the merchant it concerns, as on the ``.do`` API.
"""

from __future__ import annotations

import hmac
from typing import Any

from ecomgate.domain.chaos import Chaos
from ecomgate.domain.errors import AccessDenied, GatewayError, InvalidParameter
from ecomgate.domain.merchant import MerchantSettings
from ecomgate.services import sandbox

from ..api.endpoint import ApiCall

#: the request parameters of the chaos, and the field each one sets
_CHAOS_PARAMS = {
    "acquirerLatencyMs": "acquirer_latency_ms",
    "acquirerTimeout": "acquirer_timeout",
    "actionCode": "action_code",
    "actionCodeCount": "action_code_count",
    "callbacks": "callbacks",
    "callbackDelaySeconds": "callback_delay_ms",
}
_TRUE = ("true", "1", "yes", "on")


def _faults_allowed(call: ApiCall) -> None:
    """Clocks and chaos move time and fake answers: over the emulator only."""
    if not call.options.get("sandbox_faults", False):
        raise GatewayError(5, "sandbox_needs_emulator")


def _integer(call: ApiCall, name: str) -> int | None:
    raw = call.param(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidParameter(name) from None


async def create_merchant(call: ApiCall) -> dict[str, Any]:
    """``POST /sandbox/merchants``: ``login``, optional ``permissions`` (comma-separated)
    and any merchant setting by its name (``callback_url``, ``max_attempts`` ...)."""
    expected = call.options.get("sandbox_token", "")
    given = call.param("sandboxToken") or ""
    if not expected:
        raise GatewayError(5, "sandbox_token_not_set")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise AccessDenied()
    login = call.param("login")
    if not login:
        raise GatewayError(4, "missing_parameter", name="login")
    raw_permissions = call.param("permissions")
    permissions = (
        None
        if raw_permissions is None
        else [p.strip() for p in raw_permissions.split(",") if p.strip()]
    )
    settings = {
        name: values[0]
        for name, values in call.raw.items()
        if name in MerchantSettings.__dataclass_fields__ and values
    }
    merchant, password = await sandbox.create_merchant(
        call.services, login=login, permissions=permissions, settings=settings
    )
    shown = merchant.settings.to_dict() | {
        "callback_secret": "***" if merchant.settings.callback_secret else ""
    }
    return call.success(
        userName=merchant.login,
        password=password,
        permissions=sorted(merchant.permissions),
        settings=shown,
    )


async def reset(call: ApiCall) -> dict[str, Any]:
    """``POST /sandbox/reset``: the merchant's orders, callbacks, clock and chaos go."""
    merchant = await call.authenticate()
    deleted = await sandbox.reset(call.services, merchant)
    return call.success(ordersDeleted=deleted)


async def clock(call: ApiCall) -> dict[str, Any]:
    """``GET /sandbox/clock``: how far the merchant's clock was moved."""
    merchant = await call.authenticate()
    return call.success(clockOffsetSeconds=await sandbox.clock_offset(call.services, merchant))


async def advance_clock(call: ApiCall) -> dict[str, Any]:
    """``POST /sandbox/clock/advance`` with ``seconds``: the merchant's time moves on."""
    merchant = await call.authenticate()
    _faults_allowed(call)
    seconds = _integer(call, "seconds")
    if seconds is None:
        raise GatewayError(4, "missing_parameter", name="seconds")
    offset = await sandbox.advance_clock(call.services, merchant, seconds)
    return call.success(clockOffsetSeconds=offset)


def _chaos_json(chaos: Chaos) -> dict[str, Any]:
    return {
        "acquirerLatencyMs": chaos.acquirer_latency_ms,
        "acquirerTimeout": chaos.acquirer_timeout,
        "actionCode": chaos.action_code,
        "actionCodeCount": chaos.action_code_count,
        "callbacks": chaos.callbacks,
        "callbackDelaySeconds": chaos.callback_delay_ms // 1000,
    }


async def chaos(call: ApiCall) -> dict[str, Any]:
    """``GET /sandbox/chaos`` shows the merchant's chaos; ``POST`` changes the parameters
    given (``acquirerLatencyMs``, ``acquirerTimeout``, ``actionCode`` with
    ``actionCodeCount``, ``callbacks`` = drop|delay|"" with ``callbackDelaySeconds``)."""
    merchant = await call.authenticate()
    if call.request.method == "GET":
        return call.success(chaos=_chaos_json(await sandbox.chaos(call.services, merchant)))
    _faults_allowed(call)
    changes: dict[str, Any] = {}
    for param, field in _CHAOS_PARAMS.items():
        raw = call.param(param)
        if raw is None:
            continue
        if field == "acquirer_timeout":
            changes[field] = raw.lower() in _TRUE
        elif field == "callbacks":
            changes[field] = raw
        elif field == "action_code":
            changes[field] = _integer(call, param)
        else:
            value = _integer(call, param) or 0
            changes[field] = value * 1000 if field == "callback_delay_ms" else value
    updated = await sandbox.set_chaos(call.services, merchant, changes)
    return call.success(chaos=_chaos_json(updated))


async def clear_chaos(call: ApiCall) -> dict[str, Any]:
    """``POST /sandbox/chaos/clear``: every fault off."""
    merchant = await call.authenticate()
    return call.success(chaos=_chaos_json(await sandbox.clear_chaos(call.services, merchant)))
