"""Buyer-facing texts that both the hosted payment page and the API's card-payment answers
(``processform.do``/``paymentorder.do``) show: the decline texts of spec §5.4 by
``actionCode`` and the two status texts of a payment under way.

The page's own strings (labels, hints, field errors, …) live in ``payment_page/i18n.py``,
which merges the status texts below into its string table; the API adapters import this
module, never the page (an import-linter contract in pyproject.toml keeps it so).
"""

from __future__ import annotations

DEFAULT_LANG = "en"
#: The languages buyers are answered in (the page's too); anything else falls back to en.
LANGUAGES: tuple[str, ...] = ("en", "ru")

#: Status texts, keyed as in the page's string table (``payment_page/i18n.py``).
STATUS_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "redirecting": "Your order is being processed, redirecting…",
        "result_processing_title": "Payment is being processed",
    },
    "ru": {
        "redirecting": "Заказ обрабатывается, перенаправляем…",
        "result_processing_title": "Платёж обрабатывается",
    },
}

#: Short ids of the decline-text groups of spec §5.4, in display order.
DECLINE_GROUPS: tuple[str, ...] = (
    "check_data",
    "contact_bank",
    "contact_merchant",
    "auth_failed",
    "no_response",
    "time_expired",
)

#: The decline text of each group (spec §5.4), per language.
DECLINE_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "check_data": "Operation declined. Check the entered data and that there are enough funds on the card, then try again.",
        "contact_bank": "Operation declined. Contact the bank that issued the card.",
        "contact_merchant": "Operation declined. Contact the merchant.",
        "auth_failed": "Impossible operation. Cardholder authentication completed unsuccessfully.",
        "no_response": "No connection with the bank. Please try again later.",
        "time_expired": "Input time expired. Return to the shop and place the order again.",
    },
    "ru": {
        "check_data": "Операция отклонена. Проверьте введённые данные и достаточность средств на карте и повторите операцию.",
        "contact_bank": "Операция отклонена. Обратитесь в банк, выпустивший карту.",
        "contact_merchant": "Операция отклонена. Обратитесь в магазин.",
        "auth_failed": "Невозможно выполнить операцию. Аутентификация держателя карты завершилась неуспешно.",
        "no_response": "Нет связи с банком. Повторите попытку позже.",
        "time_expired": "Истёк срок ожидания ввода данных. Вернитесь в магазин и оформите заказ заново.",
    },
}


def normalize_lang(lang: str | None) -> str:
    """Return a supported language code; anything else becomes the default (en)."""
    code = (lang or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT_LANG


def status_text(key: str, lang: str | None) -> str:
    """``redirecting`` or ``result_processing_title`` in ``lang`` (falls back to en)."""
    return STATUS_TEXTS[normalize_lang(lang)].get(key) or STATUS_TEXTS[DEFAULT_LANG][key]


# Explicit codes first; the ranges below only apply to codes not listed here.
_DECLINE_EXPLICIT: dict[int, str] = {
    # "check data and balance" (spec) ...
    101: "check_data",
    116: "check_data",
    125: "check_data",
    71015: "check_data",
    -2013: "check_data",
    # ... plus [choice] codes whose meaning is the same (wrong number/CVC/expiry, no funds)
    20: "check_data",
    73: "check_data",
    82: "check_data",
    88: "check_data",
    111: "check_data",
    906: "check_data",
    # "contact the merchant"
    109: "contact_merchant",
    110: "contact_merchant",
    208: "contact_merchant",
    209: "contact_merchant",
    999: "contact_merchant",
    # "authentication failed" (spec: -2006; [choice] the 3DS2 equivalents)
    -2006: "auth_failed",
    -2025: "auth_failed",
    4032: "auth_failed",
    341016: "auth_failed",
    341018: "auth_failed",
    341019: "auth_failed",
    # "no response from bank"
    -1: "no_response",
    151018: "no_response",
    151019: "no_response",
    1001: "no_response",
    # "input time expired"
    -2007: "time_expired",
    # "contact your bank"
    -20010: "contact_bank",
}

_DECLINE_RANGES: tuple[tuple[int, int, str], ...] = (
    (100, 121, "contact_bank"),
    (902, 913, "contact_bank"),
    (-2019, -2011, "contact_bank"),
    (2001, 2016, "contact_merchant"),
    (-2003, -2000, "contact_merchant"),
)


def decline_group(action_code: int) -> str:
    """The §5.4 decline-text group id for an ``actionCode`` (unknown codes → contact_bank)."""
    group = _DECLINE_EXPLICIT.get(action_code)
    if group is not None:
        return group
    for low, high, range_group in _DECLINE_RANGES:
        if low <= action_code <= high:
            return range_group
    return "contact_bank"


def decline_message(action_code: int, lang: str | None) -> str:
    """Buyer-facing decline text for ``action_code`` in ``lang`` (falls back to en)."""
    group = decline_group(action_code)
    return DECLINE_TEXTS[normalize_lang(lang)].get(group) or DECLINE_TEXTS[DEFAULT_LANG][group]
