"""docs/quickstart.md, run as written: its ``ecomgate merchant create`` command against the
gateway's database, then every ``python`` block, in order, as one script against a real
``ecomgate serve`` (``ECOMGATE_URL``, which the page's script reads, points at it).  The
order it registers ends up paid."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from ecomgate.client import Gateway
from ecomgate.testing.processes import GatewayProcess

from ..support import run_cli

PAGE = Path(__file__).resolve().parents[2] / "docs" / "quickstart.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(PAGE.read_text()) if lang == language]


def test_the_quick_start_pays_an_order(
    tmp_path: Path, gateway: GatewayProcess, database_url: str
) -> None:
    commands = [
        shlex.split(line)
        for block in blocks("sh")
        for line in block.splitlines()
        if line.startswith("ecomgate merchant create")
    ]
    assert len(commands) == 1
    created = run_cli(database_url, *commands[0][1:])
    assert created.returncode == 0, created.stderr

    script = tmp_path / "shop.py"
    script.write_text("\n".join(blocks("python")))
    run = subprocess.run(
        [sys.executable, str(script)],
        env={**os.environ, "ECOMGATE_URL": gateway.base_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    found = re.search(r"^order (order-\w+) paid$", run.stdout, re.MULTILINE)
    assert found, run.stdout
    login, password = commands[0][commands[0].index("--login") + 1], "secret123"
    with Gateway(gateway.base_url, user_name=login, password=password) as g:
        status = g.status(order_number=found[1])
    assert (status.order_status, status.amount) == (2, 1000)
