"""The operator console: merchants (list, search, create with its API user, permissions,
settings, disable), their back-office users, looking at a merchant's orders read-only or
acting as it (audited), and the audit trail.  Merchant administration is the CLI's own
use cases (``services.merchants``)."""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ecomgate.domain.merchant import Merchant, MerchantSettings, Permission
from ecomgate.services import audit, dashboard_users, merchants
from ecomgate.services.merchants import MerchantError

from .pages import View, page

#: what the console lets an operator change (the rest: ``ecomgate merchant update``)
EDITABLE_SETTINGS = (
    "session_timeout_secs",
    "max_attempts",
    "language",
    "order_number_required",
    "reverse_deposited",
    "callback_url",
    "callback_method",
    "callback_operations",
    "callback_signing",
)


def _login(view: View) -> str:
    return str(view.request.path_params["login"])


@page(merchant=False, operator=True)
async def merchant_list(view: View) -> Response:
    return await _list(view)


async def _list(view: View, **context: Any) -> Response:
    q = view.request.query_params.get("q", "").strip().lower()
    found = await merchants.list_merchants(view.services)
    if q:
        found = [m for m in found if q in m.login.lower() or q in m.name.lower()]
    return view.render(
        "console.html",
        merchants=found,
        q=q,
        currencies=sorted(view.services.policy.enabled_currencies),
        **context,
    )


@page(merchant=False, operator=True, act=True)
async def create_merchant(view: View) -> Response:
    created = await merchants.create_merchant(
        view.services,
        login=view.field("login").strip(),
        password=view.field("password"),
        name=view.field("name").strip(),
        currency=view.field("currency").strip() or "643",
    )
    await view.audit(
        "create_merchant", created.login, name=created.name, currency=created.default_currency
    )
    return RedirectResponse(f"/dashboard/console/merchants/{created.login}?created=1", 303)


async def _merchant_page(view: View, merchant: Merchant, notice: str = "") -> Response:
    users = await dashboard_users.users_of(view.services, merchant)
    entries = await audit.recent(view.services, merchant_id=merchant.id, limit=20)
    return view.render(
        "console_merchant.html",
        merchant=merchant,
        permissions=[p.value for p in Permission],
        settings=[(name, getattr(merchant.settings, name)) for name in EDITABLE_SETTINGS],
        users=users,
        entries=entries,
        notice=notice,
    )


@page(merchant=False, operator=True)
async def merchant_page(view: View) -> Response:
    merchant = await merchants.get_merchant(view.services, _login(view))
    notice = ""
    if view.request.query_params.get("created"):
        notice = view.t["created_merchant"].format(login=merchant.login)
    return await _merchant_page(view, merchant, notice)


@page(merchant=False, operator=True, act=True)
async def set_permissions(view: View) -> Response:
    merchant = await merchants.get_merchant(view.services, _login(view))
    assert view.form is not None
    ticked = {p for p in view.form.getlist("permissions") if isinstance(p, str)}
    grant = sorted(ticked - merchant.permissions)
    revoke = sorted(merchant.permissions - ticked)
    updated = await merchants.update_merchant(
        view.services, merchant.login, grant=grant, revoke=revoke
    )
    await view.audit(
        "change_permissions",
        merchant.login,
        grant=",".join(grant),
        revoke=",".join(revoke),
        merchant=merchant.id,
    )
    return await _merchant_page(view, updated, view.t["saved"])


@page(merchant=False, operator=True, act=True)
async def save_settings(view: View) -> Response:
    merchant = await merchants.get_merchant(view.services, _login(view))
    defaults = MerchantSettings()
    changes: dict[str, object] = {}
    for name in EDITABLE_SETTINGS:
        if isinstance(getattr(defaults, name), bool):
            changes[name] = view.field(name) == "true"
        else:
            changes[name] = view.field(name).strip()
    updated = await merchants.update_merchant(view.services, merchant.login, settings=changes)
    await view.audit("change_settings", merchant.login, **changes)
    return await _merchant_page(view, updated, view.t["saved"])


