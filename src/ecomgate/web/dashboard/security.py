"""Sessions in cookies, CSRF tokens, and the rules of who may open what.

- The session cookie carries a random token; the session itself is a database row
  (``services.dashboard_users``), so sign-out and disabling take effect everywhere at once.
  It is ``HttpOnly`` (no script reads it), ``SameSite=Lax`` (no other site's form sends
  it) and ``Secure`` whenever the gateway is reached over https.
- Every form carries the session's CSRF token, compared in constant time.  The sign-in
  form, which has no session yet, uses a double-submit cookie instead.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "ecomgate_dashboard"
LOGIN_CSRF_COOKIE = "ecomgate_dashboard_login"
LANG_COOKIE = "ecomgate_dashboard_lang"
PATH = "/dashboard"


def https(request: Request) -> bool:
    public_url = str(getattr(request.app.state.settings, "resolved_public_url", ""))
    return request.url.scheme == "https" or public_url.startswith("https://")


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PATH,
        httponly=True,
        samesite="lax",
        secure=https(request),
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path=PATH, httponly=True, samesite="lax", secure=https(request))


def same_token(sent: str | None, expected: str | None) -> bool:
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""
