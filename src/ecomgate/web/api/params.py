"""Where parameters arrive, and the tables that validate them (design convention 5).

A method's parameters are a table of ``Param`` rows (name, type, length, required) taken
from the spec; each table is compiled once at import into a list of checks, so a request
costs a dictionary walk, not a re-read of the rules.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from starlette.requests import Request

from ecomgate.domain.errors import GatewayError, InvalidParameter, MissingParameter
from ecomgate.domain.ids import normalize_order_id

RawParams = dict[str, list[str]]
#: no API call needs more; a larger body is refused before it is read (web/body_limit.py)
MAX_BODY = 1 << 20
#: card data travels in a POST body only: a query string ends up in proxy logs, browser
#: history and Referer headers (names compared without case)
CARD_FIELDS = frozenset(
    {"$pan", "$cvc", "$expiry", "$cardholder", "pan", "cvc", "cvv", "cvc2", "seccode"}
)
#: jsonParams names the payment page turns into links (spec §2.6)
JSON_URL_NAMES = ("backToShopUrl",)


# -- transport -------------------------------------------------------------------------
def _valid_text(value: str) -> str:
    """JSON escapes can smuggle lone surrogates, which no UTF-8 answer or database takes."""
    return value.encode("utf-8", "replace").decode("utf-8")


def _json_object_params(body: bytes) -> RawParams | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    out: RawParams = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, list):
            out[key] = [_valid_text(v) if isinstance(v, str) else json.dumps(v) for v in value]
        elif isinstance(value, str):
            out[key] = [_valid_text(value)]
        elif isinstance(value, bool):
            out[key] = ["true" if value else "false"]
        elif isinstance(value, int | float):
            out[key] = [json.dumps(value)]
        else:  # nested objects (jsonParams, orderBundle) travel as JSON text
            out[key] = [json.dumps(value)]
    return {_valid_text(k): v for k, v in out.items()}


def _pairs(text: str) -> RawParams:
    out: RawParams = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        out.setdefault(key, []).append(value)
    return out


async def read_params(request: Request) -> RawParams:
    """Spec §10: form body of a POST, query string of a POST with an empty body (whatever
    its Content-Type), GET query string, a GET with a form body.  The body wins on clashes;
    empty values count as absent."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise GatewayError(5, "body_too_large", max=MAX_BODY)
    query = request.scope.get("query_string", b"")
    params = _pairs(query.decode("utf-8", errors="replace")) if query else {}
    in_query = sorted(name for name in params if name.lower() in CARD_FIELDS)
    if in_query:
        raise GatewayError(5, "card_data_in_query", name=in_query[0])
    body = await request.body()
    if body.strip():
        content_type = request.headers.get("content-type", "")
        body_params: RawParams | None = None
        if body.lstrip()[:1] == b"{":
            body_params = _json_object_params(body)
        if body_params is None and "multipart/form-data" in content_type:
            form = await request.form()
            body_params = {}
            for key, value in form.multi_items():
                if isinstance(value, str):
                    body_params.setdefault(key, []).append(value)
        if body_params is None:
            body_params = _pairs(body.decode("utf-8", errors="replace"))
        params.update(body_params)
    return {k: [x for x in v if x != ""] for k, v in params.items() if any(x != "" for x in v)}


def order_id(raw: str) -> str:
    """A gateway order id in any accepted spelling (spec §10: upper-case, unhyphenated),
    lower-case hyphenated; anything else is an unknown order (6) whose message points at
    the usual mix-up with ``orderNumber``."""
    normalized = normalize_order_id(raw)
    if normalized is None:
        raise GatewayError(6, "order_id_not_uuid")
    return normalized


# -- parameter tables ----------------------------------------------------------------
class Kind(enum.Enum):
    DIGITS = "N"  # as text (currency, taxSystem)
    INTEGER = "N-int"  # digits, converted to int
    AMOUNT = "amount"  # digits, int; message says "minor units"
    LANGUAGE = "A2"
    TEXT = "ANS"
    SECRET = "credential"  # text that is never shown: no HTML check
    URL = "url"  # returnUrl, failUrl: spec §2.6's rules (errorCode 4, scheme-less resolved)
    ABSOLUTE_URL = "absolute-url"  # an absolute http(s) URL, else errorCode 5
    JSON_FLAT = "jsonParams"
    JSON = "json"
    DATETIME = "datetime"  # yyyy-MM-ddTHH:mm:ss in the gateway's zone
    DATETIME_UTC = "datetime-utc"
    BOOL = "bool"


