"""The card vault's crypto and key configuration, without a database."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest

from ecomgate.config import SANDBOX_VAULT_KEY_FILE, Settings
from ecomgate.domain.bindings import SealedCard
from ecomgate.services.vault import (
    NO_ORDER,
    OpenCard,
    Vault,
    VaultError,
    associated_data,
    new_key_text,
    parse_keys,
)

PAN = "4111111111111111"
K1, K2 = new_key_text("k1"), new_key_text("k2")


def test_seal_and_open_round_trip_and_the_ciphertext_hides_the_card() -> None:
    vault = Vault(parse_keys(K1))
    sealed = vault.seal(PAN, "203012", order_id="o-1", binding_id="b-1")
    assert sealed.key_id == "k1" and len(sealed.nonce) == 12
    assert PAN.encode() not in sealed.ciphertext and b"203012" not in sealed.ciphertext
    assert PAN not in sealed.pan_hash
    card = vault.open(sealed, order_id="o-1", binding_id="b-1")
    assert (card.pan, card.expiry) == (PAN, "203012")
    assert repr(card) == "OpenCard(pan='411111**1111')"
    again = vault.seal(PAN, "203012", order_id="o-1", binding_id="b-1")
    assert again.nonce != sealed.nonce and again.ciphertext != sealed.ciphertext


@pytest.mark.parametrize(
    ("order_id", "binding_id"), [("o-2", "b-1"), ("o-1", "b-2"), (None, "b-1")]
)
def test_a_record_opens_only_in_its_own_place(order_id: str | None, binding_id: str) -> None:
    vault = Vault(parse_keys(K1))
    sealed = vault.seal(PAN, "203012", order_id="o-1", binding_id="b-1")
    with pytest.raises(VaultError):
        vault.open(sealed, order_id=order_id, binding_id=binding_id)


def test_a_tampered_record_or_an_unknown_key_does_not_open() -> None:
    vault = Vault(parse_keys(K1))
    sealed = vault.seal(PAN, "203012", order_id=None, binding_id="b-1")
    flipped = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    with pytest.raises(VaultError):
        vault.open(
            SealedCard("k1", sealed.nonce, flipped, sealed.pan_hash),
            order_id=None,
            binding_id="b-1",
        )
    with pytest.raises(VaultError, match="no vault key 'k1'"):
        Vault(parse_keys(K2)).open(sealed, order_id=None, binding_id="b-1")


def test_no_payment_bindings_use_the_documented_fixed_order_part() -> None:
    assert associated_data(None, "b-1") == f"ecomgate-binding:v1|{NO_ORDER}|b-1".encode()
    assert NO_ORDER == "no-payment"


def test_reseal_moves_a_record_to_the_current_key_and_lookups_find_both() -> None:
    old = Vault(parse_keys(K1))
    sealed = old.seal(PAN, "203012", order_id="o", binding_id="b")
    both = Vault(parse_keys(f"{K2},{K1}"))
    assert both.current_key_id == "k2"
    assert sealed.pan_hash in both.pan_hashes(PAN)
    moved = both.reseal(sealed, order_id="o", binding_id="b")
    assert moved.key_id == "k2" and moved.pan_hash != sealed.pan_hash
    assert moved.pan_hash in both.pan_hashes(PAN)
    assert Vault(parse_keys(K2)).open(moved, order_id="o", binding_id="b") == OpenCard(
        PAN, "203012"
    )
    extended = both.reseal(moved, order_id="o", binding_id="b", expiry="203406")
    assert both.open(extended, order_id="o", binding_id="b").expiry == "203406"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("k1", "expected id:base64key"),
        ("k1:%%%", "not base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "32 bytes"),
        (f"{K1},{K1}", "listed twice"),
        ("bad id:" + K1.split(":")[1], "expected id:base64key"),
    ],
)
def test_bad_key_configuration_is_refused(text: str, problem: str) -> None:
    with pytest.raises(VaultError, match=problem):
        parse_keys(text)


def test_keys_never_show_in_reprs() -> None:
    vault = Vault(parse_keys(K1))
    assert K1.split(":")[1] not in repr(vault)
    assert K1.split(":")[1] not in repr(parse_keys(K1))
    assert K1.split(":")[1] not in repr(Settings(vault_keys=K1))


def test_settings_read_the_configured_keys_first_current() -> None:
    vault = Settings(vault_keys=f"{K2},{K1}", sandbox=False).vault()
    assert vault is not None and vault.key_ids == ("k2", "k1")
    with pytest.raises(ValueError, match="not base64"):
        Settings(vault_keys="k1:%%").vault()


def test_outside_the_sandbox_without_keys_no_card_can_be_stored(tmp_path: Path) -> None:
    assert Settings(sandbox=False, data_dir=tmp_path).vault() is None
    assert not (tmp_path / SANDBOX_VAULT_KEY_FILE).exists()


def test_the_sandbox_generates_one_key_into_the_data_directory_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    with caplog.at_level(logging.WARNING, logger="ecomgate.config"):
        first = Settings(sandbox=True, data_dir=data_dir).vault()
    assert first is not None
    assert "generated a sandbox vault key" in caplog.text
    key_file = data_dir / SANDBOX_VAULT_KEY_FILE
    assert key_file.stat().st_mode & 0o077 == 0
    second = Settings(sandbox=True, data_dir=data_dir).vault()
    assert second is not None
    sealed = first.seal(PAN, "203012", order_id=None, binding_id="b")
    assert second.open(sealed, order_id=None, binding_id="b").pan == PAN
