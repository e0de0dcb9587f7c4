"""Each API method once: its Python signature, how the keywords become the API's parameters,
whether it is safe to send again, and how its answer is read.  ``Gateway`` and
``AsyncGateway`` (``gateway.py``) turn these into their methods."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, ParamSpec, TypeVar

from .results import (
    Bindings,
    CreatedBinding,
    Done,
    LegacyOrderStatus,
    OrderStatus,
    PaymentResult,
    RegisteredOrder,
    from_wire,
)

R = TypeVar("R")
P = ParamSpec("P")
Params = dict[str, str | list[str]]


@dataclass(frozen=True)
class Call(Generic[R]):
    #: the API's method name, without ``.do``
    method: str
    params: Params
    read: Callable[[dict[str, Any]], R]
    #: sent again after a dropped connection or a gateway's 502/503/504: reads, and refunds
    #: with ``externalRefundId`` (the gateway recognises the repeat)
    retry_safe: bool = False
    #: False: the hosted page's own call, sent without the merchant's credentials
    authenticated: bool = True
    #: getOrderStatus.do's capitalised ``ErrorCode``/``ErrorMessage``
    legacy: bool = False


def api_method(name: str) -> Callable[[Callable[P, Call[R]]], Callable[P, Call[R]]]:
    """Marks a builder with the API method it calls (the SDK's coverage test reads it)."""

    def mark(build: Callable[P, Call[R]]) -> Callable[P, Call[R]]:
        build.api_method = name  # type: ignore[attr-defined]
        return build

    return mark


def _text(value: Any) -> str | list[str]:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


def wire_params(extra: Mapping[str, Any] | None = None, /, **named: Any) -> Params:
    """The API's parameters: ``named`` already with their API names; None is left out.
    ``extra`` passes parameters this SDK has no keyword for, by their API names."""
    merged = {**named, **(extra or {})}
    return {k: _text(v) for k, v in merged.items() if v is not None}


def _order_ref(order_id: str | None, order_number: str | None) -> dict[str, str | None]:
    if order_id is None and order_number is None:
        raise ValueError("name the order: order_id or order_number")
    return {"orderId": order_id, "orderNumber": order_number}


# -- orders ----------------------------------------------------------------------------
def _register(
    method: str,
    *,
    amount: int,
    return_url: str,
    order_number: str | None,
    currency: str | None,
    fail_url: str | None,
    description: str | None,
    language: str | None,
    page_view: str | None,
    client_id: str | None,
    json_params: Mapping[str, str] | None,
    session_timeout_secs: int | None,
    expiration_date: str | datetime | None,
    binding_id: str | None,
    features: Sequence[str] | None,
    email: str | None,
    phone: str | None,
    dynamic_callback_url: str | None,
    order_bundle: Mapping[str, Any] | None,
    extra: Mapping[str, Any] | None,
) -> Call[RegisteredOrder]:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amount is an integer in minor units (kopecks, cents)")
    return Call(
        method,
        wire_params(
            extra,
            amount=amount,
            returnUrl=return_url,
            orderNumber=order_number,
            currency=currency,
            failUrl=fail_url,
            description=description,
            language=language,
            pageView=page_view,
            clientId=client_id,
            jsonParams=json_params,
            sessionTimeoutSecs=session_timeout_secs,
            expirationDate=expiration_date,
            bindingId=binding_id,
            features=list(features) if features is not None else None,
            email=email,
            phone=phone,
            dynamicCallbackUrl=dynamic_callback_url,
            orderBundle=order_bundle,
        ),
        lambda answer: from_wire(RegisteredOrder, answer),
    )


@api_method("register")
def register(
    *,
    amount: int,
    return_url: str,
    order_number: str | None = None,
    currency: str | None = None,
    fail_url: str | None = None,
    description: str | None = None,
    language: str | None = None,
    page_view: str | None = None,
    client_id: str | None = None,
    json_params: Mapping[str, str] | None = None,
    session_timeout_secs: int | None = None,
    expiration_date: str | datetime | None = None,
    binding_id: str | None = None,
    features: Sequence[str] | None = None,
    email: str | None = None,
    phone: str | None = None,
    dynamic_callback_url: str | None = None,
    order_bundle: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Call[RegisteredOrder]:
    """register.do: a one-stage order, ``amount`` in minor units.  Never sent twice by
    itself: a repeat would be a second order (or errorCode 1 for its orderNumber)."""
    return _register(
        "register",
        amount=amount,
        return_url=return_url,
        order_number=order_number,
        currency=currency,
        fail_url=fail_url,
        description=description,
        language=language,
        page_view=page_view,
        client_id=client_id,
        json_params=json_params,
        session_timeout_secs=session_timeout_secs,
        expiration_date=expiration_date,
        binding_id=binding_id,
        features=features,
        email=email,
        phone=phone,
        dynamic_callback_url=dynamic_callback_url,
        order_bundle=order_bundle,
        extra=extra,
    )


@api_method("registerPreAuth")
def register_preauth(
    *,
    amount: int,
    return_url: str,
    order_number: str | None = None,
    currency: str | None = None,
    fail_url: str | None = None,
    description: str | None = None,
    language: str | None = None,
    page_view: str | None = None,
    client_id: str | None = None,
    json_params: Mapping[str, str] | None = None,
    session_timeout_secs: int | None = None,
    expiration_date: str | datetime | None = None,
    binding_id: str | None = None,
    features: Sequence[str] | None = None,
    email: str | None = None,
    phone: str | None = None,
    dynamic_callback_url: str | None = None,
    order_bundle: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Call[RegisteredOrder]:
    """registerPreAuth.do: a two-stage order, held at payment, captured with ``deposit``."""
    return _register(
        "registerPreAuth",
        amount=amount,
        return_url=return_url,
        order_number=order_number,
        currency=currency,
        fail_url=fail_url,
        description=description,
        language=language,
        page_view=page_view,
        client_id=client_id,
        json_params=json_params,
        session_timeout_secs=session_timeout_secs,
        expiration_date=expiration_date,
        binding_id=binding_id,
        features=features,
        email=email,
        phone=phone,
        dynamic_callback_url=dynamic_callback_url,
        order_bundle=order_bundle,
        extra=extra,
    )


@api_method("getOrderStatusExtended")
def status(
    *,
    order_id: str | None = None,
    order_number: str | None = None,
    language: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Call[OrderStatus]:
    """getOrderStatusExtended.do: the order's full state (a read: retried when safe)."""
    return Call(
        "getOrderStatusExtended",
        wire_params(extra, **_order_ref(order_id, order_number), language=language),
        lambda answer: from_wire(OrderStatus, answer),
        retry_safe=True,
    )


@api_method("getOrderStatus")
def legacy_status(
    *, order_id: str, language: str | None = None, extra: Mapping[str, Any] | None = None
) -> Call[LegacyOrderStatus]:
    """getOrderStatus.do: the legacy short status."""
    return Call(
        "getOrderStatus",
        wire_params(extra, orderId=order_id, language=language),
        lambda answer: from_wire(LegacyOrderStatus, answer),
        retry_safe=True,
        legacy=True,
    )


@api_method("addParams")
def add_params(*, order_id: str, params: Mapping[str, str]) -> Call[Done]:
    """addParams.do: name/value pairs join the order's merchantOrderParams."""
    return Call("addParams", wire_params(orderId=order_id, params=params), _done)


def _done(answer: dict[str, Any]) -> Done:
    return from_wire(Done, answer)


# -- the order's lifecycle -------------------------------------------------------------
@api_method("deposit")
def deposit(
    *,
    amount: int,
    order_id: str | None = None,
    order_number: str | None = None,
    currency: str | None = None,
    deposit_items: Mapping[str, Any] | None = None,
    json_params: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Call[Done]:
    """deposit.do: capture a held order (``amount`` 0: the whole amount held)."""
    return Call(
        "deposit",
        wire_params(
            extra,
            **_order_ref(order_id, order_number),
            amount=amount,
            currency=currency,
            depositItems=deposit_items,
            jsonParams=json_params,
        ),
        _done,
    )


@api_method("reverse")
def reverse(
    *,
    order_id: str | None = None,
    order_number: str | None = None,
    amount: int | None = None,
    currency: str | None = None,
    json_params: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Call[Done]:
    """reverse.do: cancel the authorization."""
    return Call(
        "reverse",
        wire_params(
            extra,
            **_order_ref(order_id, order_number),
            amount=amount,
            currency=currency,
            jsonParams=json_params,
        ),
        _done,
    )


@api_method("refund")
def refund(
    *,
    amount: int,
    order_id: str | None = None,
    order_number: str | None = None,
    external_refund_id: str | None = None,
    expected_deposited_amount: int | None = None,
    currency: str | None = None,
    refund_items: Mapping[str, Any] | None = None,
    json_params: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Call[Done]:
    """refund.do.  With ``external_refund_id`` the gateway knows a repeat, so the SDK sends
    it again after a dropped connection; without one it never does (a repeat would refund
    twice): a ``TransportError`` then means "look at the order's refunds"."""
    return Call(
        "refund",
        wire_params(
            extra,
            **_order_ref(order_id, order_number),
            amount=amount,
            currency=currency,
            externalRefundId=external_refund_id,
            expectedDepositedAmount=expected_deposited_amount,
            refundItems=refund_items,
            jsonParams=json_params,
        ),
        _done,
        retry_safe=external_refund_id is not None,
    )


@api_method("decline")
def decline(
    *,
    order_id: str | None = None,
    order_number: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Call[Done]:
    """decline.do: cancel an order nobody has paid."""
    return Call("decline", wire_params(extra, **_order_ref(order_id, order_number)), _done)


# -- card payments ---------------------------------------------------------------------
def _card(
    method: str,
    *,
    md_order: str,
    pan: str,
    cvc: str,
    expiry: str,
    cardholder_name: str | None,
    email: str | None,
    ip: str | None,
    language: str | None,
    save_card: bool | None,
    authenticated: bool,
) -> Call[PaymentResult]:
    return Call(
        method,
        wire_params(
            MDORDER=md_order,
            **{"$PAN": pan, "$CVC": cvc, "$EXPIRY": expiry},
            TEXT=cardholder_name,
            email=email,
            ip=ip,
            language=language,
            bindingNotNeeded=None if save_card is None else not save_card,
        ),
        lambda answer: from_wire(PaymentResult, answer),
        authenticated=authenticated,
    )


@api_method("paymentorder")
def payment_order(
    *,
    md_order: str,
    pan: str,
    cvc: str,
    expiry: str,
    cardholder_name: str | None = None,
    email: str | None = None,
    ip: str | None = None,
    language: str | None = None,
    save_card: bool | None = None,
) -> Call[PaymentResult]:
    """paymentorder.do: pay an order with card data, server to server (permission
    card-payment-api; your systems then handle card data).  ``expiry`` is YYYYMM."""
    return _card(
        "paymentorder",
        md_order=md_order,
        pan=pan,
        cvc=cvc,
        expiry=expiry,
        cardholder_name=cardholder_name,
        email=email,
        ip=ip,
        language=language,
        save_card=save_card,
        authenticated=True,
    )


@api_method("processform")
def process_form(
    *,
    md_order: str,
    pan: str,
    cvc: str,
    expiry: str,
    cardholder_name: str | None = None,
    email: str | None = None,
    language: str | None = None,
    save_card: bool | None = None,
) -> Call[PaymentResult]:
    """processform.do: what the hosted payment page submits for the buyer; no merchant
    credentials.  For test suites that pay an order without a browser."""
    return _card(
        "processform",
        md_order=md_order,
        pan=pan,
        cvc=cvc,
        expiry=expiry,
        cardholder_name=cardholder_name,
        email=email,
        ip=None,
        language=language,
        save_card=save_card,
        authenticated=False,
    )


@api_method("3ds/continue")
def continue_3ds2(
    *,
    md_order: str,
    three_ds_comp_ind: str = "Y",
    three_ds_server_trans_id: str | None = None,
    language: str | None = None,
) -> Call[PaymentResult]:
    """3ds/continue.do: after the 3-D Secure 2 method step (``three_ds_comp_ind`` "Y" it ran,
    "N" it did not finish); no merchant credentials, as the page calls it."""
    return Call(
        "3ds/continue",
        wire_params(
            mdOrder=md_order,
            threeDSCompInd=three_ds_comp_ind,
            threeDSServerTransId=three_ds_server_trans_id,
            language=language,
        ),
        lambda answer: from_wire(PaymentResult, answer),
        authenticated=False,
    )


@api_method("finish3dsVer2Payment")
def finish_3ds2_payment(
    *,
    three_ds_server_trans_id: str,
    three_ds_ver2_md_order: str | None = None,
    cres: str | None = None,
    language: str | None = None,
) -> Call[PaymentResult]:
    """finish3dsVer2Payment.do: finish a payment after its 3-D Secure 2 challenge."""
    return Call(
        "finish3dsVer2Payment",
        wire_params(
            threeDSServerTransId=three_ds_server_trans_id,
            threeDSVer2MdOrder=three_ds_ver2_md_order,
            cres=cres,
            language=language,
        ),
        lambda answer: from_wire(PaymentResult, answer),
    )


# -- stored cards ----------------------------------------------------------------------
def _bindings(answer: dict[str, Any]) -> Bindings:
    return from_wire(Bindings, answer)


@api_method("getBindings")
def get_bindings(
    *, client_id: str, binding_type: str | None = None, show_expired: bool | None = None
) -> Call[Bindings]:
    """getBindings.do: the customer's stored cards."""
    return Call(
        "getBindings",
        wire_params(clientId=client_id, bindingType=binding_type, showExpired=show_expired),
        _bindings,
        retry_safe=True,
    )


@api_method("getBindingsByCardOrId")
def get_bindings_by_card_or_id(
    *, pan: str | None = None, binding_id: str | None = None, show_expired: bool | None = None
) -> Call[Bindings]:
    """getBindingsByCardOrId.do: stored cards by card number (wins) or bindingId."""
    return Call(
        "getBindingsByCardOrId",
        wire_params(pan=pan, bindingId=binding_id, showExpired=show_expired),
        _bindings,
        retry_safe=True,
    )


@api_method("unBindCard")
def unbind_card(*, binding_id: str) -> Call[Done]:
    """unBindCard.do: disable a stored card."""
    return Call("unBindCard", wire_params(bindingId=binding_id), _done)


@api_method("bindCard")
def bind_card(*, binding_id: str) -> Call[Done]:
    """bindCard.do: enable a disabled stored card again."""
    return Call("bindCard", wire_params(bindingId=binding_id), _done)


@api_method("extendBinding")
def extend_binding(*, binding_id: str, new_expiry: str) -> Call[Done]:
    """extendBinding.do: the card's new expiry, YYYYMM."""
    return Call("extendBinding", wire_params(bindingId=binding_id, newExpiry=new_expiry), _done)


@api_method("paymentOrderBinding")
def payment_order_binding(
    *,
    md_order: str,
    binding_id: str,
    cvc: str | None = None,
    ip: str | None = None,
    email: str | None = None,
    tii: str | None = None,
    language: str | None = None,
) -> Call[PaymentResult]:
    """paymentOrderBinding.do: pay a registered order with a stored card.  A declined
    payment raises ``DeclinedError`` (errorCode 2), its answer in ``.answer``."""
    return Call(
        "paymentOrderBinding",
        wire_params(
            mdOrder=md_order,
            bindingId=binding_id,
            cvc=cvc,
            ip=ip,
            email=email,
            tii=tii,
            language=language,
        ),
        lambda answer: from_wire(PaymentResult, answer),
    )


@api_method("createBindingNoPayment")
def create_binding_no_payment(
    *,
    client_id: str,
    pan: str,
    expiry_date: str,
    cardholder_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    binding_strength: str | None = None,
    additional_parameters: Mapping[str, Any] | None = None,
) -> Call[CreatedBinding]:
    """createBindingNoPayment.do: store a card without paying (``expiry_date`` YYYYMM)."""
    return Call(
        "createBindingNoPayment",
        wire_params(
            clientId=client_id,
            pan=pan,
            expiryDate=expiry_date,
            cardholderName=cardholder_name,
            email=email,
            phone=phone,
            bindingStrength=binding_strength,
            additionalParameters=additional_parameters,
        ),
        lambda answer: from_wire(CreatedBinding, answer),
    )
