"""An order's ledger as a timeline for the order page (pure): registration, each
authorization (with 3-D Secure), capture, reversal and refund with its state, and the
end of the order's lifetime."""

from __future__ import annotations

from dataclasses import dataclass

from ecomgate.domain import codes
from ecomgate.domain.operations import OperationState
from ecomgate.domain.order import Order


@dataclass(frozen=True)
class Step:
    at: int
    #: an i18n key: registered, op_<kind>, expired
    what: str
    amount: int | None = None
    #: pending | approved | declined ("" for registration and expiry)
    state: str = ""
    action_code: int | None = None
    three_ds: bool = False
    settled_at: int | None = None


def timeline(order: Order) -> list[Step]:
    steps = [Step(order.created_at, "registered", order.amount)]
    for op in order.operations:
        steps.append(
            Step(
                op.created_at,
                f"op_{op.kind.value}",
                op.amount,
                op.state.value,
                op.action_code if op.state is not OperationState.PENDING else None,
                op.three_ds,
                op.settled_at,
            )
        )
    if order.action_code == codes.ORDER_EXPIRED:
        steps.append(Step(order.expires_at, "expired", action_code=order.action_code))
    return sorted(steps, key=lambda s: s.at)
