"""The whole test-card table (spec §6, test-cards.csv) through ``EmulatorAcquirer.authorize``."""

import random
import uuid
from datetime import UTC, datetime

import pytest

from ecomgate.acquirers.base import (
    AuthorizationRequest,
    CardData,
    Outcome,
    SyncRequest,
    ThreeDSCompletion,
)
from ecomgate.acquirers.emulator import EmulatorAcquirer
from ecomgate.acquirers.emulator.cards_table import TEST_CARDS
from ecomgate.domain import cards
from ecomgate.domain.operations import OperationKind

NOW = datetime(2026, 11, 28, 12, 30, tzinfo=UTC)


@pytest.fixture
def emulator() -> EmulatorAcquirer:
    return EmulatorAcquirer(
        b"unit-secret", "https://gw.test", rng=random.Random(7), clock=lambda: NOW
    )


def request_for(
    pan: str,
    cvc: str | None = "123",
    *,
    year: int = 2030,
    month: int = 12,
    force_3ds: bool = False,
    skip_3ds: bool = False,
    three_ds_protocol: str = "3ds1",
) -> AuthorizationRequest:
    """A request whose issuer speaks 3-D Secure 1 to cards enrolled in both versions (the
    3DS2 side of the table: ``test_emulator_three_ds2.py``)."""
    return AuthorizationRequest(
        three_ds_protocol=three_ds_protocol,
        operation_id=str(uuid.uuid4()),
        order_id="0190f0aa-0000-7000-8000-000000000001",
        merchant_login="shop",
        amount=150_000,
        currency="643",
        card=CardData(pan, year, month, cvc, "TEST CARDHOLDER"),
        two_phase=False,
        force_3ds=force_3ds,
        skip_3ds=skip_3ds,
    )


APPROVED_WITHOUT_3DS = [
    ("4563960122001999", "347", "VISA", "07"),
    ("639002000000000003", "123", "MAESTRO", "00"),
    ("4444555511113333", "123", "VISA", "07"),
    ("2200000000000004", "123", "MIR", "07"),  # not in the table: our rule, approved
]


@pytest.mark.parametrize(("pan", "cvc", "system", "eci"), APPROVED_WITHOUT_3DS)
async def test_cards_without_3ds_are_approved_straight_away(
    emulator: EmulatorAcquirer, pan: str, cvc: str, system: str, eci: str
) -> None:
    result = await emulator.authorize(request_for(pan, cvc))
    assert result.outcome is Outcome.APPROVED
    assert result.action_code == 0
    assert result.payment_system == system
    assert result.eci == eci
    assert result.challenge is None


DECLINED = [
    ("4444444444446666", -20010),
    ("4444444444444422", 904),
    ("4444444411111111", 5),
    ("4444444499999999", 151017),
    ("4000001111111126", 5),
]


@pytest.mark.parametrize(("pan", "code"), DECLINED)
async def test_decline_cards_are_declined_with_their_action_code(
    emulator: EmulatorAcquirer, pan: str, code: int
) -> None:
    result = await emulator.authorize(request_for(pan))
    assert result.outcome is Outcome.DECLINED
    assert result.action_code == code
    assert result.approval_code is None
    assert result.challenge is None


ENROLLED = [
    "4111111111111111",
    "5555555555555599",
    "5555555555555557",
    "5000001111111115",
    "4012001038166662",
]


@pytest.mark.parametrize("pan", ENROLLED)
async def test_enrolled_cards_are_sent_to_the_emulated_acs(
    emulator: EmulatorAcquirer, pan: str
) -> None:
    request = request_for(pan)
    result = await emulator.authorize(request)
    assert result.outcome is Outcome.CHALLENGE
    assert result.challenge is not None
    assert result.challenge.acs_url == "https://gw.test/acs/emulator/challenge"
    assert result.challenge.md == request.order_id
    assert pan not in result.challenge.pa_req
    assert pan[-4:] in emulator.read_pa_req(result.challenge.pa_req, request.order_id)["pan"]


async def finish(emulator: EmulatorAcquirer, pan: str, password: str | None) -> tuple[int, str]:
    request = request_for(pan)
    challenge = (await emulator.authorize(request)).challenge
    assert challenge is not None
    pa_res = emulator.authenticate(challenge.pa_req, challenge.md, password)
    result = await emulator.complete_3ds(
        ThreeDSCompletion(
            request.order_id,
            challenge.md,
            pa_res,
            request.amount,
            "643",
            False,
            operation_id="op-1",
        )
    )
    return result.action_code, str(result.eci)


@pytest.mark.parametrize(
    ("pan", "eci"),
    [
        ("4111111111111111", "05"),
        ("5555555555555599", "02"),
        ("5000001111111115", "02"),
        ("4012001038166662", "05"),
    ],
)
async def test_the_right_acs_password_approves_an_enrolled_card(
    emulator: EmulatorAcquirer, pan: str, eci: str
) -> None:
    assert await finish(emulator, pan, "12345678") == (0, eci)


