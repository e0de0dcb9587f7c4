"""Typed results: the API's answers with Python names, one to one (``orderStatus`` is
``order_status``, ``paymentAmountInfo`` is ``payment_amount_info``).  Every result keeps the
whole answer in ``raw``, so a field this SDK does not know yet is still there."""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def _wire(name: str, *, default: Any = None) -> Any:
    """A field whose API name is not the camelCase of its Python name."""
    return field(default=default, metadata={"wire": name})


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _text(value: Any) -> Any:
    # errorCode 0 as a number (spec §1.3: clients accept both)
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


@functools.cache
def _converter(tp: Any) -> Convert:
    """How a JSON value becomes ``tp``, worked out once per type."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _converter(inner[0]) if len(inner) == 1 else _same
    if origin is list:
        item = _converter(typing.get_args(tp)[0])
        return lambda value: [item(v) for v in value] if isinstance(value, list) else value
    if dataclasses.is_dataclass(tp):
        read = _reader(tp)  # type: ignore[arg-type]
        return lambda value: read(value) if isinstance(value, dict) else value
    return _text if tp is str else _same


@functools.cache
def _reader(cls: type[T]) -> Callable[[dict[str, Any]], T]:
    """The function that builds ``cls`` from a JSON object, worked out once per class."""
    hints = typing.get_type_hints(cls)
    fields = [
        (f.name, f.metadata.get("wire", camel(f.name)), _converter(hints[f.name]), f)
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name != "raw"
    ]
    keeps_raw = any(f.name == "raw" for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    def read(answer: dict[str, Any]) -> T:
        values: dict[str, Any] = {}
        for name, wire, convert, f in fields:
            value = answer.get(wire)
            if value is not None:
                values[name] = convert(value)
            elif f.default_factory is not dataclasses.MISSING:
                values[name] = f.default_factory()
            else:
                values[name] = None
        if keeps_raw:
            values["raw"] = answer
        return cls(**values)

    return read


def from_wire(cls: type[T], answer: dict[str, Any]) -> T:
    """``cls`` from a JSON object; absent fields are None (or empty), unknown ones stay in
    ``raw`` only."""
    read: Callable[[dict[str, Any]], T] = _reader(cls)  # type: ignore[arg-type]
    return read(answer)


# -- orders ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RegisteredOrder:
    """register.do / registerPreAuth.do: send the buyer to ``form_url``."""

    order_id: str
    form_url: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class NameValue:
    name: str
    value: str


@dataclass(frozen=True)
class PaymentAmountInfo:
    payment_state: str | None = None
    approved_amount: int | None = None
    deposited_amount: int | None = None
    refunded_amount: int | None = None
    fee_amount: int | None = None
    total_amount: int | None = None


@dataclass(frozen=True)
class BankInfo:
    bank_name: str | None = None
    bank_country_code: str | None = None
    bank_country_name: str | None = None


@dataclass(frozen=True)
class ThreeDSInfo:
    cavv: str | None = None
    xid: str | None = None
    three_ds_server_trans_id: str | None = _wire("threeDSServerTransId")
    ds_trans_id: str | None = None
    trans_status: str | None = None


@dataclass(frozen=True)
class SecureAuthInfo:
    eci: str | None = None
    three_ds_info: ThreeDSInfo | None = field(default=None, metadata={"wire": "threeDSInfo"})
    three_ds_protocol_version: str | None = _wire("threeDSProtocolVersion")


@dataclass(frozen=True)
class CardAuthInfo:
    """The card, masked: ``masked_pan`` is first 6 + ``**`` + last 4."""

    masked_pan: str | None = None
    pan: str | None = None
    expiration: str | None = None
    cardholder_name: str | None = None
    payment_system: str | None = None
    product: str | None = None
    product_category: str | None = None
    approval_code: str | None = None
    secure_auth_info: SecureAuthInfo | None = None


@dataclass(frozen=True)
class Refund:
    date: int | None = None
    action_code: int | None = None
    reference_number: str | None = None
    amount: int | None = None
    external_refund_id: str | None = None
    approval_code: str | None = None


@dataclass(frozen=True)
class PayerData:
    email: str | None = None
    phone: str | None = None
    post_address: str | None = None


@dataclass(frozen=True)
class BindingInfo:
    client_id: str | None = None
    binding_id: str | None = None


@dataclass(frozen=True)
class OrderStatus:
    """getOrderStatusExtended.do.  Paid: ``order_status`` 2 (or 1, held, for a two-stage
    order still to be captured); ``action_code`` is the processing's answer."""

    order_status: int
    action_code: int | None = None
    action_code_description: str | None = None
    order_number: str | None = None
    amount: int | None = None
    currency: str | None = None
    date: int | None = None
    order_description: str | None = None
    payment_way: str | None = None
    payment_amount_info: PaymentAmountInfo | None = None
    bank_info: BankInfo | None = None
    card_auth_info: CardAuthInfo | None = None
    auth_date_time: int | None = None
    auth_ref_num: str | None = None
    terminal_id: str | None = None
    ip: str | None = None
    deposited_date: int | None = None
    reversed_date: int | None = None
    refunded_date: int | None = None
    chargeback: bool | None = None
    merchant_order_params: list[NameValue] = field(default_factory=list)
    attributes: list[NameValue] = field(default_factory=list)
    transaction_attributes: list[NameValue] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    payer_data: PayerData | None = None
    binding_info: BindingInfo | None = None
    order_bundle: Any = None
    features: list[str] = field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class LegacyOrderStatus:
    """getOrderStatus.do, whose names are capitalised on the wire; ``error_code`` "2" says
    the payment was declined (not a refused request)."""

    order_status: int = _wire("OrderStatus")
    error_code: str | None = _wire("ErrorCode")
    error_message: str | None = _wire("ErrorMessage")
    order_number: str | None = _wire("OrderNumber")
    amount: int | None = _wire("Amount")
    currency: str | None = None
    auth_code: int | None = None
    pan: str | None = _wire("Pan")
    expiration: str | None = None
    cardholder_name: str | None = None
    approval_code: str | None = None
    ip: str | None = _wire("Ip")
    client_id: str | None = None
    binding_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Done:
    """An operation the gateway carried out (deposit, reverse, refund, decline, ...)."""

    error_code: str
    error_message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


