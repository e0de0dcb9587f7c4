"""web/api/messages.py directly: every message exists in both languages with the same
placeholders, and ``message`` fills them, falls back to English, and never fails."""

from __future__ import annotations

import string

import pytest

from ecomgate.web.api.messages import EN, RU, message


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_english_and_russian_have_the_same_keys() -> None:
    assert set(EN) == set(RU)


@pytest.mark.parametrize("key", sorted(EN))
def test_both_languages_take_the_same_placeholders(key: str) -> None:
    assert _placeholders(EN[key]) == _placeholders(RU[key]), key


def test_placeholders_are_filled() -> None:
    assert message("missing_parameter", "en", name="amount") == (
        "Required parameter [amount] is missing or empty"
    )
    assert message("too_long", "ru", name="orderNumber", max=36) == (
        "Параметр [orderNumber] слишком длинный (не более 36 символов)"
    )


def test_russian_only_for_ru_and_english_for_any_other_language() -> None:
    assert message("success", "ru") == "Успешно"
    assert message("success", "en") == message("success", "de") == "Success"


def test_an_unknown_key_is_answered_with_the_key_itself() -> None:
    assert message("no_such_key", "en") == "no_such_key"


def test_a_missing_placeholder_value_leaves_the_template_rather_than_failing() -> None:
    assert message("too_long", "en", name="x") == EN["too_long"]
