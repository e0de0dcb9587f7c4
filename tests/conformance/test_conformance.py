"""The conformance runner (``ecomgate conformance``), on both engines: against EcomGate
itself every rule passes, the callback checksum rule included; against a deliberately
broken gateway (EcomGate behind a proxy that answers numeric errorCodes and adds an
``errorCode`` to register.do's success) exactly the rules about that fail, with the
answer in the report; the JUnit XML counts match; the CLI end to end.

These are the same rules EcomGate's own API tests hold it to, written once in
``ecomgate.conformance.rules``."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ecomgate.conformance.probe import CallbackSetup, Probe
from ecomgate.conformance.report import junit_xml, rules_table, text_report
from ecomgate.conformance.rules import RULES
from ecomgate.conformance.runner import FAIL, PASS, SKIP, RunReport, run, select
from ecomgate.services import merchants as merchant_service
from ecomgate.services.context import Services
from ecomgate.testing.processes import GatewayProcess

from ..support import MerchantCredentials, make_merchant

SECRET = "conformance-callback-secret"
PERMISSIONS = ("card-payment-api", "deposit", "partial-deposit", "reverse", "refund")
#: what the broken gateway breaks, and the rules that say so
BROKEN_RULES = {"errors.code-is-string", "register.success-shape", "register.preauth-success-shape"}


@pytest.fixture
async def shop(services: Services) -> MerchantCredentials:
    """A merchant that may pay by API, capture, reverse and refund, with a callback secret
    (the callback rule sends its orders' callbacks to dynamicCallbackUrl)."""
    creds = await make_merchant(services, permissions=PERMISSIONS)
    await merchant_service.update_merchant(
        services, creds.login, settings={"callback_secret": SECRET}
    )
    return creds


def outcomes(report: RunReport) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {PASS: set(), FAIL: set(), SKIP: set()}
    for result in report.results:
        found[result.outcome].add(result.rule.id)
    return found


def broken_gateway(client: httpx.AsyncClient) -> Starlette:
    """EcomGate (``client``'s base URL) behind a proxy that breaks §10: every errorCode a
    JSON number, and register.do / registerPreAuth.do success with an ``"errorCode": "0"``
    key."""

    async def forward(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() == "content-type"}
        answer = await client.request(
            request.method,
            request.url.path,
            params=request.url.query,
            content=await request.body(),
            headers=headers,
        )
        try:
            body: Any = answer.json()
        except ValueError:
            return Response(answer.content, answer.status_code, media_type="text/html")
        if isinstance(body, dict):
            if isinstance(body.get("errorCode"), str) and body["errorCode"].isdigit():
                body["errorCode"] = int(body["errorCode"])
            if request.url.path.endswith(("/register.do", "/registerPreAuth.do")) and (
                "orderId" in body
            ):
                body["errorCode"] = "0"
        return Response(json.dumps(body), answer.status_code, media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])])


async def test_every_rule_passes_against_ecomgate(
    gateway: GatewayProcess, shop: MerchantCredentials
) -> None:
    probe = Probe(
        gateway.base_url,
        user=shop.login,
        password=shop.password,
        callback=CallbackSetup("127.0.0.1", 0, SECRET),
        timeout=20,
    )
    seen: list[tuple[int, int, str]] = []
    try:
        report = await run(probe, progress=lambda i, n, r: seen.append((i, n, r.rule.id)))
    finally:
        await probe.aclose()
    assert outcomes(report)[PASS] == {r.id for r in RULES}, text_report(report)
    # every request and answer is in the verbose report and the JUnit XML; no password is
    verbose = text_report(report, verbose=True)
    assert "GET http://127.0.0.1" in verbose and "[query]" in verbose
    assert "password=%2A%2A%2A" in verbose
    assert shop.password not in verbose and shop.password.encode() not in junit_xml(report)
    assert seen == [(i, len(RULES), r.id) for i, r in enumerate(RULES, 1)]
    assert len(RULES) >= 40


async def test_the_callback_rule_is_skipped_without_a_listener(
    gateway: GatewayProcess, shop: MerchantCredentials
) -> None:
    probe = Probe(gateway.base_url, user=shop.login, password=shop.password)
    try:
        report = await run(probe, select(["callback.*"]))
    finally:
        await probe.aclose()
    [result] = report.results
    assert result.outcome == SKIP and "--callback-listen" in result.message


async def test_paymentorder_refused_skips_the_lifecycle_rules(
    gateway: GatewayProcess, services: Services
) -> None:
    creds = await make_merchant(services, permissions=("deposit", "reverse", "refund"))
    probe = Probe(gateway.base_url, user=creds.login, password=creds.password)
    try:
        report = await run(probe, select(["lifecycle.pay-*", "lifecycle.refund-partial"]))
    finally:
        await probe.aclose()
    assert [r.outcome for r in report.results] == [SKIP, SKIP], text_report(report)
    assert all("paymentorder.do" in r.message for r in report.results)
    assert report.ok


@pytest.fixture
async def broken(gateway: GatewayProcess) -> AsyncIterator[Starlette]:
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as client:
        yield broken_gateway(client)