@dataclass(frozen=True)
class Param:
    name: str
    kind: Kind
    max_len: int = 0  # 0 = no limit
    required: bool = False
    exact: bool = False  # N3: exactly max_len characters
    repeatable: bool = False
    #: stored as sent in the order's ``extra`` (accepted, kept, not interpreted)
    keep: bool = False
    #: the errorCode of a malformed value where the spec names another than 5 (spec §3.1:
    #: an invalid ``orderNumber`` of register.do is 1); the message stays the same
    error_code: int = 5


_HTML = re.compile(r"<\s*[a-zA-Z/!?]")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", re.ASCII)
_LANGUAGE = re.compile(r"[A-Za-z]{2}")


@dataclass(frozen=True)
class Context:
    """What validation needs to know about the gateway."""

    timezone: ZoneInfo
    public_url: str


Check = Callable[[str, Context], Any]


def _text(p: Param) -> Check:
    def check(value: str, ctx: Context) -> str:
        if p.max_len and len(value) > p.max_len:
            raise InvalidParameter(p.name, "too_long", max=p.max_len)
        if CONTROL_CHARACTERS.search(value):
            raise InvalidParameter(p.name, "control_characters")
        # credentials are opaque: a password may well contain "<a"
        if p.kind is Kind.TEXT and _HTML.search(value):
            raise InvalidParameter(p.name, "html_not_allowed")
        return value

    return check


def _digits(p: Param, *, as_int: bool) -> Check:
    width = f"{p.max_len}" if p.exact else f"1,{p.max_len or 18}"
    pattern = re.compile(rf"\d{{{width}}}", re.ASCII)
    key = "not_amount" if p.kind is Kind.AMOUNT else "not_digits"

    def check(value: str, ctx: Context) -> Any:
        if not pattern.fullmatch(value):
            if p.exact and value.isascii() and value.isdigit():
                raise InvalidParameter(p.name, "wrong_length", max=p.max_len)
            raise InvalidParameter(p.name, key, max=p.max_len)
        return int(value) if as_int else value

    return check


def _language(p: Param) -> Check:
    def check(value: str, ctx: Context) -> str:
        if not _LANGUAGE.fullmatch(value):
            raise InvalidParameter(p.name, "bad_language")
        return value.lower()

    return check


def _url(p: Param) -> Check:
    def check(value: str, ctx: Context) -> str:
        value = value.strip()
        if not value:
            raise MissingParameter(p.name)
        if p.max_len and len(value) > p.max_len:
            raise InvalidParameter(p.name, "too_long", max=p.max_len)
        if (
            value.startswith((".", "/"))
            or CONTROL_CHARACTERS.search(value)
            or any(c.isspace() for c in value)
        ):
            # spec §2.6: a relative path is "return URL is invalid", errorCode 4
            raise GatewayError(4, "bad_url", name=p.name)
        try:
            parts = urlsplit(value)
            _ = parts.port  # raises on a port out of range
        except ValueError as exc:
            raise GatewayError(4, "bad_url", name=p.name) from exc
        if not parts.scheme:
            # spec §2.6: a URL without scheme is resolved against the gateway host
            return f"{ctx.public_url}/{value}"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise GatewayError(4, "bad_url", name=p.name)
        return value

    return check


