"""UrlPolicyMiddleware: applies ``crawler.netpolicy`` to every request before it is sent.

Feeds, articles, robots.txt, redirects and meta refreshes all pass through the downloader
middlewares, so each of them is checked here (the redirected request is a new request). A
refused request raises ``BlockedRequest`` (an ``IgnoreRequest``): no byte is sent, its errback
sees the reason ``urlpolicy_<reason>`` and the stats count ``urlpolicy/<reason>``. Host names
are checked again once resolved, by ``crawler.resolver.PolicyResolver``.

Setting: ``ALLOW_PRIVATE_HOSTS`` (hosts, ``host:port`` pairs, CIDR ranges), empty by default.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest

from crawler.config import CrawlerConfig
from crawler.netpolicy import AllowList, check_url
from crawler.resolver import refused_host_reason

logger = logging.getLogger(__name__)


class BlockedRequest(IgnoreRequest):
    """The URL-safety policy refused a request; ``reason`` is the stats-key suffix."""

    def __init__(self, reason: str, url: str) -> None:
        super().__init__(f"refused by URL policy ({reason}): {url}")
        self.reason = f"urlpolicy_{reason}"


class UrlPolicyMiddleware:
    def __init__(self, crawler: Crawler, allow: AllowList) -> None:
        self.stats = crawler.stats
        self.allow = allow

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UrlPolicyMiddleware:
        return cls(crawler, CrawlerConfig.from_settings(crawler.settings).allow_private_hosts)

    def process_request(self, request: Request) -> None:
        reason = check_url(request.url, self.allow)
        if reason is None:
            return
        if self.stats is not None:
            self.stats.inc_value(f"urlpolicy/{reason}")
        logger.warning("Refused %s: %s (see ALLOW_PRIVATE_HOSTS)", request.url, reason)
        raise BlockedRequest(reason, request.url)

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A name ``PolicyResolver`` refused arrives as a failed lookup: say why."""
        if not isinstance(exception, CannotResolveHostError):
            return
        reason = refused_host_reason(urlsplit(request.url).hostname or "")
        if reason is None:
            return
        if self.stats is not None:
            self.stats.inc_value(f"urlpolicy/dns_{reason}")
        raise BlockedRequest(f"dns_{reason}", request.url) from exception
