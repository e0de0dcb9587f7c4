"""The benchmark's own tools (the benchmark itself never runs in the suite): its command
line, the bulk loader on both engines, and the summary of a py-spy profile."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bench import bulk_orders
from bench.__main__ import _make_merchants, parse_args
from bench.plans import HOT, Plan, plans
from bench.profile import summarise

from ecomgate import storage
from ecomgate.domain.codes import OrderStatus

ROOT = Path(__file__).resolve().parents[2]


def test_bench_help_lists_its_options() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    for option in ("--sizes", "--seconds", "--engines", "--sweep", "--no-profile"):
        assert option in done.stdout


def test_bench_options_are_parsed_into_lists() -> None:
    args = parse_args(
        ["--sizes", "10000,1000000", "--engines", "sqlite", "--sweep", "0",
         "--env", "ECOMGATE_AUTH_CACHE_SECONDS=300", "--workers", "2"]
    )  # fmt: skip
    assert args.sizes == [10_000, 1_000_000]
    assert args.engines == ["sqlite"]
    assert args.sweep == 0
    assert args.env == [("ECOMGATE_AUTH_CACHE_SECONDS", "300")]
    assert args.workers == 2


def test_bench_refuses_unknown_scenarios_and_tiny_sizes() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--scenarios", "register,teleport"])
    with pytest.raises(SystemExit):
        parse_args(["--sizes", "10"])


def test_bulk_loader_writes_the_rows_it_reports(own_database_url: str) -> None:
    merchant_ids = asyncio.run(_make_merchants(own_database_url, 3))
    loaded = bulk_orders.load(own_database_url, merchant_ids, 1000, due=40, sample_size=50)
    assert loaded.orders == 1040
    # paid orders carry an authorization and a deposit; the others have no ledger rows
    assert loaded.operations == 2 * 500

    async def read_back() -> None:
        store = await storage.open_store(own_database_url)
        try:
            async with store.transaction() as repos:
                db = repos.orders.db  # type: ignore[attr-defined]
                counted = await db.fetchone(
                    "SELECT (SELECT COUNT(*) FROM orders) AS orders,"
                    " (SELECT COUNT(*) FROM operations) AS operations"
                )
                assert (counted["orders"], counted["operations"]) == (1040, 1000)
                paid = await repos.orders.get(loaded.samples["paid"][0])
                unpaid = await repos.orders.get(loaded.samples["unpaid"][0])
                expired = await repos.orders.get(loaded.samples["expired"][0])
                due = await repos.orders.due(int(time.time() * 1000), 1000)
        finally:
            await store.close()
        assert paid is not None and paid.merchant_id == merchant_ids[0]
        assert paid.status is OrderStatus.DEPOSITED
        assert paid.totals.deposited_amount == bulk_orders.PAID_AMOUNT
        assert unpaid is not None and unpaid.status is OrderStatus.CREATED
        assert expired is not None and expired.status is OrderStatus.DECLINED
        # the overdue ones, and only those, wait for the sweeper
        assert len(due) == 40

    asyncio.run(read_back())
    # the working sets are the first merchant's orders (one in three), up to sample_size
    assert [len(loaded.samples[k]) for k in ("paid", "unpaid", "expired")] == [50, 50, 50]
    assert len(loaded.samples["due"]) == sum(1 for i in range(1000, 1040) if i % 3 == 0)


def test_profile_summary_shares_own_time_and_packages(tmp_path: Path) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_text(
        "<module> (<frozen runpy>:1);run (/v/site-packages/uvicorn/server.py:9);"
        "read (/w/src/ecomgate/storage/sqlite.py:5) 3\n"
        "<module> (<frozen runpy>:1);run (/v/site-packages/uvicorn/server.py:9);"
        "dumps (/v/site-packages/orjson/x.py:2) 1\n"
    )
    summary = summarise(raw)
    assert summary.samples == 4
    assert summary.own[0] == ("read (ecomgate/storage/sqlite.py)", 0.75)
    assert dict(summary.inclusive) == {"uvicorn": 1.0, "ecomgate.storage": 0.75, "orjson": 0.25}


def test_hot_statements_search_indexes_over_stored_orders(own_database_url: str) -> None:
    """Every lookup a request or the sweeper makes stays an index search as orders pile up
    (read from the engine's own planner over bulk-loaded rows)."""
    merchant_ids = asyncio.run(_make_merchants(own_database_url, 2))
    loaded = bulk_orders.load(own_database_url, merchant_ids, 5000, sample_size=1)
    found = plans(own_database_url, merchant_ids[0], loaded.samples["paid"][0])
    assert len(found) == len(HOT)
    assert [p.query for p in found if p.scans] == []


def test_a_plan_that_walks_a_whole_table_or_index_is_a_scan() -> None:
    assert Plan("q", "SCAN orders").scans
    assert Plan("q", "SCAN orders USING INDEX orders_due").scans
    assert Plan("q", "Limit\n  ->  Seq Scan on orders").scans
    assert not Plan("q", "SEARCH orders USING INDEX orders_due (due_at<?)").scans
    assert not Plan("q", "Index Scan using orders_pkey on orders").scans
