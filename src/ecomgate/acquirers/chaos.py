"""Sandbox chaos around any acquirer: per merchant, calls answered late, never answered,
or declined with a chosen actionCode (``domain/chaos.py``; set through ``/sandbox/chaos``).

It wraps the configured acquirer in sandbox mode only (``composition.py``); the
processing layer calls it like any connector, so what a shop sees is exactly what a slow,
silent or declining processor would cause: a late answer, a PENDING operation that the
reconciler settles later (``sync`` is passed through untouched), a decline.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from ecomgate.domain.chaos import Chaos

from .base import (
    Acquirer,
    AcquirerUnavailable,
    AuthorizationRequest,
    AuthorizationResult,
    OperationRequest,
    OperationResult,
    Outcome,
    SyncRequest,
    SyncResult,
    ThreeDS2Continuation,
    ThreeDSCompletion,
)


class ChaosSource(Protocol):
    async def for_order(self, order_id: str) -> Chaos:
        """The chaos of the order's merchant (inactive when none is set)."""

    async def take_decline(self, order_id: str) -> int | None:
        """The actionCode the next operation of the order's merchant is declined with,
        counted off (None: no decline is due)."""


class ChaosAcquirer:
    def __init__(self, inner: Acquirer, source: ChaosSource) -> None:
        self.inner = inner
        self.source = source
        self.name = inner.name
        self.capabilities = inner.capabilities
        self.terminal_id = inner.terminal_id

    def __getattr__(self, item: str) -> Any:  # the emulator's ACS pages (``routes``)
        return getattr(self.inner, item)

    async def _decline(self, order_id: str) -> int | None:
        """Applies latency and silence; the actionCode of a chosen decline, if one is due."""
        chaos = await self.source.for_order(order_id)
        if not chaos.active:
            return None
        if chaos.acquirer_latency_ms:
            await asyncio.sleep(chaos.acquirer_latency_ms / 1000)
        if chaos.acquirer_timeout:
            raise AcquirerUnavailable("sandbox chaos: the acquirer does not answer")
        return await self.source.take_decline(order_id)

    async def authorize(self, request: AuthorizationRequest) -> AuthorizationResult:
        code = await self._decline(request.order_id)
        if code is not None:
            return AuthorizationResult(Outcome.DECLINED, code, message="sandbox chaos")
        return await self.inner.authorize(request)

    async def continue_3ds2(self, request: ThreeDS2Continuation) -> AuthorizationResult:
        code = await self._decline(request.order_id)
        if code is not None:
            return AuthorizationResult(Outcome.DECLINED, code, message="sandbox chaos")
        return await self.inner.continue_3ds2(request)

    async def complete_3ds(self, completion: ThreeDSCompletion) -> AuthorizationResult:
        code = await self._decline(completion.order_id)
        if code is not None:
            return AuthorizationResult(Outcome.DECLINED, code, message="sandbox chaos")
        return await self.inner.complete_3ds(completion)

    async def _operate(self, request: OperationRequest, call: Any) -> OperationResult:
        code = await self._decline(request.order_id)
        if code is not None:
            return OperationResult(Outcome.DECLINED, code, message="sandbox chaos")
        result: OperationResult = await call(request)
        return result

    async def deposit(self, request: OperationRequest) -> OperationResult:
        return await self._operate(request, self.inner.deposit)

    async def reverse(self, request: OperationRequest) -> OperationResult:
        return await self._operate(request, self.inner.reverse)

    async def refund(self, request: OperationRequest) -> OperationResult:
        return await self._operate(request, self.inner.refund)

    async def sync(self, request: SyncRequest) -> SyncResult:
        return await self.inner.sync(request)
