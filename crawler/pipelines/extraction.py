"""ExtractionPipeline: turns each ``ArticlePage`` into an ``Article``.

Drops pages that hold no article (``articles/dropped/<reason>``: ``too_little_text``,
``no_content``, ``empty_body``, ``unparseable_html``, ``extraction_error``), and before
extraction pages that are not HTML or over ``NEWSCRAWLER_EXTRACT_MAXSIZE_BYTES`` (``not_html``,
``not_html_bytes``, ``too_large``: see ``crawler.extraction.screen``). Bytes that decode to no
character are counted as ``encoding/replacement_chars``. An exception in one
page is counted and dropped; the other pages go on.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler

from crawler.config import CrawlerConfig
from crawler.extraction import extract_page
from crawler.extraction.article import build_article
from crawler.extraction.screen import screen_page
from crawler.items import ArticlePage
from crawler.pipelines import drop

logger = logging.getLogger(__name__)


class ExtractionPipeline:
    def __init__(self, crawler: Crawler, config: CrawlerConfig) -> None:
        self.stats = crawler.stats
        self.config = config

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        return cls(crawler, CrawlerConfig.from_settings(crawler.settings))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticlePage):
            return item
        screened = screen_page(item.body, item.headers, self.config.extract_maxsize_bytes)
        if screened.html is None:
            raise drop(self.stats, screened.error or "not_html", item.url)
        if screened.replacements and self.stats is not None:
            self.stats.inc_value("encoding/replacement_chars", screened.replacements)
        try:
            extraction = extract_page(
                screened.html, item.url, item.headers, min_text_chars=self.config.min_text_chars
            )
        except Exception as exc:
            logger.exception("Extraction failed for %s", item.url)
            raise drop(self.stats, "extraction_error", type(exc).__name__) from exc
        if extraction.text is None:
            raise drop(self.stats, extraction.error or "no_content")
        return build_article(extraction, item.url, item.entry, item.fetched_at)
