"""Card numbers, brands, expiry dates, CVC and cardholder names.

Pure functions, stdlib only.  Nothing here stores or logs card data: callers get booleans,
brands and masked numbers back, so the full PAN never has to leave the caller's hands.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple

PAN_MIN_LENGTH = 12
PAN_MAX_LENGTH = 19

VISA = "VISA"
MASTERCARD = "MASTERCARD"
MIR = "MIR"
MAESTRO = "MAESTRO"
AMEX = "AMEX"
JCB = "JCB"
CUP = "CUP"
UNKNOWN = "UNKNOWN"

_SEPARATORS = re.compile(r"[\s\-]+")
_DIGITS = re.compile(r"[0-9]+")
_CVC3 = re.compile(r"[0-9]{3}")
_CVC4 = re.compile(r"[0-9]{4}")
# Latin letters plus the punctuation real names carry: "J. R. O'NEIL-SMITH"
_NAME = re.compile(r"[A-Za-z .\-']+")
_LETTER = re.compile(r"[A-Za-z]")
NAME_MIN_LENGTH = 2
NAME_MAX_LENGTH = 150


class InvalidExpiry(ValueError):
    """An expiry date that cannot be read (not "the card has expired": see ``is_expired``)."""


class Expiry(NamedTuple):
    year: int  # four digits
    month: int  # 1..12

    @property
    def yyyymm(self) -> str:
        return expiration(self.year, self.month)


# --- card number -------------------------------------------------------------------------


def normalize_pan(text: str) -> str:
    """Drop the spaces and dashes buyers type between digit groups ("4111 1111-1111 1111")."""
    return _SEPARATORS.sub("", text)


def luhn_valid(pan: str) -> bool:
    """The mod-10 check digit.  Anything other than ASCII digits is simply invalid."""
    if not pan.isascii() or not _DIGITS.fullmatch(pan):
        return False
    total = 0
    for position, char in enumerate(reversed(pan)):
        digit = ord(char) - 48
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def valid_pan(pan: str) -> bool:
    """12..19 digits with a correct Luhn check digit (call ``normalize_pan`` first)."""
    return PAN_MIN_LENGTH <= len(pan) <= PAN_MAX_LENGTH and luhn_valid(pan)


def _prefix_in(pan: str, width: int, low: int, high: int) -> bool:
    head = pan[:width]
    return len(head) == width and head.isdigit() and low <= int(head) <= high


def payment_system(pan: str) -> str:
    """The card scheme by IIN prefix, in the spelling of ``cardAuthInfo.paymentSystem``.

    More specific ranges are tested first: MIR 2200-2204 before Mastercard's 2221-2720,
    Maestro's 6390 before UnionPay's 62.
    """
    if not pan.isascii() or not pan.isdigit():
        return UNKNOWN
    if _prefix_in(pan, 4, 2200, 2204):
        return MIR
    if _prefix_in(pan, 4, 2221, 2720) or _prefix_in(pan, 2, 51, 55):
        return MASTERCARD
    if pan.startswith("4"):
        return VISA
    if pan.startswith(("34", "37")):
        return AMEX
    if _prefix_in(pan, 4, 3528, 3589):
        return JCB
    if pan.startswith(("50", "56", "57", "58", "6390", "6304", "67")):
        return MAESTRO
    if pan.startswith(("62", "81")):
        return CUP
    return UNKNOWN


def mask_pan(pan: str) -> str:
    """First 6 + "**" + last 4, as in ``cardAuthInfo.maskedPan`` ("411111**1111")."""
    return f"{pan[:6]}**{pan[-4:]}"


# --- expiry --------------------------------------------------------------------------------


def _full_year(year: int) -> int:
    return 2000 + year if 0 <= year < 100 else year


def expiration(year: int, month: int) -> str:
    """ "YYYYMM", the spec's ``expiration`` field; a two-digit year means 20YY."""
    return f"{_full_year(year):04d}{month:02d}"


def is_expired(year: int, month: int, now: datetime) -> bool:
    """A card is valid through the last day of its expiry month."""
    return (now.year, now.month) > (_full_year(year), month)


def _expiry(year: int, month: int) -> Expiry:
    full = _full_year(year)
    if not 1 <= month <= 12:
        raise InvalidExpiry(f"month out of range: {month}")
    if not 2000 <= full <= 2099:
        raise InvalidExpiry(f"year out of range: {full}")
    return Expiry(full, month)


def parse_expiry_fields(month: str, year: str) -> Expiry:
    """Separate form fields: ``MM`` (1 or 2 digits) and ``YY`` or ``YYYY``."""
    month, year = month.strip(), year.strip()
    if not re.fullmatch(r"[0-9]{1,2}", month):
        raise InvalidExpiry(f"not a month: {month!r}")
    if not re.fullmatch(r"[0-9]{2}|[0-9]{4}", year):
        raise InvalidExpiry(f"not a year: {year!r}")
    return _expiry(int(year), int(month))


def parse_expiry_yyyymm(text: str) -> Expiry:
    """The wire form ``YYYYMM`` (``$EXPIRY`` of processform.do)."""
    text = text.strip()
    if not re.fullmatch(r"[0-9]{6}", text):
        raise InvalidExpiry(f"not YYYYMM: {text!r}")
    return _expiry(int(text[:4]), int(text[4:]))


def parse_expiry(text: str) -> Expiry:
    """What a buyer or a client sends as one string.

    ``YYYYMM`` (six digits, no separator), ``MMYY`` (four digits), or ``MM/YY``,
    ``MM/YYYY`` with "/", "-", "." or a space between.  Six bare digits are always read
    as ``YYYYMM``: that is the spec's wire format, and ``MMYYYY`` would be ambiguous.
    """
    text = text.strip()
    if re.fullmatch(r"[0-9]{6}", text):
        return parse_expiry_yyyymm(text)
    if re.fullmatch(r"[0-9]{4}", text):
        return parse_expiry_fields(text[:2], text[2:])
    match = re.fullmatch(r"([0-9]{1,2})\s*[/\-. ]\s*([0-9]{2}|[0-9]{4})", text)
    if match is None:
        raise InvalidExpiry(f"unreadable expiry date: {text!r}")
    return parse_expiry_fields(match.group(1), match.group(2))


# --- CVC and cardholder -------------------------------------------------------------------


def valid_cvc(cvc: str, pan: str | None = None) -> bool:
    """Three digits; four when ``pan`` is an American Express card."""
    if not cvc.isascii():
        return False
    if pan is not None and payment_system(pan) == AMEX:
        return _CVC4.fullmatch(cvc) is not None
    return _CVC3.fullmatch(cvc) is not None


def normalize_cardholder_name(name: str) -> str:
    """Trim and collapse runs of whitespace ("  IVAN   IVANOV " -> "IVAN IVANOV")."""
    return " ".join(name.split())


def valid_cardholder_name(name: str) -> bool:
    """Latin letters, spaces, dots, hyphens and apostrophes; 2..150 characters; at least one
    letter.  A single name ("MADONNA") is accepted: the test-card lists ask for two words
    but real cardholders with one name exist, and the issuer does not check the name."""
    name = normalize_cardholder_name(name)
    return (
        NAME_MIN_LENGTH <= len(name) <= NAME_MAX_LENGTH
        and name.isascii()
        and _NAME.fullmatch(name) is not None
        and _LETTER.search(name) is not None
    )
