"""Stored credentials (spec §3.10) and addParams.do (§10)."""

# no `from __future__ import annotations`: TypedDict must see NotRequired at class creation
# (Python 3.11), or every key counts as required
from typing import Annotated, NotRequired, TypedDict

from .common import Schema, SuccessAnswer


class BindingEntry(TypedDict):
    bindingId: str
    maskedPan: str
    expiryDate: Annotated[str, Schema(description="YYYYMM")]
    bindingCategory: str
    paymentWay: str
    paymentSystem: str
    displayLabel: str
    #: getBindingsByCardOrId.do only
    clientId: NotRequired[str]


class BindingsAnswer(SuccessAnswer):
    bindings: list[BindingEntry]


class CreatedBindingAnswer(SuccessAnswer):
    bindingId: str
    maskedPan: str
    expiryDate: str
    cardholderName: str
    clientId: str
