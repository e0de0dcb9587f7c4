from __future__ import annotations

import pytest

from ecomgate.domain.money import CURRENCIES, format_major, parse_amount


@pytest.mark.parametrize("text", ["0", "1", "2000", "999999999999"])
def test_amounts_are_plain_integers_of_minor_units(text: str) -> None:
    assert parse_amount(text) == int(text)


@pytest.mark.parametrize(
    "text", ["19.99", "1998.9999999999998", "-5", "+5", " 5", "1e3", "", "1234567890123"]
)
def test_anything_but_digits_is_refused_never_rounded(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)


def test_major_units_use_the_currency_exponent() -> None:
    assert format_major(2000, CURRENCIES["643"]) == "20.00"
    assert format_major(5, CURRENCIES["840"]) == "0.05"
    assert format_major(1234, CURRENCIES["788"]) == "1.234"
    assert format_major(1234, CURRENCIES["392"]) == "1234"
