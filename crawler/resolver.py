"""PolicyResolver: Scrapy's caching DNS resolver plus the URL-safety policy on its answers.

``UrlPolicyMiddleware`` sees only the URL; a public-looking host name can resolve to
127.0.0.1 or 169.254.169.254. Every name the crawler connects to is resolved here, so the
resolved address is checked before the connection is made: a refused address fails the lookup
with ``BlockedAddress`` (never retried, no byte sent) and counts ``urlpolicy/dns_<reason>``.

Enabled by ``TWISTED_DNS_RESOLVER = "crawler.resolver.PolicyResolver"``; honours
``ALLOW_PRIVATE_HOSTS``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.base import ReactorBase
from twisted.internet.defer import Deferred

from crawler.config import CrawlerConfig
from crawler.netpolicy import NO_PRIVATE_HOSTS, AllowList, check_address

logger = logging.getLogger(__name__)


class BlockedAddress(IgnoreRequest):
    """A host name resolved to an address the URL-safety policy refuses."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"{host} resolves to {address}, refused by URL policy ({reason})")
        self.reason = f"urlpolicy_dns_{reason}"


class PolicyResolver(CachingThreadedResolver):
    allow: AllowList = NO_PRIVATE_HOSTS
    crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> PolicyResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow = CrawlerConfig.from_settings(crawler.settings).allow_private_hosts
        resolver.crawler = crawler
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        resolved: Deferred[str] = super().getHostByName(name, timeout)
        return resolved.addCallback(self.check, name)

    def check(self, address: str, name: str) -> str:
        reason = check_address(name, address, self.allow)
        if reason is None:
            return address
        stats: Any = self.crawler.stats if self.crawler is not None else None
        if stats is not None:
            stats.inc_value(f"urlpolicy/dns_{reason}")
        logger.warning("Refused %s: resolves to %s (%s)", name, address, reason)
        raise BlockedAddress(name, address, reason)
