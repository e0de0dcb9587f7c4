"""The results file of one run: Markdown under ``bench/results/``, named by its UTC date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .bulk_orders import Loaded
from .load import Measured
from .plans import Plan
from .profile import Summary

LABELS = {
    "register": "`register.do`",
    "status": "`getOrderStatusExtended.do`",
    "page": "`GET formUrl` (payment page)",
    "full-order": "full paid order (3 requests)",
    "refund": "`refund.do` (partial)",
}


@dataclass(frozen=True)
class Row:
    engine: str
    size: int
    scenario: str
    measured: Measured
    #: how many bare runs came before this one (its yardstick: that one and the next)
    bare_index: int


@dataclass(frozen=True)
class SweepResult:
    engine: str
    due: int
    #: overdue orders when the load started and when it ended
    due_before: int
    due_after: int
    measured: Measured
    bare_index: int


@dataclass
class Report:
    started: datetime
    args: dict[str, Any]
    machine: list[tuple[str, str]]
    load_before: str
    load_after: str = ""
    #: (when, what the bare endpoint did then), one before each data set and one at the end
    bare: list[tuple[str, Measured]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    loads: list[tuple[str, int, Loaded]] = field(default_factory=list)
    memory: dict[tuple[str, int], float] = field(default_factory=dict)
    sweeps: list[SweepResult] = field(default_factory=list)
    profiles: dict[str, dict[str, Summary]] = field(default_factory=dict)
    plans: dict[tuple[str, int], list[Plan]] = field(default_factory=dict)

    def bare_rps(self, bare_index: int) -> float:
        """The yardstick of a measurement: the mean of the bare runs just before and just
        after its data set (the machine's load drifts during a run)."""
        around = [m.rps for _, m in self.bare[max(bare_index - 1, 0) : bare_index + 1]]
        return sum(around) / len(around)


def _errors(m: Measured) -> str:
    """0, or the count with its kinds: HTTP status (non-2xx; a page's non-200), socket
    (connect, read, write, wrk's 5 s timeout), API (errorCode other than "0")."""
    if not m.errors:
        return "0"
    kinds = (("HTTP", m.status_errors), ("socket", m.socket_errors), ("API", m.api_errors))
    return f"{m.errors} ({', '.join(f'{k} {n}' for k, n in kinds if n)})"


def _workers(args: dict[str, Any]) -> str:
    n = args.get("workers", 1)
    settings = "".join(f", `{k}={v}`" for k, v in args.get("env", []))
    return ("One gateway worker" if n == 1 else f"{n} gateway workers") + settings


def render(report: Report) -> str:
    a = report.args
    out = [
        f"# EcomGate bench, {report.started:%Y-%m-%d %H:%M} UTC",
        "",
        f"{_workers(a)}, `wrk -t1 -c{a['connections']} -d{a['seconds']}s --latency` on"
        " loopback, every figure of this file measured in this one run.  The ratio is to the"
        " bare Starlette endpoint (uvicorn + uvloop + httptools, parses the form, answers a"
        " small JSON), run just before and just after each data set: the mean of those two.",
    ]
    if a.get("note"):
        out += ["", f"**This run:** {a['note']}"]
    out += [
        "",
        f"Load average (1, 5, 15 min) before: {report.load_before}; after:"
        f" {report.load_after}.  The machine is shared: absolute figures are noisy, the"
        " ratios measured side by side are what count.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in report.machine),
        "",
        "## Throughput and latency",
        "",
        "| engine | stored orders | scenario | requests/s | × bare | p50 ms | p99 ms | errors |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in report.rows:
        m = row.measured
        out.append(
            f"| {row.engine} | {row.size:,} | {LABELS[row.scenario]} | {m.rps:,.0f} |"
            f" {m.rps / report.bare_rps(row.bare_index):.2f} | {m.p50_ms:.1f} | {m.p99_ms:.1f} |"
            f" {_errors(m)} |"
        )
    out += [
        "",
        "The bare endpoint (POST with the register.do body, form parsed, fixed JSON answer):",
        "",
        "| when | requests/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {when} | {m.rps:,.0f} | {m.p50_ms:.1f} | {m.p99_ms:.1f} | {_errors(m)} |"
            for when, m in report.bare
        ),
    ]
    full = [r for r in report.rows if r.scenario == "full-order"]
    if full:
        out += [
            "",
            "### Full paid orders",
            "",
            "Each order is `register.do`, then `paymentorder.do` (card 4563960122001999, no"
            " 3-D Secure) with the id its answer named, then `getOrderStatusExtended.do` with"
            " the id the payment's redirect named; an order counts when its status answer says"
            " `orderStatus` 2.  wrk's Lua picks each next request from queues its answers"
            " fill, so 64 orders are in flight; orders started but not finished when the run"
            " ends are not counted.",
            "",
            "| engine | stored orders | orders/s | requests/s |",
            "|---|---:|---:|---:|",
            *(
                f"| {r.engine} | {r.size:,} | {r.measured.completed / r.measured.seconds:,.0f} |"
                f" {r.measured.rps:,.0f} |"
                for r in full
            ),
        ]
    if report.memory:
        out += [
            "",
            "## Peak memory of the gateway worker",
            "",
            "VmHWM of the gateway worker (the largest, with several) after all its runs.",
            "",
            "| engine | stored orders | peak RSS MiB |",
            "|---|---:|---:|",
            *(f"| {e} | {s:,} | {mib:.0f} |" for (e, s), mib in report.memory.items()),
        ]
    if report.loads:
        out += [
            "",
            "## Bulk loads",
            "",
            "`bench/bulk_orders.py`: rows made by the domain and the storage layer's own"
            " column mapping, written with one transaction of `executemany` (SQLite) or"
            " `COPY` (PostgreSQL), indexes maintained as they go, then `ANALYZE`.  Mix: 50 %"
            " paid (authorization + deposit on the ledger), 30 % unpaid (payable for a week),"
            " 20 % expired; four merchants, round-robin.",
            "",
            "| engine | orders | operations | seconds | orders/s | loader CPU s |",
            "|---|---:|---:|---:|---:|---:|",
            *(
                f"| {e} | {x.orders:,} | {x.operations:,} | {x.seconds:.1f} |"
                f" {x.orders / max(x.seconds, 1e-9):,.0f} | {x.cpu_seconds:.1f} |"
                for e, _, x in report.loads
            ),
        ]
    if report.sweeps:
        out += [
            "",
            "## register.do while the sweeper expires orders",
            "",
            "A data set of 10,000 orders plus the overdue ones, the gateway started on it"
            " (its sweeper starts at once), and register.do loaded as above.  Compare the p99"
            " with register.do at the smallest size in the table above.",
            "",
            "| engine | overdue | expired during the run | still due at its end |"
            " requests/s | × bare | p50 ms | p99 ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *(
                f"| {s.engine} | {s.due:,} | {s.due_before - s.due_after:,} | {s.due_after:,} |"
                f" {s.measured.rps:,.0f} | {s.measured.rps / report.bare_rps(s.bare_index):.2f} |"
                f" {s.measured.p50_ms:.1f} | {s.measured.p99_ms:.1f} |"
                for s in report.sweeps
            ),
        ]
    if report.plans:
        (engine, size), _ = max(report.plans.items(), key=lambda item: item[0][1])
        out += [
            "",
            "## Query plans of the hot statements",
            "",
            "`bench/plans.py`, read from each database after its bulk load: a full scan of a"
            " table that grows would show as `SCAN` (SQLite) or `Seq Scan` (PostgreSQL).",
            "",
            "| statement | engine | stored orders | plan | scans a table |",
            "|---|---|---:|---|---|",
        ]
        for (engine, size), found in report.plans.items():
            if size != max(s for e, s in report.plans if e == engine):
                continue
            for plan in found:
                text = plan.plan.replace("\n", " / ").replace("|", "\\|")
                out.append(
                    f"| {plan.query} | {engine} | {size:,} | `{text}` |"
                    f" {'**yes**' if plan.scans else 'no'} |"
                )
    for engine, profiles in report.profiles.items():
        for name, summary in profiles.items():
            out += [
                "",
                f"## Profile: {LABELS[name]} on {engine}",
                "",
                f"py-spy record, 100 Hz, {summary.samples:,} samples of the gateway worker"
                " under the same load (idle time not sampled).",
                "",
                "| own time (function, file) | share | | on the stack (package) | share |",
                "|---|---:|---|---|---:|",
            ]
            for i in range(max(len(summary.own), len(summary.inclusive))):
                own = summary.own[i] if i < len(summary.own) else ("", 0.0)
                inc = summary.inclusive[i] if i < len(summary.inclusive) else ("", 0.0)
                out.append(
                    f"| `{own[0]}` | {own[1]:.1%} | | {inc[0]} | {inc[1]:.1%} |"
                    if own[0]
                    else f"| | | | {inc[0]} | {inc[1]:.1%} |"
                )
    return "\n".join(out) + "\n"


def write_report(report: Report, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{report.started:%Y-%m-%dT%H%MZ}.md"
    path.write_text(render(report))
    return path
