"""The emulated ACS pages over real HTTP: a uvicorn server on 127.0.0.1 serving only the
emulator's routes, driven with httpx the way a browser would."""

from __future__ import annotations

import html
import re
import socket
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from ecomgate.acquirers.base import (
    AuthorizationRequest,
    CardData,
    Outcome,
    ThreeDSChallenge,
    ThreeDSCompletion,
)
from ecomgate.acquirers.emulator import EmulatorAcquirer, acs_routes

from ..support import wait_until

SECRET = b"acs-page-secret"
#: where the gateway's finish3ds.do is: the ACS posts only to the gateway it serves
TERM_PATH = "/payment/rest/finish3ds.do?lang=en"


@pytest.fixture(scope="module")
def acs_server() -> Iterator[str]:
    # port 0: the system picks a free port on a socket we keep and hand to uvicorn
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = Starlette(routes=[Mount("/acs", routes=acs_routes(EmulatorAcquirer(SECRET, base_url)))])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=10, what="uvicorn serving the ACS pages")
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _emulator(base_url: str) -> EmulatorAcquirer:
    """Another instance with the same secret: the gateway process, separate from the ACS."""
    return EmulatorAcquirer(SECRET, base_url)


async def _authorize(
    emulator: EmulatorAcquirer, pan: str
) -> tuple[AuthorizationRequest, ThreeDSChallenge]:
    request = AuthorizationRequest(
        operation_id=str(uuid.uuid4()),
        order_id=str(uuid.uuid4()),
        merchant_login="demo-shop",
        amount=150_000,
        currency="643",
        card=CardData(pan, 2034, 12, "123", "TEST CARDHOLDER"),
        two_phase=False,
        term_url=emulator.acs_base_url + TERM_PATH,
        three_ds_protocol="3ds1",  # the password page (3-D Secure 2: tests/web)
    )
    result = await emulator.authorize(request)
    assert result.outcome is Outcome.CHALLENGE
    assert result.challenge is not None
    return request, result.challenge


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', page)
    assert match, f"no hidden {name}"
    return html.unescape(match.group(1))


def _form_action(page: str) -> str:
    match = re.search(r'<form[^>]* action="([^"]*)"', page)
    assert match
    return html.unescape(match.group(1))


async def _pay_through_acs(base_url: str, pan: str, password: str | None, lang: str = "en"):
    emulator = _emulator(base_url)
    request, challenge = await _authorize(emulator, pan)
    acs_url = challenge.acs_url
    async with httpx.AsyncClient() as browser:
        page = await browser.post(
            acs_url,
            data={
                "PaReq": challenge.pa_req,
                "MD": challenge.md,
                "TermUrl": base_url + TERM_PATH,
                "lang": lang,
            },
        )
        assert page.status_code == 200
        form = {name: _hidden(page.text, name) for name in ("PaReq", "MD", "TermUrl", "lang")}
        if password is None:
            form["action"] = "cancel"
        else:
            form |= {"password": password, "action": "submit"}
        target = str(page.url.join(_form_action(page.text)))
        answer = await browser.post(target, data=form)
    assert answer.status_code == 200
    assert _form_action(answer.text) == base_url + TERM_PATH
    assert 'document.getElementById("return").submit()' in answer.text
    pa_res, md = _hidden(answer.text, "PaRes"), _hidden(answer.text, "MD")
    assert md == request.order_id
    completion = ThreeDSCompletion(
        request.order_id, md, pa_res, request.amount, "643", False, operation_id="op-1"
    )
    return page.text, await emulator.complete_3ds(completion)


async def test_the_right_password_on_the_acs_page_approves(acs_server: str) -> None:
    page, result = await _pay_through_acs(acs_server, "4111111111111111", "12345678")
    assert "Verified by Visa" in page
    assert "4111 11** **** 1111" in page
    assert "1500.00 RUB" in page
    assert "12345678" in page  # the test-password hint
    assert "4111111111111111" not in page
    assert (result.outcome, result.action_code, result.eci) == (Outcome.APPROVED, 0, "05")


async def test_wrong_acs_password_declines_with_minus_2006(acs_server: str) -> None:
    page, result = await _pay_through_acs(acs_server, "5555555555555599", "00000000")
    assert "Mastercard ID Check" in page
    assert (result.outcome, result.action_code) == (Outcome.DECLINED, -2006)


async def test_cancel_on_the_acs_page_declines_with_minus_2006(acs_server: str) -> None:
    _, result = await _pay_through_acs(acs_server, "4111111111111111", None)
    assert result.action_code == -2006


async def test_the_card_whose_issuer_cannot_finish_shows_the_page_then_minus_2011(
    acs_server: str,
) -> None:
    page, result = await _pay_through_acs(acs_server, "5555555555555557", "12345678")
    assert "password" in page.lower()
    assert (result.outcome, result.action_code) == (Outcome.DECLINED, -2011)


async def test_the_acs_page_speaks_russian_when_asked(acs_server: str) -> None:
    page, _ = await _pay_through_acs(acs_server, "4111111111111111", "12345678", lang="ru")
    assert '<html lang="ru">' in page
    assert "Тестовый пароль: 12345678" in page


async def test_the_acs_page_also_opens_with_get_for_manual_testing(acs_server: str) -> None:
    emulator = _emulator(acs_server)
    _, challenge = await _authorize(emulator, "4111111111111111")
    acs_url = challenge.acs_url
    async with httpx.AsyncClient() as browser:
        page = await browser.get(
            acs_url,
            params={
                "PaReq": challenge.pa_req,
                "MD": challenge.md,
                "TermUrl": acs_server + TERM_PATH,
            },
        )
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    # only the gateway's own pages may frame the ACS page, or receive its post
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "SAMEORIGIN"


@pytest.mark.parametrize(
    "term_url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "//evil.test/x",
        "",
        "ftp://x/y",
        "https://evil.test/payment/rest/finish3ds.do",  # another site: never gets a PaRes
    ],
)
async def test_a_term_url_that_is_not_the_gateways_own_is_refused(
    acs_server: str, term_url: str
) -> None:
    emulator = _emulator(acs_server)
    _, challenge = await _authorize(emulator, "4111111111111111")
    acs_url = challenge.acs_url
    async with httpx.AsyncClient() as browser:
        fields = {"PaReq": challenge.pa_req, "MD": challenge.md, "TermUrl": term_url}
        page = await browser.post(acs_url, data=fields)
        answer = await browser.post(
            acs_url.replace("challenge", "authenticate"), data=fields | {"password": "12345678"}
        )
    assert page.status_code == answer.status_code == 400
    assert "PaRes" not in answer.text


async def test_a_forged_pa_req_gets_an_error_page(acs_server: str) -> None:
    async with httpx.AsyncClient() as browser:
        page = await browser.post(
            f"{acs_server}/acs/emulator/challenge",
            data={"PaReq": "<script>x</script>.abc", "MD": "o", "TermUrl": acs_server + TERM_PATH},
        )
    assert page.status_code == 400
    assert "<script>x" not in page.text
