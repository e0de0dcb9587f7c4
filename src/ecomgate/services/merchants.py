"""Merchant administration: create, list, update, issue API tokens (the CLI's use cases)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from ecomgate.domain import callbacks as catalogue
from ecomgate.domain import ids
from ecomgate.domain.errors import GatewayError
from ecomgate.domain.merchant import (
    DEFAULT_PERMISSIONS,
    THREE_DS_PROTOCOLS,
    Merchant,
    MerchantSettings,
    Permission,
)

from .context import Services
from .credentials import hash_password, new_token, token_hash
from .ports import DuplicateLogin

KNOWN_PERMISSIONS = frozenset(p.value for p in Permission)


class MerchantError(GatewayError):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(5, key, **params)


def _check_permissions(names: Iterable[str]) -> frozenset[str]:
    names = frozenset(names)
    unknown = names - KNOWN_PERMISSIONS
    if unknown:
        raise MerchantError("unknown_permission", names=", ".join(sorted(unknown)))
    return names


def _checked_settings(changes: dict[str, Any]) -> dict[str, Any]:
    """Changes of settings, each of its setting's type, refused when unknown or invalid."""
    unknown = set(changes) - set(MerchantSettings.__dataclass_fields__)
    if unknown:
        raise MerchantError("unknown_setting", names=", ".join(sorted(unknown)))
    defaults = MerchantSettings()
    typed: dict[str, Any] = {}
    for name, value in changes.items():
        default = getattr(defaults, name)
        if isinstance(default, bool):
            typed[name] = value if isinstance(value, bool) else str(value).lower() == "true"
        elif isinstance(default, int):
            try:
                typed[name] = int(value)
            except (TypeError, ValueError):
                raise MerchantError("bad_setting", name=name) from None
        else:
            typed[name] = str(value)
    if "callback_method" in typed:
        typed["callback_method"] = typed["callback_method"].upper()
    if "three_ds_protocol" in typed:
        typed["three_ds_protocol"] = typed["three_ds_protocol"].strip().lower()
        if typed["three_ds_protocol"] not in ("", *THREE_DS_PROTOCOLS):
            raise MerchantError("bad_three_ds_protocol", known=", ".join(THREE_DS_PROTOCOLS))
    problem = catalogue.check_settings(typed)
    if problem is not None:
        known = (
            catalogue.OPTIONAL_PARAMS if problem == "bad_callback_params" else catalogue.OPERATIONS
        )
        raise MerchantError(problem, known=", ".join(known))
    return typed


async def create_merchant(
    services: Services,
    *,
    login: str,
    password: str,
    name: str = "",
    currency: str = "643",
    permissions: Iterable[str] = (),
    settings: MerchantSettings | None = None,
) -> Merchant:
    if not login or len(login) > 100:
        raise MerchantError("bad_login")
    if len(password) < 6:
        raise MerchantError("short_password")
    if currency not in services.policy.enabled_currencies:
        raise MerchantError("currency_not_enabled", currency=currency)
    now = services.clock.now_ms()
    merchant = Merchant(
        id=ids.uuid7(now),
        login=login,
        name=name or login,
        password_hash=hash_password(password),
        default_currency=currency,
        permissions=frozenset(DEFAULT_PERMISSIONS) | _check_permissions(permissions),
        settings=settings or MerchantSettings(),
        created_at=now,
    )
    try:
        async with services.uow.transaction() as repos:
            await repos.merchants.add(merchant)
    except DuplicateLogin as exc:
        raise MerchantError("duplicate_login", login=login) from exc
    return merchant


async def get_merchant(services: Services, login: str) -> Merchant:
    async with services.uow.transaction() as repos:
        merchant = await repos.merchants.get_by_login(login)
    if merchant is None:
        raise MerchantError("unknown_merchant", login=login)
    return merchant


async def list_merchants(services: Services) -> list[Merchant]:
    async with services.uow.transaction() as repos:
        return await repos.merchants.list()


async def issue_token(services: Services, login: str) -> str:
    """A new static token for ``login``; the previous one stops working."""
    token = new_token()
    async with services.uow.transaction() as repos:
        merchant = await repos.merchants.get_by_login(login)
        if merchant is None:
            raise MerchantError("unknown_merchant", login=login)
        await repos.merchants.update(replace(merchant, token_hash=token_hash(token)))
    return token


async def revoke_token(services: Services, login: str) -> None:
    """The merchant's static token stops working (passwords still do)."""
    async with services.uow.transaction() as repos:
        merchant = await repos.merchants.get_by_login(login)
        if merchant is None:
            raise MerchantError("unknown_merchant", login=login)
        await repos.merchants.update(replace(merchant, token_hash=None))


async def update_merchant(
    services: Services,
    login: str,
    *,
    password: str | None = None,
    name: str | None = None,
    currency: str | None = None,
    grant: Iterable[str] = (),
    revoke: Iterable[str] = (),
    settings: dict[str, Any] | None = None,
) -> Merchant:
    async with services.uow.transaction() as repos:
        merchant = await repos.merchants.get_by_login(login)
        if merchant is None:
            raise MerchantError("unknown_merchant", login=login)
        if currency is not None and currency not in services.policy.enabled_currencies:
            raise MerchantError("currency_not_enabled", currency=currency)
        permissions = (merchant.permissions | _check_permissions(grant)) - _check_permissions(
            revoke
        )
        new_settings = merchant.settings
        if settings:
            new_settings = replace(merchant.settings, **_checked_settings(settings))
        updated = replace(
            merchant,
            name=merchant.name if name is None else name,
            default_currency=merchant.default_currency if currency is None else currency,
            password_hash=merchant.password_hash if password is None else hash_password(password),
            permissions=permissions,
            settings=new_settings,
        )
        await repos.merchants.update(updated)
    return updated
