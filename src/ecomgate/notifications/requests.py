"""An outbox event and its merchant's settings -> the HTTP request of the callback."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from ecomgate.callbacks import hmac_checksum
from ecomgate.domain.callbacks import FAILURE_OPERATIONS, OPTIONAL_PARAMS, names
from ecomgate.domain.merchant import Merchant
from ecomgate.services.ports import OutboxEntry

from .signing import HMAC_ALIAS, RSA_ALIAS, CallbackKey, rsa_checksum

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class CallbackRequest:
    method: str  # GET | POST
    #: the merchant's URL; for GET with the parameters added to its query string
    url: str
    #: what the shop receives (signed ones include checksum and sign_alias)
    params: dict[str, str]

    @property
    def body(self) -> str | None:
        return urlencode(self.params) if self.method == "POST" else None

    @property
    def url_for_log(self) -> str:
        """Scheme, host and path: a query string may carry the shop's own secrets."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def skip_reason(entry: OutboxEntry, merchant: Merchant) -> str | None:
    """Why this event is not sent at all, or None when it is."""
    settings = merchant.settings
    if not (entry.dynamic_url or settings.callback_url):
        return "no callback URL"
    chosen = names(settings.callback_operations)
    if chosen and entry.operation not in chosen:
        return f"{entry.operation} is not among the merchant's callback operations"
    failed = entry.operation in FAILURE_OPERATIONS or (
        entry.status == 0 and entry.operation != "declinedByTimeout"
    )
    if failed and not settings.callback_failures:
        return "failure callbacks are off for this merchant"
    return None


def java_date(ms: int, zone: ZoneInfo) -> str:
    """``Mon Jan 31 21:46:52 MSK 2022``: Java's ``Date.toString()``, in English."""
    t = dt.datetime.fromtimestamp(ms / 1000, tz=zone)
    return (
        f"{_DAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t.day:02d} "
        f"{t:%H:%M:%S} {t.tzname()} {t.year}"
    )


def callback_params(entry: OutboxEntry, merchant: Merchant, zone: ZoneInfo) -> dict[str, str]:
    """The unsigned parameters: the base ones of §4.2, the event's own, and the optional
    ones the merchant enabled."""
    params: dict[str, str] = {}
    if entry.order_id:
        params["mdOrder"] = entry.order_id
        params["orderNumber"] = entry.facts.get("orderNumber", "")
    params["operation"] = entry.operation
    params["status"] = str(entry.status)
    chosen = names(merchant.settings.callback_params)
    wanted = OPTIONAL_PARAMS if chosen == ["all"] else tuple(chosen)
    for name in wanted:
        if name == "jsonParams":
            prefix = "jsonParams."
            params |= {k[len(prefix) :]: v for k, v in entry.facts.items() if k.startswith(prefix)}
        elif name == "callbackCreationDate":
            params[name] = java_date(entry.created_at, zone)
        elif name in entry.facts:
            params[name] = entry.facts[name]
    # the event's own parameters (refund amount, binding id ...) win
    return params | entry.params


def build(
    entry: OutboxEntry, merchant: Merchant, zone: ZoneInfo, key: CallbackKey | None
) -> CallbackRequest:
    """The request to make; ``key``: the merchant's RSA key when it signs with one."""
    settings = merchant.settings
    url = entry.dynamic_url or settings.callback_url
    method = settings.callback_method.upper()
    params = callback_params(entry, merchant, zone)
    parts = urlsplit(url)
    own = dict(parse_qsl(parts.query, keep_blank_values=True)) if method == "GET" else {}
    # a GET's receiver sees the URL's own query too, and verifies over all it receives
    signed = own | params
    if settings.callback_signing == "rsa" and key is not None:
        params |= {"checksum": rsa_checksum(signed, key), "sign_alias": RSA_ALIAS}
    elif settings.callback_signing == "hmac" and settings.callback_secret:
        checksum = hmac_checksum(signed, settings.callback_secret)
        params |= {"checksum": checksum, "sign_alias": HMAC_ALIAS}
    if method == "GET":
        query = urlencode(own | params)
        url = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))
    return CallbackRequest(method, url, params)
