"""What a callback may report of its order, taken when the event is written.

A callback describes the order as the event left it: a ``deposited`` callback retried
after a refund still reports the deposited amount of its own moment.  So the unit of work
stores these facts with each event, and the dispatcher picks what the merchant asked for.
"""

from __future__ import annotations

from ecomgate.domain import codes
from ecomgate.domain.merchant import Merchant
from ecomgate.domain.order import Order


def order_facts(order: Order, merchant: Merchant) -> dict[str, str]:
    """Every optional parameter of spec §4.2 the order has a value for, as strings."""
    t = order.totals
    facts = {
        "orderNumber": order.order_number,  # a base parameter, not an optional one
        "amount": str(order.amount),
        "currency": order.currency,
        "approvedAmount": str(t.approved_amount),
        "depositedAmount": str(t.deposited_amount),
        "refundedAmount": str(t.refunded),
        "paymentAmount": str(t.deposited_amount or t.approved_amount),
        "feeAmount": "0",
        "actionCode": str(order.action_code),
        "actionCodeDescription": codes.action_code_description(
            order.action_code, merchant.settings.language
        ),
        "paymentState": order.payment_state,
        "paymentWay": order.payment_way,
        "depositFlag": "2" if order.two_phase else "1",
        "merchantLogin": merchant.login,
        "sessionExpiredDate": str(order.expires_at),
    }
    optional = {
        "approvalCode": order.approval_code,
        "authCode": order.approval_code,
        "eci": order.eci,
        "ip": order.ip,
        "clientId": order.client_id,
        "bindingId": order.binding_id,
        "paymentRefNum": order.auth_ref_num,
        "refNum": order.auth_ref_num,
        "terminalId": order.terminal_id,
        "orderDescription": order.description,
        "email": order.email,
        "phone": order.phone,
    }
    if order.card is not None:
        optional |= {
            "maskedPan": order.card.masked_pan,
            "cardholderName": order.card.cardholder_name,
            "paymentSystem": order.card.payment_system,
        }
    facts |= {k: v for k, v in optional.items() if v}
    # the shop's own jsonParams, kept apart: they are forwarded under their own names
    facts |= {f"jsonParams.{k}": str(v) for k, v in order.json_params.items()}
    return facts
