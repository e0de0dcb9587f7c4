"""deposit.do, reverse.do, refund.do and decline.do (spec §3.5-§3.8).

Reservation, not a lock held across the network.  Each money operation runs as:

1. a unit of work that locks the order row, checks the rules and appends a PENDING ledger
   record (a pending refund already reduces what is refundable; a pending deposit or
   reversal blocks the other one) — then commits;
2. the acquirer call through the processing layer, outside any transaction;
3. a second unit of work that records the answer (APPROVED or DECLINED) together with the
   events it causes (outbox).

An answer the gateway cannot read (timeout, connector error, ``Outcome.PENDING``) leaves the
record PENDING: it never counts as success, its money stays reserved, and the order refuses
conflicting operations until the reconciler (``reconcile.py``) learns the outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ecomgate.acquirers.base import OperationRequest, OperationResult, Outcome
from ecomgate.domain import ids
from ecomgate.domain.errors import GatewayError, InvalidParameter, SystemError_, WrongState
from ecomgate.domain.merchant import Merchant, Permission
from ecomgate.domain.operations import Operation, OperationKind, OperationState
from ecomgate.domain.order import Order

from .context import Services
from .payment import late_answer
from .uow import OrderRef

#: how long a replayed ``externalRefundId`` waits for the first request's answer
REPLAY_WAIT_S = 10.0


class AcquirerDeclined(GatewayError):
    def __init__(self, action_code: int) -> None:
        super().__init__(7, "acquirer_declined", action_code=action_code)
        self.action_code = action_code


# -- shared steps ------------------------------------------------------------------------
def bank_day_start(now: int, timezone: str) -> int:
    """Epoch ms of the start of the bank day containing ``now`` (same-day reversals), in
    the gateway's zone with its daylight saving."""
    zone = ZoneInfo(timezone)
    local = datetime.fromtimestamp(now / 1000, zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(midnight.timestamp() * 1000)


def operation_request(order: Order, op: Operation) -> OperationRequest:
    auth = order.approved_authorization
    return OperationRequest(
        order_id=order.id,
        operation_id=op.id,
        amount=op.amount,
        currency=order.currency,
        auth_ref_num=order.auth_ref_num or None,
        authorization_ref=auth.connector_ref if auth else None,
    )


async def send(services: Services, order: Order, op: Operation, owner: Merchant) -> Order:
    """Ask the acquirer about a reserved operation and record its answer (second unit of
    work).  An unknown answer leaves the operation PENDING for the reconciler."""
    result = await services.processing.operate(op.kind, operation_request(order, op))
    return await record(services, order.id, op.id, result, owner)


async def record(
    services: Services, order_id: str, op_id: str, result: OperationResult, owner: Merchant
) -> Order:
    """Write the acquirer's answer (APPROVED or DECLINED) and the events it causes."""
    ref = OrderRef(order_id=order_id)
    if result.outcome not in (Outcome.APPROVED, Outcome.DECLINED):
        return await services.uow.read(ref, merchant=owner)
    async with services.uow.order(ref, merchant=owner) as scope:
        recorded = scope.order.operation(op_id).state
        if recorded is not OperationState.PENDING:
            # the reconciler learnt the outcome first: its record stands
            late_answer(order_id, op_id, recorded, result.outcome)
            return scope.order
        scope.order.settle(
            op_id,
            services.clock.now_ms(),
            approved=result.outcome is Outcome.APPROVED,
            action_code=result.action_code,
            reference_number=result.reference_number,
            approval_code=result.approval_code,
            connector_ref=result.connector_ref,
        )
    return scope.order


def outcome(order: Order, op_id: str) -> Operation:
    """The settled operation, or the error its state means for the caller."""
    op = order.operation(op_id)
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
    """Reserve (unit of work 1), call the acquirer, record (unit of work 2)."""
    async with services.uow.order(ref, merchant=merchant) as scope:
        op = reserve(scope.order, services.clock.now_ms())
    order = await send(services, scope.order, op, merchant)
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
        partial = merchant.may(Permission.PARTIAL_DEPOSIT)
        value = order.check_deposit(
            amount,
            partial_allowed=partial,
            partial_supported=services.processing.capabilities.partial_deposit,
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
    """reverse.do: cancel a hold (1 -> 3), or part of it (``amount`` below the hold, BPC:
    the order stays 1 with the rest held); a paid one-stage order in full only, on the
    bank day of its payment, unless the merchant's ``reverse_deposited`` setting forbids
    it.  A failed reversal is not retried."""
    _require(merchant, Permission.REVERSE)

    def reserve(order: Order, now: int) -> Operation:
        order.check_currency(currency)
        value = order.check_reverse(
            amount,
            deposited_allowed=merchant.settings.reverse_deposited,
            bank_day_start=bank_day_start(now, services.policy.timezone),
            deposited_supported=services.processing.capabilities.reverse_deposited,
            partial_supported=services.processing.capabilities.partial_reversal,
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
    (waiting briefly if it is still in flight), whatever amount the replay carries, and
    never refunds twice (spec §8: BPC's behaviour)."""
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
        if value < order.totals.refundable and not services.processing.capabilities.partial_refund:
            raise WrongState("partial_refund_unsupported")
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
    """A known ``externalRefundId`` (spec §3.7, §8, BPC): the earlier refund's outcome,
    whatever ``cmd`` says (its amount is not looked at); nothing is refunded again."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REPLAY_WAIT_S
    while True:
        order = await services.uow.read(OrderRef(order_id=earlier.order_id))
        op = order.operation(earlier.id)
        if op.state is not OperationState.PENDING or loop.time() >= deadline:
            return order, outcome(order, op.id)
        await asyncio.sleep(0.05)


async def decline(services: Services, merchant: Merchant, ref: OrderRef) -> Order:
    """decline.do: cancel an unpaid order (0 or 5 -> 6).  Both ids, when sent, must name the
    same order."""
    async with services.uow.order(ref, merchant=merchant) as scope:
        order = scope.order
        if ref.order_id is not None and ref.order_number not in (None, order.order_number):
            raise InvalidParameter("orderNumber", "order_ids_mismatch")
        order.decline(services.clock.now_ms())
    return order
