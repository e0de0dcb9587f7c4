"""The emulator's test cards: spec §6 and ``test-cards.csv``, as data.

Any card not listed here that is Luhn-valid, unexpired and has a well-formed CVC is approved
without 3-D Secure (spec §7, our rule).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

ACS_PASSWORD = "12345678"


class Scenario(enum.Enum):
    #: authorised straight away, no 3-D Secure
    APPROVE = "approve"
    #: declined by the issuer or network at authorisation with ``action_code``
    DECLINE = "decline"
    #: 3-DS enrolled: the buyer is sent to the ACS page; ``action_code`` is what a correct
    #: password leads to (0, or -2011 for the card whose issuer cannot finish 3-DS)
    CHALLENGE = "challenge"
    #: 3-DS2 style frictionless *attempt*: approved without a challenge (ECI 06 / 01)
    FRICTIONLESS_APPROVE = "frictionless_approve"
    #: the 3-D Secure stage itself fails without a challenge (directory error, negative
    #: frictionless result) with ``action_code``
    THREE_DS_DECLINE = "three_ds_decline"


@dataclass(frozen=True)
class EmulatorCard:
    pan: str
    cvc: str
    scenario: Scenario
    action_code: int
    description: str


TEST_CARDS: dict[str, EmulatorCard] = {
    card.pan: card
    for card in (
        EmulatorCard("4111111111111111", "123", Scenario.CHALLENGE, 0, "Visa, 3-DS enrolled"),
        EmulatorCard("5555555555555599", "123", Scenario.CHALLENGE, 0, "Mastercard, 3-DS enrolled"),
        EmulatorCard("4563960122001999", "347", Scenario.APPROVE, 0, "Visa, no 3-DS"),
        EmulatorCard("639002000000000003", "123", Scenario.APPROVE, 0, "Maestro, no 3-DS"),
        EmulatorCard(
            "5555555555555557",
            "123",
            Scenario.CHALLENGE,
            -2011,
            "enrolled, but the issuer cannot finish 3-DS: ACS page, then -2011",
        ),
        EmulatorCard(
            "4444444444446666", "123", Scenario.DECLINE, -20010, "blocked by issuer limit"
        ),
        EmulatorCard("4444444444444422", "123", Scenario.DECLINE, 904, "invalid message format"),
        EmulatorCard("4444444411111111", "123", Scenario.DECLINE, 5, "network refused"),
        EmulatorCard(
            "4444444499999999", "123", Scenario.THREE_DS_DECLINE, 151017, "3-DS communication error"
        ),
        EmulatorCard(
            "4000001111111118", "123", Scenario.FRICTIONLESS_APPROVE, 0, "3-DS attempt, approved"
        ),
        EmulatorCard("5000001111111115", "123", Scenario.CHALLENGE, 0, "3-DS challenge, approved"),
        EmulatorCard(
            "5168494895055780",
            "123",
            Scenario.THREE_DS_DECLINE,
            341016,
            "3-DS2 frictionless, authentication negative",
        ),
        EmulatorCard(
            "4444555511113333", "123", Scenario.APPROVE, 0, "no 3-DS; any other CVC -> 71015"
        ),
        EmulatorCard("4012001038166662", "123", Scenario.CHALLENGE, 0, "3-DS1 challenge, approved"),
        EmulatorCard("4000001111111126", "123", Scenario.DECLINE, 5, "declined"),
    )
}


def lookup(pan: str) -> EmulatorCard | None:
    return TEST_CARDS.get(pan)


def lookup_masked(masked_pan: str) -> EmulatorCard | None:
    """The test card an order's masked PAN (first 6 + ** + last 4) stands for, if one."""
    head, _, tail = masked_pan.partition("**")
    if len(head) != 6 or len(tail) != 4:
        return None
    for card in TEST_CARDS.values():
        if card.pan.startswith(head) and card.pan.endswith(tail):
            return card
    return None
