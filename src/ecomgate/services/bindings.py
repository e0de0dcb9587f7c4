"""Stored cards (spec §3.10): creating bindings, the binding methods, the vault rotation.

A binding is made three ways: by an order's payment (``stash`` under the first unit of
work of the payment, ``confirm_for_order`` when the acquirer approves it: the order then
records ``bindingCreated`` in its own transaction), by createBindingNoPayment.do, and by a
VERIFY order (a payment of 0 that ends REVERSED).  Paying with a binding is in
``services.payment.pay_with_binding``.

Every card number lives in memory only: sealed by the vault before it reaches a
repository, opened only to pay or to re-seal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ecomgate.acquirers.base import CardData
from ecomgate.domain import cards, ids
from ecomgate.domain.bindings import (
    CATEGORY_BY_LETTER,
    COMMON,
    Binding,
    BindingNotFound,
    category_for,
    parse_yyyymm,
)
from ecomgate.domain.bindings import expired as expiry_passed
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.errors import GatewayError, InvalidParameter
from ecomgate.domain.merchant import Merchant, Permission
from ecomgate.domain.order import Order

from .context import Services
from .ports import Repositories
from .uow import OrderScope
from .vault import Vault, VaultError

log = logging.getLogger("ecomgate.bindings")


class NoBindings(GatewayError):
    """getBindings.do for a client without (matching) bindings: errorCode 2."""

    def __init__(self) -> None:
        super().__init__(2, "no_bindings")


# -- created by a payment ----------------------------------------------------------------
def wants_binding(order: Order, owner: Merchant, *, save_card: bool) -> bool:
    """Store the card of this payment?  For an order registered with ``clientId`` of a
    merchant with the ``bindings`` permission, unless it is paid with a binding already or
    the buyer declined ("save card" unticked, ``bindingNotNeeded``) — FORCE_CREATE_BINDING
    and VERIFY store it whatever the buyer said."""
    if not order.client_id or order.binding_id or not owner.may(Permission.BINDINGS):
        return False
    forced = "FORCE_CREATE_BINDING" in order.features or order.verification
    return forced or save_card


async def discard_stash(scope: OrderScope) -> None:
    """At the start of every payment attempt: an earlier, declined attempt's card is not
    the card of this one, and must never become a binding if this one is approved."""
    previous = await scope.repos.bindings.pending_for_order(scope.order.id)
    if previous is not None:
        await scope.repos.bindings.delete(previous.id)


async def stash(scope: OrderScope, vault: Vault, card: CardData, now: int) -> None:
    """In the payment's first unit of work: the card, sealed, as an unconfirmed binding of
    the order (invisible and unusable until the payment is approved)."""
    order = scope.order
    await discard_stash(scope)
    binding_id = ids.uuid7(now)
    expiry = cards.expiration(card.expiry_year, card.expiry_month)
    binding = Binding(
        id=binding_id,
        merchant_id=order.merchant_id,
        client_id=order.client_id,
        masked_pan=cards.mask_pan(card.pan),
        payment_system=cards.payment_system(card.pan),
        created_at=now,
        updated_at=now,
        sealed=vault.seal(card.pan, expiry, order_id=order.id, binding_id=binding_id),
        expiry=expiry,
        cardholder_name=card.cardholder_name,
        category=category_for(order.features, order.json_params),
        confirmed=False,
        order_id=order.id,
        email=order.email,
        phone=order.phone,
    )
    await scope.repos.bindings.add(binding)


async def confirm_for_order(scope: OrderScope, vault: Vault | None, now: int) -> None:
    """In the unit of work that records the acquirer's answer: an approved payment makes
    its stashed card a binding (``bindingCreated`` recorded by the order); a final decline
    discards it.  The same card already bound to the same client is reused, not doubled."""
    order = scope.order
    pending = await scope.repos.bindings.pending_for_order(order.id)
    if pending is None or vault is None:
        return
    if order.status not in (OrderStatus.APPROVED, OrderStatus.DEPOSITED, OrderStatus.REVERSED):
        # at the ACS, or declined with attempts left: the card waits; declined for good:
        # it is discarded
        if order.status is OrderStatus.DECLINED:
            await scope.repos.bindings.delete(pending.id)
        return
    try:
        card = vault.open(pending.sealed, order_id=order.id, binding_id=pending.id)
    except VaultError:
        log.error("binding %s of order %s: the vault record does not open", pending.id, order.id)
        return
    hashes = vault.pan_hashes(card.pan)
    # two first payments with one card at once must not make two bindings of it
    await scope.repos.bindings.lock_card(order.merchant_id, order.client_id, hashes[0])
    for known in await scope.repos.bindings.by_pan_hash(order.merchant_id, hashes):
        if known.client_id != order.client_id or not known.enabled:
            continue
        try:
            known_card = vault.open(known.sealed, order_id=known.order_id, binding_id=known.id)
        except VaultError:  # never fail an approved payment over another record
            log.error("binding %s: the vault record does not open", known.id)
            continue
        if known_card.expiry == card.expiry:
            await scope.repos.bindings.delete(pending.id)
            order.binding_id = known.id
            return
    event = pending.confirm(now)
    await scope.repos.bindings.save(pending)
    order.binding_created(event)


# -- reading -----------------------------------------------------------------------------
async def _opened(services: Services, found: list[Binding]) -> list[Binding]:
    """The bindings with their expiry; one whose record does not open (a key no longer
    configured) is left out and logged, not allowed to fail the whole answer."""
    readable = []
    for b in found:
        try:
            readable.append(services.uow.open_expiry(b))
        except GatewayError:
            log.warning("binding %s cannot be opened with the configured vault keys", b.id)
    return readable


async def cards_now(services: Services, merchant_id: str) -> int:
    """The time a card's expiry is judged at for this merchant: now, moved on by the
    merchant's sandbox clock (a stored card's expiry month cannot move with it; the
    merchant's time moves past it instead).  Plain now outside the sandbox."""
    async with services.uow.transaction() as repos:
        offset = await repos.sandbox.clock_offset_ms(merchant_id)
    return services.clock.now_ms() + offset


