"""Settings from command-line flags and the environment (``ECOMGATE_*``).

Everything has a default that works on a laptop with no configuration at all.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ecomgate.domain.merchant import THREE_DS_PROTOCOLS
from ecomgate.domain.money import CURRENCIES, DEFAULT_ENABLED
from ecomgate.notifications.destinations import DestinationPolicy
from ecomgate.notifications.dispatcher import DeliveryConfig
from ecomgate.services.context import Policy
from ecomgate.services.vault import Vault, VaultError, new_key_text, parse_keys

log = logging.getLogger("ecomgate.config")

#: where the sandbox keeps the vault key it generated when none was configured
SANDBOX_VAULT_KEY_FILE = "vault-key"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if not value else int(value)


def _env_seconds(name: str, default: str) -> tuple[int, ...]:
    """A comma-separated list of whole seconds ("" = none)."""
    raw = os.environ.get(name, default)
    try:
        values = tuple(int(v) for v in raw.split(",") if v.strip())
    except ValueError:
        raise ValueError(
            f"{name}: expected whole seconds separated by commas, got {raw!r}"
        ) from None
    if any(v < 0 for v in values):
        raise ValueError(f"{name}: waits must not be negative")
    return values


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    #: base of formUrl and of every link the gateway hands out
    public_url: str = ""
    currencies: tuple[str, ...] = DEFAULT_ENABLED
    acquirer: str = "emulator"
    #: sandbox controls (/sandbox/...) and test-card hints; off in production
    sandbox: bool = True
    #: secret for tokens handed to browsers (3-D Secure); by default one is generated and
    #: kept in the database so that every gateway process shares it
    secret_key: str = ""
    log_level: str = "info"
    workers: int = 1
    sqlite_synchronous: str = "FULL"
    pg_min_size: int = 2
    pg_max_size: int = 10
    pg_command_timeout: float = 10.0
    pg_connect_timeout: float = 5.0
    #: how long a verified API credential is remembered in a process; a changed or revoked
    #: password reaches the other gateway processes within this time (0: no cache)
    auth_cache_seconds: float = 30.0
    #: emulator knobs, so a shop can test its timeouts and failure handling
    emulator_latency_ms: int = 0
    emulator_fail_operations: bool = False
    #: seconds between sweeps for expired orders and scheduled captures/reversals
    sweep_interval: float = 1.0
    #: bound of every call to the acquirer; past it the answer is unknown (PENDING)
    acquirer_timeout_ms: int = 30_000
    #: an operation whose answer never came is looked up (``sync``) after this long ...
    reconcile_after_ms: int = 60_000
    #: ... and declined, its money released, if still unknown this long after sending
    reconcile_deadline_ms: int = 900_000
    #: 3-D Secure version for cards enrolled in both (``3ds1`` or ``3ds2``), unless the
    #: merchant's ``three_ds_protocol`` setting chooses
    three_ds_protocol: str = "3ds2"
    #: spec §8: register.do success carries no errorCode unless this is on
    register_success_error_code: bool = False
    #: dates without zone in requests (expirationDate) are read in this zone (spec §8), and
    #: it sets the bank day of same-day reversals (with its daylight saving)
    timezone: str = "Europe/Moscow"
    #: callbacks (notifications/): waits before each retry, and the longer tail a merchant
    #: may enable (``callback_extended_retries``)
    callback_retry_seconds: tuple[int, ...] = (30, 30, 30)
    callback_retry_tail_seconds: tuple[int, ...] = (600, 1200, 1800, 2400, 3000, 3600)
    callback_timeout_seconds: float = 10.0
    #: outside the sandbox, callbacks to loopback/private addresses need this
    callback_allow_private: bool = False
    callback_retention_days: float = 30.0
    callback_poll_interval: float = 0.5
    callback_concurrency: int = 16
    #: the key a test suite creates sandbox merchants with (``POST /sandbox/merchants``);
    #: "" = no merchant can be created through the sandbox API
    sandbox_token: str = ""
    #: run the sweeper, the reconciler and the callback dispatcher in ``serve``; off when
    #: ``ecomgate worker`` processes do that work instead
    background: bool = True
    #: the card vault's keys, ``id:base64key,...`` (first = current; ECOMGATE_VAULT_KEYS).
    #: Never stored in the database.  Empty: the sandbox generates one into ``data_dir``;
    #: outside the sandbox no card can be stored (bindings answer errorCode 7)
    vault_keys: str = field(default="", repr=False)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sandbox_faults(self) -> bool:
        """Chaos and moving clocks: in the sandbox, and over the emulator only.  A real
        processor's answers are never faked, and its operations never aged past the
        reconciler's deadline by a merchant's clock."""
        return self.sandbox and self.acquirer == "emulator"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ecomgate.db').as_posix()}"

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def acquirer_options(self) -> dict[str, Any]:
        """Constructor options of the configured acquirer, beyond secret and URLs."""
        if self.acquirer == "emulator":
            return {
                "latency_ms": self.emulator_latency_ms,
                "fail_operations": self.emulator_fail_operations,
            }
        return {}

    def store_options(self) -> dict[str, Any]:
        return {
            "sqlite_synchronous": self.sqlite_synchronous,
            "pg_min_size": self.pg_min_size,
            "pg_max_size": self.pg_max_size,
            "pg_command_timeout": self.pg_command_timeout,
            "pg_connect_timeout": self.pg_connect_timeout,
        }

    def check(self) -> Settings:
        """Refuse settings that would defeat the reconciler (raised at start-up)."""
        if self.three_ds_protocol not in THREE_DS_PROTOCOLS:
            raise ValueError(
                f"ECOMGATE_THREE_DS_PROTOCOL must be one of {', '.join(THREE_DS_PROTOCOLS)}"
            )
        if self.acquirer_timeout_ms <= 0:
            raise ValueError("ECOMGATE_ACQUIRER_TIMEOUT_MS must be positive")
        if self.reconcile_after_ms < 0:
            raise ValueError("ECOMGATE_RECONCILE_AFTER_MS must not be negative")
        first_look = max(self.reconcile_after_ms, self.acquirer_timeout_ms)
        if self.reconcile_deadline_ms <= first_look:
            raise ValueError(
                "ECOMGATE_RECONCILE_DEADLINE_MS must be longer than the first look at an "
                f"unknown answer ({first_look} ms: the larger of ECOMGATE_RECONCILE_AFTER_MS "
                "and ECOMGATE_ACQUIRER_TIMEOUT_MS), or nothing could be asked before it"
            )
        return self

    def delivery_config(self) -> DeliveryConfig:
        return DeliveryConfig(
            retry_seconds=self.callback_retry_seconds,
            tail_seconds=self.callback_retry_tail_seconds,
            timeout_seconds=self.callback_timeout_seconds,
            destinations=DestinationPolicy(
                https_only=not self.sandbox,
                allow_private=self.sandbox or self.callback_allow_private,
            ),
            retention_ms=int(self.callback_retention_days * 86_400_000),
            concurrency=self.callback_concurrency,
            sandbox_chaos=self.sandbox,
        )

    def policy(self) -> Policy:
        return Policy(
            enabled_currencies=frozenset(self.currencies),
            timezone=self.timezone,
            acquirer_timeout_ms=self.acquirer_timeout_ms,
            reconcile_after_ms=self.reconcile_after_ms,
            reconcile_deadline_ms=self.reconcile_deadline_ms,
            three_ds_protocol=self.three_ds_protocol,
        )

    def vault(self) -> Vault | None:
        """The card vault from ``vault_keys``; in the sandbox without keys, a key generated
        once into ``data_dir`` (with a warning: fine for tests, not for real cards)."""
        try:
            if self.vault_keys.strip():
                return Vault(parse_keys(self.vault_keys))
            if not self.sandbox:
                log.warning("ECOMGATE_VAULT_KEYS is not set: stored cards (bindings) are disabled")
                return None
            return Vault(parse_keys(_sandbox_vault_key(self.data_dir)))
        except VaultError as exc:
            raise ValueError(str(exc)) from None

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _sandbox_vault_key(data_dir: Path) -> str:
    """The sandbox's own vault key in ``data_dir``, made by the first process to need it.
    Written whole to a private temporary file, then linked into place: a process starting
    at the same moment finds either no file or the whole key, and every one ends up with
    the first key linked."""
    path = data_dir / SANDBOX_VAULT_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f".{SANDBOX_VAULT_KEY_FILE}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(new_key_text("sandbox") + "\n")
        try:
            os.link(tmp, path)  # fails if another process linked its key first
        except FileExistsError:
            pass
        else:
            log.warning(
                "ECOMGATE_VAULT_KEYS is not set: generated a sandbox vault key in %s"
                " (set ECOMGATE_VAULT_KEYS outside the sandbox)",
                path,
            )
        finally:
            tmp.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        raise ValueError(f"{path} is readable by other users: chmod 600 it")
    return path.read_text().strip()


def from_env() -> Settings:
    env = os.environ.get
    currencies = tuple(
        c.strip() for c in env("ECOMGATE_CURRENCIES", ",".join(DEFAULT_ENABLED)).split(",")
    )
    unknown = [c for c in currencies if c not in CURRENCIES]
    if unknown:
        raise ValueError(f"ECOMGATE_CURRENCIES: unknown ISO 4217 numeric codes {unknown}")
    return Settings(
        data_dir=Path(env("ECOMGATE_DATA_DIR", "data")),
        database_url=env("ECOMGATE_DATABASE_URL", ""),
        host=env("ECOMGATE_HOST", "127.0.0.1"),
        port=_env_int("ECOMGATE_PORT", 8080),
        public_url=env("ECOMGATE_PUBLIC_URL", ""),
        currencies=currencies,
        acquirer=env("ECOMGATE_ACQUIRER", "emulator"),
        sandbox=_env_bool("ECOMGATE_SANDBOX", True),
        secret_key=env("ECOMGATE_SECRET_KEY", ""),
        log_level=env("ECOMGATE_LOG_LEVEL", "info"),
        workers=_env_int("ECOMGATE_WORKERS", 1),
        sqlite_synchronous=env("ECOMGATE_SQLITE_SYNCHRONOUS", "FULL").upper(),
        pg_min_size=_env_int("ECOMGATE_PG_POOL_MIN", 2),
        pg_max_size=_env_int("ECOMGATE_PG_POOL_MAX", 10),
        pg_command_timeout=float(env("ECOMGATE_PG_COMMAND_TIMEOUT", "10")),
        pg_connect_timeout=float(env("ECOMGATE_PG_CONNECT_TIMEOUT", "5")),
        auth_cache_seconds=float(env("ECOMGATE_AUTH_CACHE_SECONDS", "30")),
        emulator_latency_ms=_env_int("ECOMGATE_EMULATOR_LATENCY_MS", 0),
        emulator_fail_operations=_env_bool("ECOMGATE_EMULATOR_FAIL_OPERATIONS", False),
        sweep_interval=float(env("ECOMGATE_SWEEP_INTERVAL", "1")),
        acquirer_timeout_ms=_env_int("ECOMGATE_ACQUIRER_TIMEOUT_MS", 30_000),
        reconcile_after_ms=_env_int("ECOMGATE_RECONCILE_AFTER_MS", 60_000),
        reconcile_deadline_ms=_env_int("ECOMGATE_RECONCILE_DEADLINE_MS", 900_000),
        register_success_error_code=_env_bool("ECOMGATE_REGISTER_SUCCESS_ERROR_CODE", False),
        timezone=env("ECOMGATE_TIMEZONE", "Europe/Moscow"),
        three_ds_protocol=env("ECOMGATE_THREE_DS_PROTOCOL", "3ds2").strip().lower(),
        callback_retry_seconds=_env_seconds("ECOMGATE_CALLBACK_RETRY_SECONDS", "30,30,30"),
        callback_retry_tail_seconds=_env_seconds(
            "ECOMGATE_CALLBACK_RETRY_TAIL_SECONDS", "600,1200,1800,2400,3000,3600"
        ),
        callback_timeout_seconds=float(env("ECOMGATE_CALLBACK_TIMEOUT_SECONDS", "10")),
        callback_allow_private=_env_bool("ECOMGATE_CALLBACK_ALLOW_PRIVATE", False),
        callback_retention_days=float(env("ECOMGATE_CALLBACK_RETENTION_DAYS", "30")),
        callback_poll_interval=float(env("ECOMGATE_CALLBACK_POLL_INTERVAL", "0.5")),
        callback_concurrency=_env_int("ECOMGATE_CALLBACK_CONCURRENCY", 16),
        background=_env_bool("ECOMGATE_BACKGROUND", True),
        sandbox_token=env("ECOMGATE_SANDBOX_TOKEN", ""),
        vault_keys=env("ECOMGATE_VAULT_KEYS", ""),
    ).check()
