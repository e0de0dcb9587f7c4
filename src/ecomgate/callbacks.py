"""For shops: check that a callback really comes from the gateway (spec §4.3).

::

    from ecomgate.callbacks import verify_checksum

    def payment_callback(request):                # Django; Flask: request.args
        if not verify_checksum(request.GET.dict(), settings.GATEWAY_CALLBACK_SECRET):
            return HttpResponse(status=400)
        ...                                       # then read the order's status
        return HttpResponse("OK")                 # HTTP 200, or the gateway retries

Standard library only (``verify_signature`` needs ``cryptography``), so a shop may copy
this module as it is.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

#: parameters that are not signed: the signature itself and the name of its key
UNSIGNED = frozenset({"checksum", "sign_alias"})


def checksum_string(params: Mapping[str, str]) -> str:
    """``name;value;`` for each signed parameter, sorted by name (code-point order), with
    the trailing ``;``: the string both the HMAC and the RSA signature are computed over."""
    return "".join(f"{k};{params[k]};" for k in sorted(params) if k not in UNSIGNED)


def hmac_checksum(params: Mapping[str, str], secret: str) -> str:
    """The symmetric checksum: HMAC-SHA256 of ``checksum_string``, upper-case hex."""
    digest = hmac.new(secret.encode(), checksum_string(params).encode(), hashlib.sha256)
    return digest.hexdigest().upper()


def verify_checksum(params: Mapping[str, str], secret: str) -> bool:
    """True when ``params`` carry the right symmetric checksum (constant-time, either case)."""
    received = params.get("checksum", "")
    if not received or not secret:
        return False
    # bytes: compare_digest refuses a str that is not ASCII, and a forged checksum may be
    return hmac.compare_digest(received.upper().encode(), hmac_checksum(params, secret).encode())


def verify_signature(params: Mapping[str, str], certificate: str | bytes) -> bool:
    """True when ``params`` carry a valid SHA512withRSA signature of the gateway whose
    certificate (or public key), in PEM, is ``certificate``."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    pem = certificate.encode() if isinstance(certificate, str) else certificate
    key: object
    if b"CERTIFICATE" in pem:
        key = x509.load_pem_x509_certificate(pem).public_key()
    else:
        key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA key")
    try:
        signature = bytes.fromhex(params.get("checksum", ""))
    except ValueError:
        return False
    try:
        key.verify(signature, checksum_string(params).encode(), padding.PKCS1v15(), hashes.SHA512())
    except InvalidSignature:
        return False
    return bool(signature)
