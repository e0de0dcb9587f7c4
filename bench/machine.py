"""What the figures were measured on: cores, CPU, memory, Python, package and engine
versions, and how busy the machine was (the load average)."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from importlib import metadata

PACKAGES = ("ecomgate", "starlette", "uvicorn", "uvloop", "httptools", "asyncpg", "yoyo-migrations")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        with open("/proc/meminfo") as info:
            kib = int(info.readline().split()[1])
        return f"{kib / 1048576:.1f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def wrk_version() -> str:
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (done.stdout or done.stderr).splitlines()[0] if (done.stdout or done.stderr) else "?"


def load_average() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def describe(postgres_version: str | None) -> list[tuple[str, str]]:
    """(what, value) rows for the results file."""
    return [
        ("cores", str(os.cpu_count())),
        ("CPU", _cpu_model()),
        ("memory", _memory()),
        ("kernel", platform.release()),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL server", postgres_version or "not used"),
        ("wrk", wrk_version()),
        *((package, _version(package)) for package in PACKAGES),
    ]
