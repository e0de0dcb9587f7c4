"""Identifiers: time-ordered UUIDs (version 7) in lower-case hyphenated form."""

from __future__ import annotations

import os
import uuid


def uuid7(now_ms: int) -> str:
    """A UUIDv7 string: 48 bits of milliseconds, then random bits (RFC 9562)."""
    rand = int.from_bytes(os.urandom(10), "big")
    value = (now_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 64) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b, 62 bits
    return str(uuid.UUID(int=value))


def uuid7_floor(now_ms: int) -> str:
    """The smallest UUIDv7 of that millisecond: ids compare as strings in time order, so
    ``id >= uuid7_floor(t)`` selects what was made at ``t`` or later."""
    value = (now_ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | 0b10 << 62
    return str(uuid.UUID(int=value))


def uuid7_ms(text: str) -> int:
    """The millisecond a UUIDv7 was made at."""
    return uuid.UUID(text).int >> 80


def normalize_order_id(text: str) -> str | None:
    """Accept upper-case or unhyphenated forms (spec §10); None when it is no UUID."""
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        return None
