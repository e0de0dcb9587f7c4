"""The ``.do`` endpoint: one route per path prefix, a table of methods behind it.

Every outcome is HTTP 200 with a JSON body (spec §10); a bug or a database outage becomes
``errorCode`` 7, never a stack trace or an HTML error page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ecomgate.domain.errors import AccessDenied, GatewayError
from ecomgate.domain.merchant import Merchant, Permission
from ecomgate.services.auth import Authenticator
from ecomgate.services.context import Services

from .messages import message
from .params import CONTROL_CHARACTERS, Context, RawParams, read_params

log = logging.getLogger("ecomgate.api")

JSON_TYPE = "application/json;charset=UTF-8"
#: methods the spec (or the bank family's client libraries) name that EcomGate does not
#: serve: HTTP 200 with an errorCode, so a client library reaches its own error branch
#: instead of throwing on a 404 (spec §10); any other unknown name is a 404
UNSERVED_METHODS = frozenset(
    {
        "recurrentPayment",
        "installmentPayment",
        "verifyEnrollment",
        "getLastOrdersForMerchants",
        "getReceiptStatus",
        "updateSSLCardList",
        "paymentSberPay",
        "applePay",
        "googlePay",
        "samsungPay",
    }
)
MESSAGE_LANGUAGES = ("ru", "en")


def json_response(body: dict[str, Any], status_code: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    try:
        content = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate echoed back: escape rather than fail
        content = json.dumps(body, separators=(",", ":")).encode("ascii")
    return Response(content, status_code=status_code, media_type=JSON_TYPE)


@dataclass
class ApiCall:
    """One API request as the method handlers see it."""

    request: Request
    raw: RawParams
    services: Services
    authenticator: Authenticator
    ctx: Context
    options: dict[str, Any]
    #: language of errorMessage: the request's, else the merchant's, else "ru"
    language: str = "ru"
    merchant: Merchant | None = field(default=None)

    def success(self, **body: Any) -> dict[str, Any]:
        """errorCode "0" with its message in the call's language, and ``body``."""
        return {"errorCode": "0", "errorMessage": message("success", self.language), **body}

    def param(self, name: str) -> str | None:
        values = self.raw.get(name)
        return values[0] if values else None

    async def authenticate(self, permission: Permission | None = None) -> Merchant:
        token = self.param("token")
        user, password = self.param("userName"), self.param("password")
        if any(CONTROL_CHARACTERS.search(v) for v in (token, user, password) if v):
            raise AccessDenied()  # no merchant has such credentials; no lookup needed
        if token and (user or password):
            raise AccessDenied("credentials_twice")
        if token:
            merchant = await self.authenticator.by_token(token)
        elif user and password:
            merchant = await self.authenticator.by_password(user, password)
        else:
            raise AccessDenied()
        merchant = await self.authenticator.acting_as(merchant, self.param("merchantLogin") or "")
        self.merchant = merchant
        if not self._explicit_language() or self.language not in MESSAGE_LANGUAGES:
            # spec §7: messages in ru and en; other codes fall back to the merchant default
            self.language = merchant.settings.language
        # refused in the merchant's language, like every other refusal once it is known
        if permission is not None and not merchant.may(permission):
            raise GatewayError(5, "operation_forbidden", method=self.request.url.path)
        return merchant

    def _explicit_language(self) -> bool:
        lang = (self.param("language") or "").lower()
        return len(lang) == 2 and lang.isalpha()


Handler = Callable[[ApiCall], Awaitable[dict[str, Any]]]


def _unserved(name: str) -> Handler:
    async def handler(call: ApiCall) -> dict[str, Any]:
        raise GatewayError(7, "method_not_served", method=f"{name}.do")

    return handler


@dataclass(frozen=True)
class Method:
    handler: Handler
    #: getOrderStatus.do answers with ErrorCode/ErrorMessage
    legacy_keys: bool = False
    #: the card-payment methods' errors also carry ``error`` (the message again) and
    #: ``is3DSVer2``, as spec §3.10's example answer of paymentOrderBinding.do shows
    payment_error: bool = False


class Api:
    def __init__(self) -> None:
        self.methods: dict[str, Method] = {}
        self.services: Services | None = None
        self.authenticator: Authenticator | None = None
        self.ctx: Context | None = None
        self.options: dict[str, Any] = {}

    def add(
        self,
        name: str,
        handler: Handler,
        *,
        legacy_keys: bool = False,
        payment_error: bool = False,
    ) -> None:
        self.methods[name] = Method(handler, legacy_keys, payment_error)

    def bind(
        self,
        services: Services,
        authenticator: Authenticator,
        ctx: Context,
        options: dict[str, Any],
    ) -> None:
        self.services, self.authenticator, self.ctx, self.options = (
            services,
            authenticator,
            ctx,
            options,
        )

    async def endpoint(self, request: Request) -> Response:
        """The ``/.../{method}.do`` route: the method is named by the path."""
        return await self.dispatch(request.path_params["method"], request)

    def bound(self, name: str, http_methods: tuple[str, ...] = ("GET", "POST")) -> Endpoint:
        """An endpoint for one method on a route of its own (the sandbox's paths), which
        answers other HTTP methods with the API's own 405."""

        async def endpoint(request: Request) -> Response:
            if request.method not in http_methods:
                return _not_allowed(request.method)
            return await self.dispatch(name, request)

        return endpoint

    async def dispatch(self, name: str, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            # HEAD too: it must not register an order while pretending to only look
            return _not_allowed(request.method)
        method = self.methods.get(name)
        if method is None and name in UNSERVED_METHODS:
            method = Method(_unserved(name))
        if method is None:
            return json_response(
                {"errorCode": "7", "errorMessage": f"Unknown method: {name}.do"}, 404
            )
        assert self.services is not None and self.authenticator is not None
        assert self.ctx is not None
        try:
            raw = await read_params(request)
        except GatewayError as exc:
            return json_response(
                self._error(method, str(exc.error_code), message(exc.key, "en", **exc.params))
            )
        except Exception:  # a body that is not even text
            log.warning("unreadable request body on %s", request.url.path)
            raw = {}
        call = ApiCall(request, raw, self.services, self.authenticator, self.ctx, self.options)
        lang = (call.param("language") or "").lower()
        if call._explicit_language():
            call.language = lang
        try:
            body = await method.handler(call)
        except GatewayError as exc:
            body = self._error(
                method, str(exc.error_code), message(exc.key, call.language, **exc.params)
            )
            if exc.action_code is not None:  # e.g. -2013: the payment attempts are used up
                body["actionCode"] = exc.action_code
        except Exception:
            log.exception("%s.do failed", name)
            body = self._error(method, "7", message("system_error", call.language))
        return json_response(body)

    @staticmethod
    def _error(method: Method, code: str, text: str) -> dict[str, Any]:
        if method.legacy_keys:
            return {"ErrorCode": code, "ErrorMessage": text}
        if method.payment_error:
            return {"error": text, "errorCode": code, "is3DSVer2": False, "errorMessage": text}
        return {"errorCode": code, "errorMessage": text}


Endpoint = Callable[[Request], Awaitable[Response]]


def _not_allowed(http_method: str) -> Response:
    return json_response(
        {"errorCode": "7", "errorMessage": f"Method {http_method} not allowed"}, 405
    )
