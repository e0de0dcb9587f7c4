"""The URL yoyo-migrations is given: a multi-host PostgreSQL URL (failover) must reach
libpq whole, which yoyo's own URL parser cannot do."""

from __future__ import annotations

from ecomgate.storage.migrate import _yoyo_url


def test_a_multi_host_url_passes_its_hosts_as_libpq_lists() -> None:
    url = "postgresql://postgres@10.0.0.1:5433,10.0.0.2/shop?target_session_attrs=read-write"
    assert _yoyo_url(url) == (
        "postgresql+psycopg://postgres@/shop?target_session_attrs=read-write"
        "&host=10.0.0.1,10.0.0.2&port=5433,5432&connect_timeout=10"
    )


def test_a_single_host_url_is_left_as_it_is() -> None:
    assert _yoyo_url("postgresql://127.0.0.1:5432/test") == (
        "postgresql+psycopg://127.0.0.1:5432/test?connect_timeout=10"
    )
    assert _yoyo_url("sqlite:///data/ecomgate.db") == "sqlite:///data/ecomgate.db"
