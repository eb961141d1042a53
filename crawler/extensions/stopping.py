"""PromptStop: a crawl that is told to stop stops downloading at once.

Scrapy closes a spider (first SIGINT/SIGTERM, a ``CLOSESPIDER_*`` limit) by waiting for every
request already handed to the downloader, and with ``DOWNLOAD_DELAY`` or AutoThrottle most of
them are still waiting in the per-site queues: up to ``CONCURRENT_REQUESTS`` more pages, one
delay apart, minutes after Ctrl-C. This extension wraps the engine's ``close_spider_async``:
once the spider is closing (no new request leaves the scheduler), the requests still queued in
the downloader are cancelled, and signal ``downloads_cancelled`` cancels the retries waiting
for a ``Retry-After`` (``crawler.downloadermiddlewares.retry``); those being transferred
finish, within ``DOWNLOAD_TIMEOUT``.

A cancelled request fails with ``RequestCancelled`` (reason ``cancelled``): the spider counts
it (``articles/cancelled``, ``feeds/cancelled``) and does not record it as a failed download,
since nothing is known about the page; the next run requests it again (the run is partial, so
its feeds' validators are not advanced). ``run/requests_left`` is the number of requests
cancelled plus those left in the scheduler: the run report says PARTIAL only when it is
above zero or a listed feed was never processed.

A stop that comes while the spider is already closing (SIGTERM during the close of a finished
run) waits for that close to end: Scrapy's own second ``close_spider_async`` returns once the
downloads are done, and its engine stop would then end the process before the writer, the state
store and the run report have closed (no report, exit status 0).

Enabled in ``EXTENSIONS``. In distributed mode (``REDIS_URL``) it cancels nothing: a request
taken from the shared queue must be fetched or put back for another worker, not cancelled
(``crawler.distributed.inflight``).
"""

from __future__ import annotations

import asyncio
import logging

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure

from crawler import signals as news_signals

logger = logging.getLogger(__name__)


def is_stop(close_reason: str) -> bool:
    """Whether the spider closed because it was told to: a signal (``shutdown``) or a
    ``CLOSESPIDER_*`` limit, not its work finished nor an error."""
    return close_reason == "shutdown" or close_reason.startswith("closespider_")


def run_close_reason(crawler: Crawler, reason: str) -> str:
    """The reason the run closed, as the state, the feed history and the report record it:
    Scrapy's ``reason``, except ``output_error`` for a crawl that finished but whose last lines
    could not be written (the writer commits its last batch at close, after Scrapy settled on
    ``finished``): those articles are left for the next run, which must not get a 304 for
    their feeds."""
    stats = crawler.stats
    if reason == "finished" and stats is not None and stats.get_value("run/output_error"):
        return "output_error"
    return reason


class RequestCancelled(IgnoreRequest):
    """A request still waiting in the downloader when the spider began to close."""

    reason = "cancelled"


def cancelled_late(stats: StatsCollector | None, message: str) -> RequestCancelled:
    """The failure for a request that reached a downloader middleware after the stop had
    cancelled the queued downloads (signal ``downloads_cancelled``), counted as they were, in
    ``run/requests_left`` and ``run/requests_cancelled``: raise it rather than send it."""
    if stats is not None:
        stats.inc_value("run/requests_left")
        stats.inc_value("run/requests_cancelled")
    return RequestCancelled(message)


class PromptStop:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.cancel = not crawler.settings.get("REDIS_URL")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PromptStop:
        extension = cls(crawler)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        return extension

    def engine_started(self) -> None:
        engine = self.crawler.engine
        assert engine is not None
        close = engine.close_spider_async
        first: asyncio.Future[None] | None = None

        async def close_spider_async(*, reason: str = "cancelled") -> None:
            nonlocal first
            if first is not None:
                # Scrapy's own second call returns as soon as the downloads are done, and a
                # signal during a close (engine.stop) then stops the reactor before the
                # pipelines, the state store and the run report have closed: wait for the
                # whole close instead.
                await asyncio.shield(first)
                return
            first = asyncio.ensure_future(close(reason=reason))
            if self.cancel:
                # One turn of the loop: the engine marks its slot closing (it takes no more
                # requests from the scheduler) before the downloader's queues are emptied.
                await asyncio.sleep(0)
                self.cancel_queued(reason)
            await first

        engine.close_spider_async = close_spider_async  # type: ignore[method-assign]

    def cancel_queued(self, reason: str) -> None:
        engine = self.crawler.engine
        stats = self.crawler.stats
        if engine is None or stats is None:
            return
        scheduler = getattr(getattr(engine, "_slot", None), "scheduler", None)
        try:
            pending = len(scheduler) if scheduler is not None else 0
        except TypeError:  # a scheduler without a length
            pending = 0
        cancelled = 0
        for slot in list(engine.downloader.slots.values()):
            while slot.queue:
                _, deferred = slot.queue.popleft()
                cancelled += 1
                deferred.errback(Failure(RequestCancelled(f"spider closing ({reason})")))  # type: ignore[no-untyped-call]
        stats.set_value("run/requests_left", cancelled + pending)
        stats.set_value("run/requests_cancelled", cancelled)
        # After the counts: a waiting retry adds itself to them as it is cancelled.
        self.crawler.signals.send_catch_log(news_signals.downloads_cancelled)
        if cancelled or pending:
            logger.info(
                "Closing (%s): %d queued downloads cancelled, %d requests left unscheduled",
                reason,
                cancelled,
                pending,
            )
