"""The ``article`` spider: one page, fetched and extracted as the ``feeds`` spider does it.

``newscrawler article URL`` runs it (``crawler.cli``); ``scrapy crawl article -a url=URL`` does
too. The request goes through the same downloader middlewares (URL policy, robots.txt, retries)
and the page through the same screen and extraction (``ExtractionPipeline``) under the
project's settings; the result is an ``Article`` item, or ``self.error`` with the reason (the
download's failure, or the drop's reason). Nothing is remembered: no state store, no run report,
no output file of its own, no WARC even with ``NEWSCRAWLER_WARC`` on (Scrapy's ``-o`` works).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from crawler.arguments import TOOL_ARGUMENTS
from crawler.config import ConfigError, CrawlerConfig, nearest
from crawler.extraction.pool import prepare_forkserver
from crawler.items import ArticlePage, FeedEntry
from crawler.rights import SITE_RIGHTS_META
from crawler.spiders.feeds import FeedsSpider, failure_reason, response_headers

# Components of a scheduled crawl that this one-page fetch has no use for: the state store
# (and the conditional GET and seen-entry checks that read it), the feed history, the run
# report, the writer, WARC capture (its files are a run's output, journaled in its state).
OFF = {
    "EXTENSIONS": (
        "crawler.extensions.report.RunReport",
        "crawler.extensions.state.RunState",
        "crawler.extensions.polling.FeedPolling",
    ),
    "DOWNLOADER_MIDDLEWARES": (
        "crawler.downloadermiddlewares.conditional.ConditionalGetMiddleware",
        "crawler.downloadermiddlewares.warc.WarcMiddleware",
    ),
    "SPIDER_MIDDLEWARES": ("crawler.spidermiddlewares.seen.SeenArticlesMiddleware",),
}


class ArticleSpider(scrapy.Spider):
    name = "article"
    config: CrawlerConfig

    def __init__(self, url: str | None = None, **kwargs: Any) -> None:
        for name in kwargs:
            if name not in TOOL_ARGUMENTS:
                raise ConfigError(f"unknown spider argument -a {name}{nearest(name, ['url'])}")
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"give the page as an absolute http(s) URL, got {url!r}")
        super().__init__(**kwargs)
        self.url = str(url)
        self.error: str | None = None

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """The feeds spider's settings (its User-Agent), without state, report or writer; one
        extraction worker is enough for one page."""
        FeedsSpider.update_settings(settings)
        for name, components in OFF.items():
            # The whole list, at spider priority: a process given this crawler
            # (``newscrawler article``) merges its own settings in again, and its project-priority
            # list would replace one changed in place, turning the state store back on.
            off = dict.fromkeys(components)
            settings.set(name, {**settings.getdict(name), **off}, "spider")
        settings.set(
            "ITEM_PIPELINES", {"crawler.pipelines.extraction.ExtractionPipeline": 100}, "spider"
        )
        settings.set("NEWSCRAWLER_EXTRACTION_WORKERS", 1, "spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArticleSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = CrawlerConfig.from_settings(crawler.settings)
        prepare_forkserver()  # as the feeds spider does: ready by the time the page is fetched
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(
            self.url,
            callback=self.parse_article,
            errback=self.article_failed,
            # SITE_RIGHTS_META: the site-level rights signals are looked up, as for a crawl's
            # article (robots.txt for AI crawlers, tdmrep.json).
            meta={"download_maxsize": self.config.article_maxsize_bytes, SITE_RIGHTS_META: None},
            dont_filter=True,
        )

    def article_failed(self, failure: Failure) -> None:
        self.error = failure_reason(failure)

    def parse_article(self, response: Response) -> Iterator[ArticlePage]:
        yield ArticlePage(
            url=response.url,
            body=response.body,
            headers=response_headers(response),
            entry=FeedEntry(link=self.url, feed_url=self.url),
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
            site_rights=response.meta.get(SITE_RIGHTS_META),
        )
