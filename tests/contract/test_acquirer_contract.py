"""The contract every acquirer connector passes (design.md, convention 4).

Each connector contributes a ``Subject``: a factory plus the few things only it knows —
which cards approve, decline or need 3-D Secure, and how a test drives its ACS.  Today the
emulator is the only one; a real connector adds an entry against its sandbox.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomgate.acquirers.base import (
    Acquirer,
    AuthorizationRequest,
    AuthorizationResult,
    Capabilities,
    CardData,
    OperationRequest,
    Outcome,
    SyncRequest,
    ThreeDS2Challenge,
    ThreeDS2Continuation,
    ThreeDSChallenge,
    ThreeDSCompletion,
)
from ecomgate.acquirers.emulator import EmulatorAcquirer
from ecomgate.acquirers.registry import create_acquirer
from ecomgate.domain import cards
from ecomgate.domain.operations import OperationKind


@dataclass(frozen=True)
class Subject:
    name: str
    create: Callable[[], Acquirer]
    approve_card: CardData
    decline_card: CardData
    challenge_card: CardData
    #: drives the ACS for a challenge: password right (True) or wrong (False) -> PaRes
    pass_challenge: Callable[[Acquirer, ThreeDSChallenge, bool], Awaitable[str]]
    #: 3-D Secure 2: a card authenticated frictionless, one challenged, and how a test
    #: answers the challenge: code right (True) or wrong (False) -> CRes
    frictionless_3ds2_card: CardData
    challenge_3ds2_card: CardData
    pass_challenge_2: Callable[[Acquirer, ThreeDS2Challenge, bool], Awaitable[str]]


async def _emulator_acs(acquirer: Acquirer, challenge: ThreeDSChallenge, ok: bool) -> str:
    assert isinstance(acquirer, EmulatorAcquirer)
    return acquirer.authenticate(challenge.pa_req, challenge.md, "12345678" if ok else "0000")


async def _emulator_acs_2(acquirer: Acquirer, challenge: ThreeDS2Challenge, ok: bool) -> str:
    assert isinstance(acquirer, EmulatorAcquirer)
    cres, _ = acquirer.answer_challenge(challenge.creq, "123456" if ok else "000000")
    return cres


SUBJECTS = [
    Subject(
        name="emulator",
        create=lambda: create_acquirer(
            "emulator", secret=b"contract-secret", acs_base_url="http://127.0.0.1:8000"
        ),
        approve_card=CardData("4444555511113333", 2034, 12, "123", "TEST CARDHOLDER"),
        decline_card=CardData("4444444411111111", 2034, 12, "123", "TEST CARDHOLDER"),
        challenge_card=CardData("4111111111111111", 2034, 12, "123", "TEST CARDHOLDER"),
        pass_challenge=_emulator_acs,
        frictionless_3ds2_card=CardData("4111111111111111", 2034, 12, "123", "TEST CARDHOLDER"),
        challenge_3ds2_card=CardData("5555555555555599", 2034, 12, "123", "TEST CARDHOLDER"),
        pass_challenge_2=_emulator_acs_2,
    ),
]


@pytest.fixture(params=SUBJECTS, ids=lambda subject: subject.name)
def subject(request: pytest.FixtureRequest) -> Subject:
    return request.param  # type: ignore[no-any-return]


def authorization(
    card: CardData, *, amount: int = 150_000, protocol: str = "3ds1"
) -> AuthorizationRequest:
    """An authorization as the gateway sends it; its MD is the gateway's choice, made
    different from the order id here so that a connector cannot assume one is the other.
    3-D Secure 1 for cards enrolled in both versions, unless ``protocol`` says 3ds2."""
    return AuthorizationRequest(
        three_ds_protocol=protocol,
        notification_url="http://127.0.0.1:8000/payment/rest/finish3dsVer2.do?lang=en",
        operation_id=str(uuid.uuid4()),
        md=f"md-{uuid.uuid4().hex}",
        order_id=str(uuid.uuid4()),
        merchant_login="contract-shop",
        amount=amount,
        currency="643",
        card=card,
        two_phase=False,
        term_url="http://127.0.0.1:8000/payment/rest/finish3ds.do?lang=en",
    )


def completion_for(
    request: AuthorizationRequest, challenge: ThreeDSChallenge, pa_res: str
) -> ThreeDSCompletion:
    return ThreeDSCompletion(
        operation_id=request.operation_id,
        order_id=request.order_id,
        md=challenge.md,
        pa_res=pa_res,
        amount=request.amount,
        currency=request.currency,
        two_phase=request.two_phase,
    )


def assert_approved(result: AuthorizationResult) -> None:
    assert result.outcome is Outcome.APPROVED
    assert result.action_code == 0
    assert result.approval_code is not None
    assert len(result.approval_code) == 6
    assert result.auth_ref_num is not None
    assert result.auth_ref_num.isdigit()
    assert len(result.auth_ref_num) == 12


async def start_challenge(
    acquirer: Acquirer, subject: Subject
) -> tuple[AuthorizationRequest, ThreeDSChallenge]:
    request = authorization(subject.challenge_card)
    result = await acquirer.authorize(request)
    assert result.outcome is Outcome.CHALLENGE
    assert result.challenge is not None
    return request, result.challenge


def test_an_acquirer_has_a_name_and_capabilities(subject: Subject) -> None:
    acquirer = subject.create()
    assert isinstance(acquirer.name, str)
    assert acquirer.name
    assert isinstance(acquirer.capabilities, Capabilities)


async def test_a_good_card_is_approved(subject: Subject) -> None:
    assert_approved(await subject.create().authorize(authorization(subject.approve_card)))


async def test_a_decline_carries_a_non_zero_action_code_and_no_approval_code(
    subject: Subject,
) -> None:
    result = await subject.create().authorize(authorization(subject.decline_card))
    assert result.outcome is Outcome.DECLINED
    assert result.action_code != 0
    assert result.approval_code is None


async def test_a_challenge_names_an_http_acs_and_the_md_the_gateway_chose(
    subject: Subject,
) -> None:
    acquirer = subject.create()
    request, challenge = await start_challenge(acquirer, subject)
    assert challenge.acs_url.startswith(("http://", "https://"))
    assert challenge.md == request.md
    assert challenge.pa_req
    assert subject.challenge_card.pan not in challenge.pa_req


async def test_a_passed_challenge_completes_as_approved(subject: Subject) -> None:
    acquirer = subject.create()
    request, challenge = await start_challenge(acquirer, subject)
    pa_res = await subject.pass_challenge(acquirer, challenge, True)
    assert_approved(await acquirer.complete_3ds(completion_for(request, challenge, pa_res)))


async def test_a_challenge_started_by_one_instance_completes_on_another(
    subject: Subject,
) -> None:
    """Several gateway processes: no state may live in the connector's memory."""
    request, challenge = await start_challenge(subject.create(), subject)
    pa_res = await subject.pass_challenge(subject.create(), challenge, True)
    result = await subject.create().complete_3ds(completion_for(request, challenge, pa_res))
    assert_approved(result)


