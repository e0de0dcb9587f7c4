"""Every served ``.do`` method: its parameter table, its answer, its error shape.

The one list the OpenAPI document, the docs' API reference and the SDK's coverage test are
made from; a test checks it names exactly the methods ``web/app.py`` serves.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .. import params
from ..card_payment import CARD_FORM
from ..params import ParamTable
from ..three_ds2 import CONTINUE, FINISH
from .bindings import BindingsAnswer, CreatedBindingAnswer
from .card_payment import BindingPaymentAnswer, PaymentAnswer
from .common import ErrorAnswer, LegacyErrorAnswer, PaymentErrorAnswer, SuccessAnswer
from .orders import ExtendedStatusAnswer, LegacyStatusAnswer, RegisterAnswer


class ErrorShape(enum.Enum):
    STANDARD = ErrorAnswer
    LEGACY = LegacyErrorAnswer
    PAYMENT = PaymentErrorAnswer


class Group(enum.Enum):
    ORDERS = "Orders"
    LIFECYCLE = "Order lifecycle"
    CARD_PAYMENT = "Card payment"
    BINDINGS = "Stored cards (bindings)"


@dataclass(frozen=True)
class MethodContract:
    #: the wire name, without ``.do``
    name: str
    group: Group
    summary: str
    params: ParamTable
    #: the success answer, a TypedDict
    answer: type
    spec: str
    errors: ErrorShape = ErrorShape.STANDARD
    #: False: the hosted page's own call, keyed by the order id (no merchant credentials)
    authenticated: bool = True
    #: another name the endpoint serves the same method under
    alias_of: str | None = None


CATALOGUE: tuple[MethodContract, ...] = (
    MethodContract(
        "register",
        Group.ORDERS,
        "Register a one-stage order (paid at once)",
        params.REGISTER,
        RegisterAnswer,
        "§3.1",
    ),
    MethodContract(
        "registerPreAuth",
        Group.ORDERS,
        "Register a two-stage order (held, captured later with deposit.do)",
        params.REGISTER,
        RegisterAnswer,
        "§3.2",
    ),
    MethodContract(
        "getOrderStatusExtended",
        Group.ORDERS,
        "The order's full state, by orderId or orderNumber",
        params.STATUS,
        ExtendedStatusAnswer,
        "§3.3",
    ),
    MethodContract(
        "getOrderStatus",
        Group.ORDERS,
        "Legacy short status with capitalised names, by orderId",
        params.STATUS,
        LegacyStatusAnswer,
        "§3.4",
        errors=ErrorShape.LEGACY,
    ),
    MethodContract(
        "addParams",
        Group.ORDERS,
        "Add name/value pairs to the order's merchantOrderParams",
        params.ADD_PARAMS,
        SuccessAnswer,
        "§10",
    ),
    MethodContract(
        "deposit",
        Group.LIFECYCLE,
        "Capture a held (two-stage) order, fully or partly",
        params.DEPOSIT,
        SuccessAnswer,
        "§3.5",
    ),
    MethodContract(
        "reverse",
        Group.LIFECYCLE,
        "Cancel an authorization (or a same-day payment)",
        params.REVERSE,
        SuccessAnswer,
        "§3.6",
    ),
    MethodContract(
        "refund",
        Group.LIFECYCLE,
        "Return captured money, partly or fully, as often as money is left",
        params.REFUND,
        SuccessAnswer,
        "§3.7",
    ),
    MethodContract(
        "decline",
        Group.LIFECYCLE,
        "Cancel an order nobody has paid yet",
        params.DECLINE,
        SuccessAnswer,
        "§3.8",
    ),
    MethodContract(
        "processform",
        Group.CARD_PAYMENT,
        "The hosted payment page's card submission (no merchant credentials)",
        CARD_FORM,
        PaymentAnswer,
        "§3.9",
        authenticated=False,
    ),
    MethodContract(
        "paymentorder",
        Group.CARD_PAYMENT,
        "Server-to-server card payment (permission card-payment-api)",
        CARD_FORM,
        PaymentAnswer,
        "§3.9",
    ),
    MethodContract(
        "payment",
        Group.CARD_PAYMENT,
        "paymentorder.do under the name some gateways of the family use",
        CARD_FORM,
        PaymentAnswer,
        "§3.9",
        alias_of="paymentorder",
    ),
    MethodContract(
        "3ds/continue",
        Group.CARD_PAYMENT,
        "3-D Secure 2: go on after the method step (no merchant credentials)",
        CONTINUE,
        PaymentAnswer,
        "§3.9",
        errors=ErrorShape.PAYMENT,
        authenticated=False,
    ),
    MethodContract(
        "finish3dsVer2Payment",
        Group.CARD_PAYMENT,
        "3-D Secure 2: finish a payment after its challenge",
        FINISH,
        PaymentAnswer,
        "§3.9",
        errors=ErrorShape.PAYMENT,
    ),
    MethodContract(
        "getBindings",
        Group.BINDINGS,
        "A customer's stored cards, by clientId",
        params.GET_BINDINGS,
        BindingsAnswer,
        "§3.10",
    ),
    MethodContract(
        "getBindingsByCardOrId",
        Group.BINDINGS,
        "Stored cards by card number or bindingId",
        params.BINDINGS_BY_CARD_OR_ID,
        BindingsAnswer,
        "§3.10",
    ),
    MethodContract(
        "unBindCard",
        Group.BINDINGS,
        "Disable a stored card",
        params.BINDING_ID,
        SuccessAnswer,
        "§3.10",
    ),
    MethodContract(
        "bindCard",
        Group.BINDINGS,
        "Enable a disabled stored card again",
        params.BINDING_ID,
        SuccessAnswer,
        "§3.10",
    ),
    MethodContract(
        "extendBinding",
        Group.BINDINGS,
        "Set a stored card's new expiry (YYYYMM)",
        params.EXTEND_BINDING,
        SuccessAnswer,
        "§3.10",
    ),
    MethodContract(
        "paymentOrderBinding",
        Group.BINDINGS,
        "Pay a registered order with a stored card",
        params.PAYMENT_ORDER_BINDING,
        BindingPaymentAnswer,
        "§3.10",
        errors=ErrorShape.PAYMENT,
    ),
    MethodContract(
        "createBindingNoPayment",
        Group.BINDINGS,
        "Store a card without a payment (permission create-binding-no-payment)",
        params.CREATE_BINDING_NO_PAYMENT,
        CreatedBindingAnswer,
        "§3.10",
    ),
)

BY_NAME = {m.name: m for m in CATALOGUE}
