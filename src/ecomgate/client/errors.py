"""What the SDK raises: one exception per ``errorCode`` family (spec §1.6), and the transport's
own failures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class EcomGateError(Exception):
    """Base of everything the SDK raises."""


class GatewayError(EcomGateError):
    """The gateway refused the request: ``error_code`` (a string, never "0") and its
    ``error_message`` (localised; never parse it).  ``answer`` is the whole JSON answer."""

    def __init__(self, error_code: str, error_message: str, answer: Mapping[str, Any]) -> None:
        super().__init__(f"errorCode {error_code}: {error_message}")
        self.error_code = error_code
        self.error_message = error_message
        self.answer = dict(answer)


class OrderNumberError(GatewayError):
    """1: a duplicate or invalid orderNumber, or no order named at all."""


class DeclinedError(GatewayError):
    """2: declined because of the payment credentials (a binding payment), or a binding in
    the wrong state."""


class CurrencyError(GatewayError):
    """3: unknown or not enabled currency."""


class MissingParameterError(GatewayError):
    """4: a mandatory parameter is missing or empty, or the return URL is invalid."""


class InvalidRequestError(GatewayError):
    """5: a wrong parameter value, or access denied (credentials, permission, foreign
    order or binding)."""


class OrderNotFoundError(GatewayError):
    """6: no such order (an orderNumber sent as orderId is the usual cause)."""


class GatewaySystemError(GatewayError):
    """7: a system error, the order is not in a state that allows the operation, or the
    acquirer's answer is pending (check the order's status before doing it again)."""


class NotPermittedError(GatewayError):
    """13: the merchant lacks the privilege, or features that cannot go together."""


class FeaturesError(GatewayError):
    """14: an invalid ``features`` value."""


ERROR_FAMILIES: dict[str, type[GatewayError]] = {
    "1": OrderNumberError,
    "2": DeclinedError,
    "3": CurrencyError,
    "4": MissingParameterError,
    "5": InvalidRequestError,
    "6": OrderNotFoundError,
    "7": GatewaySystemError,
    "13": NotPermittedError,
    "14": FeaturesError,
}


def error_for(error_code: str, error_message: str, answer: Mapping[str, Any]) -> GatewayError:
    return ERROR_FAMILIES.get(error_code, GatewayError)(error_code, error_message, answer)


class TransportError(EcomGateError):
    """No answer was read: the connection failed, dropped or timed out (after the retries a
    safe call gets).  ``maybe_processed`` True: the request may have reached the gateway;
    before repeating a call that moves money, look at the order."""

    def __init__(self, message: str, *, maybe_processed: bool) -> None:
        super().__init__(message)
        self.maybe_processed = maybe_processed


class ProtocolError(EcomGateError):
    """An answer that is not the API's: a non-200 HTTP status or a body that is not a JSON
    object (a proxy's error page, a wrong base URL)."""

    def __init__(self, message: str, *, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code