@pytest.mark.parametrize("pan", ["4111111111111111", "5555555555555599"])
async def test_wrong_acs_password_declines_with_minus_2006(
    emulator: EmulatorAcquirer, pan: str
) -> None:
    code, _ = await finish(emulator, pan, "00000000")
    assert code == -2006


async def test_cancel_on_the_acs_page_declines_with_minus_2006(
    emulator: EmulatorAcquirer,
) -> None:
    code, _ = await finish(emulator, "4111111111111111", None)
    assert code == -2006


@pytest.mark.parametrize("password", ["12345678", "00000000", None])
async def test_issuer_that_cannot_finish_3ds_declines_with_minus_2011_whatever_the_password(
    emulator: EmulatorAcquirer, password: str | None
) -> None:
    code, _ = await finish(emulator, "5555555555555557", password)
    assert code == -2011


@pytest.mark.parametrize("pan", [*ENROLLED, "4563960122001999", "4444555511113333"])
async def test_a_wrong_cvc_on_a_table_card_declines_with_71015(
    emulator: EmulatorAcquirer, pan: str
) -> None:
    result = await emulator.authorize(request_for(pan, "999"))
    assert (result.outcome, result.action_code) == (Outcome.DECLINED, 71015)


async def test_the_table_cvc_of_4563960122001999_is_347(emulator: EmulatorAcquirer) -> None:
    result = await emulator.authorize(request_for("4563960122001999", "123"))
    assert result.action_code == 71015


@pytest.mark.parametrize("cvc", ["12", "1234", "abc", ""])
async def test_a_malformed_cvc_on_any_other_card_declines_with_71015(
    emulator: EmulatorAcquirer, cvc: str
) -> None:
    result = await emulator.authorize(request_for("4000000000000002", cvc))
    assert result.action_code == 71015


async def test_a_card_without_cvc_is_judged_by_the_rest_of_its_data(
    emulator: EmulatorAcquirer,
) -> None:
    result = await emulator.authorize(request_for("4444555511113333", None))
    assert result.outcome is Outcome.APPROVED


@pytest.mark.parametrize("pan", ["4111111111111112", "1234", "41111111111111111111", "4111x"])
async def test_a_number_failing_luhn_or_length_declines_with_71015(
    emulator: EmulatorAcquirer, pan: str
) -> None:
    result = await emulator.authorize(request_for(pan))
    assert (result.outcome, result.action_code) == (Outcome.DECLINED, 71015)


async def test_spaces_in_the_card_number_are_ignored(emulator: EmulatorAcquirer) -> None:
    result = await emulator.authorize(request_for("4563 9601 2200 1999", "347"))
    assert result.outcome is Outcome.APPROVED


async def test_an_expired_card_declines_with_101(emulator: EmulatorAcquirer) -> None:
    result = await emulator.authorize(request_for("4444555511113333", year=2026, month=10))
    assert (result.outcome, result.action_code) == (Outcome.DECLINED, 101)


async def test_a_card_is_still_good_in_its_expiry_month(emulator: EmulatorAcquirer) -> None:
    result = await emulator.authorize(request_for("4444555511113333", year=2026, month=11))
    assert result.outcome is Outcome.APPROVED


async def test_force_3ds_on_a_card_that_is_not_enrolled_approves_as_an_attempt(
    emulator: EmulatorAcquirer,
) -> None:
    result = await emulator.authorize(request_for("4444555511113333", force_3ds=True))
    assert (result.outcome, result.eci) == (Outcome.APPROVED, "06")


async def test_force_3ds_keeps_the_challenge_of_an_enrolled_card(
    emulator: EmulatorAcquirer,
) -> None:
    result = await emulator.authorize(request_for("4111111111111111", force_3ds=True))
    assert result.outcome is Outcome.CHALLENGE


@pytest.mark.parametrize("pan", [*ENROLLED, "4444444499999999", "5168494895055780"])
async def test_skip_3ds_approves_an_enrolled_card_without_a_challenge(
    emulator: EmulatorAcquirer, pan: str
) -> None:
    result = await emulator.authorize(request_for(pan, skip_3ds=True))
    assert result.outcome is Outcome.APPROVED
    assert result.eci in ("07", "00")


async def test_skip_3ds_does_not_rescue_an_authorisation_decline(
    emulator: EmulatorAcquirer,
) -> None:
    result = await emulator.authorize(request_for("4444444444446666", skip_3ds=True))
    assert result.action_code == -20010


async def test_approvals_carry_approval_code_rrn_and_a_stable_terminal(
    emulator: EmulatorAcquirer,
) -> None:
    first = await emulator.authorize(request_for("4444555511113333"))
    second = await emulator.authorize(request_for("4444555511113333"))
    for result in (first, second):
        assert result.approval_code is not None
        assert len(result.approval_code) == 6
        assert result.approval_code.isalnum()
        assert result.approval_code == result.approval_code.upper()
        assert result.auth_ref_num is not None
        assert len(result.auth_ref_num) == 12
        assert result.auth_ref_num.isdigit()
        assert result.auth_ref_num.startswith("633212")  # Y=6, day 332, 12 h UTC
    assert first.auth_ref_num != second.auth_ref_num
    assert first.terminal_id == second.terminal_id
    assert first.terminal_id is not None
    assert len(first.terminal_id) == 8
    other_process = EmulatorAcquirer(b"unit-secret", "https://gw.test")
    assert other_process.terminal_id == first.terminal_id


