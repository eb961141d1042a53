"""The ``feeds`` spider: feeds in, one ``ArticlePage`` per new article link out.

Arguments: ``-a feeds=URL1,URL2`` or ``-a feeds_file=PATH``; with neither, the bundled
``crawler/default_feeds.txt``. An invalid list stops the crawl before any request.
Parsing, link policy and extraction live in pure modules; this class only wires them.

Stats: ``feeds/ok``, ``feeds/failed/<reason>``, ``feeds/entries``,
``feeds/entry_skipped/<reason>``, ``feeds/entries_over_limit``, ``articles/requested``,
``articles/duplicate_in_run``, ``articles/failed/<reason>``, ``articles/pages``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from twisted.python.failure import Failure

from crawler import signals as news_signals
from crawler.config import DEFAULT_FEEDS_FILE, ConfigError, CrawlerConfig
from crawler.feeds import parse_feed
from crawler.feeds.lists import FeedListError, feeds_from_argument, read_feed_file
from crawler.items import ArticlePage, FeedEntry
from crawler.urls import dedupe_key


def failure_reason(failure: Failure) -> str:
    """A short stats-key reason for a failed download."""
    response = getattr(failure.value, "response", None)
    if response is not None and getattr(response, "status", None):
        return f"http_{response.status}"
    return type(failure.value).__name__


def response_headers(response: Response) -> dict[str, str]:
    return {
        key.decode("latin-1").lower(): value.decode("latin-1")
        for key, value in ((k, response.headers.get(k) or b"") for k in response.headers)
    }


class FeedsSpider(scrapy.Spider):
    name = "feeds"
    config: CrawlerConfig

    def __init__(
        self, feeds: str | None = None, feeds_file: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if feeds and feeds_file:
            raise ConfigError("give either -a feeds= or -a feeds_file=, not both")
        try:
            if feeds:
                self.feed_urls = feeds_from_argument(feeds)
            else:
                self.feed_urls = read_feed_file(feeds_file or DEFAULT_FEEDS_FILE)
        except FeedListError as exc:
            raise ConfigError(str(exc)) from exc
        self.requested_keys: set[str] = set()

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """The User-Agent names the contact set in NEWSCRAWLER_CONTACT, unless the user set
        USER_AGENT explicitly."""
        super().update_settings(settings)
        if settings.getpriority("USER_AGENT") in (None, SETTINGS_PRIORITIES["default"]):
            contact = settings.get("NEWSCRAWLER_CONTACT")
            settings.set("USER_AGENT", f"newscrawler/0.1 ({contact})", priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> FeedsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = CrawlerConfig.from_settings(crawler.settings)
        return spider

    def _inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)

    def _feed_outcome(
        self,
        feed_url: str,
        status: str,
        reason: str | None = None,
        entries: int = 0,
        skipped: Counter[str] | None = None,
    ) -> None:
        self._inc("feeds/ok" if status == "ok" else f"feeds/failed/{reason}")
        self.crawler.signals.send_catch_log(
            news_signals.feed_processed,
            feed_url=feed_url,
            status=status,
            reason=reason,
            entries=entries,
            skipped=skipped or Counter(),
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.feed_urls:
            yield scrapy.Request(
                url,
                callback=self.parse_feed,
                errback=self.feed_failed,
                dont_filter=True,
                cb_kwargs={"feed_url": url},
            )

    def feed_failed(self, failure: Failure) -> None:
        feed_url = failure.request.cb_kwargs["feed_url"]  # type: ignore[attr-defined]
        reason = failure_reason(failure)
        self.logger.warning("Feed %s failed: %s", feed_url, reason)
        self._feed_outcome(feed_url, "failed", reason)

    async def parse_feed(self, response: Response, feed_url: str) -> AsyncIterator[scrapy.Request]:
        # In a thread: a large feed takes seconds of feedparser, which must not stall the reactor.
        parsed = await asyncio.to_thread(
            parse_feed, response.body, response.url, response_headers(response)
        )
        if parsed.error:
            self.logger.warning("Feed %s failed: %s", feed_url, parsed.error)
            self._feed_outcome(feed_url, "failed", parsed.error)
            return
        skipped = Counter(parsed.skipped)
        # Newest first; undated entries keep their feed order after the dated ones.
        entries = sorted(parsed.entries, key=lambda e: e.published or e.updated or "", reverse=True)
        limit = self.config.max_entries_per_feed
        if len(entries) > limit:
            skipped["over_limit"] += len(entries) - limit
            entries = entries[:limit]
        for reason, count in skipped.items():
            self._inc(f"feeds/entry_skipped/{reason}", count)
        self._inc("feeds/entries", len(parsed.entries))
        for entry in entries:
            request = self.article_request(entry)
            if request is not None:
                yield request
        self._feed_outcome(feed_url, "ok", entries=len(parsed.entries), skipped=skipped)

    def article_request(self, entry: FeedEntry) -> scrapy.Request | None:
        """A request for the entry's article, or ``None`` if this run already asked for it."""
        keys = {dedupe_key(entry.link)}
        if entry.guid:
            keys.add(f"guid:{dedupe_key(entry.link).split('/')[0]}:{entry.guid}")
        if keys & self.requested_keys:
            self._inc("articles/duplicate_in_run")
            return None
        self.requested_keys |= keys
        self._inc("articles/requested")
        return scrapy.Request(
            entry.link,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"entry": entry},
        )

    def article_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        self.logger.info("Article %s failed: %s", failure.request.url, reason)  # type: ignore[attr-defined]
        self._inc(f"articles/failed/{reason}")

    def parse_article(self, response: Response, entry: FeedEntry) -> Iterator[ArticlePage]:
        self._inc("articles/pages")
        yield ArticlePage(
            url=response.url,
            body=response.body,
            headers=response_headers(response),
            entry=entry,
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