def _visible(found: list[Binding], now: int, *, show_expired: bool) -> list[Binding]:
    return [b for b in found if b.enabled and (show_expired or not b.is_expired(now))]


async def list_for_client(
    services: Services,
    merchant: Merchant,
    client_id: str,
    *,
    binding_type: str | None = None,
    show_expired: bool = False,
) -> list[Binding]:
    """getBindings.do: the client's active bindings; errorCode 2 when there are none."""
    category = None
    if binding_type is not None:
        category = CATEGORY_BY_LETTER.get(binding_type.upper())
        if category is None:
            raise InvalidParameter("bindingType", "bad_binding_type")
    async with services.uow.transaction() as repos:
        found = await repos.bindings.for_client(merchant.id, client_id)
    now = await cards_now(services, merchant.id)
    shown = _visible(await _opened(services, found), now, show_expired=show_expired)
    if category is not None:
        shown = [b for b in shown if b.category == category]
    if not shown:
        raise NoBindings()
    return shown


async def by_card_or_id(
    services: Services,
    merchant: Merchant,
    *,
    pan: str | None = None,
    binding_id: str | None = None,
    show_expired: bool = False,
) -> list[Binding]:
    """getBindingsByCardOrId.do: every active binding of one card, by its number (looked
    up by keyed hash) or by any binding of it (unknown or foreign: errorCode 5)."""
    vault = services.uow.vault
    async with services.uow.transaction() as repos:
        if pan is None:
            assert binding_id is not None
            pan = await _pan_of(services, repos, merchant, binding_id)
        found = await repos.bindings.by_pan_hash(merchant.id, vault.pan_hashes(pan))
    now = await cards_now(services, merchant.id)
    return _visible(await _opened(services, found), now, show_expired=show_expired)


async def _pan_of(
    services: Services, repos: Repositories, merchant: Merchant, binding_id: str
) -> str:
    binding = await repos.bindings.get(binding_id)
    if binding is None or not binding.belongs_to(merchant.id):
        raise BindingNotFound(5)
    try:
        card = services.uow.vault.open(
            binding.sealed, order_id=binding.order_id, binding_id=binding.id
        )
    except VaultError as exc:
        raise GatewayError(7, "vault_record_unreadable") from exc
    return card.pan


async def for_page(services: Services, order: Order, owner: Merchant) -> list[Binding]:
    """The saved cards the payment page offers: the client's active, unexpired bindings
    (only the order's own binding when it was registered with ``bindingId``)."""
    if not order.client_id or services.vault is None or not owner.may(Permission.BINDINGS):
        return []
    async with services.uow.transaction() as repos:
        found = await repos.bindings.for_client(owner.id, order.client_id)
    readable = await _opened(services, found)
    shown = _visible(readable, await cards_now(services, owner.id), show_expired=False)
    if order.registered_binding_id:
        shown = [b for b in shown if b.id == order.registered_binding_id]
    return shown


async def check_for_register(
    services: Services, merchant: Merchant, binding_id: str, client_id: str
) -> None:
    """register.do with ``bindingId``: the merchant's active binding of ``clientId``."""
    async with services.uow.transaction() as repos:
        binding = await repos.bindings.get(binding_id)
    if binding is None or not binding.belongs_to(merchant.id, client_id):
        raise BindingNotFound(5)
    now = await cards_now(services, merchant.id)
    services.uow.open_expiry(binding).ensure_usable(now, client_id)


# -- changing ----------------------------------------------------------------------------
async def unbind(services: Services, merchant: Merchant, binding_id: str) -> None:
    """unBindCard.do: errorCode 2 when unknown, foreign or already inactive."""
    async with services.uow.binding(binding_id, merchant=merchant, missing_code=2) as scope:
        scope.binding.disable(services.clock.now_ms())


