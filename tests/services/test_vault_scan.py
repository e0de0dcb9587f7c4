"""No clear PAN anywhere in storage, on both engines: after every test of the session that
ran before this one (the API tests against real gateway processes, the service tests),
and after storing every test card of the spec as a binding (by payment and imported), the
raw SQLite files (database, WAL) and a ``pg_dump`` of the PostgreSQL database contain none
of the test cards' numbers."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from ecomgate.acquirers.emulator.cards_table import TEST_CARDS
from ecomgate.domain.codes import OrderStatus
from ecomgate.services import bindings, payment
from ecomgate.services.context import Services
from ecomgate.services.payment import CardForm
from ecomgate.services.register import RegisterCommand, register
from ecomgate.storage.sqlite import sqlite_path

from .test_bindings_vault import binding_merchant

YEAR = str(datetime.now(UTC).year + 3)
#: every card number of spec §6 / test-cards.csv, and the extra SSL card
PANS = sorted({*TEST_CARDS, "4444555511113333", "4000001111111126", "4012001038166662"})


def _pg_dump() -> str:
    found = shutil.which("pg_dump") or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))), None
    )
    assert found, "pg_dump is needed to scan the PostgreSQL database"
    return found


def storage_bytes(engine: str, database_url: str) -> bytes:
    if engine == "sqlite":
        path = sqlite_path(database_url)
        files = [p for p in path.parent.glob(path.name + "*") if p.is_file()]
        assert path in files
        return b"".join(p.read_bytes() for p in files)
    dump = subprocess.run(
        [_pg_dump(), "--data-only", "--no-owner", database_url],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return dump.stdout


async def test_storage_holds_no_clear_pan(
    services: Services, engine: str, database_url: str
) -> None:
    merchant = await binding_merchant(services)
    for n, pan in enumerate(PANS):
        card = TEST_CARDS.get(pan)
        order = await register(
            services,
            merchant,
            RegisterCommand(
                two_phase=False,
                amount=1000,
                return_url="https://shop.example/",
                client_id=f"scan-{n}",
                features=("FORCE_CREATE_BINDING",),
            ),
        )
        await payment.pay(
            services,
            order.id,
            CardForm(pan, YEAR, "12", card.cvc if card else "123", "TEST CARDHOLDER"),
            merchant=merchant,
        )
        await bindings.create_without_payment(
            services, merchant, bindings.NewCard(f"scan-{n}", pan, f"{YEAR}12")
        )
    async with services.uow.transaction() as repos:
        stored = await repos.bindings.for_client(merchant.id, "scan-2")
        some_paid = await repos.orders.get(order.id)
    assert stored and some_paid is not None
    assert some_paid.status in (OrderStatus.DEPOSITED, OrderStatus.ACS, OrderStatus.CREATED)

    data = storage_bytes(engine, database_url)
    assert b"456396**1999" in data  # the scan reads real data: masked numbers are there
    leaked = [pan for pan in PANS if pan.encode() in data]
    assert leaked == [], f"clear card numbers in {engine} storage: {leaked}"
