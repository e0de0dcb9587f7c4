"""Composition root shared by ``ecomgate serve`` (web/app.py) and ``ecomgate worker``:
the store, the acquirer and the services built from settings, and the background work."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator

from ecomgate import storage
from ecomgate.acquirers.base import Acquirer
from ecomgate.acquirers.chaos import ChaosAcquirer
from ecomgate.acquirers.registry import create_acquirer
from ecomgate.config import Settings
from ecomgate.notifications.dispatcher import Dispatcher
from ecomgate.services.context import Services
from ecomgate.services.expiry import run_sweeper
from ecomgate.services.sandbox import StoreChaos
from ecomgate.web.links import WebLinks

log = logging.getLogger("ecomgate")


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """The gateway's services over an open store; the store is closed on exit."""
    store = await storage.open_store(settings.resolved_database_url, **settings.store_options())
    try:
        secret = settings.secret_key
        if not secret:
            async with store.transaction() as repos:
                secret = await repos.secrets.get_or_create("gateway", secrets.token_hex(32))
        links = WebLinks(settings.resolved_public_url)
        acquirer: Acquirer = create_acquirer(
            settings.acquirer,
            secret=secret.encode(),
            acs_base_url=links.acs_base,
            **settings.acquirer_options(),
        )
        if settings.sandbox_faults:  # faults a merchant may switch on for its own tests
            acquirer = ChaosAcquirer(acquirer, StoreChaos(store))
        yield Services(
            store=store,
            acquirer=acquirer,
            links=links,
            policy=settings.policy(),
            vault=settings.vault(),
            secret=secret.encode(),
        )
    finally:
        await store.close()


async def run_background(services: Services, settings: Settings) -> None:
    """What happens even when nobody calls: expiry, auto-completion/-reversal and the
    reconciler (the sweeper), and callback delivery (the dispatcher).  Until cancelled."""
    dispatcher = Dispatcher(services, settings.delivery_config(), timezone=settings.timezone)
    async with asyncio.TaskGroup() as group:
        group.create_task(run_sweeper(services, settings.sweep_interval))
        group.create_task(dispatcher.run(settings.callback_poll_interval))


def _report_stop(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background work stopped", exc_info=task.exception())


@contextlib.asynccontextmanager
async def background(services: Services, settings: Settings) -> AsyncIterator[None]:
    """``run_background`` for the duration of the block (off with ECOMGATE_BACKGROUND)."""
    if not settings.background:
        yield
        return
    task = asyncio.create_task(run_background(services, settings))
    task.add_done_callback(_report_stop)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