async def bind(services: Services, merchant: Merchant, binding_id: str) -> None:
    """bindCard.do: errorCode 2 when unknown, foreign or already active."""
    async with services.uow.binding(binding_id, merchant=merchant, missing_code=2) as scope:
        scope.binding.enable(services.clock.now_ms())


async def extend(services: Services, merchant: Merchant, binding_id: str, new_expiry: str) -> None:
    """extendBinding.do: the card's new expiry, re-sealed in the vault."""
    async with services.uow.binding(binding_id, merchant=merchant, missing_code=2) as scope:
        b, now = scope.binding, services.clock.now_ms()
        b.check_new_expiry(new_expiry, now)
        b.sealed = scope.vault.reseal(
            b.sealed, order_id=b.order_id, binding_id=b.id, expiry=new_expiry
        )
        b.expiry = new_expiry
        b.updated_at = now


@dataclass(frozen=True, repr=False)
class NewCard:
    """createBindingNoPayment.do's card (never printed: repr keeps the PAN out)."""

    client_id: str
    pan: str
    expiry: str  # YYYYMM
    cardholder_name: str = ""
    email: str = ""
    phone: str = ""

    def __repr__(self) -> str:
        return f"NewCard(client_id={self.client_id!r})"


async def create_without_payment(services: Services, merchant: Merchant, new: NewCard) -> Binding:
    """createBindingNoPayment.do (needs ``create-binding-no-payment`` too)."""
    if not merchant.may(Permission.CREATE_BINDING_NO_PAYMENT):
        raise GatewayError(5, "operation_forbidden", method="createBindingNoPayment.do")
    pan = cards.normalize_pan(new.pan)
    if not cards.valid_pan(pan):
        raise InvalidParameter("pan", "bad_pan")
    now = services.clock.now_ms()
    if parse_yyyymm(new.expiry) is None or expiry_passed(new.expiry, now):
        raise InvalidParameter("expiryDate", "bad_expiry_date")
    name = " ".join(new.cardholder_name.split()).upper()
    if name and not cards.valid_cardholder_name(name):
        raise InvalidParameter("cardholderName")
    vault = services.uow.vault
    binding_id = ids.uuid7(now)
    binding = Binding(
        id=binding_id,
        merchant_id=merchant.id,
        client_id=new.client_id,
        masked_pan=cards.mask_pan(pan),
        payment_system=cards.payment_system(pan),
        created_at=now,
        updated_at=now,
        sealed=vault.seal(pan, new.expiry, order_id=None, binding_id=binding_id),
        expiry=new.expiry,
        cardholder_name=name,
        category=COMMON,
        email=new.email,
        phone=new.phone,
    )
    await services.uow.add_binding(binding)
    return binding


# -- key rotation ------------------------------------------------------------------------
@dataclass
class Rotation:
    resealed: int = 0
    batches: int = 0
    #: bindings per key id after the rotation
    by_key: dict[str, int] = field(default_factory=dict)
    current_key_id: str = ""


async def rotate(
    services: Services,
    batch_size: int = 100,
    progress: Callable[[Rotation], None] | None = None,
) -> Rotation:
    """Re-seal every binding under the vault's current key, ``batch_size`` rows per
    transaction, so the gateway keeps serving meanwhile (each batch locks its own rows
    only; a row another request holds is taken by a later batch)."""
    vault = services.uow.vault
    current = vault.current_key_id
    report = Rotation(current_key_id=current)
    for _ in range(_ROTATION_ROUNDS):
        await _rotate_round(services, vault, current, batch_size, report, progress)
        async with services.uow.transaction() as repos:
            report.by_key = await repos.bindings.count_by_key()
        # rows held by a request were skipped (SKIP LOCKED): look again until none is left
        if not set(report.by_key) - {current}:
            break
    return report


#: rounds of rotation before giving up on rows that stay locked (they are reported)
_ROTATION_ROUNDS = 5


async def _rotate_round(
    services: Services,
    vault: Vault,
    current: str,
    batch_size: int,
    report: Rotation,
    progress: Callable[[Rotation], None] | None,
) -> None:
    while True:
        async with services.uow.transaction() as repos:
            todo = await repos.bindings.not_under_key(current, batch_size)
            for binding_id in todo:
                b = await repos.bindings.get(binding_id, for_update=True)
                if b is None or b.sealed.key_id == current:
                    continue
                try:
                    b.sealed = vault.reseal(b.sealed, order_id=b.order_id, binding_id=b.id)
                except VaultError as exc:
                    raise GatewayError(7, "vault_rotation_failed", detail=str(exc)) from exc
                await repos.bindings.save(b)
                report.resealed += 1
        if not todo:
            return
        report.batches += 1
        if progress is not None:
            progress(report)