async def test_a_gateway_with_numeric_error_codes_fails_exactly_those_rules(
    broken: Starlette, shop: MerchantCredentials
) -> None:
    probe = Probe(
        "http://broken.test",
        user=shop.login,
        password=shop.password,
        transport=httpx.ASGITransport(app=broken),
    )
    try:
        report = await run(probe)
    finally:
        await probe.aclose()
    found = outcomes(report)
    assert found[FAIL] == BROKEN_RULES, text_report(report)
    assert found[SKIP] == {"callback.checksum"}
    assert not report.ok

    by_id = {r.rule.id: r for r in report.results}
    shape = by_id["register.success-shape"]
    assert "errorCode" in shape.message
    text = text_report(report)
    # the failed rule's request and answer are in the report
    assert "POST http://broken.test/payment/rest/register.do" in text
    assert '"errorCode": "0"' in text
    assert "password=%2A%2A%2A" in text and shop.password not in text
    numeric = by_id["errors.code-is-string"]
    assert "is not a JSON string of digits" in numeric.message
    assert any(
        '"errorCode": ' in e.text and '"errorCode": "' not in e.text for e in numeric.exchanges
    )

    # (3) JUnit XML: one suite, one case per rule, the counts of the run
    suite = ET.fromstring(junit_xml(report))
    assert suite.tag == "testsuite"
    assert int(suite.get("tests", "")) == len(RULES) == len(suite.findall("testcase"))
    assert int(suite.get("failures", "")) == len(BROKEN_RULES)
    assert int(suite.get("skipped", "")) == 1
    failed = {c.get("name") for c in suite.findall("testcase") if c.find("failure") is not None}
    assert failed == BROKEN_RULES
    case = next(c for c in suite.findall("testcase") if c.get("name") == "register.success-shape")
    failure = case.find("failure")
    assert failure is not None and failure.text is not None
    assert "register.do" in failure.text and '"errorCode": "0"' in failure.text
    skipped = [c.get("name") for c in suite.findall("testcase") if c.find("skipped") is not None]
    assert skipped == ["callback.checksum"]


# -- the command line, end to end -------------------------------------------------------
async def cli(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ecomgate.cli",
        "conformance",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def serve(app: Starlette) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):  # bounded: uvicorn starts in milliseconds
        if server.started:
            return server, task, f"http://127.0.0.1:{sock.getsockname()[1]}"
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    raise RuntimeError("the broken gateway did not start")


async def test_cli_passes_against_ecomgate(
    gateway: GatewayProcess, shop: MerchantCredentials, tmp_path: Path
) -> None:
    junit = tmp_path / "conformance.xml"
    status, out, err = await cli(
        "--base-url", gateway.base_url,
        "--user", shop.login,
        "--password", shop.password,
        "--callback-listen", "127.0.0.1:0",
        "--callback-secret", SECRET,
        "--junit", str(junit),
    )  # fmt: skip
    assert status == 0, out + err
    total = len(RULES)
    assert f"[ 1/{total}] pass  transport.http-200-json" in err
    assert f"{total} passed, 0 failed, 0 skipped of {total} rules" in err
    assert "PASS  callback.checksum" in out
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == (
        str(total),
        "0",
        "0",
    )


async def test_cli_fails_against_the_broken_gateway(
    broken: Starlette, shop: MerchantCredentials
) -> None:
    server, task, url = await serve(broken)
    try:
        status, out, err = await cli(
            "--base-url", url,
            "--user", shop.login,
            "--password", shop.password,
            "--only", "register.*",
            "--only", "errors.*",
        )  # fmt: skip
    finally:
        server.should_exit = True
        await task
    assert status == 1, out + err
    for rule_id in BROKEN_RULES:
        assert f"fail  {rule_id}" in err
        assert f"FAIL  {rule_id}" in out
    assert '"errorCode": "0"' in out
    assert f"{len(select(['register.*', 'errors.*']))} rules" in err


async def test_cli_usage_errors() -> None:
    status, _, err = await cli("--base-url", "http://127.0.0.1:9", "--user", "u")
    assert status == 2 and "--password" in err
    status, _, err = await cli("--base-url", "http://x", "--token", "t", "--only", "nothing.*")
    assert status == 2 and "no rule matches" in err
    status, _, err = await cli("--base-url", "gateway.example", "--token", "t")
    assert status == 2 and "http:// or https://" in err
    status, out, _ = await cli("--base-url", "http://x", "--list", "--only", "transport.*")
    assert status == 0 and len(out.splitlines()) == len(select(["transport.*"]))


def test_the_documented_rule_table_is_current() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "conformance.md").read_text()
    assert rules_table() in doc, "regenerate the table in docs/conformance.md (rules_table())"


async def test_cli_against_nothing_fails_every_rule_it_runs() -> None:
    """A gateway that does not answer: the rules fail, saying so, and the exit status is 1."""
    status, out, err = await cli(
        "--base-url", "http://127.0.0.1:9", "--user", "u", "--password", "secret-pw",
        "--only", "transport.post-form", "--only", "status.no-id", "--timeout", "2",
    )  # fmt: skip
    assert status == 1, out + err
    assert "0 passed, 2 failed, 0 skipped of 2 rules" in err
    assert "no answer (ConnectError" in out and "secret-pw" not in out + err
