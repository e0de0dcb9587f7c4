"""Side-by-side load benchmark: EcomGate's register.do and getOrderStatusExtended.do
against a bare Starlette endpoint, same machine, same run, same load generator (wrk).

    make bench   # or: .venv/bin/python -m bench [--engine sqlite|postgresql] [--seconds 10]

Reports requests per second and the ratio to the bare endpoint.  Needs `wrk` (Debian
package).  Never part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from ecomgate import storage
from ecomgate.services import merchants
from ecomgate.services.context import Policy, Services
from ecomgate.storage import migrate
from ecomgate.testing.postgres import create_pg_database, drop_pg_database
from ecomgate.testing.processes import start_gateway
from ecomgate.web.links import WebLinks

LUA = """
wrk.method = "POST"
wrk.body   = "{body}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
"""


def wrk(url: str, body: str, seconds: int, connections: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA.replace("{body}", body))
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script.name, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    os.unlink(script.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"  ! {errors.group(1)} non-2xx answers", file=sys.stderr)
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


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


async def make_merchant(url: str) -> None:
    store = await storage.open_store(url)
    # creating a merchant reaches neither an acquirer nor a link
    services = Services(
        store=store,
        acquirer=None,  # type: ignore[arg-type]
        links=WebLinks("http://127.0.0.1"),
        policy=Policy(),
    )
    await merchants.create_merchant(services, login="bench-api", password="bench-password")
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--engine",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="postgresql: a fresh database on ECOMGATE_TEST_PG_URL's server, dropped after",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench needs wrk: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="ecomgate-bench-"))
    url = create_pg_database() if args.engine == "postgresql" else f"sqlite:///{workdir}/bench.db"
    migrate.upgrade(url)
    asyncio.run(make_merchant(url))
    gateway = start_gateway(url, workdir)
    bare, bare_base = start_bare()
    auth = "userName=bench-api&password=bench-password"
    try:
        order = httpx.post(
            f"{gateway.base_url}/payment/rest/register.do",
            data={"userName": "bench-api", "password": "bench-password", "amount": "100",
                  "returnUrl": "https://shop.example/ok"},
        ).json()  # fmt: skip
        register_body = f"{auth}&amount=2000&currency=643&returnUrl=https%3A%2F%2Fshop.example%2Fok"
        status_body = f"{auth}&orderId={order['orderId']}"
        results = {}
        for name, base, method, body in (
            ("bare Starlette", bare_base, "register", register_body),
            ("register.do", gateway.base_url, "register", register_body),
            ("getOrderStatusExtended.do", gateway.base_url, "getOrderStatusExtended", status_body),
        ):
            results[name] = wrk(
                f"{base}/payment/rest/{method}.do", body, args.seconds, args.connections
            )
        base_rps = results["bare Starlette"]
        engine = url.split(":")[0]
        print(f"\nEcomGate bench ({engine}, 1 worker, wrk -c{args.connections} -d{args.seconds}s)")
        for name, rps in results.items():
            print(f"  {name:<28} {rps:>9.0f} req/s   {rps / base_rps:>5.2f} x bare")
        print(json.dumps({k: round(v) for k, v in results.items()}))
    finally:
        gateway.stop()
        bare.terminate()
        bare.wait()
        if args.engine == "postgresql":
            drop_pg_database(url)


if __name__ == "__main__":
    main()
