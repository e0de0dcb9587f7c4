"""deposit.do, reverse.do, refund.do and decline.do (spec §3.5-§3.8).

Reservation, not a lock held across the network.  Each money operation runs as:

1. a short transaction that locks the order row, checks the rules and appends a PENDING
   ledger record (a pending refund already reduces what is refundable; a pending deposit or
   reversal blocks the other one) — then commits;
2. the acquirer call, outside any transaction;
3. a second short transaction that locks the order again and records the answer (APPROVED
   or DECLINED) together with the events it causes (outbox).

An answer the gateway cannot read (timeout, exception, ``Outcome.PENDING``) leaves the record
PENDING: it never counts as success, its money stays reserved, and the order refuses
conflicting operations until someone reconciles it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ecomgate.acquirers.base import OperationRequest, OperationResult, Outcome
from ecomgate.domain import codes, ids
from ecomgate.domain.errors import (
    GatewayError,
    InvalidParameter,
    OrderNotFound,
    SystemError_,
    WrongState,
)
from ecomgate.domain.merchant import Merchant, Permission
from ecomgate.domain.operations import Operation, OperationKind, OperationState
from ecomgate.domain.order import Order

from .context import Services
from .lifetime import expire_if_overdue
from .ports import Transaction

log = logging.getLogger("ecomgate.lifecycle")

DAY_MS = 86_400_000
#: how long a replayed ``externalRefundId`` waits for the first request's answer
REPLAY_WAIT_S = 10.0


@dataclass(frozen=True)
class OrderRef:
    """How a request names an order: ``orderId`` wins, else the caller's ``orderNumber``."""

    order_id: str | None = None
    order_number: str | None = None


class AcquirerDeclined(GatewayError):
    def __init__(self, action_code: int) -> None:
        super().__init__(7, "acquirer_declined", action_code=action_code)
        self.action_code = action_code


# -- shared steps ------------------------------------------------------------------------
async def locked_order(tx: Transaction, merchant: Merchant, ref: OrderRef) -> Order:
    """The merchant's order, row-locked until the transaction ends.  Foreign = not found."""
    if ref.order_id is not None:
        order = await tx.get_order(ref.order_id, for_update=True)
    elif ref.order_number is not None:
        order = await tx.get_order_by_number(merchant.id, ref.order_number, for_update=True)
    else:
        raise InvalidParameter("orderId", "order_id_required")
    if order is None or order.merchant_id != merchant.id:
        raise OrderNotFound()
    return order


def bank_day_start(now: int, utc_offset_min: int) -> int:
    """Epoch ms of the start of the bank day containing ``now`` (same-day reversals)."""
    offset = utc_offset_min * 60_000
    local = now + offset
    return local - local % DAY_MS - offset


def _request(order: Order, op: Operation) -> OperationRequest:
    return OperationRequest(
        order_id=order.id,
        amount=op.amount,
        currency=order.currency,
        auth_ref_num=order.auth_ref_num or None,
    )


async def call_acquirer(services: Services, order: Order, op: Operation) -> OperationResult:
    """Ask the acquirer; any failure to get a readable answer is PENDING, never success."""
    acquirer = services.acquirer
    call: Callable[[OperationRequest], Awaitable[OperationResult]] = {
        OperationKind.DEPOSIT: acquirer.deposit,
        OperationKind.REVERSAL: acquirer.reverse,
        OperationKind.REFUND: acquirer.refund,
    }[op.kind]
    try:
        return await call(_request(order, op))
    except Exception:
        log.exception("acquirer %s failed on %s of order %s", acquirer.name, op.kind, order.id)
        return OperationResult(Outcome.PENDING, codes.PROCESSING_TIMEOUT)


async def record(services: Services, order_id: str, op_id: str, result: OperationResult) -> Order:
    """Second transaction: write the acquirer's answer and its events."""
    if result.outcome not in (Outcome.APPROVED, Outcome.DECLINED):
        log.warning("order %s: operation %s left pending (answer unknown)", order_id, op_id)
        async with services.store.transaction() as tx:
            order = await tx.get_order(order_id)
        if order is None:  # pragma: no cover - orders are never deleted
            raise OrderNotFound()
        return order
    now = services.clock.now_ms()
    async with services.store.transaction() as tx:
        order = await tx.get_order(order_id, for_update=True)
        if order is None:  # pragma: no cover
            raise OrderNotFound()
        events = order.settle(
            op_id,
            now,
            approved=result.outcome is Outcome.APPROVED,
            action_code=result.action_code,
            reference_number=result.reference_number,
            approval_code=result.approval_code,
        )
        await tx.save_order(order)
        await tx.add_events(events)
    return order


def outcome(order: Order, op_id: str) -> Operation:
    """The settled operation, or the error its state means for the caller."""
    op = next(o for o in order.operations if o.id == op_id)
    if op.state is OperationState.APPROVED:
        return op
    if op.state is OperationState.DECLINED:
        raise AcquirerDeclined(op.action_code)
    raise SystemError_("acquirer_pending")


