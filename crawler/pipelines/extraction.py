"""ExtractionPipeline: turns each ``ArticlePage`` into an ``Article``.

Drops pages that hold no article (``articles/dropped/<reason>``: ``too_little_text``,
``no_content``, ``too_deep`` (nested past the HTML parser's depth limit), ``empty_body``,
``unparseable_html``, ``extraction_error``), and before extraction pages that are not HTML or
over ``NEWSCRAWLER_EXTRACT_MAXSIZE_BYTES`` (``not_html``, ``not_html_bytes``, ``too_large``: see
``crawler.extraction.screen``), and with ``NEWSCRAWLER_SKIP_TDM_RESERVED`` articles whose
page or site reserves TDM rights (``tdm_reserved``, see ``crawler.rights``). Bytes that decode
to no character are counted as ``encoding/replacement_chars``; pages whose cleaning misfired and
that keep trafilatura's own text as ``extraction/backstop``; pages of too many blocks for
trafilatura's jusText fallback, which is not run on them, as ``extraction/justext_skipped``
(``crawler.extraction.trafilatura_selectors.JUSTEXT_MAX_BLOCKS``); a title, description, authors
or tags cut to their bound (``crawler.bounds``) as ``articles/fields_cut/<field>``; a page
whose own TDM declaration (header, meta element) gives a ``tdm-policy`` that is no http(s) URL
as ``rights/tdm_policy_dropped`` (the record keeps the reservation, its policy null).
An exception in one page is counted and dropped; the other pages go on.

Extraction runs in ``NEWSCRAWLER_EXTRACTION_WORKERS`` processes (``crawler.extraction.pool``),
never on the reactor thread. ``process_item`` awaits its page's extraction, so the page stays in
Scrapy's scraper slot until then and ``SCRAPER_SLOT_MAX_ACTIVE_SIZE`` pauses downloads while the
workers are behind. A page whose extraction runs past ``NEWSCRAWLER_EXTRACTION_TIMEOUT_S`` is
dropped as ``extraction_timeout`` (its worker is killed and replaced); a page whose worker dies
is dropped as ``extraction_crashed``. Stats: ``extraction/workers``. The workers are stopped
when the spider closes.

The workers start in the background when the spider opens: the crawl fetches its first feeds
meanwhile, and a page waits in ``process_item`` until they are up. When they cannot
start, the error is logged and set as ``run/workers_error`` (the run report's
``workers_error``: the crawl exits 1), and the first page is dropped as ``workers_error`` and
closes the spider (close reason ``workers_error``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from crawler.config import CrawlerConfig
from crawler.extraction.pool import PageFailed, WorkerPool, WorkersNotStarted
from crawler.extraction.remote import ArticleExtraction, extract_article
from crawler.extraction.screen import reject_reason
from crawler.items import ArticlePage
from crawler.neardup import NearDupParams
from crawler.pipelines import drop
from crawler.rights import SiteRights

logger = logging.getLogger(__name__)


class ExtractionPipeline:
    def __init__(self, crawler: Crawler, config: CrawlerConfig) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.config = config
        self.pool: WorkerPool[ArticleExtraction] = WorkerPool(
            config.extraction_workers, config.extraction_timeout_s, function=extract_article
        )
        # The workers sketch each text for the near-duplicate pipeline, which judges it.
        self.neardup = NearDupParams() if config.near_duplicates else None
        self.starting: asyncio.Future[None] | None = None  # open_spider: the workers' start

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        return cls(crawler, CrawlerConfig.from_settings(crawler.settings))

    async def open_spider(self) -> None:
        self.stats.set_value("extraction/workers", self.pool.workers)
        # The workers start (in a thread) while the crawl goes on: its first feeds download
        # while they wait for the forkserver's preload.
        self.pool.start()
        self.starting = asyncio.ensure_future(self._report_start_error())

    async def _report_start_error(self) -> None:
        """A start that failed is logged and reported as soon as it fails, pages or not."""
        try:
            await self.pool.ready()
        except WorkersNotStarted as exc:
            logger.error("The extraction workers could not start: %s", exc, exc_info=exc)
            self.stats.set_value("run/workers_error", str(exc))

    async def close_spider(self) -> None:
        await asyncio.to_thread(self.pool.close)
        if self.starting is not None:
            await self.starting  # a start that failed after the last page is reported too

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticlePage):
            return item
        rejected = reject_reason(item.body, item.headers, self.config.extract_maxsize_bytes)
        if rejected is not None:
            raise drop(self.stats, rejected, item.url)
        try:
            # Bytes, not text: decoding, extraction and building the record (its fingerprint
            # and near-duplicate sketch included) are CPU work, all done in the worker.
            extraction = await self.pool.run(
                item.body,
                item.url,
                item.headers,
                item.entry,
                item.fetched_at,
                min_text_chars=self.config.min_text_chars,
                site_rights=SiteRights.from_meta(item.site_rights),
                neardup=self.neardup,
            )
        except PageFailed as exc:
            logger.warning("Extraction of %s failed: %s (%s)", item.url, exc.reason, exc)
            raise drop(self.stats, exc.reason, item.url) from exc
        except WorkersNotStarted as exc:
            # No page can be extracted: the crawl stops (the error is logged once, at start).
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="workers_error"))
            raise drop(self.stats, "workers_error", item.url) from exc
        except Exception as exc:
            logger.exception("Extraction failed for %s", item.url)
            raise drop(self.stats, "extraction_error", type(exc).__name__) from exc
        if extraction.replacements and self.stats is not None:
            self.stats.inc_value("encoding/replacement_chars", extraction.replacements)
        if extraction.backstop and self.stats is not None:
            self.stats.inc_value("extraction/backstop")
        if extraction.justext_skipped and self.stats is not None:
            self.stats.inc_value("extraction/justext_skipped")
        if extraction.article is not None and self.stats is not None:
            for name in extraction.article.cut_fields:
                self.stats.inc_value(f"articles/fields_cut/{name}")
            if extraction.article.tdm_policy_dropped:
                self.stats.inc_value("rights/tdm_policy_dropped")
        if extraction.article is None:
            raise drop(self.stats, extraction.error or "no_content")
        if self.config.skip_tdm_reserved and extraction.article.rights["tdm_reserved"]:
            # Reserved by the page (meta, header) or a tdmrep.json rule the download could not
            # be stopped by (crawler.downloadermiddlewares.rights stops the others).
            raise drop(self.stats, "tdm_reserved", item.url)
        article = extraction.article
        article.warc_file, article.warc_record_id = item.warc_file, item.warc_record_id
        return article
