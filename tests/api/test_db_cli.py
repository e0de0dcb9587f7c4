"""``ecomgate db check`` and ``ecomgate db upgrade`` as an operator (or a readiness probe)
runs them: real subprocesses, on both engines."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecomgate.testing.postgres import create_pg_database, drop_pg_database

from ..conftest import require_postgres
from ..support import run_cli

FIRST_MIGRATION = "0001.initial-schema"


def ecomgate(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(database_url, *args)


@pytest.fixture
def empty_database(engine: str, tmp_path: Path) -> Iterator[str]:
    """A database nobody has migrated yet."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path}/fresh-{uuid.uuid4().hex[:8]}.db"
        return
    require_postgres()
    url = create_pg_database()
    yield url
    drop_pg_database(url)


def test_check_on_a_fresh_database_exits_1_and_lists_what_is_pending(empty_database: str) -> None:
    result = ecomgate(empty_database, "db", "check")
    assert result.returncode == 1, result.stderr
    assert "pending migrations:" in result.stdout
    assert FIRST_MIGRATION in result.stdout


def test_check_exits_0_after_upgrade(empty_database: str) -> None:
    upgrade = ecomgate(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    assert FIRST_MIGRATION in upgrade.stdout
    check = ecomgate(empty_database, "db", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "schema is up to date" in check.stdout


def test_a_second_upgrade_has_nothing_to_do(empty_database: str) -> None:
    assert ecomgate(empty_database, "db", "upgrade").returncode == 0
    again = ecomgate(empty_database, "db", "upgrade")
    assert again.returncode == 0
    assert "schema is up to date" in again.stdout


def test_upgrades_started_together_apply_the_schema_once(empty_database: str) -> None:
    """Several hosts starting at once (``serve`` upgrades too) serialise on yoyo's lock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOMGATE_")}
    env["ECOMGATE_DATABASE_URL"] = empty_database
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "ecomgate.cli", "db", "upgrade"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    applied = [out for out, _ in outputs if FIRST_MIGRATION in out]
    assert len(applied) == 1, outputs
    assert ecomgate(empty_database, "db", "check").returncode == 0


def test_check_against_an_unreachable_database_exits_2_without_a_traceback(engine: str) -> None:
    if engine == "sqlite":
        url = "sqlite:////proc/no-such-dir/ecomgate.db"
    else:
        url = "postgresql://127.0.0.1:5432/ecomgate_no_such_database"
    result = ecomgate(url, "db", "check")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "database unreachable" in result.stderr
    assert "Traceback" not in result.stderr