async def test_operations_approve_with_a_fresh_12_digit_reference(
    emulator: EmulatorAcquirer,
) -> None:
    from ecomgate.acquirers.base import OperationRequest

    request = OperationRequest(
        "0190f0aa-0000-7000-8000-000000000001", 100, "643", "633212000001", operation_id="op-1"
    )
    references = set()
    for operation in (emulator.deposit, emulator.reverse, emulator.refund):
        result = await operation(request)
        assert (result.outcome, result.action_code) == (Outcome.APPROVED, 0)
        assert result.reference_number is not None
        assert len(result.reference_number) == 12
        references.add(result.reference_number)
    assert len(references) == 3


async def test_fail_operations_knob_declines_operations_with_5() -> None:
    from ecomgate.acquirers.base import OperationRequest

    failing = EmulatorAcquirer(b"s", "http://x", fail_operations=True)
    request = OperationRequest("o", 100, "643", None, operation_id="op-1")
    for operation in (failing.deposit, failing.reverse, failing.refund):
        result = await operation(request)
        assert (result.outcome, result.action_code) == (Outcome.DECLINED, 5)


async def test_latency_knob_delays_every_answer() -> None:
    import time

    slow = EmulatorAcquirer(b"s", "http://x", latency_ms=50)
    started = time.monotonic()
    await slow.authorize(request_for("4444555511113333"))
    assert time.monotonic() - started >= 0.045


def test_the_registry_builds_the_emulator_and_refuses_unknown_names() -> None:
    from ecomgate.acquirers.registry import create_acquirer

    acquirer = create_acquirer("emulator", secret=b"s", acs_base_url="http://x")
    assert isinstance(acquirer, EmulatorAcquirer)
    assert acquirer.name == "emulator"
    with pytest.raises(ValueError, match="unknown acquirer"):
        create_acquirer("nope")


def test_the_emulator_refuses_an_empty_secret() -> None:
    with pytest.raises(ValueError):
        EmulatorAcquirer(b"", "http://x")


async def test_3ds_tokens_carry_the_masked_pan_only_never_the_pan_or_cvc(
    emulator: EmulatorAcquirer,
) -> None:
    import base64
    import json

    request = request_for("4111111111111111", "123")
    challenge = (await emulator.authorize(request)).challenge
    assert challenge is not None
    pa_res = emulator.authenticate(challenge.pa_req, challenge.md, "12345678")
    for token in (challenge.pa_req, pa_res):
        payload = token.split(".")[0]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert "4111111111111111" not in json.dumps(claims)
        assert "123" not in [str(value) for value in claims.values()]
    assert emulator.read_pa_req(challenge.pa_req, challenge.md)["pan"] == "411111**1111"


@pytest.mark.parametrize("pan", sorted(TEST_CARDS))
@pytest.mark.parametrize(("force_3ds", "skip_3ds"), [(False, False), (True, False), (False, True)])
async def test_sync_tells_what_authorize_answered_for_every_card_without_a_challenge(
    emulator: EmulatorAcquirer, pan: str, force_3ds: bool, skip_3ds: bool
) -> None:
    """The reconciler's view of a lost answer agrees with the answer itself: derived from
    the gateway's record (masked card, expiry, features), never from memory."""
    card = TEST_CARDS[pan]
    request = request_for(pan, card.cvc, force_3ds=force_3ds, skip_3ds=skip_3ds)
    answer = await emulator.authorize(request)
    inquiry = SyncRequest(
        operation=OperationKind.AUTHORIZATION,
        operation_id=request.operation_id,
        order_id=request.order_id,
        amount=request.amount,
        currency=request.currency,
        masked_pan=cards.mask_pan(pan),
        expiration="203012",
        force_3ds=force_3ds,
        skip_3ds=skip_3ds,
    )
    synced = await emulator.sync(inquiry)
    if answer.outcome is Outcome.CHALLENGE:
        assert not synced.found  # what the buyer typed at the ACS is unknown to it
        return
    assert (synced.outcome, synced.action_code, synced.eci) == (
        answer.outcome,
        answer.action_code,
        answer.eci,
    )


async def test_sync_of_an_expired_card_is_declined_with_101(emulator: EmulatorAcquirer) -> None:
    inquiry = SyncRequest(
        operation=OperationKind.AUTHORIZATION,
        operation_id="op-1",
        order_id="o-1",
        amount=100,
        currency="643",
        masked_pan="456396**1999",
        expiration="202001",
    )
    synced = await emulator.sync(inquiry)
    assert (synced.outcome, synced.action_code) == (Outcome.DECLINED, 101)
