"""The in-process app's database (the SQLite file and its WAL, or a ``pg_dump`` of the
PostgreSQL database) holds no clear test card number
after the web tests that ran before this one (every binding method, the page's saved
cards, card payments with every test card) and a stored card of its own."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

from ecomgate.services.context import Services
from ecomgate.storage.sqlite import sqlite_path

from ..services.test_vault_scan import PANS
from ..support import Api, make_merchant


async def test_the_web_database_holds_no_clear_pan(
    web_database_url: str, services: Services, http: object
) -> None:
    shop = Api(http, await make_merchant(services, permissions=("card-payment-api", "bindings")))  # type: ignore[arg-type]
    order = await shop.register(clientId="scan-client")
    paid = await shop.call(
        "paymentorder",
        MDORDER=order["orderId"],
        **{"$PAN": "4563960122001999", "$CVC": "347"},
        YYYY=str(datetime.now(UTC).year + 3),
        MM="12",
        TEXT="TEST CARDHOLDER",
    )
    assert paid["bindingId"], paid
    data = _database_bytes(web_database_url)
    assert b"456396**1999" in data  # masked numbers are there: the scan reads real data
    leaked = [pan for pan in PANS if pan.encode() in data]
    assert leaked == [], f"clear card numbers in the web database: {leaked}"


def _database_bytes(url: str) -> bytes:
    if url.startswith("sqlite:///"):
        path = sqlite_path(url)
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())
    dump = subprocess.run(["pg_dump", "--data-only", url], capture_output=True, check=True)
    return dump.stdout
