"""An ``ecomgate serve`` process on a port the system picks, and stopping processes."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

#: the gateway secret (``ECOMGATE_SECRET_KEY``) of the servers started here; tests sign
#: tokens in-process with it too
TEST_SECRET = "test-secret"


def free_port() -> int:
    """A port that was free a moment ago (bind, read, release): racy, so no test uses it.
    Kept (moved from tests/support.py) for ``bench`` and ``demo_flow`` until ``ecomgate demo``
    takes ``--port 0``."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, a grace period for a clean shutdown, then SIGKILL."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class GatewayProcess:
    base_url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        stop_process(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_gateway(
    database_url: str, workdir: Path, *, extra_env: dict[str, str] | None = None
) -> GatewayProcess:
    """``ecomgate serve --port 0``: the system picks the port, the gateway writes it to a
    file we read back (no free-port guess that another process could take meanwhile).  The
    public URL is left to the gateway, which builds it from the port it bound."""
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / f"port-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "ECOMGATE_DATABASE_URL": database_url,
        "ECOMGATE_HOST": "127.0.0.1",
        "ECOMGATE_PORT": "0",
        "ECOMGATE_DATA_DIR": str(workdir),
        "ECOMGATE_LOG_LEVEL": "warning",
        # the tests' own secret, so tokens made in-process verify in the server too
        "ECOMGATE_SECRET_KEY": TEST_SECRET,
        **(extra_env or {}),
    }
    env.pop("ECOMGATE_PUBLIC_URL", None)
    log_path = workdir / f"gateway-{port_file.name}.log"
    with log_path.open("wb") as log_file:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "ecomgate.cli", "serve", "--port-file", str(port_file)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    gateway = GatewayProcess("", database_url, process, log_path)
    deadline = time.monotonic() + 30
    try:
        while not port_file.exists():
            if process.poll() is not None:
                raise RuntimeError(f"gateway exited at start:\n{gateway.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gateway never reported its port:\n{gateway.log()}")
            time.sleep(0.02)
        gateway.base_url = f"http://127.0.0.1:{int(port_file.read_text())}"
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gateway exited at start:\n{gateway.log()}")
            try:
                if httpx.get(f"{gateway.base_url}/health", timeout=1).status_code == 200:
                    return gateway
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"gateway did not become healthy within 30 s:\n{gateway.log()}")
    except BaseException:
        gateway.stop()
        raise
