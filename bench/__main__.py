"""Side-by-side load benchmark, in one run: a bare Starlette endpoint (the yardstick: the
same server settings, parses the form, answers a small JSON) and the gateway on SQLite
and on PostgreSQL, each over databases with orders already stored, loaded by wrk for
register.do, getOrderStatusExtended.do, the hosted payment page, a full paid order and
refund.do; then a sweep of overdue orders while register.do is loaded, and a py-spy
profile of register.do and the status under load.

    make bench   # or: .venv/bin/python -m bench [--sizes 10000,1000000] [--seconds 10] ...

Prints progress as it goes and writes the figures, with the machine's description, to
``bench/results/<UTC date and time>.md``.  Needs ``wrk`` (Debian package) and, for the
profile, ``py-spy`` (PyPI).  Never part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from ecomgate import storage
from ecomgate.services import merchants
from ecomgate.services.context import Policy, Services
from ecomgate.storage import migrate
from ecomgate.testing.postgres import create_pg_database, drop_pg_database
from ecomgate.testing.processes import GatewayProcess, start_gateway
from ecomgate.web.links import WebLinks

from . import bulk_orders, load, machine, plans, profile
from .load import Measured, lua_string
from .results import Report, Row, SweepResult, write_report

LOGIN, PASSWORD = "bench-api", "bench-password"
AUTH = f"userName={LOGIN}&password={PASSWORD}"
REGISTER_BODY = f"{AUTH}&amount=2000&currency=643&returnUrl=https%3A%2F%2Fshop.example%2Fok"
SCENARIOS = ("register", "status", "page", "full-order", "refund")
RESULTS = Path(__file__).with_name("results")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def start_bare() -> tuple[subprocess.Popen[bytes], str]:
    """The bare app under uvicorn on a socket bound here to port 0 (the system picks the
    port) and handed to the child (``bench.bare_app FD``), so no other process can take it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(2048)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.bare_app", str(sock.fileno())],
            pass_fds=(sock.fileno(),),
        )  # fmt: skip
    # the child has its own copy of the socket
    for _ in range(100):
        if proc.poll() is not None:
            raise RuntimeError("bare app exited at start")
        try:
            httpx.post(f"{base}/payment/rest/x.do", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("bare app did not start")


async def _make_merchants(url: str, count: int) -> list[str]:
    """The bench's merchant (who may pay by API and refund) and ``count - 1`` others whose
    orders share the tables; their ids, the bench's first."""
    store = await storage.open_store(url)
    # creating a merchant reaches neither an acquirer nor a link
    services = Services(
        store=store,
        acquirer=None,  # type: ignore[arg-type]
        links=WebLinks("http://127.0.0.1"),
        policy=Policy(),
    )
    made = [
        await merchants.create_merchant(
            services, login=LOGIN, password=PASSWORD, permissions=("card-payment-api", "refund")
        )
    ]
    for n in range(1, count):
        made.append(await merchants.create_merchant(services, login=f"shop-{n}", password=PASSWORD))
    await store.close()
    return [m.id for m in made]


@dataclass
class Database:
    url: str
    engine: str
    merchant_ids: list[str] = field(default_factory=list)

    def count(self, sql: str, *args: object) -> int:
        """One number from the database, read beside the running gateway."""
        if self.engine == "sqlite":
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as db:
                return int(db.execute(sql.replace("$1", "?"), args).fetchone()[0])

        async def read() -> int:
            conn = await asyncpg.connect(self.url)
            try:
                return int(await conn.fetchval(sql, *args))
            finally:
                await conn.close()

        return asyncio.run(read())


@contextmanager
def database(engine: str, workdir: Path) -> Iterator[Database]:
    """A fresh migrated database with the merchants (PostgreSQL: dropped after)."""
    if engine == "sqlite":
        url = f"sqlite:///{workdir}/bench-{time.monotonic_ns()}.db"
    else:
        url = create_pg_database()
    try:
        migrate.upgrade(url)
        db = Database(url, engine, asyncio.run(_make_merchants(url, 4)))
        yield db
    finally:
        if engine == "postgresql":
            drop_pg_database(url)


def postgres_version() -> str | None:
    async def read() -> str:
        conn = await asyncpg.connect(os.environ.get("ECOMGATE_TEST_PG_URL", "postgresql:///test"))
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    try:
        from ecomgate.testing.postgres import PG_ADMIN_URL

        os.environ.setdefault("ECOMGATE_TEST_PG_URL", PG_ADMIN_URL)
        return asyncio.run(read())
    except (OSError, asyncpg.PostgresError):
        return None


def peak_rss_mib(pid: int) -> float:
    """VmHWM of ``pid``: the most resident memory it ever had."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def worker_pids(pid: int) -> list[int]:
    """The processes serving requests: ``pid`` itself with one worker, else its children
    (uvicorn's supervisor only watches them)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            found = [int(p) for p in children.read().split()]
    except OSError:
        found = []
    return found or [pid]


def warm_up(base: str, form_path: str, unpaid_id: str, paid_id: str) -> None:
    """One request of each kind before measuring: the first ones of a process pay once for
    what the others find ready (the merchant's password hash, ~0.1 s of scrypt, then
    cached for ECOMGATE_AUTH_CACHE_SECONDS; the page templates' compilation)."""
    rest = f"{base}/payment/rest"
    with httpx.Client(headers=_FORM, timeout=30) as client:
        client.get(f"{base}{form_path}{unpaid_id}").raise_for_status()
        client.post(f"{rest}/getOrderStatusExtended.do", content=f"{AUTH}&orderId={paid_id}")
        client.post(f"{rest}/refund.do", content=f"{AUTH}&amount=100&orderId={paid_id}")
        client.post(
            f"{rest}/paymentorder.do",
            content=f"{AUTH}&$PAN=4563960122001999&$CVC=347&YYYY=2030&MM=12&mdOrder={unpaid_id}",
        )


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.step = 0
        self.bare_url = self.bare_script = ""
        self.gateway_env = {"ECOMGATE_WORKERS": str(args.workers), **dict(args.env)}

    def wrk(self, label: str, url: str, script: str, *, seconds: int | None = None) -> Measured:
        self.step += 1
        say(f"  [{self.step}] {label} ...")
        measured = load.run(url, script, seconds or self.args.seconds, self.args.connections)
        errors = f", {measured.errors} errors" if measured.errors else ""
        say(
            f"      {measured.rps:,.0f} req/s, p50 {measured.p50_ms:.1f} ms,"
            f" p99 {measured.p99_ms:.1f} ms{errors}"
        )
        return measured

    def ids_file(self, name: str, ids: list[str]) -> str:
        path = self.workdir / f"{name}-{time.monotonic_ns()}.txt"
        path.write_text("\n".join(ids) + "\n")
        return str(path)

    def scenarios(
        self, gateway: GatewayProcess, samples: dict[str, list[str]], names: list[str]
    ) -> Iterator[tuple[str, Callable[[], Measured]]]:
        base = gateway.base_url
        rest = f"{base}/payment/rest"
        # the working sets: orders of every kind for the status, unpaid ones for the page,
        # paid ones for refunds (1 rouble each, the least allowed; a paid order holds 10,000)
        kinds = zip(samples["paid"], samples["unpaid"], samples["expired"], strict=False)
        mixed = [order_id for trio in kinds for order_id in trio]
        first = httpx.post(f"{rest}/register.do", content=REGISTER_BODY, headers=_FORM).json()
        form_path = first["formUrl"].removeprefix(base).rpartition("mdOrder=")[0] + "mdOrder="
        warm_up(base, form_path, first["orderId"], samples["paid"][-1])
        scripts = {
            "register": lambda: self.wrk(
                "register.do", f"{rest}/register.do",
                load.STATIC_POST.replace("{body}", REGISTER_BODY),
            ),
            "status": lambda: self.wrk(
                "getOrderStatusExtended.do", f"{rest}/getOrderStatusExtended.do",
                load.CYCLE_POST.replace("{prefix}", f"{AUTH}&orderId=")
                .replace("{ids}", self.ids_file("status", mixed)),
            ),
            "page": lambda: self.wrk(
                "GET formUrl (payment page)", base,
                load.CYCLE_GET.replace("{path}", lua_string(form_path))
                .replace("{ids}", self.ids_file("page", samples["unpaid"])),
            ),
            "full-order": lambda: self.wrk(
                "full paid order (register + paymentorder + status)", base,
                load.FULL_ORDER.replace("{auth}", AUTH)
                .replace("{register}", "/payment/rest/register.do")
                .replace("{pay}", "/payment/rest/paymentorder.do")
                .replace("{status}", "/payment/rest/getOrderStatusExtended.do"),
            ),
            "refund": lambda: self.wrk(
                "refund.do (1 rouble of a paid order)", f"{rest}/refund.do",
                load.CYCLE_POST.replace("{prefix}", f"{AUTH}&amount=100&orderId=")
                .replace("{ids}", self.ids_file("refund", samples["paid"])),
            ),
        }  # fmt: skip
        for name in names:
            yield name, scripts[name]

    def bare(self, report: Report, when: str) -> None:
        """The yardstick, run next to each data set: the ratios of a data set are to the
        mean of the bare runs just before and just after it."""
        report.bare.append(
            (when, self.wrk(f"bare endpoint ({when})", self.bare_url, self.bare_script))
        )

    def measure_data_set(self, engine: str, size: int, report: Report) -> None:
        say(f"\n{engine}, {size:,} stored orders")
        with database(engine, self.workdir) as db:
            loaded = bulk_orders.load(db.url, db.merchant_ids, size)
            say(
                f"  bulk load: {loaded.orders:,} orders, {loaded.operations:,} operations in"
                f" {loaded.seconds:.1f} s (loader CPU {loaded.cpu_seconds:.1f} s)"
            )
            report.loads.append((engine, size, loaded))
            report.plans[(engine, size)] = plans.plans(
                db.url, db.merchant_ids[0], loaded.samples["paid"][0]
            )
            gateway = start_gateway(
                db.url, self.workdir / f"{engine}-{size}", extra_env=self.gateway_env
            )
            try:
                for name, measure in self.scenarios(gateway, loaded.samples, self.args.scenarios):
                    report.rows.append(Row(engine, size, name, measure(), len(report.bare)))
                if self.args.profile and not report.profiles.get(engine):
                    self.profile(engine, gateway, loaded.samples, report)
                report.memory[(engine, size)] = max(
                    peak_rss_mib(pid) for pid in worker_pids(gateway.process.pid)
                )
            finally:
                gateway.stop()

    def profile(
        self, engine: str, gateway: GatewayProcess, samples: dict[str, list[str]], report: Report
    ) -> None:
        runs = dict(self.scenarios(gateway, samples, self.args.profiled))
        for name in self.args.profiled:
            out = self.workdir / f"profile-{engine}-{name}.txt"
            spy = profile.record(gateway.process.pid, self.args.seconds, out)
            say(f"  profiling {name} with py-spy (figures under the profiler not kept)")
            runs[name]()
            spy.wait()
            if out.exists():
                report.profiles.setdefault(engine, {})[name] = profile.summarise(out)

    def sweep(self, engine: str, report: Report) -> None:
        due = self.args.sweep
        say(f"\n{engine}: {due:,} overdue orders to expire while register.do is loaded")
        with database(engine, self.workdir) as db:
            loaded = bulk_orders.load(db.url, db.merchant_ids, 10_000, due=due)
            say(f"  bulk load: {loaded.orders:,} orders in {loaded.seconds:.1f} s")
            count_due = "SELECT COUNT(*) FROM orders WHERE status = 0 AND due_at <= $1"
            gateway = start_gateway(
                db.url, self.workdir / f"{engine}-sweep", extra_env=self.gateway_env
            )
            try:
                now = int(time.time() * 1000)
                before = db.count(count_due, now)
                rest = f"{gateway.base_url}/payment/rest"
                measured = self.wrk(
                    "register.do during the sweep", f"{rest}/register.do",
                    load.STATIC_POST.replace("{body}", REGISTER_BODY),
                )  # fmt: skip
                after = db.count(count_due, now)
            finally:
                gateway.stop()
        report.sweeps.append(SweepResult(engine, due, before, after, measured, len(report.bare)))
        say(f"  expired during the run: {before - after:,} ({after:,} still due at its end)")


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n\n")[0].replace("\n", " ")
    )
    parser.add_argument("--seconds", type=int, default=5, help="per wrk run [5]")
    parser.add_argument("--connections", type=int, default=64, help="wrk -c [64]")
    parser.add_argument(
        "--engines", default="sqlite,postgresql", help="comma-separated [sqlite,postgresql]"
    )
    parser.add_argument(
        "--sizes",
        default="10000",
        help="orders stored before measuring, one data set each, comma-separated"
        " [10000]; e.g. 10000,1000000",
    )
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"comma-separated [{','.join(SCENARIOS)}]"
    )
    parser.add_argument(
        "--sweep", type=int, default=200_000, help="overdue orders to sweep (0: no sweep) [200000]"
    )
    parser.add_argument(
        "--no-profile", dest="profile", action="store_false", help="skip the py-spy profile"
    )
    parser.add_argument(
        "--profile-scenarios",
        dest="profiled",
        default="register,status",
        help="the scenarios profiled with py-spy, at the first size of each engine"
        " [register,status]",
    )
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes [1]")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        type=lambda kv: tuple(kv.split("=", 1)),
        metavar="NAME=VALUE",
        help="a setting for the gateways (repeatable), e.g. ECOMGATE_AUTH_CACHE_SECONDS=300",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the .md goes")
    parser.add_argument("--note", default="", help="a line for the results file (what changed)")
    args = parser.parse_args(argv)
    args.engines = [e for e in args.engines.split(",") if e]
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    args.profiled = [s for s in args.profiled.split(",") if s]
    unknown = set(args.scenarios + args.profiled) - set(SCENARIOS) | set(args.engines) - {
        "sqlite",
        "postgresql",
    }
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))}")
    if min(args.sizes, default=10_000) < 1000:
        parser.error("every size needs at least 1000 orders (the working sets come from them)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("bench needs wrk: apt-get install wrk")
    if args.profile and not profile.py_spy():
        say("py-spy not found (pip install py-spy): no profile this run")
        args.profile = False
    workdir = Path(tempfile.mkdtemp(prefix="ecomgate-bench-"))
    report = Report(
        started=datetime.now(UTC),
        args=vars(args),
        machine=machine.describe(postgres_version() if "postgresql" in args.engines else None),
        load_before=machine.load_average(),
    )
    bench = Bench(args, workdir)
    bare, bare_base = start_bare()
    try:
        bench.bare_script = load.STATIC_POST.replace("{body}", REGISTER_BODY)
        bench.bare_url = f"{bare_base}/payment/rest/register.do"
        for engine in args.engines:
            for size in args.sizes:
                bench.bare(report, f"before {engine}, {size:,}")
                bench.measure_data_set(engine, size, report)
            if args.sweep:
                bench.bare(report, f"before {engine}, sweep")
                bench.sweep(engine, report)
        bench.bare(report, "end")
    finally:
        bare.terminate()
        bare.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    report.load_after = machine.load_average()
    path = write_report(report, args.results)
    say(f"\nresults: {path}")
    print(path.read_text())


if __name__ == "__main__":
    main()
