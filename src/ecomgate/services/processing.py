"""The processing layer: the only caller of the acquirer port.

Every call is bounded by a timeout (``ECOMGATE_ACQUIRER_TIMEOUT_MS``).  Whatever keeps the
gateway from reading an answer becomes ``Outcome.PENDING`` here, in one place, never
success:

- the processor did not answer in time, or could not be reached (``AcquirerUnavailable``,
  a connection error): logged as a warning;
- the connector raised anything else: a bug in the connector, logged with its traceback
  (the operation still waits for the reconciler rather than failing the order);
- the connector answered something that makes no sense for the call (a challenge to a
  deposit, a challenge without data): logged, treated as unknown.

Requests carry the gateway's operation id as the idempotency key, so a connector may
repeat a call safely and a status inquiry (``sync``) can name the operation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ecomgate.acquirers.base import (
    Acquirer,
    AcquirerUnavailable,
    AuthorizationRequest,
    AuthorizationResult,
    Capabilities,
    OperationRequest,
    OperationResult,
    Outcome,
    SyncRequest,
    SyncResult,
    ThreeDS2Continuation,
    ThreeDSCompletion,
)
from ecomgate.domain import codes
from ecomgate.domain.operations import OperationKind

log = logging.getLogger("ecomgate.processing")

T = TypeVar("T")

#: what a connector may raise when the processor is out of reach (not a bug)
UNREACHABLE: tuple[type[BaseException], ...] = (AcquirerUnavailable, ConnectionError, OSError)

_FINAL = (Outcome.APPROVED, Outcome.DECLINED)


class Processing:
    def __init__(self, acquirer: Acquirer, timeout_ms: int = 30_000) -> None:
        self.acquirer = acquirer
        self.timeout_s = timeout_ms / 1000

    @property
    def name(self) -> str:
        return self.acquirer.name

    @property
    def capabilities(self) -> Capabilities:
        return self.acquirer.capabilities

    @property
    def terminal_id(self) -> str:
        """The acquirer's terminal: a pure attribute, no call (shown before any payment)."""
        return self.acquirer.terminal_id

    async def authorize(self, request: AuthorizationRequest) -> AuthorizationResult:
        result = await self._call(
            "authorize", request.order_id, lambda: self.acquirer.authorize(request)
        )
        return _authorization(result, request.order_id, challenge_allowed=True)

    async def continue_3ds2(self, request: ThreeDS2Continuation) -> AuthorizationResult:
        """3-D Secure 2 after the method step: frictionless answer, or a challenge."""
        result = await self._call(
            "continue_3ds2", request.order_id, lambda: self.acquirer.continue_3ds2(request)
        )
        if isinstance(result, AuthorizationResult) and result.outcome is Outcome.CHALLENGE:
            if result.three_ds2_challenge is None:
                log.error(
                    "acquirer sent an unusable 3-D Secure 2 challenge for %s", request.order_id
                )
                return AuthorizationResult(Outcome.PENDING, codes.PROCESSING_TIMEOUT)
            return result
        return _authorization(result, request.order_id, challenge_allowed=False)

    async def complete_3ds(self, completion: ThreeDSCompletion) -> AuthorizationResult:
        result = await self._call(
            "complete_3ds", completion.order_id, lambda: self.acquirer.complete_3ds(completion)
        )
        # a second challenge after 3-D Secure is not supported: the attempt is declined
        if isinstance(result, AuthorizationResult) and result.outcome is Outcome.CHALLENGE:
            return AuthorizationResult(Outcome.DECLINED, codes.THREE_DS_REJECTED)
        return _authorization(result, completion.order_id, challenge_allowed=False)

    async def operate(self, kind: OperationKind, request: OperationRequest) -> OperationResult:
        """deposit, reverse or refund."""
        call: Callable[[OperationRequest], Awaitable[OperationResult]] = {
            OperationKind.DEPOSIT: self.acquirer.deposit,
            OperationKind.REVERSAL: self.acquirer.reverse,
            OperationKind.REFUND: self.acquirer.refund,
        }[kind]
        result = await self._call(kind.value, request.order_id, lambda: call(request))
        if not isinstance(result, OperationResult) or result.outcome not in (
            *_FINAL,
            Outcome.PENDING,
        ):
            if result is not None:
                log.error("acquirer %s: unusable %s answer %r", self.name, kind.value, result)
            return OperationResult(Outcome.PENDING, codes.PROCESSING_TIMEOUT)
        return result

    async def sync(self, request: SyncRequest) -> SyncResult:
        """The acquirer's word on an operation whose answer never came; PENDING when it has
        none (yet), or cannot be asked."""
        if not self.capabilities.sync:
            return SyncResult(Outcome.PENDING, codes.PROCESSING_TIMEOUT)
        result = await self._call("sync", request.order_id, lambda: self.acquirer.sync(request))
        if not isinstance(result, SyncResult) or result.outcome not in (*_FINAL, Outcome.PENDING):
            if result is not None:
                log.error("acquirer %s: unusable sync answer %r", self.name, result)
            return SyncResult(Outcome.PENDING, codes.PROCESSING_TIMEOUT)
        return result

    async def _call(self, what: str, order_id: str, call: Callable[[], Awaitable[T]]) -> T | None:
        """The connector's answer, or None when there is none to read."""
        try:
            async with asyncio.timeout(self.timeout_s):
                return await call()
        except TimeoutError:
            log.warning(
                "acquirer %s: no answer to %s of order %s within %.0f ms",
                self.name,
                what,
                order_id,
                self.timeout_s * 1000,
            )
        except UNREACHABLE as exc:
            log.warning(
                "acquirer %s unreachable on %s of order %s: %s", self.name, what, order_id, exc
            )
        except Exception:
            # a bug in the connector, not an answer: keep the traceback for its authors
            log.exception("acquirer %s failed on %s of order %s", self.name, what, order_id)
        return None


def _authorization(
    result: object, order_id: str, *, challenge_allowed: bool
) -> AuthorizationResult:
    unknown = AuthorizationResult(Outcome.PENDING, codes.PROCESSING_TIMEOUT)
    if result is None:
        return unknown
    if not isinstance(result, AuthorizationResult):
        log.error("acquirer answered %r to the authorization of %s", result, order_id)
        return unknown
    if result.outcome is Outcome.CHALLENGE and (not challenge_allowed or not result.has_challenge):
        log.error("acquirer sent an unusable 3-D Secure challenge for order %s", order_id)
        return unknown
    return result
