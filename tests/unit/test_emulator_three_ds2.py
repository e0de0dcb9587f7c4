"""The emulated issuer's 3-D Secure 2 (test-cards.csv): the method step, the frictionless
verdicts, the challenge with its one-time code, and the protocol setting for cards
enrolled in both versions."""

import base64
import json
import random
import uuid
from datetime import UTC, datetime

import pytest

from ecomgate.acquirers.base import (
    AuthorizationRequest,
    AuthorizationResult,
    CardData,
    Outcome,
    ThreeDS2Continuation,
    ThreeDSCompletion,
)
from ecomgate.acquirers.emulator import EmulatorAcquirer, tokens
from ecomgate.domain import cards

NOW = datetime(2026, 11, 28, 12, 30, tzinfo=UTC)
ORDER_ID = "0190f0aa-0000-7000-8000-000000000002"
NOTIFY = "https://gw.test/payment/rest/finish3dsVer2.do?lang=en&mdOrder=" + ORDER_ID


@pytest.fixture
def emulator() -> EmulatorAcquirer:
    return EmulatorAcquirer(
        b"unit-secret", "https://gw.test", rng=random.Random(7), clock=lambda: NOW
    )


def request_for(pan: str, protocol: str = "3ds2") -> AuthorizationRequest:
    return AuthorizationRequest(
        operation_id=str(uuid.uuid4()),
        order_id=ORDER_ID,
        merchant_login="shop",
        merchant_name="Test Shop",
        amount=150_000,
        currency="643",
        card=CardData(pan, 2030, 12, "123", "TEST CARDHOLDER"),
        two_phase=False,
        three_ds_protocol=protocol,
        notification_url=NOTIFY,
        language="ru",
    )


async def method_then_continue(
    emulator: EmulatorAcquirer, pan: str
) -> tuple[AuthorizationRequest, str, AuthorizationResult]:
    request = request_for(pan)
    started = await emulator.authorize(request)
    assert started.outcome is Outcome.CHALLENGE and started.three_ds2_method is not None
    trans_id = started.three_ds2_method.server_trans_id
    answer = await emulator.continue_3ds2(
        ThreeDS2Continuation(
            order_id=ORDER_ID,
            operation_id=request.operation_id,
            server_trans_id=trans_id,
            masked_pan=cards.mask_pan(pan),
            amount=request.amount,
            currency=request.currency,
            two_phase=False,
            merchant_name="Test Shop",
            language="ru",
            notification_url=NOTIFY,
        )
    )
    return request, trans_id, answer


@pytest.mark.parametrize(
    "pan", ["4111111111111111", "5555555555555599", "4000001111111118", "5168494895055780"]
)
async def test_a_3ds2_card_starts_with_the_method_step(
    emulator: EmulatorAcquirer, pan: str
) -> None:
    result = await emulator.authorize(request_for(pan))
    method = result.three_ds2_method
    assert result.outcome is Outcome.CHALLENGE and method is not None
    assert result.challenge is None and result.three_ds2_challenge is None
    assert method.method_url == "https://gw.test/acs/emulator/3ds2/method"
    assert str(uuid.UUID(method.server_trans_id)) == method.server_trans_id
    data = json.loads(base64.urlsafe_b64decode(method.method_data + "=="))
    assert data == {
        "threeDSServerTransID": method.server_trans_id,
        "threeDSMethodNotificationURL": NOTIFY,
    }


@pytest.mark.parametrize("pan", ["4111111111111111", "5555555555555599"])
async def test_the_3ds1_setting_sends_a_card_enrolled_in_both_to_the_password_page(
    emulator: EmulatorAcquirer, pan: str
) -> None:
    result = await emulator.authorize(request_for(pan, protocol="3ds1"))
    assert result.outcome is Outcome.CHALLENGE
    assert result.challenge is not None and result.three_ds2_method is None


@pytest.mark.parametrize("pan", ["4000001111111118", "5168494895055780"])
async def test_a_card_enrolled_in_3ds2_only_speaks_3ds2_whatever_the_setting(
    emulator: EmulatorAcquirer, pan: str
) -> None:
    result = await emulator.authorize(request_for(pan, protocol="3ds1"))
    assert result.three_ds2_method is not None


async def test_a_3ds1_only_card_keeps_its_pares_flow_under_the_3ds2_setting(
    emulator: EmulatorAcquirer,
) -> None:
    result = await emulator.authorize(request_for("4012001038166662"))
    assert result.challenge is not None and result.three_ds2_method is None


