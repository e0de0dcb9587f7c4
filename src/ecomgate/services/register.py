"""register.do / registerPreAuth.do (spec §3.1, §3.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ecomgate.domain import ids
from ecomgate.domain.errors import (
    CurrencyError,
    GatewayError,
    InvalidParameter,
    MissingParameter,
    OrderNumberError,
)
from ecomgate.domain.merchant import Merchant, Permission
from ecomgate.domain.order import Order

from . import bindings
from .context import Services
from .ports import DuplicateOrderNumber
from .uow import OrderRef

FEATURES = frozenset(
    {
        "AUTO_PAYMENT",
        "VERIFY",
        "FORCE_TDS",
        "FORCE_SSL",
        "FORCE_FULL_TDS",
        "FORCE_CREATE_BINDING",
        "PARTIAL_AUTHORIZATION",
        "FORCE_PAYMENT_WAY",
    }
)


@dataclass(frozen=True)
class RegisterCommand:
    """A validated registration request (the web layer has checked types and lengths)."""

    two_phase: bool
    amount: int
    return_url: str
    currency: str | None = None
    order_number: str | None = None
    fail_url: str = ""
    dynamic_callback_url: str = ""
    description: str = ""
    language: str | None = None
    page_view: str = "DESKTOP"
    client_id: str = ""
    binding_id: str = ""
    json_params: dict[str, str] = field(default_factory=dict)
    order_bundle: Any = None
    session_timeout_secs: int | None = None
    expires_at: int | None = None  # from expirationDate, epoch ms
    features: tuple[str, ...] = ()
    email: str = ""
    phone: str = ""
    ip: str = ""
    autocompletion_at: int | None = None
    auto_reverse_at: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _check_features(merchant: Merchant, cmd: RegisterCommand) -> None:
    unknown = [f for f in cmd.features if f not in FEATURES]
    if unknown:
        raise GatewayError(14, "invalid_features", value=unknown[0])
    features = set(cmd.features)
    if "AUTO_PAYMENT" in features and features & {"FORCE_TDS", "FORCE_SSL"}:
        raise GatewayError(13, "incompatible_features")
    if "VERIFY" in features and not merchant.may(Permission.VERIFY):
        raise GatewayError(13, "verify_forbidden")
    if "AUTO_PAYMENT" in features and not merchant.may(Permission.AUTO_PAYMENT):
        raise GatewayError(13, "auto_payment_forbidden")
    if "FORCE_CREATE_BINDING" in features and not cmd.client_id:
        raise MissingParameter("clientId")
    if cmd.binding_id:
        # spec §3.1: paying with a binding needs the same clientId; it stores no new card
        if not merchant.may(Permission.BINDINGS):
            raise GatewayError(5, "operation_forbidden", method="register.do bindingId")
        if not cmd.client_id:
            raise MissingParameter("clientId")
        if "FORCE_CREATE_BINDING" in features:
            raise GatewayError(13, "force_binding_with_binding")


def _check_bundle(cmd: RegisterCommand) -> None:
    """orderBundle's cart must add up to ``amount``, and each item's ``itemAmount`` be its
    ``itemPrice`` × ``quantity.value`` (rounded) when both are given (spec §3.1).  A cart
    whose ``items`` is null or empty is an empty cart: nothing to check."""
    bundle = cmd.order_bundle
    if bundle is None:
        return
    if not isinstance(bundle, dict):
        raise InvalidParameter("orderBundle")
    cart = bundle.get("cartItems")
    if cart is None:
        return
    if not isinstance(cart, dict):
        raise InvalidParameter("orderBundle", "bad_cart")
    items = cart.get("items")
    if items is None or items == []:
        return
    if not isinstance(items, list):
        raise InvalidParameter("orderBundle", "bad_cart")
    total = 0
    for position, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise InvalidParameter("orderBundle", "bad_cart")
        value = item.get("itemAmount")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidParameter("orderBundle", "bad_cart")
        price, quantity = item.get("itemPrice"), item.get("quantity")
        count = quantity.get("value") if isinstance(quantity, dict) else quantity
        if price is not None and count is not None:
            if not _number(price) or not _number(count):
                raise InvalidParameter("orderBundle", "bad_cart")
            expected = _times(price, count)
            if expected != value:
                raise InvalidParameter(
                    "orderBundle",
                    "cart_item_amount_mismatch",
                    position=position,
                    amount=value,
                    expected=expected,
                )
        total += value
    if total != cmd.amount:
        raise InvalidParameter("orderBundle", "cart_total_mismatch", total=total)


def _times(price: float, count: float) -> int:
    """``price`` × ``count`` rounded half up to a whole minor unit (quantities may be
    fractional: 1.5 kg)."""
    product = Decimal(str(price)) * Decimal(str(count))
    return int(product.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


async def register(services: Services, merchant: Merchant, cmd: RegisterCommand) -> Order:
    now = services.clock.now_ms()
    currency = cmd.currency or merchant.default_currency
    if currency not in services.policy.enabled_currencies:
        raise CurrencyError(currency=currency)
    _check_features(merchant, cmd)
    if cmd.amount == 0 and "VERIFY" not in cmd.features:
        raise InvalidParameter("amount", "zero_amount")
    if cmd.amount != 0 and "VERIFY" in cmd.features:
        # a verification takes no money: the order ends REVERSED without a reversal sent
        raise InvalidParameter("amount", "verify_amount_not_zero")
    _check_bundle(cmd)
    if cmd.binding_id:
        await bindings.check_for_register(services, merchant, cmd.binding_id, cmd.client_id)

    if cmd.expires_at is not None:
        if cmd.expires_at <= now:
            raise InvalidParameter("expirationDate", "date_in_past")
        expires_at = cmd.expires_at
    elif cmd.session_timeout_secs is not None:
        if cmd.session_timeout_secs <= 0:
            raise InvalidParameter("sessionTimeoutSecs")
        expires_at = now + cmd.session_timeout_secs * 1000
    else:
        expires_at = now + merchant.settings.session_timeout_secs * 1000
    if cmd.autocompletion_at is not None and cmd.auto_reverse_at is not None:
        raise InvalidParameter("autoReverseDate", "auto_dates_conflict")
    if "feeInput" in cmd.extra and not merchant.may(Permission.FEE_INPUT):
        raise GatewayError(5, "parameter_needs_permission", name="feeInput")
    if cmd.two_phase:  # register.do ignores both dates: a one-stage order holds nothing
        # spec §3.2: the gateway capturing or reversing by itself needs its permission
        if cmd.autocompletion_at is not None and not merchant.may(Permission.AUTO_COMPLETION):
            raise GatewayError(5, "parameter_needs_permission", name="autocompletionDate")
        if cmd.auto_reverse_at is not None and not merchant.may(Permission.AUTO_REVERSE):
            raise GatewayError(5, "parameter_needs_permission", name="autoReverseDate")

    order_id = ids.uuid7(now)
    order_number = cmd.order_number
    if order_number is None:
        if merchant.settings.order_number_required:
            raise MissingParameter("orderNumber")
        # generated numbers are the order id itself: unique for ever, fits ANS..36
        order_number = order_id

    order = Order(
        id=order_id,
        merchant_id=merchant.id,
        order_number=order_number,
        amount=cmd.amount,
        currency=currency,
        two_phase=cmd.two_phase,
        created_at=now,
        expires_at=expires_at,
        return_url=cmd.return_url,
        fail_url=cmd.fail_url,
        description=cmd.description,
        language=cmd.language or merchant.settings.language,
        page_view=cmd.page_view,
        client_id=cmd.client_id,
        binding_id=cmd.binding_id,
        dynamic_callback_url=cmd.dynamic_callback_url,
        json_params=cmd.json_params,
        order_bundle=cmd.order_bundle,
        features=cmd.features,
        email=cmd.email,
        phone=cmd.phone,
        ip=cmd.ip,
        autocompletion_at=cmd.autocompletion_at if cmd.two_phase else None,
        auto_reverse_at=cmd.auto_reverse_at if cmd.two_phase else None,
        extra=cmd.extra,
        payment_way=cmd.json_params.get("paymentWay", "CARD") if cmd.json_params else "CARD",
    )
    try:
        await services.uow.add_order(order)
    except DuplicateOrderNumber as exc:
        raise OrderNumberError() from exc
    return order


async def add_order_params(
    services: Services, merchant: Merchant, ref: OrderRef, params: dict[str, str]
) -> None:
    """addParams.do (spec §10): more ``merchantOrderParams`` for the merchant's order."""
    async with services.uow.order(ref, merchant=merchant) as scope:
        scope.order.add_params(params)
