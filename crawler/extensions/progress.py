"""Progress: one INFO line every ``NEWSCRAWLER_PROGRESS_INTERVAL_S`` seconds (default 30).

``Progress: feeds 12/25 done, articles 340 written, 85 queued, 7 failed, 9 dropped;
11.3 articles/min, ETA 7m30s``: feeds done (an outcome, ok, not modified or failed) of the
feeds listed; articles written; queued (requested, not yet fetched, skipped, failed or
cancelled); failed downloads and pages dropped; the rate of pages handled since the start
and the time left at that rate for the queued ones (shown once there is a rate). ``0``
switches the line off (``NotConfigured``). Reads only the crawl's stats and the
``feed_processed`` signal.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet.task import LoopingCall

from crawler import signals as news_signals
from crawler.config import CrawlerConfig

logger = logging.getLogger(__name__)


def _sum(stats: dict[str, Any], prefix: str) -> int:
    return sum(int(v) for k, v in stats.items() if k.startswith(prefix))


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def progress_line(
    stats: dict[str, Any], feeds_done: int, feeds_total: int, elapsed_s: float
) -> str:
    """The progress line for the crawl's ``stats``; pure, for the tests."""
    requested = int(stats.get("articles/requested", 0))
    fetched = int(stats.get("articles/pages", 0))
    failed = _sum(stats, "articles/failed/")
    dropped = _sum(stats, "articles/dropped/")
    skipped = sum(
        int(v)
        for k, v in stats.items()
        if k.startswith("feeds/entry_skipped/")
        and k.rsplit("/", 1)[1] in ("already_written", "already_dropped", "given_up", "over_limit")
    )
    cancelled = int(stats.get("articles/cancelled", 0))
    queued = max(0, requested - fetched - failed - skipped - cancelled)
    handled = fetched + failed
    rate = handled / elapsed_s * 60 if elapsed_s > 0 else 0.0
    line = (
        f"Progress: feeds {feeds_done}/{feeds_total} done, articles "
        f"{int(stats.get('articles/written', 0))} written, {queued} queued, {failed} failed, "
        f"{dropped} dropped; {rate:.1f} pages/min"
    )
    if rate > 0:
        line += f", ETA {duration(queued / rate * 60)}"
    return line


class Progress:
    def __init__(self, crawler: Crawler, interval_s: float) -> None:
        self.crawler = crawler
        self.interval_s = interval_s
        self.feeds_done: set[str] = set()
        self.started = time.monotonic()
        self.task: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval_s = CrawlerConfig.from_settings(crawler.settings).progress_interval_s
        if interval_s <= 0:
            raise NotConfigured
        extension = cls(crawler, interval_s)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.feed_processed, signal=news_signals.feed_processed)
        return extension

    def feed_processed(self, feed_url: str, **_: Any) -> None:
        self.feeds_done.add(feed_url)

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.task = LoopingCall(self.log)
        self.task.start(self.interval_s, now=False)

    def log(self) -> None:
        spider = self.crawler.spider
        listed = len(getattr(spider, "feed_urls", [])) + len(
            getattr(getattr(spider, "sources", None), "sites", [])
        )
        assert self.crawler.stats is not None
        # Feeds adaptive polling left for a later run (crawler.extensions.polling) are not work.
        listed -= int(self.crawler.stats.get_value("feeds/not_due", 0))
        total = max(listed, len(self.feeds_done))
        logger.info(
            "%s",
            progress_line(
                self.crawler.stats.get_stats(),
                len(self.feeds_done),
                total,
                time.monotonic() - self.started,
            ),
        )

    def spider_closed(self, spider: Any) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
