"""WarcMiddleware: every HTTP exchange of the run, archived as WARC request and response records.

On with ``NEWSCRAWLER_WARC`` (``NotConfigured`` otherwise); files rotate at
``NEWSCRAWLER_WARC_MAX_BYTES``. The writing, naming, rotation and crash safety are
``crawler.storage.warc``; this adapter only turns Scrapy's request and response into an
``HttpExchange``.

Placed nearest the download handler (``DOWNLOADER_MIDDLEWARES``, 950), it sees each request with
every header the other middlewares added, and each response as received: before
``HttpCompressionMiddleware`` decodes the body (the record keeps the content coding and its
``Content-Encoding`` header) and before redirects and retries are followed (a 301 or a 503 is
archived as it came). Feeds, article pages, robots.txt, sitemaps and discovery pages are all
archived; each record says which (``WARC-Newscrawler-Role``).

The run's files are named after its JSON Lines file (the stats value ``run/output_file`` the
writer publishes): ``<stem>.warc.gz``, then ``<stem>-00001.warc.gz`` ... so a distributed
worker's files carry its name as its JSON Lines does. The first file is created with the first
exchange (after the writer has opened its output). Its path is journaled first
(``RunState.journal``), and the writer fsyncs the WARC before each batch of lines
(``RunState.sync_archives``), so a killed run leaves WARC files whose records are all complete
once the next run has recovered them, and no line points to a missing record.

The response's location reaches the article through ``request.meta``: ``warc_file`` (file name
relative to the output directory), ``warc_record_id`` and ``warc_fetched_at`` (the record's
``WARC-Date``, which becomes the article's ``fetched_at``).

A response larger than ``NEWSCRAWLER_ARTICLE_MAXSIZE_BYTES`` is not archived
(``warc/skipped/too_large``), nor one warcio cannot serialise (``warc/skipped/unserialisable``,
logged). Stats: ``warc/records`` (exchanges archived), ``warc/bytes``,
``run/warc_files`` (the list of file names, in the run report as ``warc_files``). A file that
cannot be written sets ``run/output_error`` and stops the crawl, as a failed JSON Lines write
does.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached

from crawler.config import CrawlerConfig
from crawler.extensions.state import RunState
from crawler.storage.durable import hold_point
from crawler.storage.jsonl import run_stem
from crawler.storage.warc import HttpExchange, WarcWriter

logger = logging.getLogger(__name__)

# Settings recorded in each file's warcinfo record: what shaped the crawl and its extraction.
INFO_SETTINGS = (
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "NEWSCRAWLER_MIN_TEXT_CHARS",
    "NEWSCRAWLER_EXTRACT_MAXSIZE_BYTES",
    "NEWSCRAWLER_ARTICLE_MAXSIZE_BYTES",
    "NEWSCRAWLER_FEED_MAXSIZE_BYTES",
    "NEWSCRAWLER_FEED_MAX_ITEMS",
    "NEWSCRAWLER_MAX_ENTRIES_PER_FEED",
    "NEWSCRAWLER_SITEMAP_MAX_AGE_DAYS",
    "NEWSCRAWLER_SITEMAP_MAX_BYTES",
    "NEWSCRAWLER_WARC_MAX_BYTES",
)


def crawler_version() -> str:
    try:
        return version("newscrawler")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def request_role(request: Request) -> str:
    """What the crawl fetched ``request`` as: ``article``, ``feed`` (feeds, sitemaps, site
    pages and discovery candidates: every request whose callback gets a ``feed_url`` or
    ``site_url``), ``robots``, ``rights`` (a site's ``tdmrep.json``) or ``other``."""
    kwargs = request.cb_kwargs
    if "entry" in kwargs:
        return "article"
    if "feed_url" in kwargs or "site_url" in kwargs:
        return "feed"
    path = urlparse_cached(request).path
    if path == "/robots.txt":
        return "robots"
    if path == "/.well-known/tdmrep.json":
        return "rights"
    return "other"


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy ``Headers`` (bytes, several values a name) as ``(name, value)`` text pairs."""
    pairs = []
    for name, values in headers.items():
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


class WarcMiddleware:
    def __init__(self, crawler: Crawler, config: CrawlerConfig, state: RunState) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.config = config
        self.state = state
        self.writer: WarcWriter | None = None
        self.failed = False
        self.closed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcMiddleware:
        config = CrawlerConfig.from_settings(crawler.settings)
        if not config.warc:
            raise NotConfigured  # no message: Scrapy would log it as a warning on every run
        middleware = cls(crawler, config, RunState.for_crawler(crawler))
        middleware.state.archive_syncs.append(middleware.sync)
        middleware.state.archive_closes.append(middleware.close)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def _info(self) -> dict[str, str]:
        settings = self.crawler.settings
        info = {
            "software": f"newscrawler/{crawler_version()}",
            "format": "WARC File Format 1.0",
            "operator": self.config.contact,
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        }
        if self.config.redis_url:
            info["worker"] = self.config.worker
        for name in INFO_SETTINGS:
            value = settings.get(name)
            if value is not None:
                info[name] = str(value)
        return info

    def _open_writer(self) -> WarcWriter:
        output = self.stats.get_value("run/output_file") if self.stats is not None else None
        if isinstance(output, str) and output:
            path = Path(output)
            directory, stem = path.parent, run_stem(path)
        else:  # no JSON Lines writer in this crawl: the writer's default name
            assert self.crawler.spider is not None
            directory = self.config.output_dir
            stem = f"{self.crawler.spider.name}_" + datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
        return WarcWriter(
            directory,
            stem,
            max_bytes=self.config.warc_max_bytes,
            info=self._info(),
            on_open=self._opened,
        )

    def _opened(self, path: Path) -> None:
        self.state.journal.record_warc(path)
        if self.stats is not None:
            files = list(self.stats.get_value("run/warc_files") or [])
            self.stats.set_value("run/warc_files", [*files, path.name])

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)

    def process_response(self, request: Request, response: Response) -> Response:
        # A redirect or retry copies the meta of the hop before: never point to its record.
        for key in ("warc_file", "warc_record_id", "warc_fetched_at"):
            request.meta.pop(key, None)
        if self.failed or self.closed:
            return response
        if len(response.body) > self.config.article_maxsize_bytes:
            self._inc("warc/skipped/too_large")
            return response
        moment = datetime.now(UTC).replace(microsecond=0)
        exchange = HttpExchange(
            url=response.url,
            method=request.method,
            request_headers=header_pairs(request.headers),
            request_body=request.body,
            status=response.status,
            response_headers=header_pairs(response.headers),
            body=response.body,
            date=moment,
            protocol=response.protocol or "HTTP/1.1",
            role=request_role(request),
            ip_address=str(response.ip_address) if response.ip_address else None,
            # Scrapy keeps a body cut short only with DOWNLOAD_FAIL_ON_DATALOSS off.
            truncated="disconnect" if "dataloss" in response.flags else None,
        )
        try:
            if self.writer is None:
                self.writer = self._open_writer()
            location = self.writer.write(exchange)
        except OSError as exc:
            self._failed(exc)
            return response
        except Exception:  # a response warcio cannot serialise: the crawl goes on without it
            logger.exception("Cannot archive %s", response.url)
            self._inc("warc/skipped/unserialisable")
            return response
        hold_point("warc_written")
        self._inc("warc/records")
        self._inc("warc/bytes", len(response.body))
        request.meta["warc_file"] = location.file
        request.meta["warc_record_id"] = location.record_id
        request.meta["warc_fetched_at"] = moment.isoformat(timespec="seconds")
        return response

    def sync(self) -> None:
        """fsync the open WARC file (``OSError`` if it cannot be made durable)."""
        if self.writer is not None and not self.failed:
            self.writer.sync()

    def _failed(self, exc: OSError) -> None:
        self.failed = True
        message = f"cannot write WARC: {exc.strerror or exc}"
        logger.error("%s", message)
        if self.writer is not None:
            self.writer.abandon()
        if self.stats is not None:
            self.stats.set_value("run/output_error", message)
        if self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="output_error"))

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Close the files if the writer did not (a crawl without the JSON Lines writer)."""
        self.close()

    def close(self) -> None:
        """Move the run's files into place (their records durable); the downloader is done."""
        if self.writer is None or self.failed or self.closed:
            return
        self.closed = True
        try:
            self.writer.close()
        except OSError as exc:
            # The records are in the .part file; the next run's recovery moves it into place.
            self.failed = True
            self.writer.abandon()
            logger.error("Cannot finish WARC file: %s", exc)
            if self.stats is not None:
                self.stats.set_value("run/output_error", f"cannot finish WARC: {exc}")
