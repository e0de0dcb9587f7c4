from __future__ import annotations

from ecomgate.domain.money import CURRENCIES, format_major


def test_major_units_use_the_currency_exponent() -> None:
    assert format_major(2000, CURRENCIES["643"]) == "20.00"
    assert format_major(5, CURRENCIES["840"]) == "0.05"
    assert format_major(1234, CURRENCIES["788"]) == "1.234"
    assert format_major(1234, CURRENCIES["392"]) == "1234"
