"""``ecomgate vault new-key | status | rotate`` as an operator runs them (real
subprocesses, both engines): after a new key is put first in ECOMGATE_VAULT_KEYS, rotate
re-encrypts every binding under it in batches, status shows no binding under the old key,
and the old key can be dropped: every binding opens with the new one alone."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

import pytest

from ecomgate.services import bindings
from ecomgate.services.context import Services
from ecomgate.services.vault import Vault, parse_keys
from ecomgate.testing.processes import TEST_VAULT_KEYS

from ..support import make_merchant, run_cli

YEAR = str(datetime.now(UTC).year + 3)


def ecomgate(database_url: str, *args: str, keys: str | None) -> subprocess.CompletedProcess[str]:
    env = {"ECOMGATE_SANDBOX": "false"}
    if keys is not None:
        env["ECOMGATE_VAULT_KEYS"] = keys
    return run_cli(database_url, *args, **env)


@pytest.fixture
def own_database(own_database_url: str, own_services: Services) -> tuple[str, Services]:
    """A database of this test alone (the rotation moves every row of it)."""
    return own_database_url, own_services


async def test_rotate_moves_every_binding_to_the_new_key(
    own_database: tuple[str, Services],
) -> None:
    url, services = own_database
    creds = await make_merchant(services, permissions=("bindings", "create-binding-no-payment"))
    async with services.uow.transaction() as repos:
        merchant = await repos.merchants.get_by_login(creds.login)
    assert merchant is not None
    made = [
        await bindings.create_without_payment(
            services, merchant, bindings.NewCard(f"c{n}", "4563960122001999", f"{YEAR}12")
        )
        for n in range(5)
    ]

    new_key = ecomgate(url, "vault", "new-key", "k2", keys=None)
    assert new_key.returncode == 0, new_key.stderr
    k2 = new_key.stdout.strip()
    assert k2.startswith("k2:") and len(parse_keys(k2)) == 1

    before = ecomgate(url, "vault", "status", keys=f"{k2},{TEST_VAULT_KEYS}")
    assert before.returncode == 0, before.stderr
    assert "current key: k2" in before.stdout
    assert "test1: 5 binding(s)" in before.stdout

    rotated = ecomgate(url, "vault", "rotate", "--batch-size", "2", keys=f"{k2},{TEST_VAULT_KEYS}")
    assert rotated.returncode == 0, rotated.stderr
    assert "re-encrypted 5 binding(s) in 3 batch(es)" in rotated.stdout
    # progress, a line per batch, on stderr (the report stays alone on stdout)
    assert rotated.stderr.splitlines()[-1].endswith("[batch    3] 5 binding(s) re-encrypted")
    after = ecomgate(url, "vault", "status", keys=k2)
    assert "k2: 5 binding(s)" in after.stdout and "test1" not in after.stdout

    only_new = Vault(parse_keys(k2))
    async with services.uow.transaction() as repos:
        for b in made:
            row = await repos.bindings.get(b.id)
            assert row is not None and row.sealed.key_id == "k2"
            assert only_new.open(row.sealed, order_id=None, binding_id=b.id).pan == (
                "4563960122001999"
            )

    # a key the records need but the configuration lacks: status says so
    lost = ecomgate(url, "vault", "status", keys=TEST_VAULT_KEYS)
    assert "k2: 5 binding(s)  (NOT CONFIGURED" in lost.stdout


async def test_vault_commands_need_keys_outside_the_sandbox(
    own_database: tuple[str, Services],
) -> None:
    url, _ = own_database
    result = ecomgate(url, "vault", "rotate", keys=None)
    assert result.returncode != 0
    assert "ECOMGATE_VAULT_KEYS is not set" in result.stderr
    bad = ecomgate(url, "vault", "status", keys="k1:not-base64!")
    assert bad.returncode != 0 and "not base64" in bad.stderr
