"""register.do, registerPreAuth.do (spec §3.1-§3.2), getOrderStatusExtended.do (§3.3) and the
legacy getOrderStatus.do (§3.4)."""

# no `from __future__ import annotations`: TypedDict must see NotRequired at class creation
# (Python 3.11), or every key counts as required
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from .common import Amount, Currency, EpochMs, Message, NameValue, Schema, Success

OrderStatusCode = Annotated[
    int,
    Schema(
        minimum=0,
        maximum=6,
        description="0 registered, 1 held, 2 paid, 3 reversed, 4 refunded, 5 at the ACS, "
        "6 declined (spec §2.1)",
    ),
]


class RegisterAnswer(TypedDict):
    orderId: Annotated[str, Schema(description="the gateway's order id (mdOrder)")]
    formUrl: Annotated[str, Schema(description="where the shop sends the buyer")]
    #: only with ECOMGATE_REGISTER_SUCCESS_ERROR_CODE (spec §8)
    errorCode: NotRequired[Success]


class PaymentAmountInfo(TypedDict):
    paymentState: str
    approvedAmount: Amount
    depositedAmount: Amount
    refundedAmount: Amount
    feeAmount: Amount
    totalAmount: Amount


class BankInfo(TypedDict):
    bankName: str
    bankCountryCode: str
    bankCountryName: str


class ThreeDSInfo(TypedDict, total=False):
    """After 3-D Secure: 3DS1 ``cavv``, ``xid``; 3DS2 ``cavv``, ``threeDSServerTransId``,
    ``dsTransId``; the issuer's ``transStatus``."""

    cavv: str
    xid: str
    threeDSServerTransId: str
    dsTransId: str
    transStatus: str


class SecureAuthInfo(TypedDict):
    eci: NotRequired[str]
    threeDSInfo: NotRequired[ThreeDSInfo]
    threeDSProtocolVersion: NotRequired[str]


class CardAuthInfo(TypedDict):
    maskedPan: Annotated[str, Schema(description="first 6 + ** + last 4")]
    pan: Annotated[str, Schema(description="masked, as maskedPan")]
    expiration: Annotated[str, Schema(pattern="^[0-9]{6}$", description="YYYYMM")]
    cardholderName: str
    paymentSystem: str
    product: str
    productCategory: str
    approvalCode: NotRequired[str]
    secureAuthInfo: NotRequired[SecureAuthInfo]


class RefundEntry(TypedDict):
    date: EpochMs
    actionCode: int
    referenceNumber: str
    amount: Amount
    externalRefundId: str
    approvalCode: str


class PayerData(TypedDict, total=False):
    email: str
    phone: str
    postAddress: str


class BindingInfo(TypedDict):
    clientId: str
    bindingId: NotRequired[str]


class ExtendedStatusAnswer(TypedDict):
    errorCode: Success
    errorMessage: Message
    orderNumber: str
    orderStatus: OrderStatusCode
    actionCode: Annotated[int, Schema(description="the processing's answer code (spec §5.4)")]
    actionCodeDescription: str
    amount: Amount
    currency: Currency
    date: EpochMs
    orderDescription: str
    merchantOrderParams: list[NameValue]
    transactionAttributes: list[NameValue]
    attributes: list[NameValue]
    paymentWay: str
    paymentAmountInfo: PaymentAmountInfo
    bankInfo: BankInfo
    chargeback: bool
    ip: NotRequired[str]
    terminalId: NotRequired[str]
    cardAuthInfo: NotRequired[CardAuthInfo]
    authDateTime: NotRequired[EpochMs]
    authRefNum: NotRequired[str]
    depositedDate: NotRequired[EpochMs]
    reversedDate: NotRequired[EpochMs]
    refundedDate: NotRequired[EpochMs]
    refunds: NotRequired[list[RefundEntry]]
    payerData: NotRequired[PayerData]
    orderBundle: NotRequired[Any]
    bindingInfo: NotRequired[BindingInfo]
    features: NotRequired[list[str]]


class LegacyStatusAnswer(TypedDict):
    """Capitalised legacy names; ``ErrorCode`` "2" means the payment was declined."""

    OrderStatus: OrderStatusCode
    ErrorCode: Annotated[Literal["0", "2"], Schema(description='"2": the payment was declined')]
    ErrorMessage: Message
    OrderNumber: str
    Amount: Amount
    currency: Currency
    authCode: int
    Pan: NotRequired[str]
    expiration: NotRequired[str]
    cardholderName: NotRequired[str]
    approvalCode: NotRequired[str]
    Ip: NotRequired[str]
    clientId: NotRequired[str]
    bindingId: NotRequired[str]
