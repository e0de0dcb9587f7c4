"""The back office's people and the rules of signing in (no I/O; ``now`` is passed in).

A merchant user belongs to one merchant and is a ``viewer`` (sees) or a ``manager`` (also
acts: capture, reverse, refund, decline, settings).  An operator is the gateway's own staff:
the console of every merchant, and a merchant's orders read-only unless acting as it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    VIEWER = "viewer"
    MANAGER = "manager"
    OPERATOR = "operator"


#: failed sign-ins in a row that an account takes before it is locked
FREE_ATTEMPTS = 5
#: the first lock; each further failure doubles it ...
FIRST_LOCK_MS = 30_000
#: ... up to this
MAX_LOCK_MS = 3_600_000


def lock_after_failure(failures: int, now: int) -> int | None:
    """Until when an account with ``failures`` failed sign-ins in a row refuses any
    (None: not locked).  Backoff: 30 s after the fifth, then doubled per failure, at most
    an hour, so guessing a password is slow and a mistyping owner is not shut out long."""
    if failures < FREE_ATTEMPTS:
        return None
    lock = min(FIRST_LOCK_MS << min(failures - FREE_ATTEMPTS, 32), MAX_LOCK_MS)
    return now + lock


@dataclass(frozen=True)
class DashboardUser:
    id: str
    email: str
    password_hash: str
    role: Role
    #: None for operators
    merchant_id: str | None
    created_at: int
    disabled: bool = False
    failed_logins: int = 0
    locked_until: int | None = None

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    def locked(self, now: int) -> bool:
        return self.locked_until is not None and now < self.locked_until