@pytest.mark.parametrize(
    ("pan", "status", "eci"),
    [("4111111111111111", "Y", "05"), ("4000001111111118", "A", "06")],
)
async def test_frictionless_and_attempt_cards_are_approved_with_their_eci_and_cavv(
    emulator: EmulatorAcquirer, pan: str, status: str, eci: str
) -> None:
    _, trans_id, answer = await method_then_continue(emulator, pan)
    assert (answer.outcome, answer.action_code, answer.eci) == (Outcome.APPROVED, 0, eci)
    secure = answer.secure_auth
    assert secure is not None
    assert (secure.version, secure.trans_status) == ("2.2.0", status)
    assert len(secure.cavv) == 28 and secure.server_trans_id == trans_id
    assert secure.ds_trans_id and not secure.xid


async def test_a_negative_frictionless_result_is_declined_with_341016(
    emulator: EmulatorAcquirer,
) -> None:
    _, _, answer = await method_then_continue(emulator, "5168494895055780")
    assert (answer.outcome, answer.action_code) == (Outcome.DECLINED, 341016)
    assert answer.secure_auth is not None and answer.secure_auth.trans_status == "N"
    assert answer.secure_auth.cavv == ""
    assert answer.auth_ref_num is None  # decided before any authorisation message


async def finish_challenge(
    emulator: EmulatorAcquirer, code: str | None
) -> tuple[AuthorizationResult, dict[str, object]]:
    request, trans_id, answer = await method_then_continue(emulator, "5555555555555599")
    challenge = answer.three_ds2_challenge
    assert answer.outcome is Outcome.CHALLENGE and challenge is not None
    assert challenge.acs_url == "https://gw.test/acs/emulator/3ds2/challenge"
    shown = emulator.read_creq(challenge.creq)
    cres, back_to = emulator.answer_challenge(challenge.creq, code)
    assert back_to == NOTIFY
    result = await emulator.complete_3ds(
        ThreeDSCompletion(
            order_id=ORDER_ID,
            md=ORDER_ID,
            pa_res="",
            cres=cres,
            server_trans_id=trans_id,
            amount=request.amount,
            currency=request.currency,
            two_phase=False,
            operation_id=request.operation_id,
        )
    )
    return result, shown


async def test_the_right_one_time_code_approves_the_challenge(
    emulator: EmulatorAcquirer,
) -> None:
    result, shown = await finish_challenge(emulator, "123456")
    assert (result.outcome, result.action_code, result.eci) == (Outcome.APPROVED, 0, "02")
    assert result.secure_auth is not None and result.secure_auth.trans_status == "Y"
    # what the challenge page shows: never the full card number
    assert (shown["pan"], shown["mer"], shown["amt"], shown["lang"]) == (
        "555555**5599",
        "Test Shop",
        150_000,
        "ru",
    )


@pytest.mark.parametrize("code", ["000000", "12345", "", None])
async def test_any_other_one_time_code_or_a_cancel_declines_with_minus_2006(
    emulator: EmulatorAcquirer, code: str | None
) -> None:
    result, _ = await finish_challenge(emulator, code)
    assert (result.outcome, result.action_code) == (Outcome.DECLINED, -2006)
    assert result.secure_auth is not None and result.secure_auth.trans_status == "N"


async def test_a_cres_signed_with_another_secret_is_declined(
    emulator: EmulatorAcquirer,
) -> None:
    forged = tokens.sign(b"other", tokens.CRES, {"oid": ORDER_ID, "tid": "x", "st": "Y"})
    result = await emulator.complete_3ds(
        ThreeDSCompletion(
            ORDER_ID,
            ORDER_ID,
            "",
            150_000,
            "643",
            False,
            cres=forged,
            server_trans_id="x",
            operation_id="op",
        )
    )
    assert (result.outcome, result.action_code) == (Outcome.DECLINED, -2006)


async def test_a_creq_cannot_be_replayed_as_a_cres(emulator: EmulatorAcquirer) -> None:
    request, trans_id, answer = await method_then_continue(emulator, "5555555555555599")
    assert answer.three_ds2_challenge is not None
    result = await emulator.complete_3ds(
        ThreeDSCompletion(
            ORDER_ID,
            ORDER_ID,
            "",
            request.amount,
            request.currency,
            False,
            cres=answer.three_ds2_challenge.creq,
            server_trans_id=trans_id,
            operation_id=request.operation_id,
        )
    )
    assert result.outcome is Outcome.DECLINED
