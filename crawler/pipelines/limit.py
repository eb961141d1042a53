"""ItemLimitPipeline: no more than ``CLOSESPIDER_ITEMCOUNT`` articles are written.

Scrapy's ``CLOSESPIDER_ITEMCOUNT`` starts closing the spider once that many items were scraped,
but the pages already downloaded or being extracted still go through the pipelines and would be
written too. Placed just before the writer, this pipeline lets exactly the limit through and
drops the rest as ``articles/dropped/item_limit`` (not remembered: the next run fetches them
again). Off (``NotConfigured``) when ``CLOSESPIDER_ITEMCOUNT`` is 0, Scrapy's default.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.items import Article
from crawler.pipelines import drop


class ItemLimitPipeline:
    def __init__(self, crawler: Crawler, limit: int) -> None:
        self.stats = crawler.stats
        self.limit = limit
        self.passed = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ItemLimitPipeline:
        limit = crawler.settings.getint("CLOSESPIDER_ITEMCOUNT")
        if limit <= 0:
            raise NotConfigured  # no message: Scrapy would log it as a warning
        return cls(crawler, limit)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        if self.passed >= self.limit:
            raise drop(self.stats, "item_limit", item.url)
        self.passed += 1
        return item
