"""Paying an order with a card: the page's processform.do, the server-to-server
paymentorder.do, and the 3-D Secure return (finish3ds.do) share this one path.

Exactly one authorization per order: the first transaction locks the order and records a
PENDING authorization; a second submission (double click, two tabs, a replayed form) finds
it and is refused.  The acquirer is called outside any database transaction, and its answer
is recorded in a second one.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

from ecomgate.acquirers.base import (
    AuthorizationRequest,
    AuthorizationResult,
    CardData,
    Outcome,
    ThreeDSChallenge,
    ThreeDSCompletion,
)
from ecomgate.domain import cards, codes, ids
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.errors import GatewayError, OrderNotFound, WrongState
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.order import CardSnapshot, Order

from .context import Services
from .lifetime import expire_if_overdue
from .ports import Transaction

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
    redirect_url: str = ""
    challenge: ThreeDSChallenge | None = None
    term_url: str = ""
    #: payment attempts the buyer still has (RETRY)
    attempts_left: int = 0

    @property
    def action_code(self) -> int:
        return self.order.action_code


def return_url(order: Order, *, success: bool) -> str:
    """Spec §2.6: returnUrl or failUrl (falls back to returnUrl) + orderId and lang."""
    base = order.return_url if success or not order.fail_url else order.fail_url
    parts = urlsplit(base)
    added = f"orderId={order.id}&lang={order.language}"
    kept = parts.query.rstrip("&")
    query = f"{kept}&{added}" if kept else added
    # rebuilt rather than appended, so a #fragment stays last and the shop gets orderId
    return urlunsplit(parts._replace(query=query))


def term_url(services: Services, language: str) -> str:
    return f"{services.policy.public_url}/payment/rest/finish3ds.do?lang={language}"


async def _locked(tx: Transaction, order_id: str) -> Order:
    order = await tx.get_order(order_id, for_update=True)
    if order is None:
        raise OrderNotFound()
    return order


async def _max_attempts(tx: Transaction, order: Order) -> int:
    merchant = await tx.get_merchant(order.merchant_id)
    return merchant.settings.max_attempts if merchant else 1


def _after_return(order: Order) -> PaymentResult:
    """Where a buyer goes when the ACS return finds the order no longer at the ACS."""
    if order.status is OrderStatus.CREATED:
        # another return of the same challenge is authorising it right now, or it was
        # declined with attempts left: back to the page, which shows which
        return PaymentResult(order, Next.PROCESSING if order.payment_in_progress else Next.RETRY)
    paid = order.status in (OrderStatus.APPROVED, OrderStatus.DEPOSITED)
    return PaymentResult(order, Next.REDIRECT, return_url(order, success=paid))


async def pay(
    services: Services,
    order_id: str,
    form: CardForm,
    *,
    language: str | None = None,
    ip: str = "",
    merchant: Merchant | None = None,
) -> PaymentResult:
    """Authorize ``order_id`` with the card.  ``merchant`` is set for paymentorder.do, and
    the order must then be that merchant's."""
    now = services.clock.now_ms()
    card = read_card(form, now)
    async with services.store.transaction() as tx:
        order = await _locked(tx, order_id)
        if merchant is not None and order.merchant_id != merchant.id:
            raise OrderNotFound()
        # an expiry is kept, and refused only after the commit: raising here would undo it
        expired = await expire_if_overdue(tx, order, now)
        if not expired:
            snapshot = CardSnapshot(
                masked_pan=cards.mask_pan(card.pan),
                expiration=cards.expiration(card.expiry_year, card.expiry_month),
                cardholder_name=card.cardholder_name,
                payment_system=cards.payment_system(card.pan),
            )
            order.start_attempt(now, ids.uuid7(now), snapshot, ip)
            owner = await tx.get_merchant(order.merchant_id)
            merchant_login = owner.login if owner else ""
            merchant_name = owner.name if owner else ""
            await tx.save_order(order)
    if expired:
        raise WrongState("order_expired")
    lang = language or order.language
    request = AuthorizationRequest(
        order_id=order.id,
        merchant_login=merchant_login,
        merchant_name=merchant_name,
        amount=order.amount,
        currency=order.currency,
        card=card,
        two_phase=order.two_phase,
        description=order.description,
        ip=ip or order.ip or None,
        force_3ds="FORCE_TDS" in order.features,
        skip_3ds="FORCE_SSL" in order.features,
        term_url=term_url(services, lang),
        language=lang,
    )
    try:
        result = await services.acquirer.authorize(request)
    except Exception:
        log.exception("acquirer %s failed to authorize order %s", services.acquirer.name, order.id)
        result = AuthorizationResult(Outcome.PENDING, codes.PROCESSING_TIMEOUT)
    return await _record(services, order.id, result, lang)


