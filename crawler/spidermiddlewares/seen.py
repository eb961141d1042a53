"""SeenArticlesMiddleware: entries already written (or settled) are not downloaded again.

Looks at each article request the spider schedules (its ``entry`` FeedEntry) and asks the state
store (``crawler.extensions.state.RunState``) whether the entry's link or GUID
(``crawler.storage.state.entry_keys``) belongs to an article already written, or to an entry
settled without one (its page dropped for its content, ``dropped:<reason>``; its download
given up, ``gave_up:<reason>``):

- not known: the request goes on;
- known, and the entry's ``updated`` date is newer than the one stored: the request goes on
  (``articles/refetch_updated``); the revision pipeline decides whether the text changed;
- settled as too large under a smaller size limit than today's (``crawler.storage.outcomes``):
  the request goes on (``articles/refetch_limit_raised``);
- known otherwise: the request is dropped, counted as ``feeds/entry_skipped/<reason>``
  (``already_written``, ``already_dropped``, ``given_up``) and in the feed's line of the run
  report, and the seen record is kept alive.

Requests that go on count towards ``NEWSCRAWLER_MAX_ENTRIES_PER_FEED`` for their feed: the
limit is on entries to download, not on entries listed, so a feed with a backlog of new
entries is drained over several runs (newest first). Past the limit an entry is skipped as
``over_limit`` and its feed's validators are held back, so the next run reads it in full.

It also remembers the feed entry of each downloaded page for the revision pipeline and writer,
and counts each feed's article requests sent on and not yet answered by a page
(``RunState.open_articles``).
Enabled in ``SPIDER_MIDDLEWARES``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from crawler import signals as news_signals
from crawler.config import CrawlerConfig
from crawler.extensions.state import RunState
from crawler.items import ArticlePage, FeedEntry
from crawler.storage.outcomes import limit_raised
from crawler.storage.state import ArticleState, entry_keys, needs_fetch


def skip_reason(known: ArticleState) -> str:
    """The report's name for skipping an entry the store knows: by its settled outcome."""
    if known.outcome is None:
        return "already_written"
    return "already_dropped" if known.outcome.startswith("dropped:") else "given_up"


class SeenArticlesMiddleware(BaseSpiderMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.state = RunState.for_crawler(crawler)
        self.stats = crawler.stats
        self.config = CrawlerConfig.from_settings(crawler.settings)
        self.limit = self.config.max_entries_per_feed
        self.taken: Counter[str] = Counter()

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        entry = request.cb_kwargs.get("entry")
        if not isinstance(entry, FeedEntry):
            return request
        known = self.state.require_store().find(entry_keys(entry.link, entry.guid, entry.feed_url))
        raised = known is not None and limit_raised(
            known.outcome, self.config.extract_maxsize_bytes, self.config.article_maxsize_bytes
        )
        if needs_fetch(entry.updated, known) or raised:
            if self.taken[entry.feed_url] >= self.limit:
                self.state.incomplete_feeds.add(entry.feed_url)
                self.skipped(entry, "over_limit")
                return None
            self.taken[entry.feed_url] += 1
            self.state.open_articles[entry.feed_url] += 1
            if known is not None and self.stats is not None:
                self.stats.inc_value(
                    "articles/refetch_limit_raised" if raised else "articles/refetch_updated"
                )
            return request
        assert known is not None
        self.state.note_touched([known.article_id])
        self.skipped(entry, skip_reason(known))
        return None

    def skipped(self, entry: FeedEntry, reason: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"feeds/entry_skipped/{reason}")
        self.crawler.signals.send_catch_log(
            news_signals.entries_skipped, feed_url=entry.feed_url, reason=reason, count=1
        )

    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        if isinstance(item, ArticlePage):
            self.state.entries[item.url] = item.entry
            self.state.open_articles[item.entry.feed_url] -= 1
        return item
