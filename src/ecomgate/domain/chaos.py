"""Sandbox faults a merchant switches on for its own test runs ("chaos").

Each one is about that merchant only: another merchant's payments and callbacks go on as
usual.  Set and cleared at run time through the sandbox API (``/sandbox/chaos``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

CALLBACK_MODES = ("", "drop", "delay")


@dataclass(frozen=True)
class Chaos:
    #: every acquirer call of the merchant's orders answers this much later
    acquirer_latency_ms: int = 0
    #: every acquirer call goes unanswered: the operation stays PENDING for the reconciler
    acquirer_timeout: bool = False
    #: the next ``action_code_count`` operations are declined with this actionCode
    action_code: int | None = None
    action_code_count: int = 0
    #: "" as usual, "drop": callbacks are never sent, "delay": sent this much later
    callbacks: str = ""
    callback_delay_ms: int = 0

    @property
    def active(self) -> bool:
        return self != Chaos()

    def decline_next(self) -> tuple[int | None, Chaos]:
        """The actionCode the next operation gets (None: as usual), and what is left."""
        if self.action_code is None or self.action_code_count <= 0:
            return None, self
        left = self.action_code_count - 1
        if left:
            return self.action_code, replace(self, action_code_count=left)
        return self.action_code, replace(self, action_code=None, action_code_count=0)

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, raw: str) -> Chaos:
        data = json.loads(raw or "{}")
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
