"""The checksum of spec §4.3 against its published test vector, and the pieces of a
callback request that need no network."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import pytest

from ecomgate.callbacks import checksum_string, hmac_checksum, verify_checksum
from ecomgate.domain import callbacks as catalogue
from ecomgate.domain.merchant import Merchant, MerchantSettings
from ecomgate.notifications.destinations import DestinationPolicy, DestinationRefused, resolve
from ecomgate.notifications.requests import build, java_date, skip_reason
from ecomgate.services.ports import OutboxEntry

#: spec §4.3, "Test vectors (verified by us with Python)"
VECTOR_SECRET = "ooc7slpvc61k7sf7ma7p4hrefr"
VECTOR_PARAMS = {
    "mdOrder": "06cf5599-3f17-7c86-bdbc-bd7d00a8b38b",
    "operation": "approved",
    "orderNumber": "2003",
    "status": "1",
}
VECTOR_STRING = (
    "mdOrder;06cf5599-3f17-7c86-bdbc-bd7d00a8b38b;operation;approved;orderNumber;2003;status;1;"
)
VECTOR_CHECKSUM = "EAF2FB72CAB99FD5067F4BA493DD84F4D79C1589FDE8ED29622F0F07215AA972"


def test_the_published_vector_is_reproduced() -> None:
    assert checksum_string(VECTOR_PARAMS) == VECTOR_STRING
    assert hmac_checksum(VECTOR_PARAMS, VECTOR_SECRET) == VECTOR_CHECKSUM


def test_verification_ignores_case_and_the_unsigned_parameters() -> None:
    received = VECTOR_PARAMS | {"checksum": VECTOR_CHECKSUM.lower(), "sign_alias": "callbackKey"}
    assert verify_checksum(received, VECTOR_SECRET)
    assert not verify_checksum(received | {"status": "0"}, VECTOR_SECRET)
    assert not verify_checksum(received, "another-secret")
    assert not verify_checksum(VECTOR_PARAMS, VECTOR_SECRET)  # no checksum at all


def test_a_forged_checksum_of_any_text_is_refused_not_a_crash() -> None:
    assert not verify_checksum(VECTOR_PARAMS | {"checksum": "é" * 64}, VECTOR_SECRET)


def test_names_sort_by_code_point_so_upper_case_comes_first() -> None:
    # spec §8: case-sensitive order (Java's naturalOrder, PHP's ksort)
    assert checksum_string({"depositedAmount": "1", "depositFlag": "2", "Zeta": "3"}) == (
        "Zeta;3;depositFlag;2;depositedAmount;1;"
    )


def test_callback_creation_date_reads_like_javas_date() -> None:
    # 2022-01-31 18:46:52 UTC is 21:46:52 in Moscow (spec §4.2's example)
    assert java_date(1643654812000, ZoneInfo("Europe/Moscow")) == "Mon Jan 31 21:46:52 MSK 2022"


def entry(**changes: object) -> OutboxEntry:
    values: dict[str, object] = {
        "id": "e1",
        "merchant_id": "m1",
        "stream": "o1",
        "stream_seq": 1,
        "order_id": "o1",
        "binding_id": None,
        "operation": "deposited",
        "status": 1,
        "created_at": 1643654812000,
        "params": {},
        "facts": {"orderNumber": "10747", "amount": "123456", "jsonParams.color": "green"},
        "dynamic_url": "",
        "state": "pending",
        "attempts": 0,
        "next_try_at": None,
        "delivered_at": None,
        "last_error": None,
    }
    values.update(changes)
    return OutboxEntry(**values)  # type: ignore[arg-type]


def merchant(**settings: object) -> Merchant:
    return Merchant(
        "m1",
        "shop",
        "Shop",
        "x",
        "643",
        settings=MerchantSettings(callback_url="https://shop.example/cb", **settings),  # type: ignore[arg-type]
    )


def test_the_spec_example_is_what_gets_sent() -> None:
    request = build(
        entry(),
        merchant(callback_secret=VECTOR_SECRET, callback_params="amount"),
        ZoneInfo("UTC"),
        None,
    )
    params = request.params
    assert {k: params[k] for k in ("mdOrder", "orderNumber", "amount", "operation", "status")} == {
        "mdOrder": "o1",
        "orderNumber": "10747",
        "amount": "123456",
        "operation": "deposited",
        "status": "1",
    }
    assert params["checksum"] == hmac_checksum(params, VECTOR_SECRET)
    assert request.url.startswith("https://shop.example/cb?") and "checksum=" in request.url
    assert request.url_for_log == "https://shop.example/cb"


def test_json_params_are_forwarded_under_their_own_names_when_asked() -> None:
    request = build(entry(), merchant(callback_params="jsonParams"), ZoneInfo("UTC"), None)
    assert request.params["color"] == "green"
    assert "checksum" not in request.params  # no secret: unsigned


def test_what_is_not_sent_says_why() -> None:
    no_url = Merchant("m1", "shop", "Shop", "x", "643")
    assert skip_reason(entry(), no_url) == "no callback URL"
    assert skip_reason(entry(dynamic_url="https://x.example/"), no_url) is None
    chosen = merchant(callback_operations="refunded")
    assert "not among" in (skip_reason(entry(), chosen) or "")
    assert skip_reason(entry(status=0), merchant()) == "failure callbacks are off for this merchant"
    assert skip_reason(entry(status=0), merchant(callback_failures=True)) is None
    assert skip_reason(entry(operation="declinedByTimeout", status=0), merchant()) is None


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"callback_url": "ftp://shop.example/"}, "bad_callback_url"),
        ({"callback_url": "/relative"}, "bad_callback_url"),
        ({"callback_url": "https://shop.example:99999/cb"}, "bad_callback_url"),
        ({"callback_method": "PUT"}, "bad_callback_method"),
        ({"callback_signing": "md5"}, "bad_callback_signing"),
        ({"callback_operations": "deposited,paid"}, "bad_callback_operations"),
        ({"callback_params": "amount,pan"}, "bad_callback_params"),
    ],
)
def test_bad_callback_settings_are_named(changes: dict[str, str], key: str) -> None:
    assert catalogue.check_settings(changes) == key


def test_good_callback_settings_pass() -> None:
    assert (
        catalogue.check_settings(
            {
                "callback_url": "https://shop.example/cb?x=1",
                "callback_method": "POST",
                "callback_operations": "deposited, refunded",
                "callback_params": "all",
            }
        )
        is None
    )


def refused(url: str, policy: DestinationPolicy) -> str:
    with pytest.raises(DestinationRefused) as info:
        asyncio.run(resolve(url, policy))
    return str(info.value)


def test_outside_the_sandbox_only_https_to_public_addresses() -> None:
    production = DestinationPolicy(https_only=True, allow_private=False)
    assert "only https" in refused("http://shop.example/cb", production)
    for private in (
        "https://[64:ff9b::a00:1]/cb",  # NAT64 of 10.0.0.1
        "https://[2002:7f00:1::1]/cb",  # 6to4 of 127.0.0.1
        "https://[::127.0.0.1]/cb",  # IPv4-compatible
        "https://[::ffff:10.0.0.1]/cb",  # IPv4-mapped
        "https://127.0.0.1/cb",
        "https://10.1.2.3/cb",
        "https://[::1]/cb",
        "https://169.254.169.254/latest",
        "https://192.168.0.10:8443/cb",
    ):
        assert "non-public address" in refused(private, production)
    # the operator's switch lets a private network in (still https)
    allowed = DestinationPolicy(https_only=True, allow_private=True)
    assert asyncio.run(resolve("https://10.1.2.3/cb", allowed)).url == "https://10.1.2.3/cb"


def test_a_name_is_resolved_here_and_pinned_with_the_name_kept_for_tls() -> None:
    sandbox = DestinationPolicy(https_only=False, allow_private=True)
    target = asyncio.run(resolve("http://localhost:8123/cb", sandbox))
    assert target.url in ("http://127.0.0.1:8123/cb", "http://[::1]:8123/cb")
    assert target.headers == {"Host": "localhost:8123"}
    assert target.extensions == {"sni_hostname": "localhost"}
    assert "bad URL" in refused("https://shop.example:99999/cb", sandbox)


def test_a_public_address_is_pinned_with_the_name_kept_for_tls() -> None:
    target = asyncio.run(resolve("https://8.8.8.8:8443/cb?a=1", DestinationPolicy()))
    assert target.url == "https://8.8.8.8:8443/cb?a=1"
    assert target.headers == {"Host": "8.8.8.8:8443"}
    assert target.extensions == {"sni_hostname": "8.8.8.8"}
