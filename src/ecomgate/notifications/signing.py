"""Signing callbacks (spec §4.3), on the gateway's side.

The symmetric checksum and the string it covers live in ``ecomgate.callbacks``, which
shops use to verify: both sides share one implementation of the string.  The asymmetric
mode signs with a key pair the gateway keeps per merchant; the shop gets its certificate.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from ecomgate.callbacks import checksum_string, hmac_checksum

__all__ = ["CallbackKey", "hmac_checksum", "new_callback_key", "rsa_checksum"]

HMAC_ALIAS = "callbackKey"
RSA_ALIAS = "SHA-512 with RSA"
#: the certificate is what a shop pins; it outlives any card
_VALIDITY = dt.timedelta(days=3650)


@dataclass(frozen=True)
class CallbackKey:
    """A merchant's signing key pair: the private key stays with the gateway."""

    private_key_pem: str
    certificate_pem: str

    def dumps(self) -> str:
        return json.dumps({"key": self.private_key_pem, "certificate": self.certificate_pem})

    @classmethod
    def loads(cls, raw: str) -> CallbackKey:
        data = json.loads(raw)
        return cls(data["key"], data["certificate"])

    def __repr__(self) -> str:  # never print the private key, even by accident
        return "CallbackKey(<private>)"

    @cached_property
    def private_key(self) -> rsa.RSAPrivateKey:
        key = serialization.load_pem_private_key(self.private_key_pem.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):  # pragma: no cover - we made it
            raise ValueError("not an RSA key")
        return key


def new_callback_key(common_name: str, now_ms: int) -> CallbackKey:
    """A 2048-bit RSA key and a self-signed certificate naming the merchant."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "EcomGate"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"callbacks for {common_name}"[:64]),
        ]
    )
    start = dt.datetime.fromtimestamp(now_ms / 1000, tz=dt.UTC) - dt.timedelta(minutes=5)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + _VALIDITY)
        .sign(key, hashes.SHA256())
    )
    return CallbackKey(
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
    )


def rsa_checksum(params: Mapping[str, str], key: CallbackKey) -> str:
    """SHA512withRSA (PKCS#1 v1.5) of the checksum string, upper-case hex."""
    signature = key.private_key.sign(
        checksum_string(params).encode(), padding.PKCS1v15(), hashes.SHA512()
    )
    return signature.hex().upper()
