"""``ecomgate.client`` needs httpx and the standard library only: the ``ecomgate-client``
wheel (``scripts/build_client_wheel.py``) is built and installed by pip into a directory of its
own, and a fresh interpreter whose path holds nothing but that directory and httpx (with what
httpx needs) registers and reads an order on a real gateway."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ecomgate.testing.processes import GatewayProcess

from ..support import MerchantCredentials

ROOT = Path(__file__).resolve().parents[2]

#: the distributions httpx needs (its requirements, recursively, without extras) and the
#: top-level modules each installs, by file path
_HTTPX_CLOSURE = """
import json, re, sys
from importlib import metadata
todo, seen, paths = ["httpx"], set(), {}
while todo:
    name = todo.pop()
    if name.lower() in seen:
        continue
    seen.add(name.lower())
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:  # its marker excludes this Python
        continue
    for req in dist.requires or []:
        if "extra ==" not in req and "extra==" not in req:
            todo.append(re.match(r"[A-Za-z0-9._-]+", req)[0])
    for file in dist.files or []:
        top = file.parts[0]
        if top.endswith((".dist-info", ".pth")) or top in ("..", "__pycache__"):
            continue
        paths[top] = str(dist.locate_file(top))
print(json.dumps(paths))
"""

_SHOP = """
import json, sys
sys.path[:0] = [sys.argv[1]]
from ecomgate.client import Gateway, verify_checksum
base_url, login, password = sys.argv[2:5]
with Gateway(base_url, user_name=login, password=password) as g:
    o = g.register(amount=1000, return_url="https://shop.example/back", order_number=sys.argv[5])
    s = g.status(order_id=o.order_id)
server_side = ("starlette", "uvicorn", "jinja2", "asyncpg", "cryptography", "click")
print(json.dumps({
    "order_status": s.order_status,
    "order_number": s.order_number,
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in server_side),
    "ecomgate": sorted(m for m in sys.modules if m.startswith("ecomgate")),
    "checksum": verify_checksum({"a": "1", "checksum": "x"}, "s"),
}))
"""


def _isolated_path(tmp_path: Path) -> Path:
    """The wheel installed alone (no dependencies) into a directory, httpx's closure linked
    beside it."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from build_client_wheel import build
    finally:
        sys.path.pop(0)
    wheel = build(tmp_path / "dist")
    site = tmp_path / "site"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert installed.returncode == 0, installed.stderr
    assert not (site / "ecomgate" / "__init__.py").exists()  # a namespace package alone
    closure = json.loads(
        subprocess.run(
            [sys.executable, "-c", _HTTPX_CLOSURE],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    )
    for top, location in closure.items():
        (site / top).symlink_to(location)
    return site


def test_the_sdk_runs_with_httpx_alone(
    tmp_path: Path, gateway: GatewayProcess, merchant: MerchantCredentials
) -> None:
    site = _isolated_path(tmp_path)
    run = subprocess.run(
        # -S: no site-packages; -I: no PYTHONPATH, user site or current directory
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _SHOP,
            str(site),
            gateway.base_url,
            merchant.login,
            merchant.password,
            f"STANDALONE-{tmp_path.name[-8:]}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["order_status"] == 0
    assert result["loaded"] == []
    assert all(
        m == "ecomgate" or m.startswith(("ecomgate.client", "ecomgate.callbacks"))
        for m in result["ecomgate"]
    ), result["ecomgate"]
    assert result["checksum"] is False
