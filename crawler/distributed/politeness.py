"""SiteRateDownloadHandler: one request rate per site for the whole cluster.

On in distributed mode (``REDIS_URL``): wraps the configured http/https download handlers, so
the wait happens after Scrapy's own per-worker slot (concurrency, ``DOWNLOAD_DELAY``), right
before bytes are sent. Each request to a host first takes that host's next send time from
Redis with an atomic Lua script on Redis's clock: if the host's next allowed time has come, it
is moved ``1 / NEWSCRAWLER_SITE_RATE_PER_S`` seconds ahead and the request goes; otherwise the
request sleeps until then and asks again. However many workers there are, a host receives at
most ``NEWSCRAWLER_SITE_RATE_PER_S`` requests a second (robots.txt included).

Stats: ``distributed/rate_wait_ms`` (total milliseconds requests waited for their turn).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

import redis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object

from crawler.addons import INNER_HANDLERS_SETTING
from crawler.config import CrawlerConfig

# Returns 0 and books the slot when the host may be sent a request now, else the microseconds
# to wait. Redis's clock is the one clock of the cluster. KEYS: host key. ARGV: interval (us).
_TAKE_TURN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
if now >= next_at then
  local interval = tonumber(ARGV[1])
  redis.call('SET', KEYS[1], string.format('%.0f', now + interval),
             'PX', math.floor(interval / 1000) + 60000)
  return 0
end
return next_at - now
"""


class SiteRateLimiter:
    """The cluster-wide turn of each host, in Redis."""

    def __init__(self, server: redis.Redis, rate_per_s: float) -> None:
        self.interval_us = round(1_000_000 / rate_per_s)
        self._take_turn = server.register_script(_TAKE_TURN)

    def wait_s(self, host: str) -> float:
        """0 if a request may go to ``host`` now (the turn is taken), else seconds to wait."""
        wait_us = int(
            cast(int, self._take_turn(keys=[f"newscrawler:rate:{host}"], args=[self.interval_us]))
        )
        return wait_us / 1_000_000


class SiteRateDownloadHandler:
    lazy = False

    def __init__(self, crawler: Crawler, config: CrawlerConfig) -> None:
        assert config.redis_url is not None
        self.crawler = crawler
        self.server = redis.Redis.from_url(
            config.redis_url, socket_timeout=30, socket_connect_timeout=30
        )
        self.limiter = SiteRateLimiter(self.server, config.site_rate_per_s)
        self.inner_paths: dict[str, str] = crawler.settings.getdict(INNER_HANDLERS_SETTING)
        self.inner: dict[str, Any] = {}
        self.turns: dict[str, asyncio.Lock] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteRateDownloadHandler:
        return cls(crawler, CrawlerConfig.from_settings(crawler.settings))

    def _handler(self, scheme: str) -> Any:
        if scheme not in self.inner:
            self.inner[scheme] = build_from_crawler(
                load_object(self.inner_paths[scheme]), self.crawler
            )
        return self.inner[scheme]

    async def download_request(self, request: Request) -> Response:
        parsed = urlparse_cached(request)
        handler = self._handler(parsed.scheme)
        host = (parsed.hostname or "").lower()
        started = time.monotonic()
        # One request of this worker at a time asks Redis for a host's turn: the others wait
        # here instead of all polling Redis at every turn.
        async with self.turns.setdefault(host, asyncio.Lock()):
            while (wait := self.limiter.wait_s(host)) > 0:
                await sleep(wait)
        waited = time.monotonic() - started
        if waited > 0 and self.crawler.stats is not None:
            self.crawler.stats.inc_value("distributed/rate_wait_ms", round(waited * 1000))
        response: Response = await handler.download_request(request)
        return response

    async def close(self) -> None:
        for handler in self.inner.values():
            await handler.close()
        self.server.close()
