"""PolicyResolver: Scrapy's caching DNS resolver plus the URL-safety policy on its answers.

``UrlPolicyMiddleware`` sees only the URL; a public-looking host name can resolve to
127.0.0.1 or 169.254.169.254. Every name the crawler connects to is resolved here, so the
resolved address is checked before the connection is made: a refused address fails the lookup
with ``BlockedAddress`` (no byte sent). Twisted reports that as a failed lookup;
``UrlPolicyMiddleware`` recognises the name (``refused_host_reason``), counts
``urlpolicy/dns_<reason>`` and fails the request with the reason ``urlpolicy_dns_<reason>``;
``PoliteRetryMiddleware`` does not retry it.

Enabled by ``TWISTED_DNS_RESOLVER = "crawler.resolver.PolicyResolver"``; honours
``ALLOW_PRIVATE_HOSTS``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.base import ReactorBase
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from crawler.config import ConfigError, allow_private_hosts
from crawler.netpolicy import NO_PRIVATE_HOSTS, AllowList, check_address

logger = logging.getLogger(__name__)


# Names refused in this process (one crawl), so that the failure, which Twisted reports as a
# plain DNSLookupError, can be told apart from a name that does not exist.
_REFUSED: dict[str, str] = {}


def refused_host_reason(host: str) -> str | None:
    """Why the resolver refused ``host`` in this process, if it did."""
    return _REFUSED.get(host.lower())


class BlockedAddress(DNSLookupError):
    """A host name resolved to an address the URL-safety policy refuses. A DNSLookupError,
    so Twisted ends the connection attempt quietly, as for a name that does not exist."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"{host} resolves to {address}, refused by URL policy ({reason})")
        self.reason = f"urlpolicy_dns_{reason}"


class PolicyResolver(CachingThreadedResolver):
    allow: AllowList = NO_PRIVATE_HOSTS

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: ReactorBase) -> PolicyResolver:
        # Scrapy builds the resolver from the crawler *process*: settings, but no stats.
        resolver = super().from_crawler(crawler, reactor)
        try:
            resolver.allow = allow_private_hosts(crawler.settings)
        except ConfigError:
            # Built before the crawl starts: an invalid setting is reported (exit status 2)
            # when the crawler validates its configuration. Nothing is allowed meanwhile.
            resolver.allow = NO_PRIVATE_HOSTS
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        resolved: Deferred[str] = super().getHostByName(name, timeout)
        return resolved.addCallback(self.check, name)

    def check(self, address: str, name: str) -> str:
        reason = check_address(name, address, self.allow)
        if reason is None:
            return address
        logger.warning("Refused %s: resolves to %s (%s)", name, address, reason)
        _REFUSED[name.lower()] = reason
        raise BlockedAddress(name, address, reason)
