"""What a merchant may choose to be notified of, and with which parameters (spec §4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

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
        parts = urlsplit(str(url))
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
