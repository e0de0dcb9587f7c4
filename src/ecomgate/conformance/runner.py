"""Runs rules in order against one target, each with its exchanges recorded, and tells a
progress callback as each one finishes."""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .probe import Exchange, Failed, Probe, Skipped
from .rules import RULES, Rule

PASS, FAIL, SKIP = "pass", "fail", "skip"


@dataclass
class RuleResult:
    rule: Rule
    outcome: str  # pass | fail | skip
    message: str = ""
    exchanges: list[Exchange] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class RunReport:
    target: str
    results: list[RuleResult]
    seconds: float

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if r.outcome == FAIL]

    @property
    def ok(self) -> bool:
        return not self.failed


Progress = Callable[[int, int, RuleResult], None]


def select(patterns: Iterable[str] = (), rules: Sequence[Rule] = RULES) -> list[Rule]:
    """The rules whose id matches any of ``patterns`` (fnmatch); all without patterns."""
    wanted = list(patterns)
    if not wanted:
        return list(rules)
    return [r for r in rules if any(fnmatch.fnmatchcase(r.id, p) for p in wanted)]


async def run_rule(probe: Probe, rule: Rule) -> RuleResult:
    probe.exchanges = []
    started = time.monotonic()
    try:
        await rule.check(probe)
        outcome, message = PASS, ""
    except Failed as exc:
        outcome, message = FAIL, str(exc)
    except Skipped as exc:
        outcome, message = SKIP, str(exc)
    except Exception as exc:  # a rule that breaks is a failed rule, with the reason
        outcome, message = FAIL, f"error: {exc.__class__.__name__}: {exc}"
    return RuleResult(rule, outcome, message, probe.exchanges, time.monotonic() - started)


async def run(
    probe: Probe, rules: Sequence[Rule] | None = None, progress: Progress | None = None
) -> RunReport:
    """Every rule of ``rules`` (all by default) in order; the probe's callback listener
    runs meanwhile.  The probe stays open for its owner."""
    chosen = list(RULES if rules is None else rules)
    started = time.monotonic()
    results: list[RuleResult] = []
    await probe.start()
    for index, rule in enumerate(chosen, 1):
        result = await run_rule(probe, rule)
        results.append(result)
        if progress is not None:
            progress(index, len(chosen), result)
    return RunReport(probe.base_url, results, time.monotonic() - started)
