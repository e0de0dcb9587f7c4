"""The SDK against a real ``ecomgate serve`` (``gateway`` from ``tests/conftest.py``, both
engines), as a shop would use it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ecomgate.client import Gateway
from ecomgate.services.context import Services

from ..support import MerchantCredentials, make_merchant

PERMISSIONS = ("card-payment-api", "bindings", "create-binding-no-payment", "auto-payment")


@pytest.fixture
async def shop(services: Services) -> MerchantCredentials:
    """A merchant with every permission the SDK's methods need."""
    return await make_merchant(services, permissions=PERMISSIONS)


@pytest.fixture
def sdk(gateway: object, shop: MerchantCredentials) -> Iterator[Gateway]:
    from ecomgate.testing.processes import GatewayProcess

    assert isinstance(gateway, GatewayProcess)
    with Gateway(gateway.base_url, user_name=shop.login, password=shop.password) as g:
        yield g
