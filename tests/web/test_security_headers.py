"""Headers on every answer (issue 16): nosniff everywhere, no-store on API answers,
Permissions-Policy on pages, HSTS when the public URL is https, no Server banner."""

from __future__ import annotations

import httpx
import pytest

from ecomgate.config import Settings
from ecomgate.web.app import create_app
from ecomgate.web.security_headers import HSTS, PERMISSIONS_POLICY

from ..support import Api


async def test_api_answers_are_nosniff_and_never_cached(http: httpx.AsyncClient, api: Api) -> None:
    for response in (
        await http.post("/payment/rest/register.do", data={"amount": "1"}),
        await http.get("/payment/rest/getOrderStatusExtended.do"),
        await http.get("/payment/rest/noSuchMethod.do"),
        await http.post("/sandbox/merchants", data={}),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        assert "server" not in response.headers
        assert "strict-transport-security" not in response.headers  # public URL is http


async def test_pages_carry_nosniff_and_a_permissions_policy(
    http: httpx.AsyncClient, api: Api
) -> None:
    form_url = (await api.register())["formUrl"]
    page = await http.get(form_url)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["permissions-policy"] == PERMISSIONS_POLICY


async def test_health_and_not_found_carry_nosniff(http: httpx.AsyncClient) -> None:
    for path in ("/health", "/no/such/page"):
        assert (await http.get(path)).headers["x-content-type-options"] == "nosniff"


async def test_hsts_when_the_public_url_is_https(tmp_path: pytest.TempPathFactory) -> None:
    app = create_app(Settings(public_url="https://pay.example", data_dir=tmp_path))  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://pay.example") as client:
        response = await client.get("/no/such/page")
    assert response.headers["strict-transport-security"] == HSTS
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_production_gateway_refuses_the_emulator_unless_told() -> None:
    with pytest.raises(ValueError, match="ECOMGATE_ALLOW_EMULATOR_IN_PRODUCTION"):
        create_app(Settings(sandbox=False, acquirer="emulator"))
    create_app(Settings(sandbox=False, acquirer="emulator", allow_emulator_in_production=True))


async def test_health_says_which_acquirer_serves(http: httpx.AsyncClient) -> None:
    body = (await http.get("/health")).json()
    assert body["acquirer"] == "emulator" and body["sandbox"] is True
    assert "emulatorInProduction" not in body
