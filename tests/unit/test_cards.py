from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecomgate.domain import cards
from ecomgate.domain.cards import Expiry, InvalidExpiry

TEST_CARDS = [
    "4111111111111111",
    "5555555555555599",
    "4563960122001999",
    "639002000000000003",
    "5555555555555557",
    "4444444444446666",
    "4444444444444422",
    "4444444411111111",
    "4444444499999999",
    "4000001111111118",
    "5000001111111115",
    "5168494895055780",
    "4444555511113333",
    "4012001038166662",
    "4000001111111126",
]


def test_normalize_pan_strips_spaces_and_dashes() -> None:
    assert cards.normalize_pan(" 4111 1111-1111\t1111 ") == "4111111111111111"


@pytest.mark.parametrize("pan", TEST_CARDS)
def test_every_test_card_passes_luhn(pan: str) -> None:
    assert cards.luhn_valid(pan)
    assert cards.valid_pan(pan)


def test_a_changed_digit_fails_luhn() -> None:
    assert not cards.luhn_valid("4111111111111112")


@pytest.mark.parametrize("text", ["", "4111 1111", "41111111111111a1", "４１１１"])
def test_non_digits_are_never_luhn_valid(text: str) -> None:
    assert not cards.luhn_valid(text)


def test_pan_length_must_be_12_to_19_digits() -> None:
    assert not cards.valid_pan("42")  # Luhn-valid, far too short
    assert not cards.valid_pan("0" * 20)  # Luhn-valid, too long
    assert cards.valid_pan("0" * 12)
    assert cards.valid_pan("0" * 19)


@given(st.text(alphabet="0123456789", min_size=11, max_size=18))
def test_appending_the_computed_check_digit_makes_any_number_luhn_valid(body: str) -> None:
    valid = [d for d in "0123456789" if cards.luhn_valid(body + d)]
    assert len(valid) == 1


@pytest.mark.parametrize(
    ("pan", "system"),
    [
        ("4111111111111111", "VISA"),
        ("5555555555555599", "MASTERCARD"),
        ("2221000000000009", "MASTERCARD"),
        ("2720990000000000", "MASTERCARD"),
        ("2200000000000004", "MIR"),
        ("2204999999999999", "MIR"),
        ("639002000000000003", "MAESTRO"),
        ("5000001111111115", "MAESTRO"),
        ("5018000000000000", "MAESTRO"),
        ("6759000000000000", "MAESTRO"),
        ("378282246310005", "AMEX"),
        ("341111111111111", "AMEX"),
        ("3530111333300000", "JCB"),
        ("6200000000000005", "CUP"),
        ("6011111111111117", "UNKNOWN"),
        ("", "UNKNOWN"),
        ("abcd", "UNKNOWN"),
    ],
)
def test_payment_system_is_read_from_the_prefix(pan: str, system: str) -> None:
    assert cards.payment_system(pan) == system


def test_mask_pan_keeps_first_six_and_last_four() -> None:
    assert cards.mask_pan("4111111111111111") == "411111**1111"
    assert cards.mask_pan("639002000000000003") == "639002**0003"


def test_expiration_is_yyyymm_and_reads_two_digit_years_as_20yy() -> None:
    assert cards.expiration(2026, 1) == "202601"
    assert cards.expiration(30, 12) == "203012"


NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_a_card_is_valid_through_the_end_of_its_expiry_month() -> None:
    assert not cards.is_expired(2026, 11, NOW)
    assert not cards.is_expired(2026, 11, datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC))
    assert cards.is_expired(2026, 11, datetime(2026, 12, 1, tzinfo=UTC))


def test_a_past_month_is_expired_and_a_future_one_is_not() -> None:
    assert cards.is_expired(2026, 10, NOW)
    assert cards.is_expired(2020, 12, NOW)
    assert not cards.is_expired(2027, 1, NOW)
    assert not cards.is_expired(34, 12, NOW)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("203012", Expiry(2030, 12)),
        ("12/30", Expiry(2030, 12)),
        ("12/2030", Expiry(2030, 12)),
        ("1/30", Expiry(2030, 1)),
        ("01-30", Expiry(2030, 1)),
        (" 12 / 34 ", Expiry(2034, 12)),
        ("1230", Expiry(2030, 12)),
    ],
)
def test_parse_expiry_accepts_yyyymm_and_mm_yy_forms(text: str, expected: Expiry) -> None:
    assert cards.parse_expiry(text) == expected


@pytest.mark.parametrize(
    "text", ["", "13/30", "00/30", "202613", "2026", "12/3", "ab/cd", "12/300"]
)
def test_parse_expiry_rejects_unreadable_dates(text: str) -> None:
    with pytest.raises(InvalidExpiry):
        cards.parse_expiry(text)


def test_parse_expiry_fields_accepts_two_or_four_digit_years() -> None:
    assert cards.parse_expiry_fields("12", "2030") == Expiry(2030, 12)
    assert cards.parse_expiry_fields("7", "30") == Expiry(2030, 7)
    assert cards.parse_expiry_fields("12", "2030").yyyymm == "203012"
    with pytest.raises(InvalidExpiry):
        cards.parse_expiry_fields("12", "203")


def test_parse_expiry_yyyymm_is_the_wire_form_only() -> None:
    assert cards.parse_expiry_yyyymm("202612") == (2026, 12)
    with pytest.raises(InvalidExpiry):
        cards.parse_expiry_yyyymm("12/26")


def test_invalid_expiry_is_a_value_error() -> None:
    assert issubclass(InvalidExpiry, ValueError)


def test_cvc_is_three_digits_for_most_cards() -> None:
    assert cards.valid_cvc("123")
    assert cards.valid_cvc("123", pan="4111111111111111")
    assert not cards.valid_cvc("1234", pan="4111111111111111")
    assert not cards.valid_cvc("12")
    assert not cards.valid_cvc("12a")
    assert not cards.valid_cvc("")


def test_cvc_is_four_digits_for_amex() -> None:
    assert cards.valid_cvc("1234", pan="378282246310005")
    assert not cards.valid_cvc("123", pan="378282246310005")


@pytest.mark.parametrize(
    "name", ["TEST CARDHOLDER", "Ivan Ivanov", "J. R. O'NEIL-SMITH", "MADONNA", "Al"]
)
def test_latin_cardholder_names_are_accepted(name: str) -> None:
    assert cards.valid_cardholder_name(name)


@pytest.mark.parametrize(
    "name", ["", "A", "Иван Иванов", "JOSÉ GARCÍA", "TEST 123", "...", "- '", "A" * 151, "A<B"]
)
def test_other_cardholder_names_are_refused(name: str) -> None:
    assert not cards.valid_cardholder_name(name)


def test_cardholder_name_whitespace_is_collapsed() -> None:
    assert cards.normalize_cardholder_name("  TEST   CARDHOLDER ") == "TEST CARDHOLDER"
    assert cards.valid_cardholder_name("  TEST   CARDHOLDER ")
