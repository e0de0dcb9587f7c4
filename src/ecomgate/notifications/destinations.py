"""Where a callback may go.

In production (not sandbox) a callback goes only to ``https`` with a verified
certificate, and never to a loopback, private, link-local or otherwise non-public address
unless the operator allows it (``ECOMGATE_CALLBACK_ALLOW_PRIVATE``): a merchant's URL must
not turn the gateway into a door to its own network.  The host is resolved here, checked,
and the connection is made to that very address (the name still goes in ``Host`` and SNI,
so the certificate is checked against it): a DNS answer that changes between the check
and the connection cannot slip a private address in.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
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


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve(url: str, policy: DestinationPolicy) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused(f"not an http(s) URL: {parts.scheme or '?'}://")
    if policy.https_only and parts.scheme != "https":
        raise DestinationRefused("only https callback URLs are allowed outside the sandbox")
    if policy.allow_private:
        return Target(url)
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DestinationRefused(f"cannot resolve {host}: {exc.strerror or exc}") from exc
    addresses = [str(info[4][0]) for info in infos]
    private = [a for a in addresses if not _public(a)]
    if not addresses or private:
        raise DestinationRefused(
            f"{host} resolves to a non-public address ({', '.join(private) or 'none'}); "
            "set ECOMGATE_CALLBACK_ALLOW_PRIVATE=true to allow it"
        )
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    pinned = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    host_header = parts.netloc.rpartition("@")[2]
    return Target(pinned, {"Host": host_header}, {"sni_hostname": host})