async def _run(
    services: Services,
    merchant: Merchant,
    ref: OrderRef,
    reserve: Callable[[Order, int], Operation],
) -> tuple[Order, Operation]:
    """Reserve (transaction 1), call the acquirer, record (transaction 2)."""
    now = services.clock.now_ms()
    async with services.store.transaction() as tx:
        order = await locked_order(tx, merchant, ref)
        expired = await expire_if_overdue(tx, order, now)
        if not expired:
            op = reserve(order, now)
            await tx.save_order(order)
    if expired:  # raised after the commit, so that the expiry itself is kept
        raise WrongState("order_expired")
    result = await call_acquirer(services, order, op)
    order = await record(services, order.id, op.id, result)
    return order, outcome(order, op.id)


def _require(merchant: Merchant, permission: Permission) -> None:
    if not merchant.may(permission):
        raise GatewayError(5, "operation_forbidden", method=permission.value)


# -- the use cases -----------------------------------------------------------------------
async def deposit(
    services: Services,
    merchant: Merchant,
    ref: OrderRef,
    amount: int,
    currency: str | None = None,
) -> Order:
    """deposit.do: capture the hold in full (``amount`` 0 or the held amount) or, with the
    ``partial-deposit`` permission, in part (final: the rest of the hold is released)."""
    _require(merchant, Permission.DEPOSIT)

    def reserve(order: Order, now: int) -> Operation:
        order.check_currency(currency)
        value = order.check_deposit(
            amount, partial_allowed=merchant.may(Permission.PARTIAL_DEPOSIT)
        )
        return order.reserve(OperationKind.DEPOSIT, ids.uuid7(now), value, now)

    order, _ = await _run(services, merchant, ref, reserve)
    return order


async def reverse(
    services: Services,
    merchant: Merchant,
    ref: OrderRef,
    amount: int | None = None,
    currency: str | None = None,
) -> Order:
    """reverse.do: cancel a hold (1 -> 3); a paid one-stage order only on the bank day of
    its payment and with the ``reverse-deposited`` permission.  Once per order."""
    _require(merchant, Permission.REVERSE)

    def reserve(order: Order, now: int) -> Operation:
        order.check_currency(currency)
        value = order.check_reverse(
            amount,
            deposited_allowed=merchant.may(Permission.REVERSE_DEPOSITED),
            bank_day_start=bank_day_start(now, services.policy.bank_day_utc_offset_min),
        )
        return order.reserve(OperationKind.REVERSAL, ids.uuid7(now), value, now)

    order, _ = await _run(services, merchant, ref, reserve)
    return order


@dataclass(frozen=True)
class RefundCommand:
    amount: int  # 0 = everything still deposited
    currency: str | None = None
    expected_deposited: int | None = None
    external_id: str | None = None


async def refund(
    services: Services, merchant: Merchant, ref: OrderRef, cmd: RefundCommand
) -> tuple[Order, Operation]:
    """refund.do: partial and repeated refunds within the deposited amount.

    ``externalRefundId`` makes it idempotent: a known id answers with that refund's result
    (waiting briefly if it is still in flight) and never refunds twice; the same id with a
    different amount is a client bug and fails loudly (errorCode 5)."""
    _require(merchant, Permission.REFUND)
    earlier: Operation | None = None

    def reserve(order: Order, now: int) -> Operation:
        nonlocal earlier
        order.check_currency(cmd.currency)
        if cmd.external_id is not None:
            earlier = order.find_refund(cmd.external_id)
            if earlier is not None:
                raise _Replay()
        value = order.check_refund(cmd.amount, cmd.expected_deposited)
        return order.reserve(OperationKind.REFUND, ids.uuid7(now), value, now, cmd.external_id)

    try:
        return await _run(services, merchant, ref, reserve)
    except _Replay:
        assert earlier is not None
        return await _replay(services, earlier, cmd)


class _Replay(Exception):
    """Internal: the refund's ``externalRefundId`` is known; nothing was written."""


async def _replay(
    services: Services, earlier: Operation, cmd: RefundCommand
) -> tuple[Order, Operation]:
    if cmd.amount not in (0, earlier.amount):
        raise InvalidParameter(
            "externalRefundId",
            "external_refund_id_reused",
            external_id=earlier.external_id,
            amount=earlier.amount,
        )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REPLAY_WAIT_S
    while True:
        async with services.store.transaction() as tx:
            order = await tx.get_order(earlier.order_id)
        if order is None:  # pragma: no cover
            raise OrderNotFound()
        op = next(o for o in order.operations if o.id == earlier.id)
        if op.state is not OperationState.PENDING or loop.time() >= deadline:
            return order, outcome(order, op.id)
        await asyncio.sleep(0.05)


async def decline(services: Services, merchant: Merchant, ref: OrderRef) -> Order:
    """decline.do: cancel an unpaid order (0 or 5 -> 6).  Both ids, when sent, must name the
    same order."""
    now = services.clock.now_ms()
    async with services.store.transaction() as tx:
        order = await locked_order(tx, merchant, ref)
        if ref.order_id is not None and ref.order_number not in (None, order.order_number):
            raise InvalidParameter("orderNumber", "order_ids_mismatch")
        expired = await expire_if_overdue(tx, order, now)
        if not expired:
            events = order.decline(now)
            await tx.save_order(order)
            await tx.add_events(events)
    if expired:
        raise WrongState("order_not_declinable", status=int(order.status))
    return order