async def _record(
    services: Services, order_id: str, result: AuthorizationResult, language: str
) -> PaymentResult:
    now = services.clock.now_ms()
    async with services.store.transaction() as tx:
        order = await _locked(tx, order_id)
        if result.outcome is Outcome.CHALLENGE and result.challenge is not None:
            order.enter_acs()
            await tx.save_order(order)
            return PaymentResult(
                order, Next.ACS, challenge=result.challenge, term_url=term_url(services, language)
            )
        if result.outcome is Outcome.APPROVED:
            events = order.authorization_approved(
                now,
                deposit_operation_id=ids.uuid7(now),
                approval_code=result.approval_code or "",
                auth_ref_num=result.auth_ref_num or "",
                terminal_id=result.terminal_id or "",
                eci=result.eci or "",
            )
            await tx.save_order(order)
            await tx.add_events(events)
            return PaymentResult(order, Next.REDIRECT, return_url(order, success=True))
        if result.outcome is Outcome.DECLINED:
            max_attempts = await _max_attempts(tx, order)
            events = order.authorization_declined(
                now,
                result.action_code,
                max_attempts,
                terminal_id=result.terminal_id or "",
                auth_ref_num=result.auth_ref_num or "",
            )
            await tx.save_order(order)
            await tx.add_events(events)
            if order.status is OrderStatus.DECLINED:
                return PaymentResult(order, Next.REDIRECT, return_url(order, success=False))
            return PaymentResult(order, Next.RETRY, attempts_left=order.attempts_left(max_attempts))
        # PENDING (or a challenge without data): never success; leave the attempt open
        order.action_code = codes.PROCESSING_TIMEOUT
        await tx.save_order(order)
        return PaymentResult(order, Next.PROCESSING)


async def finish_3ds(
    services: Services, md: str, pa_res: str, language: str | None = None
) -> PaymentResult:
    """The ACS posted the cardholder back (finish3ds.do, spec §3.9)."""
    order_id = ids.normalize_order_id(md)
    if order_id is None:
        raise OrderNotFound()
    now = services.clock.now_ms()
    async with services.store.transaction() as tx:
        order = await _locked(tx, order_id)
        await expire_if_overdue(tx, order, now)
        if order.status is not OrderStatus.ACS:
            # a replayed, late or concurrent return: never authorise twice
            return _after_return(order)
        # claim the 3-D Secure result so that a second concurrent return cannot finish it too
        order.status = OrderStatus.CREATED
        await tx.save_order(order)
    lang = language or order.language
    try:
        result = await services.acquirer.complete_3ds(
            ThreeDSCompletion(
                order_id=order.id,
                md=md,
                pa_res=pa_res,
                amount=order.amount,
                currency=order.currency,
                two_phase=order.two_phase,
            )
        )
    except Exception:
        log.exception(
            "acquirer %s failed to finish 3-D Secure of %s", services.acquirer.name, order.id
        )
        result = AuthorizationResult(Outcome.PENDING, codes.PROCESSING_TIMEOUT)
    if result.outcome is Outcome.CHALLENGE:  # a second challenge is not supported: decline
        result = AuthorizationResult(Outcome.DECLINED, codes.THREE_DS_REJECTED)
    return await _record(services, order.id, result, lang)
