"""Domain errors.  Each carries the API ``errorCode`` it maps to and a message key.

The adapters turn them into the wire form (``errorCode``/``errorMessage``) in the caller's
language; the domain only says *what* went wrong.
"""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """A business outcome that ends a request with a non-zero ``errorCode``."""

    #: the ``actionCode`` the answer carries besides the errorCode (None: none)
    action_code: int | None = None

    def __init__(self, error_code: int, key: str, **params: Any) -> None:
        super().__init__(f"{error_code}:{key}:{params}")
        self.error_code = error_code
        self.key = key
        self.params = params


class OrderNumberError(GatewayError):
    def __init__(self, key: str = "duplicate_order_number", **params: Any) -> None:
        super().__init__(1, key, **params)


class CurrencyError(GatewayError):
    def __init__(self, **params: Any) -> None:
        super().__init__(3, "unknown_currency", **params)


class MissingParameter(GatewayError):
    def __init__(self, name: str) -> None:
        super().__init__(4, "missing_parameter", name=name)


class InvalidParameter(GatewayError):
    def __init__(self, name: str, key: str = "invalid_parameter", **params: Any) -> None:
        super().__init__(5, key, name=name, **params)


class AccessDenied(GatewayError):
    def __init__(self, key: str = "access_denied") -> None:
        super().__init__(5, key)


class OperationForbidden(GatewayError):
    """The merchant lacks the permission for this operation (errorCode 5)."""

    def __init__(self, key: str = "operation_forbidden", **params: Any) -> None:
        super().__init__(5, key, **params)


class OrderNotFound(GatewayError):
    def __init__(self) -> None:
        super().__init__(6, "order_not_found")


class WrongState(GatewayError):
    """The order is not in a state that allows the operation (errorCode 7)."""

    def __init__(self, key: str = "wrong_state", **params: Any) -> None:
        super().__init__(7, key, **params)


class AttemptsExhausted(WrongState):
    """A payment attempt on an order its declined attempts have already declined (spec
    §2.5): refused like any wrong state (7), and the answer carries actionCode -2013."""

    action_code = -2013

    def __init__(self) -> None:
        super().__init__("attempts_exhausted")


class SystemError_(GatewayError):
    def __init__(self, key: str = "system_error", **params: Any) -> None:
        super().__init__(7, key, **params)
