"""Paying an order with a card: the page's processform.do, the server-to-server
paymentorder.do, and the 3-D Secure steps share this one path: the 3DS1 return
(finish3ds.do), and 3DS2's continuation after the method step (3ds/continue.do) and its
return after a challenge (the CRes at finish3dsVer2.do, or finish3dsVer2Payment.do).

Exactly one authorization per order: the first unit of work locks the order and records a
PENDING authorization; a second submission (double click, two tabs, a replayed form) finds
it and is refused.  The acquirer is called (through the processing layer) outside any
database transaction, and its answer is recorded in a second unit of work.  The order's
merchant is read once, by the first unit of work.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from ecomgate.acquirers.base import (
    AuthorizationRequest,
    AuthorizationResult,
    CardData,
    Outcome,
    ThreeDS2Challenge,
    ThreeDS2Continuation,
    ThreeDS2Method,
    ThreeDSChallenge,
    ThreeDSCompletion,
)
from ecomgate.domain import cards, ids
from ecomgate.domain.bindings import BindingNotFound
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.errors import GatewayError, InvalidParameter, OrderNotFound, WrongState
from ecomgate.domain.merchant import Merchant, Permission
from ecomgate.domain.operations import (
    THREE_DS2_CHALLENGE,
    THREE_DS2_METHOD,
    OperationKind,
    OperationState,
)
from ecomgate.domain.order import CardSnapshot, Order

from . import bindings
from .context import Services
from .uow import OrderRef
from .vault import VaultError

log = logging.getLogger("ecomgate.payment")


class CardDataError(GatewayError):
    """The typed card data is malformed: rejected before authorization, no attempt used."""

    def __init__(self, key: str, field: str) -> None:
        super().__init__(1 if field == "expiry" else 5, key, field=field)
        self.field = field


@dataclass(frozen=True, repr=False)
class CardForm:
    """Card fields as the form (or the merchant's server) sent them.  Never printed: its
    repr, like ``CardData``'s, keeps the PAN and CVC out of tracebacks and logs."""

    pan: str
    expiry_year: str
    expiry_month: str
    cvc: str
    cardholder_name: str = ""

    def __repr__(self) -> str:
        digits = cards.normalize_pan(self.pan)
        return f"CardForm(pan={cards.mask_pan(digits) if len(digits) >= 10 else '***'!r})"


def read_card(form: CardForm, now_ms: int) -> CardData:
    """Validate the card fields the way the hosted form does (spec §2.5, §6)."""
    pan = cards.normalize_pan(form.pan)
    if not (pan.isascii() and pan.isdigit()) or not 12 <= len(pan) <= 19:
        raise CardDataError("card_number_invalid", "pan")
    try:
        year, month = cards.parse_expiry_fields(form.expiry_month, form.expiry_year)
    except cards.InvalidExpiry as exc:
        raise CardDataError("card_expiry_invalid", "expiry") from exc
    if cards.is_expired(year, month, datetime.fromtimestamp(now_ms / 1000, UTC)):
        raise CardDataError("card_expired", "expiry")
    cvc = form.cvc.strip()
    if not (cvc.isascii() and cvc.isdigit()) or len(cvc) not in (3, 4):
        raise CardDataError("card_cvc_invalid", "cvc")
    name = " ".join(form.cardholder_name.split()).upper()
    if name and not cards.valid_cardholder_name(name):
        raise CardDataError("cardholder_invalid", "cardholder")
    return CardData(pan, year, month, cvc, name)


class Next(enum.Enum):
    REDIRECT = "redirect"  # back to the shop (returnUrl or failUrl)
    ACS = "acs"  # to the issuer's 3-D Secure page
    RETRY = "retry"  # declined, attempts left: stay on the form
    PROCESSING = "processing"  # the acquirer's answer is unknown


@dataclass(frozen=True)
class PaymentResult:
    order: Order
    next: Next
    #: where the buyer's browser goes next: the shop (REDIRECT) or the payment page
    #: (RETRY, PROCESSING), from the Links port
    redirect_url: str = ""
    challenge: ThreeDSChallenge | None = None
    term_url: str = ""
    #: 3-D Secure 2 (Next.ACS): the method step, or the challenge
    three_ds2_method: ThreeDS2Method | None = None
    three_ds2_challenge: ThreeDS2Challenge | None = None
    #: payment attempts the buyer still has (RETRY)
    attempts_left: int = 0

    @property
    def action_code(self) -> int:
        return self.order.action_code


def _to_page(services: Services, order: Order, owner: Merchant, next_: Next) -> PaymentResult:
    url = services.links.form_url(order, owner.settings.page)
    return PaymentResult(
        order,
        next_,
        redirect_url=url,
        attempts_left=order.attempts_left(owner.settings.max_attempts),
    )


def _next_step(
    services: Services,
    order: Order,
    owner: Merchant,
    answer: AuthorizationResult | None = None,
    language: str = "",
) -> PaymentResult:
    """Where the buyer goes, by the order's state: the issuer's 3-D Secure step (a fresh
    challenge or 3DS2 method step in ``answer``), back to the payment page while the order
    is unpaid (declined with attempts left, or its answer still unknown: the page shows
    which), else back to the shop."""
    if order.status is OrderStatus.ACS and answer is not None and answer.has_challenge:
        return PaymentResult(
            order,
            Next.ACS,
            challenge=answer.challenge,
            term_url=services.links.term_url(language),
            three_ds2_method=answer.three_ds2_method,
            three_ds2_challenge=answer.three_ds2_challenge,
        )
    if order.status in (OrderStatus.CREATED, OrderStatus.ACS):
        return _to_page(
            services, order, owner, Next.PROCESSING if order.payment_in_progress else Next.RETRY
        )
    paid = order.status in (OrderStatus.APPROVED, OrderStatus.DEPOSITED)
    return PaymentResult(order, Next.REDIRECT, services.links.return_url(order, success=paid))


async def pay(
    services: Services,
    order_id: str,
    form: CardForm,
    *,
    language: str | None = None,
    ip: str = "",
    email: str = "",
    merchant: Merchant | None = None,
    save_card: bool = True,
) -> PaymentResult:
    """Authorize ``order_id`` with the card.  ``merchant`` is set for paymentorder.do, and
    the order must then be that merchant's.  ``save_card`` False: the buyer unticked "save
    card" (or ``bindingNotNeeded``): no binding, unless the order forces one."""
    now = services.clock.now_ms()
    card = read_card(form, now)
    async with services.uow.order(OrderRef(order_id=order_id), merchant=merchant) as scope:
        order, owner = scope.order, scope.owner
        # spec §3.1: an order registered with bindingId is paid with that card only
        order.pay_with_card()
        snapshot = CardSnapshot(
            masked_pan=cards.mask_pan(card.pan),
            expiration=cards.expiration(card.expiry_year, card.expiry_month),
            cardholder_name=card.cardholder_name,
            payment_system=cards.payment_system(card.pan),
        )
        # stamped under the lock, just before the call: the reconciler counts from here
        sent_at = services.clock.now_ms()
        auth = order.start_attempt(sent_at, ids.uuid7(sent_at), snapshot, ip, email=email)
        await bindings.discard_stash(scope)
        if bindings.wants_binding(order, owner, save_card=save_card):
            if services.vault is None:
                log.warning("order %s: no vault key configured, the card is not stored", order.id)
            else:
                await bindings.stash(scope, services.vault, card, sent_at)
    return await _authorize(services, order, owner, auth.id, card, language, ip)


async def _authorize(
    services: Services,
    order: Order,
    owner: Merchant,
    auth_id: str,
    card: CardData,
    language: str | None,
    ip: str,
    *,
    merchant_initiated: bool = False,
) -> PaymentResult:
    """The authorization of the attempt the first unit of work opened, and its answer."""
    lang = language or order.language
    request = AuthorizationRequest(
        order_id=order.id,
        operation_id=auth_id,
        merchant_login=owner.login,
        merchant_name=owner.name,
        amount=order.amount,
        currency=order.currency,
        card=card,
        two_phase=order.two_phase,
        description=order.description,
        ip=ip or order.ip or None,
        force_3ds="FORCE_TDS" in order.features and not merchant_initiated,
        # a merchant-initiated charge has no cardholder to authenticate
        skip_3ds="FORCE_SSL" in order.features or merchant_initiated,
        term_url=services.links.term_url(lang),
        language=lang,
        # spec §3.9: the browser posts MD = orderId to the ACS
        md=order.id,
        three_ds_protocol=owner.settings.protocol(services.policy.three_ds_protocol),
        notification_url=services.links.three_ds2_return_url(lang, order.id),
    )
    result = await services.processing.authorize(request)
    return await _record(services, order.id, auth_id, owner, result, lang)


#: ``tii`` of merchant-initiated payments: unscheduled, recurring (spec §3.10)
MERCHANT_INITIATED = frozenset({"U", "R"})


async def pay_with_binding(
    services: Services,
    order_id: str,
    binding_id: str,
    *,
    cvc: str | None,
    merchant: Merchant | None = None,
    initiator: str = "F",
    language: str | None = None,
    ip: str = "",
    email: str = "",
) -> PaymentResult:
    """Pay ``order_id`` with a stored card (paymentOrderBinding.do; the page's CVC-only
    form when ``merchant`` is None).

    Customer-initiated (``tii`` F, the default): the CVC is required and 3-D Secure runs
    when the card needs it.  Merchant-initiated (``tii`` U or R, or no CVC on an order
    registered with AUTO_PAYMENT): no CVC, no 3-D Secure, and only for a merchant with the
    ``auto-payment`` permission, never from the page.  A foreign, unknown, disabled or
    expired binding is refused alike (errorCode 5)."""
    vault = services.uow.vault
    cvc = (cvc or "").strip() or None
    async with services.uow.order(OrderRef(order_id=order_id), merchant=merchant) as scope:
        order, owner = scope.order, scope.owner
        if not order.client_id:
            raise InvalidParameter("clientId", "order_without_client")
        if order.registered_binding_id and order.registered_binding_id != binding_id:
            raise BindingNotFound(5)
        # locked: an unBindCard.do meanwhile waits, and is not outrun by this charge
        binding = await scope.repos.bindings.get(binding_id, for_update=True)
        if (
            binding is None
            or not binding.belongs_to(owner.id)
            or not owner.may(Permission.BINDINGS)
        ):
            raise BindingNotFound(5)
        try:
            stored = vault.open(binding.sealed, order_id=binding.order_id, binding_id=binding.id)
        except VaultError as exc:
            raise GatewayError(7, "vault_record_unreadable") from exc
        binding.expiry = stored.expiry
        offset = await scope.repos.sandbox.clock_offset_ms(owner.id)  # sandbox clocks
        binding.ensure_usable(services.clock.now_ms() + offset, order.client_id)
        mit = initiator.upper() in MERCHANT_INITIATED or (
            cvc is None and "AUTO_PAYMENT" in order.features
        )
        if mit:
            if merchant is None or not owner.may(Permission.AUTO_PAYMENT):
                raise GatewayError(5, "mit_forbidden")
            if order.two_phase and initiator.upper() == "U":
                raise GatewayError(5, "mit_one_phase_only")
            cvc = None
        elif cvc is None:
            raise InvalidParameter("cvc", "binding_cvc_required")
        elif not (cvc.isascii() and cvc.isdigit() and len(cvc) in (3, 4)):
            raise CardDataError("card_cvc_invalid", "cvc")
        year, month = int(stored.expiry[:4]), int(stored.expiry[4:])
        card = CardData(stored.pan, year, month, cvc, binding.cardholder_name)
        snapshot = CardSnapshot(
            masked_pan=binding.masked_pan,
            expiration=stored.expiry,
            cardholder_name=binding.cardholder_name,
            payment_system=binding.payment_system,
        )
        sent_at = services.clock.now_ms()
        auth = order.start_attempt(sent_at, ids.uuid7(sent_at), snapshot, ip, email=email)
        await bindings.discard_stash(scope)  # a typed card of an earlier attempt
        order.binding_id = binding.id
        order.payment_way = "CARD_BINDING"
    return await _authorize(
        services, order, owner, auth.id, card, language, ip, merchant_initiated=mit
    )


async def _record(
    services: Services,
    order_id: str,
    auth_id: str,
    owner: Merchant,
    result: AuthorizationResult,
    language: str,
) -> PaymentResult:
    """Second unit of work: the acquirer's answer to the authorization."""
    now = services.clock.now_ms()
    async with services.uow.order(OrderRef(order_id=order_id), merchant=owner) as scope:
        order = scope.order
        auth = order.operation(auth_id)
        if auth.state is OperationState.PENDING:
            apply_answer(order, result, owner.settings.max_attempts, now)
        else:  # the reconciler learnt the outcome first: its record stands
            late_answer(order.id, auth.id, auth.state, result.outcome)
        # a card stashed by this payment becomes a binding once it is approved
        await bindings.confirm_for_order(scope, services.vault, now)
    return _next_step(services, order, owner, result, language)


def late_answer(order_id: str, op_id: str, recorded: OperationState, late: Outcome) -> None:
    """An answer that came after the reconciler had settled the operation.  Its record
    stands; a contradiction (money moved that the ledger says did not, or the reverse)
    needs a person, so it is logged as an error with everything needed to find it."""
    agrees = (late is Outcome.APPROVED and recorded is OperationState.APPROVED) or (
        late is Outcome.DECLINED and recorded is OperationState.DECLINED
    )
    if late in (Outcome.APPROVED, Outcome.DECLINED) and not agrees:
        log.error(
            "late acquirer answer %s contradicts the reconciled %s of operation %s"
            " (order %s): check with the processor",
            late.value,
            recorded.value,
            op_id,
            order_id,
        )


def apply_answer(order: Order, result: AuthorizationResult, max_attempts: int, now: int) -> None:
    """The acquirer's answer to the order's open authorization, in the domain's terms (also
    the reconciler's, once a status inquiry has told it)."""
    if result.outcome is Outcome.CHALLENGE and result.challenge is not None:
        order.enter_acs(result.connector_ref)
        return
    if result.outcome is Outcome.CHALLENGE and result.three_ds2_method is not None:
        method = result.three_ds2_method
        order.enter_acs(
            result.connector_ref, step=THREE_DS2_METHOD, trans_id=method.server_trans_id
        )
        return
    if result.outcome is Outcome.CHALLENGE and result.three_ds2_challenge is not None:
        challenge = result.three_ds2_challenge
        order.enter_acs(
            result.connector_ref, step=THREE_DS2_CHALLENGE, trans_id=challenge.server_trans_id
        )
        return
    order.update_payment_system(result.payment_system)
    if result.outcome is Outcome.APPROVED:
        order.authorization_approved(
            now,
            deposit_operation_id=ids.uuid7(now),
            approval_code=result.approval_code or "",
            auth_ref_num=result.auth_ref_num or "",
            terminal_id=result.terminal_id or "",
            eci=result.eci or "",
            connector_ref=result.connector_ref,
            secure_auth=result.secure_auth,
        )
    elif result.outcome is Outcome.DECLINED:
        order.authorization_declined(
            now,
            result.action_code,
            max_attempts,
            terminal_id=result.terminal_id or "",
            auth_ref_num=result.auth_ref_num or "",
            connector_ref=result.connector_ref,
            eci=result.eci or "",
            secure_auth=result.secure_auth,
        )
    else:  # unknown: never success; the reconciler will learn the outcome
        order.authorization_unknown()


async def finish_3ds(
    services: Services, md: str, pa_res: str, language: str | None = None
) -> PaymentResult:
    """The ACS posted the cardholder back (finish3ds.do, spec §3.9)."""
    order_id = ids.normalize_order_id(md)
    if order_id is None:
        raise OrderNotFound()
    async with services.uow.order(OrderRef(order_id=order_id)) as scope:
        order, owner = scope.order, scope.owner
        if order.status is not OrderStatus.ACS:
            # a replayed, late or concurrent return: never authorise twice
            return _next_step(services, order, owner)
        # claimed, so that a second concurrent return cannot finish it too
        auth = order.claim_3ds_return(services.clock.now_ms())
    lang = language or order.language
    result = await services.processing.complete_3ds(
        ThreeDSCompletion(
            order_id=order.id,
            operation_id=auth.id,
            md=md,
            pa_res=pa_res,
            amount=order.amount,
            currency=order.currency,
            two_phase=order.two_phase,
            connector_ref=auth.connector_ref,
        )
    )
    return await _record(services, order.id, auth.id, owner, result, lang)


async def continue_3ds2(
    services: Services,
    order_id: str,
    *,
    method_completed: bool = True,
    language: str | None = None,
) -> PaymentResult:
    """3ds/continue.do: the 3DS method step is over; the issuer authenticates the buyer
    frictionless (the payment ends here) or asks for a challenge.  A replayed or late call
    on an order that moved on is answered with where it stands, never authorised twice."""
    async with services.uow.order(OrderRef(order_id=order_id)) as scope:
        order, owner = scope.order, scope.owner
        if order.status is not OrderStatus.ACS:
            if not _went_through_3ds2(order):
                raise WrongState("order_not_in_3ds2")
            return _next_step(services, order, owner)
        auth = order.claim_3ds_return(services.clock.now_ms(), step=THREE_DS2_METHOD)
        card = order.card
    lang = language or order.language
    result = await services.processing.continue_3ds2(
        ThreeDS2Continuation(
            order_id=order.id,
            operation_id=auth.id,
            server_trans_id=auth.three_ds_trans_id or "",
            masked_pan=card.masked_pan if card else "",
            amount=order.amount,
            currency=order.currency,
            two_phase=order.two_phase,
            method_completed=method_completed,
            merchant_name=owner.name,
            language=lang,
            notification_url=services.links.three_ds2_return_url(lang, order.id),
            connector_ref=auth.connector_ref,
        )
    )
    return await _record(services, order.id, auth.id, owner, result, lang)


async def finish_3ds2(
    services: Services,
    *,
    trans_id: str = "",
    order_id: str = "",
    cres: str = "",
    language: str | None = None,
    merchant: Merchant | None = None,
) -> PaymentResult:
    """The end of a 3-D Secure 2 challenge: the ACS posted the CRes (finish3dsVer2.do), or
    the shop's server asks (finish3dsVer2Payment.do, by threeDSServerTransId and optionally
    the order).  With a CRes the payment is authorised once; an order already past its
    challenge is answered with its result; one still waiting for the buyer, or one that
    never was in 3-D Secure 2, is refused (errorCode 7).  ``merchant``: the caller of
    finish3dsVer2Payment.do, whose order it must be."""
    found = ids.normalize_order_id(order_id) if order_id else None
    if order_id and found is None:
        raise OrderNotFound()
    if found is None and trans_id:
        async with services.uow.transaction() as repos:
            found = await repos.orders.order_id_of_three_ds_trans(trans_id)
    if found is None:
        raise OrderNotFound()
    async with services.uow.order(OrderRef(order_id=found), merchant=merchant) as scope:
        order, owner = scope.order, scope.owner
        if order.status is not OrderStatus.ACS:
            if not _went_through_3ds2(order, trans_id):
                raise WrongState("order_not_in_3ds2")
            return _next_step(services, order, owner)
        waiting = order.at_acs
        if waiting is None or waiting.three_ds_step != THREE_DS2_CHALLENGE:
            raise WrongState("three_ds2_challenge_not_awaited")
        if trans_id and waiting.three_ds_trans_id != trans_id:
            raise OrderNotFound()  # the transaction of another attempt, or of nothing
        if not cres:
            raise WrongState("three_ds2_challenge_open")
        auth = order.claim_3ds_return(services.clock.now_ms(), step=THREE_DS2_CHALLENGE)
    lang = language or order.language
    result = await services.processing.complete_3ds(
        ThreeDSCompletion(
            order_id=order.id,
            operation_id=auth.id,
            md=order.id,
            pa_res="",
            cres=cres,
            server_trans_id=auth.three_ds_trans_id or "",
            amount=order.amount,
            currency=order.currency,
            two_phase=order.two_phase,
            connector_ref=auth.connector_ref,
        )
    )
    return await _record(services, order.id, auth.id, owner, result, lang)


def _went_through_3ds2(order: Order, trans_id: str = "") -> bool:
    """An authorization of the order went through 3-D Secure 2 (transaction ``trans_id``,
    when given), however it ended: answered, or closed by the order's expiry meanwhile."""
    return any(
        op.kind is OperationKind.AUTHORIZATION
        and op.three_ds_trans_id
        and (not trans_id or op.three_ds_trans_id == trans_id)
        for op in order.operations
    )
