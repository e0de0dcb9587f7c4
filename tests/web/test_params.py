"""web/api/params.py directly: the parameter tables, the checks each kind compiles to, the
order-id parser, and where ``read_params`` finds parameters (spec §10).  No app, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.requests import Request

from ecomgate.domain.errors import GatewayError
from ecomgate.web.api import params
from ecomgate.web.api.params import (
    DECLINE,
    DEPOSIT,
    REFUND,
    REGISTER,
    REVERSE,
    STATUS,
    Context,
    Kind,
    Param,
    ParamTable,
    RawParams,
)

CTX = Context(timezone=ZoneInfo("Europe/Moscow"), public_url="http://gateway.test")
MINIMAL = {"amount": ["2000"], "returnUrl": ["https://shop.example/ok"]}


def register(**extra: str | list[str]) -> dict[str, Any]:
    raw: RawParams = {**MINIMAL}
    for name, value in extra.items():
        raw[name] = value if isinstance(value, list) else [value]
    return REGISTER.validate(raw, CTX)


def refused(table: ParamTable, raw: RawParams) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        table.validate(raw, CTX)
    return caught.value


def register_refused(**extra: str) -> tuple[int, str, dict[str, Any]]:
    raw: RawParams = {**MINIMAL, **{k: [v] for k, v in extra.items()}}
    error = refused(REGISTER, raw)
    return error.error_code, error.key, error.params


# -- the tables --------------------------------------------------------------------------
def test_register_requires_amount_and_return_url_only() -> None:
    required = {p.name for p in REGISTER.params if p.required}
    assert required == {"amount", "returnUrl"}
    assert refused(REGISTER, {"amount": ["1"]}).params == {"name": "returnUrl"}
    error = refused(REGISTER, {"returnUrl": ["https://s.example"]})
    assert (error.error_code, error.key, error.params) == (
        4,
        "missing_parameter",
        {"name": "amount"},
    )


@pytest.mark.parametrize("table", [STATUS, DECLINE])
def test_tables_that_only_name_an_order_require_nothing(table: ParamTable) -> None:
    assert table.validate({}, CTX) == {}


@pytest.mark.parametrize(
    ("table", "amount_required"), [(DEPOSIT, True), (REFUND, True), (REVERSE, False)]
)
def test_lifecycle_tables_require_an_amount_except_reverse(
    table: ParamTable, amount_required: bool
) -> None:
    amount = next(p for p in table.params if p.name == "amount")
    assert amount.required is amount_required
    assert amount.kind is Kind.AMOUNT


def test_every_table_takes_the_credentials_and_language() -> None:
    for table in (REGISTER, STATUS, DEPOSIT, REVERSE, REFUND, DECLINE):
        names = {p.name for p in table.params}
        assert {"userName", "password", "token", "merchantLogin", "language"} <= names


def test_typed_values_and_unknown_names_ignored() -> None:
    values = register(
        currency="978",
        language="EN",
        sessionTimeoutSecs="600",
        jsonParams='{"colour": "green", "n": 7}',
        orderBundle='{"cartItems": {"items": []}}',
        somethingNew="ignored",
    )
    assert values == {
        "amount": 2000,
        "returnUrl": "https://shop.example/ok",
        "currency": "978",
        "language": "en",
        "sessionTimeoutSecs": 600,
        "jsonParams": {"colour": "green", "n": "7"},
        "orderBundle": {"cartItems": {"items": []}},
    }


def test_a_repeated_single_value_takes_the_first_and_a_repeatable_one_keeps_all() -> None:
    values = register(amount=["1000", "100000"], features=["FORCE_TDS", "FORCE_SSL"])
    assert values["amount"] == 1000
    assert values["features"] == ["FORCE_TDS", "FORCE_SSL"]


def test_null_json_params_count_as_absent() -> None:
    assert "jsonParams" not in register(jsonParams="null")


# -- the checks of each kind ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "value", "code", "key", "extra"),
    [
        ("amount", "19.99", 5, "not_amount", {"max": 12}),
        ("amount", "١٠٠٠", 5, "not_amount", {"max": 12}),
        ("amount", "1234567890123", 5, "not_amount", {"max": 12}),
        ("currency", "64", 5, "wrong_length", {"max": 3}),
        ("currency", "RUB", 5, "not_digits", {"max": 3}),
        ("sessionTimeoutSecs", "ten", 5, "not_digits", {"max": 9}),
        ("language", "r1", 5, "bad_language", {}),
        ("language", "english", 5, "bad_language", {}),
        ("orderNumber", "N" * 37, 1, "too_long", {"max": 36}),  # spec §3.1: errorCode 1
        ("orderNumber", "<b>1</b>", 1, "html_not_allowed", {}),
        ("description", "<script>x</script>", 5, "html_not_allowed", {}),
        ("description", "a\x00b", 5, "control_characters", {}),
        ("jsonParams", '{"a": {"b": 1}}', 5, "bad_json_params", {}),
        ("jsonParams", "[1, 2]", 5, "bad_json_params", {}),
        ("orderBundle", "{broken", 5, "bad_json", {}),
        ("orderBundle", "[" * 100_000, 5, "bad_json", {}),
        ("expirationDate", "2030-13-01T00:00:00", 5, "bad_date", {}),
        ("expirationDate", "tomorrow", 5, "bad_date", {}),
        ("returnUrl", "/relative", 4, "bad_url", {}),
        ("returnUrl", "javascript:alert(1)", 4, "bad_url", {}),
        ("returnUrl", "http://shop.example:99999/", 4, "bad_url", {}),
        ("returnUrl", "http://[::1/", 4, "bad_url", {}),
        ("failUrl", "https://", 4, "bad_url", {}),
        ("returnUrl", "   ", 4, "missing_parameter", {}),
    ],
)
def test_each_kind_refuses_with_its_code_key_and_the_parameter_name(
    name: str, value: str, code: int, key: str, extra: dict[str, Any]
) -> None:
    assert register_refused(**{name: value}) == (code, key, {"name": name, **extra})


def test_credentials_are_opaque_text_but_still_free_of_control_characters() -> None:
    assert register(password="pass<word1")["password"] == "pass<word1"
    assert register_refused(userName="a\x00b") == (5, "control_characters", {"name": "userName"})


def test_a_url_without_scheme_is_resolved_against_the_gateway() -> None:
    assert register(returnUrl="shop/ok")["returnUrl"] == "http://gateway.test/shop/ok"
    assert register(returnUrl=" https://shop.example/ok ")["returnUrl"] == "https://shop.example/ok"


def test_dates_are_read_in_the_gateway_zone_and_the_auto_dates_in_utc() -> None:
    values = register(
        expirationDate="2030-01-01T03:00:00", autocompletionDate="2030-01-01T03:00:00"
    )
    midnight_utc = int(datetime(2030, 1, 1, tzinfo=UTC).timestamp() * 1000)
    assert values["expirationDate"] == midnight_utc  # 03:00 in Moscow
    assert values["autocompletionDate"] == midnight_utc + 3 * 3600 * 1000


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("1", True), ("No", False)])
def test_a_bool_parameter(raw: str, value: bool) -> None:
    table = ParamTable([Param("flag", Kind.BOOL)])
    assert table.validate({"flag": [raw]}, CTX) == {"flag": value}


def test_a_bool_parameter_refuses_anything_else() -> None:
    error = refused(ParamTable([Param("flag", Kind.BOOL)]), {"flag": ["maybe"]})
    assert (error.error_code, error.key, error.params) == (5, "invalid_parameter", {"name": "flag"})


# -- order ids -----------------------------------------------------------------------------
def test_an_order_id_in_any_accepted_spelling_is_normalised() -> None:
    canonical = "01491d0b-c848-7dd6-a20d-e96900a7d8c0"
    assert params.order_id(canonical.upper()) == canonical
    assert params.order_id(canonical.replace("-", "")) == canonical


def test_an_order_number_sent_as_order_id_is_an_unknown_order_with_a_hint() -> None:
    with pytest.raises(GatewayError) as caught:
        params.order_id("my-order-42")
    assert (caught.value.error_code, caught.value.key) == (6, "order_id_not_uuid")


# -- read_params ---------------------------------------------------------------------------
def _request(
    method: str, body: bytes = b"", query: bytes = b"", headers: dict[str, str] | None = None
) -> Request:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": method,
        "path": "/payment/rest/register.do",
        "query_string": query,
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    return Request(scope, receive)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_the_body_wins_over_the_query_string_and_empty_values_are_absent() -> None:
    raw = await params.read_params(
        _request("POST", b"amount=1000&description=", b"amount=1&orderNumber=Q", FORM)
    )
    assert raw == {"amount": ["1000"], "orderNumber": ["Q"]}


async def test_a_json_object_body_is_read_whatever_its_content_type() -> None:
    raw = await params.read_params(
        _request("POST", b'{"amount": 1000, "ok": true, "jsonParams": {"a": "b"}, "x": null}')
    )
    assert raw == {"amount": ["1000"], "ok": ["true"], "jsonParams": ['{"a": "b"}']}


async def test_a_get_with_a_form_body_and_a_post_with_only_a_query() -> None:
    assert await params.read_params(_request("GET", b"amount=5", headers=FORM)) == {"amount": ["5"]}
    json_labelled = {"Content-Type": "application/json"}
    assert await params.read_params(_request("POST", b"", b"amount=6", json_labelled)) == {
        "amount": ["6"]
    }


async def test_lone_surrogates_in_json_are_replaced() -> None:
    raw = await params.read_params(_request("POST", b'{"description": "\\udcff"}'))
    assert raw == {"description": ["?"]}


async def test_a_declared_body_over_one_megabyte_is_refused_unread() -> None:
    request = _request("POST", b"", headers={"Content-Length": str(params.MAX_BODY + 1)})
    with pytest.raises(GatewayError) as caught:
        await params.read_params(request)
    assert (caught.value.error_code, caught.value.key) == (5, "body_too_large")
    assert caught.value.params == {"max": params.MAX_BODY}
