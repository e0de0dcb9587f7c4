"""Who issued a card, by its BIN: ``bankInfo`` and ``cardAuthInfo.product`` of the status
(spec §3.3).

The table (``card-issuers.csv``) covers the BINs of the test cards (``test-cards.csv``);
the issuers are the emulator's own, not real banks.  Any other BIN is "UNKNOWN", as the
real gateways answer for a BIN their directory lacks.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Issuer:
    bank_name: str
    country_code: str
    country_name: str
    product: str
    product_category: str


#: the spec's answer for a BIN nobody knows (§3.3 example)
UNKNOWN = Issuer("", "UNKNOWN", "<Unknown>", "", "")


def _load() -> dict[str, Issuer]:
    text = resources.files(__package__).joinpath("card-issuers.csv").read_text("utf-8")
    return {
        row["bin"]: Issuer(
            row["bank_name"],
            row["country_code"],
            row["country_name"],
            row["product"],
            row["product_category"],
        )
        for row in csv.DictReader(io.StringIO(text))
    }


_ISSUERS = _load()


def issuer_of(masked_pan: str) -> Issuer:
    """The issuer of a card by the first six digits of its (masked) number."""
    return _ISSUERS.get(masked_pan[:6], UNKNOWN)
