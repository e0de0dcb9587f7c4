"""Build ``ecomgate-client``, the SDK alone as its own distribution: ``ecomgate/client/`` and
``ecomgate/callbacks.py``, requiring httpx only.

``pip install ecomgate[client]`` brings the server's packages along (they are the base
dependencies of ``ecomgate``); this wheel does not.  It ships no ``ecomgate/__init__.py``, so
``ecomgate`` is a namespace package when the client is installed alone.  Install one of the
two distributions, not both (they share these files).

    python scripts/build_client_wheel.py [OUT_DIR]     # default: dist/
"""

from __future__ import annotations

import base64
import hashlib
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "ecomgate"
NAME = "ecomgate_client"


def _files() -> list[tuple[str, bytes]]:
    paths = [SOURCE / "callbacks.py", *sorted((SOURCE / "client").rglob("*.py"))]
    return [(f"ecomgate/{p.relative_to(SOURCE).as_posix()}", p.read_bytes()) for p in paths]


def _metadata(version: str, requires: list[str]) -> bytes:
    lines = [
        "Metadata-Version: 2.1",
        "Name: ecomgate-client",
        f"Version: {version}",
        "Summary: Python SDK for gateways of the eCommerce API v1 family (EcomGate's client)",
        "License: Apache-2.0",
        "Requires-Python: >=3.11",
        *(f"Requires-Dist: {r}" for r in requires),
    ]
    return ("\n".join(lines) + "\n").encode()


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build(out_dir: Path) -> Path:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    version = project["version"]
    requires = project["optional-dependencies"]["client"]
    info = f"{NAME}-{version}.dist-info"
    entries = [
        *_files(),
        (f"{info}/METADATA", _metadata(version, requires)),
        (
            f"{info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: ecomgate build_client_wheel\n"
            b"Root-Is-Purelib: true\nTag: py3-none-any\n",
        ),
    ]
    record = "".join(f"{path},sha256={_digest(data)},{len(data)}\n" for path, data in entries)
    record += f"{info}/RECORD,,\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"{NAME}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in [*entries, (f"{info}/RECORD", record.encode())]:
            # a fixed date: the same source gives the same wheel
            archive.writestr(zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return wheel


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist"))
