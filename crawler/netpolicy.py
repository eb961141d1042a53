"""URL-safety policy, pure: which URLs and addresses the crawler may connect to.

A link in a feed is untrusted: it must not make the crawler read local files, reach other
protocols, or talk to services on this machine or the local network. ``check_url`` refuses
every scheme but http(s) and every IP literal that is not a public unicast address, however it
is written (``127.1``, ``0x7f.1``, ``2130706433``, ``0177.0.0.1``, ``[::ffff:127.0.0.1]``,
6to4/NAT64/Teredo wrappers); ``check_address`` does the same for the address a host name
resolved to, at connection time. ``AllowList`` (the ``ALLOW_PRIVATE_HOSTS`` setting) lets a user
name the intranet hosts, ``host:port`` pairs and CIDR ranges that are reachable anyway.

Functions return ``None`` (allowed) or a reason, a stats-key suffix: ``scheme``, ``no_host``,
``loopback``, ``private``, ``link_local``, ``metadata``, ``multicast``, ``unspecified``,
``reserved``, ``non_public``, ``bad_address``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})

# Cloud instance-metadata services: the classic SSRF target. 169.254.169.254 is link-local
# anyway; named separately so the stats say what was attempted.
_METADATA = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("169.254.170.2"),
        ipaddress.ip_address("100.100.100.200"),
        ipaddress.ip_address("fd00:ec2::254"),
    }
)
_METADATA_NAMES = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# One part of a legacy IPv4 spelling (inet_aton): decimal, octal with a leading 0, or hex.
_PART = re.compile(r"^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


def parse_ip(host: str) -> IPAddress | None:
    """The address an IP literal names, in any spelling a resolver accepts; ``None`` for a
    host name. Handles brackets, zone ids, trailing dots and inet_aton forms (``127.1``,
    ``0x7f.0.0.1``, ``017700000001``, ``2130706433``)."""
    host = host.strip().strip("[]").rstrip(".")
    if not host:
        return None
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
    parts = host.split(".")
    if len(parts) > 4 or not all(_PART.match(p) for p in parts):
        return None
    values = [_part_value(p) for p in parts]
    # inet_aton: a.b.c.d, a.b.c (c is 16 bits), a.b (b is 24 bits), a (32 bits).
    last_bits = 8 * (5 - len(values))
    if any(v > 255 for v in values[:-1]) or values[-1] >= 1 << last_bits:
        return None
    number = values[-1]
    for index, value in enumerate(values[:-1]):
        number |= value << (24 - 8 * index)
    return ipaddress.IPv4Address(number)


def _part_value(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_reason(ip: IPAddress) -> str | None:
    """Why a connection to ``ip`` is refused, or ``None`` for a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return address_reason(embedded)
    if ip in _METADATA:
        return "metadata"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link_local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "non_public"  # e.g. 100.64.0.0/10 carrier-grade NAT
    return None


def host_name_reason(host: str) -> str | None:
    """Names that always mean this machine or a metadata service, before any lookup."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return "loopback"
    if name in _METADATA_NAMES:
        return "metadata"
    return None


@dataclass(frozen=True)
class AllowList:
    """Hosts reachable even though they are private: ``ALLOW_PRIVATE_HOSTS``.

    Entries are host names or IP addresses (any port), ``host:port`` pairs (``[v6]:port`` for
    IPv6) and CIDR ranges (any port). Host names match the URL's host, lower-cased.
    """

    hosts: frozenset[str] = frozenset()
    host_ports: frozenset[tuple[str, int]] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Raises ``ValueError`` naming the first invalid entry."""
        hosts: set[str] = set()
        host_ports: set[tuple[str, int]] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().lower()
            if not entry:
                continue
            if "/" in entry:
                try:
                    networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                except ValueError:
                    raise ValueError(f"not a CIDR range: {raw!r}") from None
                continue
            host, port = _split_host_port(entry)
            if not host or any(c in host for c in " /?#@"):
                raise ValueError(f"not a host, host:port or CIDR range: {raw!r}")
            ip = parse_ip(host)
            name = str(ip) if ip is not None else host.rstrip(".")
            if port is None:
                hosts.add(name)
            else:
                host_ports.add((name, port))
        return cls(frozenset(hosts), frozenset(host_ports), tuple(networks))

    def __bool__(self) -> bool:
        return bool(self.hosts or self.host_ports or self.networks)

    def allows(self, host: str, port: int | None, ip: IPAddress | None = None) -> bool:
        """Whether ``host`` (as written in the URL) or the address it resolved to is listed."""
        ip = ip if ip is not None else parse_ip(host)
        names = {host.lower().strip("[]").rstrip(".")}
        if ip is not None:
            names.add(str(ip))
        if names & self.hosts:
            return True
        if port is not None and any((name, port) in self.host_ports for name in names):
            return True
        return ip is not None and any(ip in network for network in self.networks)

    def allows_name(self, host: str) -> bool:
        """Whether a host name is listed with any port: its addresses may then be private."""
        name = host.lower().rstrip(".")
        return name in self.hosts or any(h == name for h, _ in self.host_ports)


def _split_host_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):
        if "]" not in entry:
            raise ValueError(f"unclosed bracket in {entry!r}")
        host, _, rest = entry[1:].partition("]")
        port_text = rest.removeprefix(":") if rest.startswith(":") else ""
        if rest and not rest.startswith(":"):
            raise ValueError(f"not a host, host:port or CIDR range: {entry!r}")
    elif entry.count(":") == 1:
        host, port_text = entry.split(":")
    else:
        return entry, None  # a bare host, or an IPv6 address without brackets
    if not port_text:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"bad port in {entry!r}")
    return host, int(port_text)


NO_PRIVATE_HOSTS = AllowList()


def check_url(url: str, allow: AllowList = NO_PRIVATE_HOSTS) -> str | None:
    """Why the crawler must not request ``url``, or ``None``. Host names that are not IP
    literals pass here; their addresses are checked by ``check_address`` once resolved."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return "bad_address"
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return "scheme"
    host = unquote(parts.hostname or "")
    if not host:
        return "no_host"
    if port is None:
        port = 443 if parts.scheme.lower() == "https" else 80
    if allow and allow.allows(host, port):
        return None
    ip = parse_ip(host)
    if ip is not None:
        return address_reason(ip)
    if _NUMERIC_LABEL.match(host.rstrip(".").rsplit(".", 1)[-1]):
        # A numeric last label is never a DNS name, and no address inet_aton accepts
        # (e.g. 256.1.1.1): resolvers disagree on such spellings, so refuse them.
        return "bad_address"
    return host_name_reason(host)


def check_address(host: str, address: str, allow: AllowList = NO_PRIVATE_HOSTS) -> str | None:
    """Why the crawler must not connect to ``address``, which ``host`` resolved to."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "bad_address"
    if allow and (allow.allows_name(host) or allow.allows(str(ip), None, ip)):
        return None
    return address_reason(ip)
