"""Item pipelines: extraction (page -> article), dedupe, JSON Lines writer.

Every drop goes through ``drop()``: a ``DropItem`` carrying a reason, counted under
``articles/dropped/<reason>``, so the run report reconciles scraped = written + dropped.
"""

from __future__ import annotations

from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector


class ArticleDropped(DropItem):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def drop(stats: StatsCollector | None, reason: str, detail: str = "") -> ArticleDropped:
    if stats is not None:
        stats.inc_value(f"articles/dropped/{reason}")
    return ArticleDropped(reason, detail)
