"""The card vault on both engines: stored cards survive a key rotation made while the
gateway serves (every binding still pays, no row is left under the old key), and the
vault refuses records it was not given the key of or that were moved to another row."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from datetime import UTC, datetime

import pytest

from ecomgate.domain.codes import OrderStatus
from ecomgate.domain.merchant import Merchant
from ecomgate.services import bindings, payment
from ecomgate.services.context import Services
from ecomgate.services.payment import CardForm
from ecomgate.services.register import RegisterCommand, register
from ecomgate.services.vault import Vault, VaultError, new_key_text, parse_keys
from ecomgate.testing.processes import TEST_VAULT_KEYS

from ..support import make_merchant

YEAR = str(datetime.now(UTC).year + 3)
PERMISSIONS = ("card-payment-api", "bindings", "auto-payment", "create-binding-no-payment")


async def binding_merchant(services: Services) -> Merchant:
    creds = await make_merchant(services, permissions=PERMISSIONS)
    async with services.uow.transaction() as repos:
        merchant = await repos.merchants.get_by_login(creds.login)
    assert merchant is not None
    return merchant


async def saved_binding(services: Services, merchant: Merchant, client_id: str) -> str:
    """A first payment with ``clientId`` stores the card."""
    order = await register(
        services,
        merchant,
        RegisterCommand(
            two_phase=False, amount=1000, return_url="https://shop.example/", client_id=client_id
        ),
    )
    card = CardForm("4563960122001999", YEAR, "12", "347", "TEST CARDHOLDER")
    result = await payment.pay(services, order.id, card, merchant=merchant)
    assert result.order.status is OrderStatus.DEPOSITED
    assert result.order.binding_id
    return result.order.binding_id


async def charge(services: Services, merchant: Merchant, client_id: str, binding_id: str) -> None:
    """A merchant-initiated charge by bindingId: it must be paid."""
    order = await register(
        services,
        merchant,
        RegisterCommand(
            two_phase=False, amount=500, return_url="https://shop.example/", client_id=client_id
        ),
    )
    result = await payment.pay_with_binding(
        services, order.id, binding_id, cvc=None, merchant=merchant, initiator="U"
    )
    assert result.order.status is OrderStatus.DEPOSITED, result.order.action_code


async def test_rotation_keeps_every_binding_usable_and_leaves_none_under_the_old_key(
    services: Services,
) -> None:
    merchant = await binding_merchant(services)
    made = []
    for n in range(5):
        client = f"client-{n}-{secrets.token_hex(3)}"
        made.append((client, await saved_binding(services, merchant, client)))
    made.append(
        (
            "imported",
            (
                await bindings.create_without_payment(
                    services,
                    merchant,
                    bindings.NewCard("imported", "4444555511113333", f"{YEAR}12"),
                )
            ).id,
        )
    )
    old = services.vault
    assert old is not None
    new_key = new_key_text("k2")
    rotated = dataclasses.replace(services, vault=Vault(parse_keys(f"{new_key},{TEST_VAULT_KEYS}")))

    async def serve_meanwhile() -> None:
        # the gateway keeps serving while the rotation runs: charges and listings
        for client, binding_id in made[:3]:
            await charge(rotated, merchant, client, binding_id)
            await bindings.list_for_client(rotated, merchant, client)
            await asyncio.sleep(0)

    report, _ = await asyncio.gather(bindings.rotate(rotated, batch_size=2), serve_meanwhile())
    assert report.resealed >= len(made)
    assert report.batches >= 3
    assert set(report.by_key) == {"k2"}
    for client, binding_id in made:
        await charge(rotated, merchant, client, binding_id)
    # the old key alone no longer opens anything: the rows really moved
    with pytest.raises(VaultError):
        async with services.uow.transaction() as repos:
            row = await repos.bindings.get(made[0][1])
        assert row is not None
        old.open(row.sealed, order_id=row.order_id, binding_id=row.id)

    # rotate back, so the rest of the session (the gateway process knows test1 only) can
    # still open every binding
    back = dataclasses.replace(services, vault=Vault(parse_keys(f"{TEST_VAULT_KEYS},{new_key}")))
    report = await bindings.rotate(back)
    assert set(report.by_key) == {"test1"}
    for client, binding_id in made:
        await charge(services, merchant, client, binding_id)


async def test_a_record_moved_to_another_binding_does_not_open(services: Services) -> None:
    merchant = await binding_merchant(services)
    first = await saved_binding(services, merchant, "mover-a")
    second = await saved_binding(services, merchant, "mover-b")
    vault = services.vault
    assert vault is not None
    async with services.uow.transaction() as repos:
        a = await repos.bindings.get(first)
        b = await repos.bindings.get(second)
    assert a is not None and b is not None
    assert vault.open(a.sealed, order_id=a.order_id, binding_id=a.id).pan == "4563960122001999"
    with pytest.raises(VaultError):
        vault.open(a.sealed, order_id=b.order_id, binding_id=b.id)
    unknown_key = Vault(parse_keys(new_key_text("other")))
    with pytest.raises(VaultError):
        unknown_key.open(a.sealed, order_id=a.order_id, binding_id=a.id)
