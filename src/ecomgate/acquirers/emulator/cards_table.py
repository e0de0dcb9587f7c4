"""The emulator's test cards: spec §6 and ``test-cards.csv``, as data.

Any card not listed here that is Luhn-valid, unexpired and has a well-formed CVC is approved
without 3-D Secure (spec §7, our rule).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

ACS_PASSWORD = "12345678"
#: the one-time code the emulated 3-D Secure 2 challenge accepts (BPC SDK tests: 000000 is
#: their wrong one; here every other code is wrong)
ACS_OTP = "123456"


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


class ThreeDS2(enum.Enum):
    """What the emulated issuer answers a 3-D Secure 2 authentication of the card with."""

    #: authenticated without a challenge (transStatus Y)
    FRICTIONLESS = "frictionless"
    #: a challenge: one-time code ``ACS_OTP`` authenticates (Y), any other fails (N)
    CHALLENGE = "challenge"
    #: authentication attempted (transStatus A, attempt ECI): the payment proceeds
    ATTEMPT = "attempt"
    #: frictionless with a negative result (transStatus N): declined with ``action_code``
    NEGATIVE = "negative"


@dataclass(frozen=True)
class EmulatorCard:
    pan: str
    cvc: str
    #: without 3-D Secure 2, or when the issuer speaks 3-D Secure 1 (``Scenario.CHALLENGE``:
    #: the card is enrolled in 3DS1, password ``ACS_PASSWORD``)
    scenario: Scenario
    action_code: int
    description: str
    #: the card is enrolled in 3-D Secure 2, with this outcome
    three_ds2: ThreeDS2 | None = None

    @property
    def three_ds1(self) -> bool:
        return self.scenario is Scenario.CHALLENGE

    def speaks_3ds2(self, protocol: str) -> bool:
        """3-D Secure 2 for a card enrolled in it: always when it knows only 3DS2, and for a
        card enrolled in both when the protocol setting (``3ds1``/``3ds2``) says so."""
        if self.three_ds2 is None:
            return False
        return protocol != "3ds1" or not self.three_ds1


TEST_CARDS: dict[str, EmulatorCard] = {
    card.pan: card
    for card in (
        EmulatorCard(
            "4111111111111111",
            "123",
            Scenario.CHALLENGE,
            0,
            "Visa, 3-DS1 password / 3-DS2 frictionless",
            ThreeDS2.FRICTIONLESS,
        ),
        EmulatorCard(
            "5555555555555599",
            "123",
            Scenario.CHALLENGE,
            0,
            "Mastercard, 3-DS1 password / 3-DS2 challenge (code 123456)",
            ThreeDS2.CHALLENGE,
        ),
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
            "4000001111111118",
            "123",
            Scenario.FRICTIONLESS_APPROVE,
            0,
            "3-DS2 attempt, approved",
            ThreeDS2.ATTEMPT,
        ),
        EmulatorCard("5000001111111115", "123", Scenario.CHALLENGE, 0, "3-DS challenge, approved"),
        EmulatorCard(
            "5168494895055780",
            "123",
            Scenario.THREE_DS_DECLINE,
            341016,
            "3-DS2 frictionless, authentication negative",
            ThreeDS2.NEGATIVE,
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
