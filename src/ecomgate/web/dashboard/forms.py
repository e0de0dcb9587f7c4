"""Reading the dashboard's forms and query strings into the use cases' types.  A value
that does not parse is reported by the i18n key of its message, never a 500."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.money import CURRENCIES
from ecomgate.services.ports import OrderCursor, OrderFilter

DAY_MS = 86_400_000
_AMOUNT = re.compile(r"^\s*(\d{1,12})(?:[.,](\d{1,3}))?\s*$")
_LAST4 = re.compile(r"^\d{4}$")
#: the query parameters of the order list, in the order the form shows them
FILTER_FIELDS = (
    "status",
    "from",
    "to",
    "orderNumber",
    "orderId",
    "amountMin",
    "amountMax",
    "last4",
    "clientId",
)


class FormError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def exponent(currency: str) -> int:
    found = CURRENCIES.get(currency)
    return found.exponent if found else 2


def parse_amount(text: str, currency: str) -> int:
    """``"12.50"`` in roubles -> 1250 (integer arithmetic, no floats)."""
    match = _AMOUNT.match(text)
    digits = exponent(currency)
    if match is None or len(match.group(2) or "") > digits:
        raise FormError("bad_amount")
    major, minor = match.group(1), (match.group(2) or "").ljust(digits, "0")
    return int(major) * int(10**digits) + (int(minor) if minor else 0)


def show_amount(amount: int, currency: str) -> str:
    """1250 -> ``"12.50"``: what an amount field is prefilled with."""
    digits = exponent(currency)
    if not digits:
        return str(amount)
    major, minor = divmod(amount, 10**digits)
    return f"{major}.{minor:0{digits}d}"


def day_start(text: str) -> int:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise FormError("bad_date") from None
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


@dataclass(frozen=True)
class ListQuery:
    """The order list's filter as typed (to show back) and as the search takes it."""

    values: dict[str, str]
    where: OrderFilter
    after: OrderCursor | None


def order_filter(query: Mapping[str, str], currency: str) -> ListQuery:
    values = {name: query.get(name, "").strip() for name in FILTER_FIELDS}
    v = values
    status = None
    if v["status"]:
        if not v["status"].isdigit() or int(v["status"]) not in {int(s) for s in OrderStatus}:
            raise FormError("bad_status")
        status = int(v["status"])
    if v["last4"] and not _LAST4.match(v["last4"]):
        raise FormError("bad_last4")
    where = OrderFilter(
        status=status,
        created_from=day_start(v["from"]) if v["from"] else None,
        created_to=day_start(v["to"]) + DAY_MS if v["to"] else None,
        order_number=v["orderNumber"] or None,
        order_id=v["orderId"].lower() or None,
        amount_min=parse_amount(v["amountMin"], currency) if v["amountMin"] else None,
        amount_max=parse_amount(v["amountMax"], currency) if v["amountMax"] else None,
        pan_last4=v["last4"] or None,
        client_id=v["clientId"] or None,
    )
    return ListQuery(values, where, cursor(query.get("after", "")))


def cursor(text: str) -> OrderCursor | None:
    """``<created_at>.<orderId>``; anything else starts from the first page."""
    created, _, order_id = text.partition(".")
    if not created.isdigit() or not order_id:
        return None
    return OrderCursor(int(created), order_id)


def cursor_text(position: OrderCursor) -> str:
    return f"{position.created_at}.{position.order_id}"


def utc_time(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def utc_day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")
