"""``ecomgate``: serve | worker | merchant | operator | callbacks | listen | db | vault |
demo."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import getpass
import json
import os
import secrets
import socket
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from ecomgate import config, storage
from ecomgate.composition import open_services, run_background
from ecomgate.config import Settings
from ecomgate.domain import callbacks as callback_catalogue
from ecomgate.domain.errors import GatewayError
from ecomgate.notifications import admin as callback_admin
from ecomgate.notifications.dispatcher import Dispatcher
from ecomgate.notifications.keys import callback_key
from ecomgate.notifications.listen import listener_for
from ecomgate.services import audit, dashboard_users
from ecomgate.services import merchants as merchant_service
from ecomgate.services.context import Services
from ecomgate.services.ports import CallbackAttempt, OutboxEntry
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
async def _audited(
    services: Services,
    action: str,
    target: str,
    *,
    merchant_id: str | None = None,
    **details: object,
) -> None:
    """The audit trail's entry for a change made here: the operating system's user on this
    host (the dashboard's entries name a signed-in user and an address)."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        who = str(os.getuid())
    actor = audit.Actor(f"cli:{who}", "cli", socket.gethostname())
    await audit.record(services, actor, action, target, merchant_id=merchant_id, details=details)


@main.group()
def merchant() -> None:
    """Create, list and update merchants, and their back-office users."""


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

    async def work(services: Services) -> Any:
        created = await merchant_service.create_merchant(
            services,
            login=login,
            password=password,
            name=name,
            currency=currency,
            permissions=permissions,
        )
        await _audited(
            services,
            "create_merchant",
            login,
            merchant_id=created.id,
            permissions=",".join(permissions),
        )
        return created

    created = _run(_settings(), work)
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

    async def work(services: Services) -> str:
        token = await merchant_service.issue_token(services, login)
        found = await merchant_service.get_merchant(services, login)
        await _audited(services, "issue_api_token", login, merchant_id=found.id)
        return token

    click.echo(_run(_settings(), work))


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
        settings[key] = raw  # typed by the setting it names (merchants._checked_settings)

    async def work(services: Services) -> Any:
        updated = await merchant_service.update_merchant(
            services,
            login,
            password=password,
            name=name,
            currency=currency,
            grant=grant,
            revoke=revoke,
            settings=settings,
        )
        # what changed, never the password or a secret itself
        shown = {k: ("***" if "secret" in k else v) for k, v in settings.items()}
        await _audited(
            services,
            "update_merchant",
            login,
            merchant_id=updated.id,
            grant=",".join(grant),
            revoke=",".join(revoke),
            password_changed=password is not None,
            **shown,
        )
        return updated

    click.echo(json.dumps(_merchant_json(_run(_settings(), work)), indent=2))


@merchant.command("callback-certificate")
@click.argument("login")
def merchant_callback_certificate(login: str) -> None:
    """Print the certificate (PEM) that verifies LOGIN's RSA-signed callbacks
    (callback_signing=rsa); the private key never leaves the gateway."""

    async def work(services: Services) -> str:
        merchant = await merchant_service.get_merchant(services, login)
        return (await callback_key(services, merchant)).certificate_pem

    click.echo(_run(_settings(), work), nl=False)


@merchant.command("callback-secret")
@click.argument("login")
def merchant_callback_secret(login: str) -> None:
    """Generate a new callback_secret for LOGIN (HMAC-SHA256 checksums) and print it: it
    is shown this once; the previous one stops verifying at once."""
    secret = secrets.token_hex(16)

    async def work(services: Services) -> None:
        updated = await merchant_service.update_merchant(
            services, login, settings={"callback_secret": secret, "callback_signing": "hmac"}
        )
        await _audited(services, "regenerate_callback_secret", login, merchant_id=updated.id)

    _run(_settings(), work)
    click.echo(secret)


@merchant.group("user")
def merchant_user() -> None:
    """A merchant's people in the back office (/dashboard)."""


@merchant_user.command("add")
@click.argument("login")
@click.option("--email", required=True, help="What the user signs in with")
@click.option("--password", required=True, help="At least 8 characters")
@click.option(
    "--role",
    type=click.Choice(["viewer", "manager"]),
    default="viewer",
    show_default=True,
    help="viewer sees; manager also captures, reverses, refunds, declines, changes settings",
)
def merchant_user_add(login: str, email: str, password: str, role: str) -> None:
    """Add a back-office user of merchant LOGIN."""

    async def work(services: Services) -> Any:
        user = await dashboard_users.add_merchant_user(
            services, login, email=email, password=password, role=role
        )
        await _audited(
            services, "add_dashboard_user", user.email, merchant_id=user.merchant_id, role=role
        )
        return user

    user = _run(_settings(), work)
    click.echo(f"added {user.role.value} {user.email} of merchant {login}")


@merchant_user.command("disable")
@click.argument("email")
def merchant_user_disable(email: str) -> None:
    """Disable a back-office user (merchant user or operator): their sessions end now."""

    async def work(services: Services) -> Any:
        user = await dashboard_users.set_disabled(services, email, disabled=True)
        await _audited(services, "disable_dashboard_user", user.email, merchant_id=user.merchant_id)
        return user

    click.echo(f"disabled {_run(_settings(), work).email}")


@main.group()
def operator() -> None:
    """The gateway's own staff in the back office (the operator console)."""


@operator.command("add")
@click.option("--email", required=True, help="What the operator signs in with")
@click.option("--password", required=True, help="At least 8 characters")
def operator_add(email: str, password: str) -> None:
    """Add an operator: every merchant's console and the audit trail."""

    async def work(services: Services) -> Any:
        user = await dashboard_users.add_operator(services, email=email, password=password)
        await _audited(services, "add_operator", user.email)
        return user

    click.echo(f"added operator {_run(_settings(), work).email}")


# -- callbacks -----------------------------------------------------------------------
@main.group()
def callbacks() -> None:
    """The callbacks' delivery log; resend one."""


def _event_line(e: OutboxEntry) -> str:
    at = dt.datetime.fromtimestamp(e.created_at / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    subject = e.order_id or f"binding {e.binding_id}"
    error = f"  ({e.last_error})" if e.last_error and e.state != "delivered" else ""
    return (
        f"{e.id}  {at}  {e.operation:<22} {e.status}  {e.state:<9} {e.attempts}  {subject}{error}"
    )


@callbacks.command("list")
@click.option("--merchant", "login", default=None, help="Only this merchant's")
@click.option("--order", "order_id", default=None, help="Only this order's")
@click.option("--failed", is_flag=True, help="Only those whose retries are used up")
@click.option("--limit", type=int, default=50, show_default=True)
def callbacks_list(login: str | None, order_id: str | None, failed: bool, limit: int) -> None:
    """Callbacks, newest first: id, time (UTC), operation, status, state, attempts, order."""

    async def work(services: Services) -> list[OutboxEntry]:
        merchant = await merchant_service.get_merchant(services, login) if login else None
        return await callback_admin.find_events(
            services, merchant=merchant, order_id=order_id, failed_only=failed, limit=limit
        )

    found = _run(_settings(), work)
    if not found:
        click.echo("no callbacks")
    for e in found:
        click.echo(_event_line(e))


@callbacks.command("show")
@click.argument("event_id")
def callbacks_show(event_id: str) -> None:
    """One callback and its delivery log: every attempt's time, HTTP status, latency and
    error."""
    log = _run(_settings(), lambda s: callback_admin.show(s, event_id))
    click.echo(_event_line(log.event))
    params = log.event.params | {"status": str(log.event.status)}
    click.echo(f"  parameters of the event: {json.dumps(params, ensure_ascii=False)}")
    if not log.attempts:
        click.echo("  no attempts yet")
    for a in log.attempts:
        click.echo(f"  {_attempt_line(a)}")


def _attempt_line(a: CallbackAttempt) -> str:
    at = dt.datetime.fromtimestamp(a.started_at / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    answer = f"HTTP {a.http_status}" if a.http_status is not None else "no answer"
    error = f"  {a.error}" if a.error else ""
    return (
        f"#{a.attempt}  {at}  {a.origin:<10} {a.method} {a.url}  {answer}  {a.latency_ms} ms{error}"
    )


@callbacks.command("resend")
@click.argument("event_id")
def callbacks_resend(event_id: str) -> None:
    """Send a callback again now, with the merchant's current settings, and print the
    answer (a success marks it delivered)."""
    settings = _settings()

    async def work(services: Services) -> CallbackAttempt:
        async with Dispatcher(services, settings.delivery_config()) as dispatcher:
            attempt = await callback_admin.resend(services, dispatcher, event_id)
        event = await callback_admin.show(services, event_id)
        await _audited(
            services,
            "resend_callback",
            event_id,
            merchant_id=event.event.merchant_id,
            result=attempt.error or str(attempt.http_status),
        )
        return attempt

    attempt = _run(settings, work)
    click.echo(_attempt_line(attempt))
    if attempt.error:
        sys.exit(1)


@main.command()
@click.option("--merchant", "login", required=True, help="The merchant whose callbacks to forward")
@click.option(
    "--forward-to",
    required=True,
    help="Your local handler, e.g. http://127.0.0.1:8000/payment/callback",
)
@click.option(
    "--interval", type=float, default=0.5, show_default=True, help="Seconds between looks"
)
def listen(login: str, forward_to: str, interval: float) -> None:
    """Forward LOGIN's callbacks, signed as the gateway signs them, to a handler on this
    machine, printing one line per delivery (Ctrl-C stops).  Reads the gateway's database
    (ECOMGATE_DATABASE_URL); the merchant's own callback URL keeps getting them too."""
    if callback_catalogue.check_settings({"callback_url": forward_to}):
        raise click.BadParameter("expected an http(s) URL", param_hint="--forward-to")

    async def work(services: Services) -> None:
        listener = await listener_for(services, login, forward_to, click.echo)
        click.echo(f"forwarding callbacks of {login} to {forward_to} (Ctrl-C to stop)")
        await listener.run(interval)

    with contextlib.suppress(KeyboardInterrupt):
        _run(_settings(), work)


# -- worker --------------------------------------------------------------------------
@main.command()
def worker() -> None:
    """The gateway's background work without HTTP: callback delivery, expiry,
    auto-completion/-reversal and the reconciler.  Run any number beside (or instead of
    the background work of) ``ecomgate serve`` on the same database; set
    ECOMGATE_BACKGROUND=false on the serve hosts to leave it to the workers."""
    settings = _settings()
    _upgrade(settings, quiet=True)

    async def main_loop() -> None:
        async with open_services(settings) as services:
            click.echo(f"EcomGate worker (database: {services.store.engine}); Ctrl-C stops")
            await run_background(services, settings)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main_loop())


# -- demo ----------------------------------------------------------------------------
DEMO_LOGIN = "demo-shop-api"
DEMO_PASSWORD = "demo-password"
#: the demo shop verifies its callbacks with it (a demo: a real shop keeps its secret secret)
DEMO_CALLBACK_SECRET = "demo-callback-secret"


async def _ensure_demo_merchant(services: Services, shop_url: str) -> None:
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
    # the shop's port may differ from the last run's: its callback URL follows it
    await merchant_service.update_merchant(
        services,
        DEMO_LOGIN,
        settings={
            "callback_url": f"{shop_url}/callback",
            "callback_secret": DEMO_CALLBACK_SECRET,
            "callback_params": "amount,currency,depositedAmount,maskedPan,paymentState",
        },
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
    gateway_url = settings.resolved_public_url
    shop_url = f"http://{settings.host}:{shop_port}"
    _run(settings, lambda s: _ensure_demo_merchant(s, shop_url))
    if port_file:
        _write_port_file(port_file, {"port": settings.port, "shop_port": shop_port})
    shop = create_shop(
        ShopConfig(
            gateway_url=gateway_url,
            shop_url=shop_url,
            login=DEMO_LOGIN,
            password=DEMO_PASSWORD,
            callback_secret=DEMO_CALLBACK_SECRET,
        )
    )
    click.echo(
        f"""
EcomGate demo
  gateway    {gateway_url}   (API: {gateway_url}/payment/rest/<method>.do)
  demo shop  {shop_url}   <- open this in a browser and press Buy
  merchant   userName={DEMO_LOGIN}  password={DEMO_PASSWORD}
  test card  4111 1111 1111 1111, any future expiry, CVC 123 (3-D Secure 2 frictionless);
             5555 5555 5555 5599: one-time code 123456; 4012 0010 3816 6662: password 12345678

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


@main.group()
def vault() -> None:
    """The card vault of stored cards (bindings): keys and their rotation."""


def _run_with_vault(settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    try:
        card_vault = settings.vault()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if card_vault is None:
        raise click.ClickException("ECOMGATE_VAULT_KEYS is not set")

    async def with_vault(services: Services) -> T:
        services.vault = card_vault
        return await work(services)

    return _run(settings, with_vault)


@vault.command("new-key")
@click.argument("key_id")
def vault_new_key(key_id: str) -> None:
    """Print a fresh ``KEY_ID:base64key`` entry; put it first in ECOMGATE_VAULT_KEYS (keep
    the old ones after it until ``ecomgate vault rotate`` has run)."""
    from ecomgate.services.vault import new_key_text

    click.echo(new_key_text(key_id))


@vault.command("status")
def vault_status() -> None:
    """Bindings per vault key id, and the current key."""
    settings = _settings()

    async def work(services: Services) -> dict[str, int]:
        async with services.uow.transaction() as repos:
            return await repos.bindings.count_by_key()

    counts = _run_with_vault(settings, work)
    card_vault = settings.vault()
    assert card_vault is not None
    click.echo(f"current key: {card_vault.current_key_id}")
    for key_id, n in sorted(counts.items()):
        known = "" if key_id in card_vault.key_ids else "  (NOT CONFIGURED: cannot be opened)"
        click.echo(f"{key_id}: {n} binding(s){known}")


@vault.command("rotate")
@click.option("--batch-size", default=100, show_default=True, help="Bindings per transaction.")
def vault_rotate(batch_size: int) -> None:
    """Re-encrypt every binding under the current key (the first of ECOMGATE_VAULT_KEYS),
    in batches, while the gateway keeps serving.  Afterwards the old keys can be removed."""
    from ecomgate.services import bindings as binding_service

    if batch_size < 1:
        raise click.BadParameter("must be at least 1", param_hint="--batch-size")

    def progress(done: Any) -> None:  # one line per batch, as conformance does per rule
        click.echo(f"[batch {done.batches:>4}] {done.resealed} binding(s) re-encrypted", err=True)

    report = _run_with_vault(
        _settings(), lambda services: binding_service.rotate(services, batch_size, progress)
    )
    click.echo(f"re-encrypted {report.resealed} binding(s) in {report.batches} batch(es)")
    for key_id, n in sorted(report.by_key.items()):
        click.echo(f"{key_id}: {n} binding(s)")
    left = {k: n for k, n in report.by_key.items() if k != report.current_key_id and n}
    if left:  # rows that stayed locked by requests: the old keys are still needed
        click.echo(
            f"not done: {sum(left.values())} binding(s) under old keys; run it again", err=True
        )
        sys.exit(1)


# -- conformance (speaks only HTTP: ecomgate.conformance) -----------------------------
from ecomgate.conformance.cli import conformance  # noqa: E402

main.add_command(conformance)


if __name__ == "__main__":  # pragma: no cover
    main()