# -- card payments ---------------------------------------------------------------------
@dataclass(frozen=True)
class PaymentResult:
    """processform.do, paymentorder.do, paymentOrderBinding.do: what comes next.

    ``acs_url`` set: 3-D Secure (post ``pa_req`` and the order id as ``MD`` there, with
    ``term_url``); ``redirect`` set: the payment is over, the buyer goes there; neither: the
    buyer may try again (``attempts_left``) or the answer is pending (``info``)."""

    error_code: str
    error_message: str | None = None
    redirect: str | None = None
    info: str | None = None
    acs_url: str | None = None
    pa_req: str | None = None
    term_url: str | None = None
    is_3ds_ver2: bool | None = _wire("is3DSVer2")
    three_ds_server_trans_id: str | None = _wire("threeDSServerTransId")
    three_ds_method_url: str | None = _wire("threeDSMethodURL")
    three_ds_method_data_packed: str | None = _wire("threeDSMethodDataPacked")
    packed_creq: str | None = _wire("packedCReq")
    action_code: int | None = None
    attempts_left: int | None = None
    display_error_message: str | None = None
    error: str | None = None
    error_type_name: str | None = None
    processing_error_type: str | None = None
    binding_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


# -- bindings --------------------------------------------------------------------------
@dataclass(frozen=True)
class Binding:
    binding_id: str
    masked_pan: str | None = None
    expiry_date: str | None = None
    binding_category: str | None = None
    payment_way: str | None = None
    payment_system: str | None = None
    display_label: str | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class Bindings:
    bindings: list[Binding] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class CreatedBinding:
    binding_id: str
    masked_pan: str | None = None
    expiry_date: str | None = None
    cardholder_name: str | None = None
    client_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
