"""3-D Secure 2 over the API (spec §3.9): ``3ds/continue.do`` after the 3DS method step,
and ``finish3dsVer2Payment.do`` to finish a payment after its challenge.

``3ds/continue.do`` is called by the hosted page (no merchant credentials, like
processform.do) or by the shop's server after paymentorder.do; ``finish3dsVer2Payment.do``
is the shop's server, with its credentials.  Both answer like processform.do: the next
3-D Secure step, or ``redirect`` (and a decline's details) once the payment is decided.
"""

from __future__ import annotations

from typing import Any

from ecomgate.domain.errors import GatewayError
from ecomgate.services import payment

from . import params
from .card_payment import answer
from .endpoint import Api, ApiCall
from .params import Kind, Param, ParamTable

CONTINUE = ParamTable(
    (
        Param("mdOrder", Kind.TEXT, 64),
        Param("MDORDER", Kind.TEXT, 64),
        Param("orderId", Kind.TEXT, 64),
        # threeDSCompInd: Y the method step ran, N it did not finish (U: not available)
        Param("threeDSCompInd", Kind.TEXT, 1),
        Param("threeDSServerTransId", Kind.TEXT, 36),
        Param("language", Kind.LANGUAGE),
    )
)

FINISH = ParamTable(
    (
        Param("threeDSServerTransId", Kind.TEXT, 36),
        Param("threeDSVer2MdOrder", Kind.TEXT, 64),
        # EcomGate: a server that took the ACS's CRes itself may hand it over here
        Param("cres", Kind.TEXT, 4096),
        Param("language", Kind.LANGUAGE),
    )
)


def _with_version(body: dict[str, Any]) -> dict[str, Any]:
    return {"is3DSVer2": True} | body


async def continue_payment(call: ApiCall) -> dict[str, Any]:
    v = CONTINUE.validate(call.raw, call.ctx)
    raw_id = v.get("mdOrder") or v.get("MDORDER") or v.get("orderId")
    if not raw_id:
        raise GatewayError(4, "missing_parameter", name="mdOrder")
    language = v.get("language")
    result = await payment.continue_3ds2(
        call.services,
        params.order_id(raw_id),
        method_completed=v.get("threeDSCompInd", "Y").upper() == "Y",
        language=language,
    )
    return _with_version(answer(result, language or result.order.language))


async def finish_payment(call: ApiCall) -> dict[str, Any]:
    merchant = await call.authenticate()
    v = FINISH.validate(call.raw, call.ctx)
    trans_id = v.get("threeDSServerTransId", "")
    raw_order = v.get("threeDSVer2MdOrder", "")
    if not trans_id:
        raise GatewayError(4, "missing_parameter", name="threeDSServerTransId")
    language = v.get("language")
    result = await payment.finish_3ds2(
        call.services,
        trans_id=trans_id,
        order_id=params.order_id(raw_order) if raw_order else "",
        cres=v.get("cres", ""),
        language=language,
        merchant=merchant,
    )
    return _with_version(answer(result, language or result.order.language))


def install(api: Api) -> None:
    api.add("3ds/continue", continue_payment, payment_error=True)
    api.add("finish3dsVer2Payment", finish_payment, payment_error=True)
