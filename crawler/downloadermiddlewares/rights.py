"""SiteRightsMiddleware: the site-level rights signals of each article, before its download.

For every article request (the spider marks them with ``crawler.rights.SITE_RIGHTS_META``):

- the site's ``/.well-known/tdmrep.json`` is fetched once per site (host and port) and run,
  as any other request: through the URL policy (a redirect to a private address is refused),
  robots.txt and the retry middleware, capped at ``TDMREP_MAXSIZE_BYTES``. Every article
  request of the site waits for that answer; the first rule matching the article's path gives
  its ``tdmrep.json`` declaration. A file that is absent (4xx), malformed, too large, refused
  or unreachable declares nothing (``tdm_reserved`` stays null unless the page says more);
- the site's robots.txt, already parsed by the robots middleware (``robots_parsed`` signal),
  says which of ``AI_USER_AGENTS`` may fetch the URL (null when robots.txt is not obeyed or
  could not be reached).

Both go to the request's meta and from there, with the page, to the extraction worker, which
builds the record's ``rights``. With ``NEWSCRAWLER_SKIP_TDM_RESERVED`` an article whose URL the
site's ``tdmrep.json`` reserves is not downloaded: its request fails as ``tdm_reserved``
(``articles/failed/tdm_reserved``); reservations made by the page itself are dropped after
extraction (``articles/dropped/tdm_reserved``).

An article request still waiting for the ``tdmrep.json`` answer when the crawl is told to stop
(signal ``downloads_cancelled``, ``crawler.extensions.stopping``) is cancelled like a queued
download (``RequestCancelled``, counted in ``run/requests_left``), not sent after the stop.

A redirect is a new request and passes here again: the signals are those of the final URL.
In distributed mode the site's ``tdmrep.json`` is fetched by one worker of the cluster per run
and shared through Redis (``crawler.distributed.tdmrep``; ``rights/tdmrep/from_cluster``).

Stats: ``rights/tdmrep/request_count``, ``rights/tdmrep/found``, ``rights/tdmrep/absent``,
``rights/tdmrep/malformed``, ``rights/tdmrep/too_many_rules``, ``rights/tdmrep/too_large``,
``rights/tdmrep/refused/<reason>`` (URL policy, robots.txt), ``rights/tdmrep/failed/<reason>``
(5xx, timeouts, connection errors); ``rights/tdm_policy_dropped``: the file's rules whose
``tdm-policy`` is no http(s) URL, even resolved against the file's URL (the reservation stays).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached

from crawler import signals as news_signals
from crawler.config import CrawlerConfig
from crawler.extensions.stopping import cancelled_late
from crawler.failures import known_failure_reason
from crawler.rights import (
    SITE_RIGHTS_META,
    TDMREP_MAXSIZE_BYTES,
    TDMREP_PATH,
    SiteRights,
    TdmRepError,
    TdmRepFile,
    ai_crawler_rules,
    parse_tdmrep,
)

if TYPE_CHECKING:
    from crawler.distributed.tdmrep import SharedTdmRep

logger = logging.getLogger(__name__)

# How often a worker looks for the tdmrep.json outcome another worker is fetching.
CLUSTER_POLL_S = 0.1


def robots_group(parser: RobotParser) -> Callable[[str], Hashable] | None:
    """Which group of the robots.txt answers an agent, for Scrapy's default parser (Protego):
    its rule-set lookup, cached per agent. A private method, so used only when present; without
    it each agent is asked on its own (same answers, more work)."""
    matcher = getattr(getattr(parser, "rp", None), "_get_matching_rule_set", None)
    if not callable(matcher):
        return None
    return lambda agent: id(matcher(agent))


class TdmReserved(IgnoreRequest):
    """The site's ``tdmrep.json`` reserves TDM rights on this URL and the crawl honours it."""

    reason = "tdm_reserved"


