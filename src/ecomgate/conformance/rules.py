"""The rules of the API contract (spec ``gateway-api.md``, above all §10), each a coroutine
over a ``Probe`` that raises ``Failed`` or ``Skipped``; returning means the rule holds.

The contract checked is the one EcomGate holds itself to (no sandbox controls are used):
where the spec records that gateways differ (``errorCode`` string or number, §1.3), §10
decides, so a bank's own choice shows as a failure, i.e. "differs from the contract"; the
rules about one thing check that thing alone: a rule about error codes compares their value
whatever the JSON type, and ``errors.code-is-string`` holds the type."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ecomgate.callbacks import verify_checksum

from .probe import Failed, Probe, Skipped, code, expect, is_number, is_success

Check = Callable[[Probe], Awaitable[None]]

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MASKED_PAN_RE = re.compile(r"^\d{6}\*+\d{4}$")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    #: where the spec says it (gateway-api.md)
    section: str
    check: Check

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]


RULES: list[Rule] = []


def rule(rule_id: str, title: str, section: str) -> Callable[[Check], Check]:
    def add(check: Check) -> Check:
        assert all(r.id != rule_id for r in RULES), rule_id
        RULES.append(Rule(rule_id, title, section, check))
        return check

    return add


def expect_code(body: dict[str, Any], want: str, what: str) -> None:
    expect(code(body) == want, f"{what}: errorCode {body.get('errorCode')!r}, not {want!r}")


def expect_names(body: dict[str, Any], name: str, what: str) -> None:
    message = str(body.get("errorMessage", ""))
    expect(name in message.lower(), f"{what}: errorMessage {message!r} does not name {name!r}")


def amounts(status: dict[str, Any]) -> dict[str, Any]:
    info = status.get("paymentAmountInfo")
    expect(isinstance(info, dict), f"no paymentAmountInfo object: {info!r}")
    assert isinstance(info, dict)
    return info


async def permitted(probe: Probe, method: str, params: dict[str, str]) -> dict[str, Any]:
    """A lifecycle call; access denied (errorCode 5) skips: the merchant lacks the
    permission on this target."""
    body = await probe.call(method, params)
    if code(body) == "5":
        raise Skipped(
            f"{method}.do: access denied for this merchant ({body.get('errorMessage')!r})"
        )
    return body


# -- transport (§1.3, §10) --------------------------------------------------------------
@rule("transport.http-200-json", "every outcome is HTTP 200 with a JSON object", "§1.3, §10")
async def _http_200_json(probe: Probe) -> None:
    tries = [
        ("register", {"amount": "2000", "returnUrl": "https://shop.example/ok"}, False),
        ("register", {"returnUrl": "https://shop.example/ok"}, True),
        ("register", {"amount": "abc", "returnUrl": "https://shop.example/ok"}, True),
        ("getOrderStatusExtended", {"orderId": "not-an-order-id"}, True),
        ("deposit", {"orderId": str(uuid.uuid4()), "amount": "0"}, True),
    ]
    for method, params, auth in tries:
        exchange = await probe.raw(method, params, auth=auth)
        expect(exchange.status == 200, f"{method}.do answered HTTP {exchange.status}")
        expect(
            exchange.content_type.startswith("application/json"),
            f"{method}.do: Content-Type {exchange.content_type!r}",
        )
        try:
            body = json.loads(exchange.text)
        except ValueError:
            raise Failed(f"{method}.do: the answer is not JSON") from None
        expect(
            isinstance(body, dict) and not is_success(body), f"{method}.do: not an error: {body}"
        )


async def _registers(probe: Probe, what: str, **kw: Any) -> str:
    params = probe.order_params(amount="2100")
    body = await probe.call("register", params, **kw)
    expect(body.get("orderId") and is_success(body), f"{what}: register.do refused: {body}")
    status = await probe.status(str(body["orderId"]))
    expect(status.get("amount") == 2100, f"{what}: amount {status.get('amount')!r}, not 2100")
    return str(body["orderId"])


@rule("transport.post-form", "parameters in a POST form body", "§1.3")
async def _post_form(probe: Probe) -> None:
    await _registers(probe, "POST form body")


@rule(
    "transport.post-query-empty-body",
    "POST with an empty body (Content-Type application/json) and the query string",
    "§10",
)
async def _post_query(probe: Probe) -> None:
    await _registers(probe, "POST + query", where="query", content_type="application/json")


@rule("transport.get-query", "GET with the parameters in the query string", "§1.3, §10")
async def _get_query(probe: Probe) -> None:
    await _registers(probe, "GET query", http="GET", where="query")


@rule("transport.get-form-body", "GET that carries a form body", "§10")
async def _get_body(probe: Probe) -> None:
    await _registers(probe, "GET form body", http="GET")


@rule("transport.body-wins", "a name in both body and query string: the body wins", "§1.3, §10")
async def _body_wins(probe: Probe) -> None:
    params = probe.order_params(amount="2200")
    body = await probe.call("register", params, query={"amount": "1100"})
    expect(body.get("orderId"), f"register.do refused: {body}")
    status = await probe.status(str(body["orderId"]))
    expect(status.get("amount") == 2200, f"amount {status.get('amount')!r}: the query won")


@rule("transport.rest-prefix", "both /payment/rest/ and /rest/ prefixes", "§10")
async def _rest_prefix(probe: Probe) -> None:
    body = await probe.call("register", probe.order_params(), prefix="/rest")
    expect(body.get("orderId"), f"/rest/register.do refused: {body}")
    status = await probe.call(
        "getOrderStatusExtended", {"orderId": str(body["orderId"])}, prefix="/rest"
    )
    expect_code(status, "0", "/rest/getOrderStatusExtended.do")


@rule("transport.unknown-params-ignored", "unknown parameters are ignored", "§10")
async def _unknown(probe: Probe) -> None:
    params = probe.order_params(conformanceProbe="1", refundAmount="5", someFutureField="x")
    body = await probe.call("register", params)
    expect(body.get("orderId") and is_success(body), f"register.do refused: {body}")


@rule("transport.empty-as-absent", "empty strings and jsonParams=null count as absent", "§10")
async def _empty(probe: Probe) -> None:
    params = probe.order_params(description="", failUrl="", jsonParams="null", pageView="")
    body = await probe.call("register", params)
    expect(body.get("orderId") and is_success(body), f"register.do refused: {body}")


# -- authentication (§1.4) -------------------------------------------------------------
@rule("auth.wrong-password", "wrong credentials: errorCode 5", "§1.4, §1.6")
async def _wrong_password(probe: Probe) -> None:
    params = {
        "userName": probe.user or "conformance-api",
        "password": "wrong-" + probe.order_number(),
    }
    body = await probe.call("register", {**probe.order_params(), **params}, auth=False)
    expect_code(body, "5", "wrong password")
    expect("orderId" not in body, f"an order was registered: {body}")


@rule("auth.missing-credentials", "no credentials: errorCode 5 (or 4)", "§1.4, §1.6")
async def _no_credentials(probe: Probe) -> None:
    body = await probe.call("getOrderStatusExtended", {"orderId": str(uuid.uuid4())}, auth=False)
    expect(code(body) in ("5", "4"), f"errorCode {body.get('errorCode')!r}, not 5")


# -- errors (§1.6, §10) -----------------------------------------------------------------
@rule(
    "errors.code-is-string",
    "errorCode is a JSON string of digits, always with errorMessage",
    "§10",
)
async def _code_string(probe: Probe) -> None:
    order_id = await probe.register()
    answers = [
        (
            "getOrderStatusExtended (found)",
            await probe.call("getOrderStatusExtended", {"orderId": order_id}),
        ),
        (
            "getOrderStatusExtended (unknown)",
            await probe.call("getOrderStatusExtended", {"orderId": str(uuid.uuid4())}),
        ),
        ("register (no amount)", await probe.call("register", probe.order_params(amount=None))),
        ("decline (found)", await probe.call("decline", {"orderId": order_id})),
        (
            "deposit (unknown)",
            await probe.call("deposit", {"orderId": str(uuid.uuid4()), "amount": "0"}),
        ),
    ]
    for what, body in answers:
        value = body.get("errorCode")
        expect(
            isinstance(value, str) and value.isdigit(),
            f"{what}: errorCode {value!r} is not a JSON string of digits",
        )
        expect(isinstance(body.get("errorMessage"), str), f"{what}: errorCode without errorMessage")


# -- register.do (§3.1, §10) ------------------------------------------------------------
@rule("register.success-shape", "register.do success is exactly {orderId, formUrl}", "§3.1, §10")
async def _register_shape(probe: Probe) -> None:
    body = await probe.call("register", probe.order_params())
    expect(set(body) == {"orderId", "formUrl"}, f"keys {sorted(body)}, not [formUrl, orderId]")
    expect(str(body["formUrl"]).startswith(("http://", "https://")), f"formUrl {body['formUrl']!r}")


@rule(
    "register.preauth-success-shape",
    "registerPreAuth.do success is exactly {orderId, formUrl}",
    "§3.2, §10",
)
async def _preauth_shape(probe: Probe) -> None:
    body = await probe.call("registerPreAuth", probe.order_params())
    expect(set(body) == {"orderId", "formUrl"}, f"keys {sorted(body)}, not [formUrl, orderId]")


@rule("register.order-id-format", "orderId is a lower-case hyphenated UUID", "§1.5, §10")
async def _order_id(probe: Probe) -> None:
    order_id = await probe.register()
    expect(UUID_RE.match(order_id), f"orderId {order_id!r}")


@rule("register.duplicate-order-number", "a duplicate orderNumber: errorCode 1", "§1.5, §3.1, §10")
async def _duplicate(probe: Probe) -> None:
    number = probe.order_number()
    await probe.register(orderNumber=number)
    body = await probe.call("register", probe.order_params(orderNumber=number))
    expect_code(body, "1", "the same orderNumber again")


@rule("register.missing-amount", "no amount: errorCode 4", "§1.6, §3.1")
async def _missing_amount(probe: Probe) -> None:
    params = probe.order_params()
    del params["amount"]
    body = await probe.call("register", params)
    expect_code(body, "4", "register.do without amount")


@rule(
    "register.amount-not-integer",
    "a non-integer amount: errorCode 5 naming amount, never rounded",
    "§10",
)
async def _amount_not_integer(probe: Probe) -> None:
    for amount in ("19.99", "1998.9999999999998"):
        body = await probe.call("register", probe.order_params(amount=amount))
        expect_code(body, "5", f"amount={amount}")
        expect_names(body, "amount", f"amount={amount}")


@rule("register.order-number-36", "an orderNumber of 36 characters is accepted", "§8, §10")
async def _long_number(probe: Probe) -> None:
    number = (probe.order_number() + "-" + "x" * 36)[:36]
    order_id = await probe.register(orderNumber=number)
    status = await probe.status(order_id)
    expect(status.get("orderNumber") == number, f"orderNumber {status.get('orderNumber')!r}")


@rule("register.order-number-optional", "orderNumber may be omitted", "§10")
async def _no_number(probe: Probe) -> None:
    params = probe.order_params()
    del params["orderNumber"]
    body = await probe.call("register", params)
    expect(body.get("orderId") and is_success(body), f"register.do without orderNumber: {body}")
    status = await probe.status(str(body["orderId"]))
    expect(status.get("orderNumber"), f"no orderNumber generated: {status.get('orderNumber')!r}")


@rule("register.language-case-insensitive", "language is case-insensitive (RU, EN)", "§10")
async def _language_case(probe: Probe) -> None:
    for language in ("RU", "En"):
        await probe.register(language=language)


@rule("register.bad-language", "a malformed language: errorCode 5", "§1.5, §3.1")
async def _bad_language(probe: Probe) -> None:
    body = await probe.call("register", probe.order_params(language="english"))
    expect_code(body, "5", "language=english")


@rule("register.unknown-currency", "an unknown currency: errorCode 3", "§1.5, §3.1")
async def _currency(probe: Probe) -> None:
    body = await probe.call("register", probe.order_params(currency="999"))
    expect_code(body, "3", "currency=999")


@rule("register.relative-return-url", "a relative returnUrl: errorCode 4", "§2.6, §3.1")
async def _relative_url(probe: Probe) -> None:
    body = await probe.call("register", probe.order_params(returnUrl="/shop/ok"))
    expect_code(body, "4", "returnUrl=/shop/ok")


@rule("register.bad-json-params", "jsonParams that are not a JSON object: errorCode 5", "§3.1")
async def _bad_json(probe: Probe) -> None:
    body = await probe.call("register", probe.order_params(jsonParams="{not json"))
    expect_code(body, "5", "jsonParams={not json")


# -- status (§3.3, §3.4, §10) -----------------------------------------------------------
@rule("status.new-order", "a new order: status 0, actionCode -100, CREATED", "§2.3, §3.3")
async def _new_order(probe: Probe) -> None:
    number = probe.order_number()
    order_id = await probe.register(orderNumber=number, amount="2300")
    status = await probe.status(order_id)
    expect(status.get("orderStatus") == 0, f"orderStatus {status.get('orderStatus')!r}")
    expect(status.get("actionCode") == -100, f"actionCode {status.get('actionCode')!r}")
    expect(status.get("orderNumber") == number, f"orderNumber {status.get('orderNumber')!r}")
    expect(status.get("amount") == 2300, f"amount {status.get('amount')!r}")
    info = amounts(status)
    expect(info.get("paymentState") == "CREATED", f"paymentState {info.get('paymentState')!r}")
    attrs = status.get("attributes")
    expect(
        isinstance(attrs, list) and {"name": "mdOrder", "value": order_id} in attrs,
        f"attributes without mdOrder: {attrs!r}",
    )


@rule(
    "status.types",
    "orderStatus, actionCode, amount, date and amounts are numbers; currency a string",
    "§10",
)
async def _types(probe: Probe) -> None:
    status = await probe.status(await probe.register())
    for name in ("orderStatus", "actionCode", "amount", "date"):
        expect(is_number(status.get(name)), f"{name} {status.get(name)!r} is not a JSON number")
    currency = status.get("currency")
    expect(isinstance(currency, str) and re.fullmatch(r"\d{3}", currency), f"currency {currency!r}")
    for name, value in amounts(status).items():
        if name.endswith("Amount"):
            expect(is_number(value), f"paymentAmountInfo.{name} {value!r} is not a number")


@rule("status.by-order-number", "status lookup by orderNumber", "§3.3, §10")
async def _by_number(probe: Probe) -> None:
    number = probe.order_number()
    order_id = await probe.register(orderNumber=number)
    body = await probe.call("getOrderStatusExtended", {"orderNumber": number})
    expect_code(body, "0", f"orderNumber={number}")
    attrs = body.get("attributes") or []
    expect({"name": "mdOrder", "value": order_id} in attrs, f"another order: {attrs!r}")


@rule("status.order-id-forms", "upper-case and unhyphenated orderId are accepted", "§10")
async def _id_forms(probe: Probe) -> None:
    order_id = await probe.register()
    for form in (order_id.upper(), order_id.replace("-", "")):
        body = await probe.call("getOrderStatusExtended", {"orderId": form})
        expect_code(body, "0", f"orderId={form}")


@rule("status.unknown-order", "an unknown orderId: errorCode 6", "§1.6, §3.3, §10")
async def _unknown_order(probe: Probe) -> None:
    body = await probe.call("getOrderStatusExtended", {"orderId": str(uuid.uuid4())})
    expect_code(body, "6", "an orderId nobody registered")
    expect("orderStatus" not in body, f"orderStatus of an unknown order: {body}")


@rule("status.no-id", "neither orderId nor orderNumber: errorCode 1", "§1.6, §3.3")
async def _no_id(probe: Probe) -> None:
    body = await probe.call("getOrderStatusExtended", {"language": "en"})
    expect_code(body, "1", "getOrderStatusExtended.do without an id")


@rule("status.merchant-order-params", "merchantOrderParams repeat jsonParams", "§3.3, §10")
async def _order_params(probe: Probe) -> None:
    sent = {"conformance": "yes", "shopRef": "A-17"}
    status = await probe.status(await probe.register(jsonParams=json.dumps(sent)))
    got = status.get("merchantOrderParams")
    expect(isinstance(got, list), f"merchantOrderParams {got!r} is not a list")
    assert isinstance(got, list)
    for name, value in sent.items():
        expect({"name": name, "value": value} in got, f"{name} missing: {got!r}")


@rule("status.legacy-keys", "getOrderStatus.do keeps its capitalised keys", "§3.4, §10")
async def _legacy(probe: Probe) -> None:
    number = probe.order_number()
    order_id = await probe.register(orderNumber=number, amount="2400")
    body = await probe.call("getOrderStatus", {"orderId": order_id, "language": "en"})
    for key in ("ErrorCode", "ErrorMessage", "OrderStatus", "OrderNumber", "Amount"):
        expect(key in body, f"no {key}: keys {sorted(body)}")
    expect(code(body, "ErrorCode") == "0", f"ErrorCode {body.get('ErrorCode')!r}")
    expect(body.get("OrderNumber") == number and body.get("Amount") == 2400, f"{body}")


@rule(
    "status.legacy-declined",
    "getOrderStatus.do of a declined order (status 6): ErrorCode 2",
    "§3.4, §10",
)
async def _legacy_declined(probe: Probe) -> None:
    order_id = await probe.register()
    body = await permitted(probe, "decline", {"orderId": order_id})
    expect_code(body, "0", "decline.do")
    legacy = await probe.call("getOrderStatus", {"orderId": order_id, "language": "en"})
    expect(legacy.get("OrderStatus") == 6, f"OrderStatus {legacy.get('OrderStatus')!r}, not 6")
    expect(code(legacy, "ErrorCode") == "2", f"ErrorCode {legacy.get('ErrorCode')!r}, not 2")


# -- lifecycle (§2.3, §3.5-§3.8, §10) ---------------------------------------------------
@rule(
    "lifecycle.pay-one-phase", "a paid one-phase order: status 2, DEPOSITED, amounts", "§2.3, §3.9"
)
async def _pay(probe: Probe) -> None:
    status = await probe.status(await probe.paid(amount="2500"))
    expect(status.get("actionCode") == 0, f"actionCode {status.get('actionCode')!r}")
    info = amounts(status)
    want = {"paymentState": "DEPOSITED", "approvedAmount": 2500, "depositedAmount": 2500}
    got = {k: info.get(k) for k in want}
    expect(got == want, f"paymentAmountInfo {got}, not {want}")
    expect(is_number(status.get("authDateTime")), f"authDateTime {status.get('authDateTime')!r}")


@rule(
    "lifecycle.card-auth-info", "cardAuthInfo carries maskedPan and pan, both masked", "§1.5, §10"
)
async def _card_info(probe: Probe) -> None:
    status = await probe.status(await probe.paid())
    info = status.get("cardAuthInfo")
    expect(isinstance(info, dict), f"cardAuthInfo {info!r}")
    assert isinstance(info, dict)
    for key in ("maskedPan", "pan"):
        value = str(info.get(key, ""))
        expect(MASKED_PAN_RE.match(value), f"cardAuthInfo.{key} {value!r} is not 6**4 masked")
        expect(value.endswith(probe.card.pan[-4:]), f"cardAuthInfo.{key} {value!r}: another card")
    expiration = str(info.get("expiration", ""))
    expect(re.fullmatch(r"\d{6}", expiration), f"cardAuthInfo.expiration {expiration!r} not YYYYMM")


@rule(
    "lifecycle.legacy-paid", "getOrderStatus.do of a paid order: OrderStatus 2, Pan masked", "§3.4"
)
async def _legacy_paid(probe: Probe) -> None:
    order_id = await probe.paid()
    body = await probe.call("getOrderStatus", {"orderId": order_id, "language": "en"})
    expect(body.get("OrderStatus") == 2, f"OrderStatus {body.get('OrderStatus')!r}")
    expect(MASKED_PAN_RE.match(str(body.get("Pan", ""))), f"Pan {body.get('Pan')!r}")


@rule(
    "lifecycle.hold-and-deposit",
    "a hold: status 1; deposit.do amount=0 captures it all",
    "§2.3, §3.5",
)
async def _hold(probe: Probe) -> None:
    order_id = await probe.paid(two_phase=True, amount="2600")
    info = amounts(await probe.status(order_id))
    got = {k: info.get(k) for k in ("paymentState", "approvedAmount", "depositedAmount")}
    want = {"paymentState": "APPROVED", "approvedAmount": 2600, "depositedAmount": 0}
    expect(got == want, f"held: {got}, not {want}")
    body = await permitted(probe, "deposit", {"orderId": order_id, "amount": "0"})
    expect_code(body, "0", "deposit.do amount=0")
    status = await probe.status(order_id)
    expect(status.get("orderStatus") == 2, f"captured: orderStatus {status.get('orderStatus')!r}")
    expect(amounts(status).get("depositedAmount") == 2600, f"captured: {amounts(status)}")


@rule(
    "lifecycle.partial-deposit",
    "deposit.do of part of a hold: status 2, that amount deposited, final",
    "§2.3, §3.5",
)
async def _partial_deposit(probe: Probe) -> None:
    order_id = await probe.paid(two_phase=True, amount="2700")
    body = await permitted(probe, "deposit", {"orderId": order_id, "amount": "1000"})
    expect_code(body, "0", "deposit.do amount=1000 of 2700")
    status = await probe.status(order_id)
    expect(status.get("orderStatus") == 2, f"orderStatus {status.get('orderStatus')!r}, not 2")
    info = amounts(status)
    expect(info.get("depositedAmount") == 1000, f"after 1000 of 2700: {info}")
    again = await probe.call("deposit", {"orderId": order_id, "amount": "1000"})
    expect_code(again, "7", "a second deposit.do (a partial capture is final)")


@rule("lifecycle.deposit-wrong-state", "deposit.do of an unpaid order: errorCode 7", "§1.6, §3.5")
async def _deposit_unpaid(probe: Probe) -> None:
    order_id = await probe.register("registerPreAuth")
    body = await permitted(probe, "deposit", {"orderId": order_id, "amount": "0"})
    expect_code(body, "7", "deposit.do of an order in status 0")


@rule("lifecycle.reverse-hold", "reverse.do of a hold: status 3, REVERSED; only once", "§2.3, §3.6")
async def _reverse(probe: Probe) -> None:
    order_id = await probe.paid(two_phase=True)
    body = await permitted(probe, "reverse", {"orderId": order_id})
    expect_code(body, "0", "reverse.do of a hold")
    status = await probe.status(order_id)
    expect(status.get("orderStatus") == 3, f"orderStatus {status.get('orderStatus')!r}")
    info = amounts(status)
    expect(info.get("paymentState") == "REVERSED", f"paymentState {info.get('paymentState')!r}")
    again = await probe.call("reverse", {"orderId": order_id})
    expect_code(again, "7", "a second reverse.do")


@rule(
    "lifecycle.refund-partial",
    "partial refunds: status 4, amounts move, repeated while money is left",
    "§2.3, §3.7",
)
async def _refund_partial(probe: Probe) -> None:
    order_id = await probe.paid(amount="3000")
    body = await permitted(probe, "refund", {"orderId": order_id, "amount": "1000"})
    expect_code(body, "0", "refund.do amount=1000")
    status = await probe.status(order_id)
    expect(
        status.get("orderStatus") == 4,
        f"after a partial refund: orderStatus {status.get('orderStatus')!r}",
    )
    info = amounts(status)
    got = {k: info.get(k) for k in ("depositedAmount", "refundedAmount")}
    expect(got == {"depositedAmount": 2000, "refundedAmount": 1000}, f"after 1000 of 3000: {got}")
    body = await probe.call("refund", {"orderId": order_id, "amount": "2000"})
    expect_code(body, "0", "refund.do of the rest")
    info = amounts(await probe.status(order_id))
    got = {k: info.get(k) for k in ("depositedAmount", "refundedAmount")}
    expect(got == {"depositedAmount": 0, "refundedAmount": 3000}, f"after all: {got}")


@rule(
    "lifecycle.refund-zero-refunds-all",
    "refund.do amount=0 refunds everything deposited",
    "§3.7, §10",
)
async def _refund_zero(probe: Probe) -> None:
    order_id = await probe.paid(amount="3100")
    body = await permitted(probe, "refund", {"orderId": order_id, "amount": "0"})
    expect_code(body, "0", "refund.do amount=0")
    info = amounts(await probe.status(order_id))
    got = {k: info.get(k) for k in ("depositedAmount", "refundedAmount")}
    expect(got == {"depositedAmount": 0, "refundedAmount": 3100}, f"after amount=0: {got}")


@rule(
    "lifecycle.refund-missing-amount",
    "refund.do without amount (refundAmount ignored): errorCode 4 naming amount",
    "§10",
)
async def _refund_missing(probe: Probe) -> None:
    order_id = await probe.paid(amount="3200")
    # refundAmount is no name of the API: ignored like any unknown parameter
    params = {"orderId": order_id, "language": "en", "refundAmount": "100"}
    body = await permitted(probe, "refund", params)
    expect_code(body, "4", "refund.do without amount")
    expect_names(body, "amount", "refund.do without amount")
    info = amounts(await probe.status(order_id))
    expect(info.get("depositedAmount") == 3200, f"money moved: {info}")


@rule(
    "lifecycle.refund-too-much",
    "a refund above the deposited amount is refused, nothing refunded",
    "§2.3, §3.7",
)
async def _refund_too_much(probe: Probe) -> None:
    order_id = await probe.paid(amount="3300")
    body = await permitted(probe, "refund", {"orderId": order_id, "amount": "3301"})
    expect(not is_success(body), f"a refund of 3301 of 3300 was done: {body}")
    info = amounts(await probe.status(order_id))
    expect(info.get("depositedAmount") == 3300, f"money moved: {info}")


@rule("lifecycle.refund-unpaid", "refund.do of an unpaid order: errorCode 7", "§1.6, §3.7")
async def _refund_unpaid(probe: Probe) -> None:
    order_id = await probe.register()
    body = await permitted(probe, "refund", {"orderId": order_id, "amount": "100"})
    expect_code(body, "7", "refund.do of an order in status 0")


@rule("lifecycle.decline-unpaid", "decline.do of an unpaid order: status 6, DECLINED", "§3.8")
async def _decline(probe: Probe) -> None:
    order_id = await probe.register()
    body = await permitted(probe, "decline", {"orderId": order_id})
    expect_code(body, "0", "decline.do")
    status = await probe.status(order_id)
    expect(status.get("orderStatus") == 6, f"orderStatus {status.get('orderStatus')!r}")
    expect(amounts(status).get("paymentState") == "DECLINED", f"{amounts(status)}")


@rule("lifecycle.decline-paid", "decline.do of a paid order is refused; it stays paid", "§3.8")
async def _decline_paid(probe: Probe) -> None:
    order_id = await probe.paid()
    body = await permitted(probe, "decline", {"orderId": order_id})
    expect(not is_success(body), f"a paid order was declined: {body}")
    status = await probe.status(order_id)
    expect(status.get("orderStatus") == 2, f"orderStatus {status.get('orderStatus')!r}, not 2")


@rule(
    "lifecycle.unknown-order",
    "deposit, reverse and refund of an unknown order: errorCode 6",
    "§1.6, §3.5-§3.7",
)
async def _lifecycle_unknown(probe: Probe) -> None:
    for method in ("deposit", "reverse", "refund"):
        # no permission skip here: an order nobody registered is errorCode 6 for anyone
        body = await probe.call(method, {"orderId": str(uuid.uuid4()), "amount": "100"})
        expect_code(body, "6", f"{method}.do of an unknown order")


# -- callbacks (§4) ---------------------------------------------------------------------
@rule(
    "callback.checksum",
    "a payment's callback to dynamicCallbackUrl carries a valid HMAC-SHA256 checksum",
    "§3.1, §4.2, §4.3",
)
async def _callback(probe: Probe) -> None:
    setup = probe.callback
    if setup is None or probe.listener is None:
        raise Skipped("no callback listener: give --callback-listen and --callback-secret")
    number = probe.order_number()
    order_id = await probe.paid(orderNumber=number, dynamicCallbackUrl=probe.callback_url)
    got = await probe.listener.wait_for(order_id, probe.timeout)
    expect(got, f"no callback for {order_id} at {probe.callback_url} within {probe.timeout} s")
    deposited = [c for c in got if c.params.get("operation") == "deposited"]
    expect(deposited, f"no operation=deposited callback: {[c.params for c in got]}")
    params = deposited[0].params
    expect(params.get("status") == "1", f"status {params.get('status')!r}: {params}")
    expect(params.get("orderNumber") == number, f"orderNumber {params.get('orderNumber')!r}")
    expect(params.get("checksum"), f"an unsigned callback: {params}")
    expect(
        verify_checksum(params, setup.secret),
        f"checksum does not verify with the given secret: {params}",
    )
