"""Currencies and amounts.  Amounts are always ``int`` minor units (kopecks, cents)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Currency:
    numeric: str  # ISO 4217 numeric code as sent on the wire, e.g. "643"
    alpha: str  # e.g. "RUB"
    exponent: int  # digits after the decimal point
    symbol: str = ""
    #: English writes the symbol first ("$20.00"); otherwise it follows ("20.00 ₽")
    prefix_en: bool = False


#: ISO 4217 currencies the gateway knows how to display; which of them are *enabled* is
#: configuration (``ECOMGATE_CURRENCIES``), see spec §1.5/§7.
CURRENCIES: dict[str, Currency] = {
    c.numeric: c
    for c in (
        Currency("643", "RUB", 2, "₽"),
        Currency("810", "RUR", 2, "₽"),
        Currency("840", "USD", 2, "$", prefix_en=True),
        Currency("978", "EUR", 2, "€", prefix_en=True),
        Currency("826", "GBP", 2, "£", prefix_en=True),
        Currency("051", "AMD", 2, "֏"),
        Currency("398", "KZT", 2, "₸"),
        Currency("933", "BYN", 2, "BYN"),
        Currency("975", "BGN", 2, "BGN"),
        Currency("170", "COP", 2, "COP"),
        Currency("012", "DZD", 2, "DZD"),
        Currency("788", "TND", 3, "TND"),
        Currency("156", "CNY", 2, "¥"),
        Currency("392", "JPY", 0, "¥"),
        Currency("985", "PLN", 2, "zł"),
        Currency("980", "UAH", 2, "₴"),
        Currency("860", "UZS", 2, "сўм"),
        Currency("417", "KGS", 2, "сом"),
        Currency("944", "AZN", 2, "₼"),
        Currency("981", "GEL", 2, "₾"),
    )
}

DEFAULT_ENABLED = ("643", "840", "978")


def format_major(amount: int, currency: Currency) -> str:
    """``2000`` RUB -> ``"20.00"``, using integer arithmetic only."""
    if currency.exponent == 0:
        return str(amount)
    unit = 10**currency.exponent
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), unit)
    return f"{sign}{whole}.{frac:0{currency.exponent}d}"
