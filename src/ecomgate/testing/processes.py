"""An ``ecomgate serve`` process on a port the system picks (``--port 0 --port-file``: no
free-port guess that another process could take meanwhile), waiting for a server process to
come up, and stopping processes."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

#: the gateway secret (``ECOMGATE_SECRET_KEY``) of the servers started here; tests sign
#: tokens in-process with it too
TEST_SECRET = "test-secret"
#: the tests' card-vault key (32 bytes, base64), shared by every test process
TEST_VAULT_KEYS = "test1:dGVzdC12YXVsdC1rZXktMzItYnl0ZXMtbG9uZyEhISE="


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


def gateway_env(
    database_url: str,
    workdir: Path,
    extra_env: dict[str, str] | None = None,
    *,
    inherit_settings: bool = True,
) -> dict[str, str]:
    """The environment of a gateway process (``serve``, ``worker``, ``listen``) of a test.
    ``inherit_settings`` False: no ``ECOMGATE_*`` of the caller's environment is passed on
    (a shop's own settings must not change the gateway its tests run against)."""
    inherited = {
        k: v for k, v in os.environ.items() if inherit_settings or not k.startswith("ECOMGATE_")
    }
    env = {
        **inherited,
        "ECOMGATE_DATABASE_URL": database_url,
        "ECOMGATE_HOST": "127.0.0.1",
        "ECOMGATE_PORT": "0",
        "ECOMGATE_DATA_DIR": str(workdir),
        "ECOMGATE_LOG_LEVEL": "warning",
        # the tests' own secret, so tokens made in-process verify in the server too
        "ECOMGATE_SECRET_KEY": TEST_SECRET,
        # ... and its vault key, so cards stored in-process open in the server too
        "ECOMGATE_VAULT_KEYS": TEST_VAULT_KEYS,
        **(extra_env or {}),
    }
    env.pop("ECOMGATE_PUBLIC_URL", None)
    return env


def start_gateway(
    database_url: str,
    workdir: Path,
    *,
    extra_env: dict[str, str] | None = None,
    inherit_settings: bool = True,
) -> GatewayProcess:
    """``ecomgate serve --port 0``: the system picks the port, the gateway writes it to a
    file we read back (no free-port guess that another process could take meanwhile).  The
    public URL is left to the gateway, which builds it from the port it bound."""
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / f"port-{secrets.token_hex(4)}"
    gateway = start_command(
        ["serve", "--port-file", str(port_file)],
        database_url,
        workdir,
        extra_env=extra_env,
        name=f"gateway-{port_file.name}",
        inherit_settings=inherit_settings,
    )
    try:
        started = Startup("gateway", gateway.process, gateway.log)
        gateway.base_url = f"http://127.0.0.1:{int(started.port_file(port_file))}"
        started.answering(f"{gateway.base_url}/health")
        return gateway
    except BaseException:
        gateway.stop()
        raise


def start_command(
    args: list[str],
    database_url: str,
    workdir: Path,
    *,
    extra_env: dict[str, str] | None = None,
    name: str = "",
    inherit_settings: bool = True,
) -> GatewayProcess:
    """``ecomgate <args>`` (``worker``, ``listen`` ...) against ``database_url``, its output
    in a log file; ``base_url`` stays empty (``start_gateway`` fills it for ``serve``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{name or args[0]}-{secrets.token_hex(4)}.log"
    with log_path.open("wb") as log_file:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-u", "-m", "ecomgate.cli", *args],
            env=gateway_env(database_url, workdir, extra_env, inherit_settings=inherit_settings),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    return GatewayProcess("", database_url, process, log_path)


class Startup:
    """Waiting for a just started server process: for the file its ``--port-file`` option
    writes (whole, then renamed), then for its URLs to answer; it fails with the process's
    log when the process exits first or ``timeout`` seconds pass."""

    def __init__(
        self,
        what: str,
        process: subprocess.Popen[bytes],
        log: Callable[[], str],
        *,
        timeout: float = 30,
    ) -> None:
        self.what, self.process, self.log, self.timeout = what, process, log, timeout
        self.deadline = time.monotonic() + timeout

    def _check(self, waiting_for: str) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.what} exited at start:\n{self.log()}")
        if time.monotonic() > self.deadline:
            raise RuntimeError(
                f"{self.what}: {waiting_for} not within {self.timeout} s:\n{self.log()}"
            )

    def port_file(self, path: Path) -> Any:
        """The port file's content, parsed as JSON (``serve``: a number; ``demo``: an object)."""
        while not path.exists():
            self._check("no port file")
            time.sleep(0.02)
        return json.loads(path.read_text())

    def logged(self, text: str) -> None:
        """The process has written ``text`` to its output."""
        while text not in self.log():
            self._check(f"{text!r} not in its output")
            time.sleep(0.02)

    def answering(self, *urls: str) -> None:
        """Each of ``urls`` answers a GET with 200."""
        for url in urls:
            while True:
                self._check(f"{url} not answering")
                try:
                    if httpx.get(url, timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)
