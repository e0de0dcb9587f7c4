"""``EmulatorAcquirer``: the built-in acquirer that answers by test card (spec §6, §7).

Stateless by design: a 3-D Secure challenge is carried by signed tokens (``tokens.py``), so
several gateway processes sharing the secret behave as one emulator.  It speaks 3-D Secure 1
(PaReq/PaRes, password) or 3-D Secure 2 (method step, then frictionless or a challenge
with a one-time code, CReq/CRes) per test card, as ``cards_table`` says; for a card
enrolled in both, the request's ``three_ds_protocol`` chooses.  The 3-D Secure 2 ids
(threeDSServerTransId, dsTransID) and the CAVV/XID are derived from the operation id with
the secret, so every process computes the same ones.

Its status inquiry (``sync``) is truthful without remembering anything: every request the
emulator receives is processed, and its answer is a function of what the request carried.
So ``sync`` derives the answer again from the gateway's own record of the operation (the
masked card, its expiry and the order's FORCE_TDS/FORCE_SSL features for an authorization;
the kind and the fault knob for the others), and answers "never received" for what cannot
be derived: the end of a 3-D Secure challenge (the emulator does not know what the buyer
typed at the ACS).  One thing the record lacks is the CVC (never stored): a test card sent
with a wrong CVC, whose answer was lost, syncs as its card's usual outcome.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ecomgate.acquirers.base import (
    AuthorizationRequest,
    AuthorizationResult,
    Capabilities,
    OperationRequest,
    OperationResult,
    Outcome,
    SyncRequest,
    SyncResult,
    ThreeDS2Challenge,
    ThreeDS2Continuation,
    ThreeDS2Method,
    ThreeDSChallenge,
    ThreeDSCompletion,
)
from ecomgate.domain import cards
from ecomgate.domain.operations import OperationKind, SecureAuth

from . import tokens
from .cards_table import ACS_OTP, ACS_PASSWORD, Scenario, ThreeDS2, lookup, lookup_masked

#: action codes the emulator answers with (spec §5.4)
APPROVED = 0
PAYMENT_STARTED = -9000  # interim code while the buyer is at the ACS
AUTHENTICATION_FAILED = -2006
ISSUER_CANNOT_AUTHENTICATE = -2011
DO_NOT_HONOUR = 5
THREE_DS2_NEGATIVE = 341016  # 3-D Secure 2 frictionless authentication negative
EXPIRED_CARD = 101
WRONG_CARD_DATA = 71015

#: PaRes transStatus -> action code
_STATUS_CODES = {"Y": APPROVED, "N": AUTHENTICATION_FAILED, "U": ISSUER_CANNOT_AUTHENTICATE}

#: the protocol versions the emulated ACS reports (threeDSProtocolVersion)
VERSION_1 = "1.0.2"
VERSION_2 = "2.2.0"

_APPROVAL_ALPHABET = string.ascii_uppercase + string.digits
_MASTERCARD_ECI = {"MASTERCARD", "MAESTRO"}


def eci_for(system: str, authentication: str) -> str:
    """ECI by scheme: "full" 3-DS authentication, an "attempt", or "none" (plain SSL).

    Visa convention (also used for MIR and the rest): 05 / 06 / 07; Mastercard and
    Maestro: 02 / 01 / 00.
    """
    if system in _MASTERCARD_ECI:
        return {"full": "02", "attempt": "01", "none": "00"}[authentication]
    return {"full": "05", "attempt": "06", "none": "07"}[authentication]


class EmulatorAcquirer:
    """Decides by test card; see ``cards_table.TEST_CARDS`` and ``docs`` for the table."""

    name = "emulator"
    capabilities = Capabilities(sync=True, extra={"emulated_acs": True})

    def __init__(
        self,
        secret: bytes,
        acs_base_url: str,
        *,
        latency_ms: int = 0,
        rng: random.Random | None = None,
        fail_operations: bool = False,
        clock: Callable[[], datetime] | None = None,
        token_ttl_s: int = 3600,
    ) -> None:
        if not secret:
            raise ValueError("the emulator needs a non-empty secret to sign its 3-DS tokens")
        if latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        self._secret = secret
        self.acs_base_url = acs_base_url.rstrip("/")
        self.latency_ms = latency_ms
        self.fail_operations = fail_operations
        self.token_ttl_s = token_ttl_s
        self._rng = rng if rng is not None else random.SystemRandom()
        self._clock = clock if clock is not None else (lambda: datetime.now(UTC))
        self._sequence = self._rng.randrange(1_000_000)
        digest = hmac.new(secret, b"ecomgate-emulator/terminal-id", hashlib.sha256).digest()
        #: stable for every process sharing the secret
        self.terminal_id = f"EMU{int.from_bytes(digest[:4], 'big') % 100_000:05d}"

    def __repr__(self) -> str:  # never show the secret
        return f"EmulatorAcquirer(acs_base_url={self.acs_base_url!r})"

    # --- the port --------------------------------------------------------------------------

    async def authorize(self, request: AuthorizationRequest) -> AuthorizationResult:
        await self._pause()
        card = request.card
        pan = cards.normalize_pan(card.pan)
        system = cards.payment_system(pan)
        ref = _ref(request.operation_id)
        if not cards.valid_pan(pan) or not 1 <= card.expiry_month <= 12:
            return self._declined(WRONG_CARD_DATA, system, "invalid card data", ref, rrn=False)
        if cards.is_expired(card.expiry_year, card.expiry_month, self._clock()):
            return self._declined(EXPIRED_CARD, system, "expired card", ref)
        test_card = lookup(pan)
        if card.cvc is not None:
            # no CVC at all is a stored-credential (binding / AUTO_PAYMENT) payment
            expected_ok = card.cvc == test_card.cvc if test_card else cards.valid_cvc(card.cvc, pan)
            if not expected_ok:
                return self._declined(WRONG_CARD_DATA, system, "wrong CVC", ref)
        scenario = test_card.scenario if test_card else Scenario.APPROVE
        code = test_card.action_code if test_card else APPROVED
        three_ds_stage = scenario in (
            Scenario.CHALLENGE,
            Scenario.FRICTIONLESS_APPROVE,
            Scenario.THREE_DS_DECLINE,
        )
        if request.skip_3ds and not request.force_3ds and three_ds_stage:
            # FORCE_SSL: the 3-D Secure stage is not run at all, so it cannot fail either
            return self._approved(system, eci_for(system, "none"), "approved without 3-DS", ref)
        if test_card is not None and test_card.speaks_3ds2(request.three_ds_protocol):
            return self._method_step(request, system)
        if scenario is Scenario.CHALLENGE:
            return self._challenge(request, pan, system, code)
        if scenario is Scenario.THREE_DS_DECLINE:
            return self._declined(code, system, "3-D Secure failed", ref, rrn=False)
        if scenario is Scenario.DECLINE:
            return self._declined(code, system, "declined by issuer", ref)
        if scenario is Scenario.FRICTIONLESS_APPROVE or request.force_3ds:
            return self._approved(system, eci_for(system, "attempt"), "approved, 3-DS attempt", ref)
        return self._approved(system, eci_for(system, "none"), "approved without 3-DS", ref)

    async def continue_3ds2(self, request: ThreeDS2Continuation) -> AuthorizationResult:
        """3-D Secure 2 after the method step: the issuer's verdict by test card (the
        masked PAN the gateway recorded), frictionless or a challenge."""
        await self._pause()
        ref = _ref(request.operation_id)
        test_card = lookup_masked(request.masked_pan)
        system = cards.payment_system(request.masked_pan.replace("*", "0"))
        outcome = test_card.three_ds2 if test_card else None
        op_id = request.operation_id
        if outcome is ThreeDS2.CHALLENGE:
            return self._challenge_2(request, system)
        if outcome is ThreeDS2.NEGATIVE:
            result = self._declined(
                THREE_DS2_NEGATIVE, system, "3-D Secure 2: authentication negative", ref, rrn=False
            )
            return _with(result, eci_for(system, "none"), self._auth_2(op_id, "N"))
        if outcome is ThreeDS2.ATTEMPT:
            approved = self._approved(
                system, eci_for(system, "attempt"), "approved, 3-DS2 attempt", ref
            )
            return _with(approved, approved.eci, self._auth_2(op_id, "A"))
        approved = self._approved(
            system, eci_for(system, "full"), "approved, 3-DS2 frictionless", ref
        )
        return _with(approved, approved.eci, self._auth_2(op_id, "Y"))

    async def complete_3ds(self, completion: ThreeDSCompletion) -> AuthorizationResult:
        await self._pause()
        if completion.cres:
            return self._complete_challenge_2(completion)
        ref = _ref(completion.operation_id)
        try:
            claims = tokens.verify(self._secret, tokens.PARES, completion.pa_res)
        except tokens.BadToken as exc:
            return self._declined(
                AUTHENTICATION_FAILED, None, f"PaRes rejected: {exc}", ref, rrn=False
            )
        system = str(claims.get("ps", "")) or None
        problem = self._pa_res_problem(claims, completion)
        if problem:
            return self._declined(AUTHENTICATION_FAILED, system, problem, ref, rrn=False)
        status = str(claims.get("st"))
        secure = self._auth_1(completion.operation_id, status)
        if status == "Y":
            approved = self._approved(
                system or cards.UNKNOWN,
                eci_for(system or "", "full"),
                "approved, 3-DS authenticated",
                ref,
            )
            return _with(approved, approved.eci, secure)
        code = _STATUS_CODES.get(status, AUTHENTICATION_FAILED)
        declined = self._declined(code, system, f"3-D Secure status {status}", ref, rrn=False)
        return _with(declined, None, secure)

    async def deposit(self, request: OperationRequest) -> OperationResult:
        return await self._operation("deposit", request.operation_id)

    async def reverse(self, request: OperationRequest) -> OperationResult:
        return await self._operation("reverse", request.operation_id)

    async def refund(self, request: OperationRequest) -> OperationResult:
        return await self._operation("refund", request.operation_id)

    async def sync(self, request: SyncRequest) -> SyncResult:
        """What became of an operation whose answer the gateway never read (see the module
        docstring): derived again from the gateway's record, never from memory."""
        await self._pause()
        if request.operation is not OperationKind.AUTHORIZATION:
            answer = self._operation_answer(request.operation.value, request.operation_id)
            return SyncResult(
                answer.outcome,
                answer.action_code,
                approval_code=answer.approval_code,
                reference_number=answer.reference_number,
                connector_ref=answer.connector_ref,
                message=f"sync: {answer.message}",
            )
        test_card = lookup_masked(request.masked_pan)
        scenario = test_card.scenario if test_card else Scenario.APPROVE
        system = cards.payment_system(request.masked_pan.replace("*", "0"))
        ref = _ref(request.operation_id)
        if _expired(request.expiration, self._clock()):
            return _as_sync(self._declined(EXPIRED_CARD, system, "sync: expired card", ref))
        three_ds_stage = scenario in (
            Scenario.CHALLENGE,
            Scenario.FRICTIONLESS_APPROVE,
            Scenario.THREE_DS_DECLINE,
        )
        if request.skip_3ds and not request.force_3ds and three_ds_stage:
            approved = self._approved(system, eci_for(system, "none"), "sync: approved", ref)
            return _as_sync(approved)
        enrolled_3ds2 = test_card is not None and test_card.three_ds2 is not None
        if request.three_ds or scenario is Scenario.CHALLENGE or enrolled_3ds2:
            # the outcome hung on the buyer's answer at the ACS, which the emulator never saw
            # (3-D Secure 2: authorize only started it; nothing was authorised)
            return SyncResult(Outcome.DECLINED, AUTHENTICATION_FAILED, found=False)
        code = test_card.action_code if test_card else APPROVED
        if scenario is Scenario.THREE_DS_DECLINE:
            return _as_sync(self._declined(code, system, "sync: declined", ref, rrn=False))
        if scenario is Scenario.DECLINE:
            return _as_sync(self._declined(code, system, "sync: declined", ref))
        attempt = scenario is Scenario.FRICTIONLESS_APPROVE or request.force_3ds
        authentication = "attempt" if attempt else "none"
        return _as_sync(self._approved(system, eci_for(system, authentication), "sync", ref))

    # --- the emulated ACS (used by ``acs.py``) -------------------------------------------

    def read_pa_req(self, pa_req: str, md: str) -> dict[str, Any]:
        """The claims of a genuine, fresh PaReq for order ``md``; ``tokens.BadToken`` else."""
        claims = tokens.verify(self._secret, tokens.PAREQ, pa_req)
        if claims.get("md") != md:
            raise tokens.BadToken("PaReq belongs to another order")
        if not self._fresh(claims):
            raise tokens.BadToken("PaReq expired")
        return claims

    def authenticate(self, pa_req: str, md: str, password: str | None) -> str:
        """The PaRes for a password typed on the ACS page (``None``: the buyer cancelled).

        Status Y for the right password, N for a wrong one or a cancel, U (whatever was
        typed) for the card whose issuer cannot finish 3-D Secure.
        """
        claims = self.read_pa_req(pa_req, md)
        if claims.get("ok") == ISSUER_CANNOT_AUTHENTICATE:
            status = "U"
        elif password is not None and hmac.compare_digest(
            password.encode("utf-8"), ACS_PASSWORD.encode("utf-8")
        ):
            status = "Y"
        else:
            status = "N"
        return tokens.sign(
            self._secret,
            tokens.PARES,
            {
                "oid": claims["oid"],
                "md": claims.get("md"),
                "st": status,
                "ac": _STATUS_CODES[status],
                "ps": claims.get("ps", ""),
                "amt": claims.get("amt"),
                "cur": claims.get("cur"),
                "iat": self._now_s(),
            },
        )

    def read_creq(self, creq: str) -> dict[str, Any]:
        """The claims of a genuine, fresh CReq; ``tokens.BadToken`` else."""
        claims = tokens.verify(self._secret, tokens.CREQ, creq)
        if not self._fresh(claims):
            raise tokens.BadToken("CReq expired")
        return claims

    def answer_challenge(self, creq: str, code: str | None) -> tuple[str, str]:
        """The CRes for a one-time code typed on the challenge page (``None``: the buyer
        cancelled), and the URL to post it to.  transStatus Y for ``ACS_OTP``, else N."""
        claims = self.read_creq(creq)
        right = code is not None and hmac.compare_digest(
            code.strip().encode("utf-8"), ACS_OTP.encode("utf-8")
        )
        cres = tokens.sign(
            self._secret,
            tokens.CRES,
            {
                "oid": claims["oid"],
                "tid": claims["tid"],
                "st": "Y" if right else "N",
                "ps": claims.get("ps", ""),
                "amt": claims.get("amt"),
                "cur": claims.get("cur"),
                "iat": self._now_s(),
            },
        )
        return cres, str(claims.get("nurl", ""))

    def routes(self) -> list[Any]:
        """The ACS pages, relative to the app's ``/acs`` mount (see ``acs.acs_routes``)."""
        from .acs import acs_routes

        return acs_routes(self)

    # --- helpers -------------------------------------------------------------------------

    def _challenge(
        self, request: AuthorizationRequest, pan: str, system: str, code_on_success: int
    ) -> AuthorizationResult:
        pa_req = tokens.sign(
            self._secret,
            tokens.PAREQ,
            {
                "oid": request.order_id,
                "md": request.md or request.order_id,
                "pan": cards.mask_pan(pan),
                "ps": system,
                "amt": request.amount,
                "cur": request.currency,
                "ok": code_on_success,
                "mer": request.merchant_name or request.merchant_login,
                "lang": request.language,
                "iat": self._now_s(),
            },
        )
        challenge = ThreeDSChallenge(
            acs_url=f"{self.acs_base_url}/acs/emulator/challenge",
            pa_req=pa_req,
            md=request.md or request.order_id,
        )
        return AuthorizationResult(
            outcome=Outcome.CHALLENGE,
            action_code=PAYMENT_STARTED,
            terminal_id=self.terminal_id,
            payment_system=system,
            challenge=challenge,
            message="3-D Secure challenge",
            connector_ref=_ref(request.operation_id),
        )

    def _method_step(self, request: AuthorizationRequest, system: str) -> AuthorizationResult:
        """3-D Secure 2 begins with the 3DS method step in the buyer's browser."""
        trans_id = self._derived_uuid("3ds-server-trans", request.operation_id)
        data = json.dumps(
            {
                "threeDSServerTransID": trans_id,
                "threeDSMethodNotificationURL": request.notification_url,
            },
            separators=(",", ":"),
        )
        method = ThreeDS2Method(
            server_trans_id=trans_id,
            method_url=f"{self.acs_base_url}/acs/emulator/3ds2/method",
            method_data=base64.urlsafe_b64encode(data.encode()).rstrip(b"=").decode("ascii"),
        )
        return AuthorizationResult(
            outcome=Outcome.CHALLENGE,
            action_code=PAYMENT_STARTED,
            terminal_id=self.terminal_id,
            payment_system=system,
            three_ds2_method=method,
            message="3-D Secure 2 method step",
            connector_ref=_ref(request.operation_id),
        )

    def _challenge_2(self, request: ThreeDS2Continuation, system: str) -> AuthorizationResult:
        creq = tokens.sign(
            self._secret,
            tokens.CREQ,
            {
                "oid": request.order_id,
                "tid": request.server_trans_id,
                "pan": request.masked_pan,
                "ps": system,
                "amt": request.amount,
                "cur": request.currency,
                "mer": request.merchant_name,
                "lang": request.language,
                "nurl": request.notification_url,
                "iat": self._now_s(),
            },
        )
        challenge = ThreeDS2Challenge(
            server_trans_id=request.server_trans_id,
            acs_url=f"{self.acs_base_url}/acs/emulator/3ds2/challenge",
            creq=creq,
        )
        return AuthorizationResult(
            outcome=Outcome.CHALLENGE,
            action_code=PAYMENT_STARTED,
            terminal_id=self.terminal_id,
            payment_system=system,
            three_ds2_challenge=challenge,
            message="3-D Secure 2 challenge",
            connector_ref=_ref(request.operation_id),
        )

    def _complete_challenge_2(self, completion: ThreeDSCompletion) -> AuthorizationResult:
        ref = _ref(completion.operation_id)
        try:
            claims = tokens.verify(self._secret, tokens.CRES, completion.cres)
        except tokens.BadToken as exc:
            return self._declined(
                AUTHENTICATION_FAILED, None, f"CRes rejected: {exc}", ref, rrn=False
            )
        system = str(claims.get("ps", "")) or None
        problem = ""
        if claims.get("oid") != completion.order_id or (
            claims.get("tid") != completion.server_trans_id
        ):
            problem = "CRes belongs to another transaction"
        elif claims.get("amt") != completion.amount or claims.get("cur") != completion.currency:
            problem = "CRes is for another amount"
        elif not self._fresh(claims):
            problem = "CRes expired"
        if problem:
            return self._declined(AUTHENTICATION_FAILED, system, problem, ref, rrn=False)
        status = str(claims.get("st"))
        secure = self._auth_2(completion.operation_id, status)
        if status == "Y":
            approved = self._approved(
                system or cards.UNKNOWN,
                eci_for(system or "", "full"),
                "approved, 3-DS2 challenge passed",
                ref,
            )
            return _with(approved, approved.eci, secure)
        declined = self._declined(
            AUTHENTICATION_FAILED, system, "3-D Secure 2 challenge failed", ref, rrn=False
        )
        return _with(declined, None, secure)

    def _auth_1(self, operation_id: str, status: str) -> SecureAuth:
        return SecureAuth(
            version=VERSION_1,
            trans_status=status,
            cavv=self._derived_value("cavv", operation_id) if status == "Y" else "",
            xid=self._derived_value("xid", operation_id),
        )

    def _auth_2(self, operation_id: str, status: str) -> SecureAuth:
        return SecureAuth(
            version=VERSION_2,
            trans_status=status,
            cavv=self._derived_value("cavv", operation_id) if status in ("Y", "A") else "",
            ds_trans_id=self._derived_uuid("3ds-ds-trans", operation_id),
            server_trans_id=self._derived_uuid("3ds-server-trans", operation_id),
        )

    def _derived_value(self, purpose: str, operation_id: str) -> str:
        """20 bytes in base64 (28 characters), the shape of a CAVV or an XID."""
        digest = hmac.new(self._secret, f"{purpose}\n{operation_id}".encode(), hashlib.sha256)
        return base64.b64encode(digest.digest()[:20]).decode("ascii")

    def _derived_uuid(self, purpose: str, operation_id: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}\n{operation_id}".encode(), hashlib.sha256)
        return str(uuid.UUID(bytes=digest.digest()[:16], version=4))

    def _pa_res_problem(self, claims: dict[str, Any], completion: ThreeDSCompletion) -> str:
        if claims.get("oid") != completion.order_id or claims.get("md") != completion.md:
            return "PaRes belongs to another order"
        if claims.get("amt") != completion.amount or claims.get("cur") != completion.currency:
            return "PaRes is for another amount"
        if not self._fresh(claims):
            return "PaRes expired"
        if claims.get("st") == "Y" and claims.get("ac") != APPROVED:
            return "inconsistent PaRes"
        return ""

    def _fresh(self, claims: dict[str, Any]) -> bool:
        issued = claims.get("iat")
        if not isinstance(issued, int):
            return False
        age = self._now_s() - issued
        return -300 <= age <= self.token_ttl_s  # five minutes of clock skew between processes

    def _approved(self, system: str, eci: str, message: str, ref: str) -> AuthorizationResult:
        return AuthorizationResult(
            outcome=Outcome.APPROVED,
            action_code=APPROVED,
            approval_code=self._approval_code(),
            auth_ref_num=self._rrn(),
            terminal_id=self.terminal_id,
            payment_system=system,
            eci=eci,
            message=message,
            connector_ref=ref,
        )

    def _declined(
        self, code: int, system: str | None, message: str, ref: str, *, rrn: bool = True
    ) -> AuthorizationResult:
        """``rrn``: the decline came from an authorisation message, which has an RRN; the
        ones decided before (card data, 3-D Secure) have none."""
        return AuthorizationResult(
            outcome=Outcome.DECLINED,
            action_code=code,
            auth_ref_num=self._rrn() if rrn else None,
            terminal_id=self.terminal_id,
            payment_system=system,
            message=message,
            connector_ref=ref,
        )

    async def _operation(self, kind: str, operation_id: str) -> OperationResult:
        await self._pause()
        return self._operation_answer(kind, operation_id)

    def _operation_answer(self, kind: str, operation_id: str) -> OperationResult:
        if self.fail_operations:
            return OperationResult(
                Outcome.DECLINED,
                DO_NOT_HONOUR,
                message=f"{kind} declined",
                connector_ref=_ref(operation_id),
            )
        return OperationResult(
            Outcome.APPROVED,
            APPROVED,
            reference_number=self._rrn(),
            approval_code=self._approval_code(),
            message=f"{kind} approved",
            connector_ref=_ref(operation_id),
        )

    async def _pause(self) -> None:
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)

    def _now_s(self) -> int:
        return int(self._clock().timestamp())

    def _approval_code(self) -> str:
        return "".join(self._rng.choice(_APPROVAL_ALPHABET) for _ in range(6))

    def _rrn(self) -> str:
        """12 digits, ``YDDDHHNNNNNN``: last digit of the year, day of the year, UTC hour and
        a six-digit sequence (random start per instance), the usual ISO 8583 field 37 style."""
        now = self._clock().astimezone(UTC)
        self._sequence = (self._sequence + 1) % 1_000_000
        return f"{now.year % 10}{now.timetuple().tm_yday:03d}{now.hour:02d}{self._sequence:06d}"


def _ref(operation_id: str) -> str:
    """The emulator's transaction reference: derived from the gateway's operation id (its
    idempotency key), so a repeated request gets the same one."""
    return f"EMU-{operation_id}"


def _with(result: AuthorizationResult, eci: str | None, secure: SecureAuth) -> AuthorizationResult:
    """``result`` with the 3-D Secure outcome it followed."""
    return replace(result, eci=eci, secure_auth=secure)


def _as_sync(result: AuthorizationResult) -> SyncResult:
    return SyncResult(
        result.outcome,
        result.action_code,
        approval_code=result.approval_code,
        reference_number=result.auth_ref_num,
        terminal_id=result.terminal_id,
        eci=result.eci,
        payment_system=result.payment_system,
        connector_ref=result.connector_ref,
        message=result.message,
    )


def _expired(expiration: str, now: datetime) -> bool:
    """``YYYYMM`` as the order records it; unreadable counts as not expired."""
    if len(expiration) != 6 or not expiration.isdigit():
        return False
    return cards.is_expired(int(expiration[:4]), int(expiration[4:]), now)
