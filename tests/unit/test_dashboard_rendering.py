"""The dashboard's pure parts: amounts typed in forms, the CSV cells, the SVG chart, the
order's timeline."""

from __future__ import annotations

import pytest

from ecomgate.domain import codes
from ecomgate.domain.order import CardSnapshot, Order
from ecomgate.web.dashboard import csv_export
from ecomgate.web.dashboard.chart import Bar, turnover_svg
from ecomgate.web.dashboard.forms import FormError, cursor, order_filter, parse_amount, show_amount
from ecomgate.web.dashboard.timeline import timeline


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [("12.50", "643", 1250), ("12,5", "643", 1250), ("7", "643", 700), (" 0.01 ", "978", 1)],
)
def test_an_amount_is_typed_in_major_units(typed: str, currency: str, minor: int) -> None:
    assert parse_amount(typed, currency) == minor
    assert parse_amount(show_amount(minor, currency), currency) == minor


@pytest.mark.parametrize("typed", ["", "abc", "1.234", "-5", "1e3", "1.2.3"])
def test_anything_else_is_no_amount(typed: str) -> None:
    with pytest.raises(FormError) as refused:
        parse_amount(typed, "643")
    assert refused.value.key == "bad_amount"


def test_the_filter_reads_dates_as_whole_utc_days() -> None:
    query = order_filter({"from": "2026-12-01", "to": "2026-12-01", "last4": "1234"}, "643")
    assert query.where.created_from == 1796083200000
    assert query.where.created_to == 1796083200000 + 86_400_000
    assert query.where.pan_last4 == "1234"
    assert cursor("garbage") is None


def _order() -> Order:
    order = Order(
        id="01a23700-0000-7000-8000-000000000001",
        merchant_id="m",
        order_number="=HYPERLINK(1)",
        amount=2000,
        currency="643",
        two_phase=False,
        created_at=1_796_000_000_000,
        expires_at=1_796_000_000_000 + 1_200_000,
        return_url="https://shop.example/ok",
        description="+cmd",
    )
    order.card = CardSnapshot("444455**3333", "203012", "X", "VISA")
    return order


def test_a_csv_cell_never_starts_a_formula() -> None:
    row = csv_export.row(_order())
    assert row[1] == "'=HYPERLINK(1)"
    assert row[-1] == "'+cmd"
    assert row[4] == "20.00" and row[9] == "444455**3333"


def test_the_chart_draws_a_bar_per_day_and_escapes_its_texts() -> None:
    svg = turnover_svg([Bar("d1", 0, "0"), Bar("d2", 100, "<1>")], "A & B")
    assert svg.count("<rect") == 2
    assert "A &amp; B" in svg and "&lt;1&gt;" in svg and "<1>" not in svg


def test_an_expired_order_ends_its_timeline_with_the_expiry() -> None:
    order = _order()
    order.card = None
    order.expire(order.expires_at)
    steps = timeline(order)
    assert [s.what for s in steps] == ["registered", "expired"]
    assert steps[-1].action_code == codes.ORDER_EXPIRED
