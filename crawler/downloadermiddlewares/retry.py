"""PoliteRetryMiddleware: Scrapy's retries (``RETRY_TIMES``, ``RETRY_HTTP_CODES``) that honour
``Retry-After`` on 429 and 503 answers.

A ``Retry-After`` up to ``NEWSCRAWLER_RETRY_AFTER_MAX_S`` delays that retry by the time asked,
and holds back the site's other queued requests as long (the site's download slot waits,
after its ``DOWNLOAD_DELAY``; other sites go on meanwhile); a longer one is not retried at all
in this run, counted as ``retry/retry_after_too_long``, and the request fails with its status
(``http_429``). Retries stay bounded by ``RETRY_TIMES`` either way.

A crawl that is told to stop (signal ``downloads_cancelled``, ``crawler.extensions.stopping``)
sends no more retries: a retry waiting for its ``Retry-After``, or one asked for after the stop,
is cancelled like a queued download (``RequestCancelled``, counted in ``run/requests_left``),
and the next run requests it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import CannotResolveHostError
from scrapy.http import Response

from crawler import signals as news_signals
from crawler.config import CrawlerConfig
from crawler.extensions.stopping import cancelled_late
from crawler.resolver import refused_host_reason

RETRY_AFTER_STATUSES = frozenset({429, 503})


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` value asks for (delta-seconds or HTTP-date); ``None`` when
    absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    # ASCII digits only: str.isdigit() also takes "²" (byte 0xB2 read as Latin-1), which
    # float() refuses, and the exception failed the download.
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class PoliteRetryMiddleware(RetryMiddleware):
    max_delay_s: float = 0.0
    stopping: asyncio.Event

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PoliteRetryMiddleware:
        middleware = super().from_crawler(crawler)
        middleware.max_delay_s = CrawlerConfig.from_settings(crawler.settings).retry_after_max_s
        middleware.stopping = asyncio.Event()
        crawler.signals.connect(middleware.stopping.set, signal=news_signals.downloads_cancelled)
        return middleware

    def cancel_if_stopping(self, request: Request, result: Request | Response | None) -> None:
        """Cancel a retry (``result`` a request) asked for while the crawl is stopping: the
        engine would only leave it in the scheduler, uncounted."""
        if isinstance(result, Request) and self.stopping.is_set():
            message = f"retry of {request.url} not sent: the crawl is stopping"
            raise cancelled_late(self.crawler.stats, message)

    def hold_back_site(self, request: Request, delay: float) -> None:
        """The site asked us to wait: its next request leaves ``delay`` seconds from now (plus
        the slot's delay), not only this retry. Scrapy's downloader sends a slot's next request
        once its delay has passed since ``lastseen``; with no delay it does not wait."""
        engine = self.crawler.engine
        if engine is None:
            return
        downloader = engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None:
            slot.lastseen = max(slot.lastseen, time.monotonic() + delay)

    def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        # A name our URL policy refused resolves the same way on a retry.
        if isinstance(exception, CannotResolveHostError) and refused_host_reason(
            urlsplit(request.url).hostname or ""
        ):
            return None
        result = super().process_exception(request, exception)
        self.cancel_if_stopping(request, result)
        return result

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if (
            response.status in RETRY_AFTER_STATUSES
            and response.status in self.retry_http_codes
            and not request.meta.get("dont_retry", False)
        ):
            header = response.headers.get(b"Retry-After")
            delay = retry_after_seconds(header.decode("latin-1") if header else None)
            if delay is not None and delay > self.max_delay_s:
                self.crawler.stats.inc_value("retry/retry_after_too_long")
                return response
            if delay:
                self.crawler.stats.inc_value("retry/retry_after_waits")
                self.hold_back_site(request, delay)
                # The wait ends early when the crawl stops.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), delay)
        result = super().process_response(request, response)
        self.cancel_if_stopping(request, result)
        return result
