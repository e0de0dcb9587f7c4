"""``ecomgate``: serve | merchant | db | demo."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from ecomgate import config, storage
from ecomgate.config import Settings
from ecomgate.domain.errors import GatewayError
from ecomgate.services import merchants as merchant_service
from ecomgate.services.context import Services
from ecomgate.storage import migrate
from ecomgate.web.api.messages import message
from ecomgate.web.links import WebLinks

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return config.from_env()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


class _NoAcquirer:
    """Administration commands never reach an acquirer."""

    name = "none"

    def __getattr__(self, item: str) -> Any:  # pragma: no cover - defensive
        raise RuntimeError("no acquirer in administration commands")


def _run(settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    async def main() -> T:
        store = await storage.open_store(settings.resolved_database_url, **settings.store_options())
        services = Services(
            store=store,
            acquirer=_NoAcquirer(),
            links=WebLinks(settings.resolved_public_url),
            policy=settings.policy(),
        )
        try:
            return await work(services)
        finally:
            await store.close()

    _upgrade(settings, quiet=True)
    try:
        return asyncio.run(main())
    except GatewayError as exc:
        raise click.ClickException(message(exc.key, "en", **exc.params)) from exc


def _upgrade(settings: Settings, *, quiet: bool) -> None:
    try:
        applied = migrate.upgrade(settings.resolved_database_url)
    except Exception as exc:
        raise click.ClickException(f"database migration failed: {exc}") from exc
    if applied and not quiet:
        click.echo(f"applied migrations: {', '.join(applied)}")


@click.group()
@click.version_option(package_name="ecomgate")
def main() -> None:
    """EcomGate: a self-hosted card payment gateway speaking the eCommerce API v1."""


# -- serve ---------------------------------------------------------------------------
@main.command()
@click.option("--host", default=None, help="Interface to listen on [ECOMGATE_HOST, 127.0.0.1]")
@click.option("--port", type=int, default=None, help="Port [ECOMGATE_PORT, 8080]; 0: any free port")
@click.option("--workers", type=int, default=None, help="Worker processes [ECOMGATE_WORKERS, 1]")
@click.option("--database-url", default=None, help="[ECOMGATE_DATABASE_URL]")
@click.option("--public-url", default=None, help="Base of formUrl [ECOMGATE_PUBLIC_URL]")
@click.option(
    "--port-file",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the port listened on to this file once it is bound (for --port 0)",
)
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    database_url: str | None,
    public_url: str | None,
    port_file: str | None,
) -> None:
    """Run the gateway (migrations are applied first)."""
    import uvicorn

    # worker processes read their settings from the environment, so flags go there too
    for name, value in (
        ("ECOMGATE_HOST", host),
        ("ECOMGATE_PORT", port),
        ("ECOMGATE_WORKERS", workers),
        ("ECOMGATE_DATABASE_URL", database_url),
        ("ECOMGATE_PUBLIC_URL", public_url),
    ):
        if value is not None:
            os.environ[name] = str(value)
    settings = _settings()
    _upgrade(settings, quiet=False)
    listening: socket.socket | None = None
    if settings.port == 0 or port_file:
        # bind here, so the port is known (port 0: the system picks a free one) before
        # uvicorn starts; uvicorn and its worker processes serve this very socket
        listening = _listen(settings.host, settings.port)
        bound = int(listening.getsockname()[1])
        os.environ["ECOMGATE_PORT"] = str(bound)  # workers build formUrl from it too
        settings = settings.with_overrides(port=bound)
        if port_file:
            _write_port_file(port_file, bound)
    click.echo(
        f"EcomGate on http://{settings.host}:{settings.port} "
        f"(database: {settings.resolved_database_url.split('://')[0]}, "
        f"public URL: {settings.resolved_public_url})"
    )
    options: dict[str, Any] = {
        "factory": True,
        "workers": settings.workers if settings.workers > 1 else None,
        "log_level": settings.log_level,
        "access_log": False,
        "loop": "auto",
        "http": "auto",
        "timeout_graceful_shutdown": 5,
    }
    if listening is None:
        uvicorn.run(
            "ecomgate.web.app:app_from_env", host=settings.host, port=settings.port, **options
        )
    else:
        _serve_on(listening, uvicorn.Config("ecomgate.web.app:app_from_env", **options))


def _serve_on(listening: socket.socket, config: Any) -> None:
    """uvicorn (and its worker processes) on the socket bound here.  The socket object
    itself is handed over, not its descriptor (``uvicorn.run(fd=...)``): uvicorn takes a
    descriptor for a Unix socket, so asyncio leaves TCP_NODELAY off on the connections and
    every keep-alive answer waits out the client's delayed ACK (~40 ms, ~180 req/s)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if config.workers > 1:
        Multiprocess(config, sockets=[listening]).run()
        return
    server = uvicorn.Server(config)
    server.run(sockets=[listening])
    if not server.started:
        sys.exit(3)  # uvicorn's own exit status for a failed start


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0: a port the system picks)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _write_port_file(path: str, content: int | dict[str, int]) -> None:
    """The port (``serve``: the number; ``demo``: a JSON object), written whole and then
    renamed: a reader never sees a half-written file."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as out:
        out.write(f"{json.dumps(content)}\n")
    os.replace(tmp, path)


# -- merchants -----------------------------------------------------------------------
@main.group()
def merchant() -> None:
    """Create, list and update merchants."""


def _merchant_json(m: Any) -> dict[str, Any]:
    return {
        "login": m.login,
        "name": m.name,
        "currency": m.default_currency,
        "permissions": sorted(m.permissions),
        "settings": m.settings.to_dict()
        | {"callback_secret": "***" if m.settings.callback_secret else ""},
        "token": bool(m.token_hash),
    }


@merchant.command("create")
@click.option("--login", required=True)
@click.option("--password", required=True)
@click.option("--name", default="")
@click.option("--currency", default="643", show_default=True)
@click.option("--permission", "permissions", multiple=True, help="Extra permission (repeatable)")
def merchant_create(
    login: str, password: str, name: str, currency: str, permissions: tuple[str, ...]
) -> None:
    """Create a merchant API user."""
    created = _run(
        _settings(),
        lambda s: merchant_service.create_merchant(
            s, login=login, password=password, name=name, currency=currency, permissions=permissions
        ),
    )
    click.echo(f"created merchant {created.login} ({', '.join(sorted(created.permissions))})")


@merchant.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output")
def merchant_list(as_json: bool) -> None:
    """List merchants."""
    found = _run(_settings(), merchant_service.list_merchants)
    if as_json:
        click.echo(json.dumps([_merchant_json(m) for m in found], indent=2))
        return
    if not found:
        click.echo("no merchants yet: ecomgate merchant create --login LOGIN --password PASSWORD")
        return
    for m in found:
        click.echo(
            f"{m.login:<24} {m.name:<24} {m.default_currency}  {','.join(sorted(m.permissions))}"
        )


@merchant.command("token")
@click.argument("login")
def merchant_token(login: str) -> None:
    """Issue a static API token (spec §1.4); it replaces any earlier one."""
    token = _run(_settings(), lambda s: merchant_service.issue_token(s, login))
    click.echo(token)


@merchant.command("update")
@click.argument("login")
@click.option("--password", default=None)
@click.option("--name", default=None)
@click.option("--currency", default=None)
@click.option("--grant", multiple=True, help="Permission to add (repeatable)")
@click.option("--revoke", multiple=True, help="Permission to remove (repeatable)")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="Merchant setting, e.g. max_attempts=3, session_timeout_secs=600, "
    "order_number_required=true, language=en, callback_url=https://...",
)
def merchant_update(
    login: str,
    password: str | None,
    name: str | None,
    currency: str | None,
    grant: tuple[str, ...],
    revoke: tuple[str, ...],
    assignments: tuple[str, ...],
) -> None:
    """Change a merchant's password, permissions or settings."""
    settings: dict[str, Any] = {}
    for item in assignments:
        key, sep, raw = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        settings[key] = _setting_value(raw)
    updated = _run(
        _settings(),
        lambda s: merchant_service.update_merchant(
            s,
            login,
            password=password,
            name=name,
            currency=currency,
            grant=grant,
            revoke=revoke,
            settings=settings,
        ),
    )
    click.echo(json.dumps(_merchant_json(updated), indent=2))


