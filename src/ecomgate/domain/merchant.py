"""Merchants: who may call the API, and with which settings and permissions."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Permission(enum.StrEnum):
    DEPOSIT = "deposit"
    PARTIAL_DEPOSIT = "partial-deposit"
    REVERSE = "reverse"
    #: reverse.do on a paid one-stage order (same bank day): allowed by default now (spec
    #: §7, §8); a merchant who must forbid it sets ``reverse_deposited`` false.  Still
    #: accepted, granting it changes nothing (merchants created before keep working)
    REVERSE_DEPOSITED = "reverse-deposited"
    REFUND = "refund"
    #: paymentorder.do: server-to-server card payment (PCI DSS merchants, automated tests)
    CARD_PAYMENT_API = "card-payment-api"
    BINDINGS = "bindings"
    VERIFY = "verify"
    AUTO_PAYMENT = "auto-payment"
    #: createBindingNoPayment.do: import a card as a binding without a payment (BPC)
    CREATE_BINDING_NO_PAYMENT = "create-binding-no-payment"
    #: act on behalf of other merchants with ``merchantLogin``
    OTHER_MERCHANTS = "other-merchants"
    #: registerPreAuth.do with ``autocompletionDate`` / ``autoReverseDate`` (spec §3.2)
    AUTO_COMPLETION = "auto-completion"
    AUTO_REVERSE = "auto-reverse"
    #: register.do / registerPreAuth.do with ``feeInput`` (spec §3.1, §3.3)
    FEE_INPUT = "fee-input"


#: the 3-D Secure versions an issuer may speak for a card enrolled in both
THREE_DS1 = "3ds1"
THREE_DS2 = "3ds2"
THREE_DS_PROTOCOLS = (THREE_DS1, THREE_DS2)

#: what ``ecomgate merchant create`` grants unless told otherwise
DEFAULT_PERMISSIONS = frozenset(
    {Permission.DEPOSIT, Permission.PARTIAL_DEPOSIT, Permission.REVERSE, Permission.REFUND}
)


@dataclass(frozen=True)
class MerchantSettings:
    #: when True, register.do without ``orderNumber`` is errorCode 4 instead of generating one
    order_number_required: bool = False
    #: order lifetime when the request gives none (spec §2.4)
    session_timeout_secs: int = 1200
    #: payment attempts per order (spec §2.5; default 1 as on BPC UAT)
    max_attempts: int = 1
    #: reverse.do of a paid one-stage order on its bank day (spec §7, §8: allowed by
    #: default); False for a merchant who must forbid it (refused with errorCode 5)
    reverse_deposited: bool = True
    language: str = "ru"
    #: the ``<page>`` part of formUrl: /payment/merchants/<page>/payment_<lang>.html
    page: str = "ecom"
    # -- callbacks (spec §4; notifications/) --
    #: static callback URL; "" = no callbacks (unless an order has a dynamicCallbackUrl)
    callback_url: str = ""
    #: GET (parameters in the query string) or POST (the same set as a form body)
    callback_method: str = "GET"
    #: comma-separated operations to notify (spec §4.1); "" = all of them
    callback_operations: str = ""
    #: HMAC-SHA256 key of the checksum (symmetric mode); "" = unsigned, unless rsa
    callback_secret: str = ""
    #: "hmac" (with callback_secret) or "rsa" (SHA512withRSA, a key the gateway holds)
    callback_signing: str = "hmac"
    #: also notify failed operations, with status=0
    callback_failures: bool = False
    #: comma-separated optional parameters to add (amount, currency, maskedPan, ...);
    #: "all" = every one the gateway knows
    callback_params: str = ""
    #: after the gateway's retries, keep trying on the longer tail schedule
    callback_extended_retries: bool = False
    #: an operator disabled the merchant: its API credentials and its back-office users
    #: are refused (within the credential cache's lifetime, ``ECOMGATE_AUTH_CACHE_SECONDS``)
    disabled: bool = False
    #: the 3-D Secure version the emulated issuer speaks for cards enrolled in both
    #: (``3ds1``, ``3ds2``); "" = the gateway's default (``ECOMGATE_THREE_DS_PROTOCOL``)
    three_ds_protocol: str = ""

    def protocol(self, gateway_default: str) -> str:
        return self.three_ds_protocol or gateway_default

    def to_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> MerchantSettings:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Merchant:
    id: str
    login: str
    name: str
    password_hash: str
    default_currency: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    settings: MerchantSettings = field(default_factory=MerchantSettings)
    token_hash: str | None = None
    created_at: int = 0

    def may(self, permission: Permission) -> bool:
        return permission.value in self.permissions
