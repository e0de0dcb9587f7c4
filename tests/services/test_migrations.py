"""Migrations 0002 and 0003 on both engines: a database of version 1 with a paid order, a declined
attempt and an operation left PENDING keeps every fact, now where it belongs (the
authorization's fields on its ledger row), and the reconciler can see what was pending."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from yoyo import read_migrations

from ecomgate import storage
from ecomgate.domain.operations import OperationState
from ecomgate.services.ports import OutboxQuery
from ecomgate.storage import migrate

from ..conftest import create_pg_database, drop_pg_database, require_postgres

ORDER_COLUMNS = (
    "id, merchant_id, order_number, amount, currency, two_phase, status, action_code,"
    " created_at, expires_at, return_url, fail_url, description, language, page_view,"
    " client_id, binding_id, dynamic_callback_url, json_params, features, email, phone, ip,"
    " extra, attempts, approval_code, auth_ref_num, terminal_id, auth_at, eci, payment_way"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/v1.db"
        return
    require_postgres()
    url = create_pg_database()
    yield url
    drop_pg_database(url)


def _apply_version_1(url: str) -> None:
    backend = migrate._backend(url)
    try:
        version_1 = read_migrations(str(Path(migrate.__file__).parent / "migrations"))
        todo = backend.to_apply(version_1).filter(lambda m: m.id == "0001.initial-schema")
        backend.apply_migrations(todo)
    finally:
        backend.connection.close()


def _order_sql(order_id: str, status: int, action_code: int, auth: tuple[object, ...]) -> str:
    approval, rrn, terminal, auth_at, eci = auth
    return (
        f"INSERT INTO orders ({ORDER_COLUMNS}) VALUES ('{order_id}', 'm1', '{order_id}', 2000,"
        f" '643', 0, {status}, {action_code}, 1000, 99000, 'https://s/ok', '', '', 'en',"
        f" 'DESKTOP', '', '', '', '{{}}', '[]', '', '', '', '{{}}', 1, '{approval}', '{rrn}',"
        f" '{terminal}', {auth_at}, '{eci}', 'CARD')"
    )


async def test_version_2_moves_authorization_fields_to_the_ledger(empty_database: str) -> None:
    url = empty_database
    _apply_version_1(url)
    paid, pending = str(uuid.uuid4()), str(uuid.uuid4())
    store = await storage.open_store(url)
    try:
        async with store.transaction() as tx:
            db = tx.db  # type: ignore[attr-defined]
            await db.execute(
                "INSERT INTO merchants (id, login, name, password_hash, token_hash,"
                " default_currency, permissions, settings, created_at)"
                " VALUES ('m1', 'shop', 'Shop', 'x', NULL, '643', '[]', '{}', 0)"
            )
            await db.execute(_order_sql(paid, 2, 0, ("A1B2C3", "612345678901", "T1", 1500, "05")))
            await db.execute(_order_sql(pending, 0, -1, ("", "", "", "NULL", "")))
            for op_id, order_id, kind, state in (
                ("a1", paid, "authorization", "approved"),
                ("d1", paid, "deposit", "approved"),
                ("a2", pending, "authorization", "pending"),
            ):
                await db.execute(
                    "INSERT INTO operations (id, order_id, kind, state, amount, created_at,"
                    " action_code, reference_number, approval_code, external_id)"
                    f" VALUES ('{op_id}', '{order_id}', '{kind}', '{state}', 2000, 1500, 0,"
                    " '612345678901', 'A1B2C3', NULL)"
                )
            # version 1 wrote events that nobody ever sent
            for event_id, operation, at in (("e1", "approved", 1500), ("e2", "deposited", 1500)):
                await db.execute(
                    "INSERT INTO events (id, order_id, operation, status, created_at, payload,"
                    f" state, attempts, next_try_at) VALUES ('{event_id}', '{paid}',"
                    f" '{operation}', 1, {at}, '{{}}', 'new', 0, {at})"
                )
    finally:
        await store.close()

    applied = migrate.upgrade(url)
    # every later version, in order (what a later one adds is tested where it is used)
    assert applied[:2] == ["0002.ledger-holds-authorization-fields", "0003.callback-delivery"]
    assert applied == sorted(applied) and migrate.pending(url) == []

    store = await storage.open_store(url)
    try:
        async with store.transaction() as tx:
            order = await tx.orders.get(paid)
            stuck = await tx.orders.get(pending)
            waiting = await tx.orders.awaiting_acquirer(10**13, 10**13, 10)
            old_events = await tx.outbox.find(OutboxQuery(order_id=paid))
            due = await tx.outbox.claim(10**13, 10**13 + 1, "token", 10)
    finally:
        await store.close()
    assert order is not None and stuck is not None
    assert (order.approval_code, order.auth_ref_num, order.terminal_id) == (
        "A1B2C3",
        "612345678901",
        "T1",
    )
    assert (order.auth_at, order.eci) == (1500, "05")
    assert stuck.operations[0].state is OperationState.PENDING
    assert stuck.operations[0].sent_at == 1500  # with the acquirer: the reconciler's now
    assert [(w.order_id, w.operation_id) for w in waiting] == [(pending, "a2")]
    # version 3: the old events are kept, in order, but never sent weeks late
    assert [(e.operation, e.stream_seq, e.state) for e in reversed(old_events)] == [
        ("approved", 1, "skipped"),
        ("deposited", 2, "skipped"),
    ]
    assert due == []