async def test_a_failed_challenge_completes_as_declined(subject: Subject) -> None:
    acquirer = subject.create()
    request, challenge = await start_challenge(acquirer, subject)
    pa_res = await subject.pass_challenge(acquirer, challenge, False)
    result = await acquirer.complete_3ds(completion_for(request, challenge, pa_res))
    assert result.outcome is Outcome.DECLINED
    assert result.action_code != 0


def _tamper(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


async def test_a_tampered_or_misused_pa_res_never_approves(subject: Subject) -> None:
    acquirer = subject.create()
    request, challenge = await start_challenge(acquirer, subject)
    good = await subject.pass_challenge(acquirer, challenge, True)
    other_request, other_challenge = await start_challenge(acquirer, subject)
    forged = {
        "empty": completion_for(request, challenge, ""),
        "garbage": completion_for(request, challenge, "not-a-pares"),
        "tampered": completion_for(request, challenge, _tamper(good)),
        "pa_req as pa_res": completion_for(request, challenge, challenge.pa_req),
        "another order": completion_for(other_request, other_challenge, good),
        "another amount": ThreeDSCompletion(
            request.order_id,
            challenge.md,
            good,
            request.amount + 1,
            "643",
            False,
            operation_id="op-1",
        ),
        "another currency": ThreeDSCompletion(
            request.order_id, challenge.md, good, request.amount, "840", False, operation_id="op-1"
        ),
        "wrong md": ThreeDSCompletion(
            request.order_id,
            other_challenge.md,
            good,
            request.amount,
            "643",
            False,
            operation_id="op-1",
        ),
    }
    for label, completion in forged.items():
        result = await acquirer.complete_3ds(completion)
        assert result.outcome is not Outcome.APPROVED, label
        assert result.action_code != 0, label


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pa_res=st.one_of(
        st.text(max_size=300),
        st.binary(max_size=200).map(lambda b: base64.urlsafe_b64encode(b).decode()),
        st.tuples(st.binary(max_size=120), st.binary(max_size=40)).map(
            lambda parts: ".".join(base64.urlsafe_b64encode(p).decode().rstrip("=") for p in parts)
        ),
    )
)
def test_a_random_pa_res_never_approves(pa_res: str) -> None:
    for subject in SUBJECTS:
        result = asyncio.run(
            subject.create().complete_3ds(
                ThreeDSCompletion("o-1", "o-1", pa_res, 100, "643", False, operation_id="op-1")
            )
        )
        assert result.outcome is not Outcome.APPROVED


