"""``ecomgate conformance``: the API contract checked against any gateway of the family.

Progress (one line per rule as it finishes, then the summary) goes to stderr; the report
to stdout, so ``> report.txt`` keeps only the report.  Exit status 0 when no rule failed,
1 when any did."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from .probe import CallbackSetup, Card, Probe
from .report import junit_xml, progress_line, summary_line, text_report
from .runner import RuleResult, RunReport, run, select


def _expiry(value: str) -> tuple[str, str]:
    month, sep, year = value.partition("/")
    if not sep or not (month.isdigit() and year.isdigit() and len(year) == 4):
        raise click.BadParameter("MM/YYYY, e.g. 12/2030", param_hint="--expiry")
    return month.zfill(2), year


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise click.BadParameter("HOST:PORT, e.g. 0.0.0.0:8089", param_hint="--callback-listen")
    return host.strip("[]") or "0.0.0.0", int(port)


@click.command("conformance")
@click.option("--base-url", required=True, help="The gateway, e.g. https://3dsec.sberbank.ru")
@click.option("--user", envvar="ECOMGATE_CONFORMANCE_USER", help="API user (userName).")
@click.option("--password", envvar="ECOMGATE_CONFORMANCE_PASSWORD", help="Its password.")
@click.option("--token", envvar="ECOMGATE_CONFORMANCE_TOKEN", help="Or a token instead.")
@click.option(
    "--card", "pan", default=Card.pan, show_default=True, help="PAN that pays without 3-D Secure."
)
@click.option("--cvc", default=Card.cvc, show_default=True)
@click.option("--expiry", default=f"{Card.month}/{Card.year}", show_default=True, help="MM/YYYY")
@click.option(
    "--callback-url",
    help="URL the gateway reaches the listener at [default: http://HOST:PORT/callback].",
)
@click.option("--callback-listen", help="HOST:PORT the runner listens on for callbacks.")
@click.option(
    "--callback-secret",
    envvar="ECOMGATE_CONFORMANCE_CALLBACK_SECRET",
    help="The merchant's HMAC callback secret.",
)
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write JUnit XML here.",
)
@click.option(
    "--only",
    "patterns",
    multiple=True,
    metavar="PATTERN",
    help="Rule ids to run (fnmatch; repeatable), e.g. 'transport.*'.",
)
@click.option(
    "--timeout",
    default=15.0,
    show_default=True,
    help="Seconds per HTTP request, and for a callback to arrive.",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Requests and answers of every rule, not only failed ones.",
)
@click.option("--list", "list_rules", is_flag=True, help="List the rules and exit.")
def conformance(
    base_url: str,
    user: str | None,
    password: str | None,
    token: str | None,
    pan: str,
    cvc: str,
    expiry: str,
    callback_url: str | None,
    callback_listen: str | None,
    callback_secret: str | None,
    junit_path: Path | None,
    patterns: tuple[str, ...],
    timeout: float,
    verbose: bool,
    list_rules: bool,
) -> None:
    """Check a gateway of the eCommerce API v1 family against the API contract: transport
    forms, error codes, status fields, lifecycle rules, the callback checksum.  Prints a
    pass/fail report per rule with the requests and answers of failed ones."""
    rules = select(patterns)
    if list_rules:
        for r in rules:
            click.echo(f"{r.id:<40} {r.section:<18} {r.title}")
        return
    if not rules:
        raise click.UsageError(f"no rule matches {', '.join(patterns)}")
    if not base_url.startswith(("http://", "https://")):
        raise click.UsageError(f"--base-url {base_url!r}: an http:// or https:// URL")
    if token and (user or password):
        raise click.UsageError("--token or --user/--password, not both")
    if not token and not (user and password):
        raise click.UsageError("credentials: --user and --password, or --token")
    month, year = _expiry(expiry)
    callback = None
    if callback_listen or callback_secret:
        if not (callback_listen and callback_secret):
            raise click.UsageError(
                "the callback rule needs --callback-listen and --callback-secret"
            )
        host, port = _listen(callback_listen)
        callback = CallbackSetup(host, port, callback_secret, callback_url or "")
    elif callback_url:
        raise click.UsageError("--callback-url needs --callback-listen and --callback-secret")
    probe = Probe(
        base_url,
        user=user,
        password=password,
        token=token,
        card=Card(pan=pan, cvc=cvc, month=month, year=year),
        timeout=timeout,
        callback=callback,
    )

    def progress(index: int, total: int, result: RuleResult) -> None:
        click.echo(progress_line(index, total, result), err=True)

    async def go() -> RunReport:
        try:
            return await run(probe, rules, progress)
        finally:
            await probe.aclose()

    try:
        report = asyncio.run(go())
    except OSError as exc:  # the callback listener could not bind
        raise click.ClickException(str(exc)) from exc
    click.echo(summary_line(report), err=True)
    click.echo(text_report(report, verbose=verbose), nl=False)
    if junit_path is not None:
        junit_path.write_bytes(junit_xml(report))
        click.echo(f"JUnit XML: {junit_path}", err=True)
    sys.exit(0 if report.ok else 1)
