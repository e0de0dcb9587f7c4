"""The back office's people: adding them, signing in with lockout, sessions, signing out.

Sessions are rows (``dashboard_sessions``), not signed cookies, so that signing out or
disabling a user ends them at once in every gateway process.  The cookie carries a random
token; the row is keyed by its SHA-256.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass, replace

from ecomgate.domain import ids
from ecomgate.domain.dashboard_users import DashboardUser, Role, lock_after_failure
from ecomgate.domain.errors import GatewayError
from ecomgate.domain.merchant import Merchant

from .context import Services
from .credentials import hash_password, verify_password
from .merchants import MerchantError, get_merchant
from .ports import DashboardSession, DuplicateEmail

#: a session ends this long after signing in, whatever happens
SESSION_MS = 8 * 3600 * 1000
MIN_PASSWORD = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@functools.cache
def _dummy_hash() -> str:
    """Verified when the email is unknown, so that the answer takes as long as for a known
    one (made on first use: every CLI command imports this module)."""
    return hash_password(secrets.token_hex(8))


class SignInRefused(GatewayError):
    """Wrong email or password (one answer for both), or an account locked for a while."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(5, key, **params)


def _checked(email: str, password: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 200:
        raise MerchantError("bad_email", email=email)
    if len(password) < MIN_PASSWORD:
        raise MerchantError("short_dashboard_password", minimum=MIN_PASSWORD)
    return email


async def _add(services: Services, user: DashboardUser) -> DashboardUser:
    try:
        async with services.uow.transaction() as repos:
            await repos.dashboard_users.add(user)
    except DuplicateEmail as exc:
        raise MerchantError("duplicate_email", email=user.email) from exc
    return user


async def add_merchant_user(
    services: Services, merchant_login: str, *, email: str, password: str, role: str = "viewer"
) -> DashboardUser:
    """One of a merchant's people: a ``viewer`` sees, a ``manager`` also acts."""
    if role not in (Role.VIEWER, Role.MANAGER):
        raise MerchantError("bad_role", role=role)
    email = _checked(email, password)
    merchant = await get_merchant(services, merchant_login)
    now = services.clock.now_ms()
    user = DashboardUser(
        id=ids.uuid7(now),
        email=email,
        password_hash=hash_password(password),
        role=Role(role),
        merchant_id=merchant.id,
        created_at=now,
    )
    return await _add(services, user)


async def add_operator(services: Services, *, email: str, password: str) -> DashboardUser:
    """One of the gateway's own staff (the operator console)."""
    email = _checked(email, password)
    now = services.clock.now_ms()
    user = DashboardUser(
        id=ids.uuid7(now),
        email=email,
        password_hash=hash_password(password),
        role=Role.OPERATOR,
        merchant_id=None,
        created_at=now,
    )
    return await _add(services, user)


@dataclass(frozen=True)
class SignedIn:
    #: what the cookie carries (never stored)
    token: str
    session: DashboardSession
    user: DashboardUser


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def sign_in(services: Services, email: str, password: str, *, ip: str) -> SignedIn:
    """A new session, or ``SignInRefused``.  Failures in a row lock the account with a
    growing backoff (``domain.dashboard_users.lock_after_failure``); while locked, even
    the right password is refused, and no password is checked at all."""
    email = email.strip().lower()
    now = services.clock.now_ms()
    async with services.uow.transaction() as repos:
        user = await repos.dashboard_users.get_by_email(email)
    if user is not None and user.locked(now):
        raise SignInRefused("sign_in_locked", seconds=_seconds_left(user, now))
    # the slow hash runs off the event loop and outside any transaction
    stored = user.password_hash if user is not None else _dummy_hash()
    matches = await asyncio.to_thread(verify_password, password, stored)
    if user is None:
        raise SignInRefused("sign_in_failed")
    async with services.uow.transaction() as repos:
        # re-read under the row lock: racing guesses each count
        current = await repos.dashboard_users.get_by_email(email, for_update=True)
        if current is None:  # pragma: no cover - deleted meanwhile
            raise SignInRefused("sign_in_failed")
        owner = None
        if current.merchant_id is not None:
            owner = await repos.merchants.get(current.merchant_id)
        blocked = current.disabled or (owner is not None and owner.settings.disabled)
        if not matches or blocked:
            failures = current.failed_logins + 1
            await repos.dashboard_users.update(
                replace(
                    current, failed_logins=failures, locked_until=lock_after_failure(failures, now)
                )
            )
            failed: SignInRefused | None = SignInRefused("sign_in_failed")
        else:
            failed = None
            current = replace(current, failed_logins=0, locked_until=None)
            await repos.dashboard_users.update(current)
            await repos.dashboard_users.prune_sessions(now)
            token = secrets.token_urlsafe(32)
            session = DashboardSession(
                id=session_id(token),
                user_id=current.id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + SESSION_MS,
                ip=ip,
            )
            await repos.dashboard_users.add_session(session)
    if failed is not None:
        raise failed
    return SignedIn(token, session, current)


def _seconds_left(user: DashboardUser, now: int) -> int:
    return max(1, -(-((user.locked_until or now) - now) // 1000))


@dataclass(frozen=True)
class Visitor:
    """Who a request's session belongs to, and for which merchant it works."""

    session: DashboardSession
    user: DashboardUser
    #: the user's merchant, or the one an operator chose (None: the console only)
    merchant: Merchant | None

    @property
    def may_act(self) -> bool:
        """Capture, reverse, refund, decline, change settings: a manager, or an operator
        acting as the merchant (audited)."""
        if self.merchant is None:
            return False
        if self.user.is_operator:
            return self.session.acting
        return self.user.role is Role.MANAGER


async def visitor(services: Services, token: str) -> Visitor | None:
    """The session's visitor, or None: unknown, expired, its user or merchant disabled."""
    if not token:
        return None
    now = services.clock.now_ms()
    async with services.uow.transaction() as repos:
        session = await repos.dashboard_users.session(session_id(token))
        if session is None or session.expires_at <= now:
            return None
        user = await repos.dashboard_users.get(session.user_id)
        if user is None or user.disabled:
            return None
        merchant_id = user.merchant_id if not user.is_operator else session.merchant_id
        merchant = None if merchant_id is None else await repos.merchants.get(merchant_id)
    if merchant is not None and merchant.settings.disabled and not user.is_operator:
        return None
    return Visitor(session, user, merchant)


async def sign_out(services: Services, token: str) -> None:
    async with services.uow.transaction() as repos:
        await repos.dashboard_users.delete_session(session_id(token))


async def choose_merchant(
    services: Services, who: Visitor, merchant: Merchant | None, *, acting: bool
) -> None:
    """An operator's session looks at ``merchant`` (read-only) or acts as it."""
    if not who.user.is_operator:
        raise GatewayError(5, "operators_only")
    async with services.uow.transaction() as repos:
        await repos.dashboard_users.update_session(
            replace(
                who.session,
                merchant_id=None if merchant is None else merchant.id,
                acting=acting and merchant is not None,
            )
        )


async def set_disabled(services: Services, email: str, *, disabled: bool) -> DashboardUser:
    """Disable (or enable again) a user; a disabled one's sessions end at once."""
    async with services.uow.transaction() as repos:
        user = await repos.dashboard_users.get_by_email(email.strip().lower(), for_update=True)
        if user is None:
            raise MerchantError("unknown_dashboard_user", email=email)
        user = replace(user, disabled=disabled)
        await repos.dashboard_users.update(user)
        if disabled:
            await repos.dashboard_users.delete_sessions_of(user.id)
    return user


async def users_of(services: Services, merchant: Merchant) -> list[DashboardUser]:
    async with services.uow.transaction() as repos:
        return await repos.dashboard_users.for_merchant(merchant.id)
