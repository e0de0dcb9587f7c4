"""``actionCode`` descriptions (spec §5.4, ``action-codes.csv``) and the order statuses.

The CSV ships inside the package; it is read once, at import.
"""

from __future__ import annotations

import csv
import enum
import io
from importlib import resources


class OrderStatus(enum.IntEnum):
    CREATED = 0
    APPROVED = 1
    DEPOSITED = 2
    REVERSED = 3
    REFUNDED = 4
    ACS = 5  # at the issuer's 3-D Secure page
    DECLINED = 6


#: spec §2.2; status 5 shows CREATED
PAYMENT_STATE = {
    OrderStatus.CREATED: "CREATED",
    OrderStatus.APPROVED: "APPROVED",
    OrderStatus.DEPOSITED: "DEPOSITED",
    OrderStatus.REVERSED: "REVERSED",
    OrderStatus.REFUNDED: "REFUNDED",
    OrderStatus.ACS: "CREATED",
    OrderStatus.DECLINED: "DECLINED",
}

APPROVED = 0
NO_ATTEMPT = -100
#: the acquirer's answer did not come (interim while it is looked up, and final past the
#: reconciler's deadline)
PROCESSING_TIMEOUT = -1
#: the acquirer's status inquiry says the request never reached it: nothing was charged
NOT_RECEIVED_BY_ACQUIRER = 151018
THREE_DS_REJECTED = -2006
ORDER_EXPIRED = -2007
ATTEMPTS_EXHAUSTED = -2013
DECLINED_BY_MERCHANT = 4005  # decline.do [inferred in the spec]
WRONG_CARD_DATA = 71015

# Russian texts for the codes a buyer or a shop sees most; others fall back to English.
_RU = {
    -1: "Истекло время ожидания ответа от процессинга",
    -2006: "Эмитент отклонил аутентификацию 3-D Secure",
    -2007: "Истек срок ожидания ввода данных",
    -2011: "Карта вовлечена в 3-D Secure, но банк-эмитент не готов провести аутентификацию",
    -2013: "Исчерпаны попытки оплаты",
    -20010: "Транзакция отклонена: превышен лимит, установленный банком-эмитентом",
    5: "Отказ сети проводить транзакцию",
    100: "Ограничение по карте",
    101: "Истек срок действия карты",
    116: "Недостаточно средств",
    904: "Ошибочный формат сообщения с точки зрения банка-эмитента",
    4005: "Заказ отклонён магазином",
    71015: "Введены неверные параметры карты",
    151017: "Ошибка 3-D Secure авторизации",
    341016: "Аутентификация 3DS2 не пройдена",
}


def _load() -> dict[int, str]:
    text = resources.files(__package__).joinpath("action-codes.csv").read_text("utf-8")
    table: dict[int, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        try:
            code = int(row["action_code"])
        except ValueError:
            continue
        table.setdefault(code, row["meaning_en"])
    return table


_EN = _load()
_EN[DECLINED_BY_MERCHANT] = _EN.get(DECLINED_BY_MERCHANT, "Order declined by the merchant")


#: spec §3.9: the machine-readable class of a decline, ``(errorTypeName,
#: processingErrorType)``.  The spec names two pairs (wrong card data: DATA_INPUT_ERROR /
#: CLIENT_ERROR; an unknown 3-DS enrolment: TDS_UNKNOWN_ARES_STATUS / MANDATORY_3DSECURE);
#: the other names are EcomGate's own, in the same style (docs/api.md lists them)
DATA_INPUT = ("DATA_INPUT_ERROR", "CLIENT_ERROR")
_DECLINE_CLASSES: dict[int, tuple[str, str]] = {
    WRONG_CARD_DATA: DATA_INPUT,
    101: DATA_INPUT,  # expired card
    111: DATA_INPUT,  # wrong card number
    125: DATA_INPUT,
    -2016: ("TDS_UNKNOWN_ARES_STATUS", "MANDATORY_3DSECURE"),
    -2018: ("TDS_UNKNOWN_ARES_STATUS", "MANDATORY_3DSECURE"),
    THREE_DS_REJECTED: ("TDS_AUTHENTICATION_FAILED", "MANDATORY_3DSECURE"),
    -2011: ("TDS_AUTHENTICATION_FAILED", "MANDATORY_3DSECURE"),
    151017: ("TDS_AUTHENTICATION_FAILED", "MANDATORY_3DSECURE"),
    341016: ("TDS_AUTHENTICATION_FAILED", "MANDATORY_3DSECURE"),
    PROCESSING_TIMEOUT: ("PROCESSING_TIMEOUT", "SYSTEM_ERROR"),
    NOT_RECEIVED_BY_ACQUIRER: ("PROCESSING_TIMEOUT", "SYSTEM_ERROR"),
    151019: ("PROCESSING_TIMEOUT", "SYSTEM_ERROR"),
    ORDER_EXPIRED: ("SESSION_EXPIRED", "CLIENT_ERROR"),
    999: ("FRAUD", "FRAUD_ERROR"),
    2001: ("FRAUD", "FRAUD_ERROR"),
}
#: any other decline: the issuer (or the network) said no
ISSUER_DECLINE = ("ISSUER_DECLINE", "ISSUER_ERROR")


def decline_class(code: int) -> tuple[str, str]:
    """``(errorTypeName, processingErrorType)`` of a declined payment (spec §3.9)."""
    return _DECLINE_CLASSES.get(code, ISSUER_DECLINE)


def action_code_description(code: int, language: str) -> str:
    """Spec §3.3: "" for 0 and -100, otherwise a localized description."""
    if code in (APPROVED, NO_ATTEMPT):
        return ""
    if language == "ru" and code in _RU:
        return _RU[code]
    return _EN.get(code, f"Declined ({code})")
