"""Self-contained, signed 3-D Secure tokens of the emulator: PaReq and PaRes (3-D Secure 1),
CReq and CRes (3-D Secure 2).

The emulator keeps no memory between ``authorize`` and ``complete_3ds``: everything it must
know to finish a challenge travels in the tokens, so any gateway process sharing the secret
can finish a challenge another one started.

Format: ``<payload>.<signature>``, both base64url without padding.  ``payload`` is compact
JSON; ``signature`` is HMAC-SHA256 over ``"<kind>\\n<payload>"`` with the emulator secret.
The kind ("pareq", "pares", "creq", "cres") is inside the signed text and inside the
payload, so a PaReq can never be replayed as a PaRes (nor a CReq as a CRes).  Tokens carry
the masked PAN only: never a full PAN or CVC.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

PAREQ = "pareq"
PARES = "pares"
CREQ = "creq"
CRES = "cres"
MAX_TOKEN_LENGTH = 4096


class BadToken(ValueError):
    """Garbled, forged, or of the wrong kind."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadToken("not base64url") from exc


def _signature(secret: bytes, kind: str, payload: str) -> bytes:
    return hmac.new(secret, f"{kind}\n{payload}".encode("ascii"), hashlib.sha256).digest()


def sign(secret: bytes, kind: str, claims: dict[str, Any]) -> str:
    body = json.dumps({"k": kind, **claims}, separators=(",", ":"), sort_keys=True)
    payload = _b64encode(body.encode("utf-8"))
    return f"{payload}.{_b64encode(_signature(secret, kind, payload))}"


def verify(secret: bytes, kind: str, token: str) -> dict[str, Any]:
    """The claims of a genuine token of this kind, or ``BadToken``."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise BadToken("empty or oversized token")
    payload, sep, signature = token.strip().partition(".")
    if not sep or not payload or not signature:
        raise BadToken("not a signed token")
    if not hmac.compare_digest(_b64decode(signature), _signature(secret, kind, payload)):
        raise BadToken("bad signature")
    try:
        claims = json.loads(_b64decode(payload))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadToken("unreadable payload") from exc
    if not isinstance(claims, dict) or claims.get("k") != kind:
        raise BadToken("wrong kind of token")
    return claims
