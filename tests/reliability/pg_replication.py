"""A PostgreSQL primary with a synchronous streaming standby, made on this machine with
Debian's PostgreSQL tools (``initdb``, ``pg_basebackup``, ``pg_ctl``), for the failover
test.  Both clusters listen on 127.0.0.1 only, on ports the system picked, in a folder of
their own that is removed afterwards.  As root, the tools run as the ``postgres`` user."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: what the standby calls itself; the primary waits for it on every commit
STANDBY_NAME = "standby1"


def _tool_dir() -> Path | None:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists() and (folder / "pg_basebackup").exists():
            return folder
    return None


def replication_problem() -> str | None:
    """Why no replicated cluster can be made here (``None``: it can)."""
    if _tool_dir() is None:
        return "PostgreSQL server tools (initdb, pg_basebackup) not found in /usr/lib/postgresql"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the server as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    name: str
    data: Path
    port: int
    log: Path


class ReplicatedPostgres:
    def __init__(self) -> None:
        tools = _tool_dir()
        assert tools is not None, replication_problem()
        self.tools = tools
        # not under pytest's tmp folder: the postgres user must be able to reach it
        self.root = Path(tempfile.mkdtemp(prefix="ecomgate-replication-"))
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self.primary = Cluster("primary", self.root / "primary", _free_port(), self.root / "p.log")
        self.standby = Cluster("standby", self.root / "standby", _free_port(), self.root / "s.log")
        self.database = "ecomgate"

    # -- running the tools ------------------------------------------------------------
    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.tools / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, capture_output=True, text=True, check=check, timeout=120, cwd=self.root
        )

    def _start(self, cluster: Cluster) -> None:
        self._run(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(cluster.data), "-l", str(cluster.log)
        )

    def sql(self, cluster: Cluster, statement: str, database: str = "postgres") -> str:
        out = self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-At",
            "-c",
            statement,
        )
        return out.stdout.strip()

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> None:
        p = self.primary
        self._run("initdb", "-D", str(p.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with (p.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {p.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "wal_level = replica\n"
                "max_wal_senders = 5\n"
                "synchronous_commit = on\n"
                "shared_buffers = 32MB\n"
            )
        self._start(p)
        self.sql(p, f'CREATE DATABASE "{self.database}"')
        s = self.standby
        self._run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(p.port),
            "-U",
            "postgres",
            "-D",
            str(s.data),
            "-X",
            "stream",
            "-R",  # standby.signal and primary_conninfo
            "--checkpoint=fast",  # not a spread checkpoint: minutes otherwise
        )
        with (s.data / "postgresql.auto.conf").open("a") as conf:
            # the walreceiver's application_name is the cluster name
            conf.write(f"port = {s.port}\ncluster_name = '{STANDBY_NAME}'\n")
        self._start(s)
        # from now on a commit is acknowledged only once the standby has it on disk
        self.sql(p, f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'")
        self.sql(p, "SELECT pg_reload_conf()")
        deadline = time.monotonic() + 30
        while self.sql(p, "SELECT sync_state FROM pg_stat_replication") != "sync":
            assert time.monotonic() < deadline, "the standby never became synchronous"
            time.sleep(0.1)

    def url(self) -> str:
        """The gateway's URL: both hosts, the one that takes writes wins."""
        return (
            f"postgresql://postgres@127.0.0.1:{self.primary.port},127.0.0.1:{self.standby.port}"
            f"/{self.database}?target_session_attrs=read-write"
        )

    def standby_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.standby.port}/{self.database}"

    def crash_primary(self) -> None:
        """The primary dies as on a power cut: no shutdown checkpoint, connections cut."""
        self._run("pg_ctl", "stop", "-m", "immediate", "-D", str(self.primary.data))

    def promote_standby(self) -> None:
        self._run("pg_ctl", "promote", "-w", "-t", "60", "-D", str(self.standby.data))

    def stop(self) -> None:
        for cluster in (self.standby, self.primary):
            if (cluster.data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-m", "immediate", "-D", str(cluster.data), check=False)
        shutil.rmtree(self.root, ignore_errors=True)
