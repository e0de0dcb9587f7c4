"""Wire shapes of an order: getOrderStatusExtended.do (§3.3) and getOrderStatus.do (§3.4).

Numbers stay JSON numbers, ``currency`` and ``errorCode`` are strings (spec §10).
"""

from __future__ import annotations

from typing import Any

from ecomgate.domain import codes
from ecomgate.domain.bindings import Binding
from ecomgate.domain.card_issuers import UNKNOWN, Issuer, issuer_of
from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.operations import OperationKind, OperationState
from ecomgate.domain.order import Order

from .messages import message


def _bank_info(issuer: Issuer) -> dict[str, str]:
    return {
        "bankName": issuer.bank_name,
        "bankCountryCode": issuer.country_code,
        "bankCountryName": issuer.country_name,
    }


def _name_values(params: dict[str, Any]) -> list[dict[str, str]]:
    return [{"name": k, "value": str(v)} for k, v in params.items()]


def extended_status(order: Order, language: str, terminal_id: str = "") -> dict[str, Any]:
    """``terminal_id``: the processing's terminal, shown until an authorization names the
    one that answered (spec §3.3: present from registration on)."""
    t = order.totals
    issuer = UNKNOWN if order.card is None else issuer_of(order.card.masked_pan)
    body: dict[str, Any] = {
        "errorCode": "0",
        "errorMessage": message("success", language),
        "orderNumber": order.order_number,
        "orderStatus": int(order.status),
        "actionCode": order.action_code,
        "actionCodeDescription": codes.action_code_description(order.action_code, language),
        "amount": order.amount,
        "currency": order.currency,
        "date": order.created_at,
        "orderDescription": order.description,
        "merchantOrderParams": _name_values(order.json_params),
        "transactionAttributes": [],
        "attributes": [{"name": "mdOrder", "value": order.id}],
        "paymentWay": order.payment_way,
        "paymentAmountInfo": {
            "paymentState": order.payment_state,
            "approvedAmount": t.approved_amount,
            "depositedAmount": t.deposited_amount,
            "refundedAmount": t.refunded,
            "feeAmount": order.fee,
            "totalAmount": order.amount + order.fee,
        },
        "bankInfo": _bank_info(issuer),
        "chargeback": False,
    }
    if order.ip:
        body["ip"] = order.ip
    if order.terminal_id or terminal_id:
        body["terminalId"] = order.terminal_id or terminal_id
    if order.card is not None:
        card = order.card
        info: dict[str, Any] = {
            "maskedPan": card.masked_pan,
            "pan": card.masked_pan,
            "expiration": card.expiration,
            "cardholderName": card.cardholder_name,
            "paymentSystem": card.payment_system,
            "product": issuer.product,
            "productCategory": issuer.product_category,
        }
        if order.approval_code:
            info["approvalCode"] = order.approval_code
        secure = secure_auth_info(order)
        if secure:
            info["secureAuthInfo"] = secure
        body["cardAuthInfo"] = info
    if order.auth_at is not None:
        body["authDateTime"] = order.auth_at
    if order.auth_ref_num:
        body["authRefNum"] = order.auth_ref_num
    deposit = order.last(OperationKind.DEPOSIT)
    if deposit is not None:
        body["depositedDate"] = deposit.created_at
    reversal = order.last(OperationKind.REVERSAL)
    if reversal is not None:
        body["reversedDate"] = reversal.created_at
    refunds = [
        op
        for op in order.operations
        if op.kind is OperationKind.REFUND and op.state is OperationState.APPROVED
    ]
    if refunds:
        body["refundedDate"] = refunds[-1].created_at
        body["refunds"] = [
            {
                "date": op.created_at,
                "actionCode": op.action_code,
                "referenceNumber": op.reference_number or "",
                "amount": op.amount,
                "externalRefundId": op.external_id or "",
                "approvalCode": op.approval_code or "",
            }
            for op in refunds
        ]
    payer = {k: v for k, v in (("email", order.email), ("phone", order.phone)) if v}
    post_address = order.extra.get("postAddress")
    if post_address:
        payer["postAddress"] = post_address
    if payer:
        body["payerData"] = payer
    if order.order_bundle is not None:
        body["orderBundle"] = order.order_bundle
    if order.client_id:
        # the customer id the shop registered the order with; bindingId joins it once the
        # payment stored the card, or the order was paid with a binding
        binding: dict[str, Any] = {"clientId": order.client_id}
        if order.binding_id:
            binding["bindingId"] = order.binding_id
        body["bindingInfo"] = binding
    if order.features:
        body["features"] = list(order.features)
    return body


def secure_auth_info(order: Order) -> dict[str, Any]:
    """``cardAuthInfo.secureAuthInfo`` (spec §3.3): the ECI, and after 3-D Secure the
    protocol version and ``threeDSInfo`` (3DS1: ``cavv``, ``xid``; 3DS2: ``cavv``,
    ``threeDSServerTransId``, ``dsTransId``), with the issuer's ``transStatus``.  A failed
    authentication is reported too (no CAVV then)."""
    found = order.secure_auth
    if found is None:
        return {"eci": order.eci} if order.eci else {}
    eci, auth = found
    three_ds: dict[str, str] = {}
    if auth.cavv:
        three_ds["cavv"] = auth.cavv
    if auth.is_3ds2:
        three_ds["threeDSServerTransId"] = auth.server_trans_id
        three_ds["dsTransId"] = auth.ds_trans_id
    elif auth.xid:
        three_ds["xid"] = auth.xid
    if auth.trans_status:
        three_ds["transStatus"] = auth.trans_status
    info: dict[str, Any] = {"eci": eci} if eci else {}
    return info | {"threeDSInfo": three_ds, "threeDSProtocolVersion": auth.version}


def short_status(order: Order, language: str) -> dict[str, Any]:
    """getOrderStatus.do keeps its capitalised legacy names (spec §3.4)."""
    declined = order.status is OrderStatus.DECLINED
    body: dict[str, Any] = {
        "OrderStatus": int(order.status),
        "ErrorCode": "2" if declined else "0",
        "ErrorMessage": (
            codes.action_code_description(order.action_code, language)
            if declined
            else message("success", language)
        ),
        "OrderNumber": order.order_number,
        "Amount": order.amount,
        "currency": order.currency,
        "authCode": 2,
    }
    if order.card is not None:
        body["Pan"] = order.card.masked_pan
        body["expiration"] = order.card.expiration
        body["cardholderName"] = order.card.cardholder_name
    if order.approval_code:
        body["approvalCode"] = order.approval_code
    if order.ip:
        body["Ip"] = order.ip
    if order.client_id:
        body["clientId"] = order.client_id
        if order.binding_id:
            body["bindingId"] = order.binding_id
    return body


def binding_view(binding: Binding, *, client: bool = False) -> dict[str, Any]:
    """One entry of getBindings.do (``client``: getBindingsByCardOrId.do, with clientId)."""
    body: dict[str, Any] = {
        "bindingId": binding.id,
        "maskedPan": binding.masked_pan,
        "expiryDate": binding.expiry,
        "bindingCategory": binding.category,
        "paymentWay": "CARD_BINDING",
        "paymentSystem": binding.payment_system,
        "displayLabel": binding.masked_pan,
    }
    if client:
        body["clientId"] = binding.client_id
    return body
