"""The unit of work: the one way an order is loaded, changed and saved.

::

    async with services.uow.order(OrderRef(order_id=...), merchant=merchant) as scope:
        scope.order.decline(now)

``order()`` opens a transaction, loads the order row-locked, checks that it belongs to
``merchant`` (a foreign order is "not found", indistinguishable from an unknown one), and
expires it on the spot when its lifetime is over (spec §2.4).  On exit it saves the order
and writes exactly the events the aggregate recorded, in the same transaction.

A business refusal (``GatewayError``) raised by the body keeps what happened before the
body ran, i.e. an expiry found on the way, and then refuses: the transaction commits the
expiry and its ``declinedByTimeout`` event, and the error reaches the caller after the
commit.  Anything the body changed is not saved.  Any other exception rolls back.

Readers use ``read()``: no lock and no write, unless the order turns out to be overdue.

Bindings (stored cards) have a unit of work of their own, ``binding()``: the binding
row-locked, owner checked (a foreign binding is "not found", like an unknown one), its
sealed card opened for the expiry; saved with its events on exit.  A binding created by an
order's payment is recorded by the order instead, in the order's transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from ecomgate.domain.bindings import Binding, BindingNotFound
from ecomgate.domain.callbacks import order_facts
from ecomgate.domain.errors import GatewayError, InvalidParameter, OrderNotFound, SystemError_
from ecomgate.domain.events import Event
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.order import Order

from .ports import Clock, DatabaseUnavailable, Repositories, Store
from .vault import Vault, VaultError


@dataclass(frozen=True)
class OrderRef:
    """How a request names an order: ``orderId`` wins, else the caller's ``orderNumber``
    (which needs the merchant)."""

    order_id: str | None = None
    order_number: str | None = None


@dataclass
class OrderScope:
    """What a unit of work over one order gives its body."""

    order: Order
    #: the merchant that owns the order (the caller, or loaded for the payment page)
    owner: Merchant
    #: the transaction's repositories, for what the body must read besides the order
    repos: Repositories
    #: the order's lifetime had ended: the unit of work expired it on loading
    expired_on_load: bool = False


@dataclass
class BindingScope:
    """What a unit of work over one binding gives its body."""

    binding: Binding
    repos: Repositories
    vault: Vault


class UnitOfWork:
    def __init__(self, store: Store, clock: Clock, vault: Vault | None = None) -> None:
        self.store = store
        self.clock = clock
        self._vault = vault

    @property
    def vault(self) -> Vault:
        """The card vault; without keys no card can be stored or used (errorCode 7)."""
        if self._vault is None:
            raise SystemError_("vault_unavailable")
        return self._vault

    def open_expiry(self, binding: Binding) -> Binding:
        """``binding`` with its expiry read from the sealed card."""
        try:
            card = self.vault.open(binding.sealed, order_id=binding.order_id, binding_id=binding.id)
        except VaultError as exc:
            raise SystemError_("vault_record_unreadable") from exc
        binding.expiry = card.expiry
        return binding

    @asynccontextmanager
    async def binding(
        self, binding_id: str, *, merchant: Merchant, missing_code: int = 5
    ) -> AsyncIterator[BindingScope]:
        """The merchant's binding, row-locked, expiry opened; saved with its events on
        exit.  Unknown and foreign bindings are both ``BindingNotFound(missing_code)``."""
        vault = self.vault
        async with self.store.transaction() as repos:
            binding = await repos.bindings.get(binding_id, for_update=True)
            if binding is None or not binding.belongs_to(merchant.id):
                raise BindingNotFound(missing_code)
            self.open_expiry(binding)
            yield BindingScope(binding, repos, vault)
            await repos.bindings.save(binding)
            events = binding.take_events()
            if events:
                await repos.outbox.add(events)

    async def add_binding(self, binding: Binding) -> None:
        """A binding made without an order (createBindingNoPayment.do), announced."""
        async with self.store.transaction() as repos:
            await repos.bindings.add(binding)
            await repos.outbox.add([binding.created_event(binding.created_at)])

    def transaction(self) -> AbstractAsyncContextManager[Repositories]:
        """A plain transaction over the repositories, for aggregates other than orders
        (merchants, secrets).  Orders change only through ``order()`` and ``add_order()``."""
        return self.store.transaction()

    @asynccontextmanager
    async def order(
        self, ref: OrderRef, *, merchant: Merchant | None = None
    ) -> AsyncIterator[OrderScope]:
        """The order, row-locked, owner checked and expiry applied; saved with its events
        on exit.  ``merchant`` None: any merchant's order (the payment page, the sweeper)."""
        refusal: GatewayError | None = None
        async with self.store.transaction() as repos:
            order = await _load(repos, ref, merchant, for_update=True)
            owner = merchant or await repos.merchants.get(order.merchant_id)
            if owner is None:  # pragma: no cover - a foreign key guarantees the merchant
                raise OrderNotFound()
            expired = order.expire(self.clock.now_ms())
            if expired:
                await _save(repos, order, owner)
            try:
                yield OrderScope(order, owner, repos, expired)
            except DatabaseUnavailable:
                raise  # not a refusal: the outcome of the transaction is unknown
            except GatewayError as exc:
                refusal = exc  # commit what happened before the body, then refuse
            else:
                await _save(repos, order, owner)
        if refusal is not None:
            raise refusal

    async def read(self, ref: OrderRef, *, merchant: Merchant | None = None) -> Order:
        """The order as of now, for a reader: no lock, unless it must be expired first."""
        async with self.store.transaction() as repos:
            order = await _load(repos, ref, merchant, for_update=False)
        if not order.is_overdue(self.clock.now_ms()):
            return order
        async with self.order(ref, merchant=merchant) as scope:
            return scope.order

    async def owner(self, order: Order) -> Merchant:
        async with self.store.transaction() as repos:
            merchant = await repos.merchants.get(order.merchant_id)
        if merchant is None:  # pragma: no cover - a foreign key guarantees the merchant
            raise OrderNotFound()
        return merchant

    async def add_order(self, order: Order) -> None:
        """A new order (register.do), with whatever events it recorded."""
        async with self.store.transaction() as repos:
            await repos.orders.add(order)
            events = order.take_events()
            if events:
                owner = await repos.merchants.get(order.merchant_id)
                if owner is None:  # pragma: no cover - a foreign key guarantees the merchant
                    raise OrderNotFound()
                await _write_events(repos, order, owner, events)


async def _load(
    repos: Repositories, ref: OrderRef, merchant: Merchant | None, *, for_update: bool
) -> Order:
    if ref.order_id is not None:
        order = await repos.orders.get(ref.order_id, for_update=for_update)
    elif ref.order_number is not None and merchant is not None:
        order = await repos.orders.get_by_number(
            merchant.id, ref.order_number, for_update=for_update
        )
    else:
        raise InvalidParameter("orderId", "order_id_required")
    if order is None or (merchant is not None and order.merchant_id != merchant.id):
        raise OrderNotFound()
    return order


async def _save(repos: Repositories, order: Order, owner: Merchant) -> None:
    await repos.orders.save(order)
    events = order.take_events()
    if events:
        await _write_events(repos, order, owner, events)


async def _write_events(
    repos: Repositories, order: Order, owner: Merchant, events: Sequence[Event]
) -> None:
    # each event keeps the order's facts of its moment: a callback retried later still
    # reports what the event saw (notifications/facts.py)
    await repos.outbox.add(
        events,
        merchant_id=owner.id,
        facts=order_facts(order, owner),
        dynamic_url=order.dynamic_callback_url,
    )
