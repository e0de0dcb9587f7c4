"""What fuzzing found as system errors with a traceback, on both engines against a real
``ecomgate serve`` (issue 16): a lone surrogate in jsonParams or orderBundle, and a NUL in
merchantLogin (PostgreSQL refuses NUL in text), are now errorCode 5 and leave no error in
the log."""

from __future__ import annotations

import httpx

from ecomgate.testing.processes import GatewayProcess

from ..support import MerchantCredentials, assert_error

RETURN_URL = "https://shop.example/ok"


async def test_surrogates_and_nul_are_refused_not_system_errors(
    gateway: GatewayProcess, merchant: MerchantCredentials
) -> None:
    base = {**merchant.auth, "amount": 100, "returnUrl": RETURN_URL, "language": "en"}
    bundle = '{"cartItems": {"items": [{"positionId": 1, "name": "\\udfff", "itemAmount": 100}]}}'
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as http:
        register = "/payment/rest/register.do"
        answers = {
            "jsonParams": (await http.post(register, json={**base, "jsonParams": '{"a": "\\ud800"}'})).json(),
            "orderBundle": (await http.post(register, json={**base, "orderBundle": bundle})).json(),
            "merchantLogin": (await http.post(register, data={**base, "merchantLogin": "a\x00b"})).json(),
        }  # fmt: skip
    assert_error(answers["jsonParams"], "5", "bad_json_params", name="jsonParams")
    assert_error(answers["orderBundle"], "5", "bad_json", name="orderBundle")
    assert_error(answers["merchantLogin"], "5", "access_denied")
    assert "Traceback" not in gateway.log()
