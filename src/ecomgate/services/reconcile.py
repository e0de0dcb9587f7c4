"""The reconciler: no operation stays PENDING, no order stays frozen.

An operation is PENDING from the moment it is handed to the acquirer until its answer is
recorded.  When the answer never comes (a timeout, a connector error, a gateway killed
between the two units of work), the sweeper's pass calls ``reconcile``, which asks the
acquirer about every such operation older than ``reconcile_after_ms`` (and never before the
acquirer timeout, so a live call is not raced) and settles it as the acquirer says:

- approved or declined: recorded as if the answer had come in time (a one-stage payment
  becomes paid, a deposit captures, a refund refunds, each with its callback event);
- never received by the acquirer: declined with actionCode 151018 (nothing was charged);
- still unknown: asked again with backoff until ``reconcile_deadline_ms`` after it was
  sent, then declined with actionCode -1 ("processing did not answer in time"): the money
  it reserved is released and the order can move on (a buyer may retry, an unpaid order
  expires as usual, a refund may be sent again).
"""

from __future__ import annotations

import logging

from ecomgate.acquirers.base import AuthorizationResult, Outcome, SyncRequest, SyncResult
from ecomgate.domain import codes
from ecomgate.domain.errors import GatewayError
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.operations import Operation, OperationKind
from ecomgate.domain.order import Order

from . import bindings
from .context import Services
from .payment import apply_answer
from .ports import DatabaseUnavailable, PendingOperation
from .uow import OrderRef

log = logging.getLogger("ecomgate.reconciler")

#: longest wait between two status inquiries of one operation
MAX_BACKOFF_MS = 300_000
#: beyond the acquirer timeout, before an operation is first asked about: the call starts
#: a moment after ``sent_at`` (the commit), and a live call must never be raced
SEND_MARGIN_MS = 2_000


async def reconcile(services: Services, *, limit: int = 100) -> int:
    """One pass; returns how many operations it settled."""
    now = services.clock.now_ms()
    policy = services.policy
    age = max(policy.reconcile_after_ms, policy.acquirer_timeout_ms + SEND_MARGIN_MS)
    async with services.uow.transaction() as repos:
        pending = await repos.orders.awaiting_acquirer(now, now - age, limit)
    settled = 0
    for item in pending:
        try:
            settled += await _reconcile(services, item)
        except DatabaseUnavailable:
            raise  # the sweeper reports an outage once per pass
        except GatewayError as exc:  # e.g. the order changed under us; next pass retries
            log.warning("reconciling %s of order %s: %s", item.operation_id, item.order_id, exc)
        except Exception:  # one bad operation must not stop the others
            log.exception("reconciling %s of order %s failed", item.operation_id, item.order_id)
    return settled


def sync_request(order: Order, op: Operation) -> SyncRequest:
    auth = order.approved_authorization
    card = order.card
    return SyncRequest(
        operation=op.kind,
        operation_id=op.id,
        order_id=order.id,
        amount=op.amount,
        currency=order.currency,
        connector_ref=op.connector_ref,
        masked_pan=card.masked_pan if card else "",
        expiration=card.expiration if card else "",
        three_ds=op.three_ds,
        force_3ds="FORCE_TDS" in order.features,
        skip_3ds="FORCE_SSL" in order.features,
        authorization_ref=auth.connector_ref if auth and op is not auth else None,
    )


def _next_sync_at(services: Services, op: Operation, now: int) -> int:
    doubling = 1 << min(op.sync_attempts, 16)
    backoff = min(services.policy.reconcile_after_ms * doubling, MAX_BACKOFF_MS)
    deadline = (op.sent_at or now) + services.policy.reconcile_deadline_ms
    # never sooner than one inquiry can take, so another process does not ask meanwhile
    floor = now + services.policy.acquirer_timeout_ms + SEND_MARGIN_MS
    return max(floor, min(now + backoff, deadline))


async def _reconcile(services: Services, item: PendingOperation) -> int:
    ref = OrderRef(order_id=item.order_id)
    now = services.clock.now_ms()
    async with services.uow.order(ref) as scope:
        order = scope.order
        op = order.operation(item.operation_id)
        claimed = order.claim_sync(op.id, now, _next_sync_at(services, op, now))
        request = sync_request(order, op) if claimed else None
        #: what was asked about: the same operation, sent at the same time
        asked = (op.sent_at, op.sync_attempts)
    if request is None:  # settled meanwhile, or another process is asking
        return 0
    result = await services.processing.sync(request)
    async with services.uow.order(ref, merchant=scope.owner) as scope:
        order, op = scope.order, scope.order.operation(item.operation_id)
        if not op.awaiting_acquirer or (op.sent_at, op.sync_attempts) != asked:
            # the late answer of the original call came first, or the operation went to
            # the acquirer again (a 3-D Secure return): this verdict is about the past
            return 0
        now = services.clock.now_ms()
        verdict = _verdict(services, op, result, now)
        if verdict is None:
            return 0
        _settle(order, op, verdict, scope.owner, now)
        if op.kind is OperationKind.AUTHORIZATION:
            # as when the answer comes in time: an approved payment stores its card, a
            # final decline discards it
            await bindings.confirm_for_order(scope, services.vault, now)
    log.info(
        "reconciled %s %s of order %s: %s (actionCode %s)",
        op.kind.value,
        op.id,
        order.id,
        "approved" if verdict.outcome is Outcome.APPROVED else "declined",
        verdict.action_code,
    )
    return 1


def _verdict(services: Services, op: Operation, result: SyncResult, now: int) -> SyncResult | None:
    """The answer to record, or None to ask again later."""
    if not result.found:
        return SyncResult(Outcome.DECLINED, codes.NOT_RECEIVED_BY_ACQUIRER, found=False)
    if result.outcome in (Outcome.APPROVED, Outcome.DECLINED):
        return result
    deadline = (op.sent_at or now) + services.policy.reconcile_deadline_ms
    if now >= deadline:
        return SyncResult(Outcome.DECLINED, codes.PROCESSING_TIMEOUT, message="deadline")
    return None


def _settle(order: Order, op: Operation, verdict: SyncResult, owner: Merchant, now: int) -> None:
    approved = verdict.outcome is Outcome.APPROVED
    if op.kind is not OperationKind.AUTHORIZATION:
        order.settle(
            op.id,
            now,
            approved=approved,
            action_code=verdict.action_code,
            reference_number=verdict.reference_number,
            approval_code=verdict.approval_code,
            connector_ref=verdict.connector_ref,
        )
        return
    answer = AuthorizationResult(
        verdict.outcome,
        verdict.action_code,
        approval_code=verdict.approval_code,
        auth_ref_num=verdict.reference_number,
        terminal_id=verdict.terminal_id,
        payment_system=verdict.payment_system,
        eci=verdict.eci,
        connector_ref=verdict.connector_ref,
    )
    apply_answer(order, answer, owner.settings.max_attempts, now)