@page(merchant=False, operator=True, act=True)
async def set_disabled(view: View) -> Response:
    merchant = await merchants.get_merchant(view.services, _login(view))
    disabled = view.field("disabled") == "true"
    updated = await merchants.update_merchant(
        view.services, merchant.login, settings={"disabled": disabled}
    )
    await view.audit("disable_merchant" if disabled else "enable_merchant", merchant.login)
    return await _merchant_page(view, updated, view.t["saved"])


@page(merchant=False, operator=True, act=True)
async def add_user(view: View) -> Response:
    merchant = await merchants.get_merchant(view.services, _login(view))
    user = await dashboard_users.add_merchant_user(
        view.services,
        merchant.login,
        email=view.field("email"),
        password=view.field("password"),
        role=view.field("role") or "viewer",
    )
    await view.audit(
        "add_dashboard_user", user.email, role=user.role.value, merchant=merchant.login
    )
    return await _merchant_page(view, merchant, view.t["saved"])


@page(merchant=False, operator=True, act=True)
async def set_user_disabled(view: View) -> Response:
    """Disable a merchant's user (its sessions end at once), or enable it again."""
    merchant = await merchants.get_merchant(view.services, _login(view))
    disabled = view.field("disabled") == "true"
    email = view.field("email").strip().lower()
    if email not in {u.email for u in await dashboard_users.users_of(view.services, merchant)}:
        raise MerchantError("unknown_dashboard_user", email=email)
    await dashboard_users.set_disabled(view.services, email, disabled=disabled)
    await view.audit(
        "disable_dashboard_user" if disabled else "enable_dashboard_user",
        email,
        merchant=merchant.login,
    )
    return await _merchant_page(view, merchant, view.t["saved"])


@page(merchant=False, operator=True, act=True)
async def open_merchant(view: View) -> Response:
    """Look at the merchant's orders read-only, or act as it: both are audited, and every
    action taken while acting carries ``acting_as``."""
    merchant = await merchants.get_merchant(view.services, _login(view))
    acting = view.field("mode") == "act"
    await dashboard_users.choose_merchant(view.services, view.who, merchant, acting=acting)
    await view.audit("act_as_merchant" if acting else "view_merchant", merchant.login)
    return RedirectResponse("/dashboard/orders", 303)


@page(merchant=False, operator=True, act=True)
async def leave_merchant(view: View) -> Response:
    await dashboard_users.choose_merchant(view.services, view.who, None, acting=False)
    return RedirectResponse("/dashboard/console", 303)


@page(merchant=False, operator=True)
async def audit_trail(view: View) -> Response:
    before = view.request.query_params.get("before") or None
    entries = await audit.recent(view.services, before_id=before, limit=100)
    older = f"?before={entries[-1].id}" if len(entries) == 100 else ""
    return view.render("audit.html", entries=entries, older=older)


def routes() -> list[BaseRoute]:
    one = "/dashboard/console/merchants/{login}"
    return [
        Route("/dashboard/console", merchant_list, methods=["GET"]),
        Route("/dashboard/console/merchants", create_merchant, methods=["POST"]),
        Route(one, merchant_page, methods=["GET"]),
        Route(one + "/permissions", set_permissions, methods=["POST"]),
        Route(one + "/settings", save_settings, methods=["POST"]),
        Route(one + "/disabled", set_disabled, methods=["POST"]),
        Route(one + "/users", add_user, methods=["POST"]),
        Route(one + "/users/disabled", set_user_disabled, methods=["POST"]),
        Route(one + "/open", open_merchant, methods=["POST"]),
        Route("/dashboard/console/leave", leave_merchant, methods=["POST"]),
        Route("/dashboard/console/audit", audit_trail, methods=["GET"]),
    ]
