"""``ecomgate merchant update`` with callback settings, ``merchant callback-secret`` and
``callback-certificate``, and ``ecomgate callbacks list/show/resend``, as an operator runs
them: real subprocesses on a real SQLite file (the commands are engine-neutral; both
engines are covered by the delivery tests)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509

from ecomgate import storage
from ecomgate.services import lifecycle
from ecomgate.services import merchants as merchant_service
from ecomgate.services.context import Services
from ecomgate.services.uow import OrderRef
from ecomgate.storage import migrate
from ecomgate.testing.receiver import CallbackReceiver

from ..services.test_callback_delivery import held_order
from ..support import make_merchant, services_on


async def ecomgate(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOMGATE_")}
    env["ECOMGATE_DATABASE_URL"] = database_url
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ecomgate.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


@pytest.fixture
def database_file(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/cli.db"
    migrate.upgrade(url)
    return url


@pytest.fixture
async def local_services(database_file: str) -> AsyncIterator[Services]:
    store = await storage.open_store(database_file)
    yield services_on(store)
    await store.close()


async def test_callback_settings_are_checked_and_the_secret_is_never_shown(
    database_file: str, local_services: Services
) -> None:
    creds = await make_merchant(local_services)
    code, _, err = await ecomgate(
        database_file, "merchant", "update", creds.login, "--set", "callback_method=PUT"
    )
    assert code == 1 and "Setting [callback_method] must be GET or POST" in err
    code, _, err = await ecomgate(
        database_file, "merchant", "update", creds.login, "--set", "callback_operations=paid"
    )
    assert code == 1 and "[callback_operations] names an unknown operation" in err

    code, out, _ = await ecomgate(
        database_file,
        "merchant",
        "update",
        creds.login,
        "--set",
        "callback_url=https://shop.example/cb",
        "--set",
        "callback_secret=123456",  # digits stay a string secret
        "--set",
        "callback_failures=true",
    )
    assert code == 0
    assert '"callback_secret": "***"' in out and "123456" not in out
    assert '"callback_failures": true' in out

    code, secret, _ = await ecomgate(database_file, "merchant", "callback-secret", creds.login)
    assert code == 0 and len(secret.strip()) == 32
    _, listed, _ = await ecomgate(database_file, "merchant", "list", "--json")
    assert secret.strip() not in listed


async def test_the_certificate_is_printed_and_the_key_is_not(
    database_file: str, local_services: Services
) -> None:
    creds = await make_merchant(local_services)
    code, pem, _ = await ecomgate(database_file, "merchant", "callback-certificate", creds.login)
    assert code == 0
    certificate = x509.load_pem_x509_certificate(pem.encode())
    assert creds.login in certificate.subject.rfc4514_string()
    assert "PRIVATE" not in pem
    _, again, _ = await ecomgate(database_file, "merchant", "callback-certificate", creds.login)
    assert again == pem  # one key pair per merchant, kept


async def test_list_show_and_resend(database_file: str, local_services: Services) -> None:
    async with CallbackReceiver() as receiver:
        creds = await make_merchant(local_services)
        merchant = await merchant_service.update_merchant(
            local_services, creds.login, settings={"callback_url": receiver.url}
        )
        order = await held_order(local_services, merchant)
        await lifecycle.deposit(local_services, merchant, OrderRef(order_id=order.id), 0)

        code, out, _ = await ecomgate(database_file, "callbacks", "list", "--order", order.id)
        assert code == 0
        lines = out.splitlines()
        assert [line.split()[3] for line in lines] == ["deposited", "approved"]  # newest first
        assert all("pending" in line for line in lines)
        event_id = lines[-1].split()[0]

        code, out, _ = await ecomgate(database_file, "callbacks", "resend", event_id)
        assert code == 0 and "resend" in out and "HTTP 200" in out
        [got] = await receiver.wait_for(1)
        assert (got.params["mdOrder"], got.params["operation"]) == (order.id, "approved")

        code, out, _ = await ecomgate(database_file, "callbacks", "show", event_id)
        assert code == 0
        assert "approved" in out.splitlines()[0] and "delivered" in out.splitlines()[0]
        assert "#1" in out and "HTTP 200" in out and receiver.url in out

        receiver.answer(500)
        deposited_id = lines[0].split()[0]
        code, out, _ = await ecomgate(database_file, "callbacks", "resend", deposited_id)
        assert code == 1 and "HTTP 500" in out
        code, out, _ = await ecomgate(database_file, "callbacks", "list", "--failed")
        assert out.strip() == "no callbacks"  # a failed resend is no used-up retry schedule