class SiteRightsMiddleware:
    # As robots.txt: before the article requests waiting for it.
    DOWNLOAD_PRIORITY = 1000

    def __init__(self, crawler: Crawler, config: CrawlerConfig) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.skip_reserved = config.skip_tdm_reserved
        self.tdmrep: dict[str, asyncio.Future[TdmRepFile | None]] = {}
        self.robots: dict[str, RobotParser] = {}
        self.stopping = asyncio.Event()
        self.shared: SharedTdmRep | None = None
        if config.redis_url is not None:
            # Imported here: they need the distributed extra (redis), which a plain install
            # does not have, and they cost every crawl's start.
            from crawler.distributed.runtime import worker_runtime
            from crawler.distributed.tdmrep import SharedTdmRep

            runtime = worker_runtime(crawler)
            self.shared = SharedTdmRep(runtime.server, runtime.cluster, crawler.spidercls.name)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteRightsMiddleware:
        middleware = cls(crawler, CrawlerConfig.from_settings(crawler.settings))
        crawler.signals.connect(middleware.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(middleware.stopping.set, signal=news_signals.downloads_cancelled)
        return middleware

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        """The robots middleware parsed a site's robots.txt (sent before any request of the
        site passes it)."""
        self.robots[urlparse_cached(request).netloc] = robotparser

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)

    async def process_request(self, request: Request) -> None:
        if SITE_RIGHTS_META not in request.meta:
            return
        parts = urlparse_cached(request)
        rules = await self.site_tdmrep(parts.scheme, parts.netloc)
        if self.stopping.is_set():
            # The stop cancelled the queued downloads while this one waited here: sent now, it
            # would start after the stop, behind the download delay.
            raise cancelled_late(self.stats, f"{request.url} not sent: the crawl is stopping")
        declaration = rules.declaration_for(request.url) if rules is not None else None
        parser = self.robots.get(parts.netloc)
        crawlers = None
        if parser is not None:
            crawlers = ai_crawler_rules(parser.allowed, request.url, robots_group(parser))
        request.meta[SITE_RIGHTS_META] = SiteRights(declaration, crawlers).to_meta()
        if self.skip_reserved and declaration is not None and declaration.reserved:
            raise TdmReserved(f"TDM rights reserved by {parts.netloc}{TDMREP_PATH}")

    async def site_tdmrep(self, scheme: str, netloc: str) -> TdmRepFile | None:
        """The site's ``tdmrep.json`` rules: fetched by the first caller, awaited by the
        others; ``None`` when the file declares nothing."""
        waiting = self.tdmrep.get(netloc)
        if waiting is not None:
            return await asyncio.shield(waiting)
        future: asyncio.Future[TdmRepFile | None] = asyncio.get_running_loop().create_future()
        self.tdmrep[netloc] = future
        rules: TdmRepFile | None = None
        try:
            rules = await self._cluster_fetch(f"{scheme}://{netloc}{TDMREP_PATH}", netloc)
        finally:
            future.set_result(rules)
        return rules

    async def _cluster_fetch(self, url: str, netloc: str) -> TdmRepFile | None:
        """``_fetch``, or in distributed mode the outcome another worker fetched."""
        shared = self.shared
        if shared is None:
            return await self._fetch(url)
        while True:
            if shared.claim(netloc):
                rules = await self._fetch(url)
                shared.publish(netloc, rules)
                return rules
            published, rules = shared.get(netloc)
            if published:
                self._inc("rights/tdmrep/from_cluster")
                return rules
            await asyncio.sleep(CLUSTER_POLL_S)

    async def _fetch(self, url: str) -> TdmRepFile | None:
        request = Request(
            url,
            priority=self.DOWNLOAD_PRIORITY,
            meta={"download_maxsize": TDMREP_MAXSIZE_BYTES},
            callback=NO_CALLBACK,
            dont_filter=True,
        )
        self._inc("rights/tdmrep/request_count")
        assert self.crawler.engine is not None
        try:
            response: Response = await self.crawler.engine.download_async(request)
        except IgnoreRequest as exc:
            reason = known_failure_reason(exc) or "ignored"
            key = "too_large" if "too_large" in reason else f"refused/{reason}"
            self._declares_nothing(url, key)
            return None
        except Exception as exc:
            reason = known_failure_reason(exc) or type(exc).__name__
            key = "too_large" if reason == "too_large" else f"failed/{reason}"
            self._declares_nothing(url, key)
            return None
        if 400 <= response.status < 500:
            self._inc("rights/tdmrep/absent")
            return None
        if response.status != 200:
            self._declares_nothing(url, f"failed/http_{response.status}")
            return None
        try:
            rules = parse_tdmrep(response.body, response.url)
        except TdmRepError as exc:
            self._declares_nothing(url, exc.reason, str(exc))
            return None
        self._inc("rights/tdmrep/found")
        if dropped := rules.policies_dropped():
            self._inc("rights/tdm_policy_dropped", dropped)
        return rules

    def _declares_nothing(self, url: str, key: str, detail: str = "") -> None:
        logger.warning("%s not used (%s%s)", url, key, f": {detail}" if detail else "")
        self._inc(f"rights/tdmrep/{key}")
