"""The hosted page's form token: proof that a card-form post (processform.do) comes from
the page the gateway served for that order, not from another site's form.

Stateless, like the emulator's 3-D Secure tokens: an HMAC of the order id under a key
derived from the gateway's secret, so every gateway process accepts what any of them
served.  It binds the post to its order; the Origin check (``same_origin``) binds it to
the gateway's own pages in a browser.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit


def page_key(secret: bytes) -> bytes:
    """The tokens' own key, so that a token never doubles as another signature."""
    return hmac.new(secret, b"ecomgate/payment-page-form", hashlib.sha256).digest()


def form_token(key: bytes, order_id: str) -> str:
    return hmac.new(key, order_id.encode(), hashlib.sha256).hexdigest()[:32]


def form_token_valid(key: bytes, order_id: str, token: str) -> bool:
    return hmac.compare_digest(form_token(key, order_id), token)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(public_url: str, origin: str | None, referer: str | None) -> bool:
    """A browser's post from the gateway's own pages: its Origin (or, where a browser sends
    none, its Referer) is the gateway's public origin.  Neither header: not a browser's
    cross-site form (curl, a server) — the token alone decides."""
    own = origin_of(public_url)
    if origin and origin != "null":
        return origin.lower() == own
    if origin == "null":  # a sandboxed frame or a data: page: never the gateway's page
        return False
    if referer:
        return origin_of(referer) == own
    return True
