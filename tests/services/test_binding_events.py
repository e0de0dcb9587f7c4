"""The events of stored cards reach the outbox in the transaction of the change, on both
engines: ``bindingCreated`` with the paying order (in the order's stream, with the masked
PAN and contacts), ``bindingActivityChanged`` for unbind/bind in the binding's stream, and
``bindingCreated`` for an imported card."""

from __future__ import annotations

from datetime import UTC, datetime

from ecomgate.services import bindings, payment
from ecomgate.services.context import Services
from ecomgate.services.payment import CardForm
from ecomgate.services.ports import OutboxQuery
from ecomgate.services.register import RegisterCommand, register

from .test_bindings_vault import binding_merchant

YEAR = str(datetime.now(UTC).year + 3)


async def test_binding_events_are_written_with_their_change(services: Services) -> None:
    merchant = await binding_merchant(services)
    order = await register(
        services,
        merchant,
        RegisterCommand(
            two_phase=False,
            amount=700,
            return_url="https://shop.example/",
            client_id="events-client",
            email="buyer@example.com",
            phone="+79990001122",
        ),
    )
    result = await payment.pay(
        services, order.id, CardForm("4563960122001999", YEAR, "12", "347"), merchant=merchant
    )
    binding_id = result.order.binding_id
    assert binding_id

    await bindings.unbind(services, merchant, binding_id)
    await bindings.bind(services, merchant, binding_id)
    imported = await bindings.create_without_payment(
        services, merchant, bindings.NewCard("events-client", "4444555511113333", f"{YEAR}12")
    )

    async with services.uow.transaction() as repos:
        of_order = await repos.outbox.find(OutboxQuery(order_id=order.id))
        of_merchant = await repos.outbox.find(OutboxQuery(merchant_id=merchant.id))
    created = [e for e in of_order if e.operation == "bindingCreated"]
    assert len(created) == 1
    assert created[0].stream == order.id and created[0].binding_id == binding_id
    assert created[0].params == {
        "bindingId": binding_id,
        "clientId": "events-client",
        "panMasked": "456396**1999",
        "email": "buyer@example.com",
        "phone": "+79990001122",
    }
    changes = sorted(
        (e for e in of_merchant if e.operation == "bindingActivityChanged"),
        key=lambda e: e.stream_seq,
    )
    assert [(e.stream, e.params["enabled"]) for e in changes] == [
        (f"binding:{binding_id}", "false"),
        (f"binding:{binding_id}", "true"),
    ]
    imported_events = [e for e in of_merchant if e.binding_id == imported.id]
    assert [(e.operation, e.order_id, e.params["panMasked"]) for e in imported_events] == [
        ("bindingCreated", None, "444455**3333")
    ]
