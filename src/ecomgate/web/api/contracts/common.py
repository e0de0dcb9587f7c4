"""Answers every method shares: success, the error shapes, name/value pairs."""

# no `from __future__ import annotations`: TypedDict must see NotRequired at class creation
# (Python 3.11), or every key counts as required
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, NotRequired, TypedDict


@dataclass(frozen=True)
class Schema:
    """JSON Schema keywords for a field, beyond what its Python type says."""

    keywords: dict[str, Any] = field(default_factory=dict)

    def __init__(self, **keywords: Any) -> None:
        object.__setattr__(self, "keywords", keywords)


#: "0": the request was processed (spec §1.3); it says nothing about a payment
Success = Annotated[Literal["0"], Schema(description="the request was processed")]
#: any other errorCode (spec §1.6); a string, as EcomGate always sends it
Failure = Annotated[str, Schema(pattern="^[1-9][0-9]*$", description="errorCode family, spec §1.6")]
#: localised text; never parse it (spec §1.3)
Message = Annotated[str, Schema(description="human-readable, in the request's language")]
#: milliseconds since the Unix epoch, UTC (spec §1.5)
EpochMs = Annotated[int, Schema(description="milliseconds since the Unix epoch (UTC)")]
#: minor units (kopecks, cents)
Amount = Annotated[int, Schema(minimum=0, description="minor units")]
#: ISO 4217 numeric, a string
Currency = Annotated[str, Schema(pattern="^[0-9]{3}$")]


class SuccessAnswer(TypedDict):
    """``{"errorCode": "0", "errorMessage": "Success"}``: deposit, reverse, refund, ..."""

    errorCode: Success
    errorMessage: Message


class ErrorAnswer(TypedDict):
    """What a refused request answers (HTTP 200)."""

    errorCode: Failure
    errorMessage: Message
    #: e.g. -2013 when the payment attempts are used up
    actionCode: NotRequired[int]
    #: the card form's field that was wrong (processform.do, paymentorder.do)
    field: NotRequired[str]


class LegacyErrorAnswer(TypedDict):
    """getOrderStatus.do's refusals keep the capitalised names (spec §3.4)."""

    ErrorCode: Failure
    ErrorMessage: Message


class PaymentErrorAnswer(TypedDict):
    """paymentOrderBinding.do's refusals also carry ``error`` and ``is3DSVer2`` (§3.10)."""

    error: Message
    errorCode: Failure
    is3DSVer2: bool
    errorMessage: Message
    actionCode: NotRequired[int]


class NameValue(TypedDict):
    name: str
    value: str