@pytest.mark.parametrize("operation", ["deposit", "reverse", "refund"])
async def test_operations_answer_with_a_12_digit_reference_number(
    subject: Subject, operation: str
) -> None:
    acquirer = subject.create()
    request = authorization(subject.approve_card)
    auth = await acquirer.authorize(request)
    assert_approved(auth)
    call = getattr(acquirer, operation)
    result = await call(
        OperationRequest(
            request.order_id,
            request.amount,
            request.currency,
            auth.auth_ref_num,
            authorization_ref=auth.connector_ref,
            operation_id=str(uuid.uuid4()),
        )
    )
    assert result.outcome is Outcome.APPROVED
    assert result.action_code == 0
    assert result.reference_number is not None
    assert result.reference_number.isdigit()
    assert len(result.reference_number) == 12


async def test_card_data_never_shows_the_pan_or_cvc_in_a_repr(subject: Subject) -> None:
    card = CardData("4444555511113333", 2034, 12, "987", "TEST CARDHOLDER")
    request = authorization(card)
    result = await subject.create().authorize(
        authorization(CardData(card.pan, 2034, 12, "123", "TEST CARDHOLDER"))
    )
    for text in (repr(card), str(card), repr(request), f"{request}", repr(result)):
        assert card.pan not in text
        assert "987" not in text
    assert "444455**3333" in repr(card)


async def test_no_result_of_a_challenge_leaks_the_pan(subject: Subject) -> None:
    acquirer = subject.create()
    request, challenge = await start_challenge(acquirer, subject)
    pa_res = await subject.pass_challenge(acquirer, challenge, True)
    result = await acquirer.complete_3ds(completion_for(request, challenge, pa_res))
    for token in (challenge.pa_req, pa_res):
        assert subject.challenge_card.pan not in token
    assert subject.challenge_card.pan not in repr(result)


# -- status inquiry (sync): how the reconciler learns an answer that never came ----------
def _sync_of(request: AuthorizationRequest, card: CardData) -> SyncRequest:
    return SyncRequest(
        operation=OperationKind.AUTHORIZATION,
        operation_id=request.operation_id,
        order_id=request.order_id,
        amount=request.amount,
        currency=request.currency,
        masked_pan=card.masked_pan,
        expiration=f"{card.expiry_year}{card.expiry_month:02d}",
    )


async def test_sync_confirms_an_approved_authorization(subject: Subject) -> None:
    acquirer = subject.create()
    if not acquirer.capabilities.sync:
        pytest.skip(f"{subject.name} answers no status inquiries")
    request = authorization(subject.approve_card)
    assert_approved(await acquirer.authorize(request))
    result = await acquirer.sync(_sync_of(request, subject.approve_card))
    assert result.found
    assert result.outcome is Outcome.APPROVED
    assert result.action_code == 0


async def test_sync_confirms_a_declined_authorization(subject: Subject) -> None:
    acquirer = subject.create()
    if not acquirer.capabilities.sync:
        pytest.skip(f"{subject.name} answers no status inquiries")
    request = authorization(subject.decline_card)
    declined = await acquirer.authorize(request)
    result = await acquirer.sync(_sync_of(request, subject.decline_card))
    assert result.outcome is Outcome.DECLINED
    assert result.action_code == declined.action_code