def is_absolute_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host, and nothing a browser would read otherwise
    (``javascript:``, ``data:``, ``//host``, spaces, control characters)."""
    if CONTROL_CHARACTERS.search(value) or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a port out of range
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _absolute_url(p: Param) -> Check:
    def check(value: str, ctx: Context) -> str:
        if p.max_len and len(value) > p.max_len:
            raise InvalidParameter(p.name, "too_long", max=p.max_len)
        if not is_absolute_http_url(value):
            raise InvalidParameter(p.name, "not_absolute_url")
        return value

    return check


def _encodable(data: Any) -> bool:
    """JSON escapes can spell lone surrogates (``"\\ud800"``), which no UTF-8 column takes."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json(p: Param, *, flat: bool) -> Check:
    def check(value: str, ctx: Context) -> Any:
        if p.max_len and len(value) > p.max_len:
            raise InvalidParameter(p.name, "too_long", max=p.max_len)
        try:
            data = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise InvalidParameter(p.name, "bad_json_params" if flat else "bad_json") from exc
        if data is None:
            return None
        if not isinstance(data, dict) or not _encodable(data):
            raise InvalidParameter(p.name, "bad_json_params" if flat else "bad_json")
        if flat:
            out: dict[str, str] = {}
            for k, v in data.items():
                if isinstance(v, dict | list):
                    raise InvalidParameter(p.name, "bad_json_params")
                out[str(k)] = v if isinstance(v, str) else json.dumps(v)
            for url_name in JSON_URL_NAMES:
                if url_name in out and not is_absolute_http_url(out[url_name]):
                    raise InvalidParameter(f"{p.name}.{url_name}", "not_absolute_url")
            return out
        return data

    return check


def _datetime(p: Param, *, utc: bool) -> Check:
    def check(value: str, ctx: Context) -> int:
        if not _DATE.fullmatch(value):
            raise InvalidParameter(p.name, "bad_date")
        try:
            naive = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")
        except ValueError as exc:
            raise InvalidParameter(p.name, "bad_date") from exc
        zone = ZoneInfo("UTC") if utc else ctx.timezone
        return int(naive.replace(tzinfo=zone).timestamp() * 1000)

    return check


def _bool(p: Param) -> Check:
    def check(value: str, ctx: Context) -> bool:
        low = value.strip().lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
        raise InvalidParameter(p.name)

    return check


def _compile(p: Param) -> Check:
    k = p.kind
    if k in (Kind.TEXT, Kind.SECRET):
        return _text(p)
    if k in (Kind.DIGITS, Kind.INTEGER, Kind.AMOUNT):
        return _digits(p, as_int=k is not Kind.DIGITS)
    if k is Kind.LANGUAGE:
        return _language(p)
    if k is Kind.URL:
        return _url(p)
    if k is Kind.ABSOLUTE_URL:
        return _absolute_url(p)
    if k in (Kind.JSON_FLAT, Kind.JSON):
        return _json(p, flat=k is Kind.JSON_FLAT)
    if k in (Kind.DATETIME, Kind.DATETIME_UTC):
        return _datetime(p, utc=k is Kind.DATETIME_UTC)
    if k is Kind.BOOL:
        return _bool(p)
    raise AssertionError(k)  # pragma: no cover


class ParamTable:
    """A method's compiled parameter table."""

    def __init__(self, params: Iterable[Param]) -> None:
        self.params = tuple(params)
        self._checks = [(p, _compile(p)) for p in self.params]

    def validate(self, raw: RawParams, ctx: Context) -> dict[str, Any]:
        """Typed values of the parameters present; unknown names are ignored (spec §10)."""
        out: dict[str, Any] = {}
        for p, check in self._checks:
            values = raw.get(p.name)
            if not values:
                if p.required:
                    raise MissingParameter(p.name)
                continue
            try:
                if p.repeatable:
                    out[p.name] = [check(v, ctx) for v in values]
                    continue
                # a repeated single-valued name: the first one wins, as the servlet API's
                # getParameter() does on the real gateways
                value = check(values[0], ctx)
            except InvalidParameter as exc:
                if p.error_code == exc.error_code:
                    raise
                raise GatewayError(p.error_code, exc.key, **exc.params) from exc
            if value is not None:
                out[p.name] = value
        return out


# -- the tables ----------------------------------------------------------------------
AUTH = (
    Param("userName", Kind.SECRET, 100),
    Param("password", Kind.SECRET, 200),
    Param("token", Kind.SECRET, 256),
    Param("merchantLogin", Kind.TEXT, 255),
    Param("language", Kind.LANGUAGE),
)

REGISTER = ParamTable(
    (
        *AUTH,
        Param("orderNumber", Kind.TEXT, 36, error_code=1),
        Param("amount", Kind.AMOUNT, 12, required=True),
        Param("currency", Kind.DIGITS, 3, exact=True),
        Param("returnUrl", Kind.URL, 512, required=True),
        Param("failUrl", Kind.URL, 512),
        Param("dynamicCallbackUrl", Kind.ABSOLUTE_URL, 512),
        Param("description", Kind.TEXT, 598),
        Param("pageView", Kind.TEXT, 20),
        Param("clientId", Kind.TEXT, 255),
        Param("jsonParams", Kind.JSON_FLAT, 1024),
        Param("sessionTimeoutSecs", Kind.INTEGER, 9),
        Param("expirationDate", Kind.DATETIME),
        # kept in ``extra`` too: the order is then payable with that binding only
        Param("bindingId", Kind.TEXT, 255, keep=True),
        Param("features", Kind.TEXT, 255, repeatable=True),
        Param("email", Kind.TEXT, 40),
        Param("phone", Kind.TEXT, 15),
        Param("ip", Kind.TEXT, 39),
        Param("postAddress", Kind.TEXT, 255, keep=True),
        Param("cardholderName", Kind.TEXT, 150, keep=True),
        Param("feeInput", Kind.INTEGER, 8, keep=True),
        Param("orderBundle", Kind.JSON),
        Param("taxSystem", Kind.DIGITS, 1, exact=True, keep=True),
        Param("billingPayerData", Kind.JSON, keep=True),
        Param("shippingPayerData", Kind.JSON, keep=True),
        Param("preOrderPayerData", Kind.JSON, keep=True),
        Param("orderPayerData", Kind.JSON, keep=True),
        Param("billingAndShippingAddressMatchIndicator", Kind.TEXT, 1, keep=True),
        Param("mcc", Kind.DIGITS, 4, keep=True),
        Param("mvv", Kind.TEXT, 255, keep=True),
        Param("paymentFacilitator", Kind.JSON, keep=True),
        Param("autocompletionDate", Kind.DATETIME_UTC),
        Param("autoReverseDate", Kind.DATETIME_UTC),
    )
)

STATUS = ParamTable(
    (
        *AUTH,
        Param("orderId", Kind.TEXT, 64),
        Param("orderNumber", Kind.TEXT, 36),
    )
)

# -- order lifecycle (spec §3.5-§3.8) ---------------------------------------------------
_ORDER_REF = (
    Param("orderId", Kind.TEXT, 64),
    Param("orderNumber", Kind.TEXT, 36),
)

DEPOSIT = ParamTable(
    (
        *AUTH,
        *_ORDER_REF,
        Param("amount", Kind.AMOUNT, 12, required=True),
        Param("currency", Kind.DIGITS, 3, exact=True),
        Param("depositItems", Kind.JSON),
        Param("jsonParams", Kind.JSON_FLAT, 1024),
    )
)

REVERSE = ParamTable(
    (
        *AUTH,
        *_ORDER_REF,
        Param("amount", Kind.AMOUNT, 12),
        Param("currency", Kind.DIGITS, 3, exact=True),
        Param("jsonParams", Kind.JSON_FLAT, 1024),
    )
)

REFUND = ParamTable(
    (
        *AUTH,
        *_ORDER_REF,
        Param("amount", Kind.AMOUNT, 12, required=True),
        Param("currency", Kind.DIGITS, 3, exact=True),
        Param("expectedDepositedAmount", Kind.AMOUNT, 12),
        Param("externalRefundId", Kind.TEXT, 32),
        Param("refundItems", Kind.JSON),
        Param("jsonParams", Kind.JSON_FLAT, 1024),
    )
)

DECLINE = ParamTable((*AUTH, *_ORDER_REF))

# -- stored credentials (spec §3.10) and addParams.do (§10) -------------------------------
GET_BINDINGS = ParamTable(
    (
        *AUTH,
        Param("clientId", Kind.TEXT, 255),
        Param("bindingType", Kind.TEXT, 1),
        Param("showExpired", Kind.BOOL),
    )
)

BINDINGS_BY_CARD_OR_ID = ParamTable(
    (
        *AUTH,
        Param("pan", Kind.DIGITS, 19),
        Param("bindingId", Kind.TEXT, 255),
        Param("showExpired", Kind.BOOL),
    )
)

BINDING_ID = ParamTable((*AUTH, Param("bindingId", Kind.TEXT, 255)))

EXTEND_BINDING = ParamTable(
    (
        *AUTH,
        Param("bindingId", Kind.TEXT, 255),
        Param("newExpiry", Kind.DIGITS, 6, exact=True),
    )
)

PAYMENT_ORDER_BINDING = ParamTable(
    (
        *AUTH,
        Param("mdOrder", Kind.TEXT, 64),
        Param("bindingId", Kind.TEXT, 255),
        Param("cvc", Kind.SECRET, 4),
        Param("ip", Kind.TEXT, 39),
        Param("email", Kind.TEXT, 40),
        Param("tii", Kind.TEXT, 1),
    )
)

CREATE_BINDING_NO_PAYMENT = ParamTable(
    (
        *AUTH,
        Param("clientId", Kind.TEXT, 255),
        Param("pan", Kind.DIGITS, 19),
        Param("expiryDate", Kind.DIGITS, 6, exact=True),
        Param("cardholderName", Kind.TEXT, 150),
        Param("bindingStrength", Kind.TEXT, 32),
        Param("email", Kind.TEXT, 40),
        Param("phone", Kind.TEXT, 15),
        Param("additionalParameters", Kind.JSON),
    )
)

ADD_PARAMS = ParamTable(
    (
        *AUTH,
        Param("orderId", Kind.TEXT, 64),
        Param("params", Kind.JSON, 1024),
    )
)
