"""Acquirer implementations by name, chosen by configuration (``ECOMGATE_ACQUIRER``).

Only the composition root (``web/app.py``, ``cli.py``) and tests use this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import Acquirer


def _emulator(**kwargs: Any) -> Acquirer:
    from .emulator import EmulatorAcquirer  # imported on demand: a real connector needs none

    return EmulatorAcquirer(**kwargs)


ACQUIRERS: dict[str, Callable[..., Acquirer]] = {"emulator": _emulator}


def create_acquirer(name: str, **kwargs: Any) -> Acquirer:
    """A new acquirer; ``kwargs`` go to its constructor (e.g. ``secret``, ``acs_base_url``)."""
    try:
        factory = ACQUIRERS[name]
    except KeyError:
        known = ", ".join(sorted(ACQUIRERS))
        raise ValueError(f"unknown acquirer {name!r}; known: {known}") from None
    return factory(**kwargs)