@pytest.mark.parametrize(
    "kind", [OperationKind.DEPOSIT, OperationKind.REVERSAL, OperationKind.REFUND]
)
async def test_sync_answers_for_a_deposit_reversal_or_refund(
    subject: Subject, kind: OperationKind
) -> None:
    acquirer = subject.create()
    if not acquirer.capabilities.sync:
        pytest.skip(f"{subject.name} answers no status inquiries")
    request = authorization(subject.approve_card)
    auth = await acquirer.authorize(request)
    result = await acquirer.sync(
        SyncRequest(
            operation=kind,
            operation_id=str(uuid.uuid4()),
            order_id=request.order_id,
            amount=request.amount,
            currency=request.currency,
            authorization_ref=auth.connector_ref,
        )
    )
    assert result.outcome in (Outcome.APPROVED, Outcome.DECLINED, Outcome.PENDING)
    if result.outcome is Outcome.APPROVED:
        assert result.action_code == 0


async def test_sync_never_approves_a_challenge_nobody_finished(subject: Subject) -> None:
    acquirer = subject.create()
    if not acquirer.capabilities.sync:
        pytest.skip(f"{subject.name} answers no status inquiries")
    request, _ = await start_challenge(acquirer, subject)
    inquiry = _sync_of(request, subject.challenge_card)
    result = await acquirer.sync(SyncRequest(**{**inquiry.__dict__, "three_ds": True}))
    assert result.outcome is not Outcome.APPROVED


# --- 3-D Secure 2 ---------------------------------------------------------------------------


async def continue_3ds2(
    acquirer: Acquirer, card: CardData
) -> tuple[AuthorizationRequest, str, AuthorizationResult]:
    """authorize (the method step, or a challenge straight away), then the continuation."""
    request = authorization(card, protocol="3ds2")
    started = await acquirer.authorize(request)
    assert started.outcome is Outcome.CHALLENGE
    if started.three_ds2_challenge is not None:  # a connector without a method step
        return request, started.three_ds2_challenge.server_trans_id, started
    method = started.three_ds2_method
    assert method is not None
    assert method.method_url.startswith(("http://", "https://"))
    assert method.server_trans_id
    answer = await acquirer.continue_3ds2(
        ThreeDS2Continuation(
            operation_id=request.operation_id,
            order_id=request.order_id,
            server_trans_id=method.server_trans_id,
            masked_pan=cards.mask_pan(card.pan),
            amount=request.amount,
            currency=request.currency,
            two_phase=False,
            notification_url=request.notification_url,
            connector_ref=started.connector_ref,
        )
    )
    return request, method.server_trans_id, answer


async def test_a_3ds2_frictionless_card_is_approved_with_its_authentication(
    subject: Subject,
) -> None:
    acquirer = subject.create()
    _, trans_id, answer = await continue_3ds2(acquirer, subject.frictionless_3ds2_card)
    assert_approved(answer)
    assert answer.secure_auth is not None
    assert answer.secure_auth.version.startswith("2.")
    assert answer.secure_auth.server_trans_id == trans_id
    assert answer.secure_auth.cavv


async def _challenge_2(subject: Subject, ok: bool) -> AuthorizationResult:
    acquirer = subject.create()
    request, trans_id, answer = await continue_3ds2(acquirer, subject.challenge_3ds2_card)
    challenge = answer.three_ds2_challenge
    assert answer.outcome is Outcome.CHALLENGE and challenge is not None
    assert challenge.acs_url.startswith(("http://", "https://")) and challenge.creq
    cres = await subject.pass_challenge_2(acquirer, challenge, ok)
    return await acquirer.complete_3ds(
        ThreeDSCompletion(
            operation_id=request.operation_id,
            order_id=request.order_id,
            md=request.md,
            pa_res="",
            cres=cres,
            server_trans_id=trans_id,
            amount=request.amount,
            currency=request.currency,
            two_phase=False,
        )
    )


async def test_a_passed_3ds2_challenge_is_approved(subject: Subject) -> None:
    result = await _challenge_2(subject, ok=True)
    assert_approved(result)
    assert result.secure_auth is not None and result.secure_auth.trans_status == "Y"


async def test_a_failed_3ds2_challenge_is_declined_without_an_approval_code(
    subject: Subject,
) -> None:
    result = await _challenge_2(subject, ok=False)
    assert result.outcome is Outcome.DECLINED
    assert result.action_code != 0 and result.approval_code is None
