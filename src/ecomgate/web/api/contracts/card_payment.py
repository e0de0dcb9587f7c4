"""processform.do, paymentorder.do (spec §3.9): what a submitted card leads to."""

# no `from __future__ import annotations`: TypedDict must see NotRequired at class creation
# (Python 3.11), or every key counts as required
from typing import Annotated, Literal, TypedDict

from .common import Message, Schema, Success


class PaymentOutcome(TypedDict, total=False):
    """The next step: the ACS (3-D Secure), a retry, "processing", or the redirect."""

    acsUrl: str
    paReq: str
    termUrl: str
    is3DSVer2: bool
    #: 3-D Secure 2: the method step (threeDSMethodURL) or the challenge (acsUrl, packedCReq)
    threeDSServerTransId: str
    threeDSMethodURL: str
    threeDSMethodDataPacked: str
    packedCReq: str
    displayErrorMessage: str
    actionCode: int
    attemptsLeft: int
    error: str
    errorTypeName: str
    processingErrorType: str
    info: str
    redirect: Annotated[str, Schema(description="returnUrl or failUrl, with orderId and lang")]
    #: the stored credential the payment created or used (spec §3.9)
    bindingId: str


class PaymentAnswer(PaymentOutcome):
    """``errorCode`` "0" says the form was processed, whatever the payment's outcome."""

    errorCode: Success
    errorMessage: Message


class BindingPaymentAnswer(PaymentOutcome):
    """paymentOrderBinding.do: a declined payment is errorCode "2" (spec §3.10)."""

    errorCode: Annotated[Literal["0", "2"], Schema(description='"2": declined')]
    errorMessage: Message
