"""Card-data hygiene, on both engines (issue 16): after payment flows against a real
``ecomgate serve`` logging at trace level — cards approved and declined, 3-D Secure through
the ACS, a card stored and paid again with its CVC, a card imported without payment, a
lookup by PAN, and card fields wrongly sent in a query string — no test PAN is found in
clear in the gateway's log, the database (the SQLite file and its WAL, or a ``pg_dump``) or
any callback the shop received, and no CVC next to a card-field name anywhere."""

from __future__ import annotations

import asyncio
import re
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from ecomgate.domain.merchant import MerchantSettings
from ecomgate.services.context import Services
from ecomgate.storage.sqlite import sqlite_path
from ecomgate.testing.buyer import card_fields, pay_sync
from ecomgate.testing.processes import start_gateway
from ecomgate.testing.receiver import CallbackReceiver

from ..support import make_merchant

YEAR = str(datetime.now(UTC).year + 3)
RETURN_URL = "https://shop.example/ok"
#: (PAN, CVC) as the flows below use them: approved, declined, 3-D Secure, Maestro
CARDS = [
    ("4563960122001999", "347"),
    ("4444444444446666", "123"),
    ("4111111111111111", "123"),
    ("5555555555555599", "123"),
    ("639002000000000003", "123"),
    ("4444555511113333", "123"),
]
IMPORTED_PAN = "4012001038166662"
QUERY_PAN = "4000001111111118"
ALL_PANS = sorted({pan for pan, _ in CARDS} | {IMPORTED_PAN, QUERY_PAN})
#: a CVC in clear next to a card-field name: "$CVC=347", '"cvc": "123"', "cvc2: 347" ...
CVC_NEAR_NAME = re.compile(
    rb"(?i)(\$?cvc2?|cvv2?|seccode)[\"']?\s*[:=,]\s*[\"']?\s*(123|347)(?!\d)"
)
PERMISSIONS = ("card-payment-api", "bindings", "create-binding-no-payment")


def spaced(pan: str) -> str:
    return " ".join(pan[i : i + 4] for i in range(0, len(pan), 4))


def findings(where: str, data: bytes) -> list[str]:
    found = [f"{where}: PAN {pan}" for pan in ALL_PANS if pan.encode() in data]
    found += [f"{where}: PAN {spaced(pan)}" for pan in ALL_PANS if spaced(pan).encode() in data]
    found += [f"{where}: {m.group(0)!r}" for m in CVC_NEAR_NAME.finditer(data)]
    return found


def database_bytes(database_url: str, workdir: Path) -> bytes:
    if database_url.startswith("sqlite"):
        path = sqlite_path(database_url)
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    dump = subprocess.run(
        ["pg_dump", "--no-owner", database_url.replace("postgresql+asyncpg://", "postgresql://")],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return dump.stdout


def run_flows(base_url: str, auth: dict[str, str], client_id: str) -> int:
    """The payment flows; returns how many requests carried card data."""
    api = f"{base_url}/payment/rest"
    sent = 0
    with httpx.Client(timeout=30) as http:

        def register(**extra: str) -> str:
            body = {**auth, "amount": "2000", "returnUrl": RETURN_URL, **extra}
            return str(http.post(f"{api}/register.do", data=body).json()["orderId"])

        for pan, cvc in CARDS:
            order = register(clientId=client_id)
            pay_sync(
                http,
                f"{api}/paymentorder.do",
                auth,
                order,
                card_fields(pan, cvc, YEAR, "12", "TEST CARDHOLDER"),
            )
            sent += 1
        bindings = http.post(f"{api}/getBindings.do", data={**auth, "clientId": client_id}).json()
        binding = bindings["bindings"][0]["bindingId"]
        order = register(clientId=client_id)
        paid = http.post(
            f"{api}/paymentOrderBinding.do",
            data={**auth, "mdOrder": order, "bindingId": binding, "cvc": "347"},
        ).json()
        assert paid["errorCode"] == "0", paid
        imported = http.post(
            f"{api}/createBindingNoPayment.do",
            data={**auth, "clientId": client_id, "pan": IMPORTED_PAN, "expiryDate": f"{YEAR}12"},
        ).json()
        assert imported["errorCode"] == "0", imported
        found = http.post(f"{api}/getBindingsByCardOrId.do", data={**auth, "pan": IMPORTED_PAN})
        assert found.json()["errorCode"] == "0", found.text
        order = register()
        refused = http.get(
            f"{api}/paymentorder.do",
            params={**auth, "MDORDER": order, **card_fields(QUERY_PAN, "123", YEAR, "12", "X")},
        ).json()
        assert refused["errorCode"] == "5", refused
        sent += 5
    return sent


async def test_no_card_number_or_cvc_in_logs_database_or_callbacks(
    own_database_url: str, own_services: Services, tmp_path: Path
) -> None:
    async with CallbackReceiver() as receiver:
        settings = MerchantSettings(language="en", callback_url=receiver.url, callback_params="all")
        creds = await make_merchant(own_services, permissions=PERMISSIONS, settings=settings)
        gateway = start_gateway(
            own_database_url, tmp_path / "gw", extra_env={"ECOMGATE_LOG_LEVEL": "trace"}
        )
        try:
            client_id = f"client-{uuid.uuid4().hex[:8]}"
            requests = await asyncio.to_thread(run_flows, gateway.base_url, creds.auth, client_id)
            # every approved payment and the declines notify the shop
            await receiver.wait(lambda: len(receiver.received) >= 5, "callbacks", timeout=30)
        finally:
            gateway.stop()
        log = gateway.log().encode()
        callbacks = "\n".join(
            f"{r.method} {r.path} {r.query} {r.form} {r.headers}" for r in receiver.received
        ).encode()
    assert b"TRACE" in log or b"ASGI" in log  # the log really is at trace level
    found = [
        *findings("gateway log", log),
        *findings("database", database_bytes(own_database_url, tmp_path)),
        *findings("callbacks", callbacks),
    ]
    print(
        f"\ncard-data scan: {requests} requests with card data, log {len(log)} bytes, "
        f"{len(receiver.received)} callbacks, {len(ALL_PANS)} PANs looked for: "
        f"{len(found)} found"
    )
    assert found == []
