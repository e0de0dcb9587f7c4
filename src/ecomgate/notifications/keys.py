"""The signing key pair the gateway holds for a merchant's RSA-signed callbacks."""

from __future__ import annotations

import asyncio

from ecomgate.domain.merchant import Merchant
from ecomgate.services.context import Services

from .signing import CallbackKey, new_callback_key


def _secret_name(merchant: Merchant) -> str:
    return f"callback-rsa:{merchant.id}"


async def callback_key(services: Services, merchant: Merchant) -> CallbackKey:
    """The merchant's key pair, made on first use; every gateway process gets the same
    one (the first writer wins)."""
    async with services.uow.transaction() as repos:
        stored = await repos.secrets.get(_secret_name(merchant))
    if stored is not None:
        return CallbackKey.loads(stored)
    # a 2048-bit key takes tens of milliseconds of CPU: not on the event loop
    fresh = await asyncio.to_thread(new_callback_key, merchant.login, services.clock.now_ms())
    async with services.uow.transaction() as repos:
        stored = await repos.secrets.get_or_create(_secret_name(merchant), fresh.dumps())
    return CallbackKey.loads(stored)
