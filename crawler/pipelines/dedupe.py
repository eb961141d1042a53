"""DedupePipeline: one record per article id in a run.

Two feed links can lead to the same article (a redirect, a canonical URL); the second is
dropped as ``articles/dropped/duplicate``.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from crawler.items import Article
from crawler.pipelines import drop


class DedupePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            if item.id in self.seen:
                raise drop(self.stats, "duplicate", item.url)
            self.seen.add(item.id)
        return item
