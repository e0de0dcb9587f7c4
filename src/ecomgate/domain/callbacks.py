"""The callbacks' vocabulary (spec §4): the operations and optional parameters a merchant may
choose, the check of its callback settings, and what an order's events report of it.

``order_facts`` is taken when an event is written: a callback describes the order as the
event left it, so a ``deposited`` callback retried after a refund still reports the
deposited amount of its own moment.  The unit of work stores the facts with each event,
and the dispatcher (``notifications/``) picks what the merchant asked for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from . import codes
from .merchant import Merchant
from .order import Order

#: every ``operation`` of spec §4.1 the gateway sends
OPERATIONS = (
    "approved",
    "deposited",
    "reversed",
    "refunded",
    "declinedByTimeout",
    "declinedCardpresent",
    "bindingCreated",
    "bindingActivityChanged",
)

#: events that are failures by nature, whatever their status (sent only with
#: ``callback_failures``); ``declinedByTimeout``'s status "is not meaningful" (§4.1)
FAILURE_OPERATIONS = frozenset({"declinedCardpresent"})

#: the optional parameters of spec §4.2 the gateway can add, as ``callback_params`` names
OPTIONAL_PARAMS = (
    "amount",
    "currency",
    "approvedAmount",
    "depositedAmount",
    "refundedAmount",
    "paymentAmount",
    "feeAmount",
    "approvalCode",
    "authCode",
    "actionCode",
    "actionCodeDescription",
    "maskedPan",
    "cardholderName",
    "paymentSystem",
    "eci",
    "ip",
    "clientId",
    "bindingId",
    "paymentRefNum",
    "refNum",
    "terminalId",
    "paymentState",
    "paymentWay",
    "depositFlag",
    "orderDescription",
    "merchantLogin",
    "email",
    "phone",
    "sessionExpiredDate",
    "callbackCreationDate",
    #: not a parameter: the order's jsonParams, each under its own name
    "jsonParams",
)

METHODS = ("GET", "POST")
SIGNING = ("hmac", "rsa")


def names(raw: str) -> list[str]:
    """A comma-separated setting as a list (blanks dropped)."""
    return [n.strip() for n in raw.split(",") if n.strip()]


def check_settings(changes: Mapping[str, Any]) -> str | None:
    """The message key of what is wrong with these callback settings, or None."""
    url = changes.get("callback_url")
    if url:
        if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in str(url)):
            return "bad_callback_url"  # a request line cannot carry it
        parts = urlsplit(str(url))
        try:
            parts.port  # noqa: B018 - raises for a port that is not one
        except ValueError:
            return "bad_callback_url"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "bad_callback_url"
    if "callback_method" in changes and str(changes["callback_method"]).upper() not in METHODS:
        return "bad_callback_method"
    if "callback_signing" in changes and changes["callback_signing"] not in SIGNING:
        return "bad_callback_signing"
    if set(names(str(changes.get("callback_operations", "")))) - set(OPERATIONS):
        return "bad_callback_operations"
    chosen = names(str(changes.get("callback_params", "")))
    if chosen != ["all"] and set(chosen) - set(OPTIONAL_PARAMS):
        return "bad_callback_params"
    return None


def order_facts(order: Order, merchant: Merchant) -> dict[str, str]:
    """Every optional parameter of spec §4.2 the order has a value for, as strings."""
    t = order.totals
    facts = {
        "orderNumber": order.order_number,  # a base parameter, not an optional one
        "amount": str(order.amount),
        "currency": order.currency,
        "approvedAmount": str(t.approved_amount),
        "depositedAmount": str(t.deposited_amount),
        "refundedAmount": str(t.refunded),
        "paymentAmount": str(t.deposited_amount or t.approved_amount),
        "feeAmount": str(order.fee),
        "actionCode": str(order.action_code),
        "actionCodeDescription": codes.action_code_description(
            order.action_code, merchant.settings.language
        ),
        "paymentState": order.payment_state,
        "paymentWay": order.payment_way,
        "depositFlag": "2" if order.two_phase else "1",
        "merchantLogin": merchant.login,
        "sessionExpiredDate": str(order.expires_at),
    }
    optional = {
        "approvalCode": order.approval_code,
        "authCode": order.approval_code,
        "eci": order.eci,
        "ip": order.ip,
        "clientId": order.client_id,
        "bindingId": order.binding_id,
        "paymentRefNum": order.auth_ref_num,
        "refNum": order.auth_ref_num,
        "terminalId": order.terminal_id,
        "orderDescription": order.description,
        "email": order.email,
        "phone": order.phone,
    }
    if order.card is not None:
        optional |= {
            "maskedPan": order.card.masked_pan,
            "cardholderName": order.card.cardholder_name,
            "paymentSystem": order.card.payment_system,
        }
    facts |= {k: v for k, v in optional.items() if v}
    # the shop's own jsonParams, kept apart: they are forwarded under their own names
    facts |= {f"jsonParams.{k}": str(v) for k, v in order.json_params.items()}
    return facts
