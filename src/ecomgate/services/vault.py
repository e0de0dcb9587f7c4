"""The card vault: a binding's PAN and expiry, sealed with AES-256-GCM.

- Each record is sealed under the *current* key (the first of ``ECOMGATE_VAULT_KEYS``) and
  tagged with that key's id, so older records stay readable while ``ecomgate vault rotate``
  re-seals them under the new key, batch by batch (``services/bindings.rotate``).
- The associated data binds a record to its place: ``ecomgate-binding:v1|<orderId>|<bindingId>``
  (``orderId`` of the payment that stored the card; :data:`NO_ORDER` for
  createBindingNoPayment.do).  A ciphertext copied onto another binding row does not open.
- A lookup by PAN (getBindingsByCardOrId.do ``pan=``) compares keyed hashes: HMAC-SHA256 of
  the PAN under a lookup key derived from the vault key that sealed the row.  A lookup
  computes the hash under every configured key, so rows not yet rotated are found too.
- Keys come from configuration only (``config.vault_keys``), never from the database.
  Nothing here logs or prints card data; ``OpenCard``'s repr is masked.

The CVC is not a vault matter: it is never stored anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ecomgate.domain.bindings import SealedCard
from ecomgate.domain.cards import mask_pan

#: the associated-data order part of a binding created without a payment
NO_ORDER = "no-payment"
_AD_PREFIX = "ecomgate-binding:v1"
_LOOKUP_LABEL = b"ecomgate-vault-lookup:v1"
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")


class VaultError(Exception):
    """A record that cannot be opened (unknown key id, tampered or misplaced record), or
    a key configuration that cannot be used."""


@dataclass(frozen=True, repr=False)
class VaultKey:
    id: str
    key: bytes  # 32 bytes

    def __repr__(self) -> str:
        return f"VaultKey(id={self.id!r})"


@dataclass(frozen=True, repr=False)
class OpenCard:
    """A card out of the vault, in memory only."""

    pan: str
    expiry: str  # YYYYMM

    def __repr__(self) -> str:
        return f"OpenCard(pan={mask_pan(self.pan)!r})"


def parse_keys(text: str) -> list[VaultKey]:
    """``id:base64key,id:base64key`` (the first is current); each key 32 bytes."""
    keys: list[VaultKey] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise VaultError("ECOMGATE_VAULT_KEYS: expected id:base64key[,id:base64key...]")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise VaultError(f"ECOMGATE_VAULT_KEYS: key {key_id!r} is not base64") from None
        if len(raw) != 32:
            raise VaultError(f"ECOMGATE_VAULT_KEYS: key {key_id!r} must be 32 bytes (AES-256)")
        if any(k.id == key_id for k in keys):
            raise VaultError(f"ECOMGATE_VAULT_KEYS: key id {key_id!r} is listed twice")
        keys.append(VaultKey(key_id, raw))
    return keys


def new_key_text(key_id: str) -> str:
    """A fresh ``id:base64key`` entry (sandbox start-up, ``ecomgate vault new-key``)."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def associated_data(order_id: str | None, binding_id: str) -> bytes:
    return f"{_AD_PREFIX}|{order_id or NO_ORDER}|{binding_id}".encode()


class Vault:
    def __init__(self, keys: Sequence[VaultKey]) -> None:
        if not keys:
            raise VaultError("the vault needs at least one key")
        self._keys = {k.id: k for k in keys}
        self._current = keys[0]
        self._lookup = {k.id: hmac.new(k.key, _LOOKUP_LABEL, hashlib.sha256).digest() for k in keys}

    def __repr__(self) -> str:
        return f"Vault(current={self._current.id!r}, keys={list(self._keys)!r})"

    @property
    def current_key_id(self) -> str:
        return self._current.id

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def _pan_hash(self, key_id: str, pan: str) -> str:
        return hmac.new(self._lookup[key_id], pan.encode(), hashlib.sha256).hexdigest()

    def pan_hashes(self, pan: str) -> list[str]:
        """The lookup hash of ``pan`` under every configured key."""
        return [self._pan_hash(key_id, pan) for key_id in self._keys]

    def seal(self, pan: str, expiry: str, *, order_id: str | None, binding_id: str) -> SealedCard:
        nonce = os.urandom(12)
        plaintext = json.dumps({"pan": pan, "expiry": expiry}).encode()
        ciphertext = AESGCM(self._current.key).encrypt(
            nonce, plaintext, associated_data(order_id, binding_id)
        )
        return SealedCard(
            self._current.id, nonce, ciphertext, self._pan_hash(self._current.id, pan)
        )

    def open(self, sealed: SealedCard, *, order_id: str | None, binding_id: str) -> OpenCard:
        key = self._keys.get(sealed.key_id)
        if key is None:
            raise VaultError(f"no vault key {sealed.key_id!r} is configured")
        try:
            plaintext = AESGCM(key.key).decrypt(
                sealed.nonce, sealed.ciphertext, associated_data(order_id, binding_id)
            )
        except InvalidTag:
            raise VaultError(f"binding {binding_id}: the vault record does not open") from None
        data = json.loads(plaintext)
        return OpenCard(str(data["pan"]), str(data["expiry"]))

    def reseal(
        self,
        sealed: SealedCard,
        *,
        order_id: str | None,
        binding_id: str,
        expiry: str | None = None,
    ) -> SealedCard:
        """The record under the current key (and, given, a new expiry)."""
        card = self.open(sealed, order_id=order_id, binding_id=binding_id)
        return self.seal(card.pan, expiry or card.expiry, order_id=order_id, binding_id=binding_id)
