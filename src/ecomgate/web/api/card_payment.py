"""processform.do (the hosted page's own submission) and paymentorder.do (server to server,
``card-payment-api`` permission).  Both answer as spec §3.9 shows and share one payment path
(``services.payment``)."""

from __future__ import annotations

from typing import Any

from ecomgate.domain import codes
from ecomgate.domain.errors import GatewayError
from ecomgate.domain.merchant import Merchant, Permission
from ecomgate.services import payment
from ecomgate.services.payment import CardDataError, CardForm, Next, PaymentResult
from ecomgate.web import buyer_texts

from . import params
from .endpoint import Api, ApiCall
from .messages import message
from .params import Kind, Param, ParamTable

CARD_FORM = ParamTable(
    (
        Param("MDORDER", Kind.TEXT, 64),
        Param("mdOrder", Kind.TEXT, 64),
        Param("orderId", Kind.TEXT, 64),
        Param("$PAN", Kind.TEXT, 40),
        Param("$CVC", Kind.TEXT, 8),
        Param("YYYY", Kind.TEXT, 4),
        Param("MM", Kind.TEXT, 2),
        Param("$EXPIRY", Kind.TEXT, 6),
        Param("TEXT", Kind.TEXT, 150),
        Param("language", Kind.LANGUAGE),
        Param("email", Kind.TEXT, 40),
        Param("ip", Kind.TEXT, 39),
        # the page's saved-card choice (CVC only) and its "save card" checkbox
        Param("bindingId", Kind.TEXT, 255),
        Param("bindingNotNeeded", Kind.BOOL),
    )
)


def answer(result: PaymentResult, language: str) -> dict[str, Any]:
    """The §3.9 answer; ``errorCode`` "0" (the form was processed) always travels with
    ``errorMessage`` (§10), whatever the payment's outcome."""
    body: dict[str, Any] = {"errorCode": "0", "errorMessage": message("success", language)}
    if result.order.binding_id:  # spec §3.9: the stored credential created or used
        body["bindingId"] = result.order.binding_id
    return body | _outcome(result, language)


def _outcome(result: PaymentResult, language: str) -> dict[str, Any]:
    order = result.order
    three_ds2 = three_ds2_step(result)
    if three_ds2:
        return three_ds2
    if result.next is Next.ACS and result.challenge is not None:
        return {
            "acsUrl": result.challenge.acs_url,
            "paReq": result.challenge.pa_req,
            "termUrl": result.term_url,
            "is3DSVer2": False,
        }
    if result.next is Next.RETRY:
        decline = buyer_texts.decline_message(order.action_code, language)
        return {
            "displayErrorMessage": decline,
            "actionCode": order.action_code,
            "attemptsLeft": result.attempts_left,
            **_decline_details(order.action_code, decline),
        }
    if result.next is Next.PROCESSING:
        return {"info": buyer_texts.status_text("result_processing_title", language)}
    if order.action_code == 0:
        return {
            "redirect": result.redirect_url,
            "info": buyer_texts.status_text("redirecting", language),
        }
    decline = buyer_texts.decline_message(order.action_code, language)
    return {
        "redirect": result.redirect_url,
        "info": decline,
        "actionCode": order.action_code,
        "displayErrorMessage": decline,
        **_decline_details(order.action_code, decline),
    }


def three_ds2_step(result: PaymentResult) -> dict[str, Any]:
    """Spec §3.9: the 3-D Secure 2 step the browser takes next ({} when none): the method
    step (``threeDSMethodURL``, then 3ds/continue.do) or the challenge (``acsUrl`` with
    ``packedCReq``: POST it as ``creq``)."""
    if result.next is not Next.ACS:
        return {}
    if result.three_ds2_method is not None:
        method = result.three_ds2_method
        return {
            "is3DSVer2": True,
            "threeDSServerTransId": method.server_trans_id,
            "threeDSMethodURL": method.method_url,
            "threeDSMethodDataPacked": method.method_data,
        }
    if result.three_ds2_challenge is not None:
        challenge = result.three_ds2_challenge
        return {
            "is3DSVer2": True,
            "threeDSServerTransId": challenge.server_trans_id,
            "acsUrl": challenge.acs_url,
            "packedCReq": challenge.creq,
        }
    return {}


def _decline_details(action_code: int, text: str) -> dict[str, str]:
    """Spec §3.9: a decline's ``error`` (its text) and machine-readable class."""
    type_name, processing_type = codes.decline_class(action_code)
    return {"error": text, "errorTypeName": type_name, "processingErrorType": processing_type}


async def _pay(call: ApiCall, merchant: Merchant | None) -> dict[str, Any]:
    v = CARD_FORM.validate(call.raw, call.ctx)
    raw_id = v.get("MDORDER") or v.get("mdOrder") or v.get("orderId")
    if not raw_id:
        raise GatewayError(5, "missing_parameter", name="MDORDER")
    order_id = params.order_id(raw_id)
    year, month = v.get("YYYY", ""), v.get("MM", "")
    expiry = v.get("$EXPIRY", "")
    if expiry and not (year and month):
        year, month = expiry[:4], expiry[4:]
    form = CardForm(
        pan=v.get("$PAN", ""),
        expiry_year=year,
        expiry_month=month,
        cvc=v.get("$CVC", ""),
        cardholder_name=v.get("TEXT", ""),
    )
    ip = v.get("ip") or (call.request.client.host if call.request.client else "")
    language = v.get("language")
    if v.get("bindingId") and merchant is None:
        # the page's CVC-only form for a saved card (customer-initiated)
        try:
            result = await payment.pay_with_binding(
                call.services,
                order_id,
                v["bindingId"],
                cvc=v.get("$CVC", ""),
                language=language,
                ip=ip,
                email=v.get("email", "").strip(),
            )
        except CardDataError as exc:
            return {
                "errorCode": str(exc.error_code),
                "errorMessage": message(exc.key, call.language),
                "field": exc.field,
            }
        return answer(result, language or result.order.language)
    try:
        result = await payment.pay(
            call.services,
            order_id,
            form,
            language=language,
            ip=ip,
            email=v.get("email", "").strip(),
            merchant=merchant,
            save_card=not v.get("bindingNotNeeded", False),
        )
    except CardDataError as exc:
        return {
            "errorCode": str(exc.error_code),
            "errorMessage": message(exc.key, call.language),
            "field": exc.field,
        }
    return answer(result, language or result.order.language)


async def process_form(call: ApiCall) -> dict[str, Any]:
    """The hosted page's submission: no merchant credentials, the order id is the key."""
    return await _pay(call, None)


async def payment_order(call: ApiCall) -> dict[str, Any]:
    merchant = await call.authenticate(Permission.CARD_PAYMENT_API)
    return await _pay(call, merchant)


def install(api: Api) -> None:
    api.add("processform", process_form)
    api.add("paymentorder", payment_order)
    api.add("payment", payment_order)  # Sberbank's name for the same call
