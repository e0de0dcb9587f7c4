"""Where a callback may go.

In production (not sandbox) a callback goes only to ``https`` with a verified
certificate, and never to a loopback, private, link-local or otherwise non-public address
unless the operator allows it (``ECOMGATE_CALLBACK_ALLOW_PRIVATE``): a merchant's URL must
not turn the gateway into a door to its own network.  The host is resolved here, checked,
and the connection is made to that very address (the name still goes in ``Host`` and SNI,
so the certificate is checked against it): a DNS answer that changes between the check
and the connection cannot slip a private address in.  Names are resolved in a small pool
of their own, so that a shop whose DNS hangs cannot take the threads the rest of the
gateway uses (SQLite commits run in the default pool).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit


class DestinationRefused(Exception):
    """The URL may not be called; the message says why (it goes to the delivery log)."""


@dataclass(frozen=True)
class DestinationPolicy:
    https_only: bool = True
    allow_private: bool = False


@dataclass(frozen=True)
class Target:
    """What to connect to: ``url`` (perhaps with the host replaced by its address)."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)


_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="callback-dns")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_v4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 one carries (mapped, 6to4, Teredo, NAT64, compatible)."""
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo is not None:
        found += list(ip.teredo)
    if ip in _NAT64 or (int(ip) >> 32 == 0 and int(ip) > 1):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        candidates += _embedded_v4(ip)
    return all(a.is_global and not a.is_multicast for a in candidates)


async def resolve(url: str, policy: DestinationPolicy) -> Target:
    parts = urlsplit(url)
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # a port out of range or not a number
        raise DestinationRefused(f"bad URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise DestinationRefused(f"not an http(s) URL: {parts.scheme or '?'}://")
    if policy.https_only and parts.scheme != "https":
        raise DestinationRefused("only https callback URLs are allowed outside the sandbox")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().run_in_executor(
            _RESOLVER, lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        )
    except OSError as exc:
        raise DestinationRefused(f"cannot resolve {host}: {exc.strerror or exc}") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise DestinationRefused(f"{host} has no address")
    private = [a for a in addresses if not _public(a)]
    if private and not policy.allow_private:
        raise DestinationRefused(
            f"{host} resolves to a non-public address ({', '.join(private)}); "
            "set ECOMGATE_CALLBACK_ALLOW_PRIVATE=true to allow it"
        )
    # connect to the address checked (and resolved here, not by the HTTP client)
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    pinned = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    host_header = parts.netloc.rpartition("@")[2]
    return Target(pinned, {"Host": host_header}, {"sni_hostname": host})
