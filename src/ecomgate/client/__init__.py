"""The SDK for shops: any gateway of the eCommerce API v1 family from Python.

::

    from ecomgate.client import Gateway

    g = Gateway("https://gateway.example", user_name="shop-api", password="secret")
    o = g.register(amount=1000, return_url="https://shop.example/back", order_number="42")
    # redirect the buyer to o.form_url; when they are back (never trust the redirect alone):
    s = g.status(order_id=o.order_id)
    s.order_status, s.action_code, s.payment_amount_info

Needs httpx and the standard library only (the ``ecomgate-client`` wheel, or
``pip install ecomgate[client]`` beside the server).  Python names
map one to one onto the API's (``return_url`` is ``returnUrl``); ``extra=`` passes any
parameter by its API name.  A refused request raises the ``GatewayError`` of its errorCode
family (``errors.py``); callbacks are checked with ``verify_checksum``.
"""

from ecomgate.callbacks import verify_checksum

from .errors import (
    CurrencyError,
    DeclinedError,
    EcomGateError,
    FeaturesError,
    GatewayError,
    GatewaySystemError,
    InvalidRequestError,
    MissingParameterError,
    NotPermittedError,
    OrderNotFoundError,
    OrderNumberError,
    ProtocolError,
    TransportError,
)
from .gateway import AsyncGateway, Gateway
from .results import (
    Binding,
    Bindings,
    CardAuthInfo,
    CreatedBinding,
    Done,
    LegacyOrderStatus,
    OrderStatus,
    PaymentAmountInfo,
    PaymentResult,
    RegisteredOrder,
)

__all__ = [
    "AsyncGateway",
    "Binding",
    "Bindings",
    "CardAuthInfo",
    "CreatedBinding",
    "CurrencyError",
    "DeclinedError",
    "Done",
    "EcomGateError",
    "FeaturesError",
    "Gateway",
    "GatewayError",
    "GatewaySystemError",
    "InvalidRequestError",
    "LegacyOrderStatus",
    "MissingParameterError",
    "NotPermittedError",
    "OrderNotFoundError",
    "OrderNumberError",
    "OrderStatus",
    "PaymentAmountInfo",
    "PaymentResult",
    "ProtocolError",
    "RegisteredOrder",
    "TransportError",
    "verify_checksum",
]
