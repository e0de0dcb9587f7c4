"""Real answers of every method — successes, not only the refusals generated cases mostly
meet — validate against the schemas of the gateway's own OpenAPI document."""

from __future__ import annotations

import secrets
from typing import Any, TypeVar

import httpx
import pytest
from jsonschema import Draft202012Validator

from ecomgate.client import DeclinedError, Gateway, GatewayError
from ecomgate.client.calls import Call
from ecomgate.testing.processes import GatewayProcess
from ecomgate.web.api.contracts.catalogue import CATALOGUE

from ..support import MerchantCredentials
from .test_gateway import APPROVED, DECLINED, EXPIRY, RETURN_URL

R = TypeVar("R")


class RecordingGateway(Gateway):
    """Keeps every answer it reads, refusals too, by API method."""

    answers: list[tuple[str, dict[str, Any]]]

    def execute(self, call: Call[R]) -> R:
        try:
            result = super().execute(call)
        except GatewayError as exc:
            self.answers.append((call.method, exc.answer))
            raise
        self.answers.append((call.method, result.raw))  # type: ignore[attr-defined]
        return result


def _validators(base_url: str) -> dict[str, Draft202012Validator]:
    doc = httpx.get(f"{base_url}/payment/rest/openapi.json").json()
    out = {}
    for path, item in doc["paths"].items():
        schema = item["post"]["responses"]["200"]["content"]["application/json"]["schema"]
        name = path.removeprefix("/payment/rest/").removesuffix(".do")
        out[name] = Draft202012Validator({**schema, "components": doc["components"]})
    return out


def test_every_methods_answers_match_the_document(
    gateway: GatewayProcess, shop: MerchantCredentials
) -> None:
    g = RecordingGateway(gateway.base_url, user_name=shop.login, password=shop.password)
    g.answers = []
    pan, cvc = APPROVED
    with g:
        one = g.register(amount=2000, return_url=RETURN_URL, order_number=secrets.token_hex(6))
        g.status(order_id=one.order_id)
        g.add_params(order_id=one.order_id, params={"k": "v"})
        g.process_form(md_order=one.order_id, pan=pan, cvc=cvc, expiry=EXPIRY)
        g.status(order_id=one.order_id)
        g.legacy_status(order_id=one.order_id)
        g.refund(order_id=one.order_id, amount=500, external_refund_id=secrets.token_hex(4))
        g.status(order_id=one.order_id)
        held = g.register_preauth(amount=1500, return_url=RETURN_URL)
        g.payment_order(md_order=held.order_id, pan=pan, cvc=cvc, expiry=EXPIRY)
        g.deposit(order_id=held.order_id, amount=1000)
        other = g.register_preauth(amount=1500, return_url=RETURN_URL)
        g.process_form(md_order=other.order_id, pan=pan, cvc=cvc, expiry=EXPIRY)
        g.reverse(order_id=other.order_id)
        g.decline(order_id=g.register(amount=100, return_url=RETURN_URL).order_id)
        declined = g.register(amount=100, return_url=RETURN_URL)
        g.process_form(md_order=declined.order_id, pan=DECLINED[0], cvc="123", expiry=EXPIRY)
        g.legacy_status(order_id=declined.order_id)
        challenged = g.register(amount=100, return_url=RETURN_URL)
        method_step = g.process_form(
            md_order=challenged.order_id, pan="4111111111111111", cvc="123", expiry=EXPIRY
        )
        assert method_step.three_ds_method_url  # 3-D Secure 2, frictionless for this card
        g.continue_3ds2(md_order=challenged.order_id, three_ds_comp_ind="N")
        with pytest.raises(GatewayError):
            g.finish_3ds2_payment(three_ds_server_trans_id="no-such-transaction")
        client = f"c-{secrets.token_hex(4)}"
        card = g.create_binding_no_payment(client_id=client, pan=pan, expiry_date=EXPIRY)
        g.get_bindings(client_id=client)
        g.get_bindings_by_card_or_id(binding_id=card.binding_id)
        g.extend_binding(binding_id=card.binding_id, new_expiry=f"{int(EXPIRY[:4]) + 1}01")
        g.unbind_card(binding_id=card.binding_id)
        g.bind_card(binding_id=card.binding_id)
        paid = g.register(amount=300, return_url=RETURN_URL, client_id=client)
        g.payment_order_binding(md_order=paid.order_id, binding_id=card.binding_id, cvc=cvc)
        blocked = g.create_binding_no_payment(client_id=client, pan=DECLINED[0], expiry_date=EXPIRY)
        refused = g.register(amount=300, return_url=RETURN_URL, client_id=client)
        with pytest.raises(DeclinedError):  # errorCode 2: the card was declined
            g.payment_order_binding(
                md_order=refused.order_id, binding_id=blocked.binding_id, cvc="123"
            )
        with pytest.raises(GatewayError):  # the payment error shape
            g.payment_order_binding(md_order=refused.order_id, binding_id="no-such", cvc=cvc)
        for call in (
            lambda: g.status(order_id="00000000-0000-0000-0000-000000000000"),
            lambda: g.legacy_status(order_id="00000000-0000-0000-0000-000000000000"),
            lambda: g.refund(order_id=one.order_id, amount=10**9),
        ):
            with pytest.raises(GatewayError):
                call()

    validators = _validators(gateway.base_url)
    seen = set()
    for method, answer in g.answers:
        errors = [e.message for e in validators[method].iter_errors(answer)]
        assert not errors, (method, answer, errors)
        seen.add(method)
    served = {c.name for c in CATALOGUE if not c.alias_of}
    assert seen == served
