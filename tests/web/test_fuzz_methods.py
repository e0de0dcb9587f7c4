"""A fuzzer over every API method's parameters, kept in the suite (issue 16), in-process.

hypothesis draws a method, a transport (form POST, GET query, JSON body), credentials
(right, wrong, none) and parameters from every parameter table (plus the card fields), with
values from the nasty end: control characters, lone surrogates, huge numbers, broken JSON,
hostile URLs, the merchant's own order id.  Every answer must be HTTP 200 JSON in the API's
form, never errorCode 7 "System error" nor a logged traceback, and a refused request must
leave the merchant's data as it was.  Bounded: ``MAX_EXAMPLES`` draws, each one request.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from ecomgate.services.context import Services
from ecomgate.web.api import params as tables
from ecomgate.web.api.messages import message

from ..support import MerchantCredentials, make_merchant

MAX_EXAMPLES = 400
#: figures for docs/security.md (printed at the end of the module's run)
FIGURES = {"requests": 0, "refused": 0, "system_errors": 0, "non_json": 0}

PARAM_NAMES = sorted(
    {
        p.name
        for table in vars(tables).values()
        if isinstance(table, tables.ParamTable)
        for p in table.params
    }
    | {"MDORDER", "$PAN", "$CVC", "$EXPIRY", "YYYY", "MM", "TEXT", "mdOrder", "email"}
)
SYSTEM_ERRORS = {message("system_error", "en"), message("system_error", "ru")}

NASTY_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "\ud800",
            "\udfff",
            "{",
            '{"a":',
            '{"a": {"b": [1, 2]}}',
            '{"note": "\\ud800"}',
            "[" * 2000,
            "9" * 40,
            "-1",
            "0",
            "1e309",
            "NaN",
            "javascript:alert(1)",
            "//evil.example/",
            "data:text/html,x",
            "https://shop.example/ok",
            "<script>alert(1)</script>",
            "' OR '1'='1",
            "4563960122001999",
            "2030-01-01T00:00:00",
            "201612",
            "x" * 5000,
        ]
    ),
)


@pytest.fixture(scope="module")
async def fuzz_merchant(services: Services) -> MerchantCredentials:
    permissions = (
        "card-payment-api",
        "bindings",
        "verify",
        "auto-payment",
        "create-binding-no-payment",
        "auto-completion",
        "auto-reverse",
        "fee-input",
        "other-merchants",
    )
    return await make_merchant(services, permissions=permissions)


@pytest.fixture(scope="module")
async def own_order(http_module: httpx.AsyncClient, fuzz_merchant: MerchantCredentials) -> str:
    r = await http_module.post(
        "/payment/rest/register.do",
        data={**fuzz_merchant.auth, "amount": "1000", "returnUrl": "https://shop.example/ok"},
    )
    return str(r.json()["orderId"])


@pytest.fixture(scope="module")
async def http_module(app: Starlette, engine: str) -> Any:
    FIGURES.update(dict.fromkeys(FIGURES, 0))
    transport = httpx.ASGITransport(app=app, client=("192.0.2.50", 40000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://gateway.test", timeout=30
    ) as client:
        yield client
    print(f"\nfuzz figures ({engine}): {FIGURES}")


async def snapshot(services: Services, login: str) -> tuple[Any, ...]:
    """What a refused request must not change: the merchant's orders, ledger and cards."""
    async with services.store.transaction() as repos:
        merchant = await repos.merchants.get_by_login(login)
        assert merchant is not None
        db = repos.db  # type: ignore[attr-defined]
        orders = await db.fetchall(
            "SELECT id, status, action_code, attempts FROM orders WHERE merchant_id = $1"
            " ORDER BY id",
            merchant.id,
        )
        operations = await db.fetchone(
            "SELECT count(*) AS n FROM operations o JOIN orders r ON r.id = o.order_id"
            " WHERE r.merchant_id = $1",
            merchant.id,
        )
        bindings = await db.fetchone(
            "SELECT count(*) AS n FROM bindings WHERE merchant_id = $1", merchant.id
        )
    return (tuple(tuple(r) for r in orders), operations["n"], bindings["n"])


def draw_params(data: st.DataObject, own_order: str) -> dict[str, str]:
    """Half the draws start from a request that would pass (so the fuzzer gets past the
    first check), then a few parameters are replaced or added."""
    base = {
        "amount": "1000",
        "returnUrl": "https://shop.example/ok",
        "orderId": own_order,
        "mdOrder": own_order,
        "MDORDER": own_order,
    }
    fields = dict(base) if data.draw(st.booleans(), label="from a valid base") else {}
    names = data.draw(st.lists(st.sampled_from(PARAM_NAMES), max_size=6, unique=True))
    values = st.one_of(NASTY_TEXT, st.just(own_order), st.integers().map(str))
    fields.update({name: data.draw(values) for name in names})
    return fields


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(data=st.data())
async def test_no_input_to_any_method_is_a_system_error_or_changes_state_when_refused(
    data: st.DataObject,
    app: Starlette,
    http_module: httpx.AsyncClient,
    services: Services,
    fuzz_merchant: MerchantCredentials,
    own_order: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    method = data.draw(st.sampled_from(sorted(app.state.api.methods)), label="method")
    fields = draw_params(data, own_order)
    credentials = data.draw(
        st.sampled_from(["right", "right", "wrong", "none"]), label="credentials"
    )
    if credentials == "right":
        fields = {**fuzz_merchant.auth, **fields}
    elif credentials == "wrong":
        # another login: the fuzz merchant's own must not be throttled by the fuzzer
        fields = {"userName": f"{fuzz_merchant.login}-x", "password": "wrong", **fields}
    transport = data.draw(st.sampled_from(["form", "query", "json"]), label="transport")
    before = await snapshot(services, fuzz_merchant.login)
    caplog.clear()
    path = f"/payment/rest/{method}.do"
    with caplog.at_level(logging.ERROR):
        if transport == "json":
            content = json.dumps(fields).encode()  # surrogates travel as \\ud800 escapes
            r = await http_module.post(
                path, content=content, headers={"content-type": "application/json"}
            )
        else:
            safe = {
                k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
                for k, v in fields.items()
            }
            if transport == "query":
                r = await http_module.get(path, params=safe)
            else:
                r = await http_module.post(path, data=safe)
    FIGURES["requests"] += 1
    assert r.status_code == 200, (method, r.status_code, r.text)
    try:
        answer = r.json()
    except ValueError:
        FIGURES["non_json"] += 1
        raise
    text = answer.get("errorMessage", answer.get("ErrorMessage", ""))
    if text in SYSTEM_ERRORS:
        FIGURES["system_errors"] += 1
    assert text not in SYSTEM_ERRORS, (method, transport, fields, answer, caplog.text)
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR], caplog.text
    code = answer.get("errorCode", answer.get("ErrorCode", "0"))
    if code != "0":
        FIGURES["refused"] += 1
        assert await snapshot(services, fuzz_merchant.login) == before, (method, fields, answer)
