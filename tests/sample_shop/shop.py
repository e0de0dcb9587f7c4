"""A tiny shop, as a shop's own code would talk to its gateway: register an order, trust
only a callback whose checksum is right, confirm with the status call.  It knows nothing
of EcomGate but its URL, its credentials and the public ``ecomgate.callbacks`` module."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from ecomgate.callbacks import verify_checksum


@dataclass
class Shop:
    api_url: str  # https://gateway/payment/rest
    credentials: dict[str, str]
    callback_secret: str = ""
    paid: set[str] = field(default_factory=set)

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.api_url}/{method}.do", data={**self.credentials, **params})
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def checkout(self, amount: int, *, lifetime: int = 1200) -> str:
        """Register the order; the buyer would go to its formUrl now."""
        body = self._call(
            "register",
            amount=amount,
            returnUrl="https://shop.example/thanks",
            sessionTimeoutSecs=lifetime,
        )
        assert "formUrl" in body, body
        return str(body["orderId"])

    def on_callback(self, params: dict[str, str]) -> bool:
        """The shop's callback handler: a paid order only on a valid checksum."""
        if not verify_checksum(params, self.callback_secret):
            return False
        if params["operation"] == "deposited" and params["status"] == "1":
            self.paid.add(params["mdOrder"])
        return True

    def status(self, order_id: str) -> dict[str, Any]:
        return self._call("getOrderStatusExtended", orderId=order_id)

    def refund(self, order_id: str, amount: int) -> dict[str, Any]:
        return self._call("refund", orderId=order_id, amount=amount)