def _setting_value(raw: str) -> Any:
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    if raw.isdigit():
        return int(raw)
    return raw


# -- demo ----------------------------------------------------------------------------
DEMO_LOGIN = "demo-shop-api"
DEMO_PASSWORD = "demo-password"


async def _ensure_demo_merchant(services: Services) -> None:
    from ecomgate.domain.merchant import MerchantSettings

    async with services.uow.transaction() as repos:
        existing = await repos.merchants.get_by_login(DEMO_LOGIN)
    if existing is None:
        await merchant_service.create_merchant(
            services,
            login=DEMO_LOGIN,
            password=DEMO_PASSWORD,
            name="Demo tea shop",
            permissions=("card-payment-api", "reverse-deposited"),
            settings=MerchantSettings(language="en", max_attempts=3),
        )


@main.command()
@click.option(
    "--port", type=int, default=None, help="Gateway port [ECOMGATE_PORT, 8080]; 0: any free port"
)
@click.option(
    "--shop-port",
    type=int,
    default=8081,
    show_default=True,
    help="Demo shop port; 0: any free port",
)
@click.option("--host", default=None, help="Interface for both [ECOMGATE_HOST, 127.0.0.1]")
@click.option(
    "--port-file",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help='Write {"port": gateway port, "shop_port": shop port} (JSON) to this file once both '
    "are bound (for port 0)",
)
def demo(port: int | None, shop_port: int, host: str | None, port_file: str | None) -> None:
    """Run the gateway with a demo merchant, plus a demo shop that pays through it."""
    import uvicorn

    from ecomgate.demo.shop import ShopConfig, create_shop
    from ecomgate.web.app import create_app

    settings = _settings().with_overrides(port=port, host=host)
    # both sockets are bound first (port 0: the system picks), so the gateway's public URL,
    # which the shop and every formUrl use, and the shop's URL carry the ports really bound
    gateway_socket = _listen(settings.host, settings.port)
    try:
        shop_socket = _listen(settings.host, shop_port)
    except BaseException:
        gateway_socket.close()
        raise
    settings = settings.with_overrides(port=int(gateway_socket.getsockname()[1]))
    shop_port = int(shop_socket.getsockname()[1])
    _run(settings, _ensure_demo_merchant)
    gateway_url = settings.resolved_public_url
    shop_url = f"http://{settings.host}:{shop_port}"
    if port_file:
        _write_port_file(port_file, {"port": settings.port, "shop_port": shop_port})
    shop = create_shop(
        ShopConfig(
            gateway_url=gateway_url, shop_url=shop_url, login=DEMO_LOGIN, password=DEMO_PASSWORD
        )
    )
    click.echo(
        f"""
EcomGate demo
  gateway    {gateway_url}   (API: {gateway_url}/payment/rest/<method>.do)
  demo shop  {shop_url}   <- open this in a browser and press Buy
  merchant   userName={DEMO_LOGIN}  password={DEMO_PASSWORD}
  test card  4111 1111 1111 1111, any future expiry, CVC 123, 3-D Secure password 12345678

Register an order yourself:
  curl --data amount=2000 --data currency=643 --data userName={DEMO_LOGIN} \\
       --data password={DEMO_PASSWORD} --data returnUrl=https://mybestmerchantreturnurl.com \\
       --data description=my_first_order --data language=en \\
       {gateway_url}/payment/rest/register.do
"""
    )

    async def both() -> None:
        servers = [
            (uvicorn.Server(uvicorn.Config(app, log_level="warning")), sock)
            for app, sock in ((create_app(settings), gateway_socket), (shop, shop_socket))
        ]
        await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in servers))

    asyncio.run(both())


# -- database ------------------------------------------------------------------------
@main.group()
def db() -> None:
    """Schema migrations."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (once per release, before the gateway hosts are rolled)."""
    settings = _settings()
    try:
        applied = migrate.upgrade(settings.resolved_database_url)
    except Exception as exc:
        raise click.ClickException(f"database migration failed: {exc}") from exc
    click.echo(f"applied: {', '.join(applied)}" if applied else "schema is up to date")


@db.command("check")
def db_check() -> None:
    """Report pending migrations: exit 0 when the schema is up to date, 1 when migrations
    are pending (listed), 2 when the database cannot be reached.  Fit for a readiness
    probe."""
    settings = _settings()
    try:
        todo = migrate.pending(settings.resolved_database_url)
    except Exception as exc:
        click.echo(f"database unreachable: {exc.__class__.__name__}: {exc}".strip(), err=True)
        sys.exit(2)
    if todo:
        click.echo(f"pending migrations: {', '.join(todo)}")
        sys.exit(1)
    click.echo("schema is up to date")


if __name__ == "__main__":  # pragma: no cover
    main()
