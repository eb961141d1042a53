"""NearDuplicatePipeline: marks an article whose text is a near-duplicate of an article seen
before (the same story from another outlet, or republished under another URL), on any site and
in any run within ``NEWSCRAWLER_SEEN_TTL_DAYS``.

Each ``Article``'s ``text`` is judged against the index beside the state store
(``crawler.neardup``: MinHash + LSH; SQLite, or Redis shared by the workers in distributed
mode) by its sketch (signature and band keys), which the extraction worker made
(``Article.neardup_sketch``; made here when missing). A first copy is written as it is; a
near-duplicate gets ``near_duplicate_of`` (the id of the earliest article of its cluster) and
``similarity`` (estimated Jaccard similarity to it). With ``NEWSCRAWLER_DROP_NEAR_DUPLICATES``
it is dropped instead, as ``articles/dropped/near_duplicate``, and its feed entry is
remembered as settled (``dropped:near_duplicate``) so later runs do not download it again. A
revision (same ``id``) is never a near-duplicate of itself. A text under
``NearDupParams.min_tokens`` tokens is not judged.

On unless ``NEWSCRAWLER_NEAR_DUPLICATES`` is false (then ``NotConfigured``). Placed after the
revision pipeline and before the writer. An index error is logged and counted, and the article
goes on unmarked. Stats: ``neardup/first_copy``, ``neardup/linked``, ``neardup/not_judged``,
``neardup/error``, ``neardup/expired``, and ``neardup/cpu_ms``, the CPU time of the checks in
the crawler process.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.config import CrawlerConfig
from crawler.extensions.state import RunState
from crawler.items import Article
from crawler.neardup import NearDupIndex, NearDuplicateDetector, NearDupParams
from crawler.pipelines import drop
from crawler.storage.neardup_index import open_neardup_index

logger = logging.getLogger(__name__)

DROP_REASON = "near_duplicate"


class NearDuplicatePipeline:
    def __init__(
        self, crawler: Crawler, config: CrawlerConfig, state: RunState, index: NearDupIndex
    ) -> None:
        self.stats = crawler.stats
        self.config = config
        self.state = state
        self.index = index
        self.detector = NearDuplicateDetector(index, NearDupParams())
        self.cpu_s = 0.0  # CPU time spent in checks (query, insert; a missing sketch)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NearDuplicatePipeline:
        config = CrawlerConfig.from_settings(crawler.settings)
        if not config.near_duplicates:
            raise NotConfigured("NEWSCRAWLER_NEAR_DUPLICATES is off")
        state = RunState.for_crawler(crawler)  # the run lock first
        return cls(crawler, config, state, open_neardup_index(config, NearDupParams()))

    def open_spider(self) -> None:
        expired = self.index.expire()
        if expired and self.stats is not None:
            self.stats.set_value("neardup/expired", expired)

    def close_spider(self) -> None:
        if self.stats is not None and self.cpu_s:
            self.stats.set_value("neardup/cpu_ms", round(self.cpu_s * 1000))
        self.index.close()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        started = time.process_time()
        try:
            verdict = self.detector.check(item.id, item.text, item.neardup_sketch)
        except Exception:
            logger.exception("Near-duplicate check of %s failed", item.url)
            self._inc("neardup/error")
            return item
        finally:
            self.cpu_s += time.process_time() - started
        if verdict is None:
            self._inc("neardup/not_judged")
            return item
        if verdict.near_duplicate_of is None:
            self._inc("neardup/first_copy")
            return item
        self._inc("neardup/linked")
        if self.config.drop_near_duplicates:
            self._settle(item)
            raise drop(self.stats, DROP_REASON, f"{item.url} ~ {verdict.near_duplicate_of}")
        item.near_duplicate_of = verdict.near_duplicate_of
        item.similarity = verdict.similarity
        return item

    def _settle(self, item: Article) -> None:
        """Remember the dropped copy's feed entry, so it is not downloaded again."""
        entry = self.state.entries.get(item.source_url)
        if entry is None:
            return
        try:
            self.state.remember_drop(entry, DROP_REASON)
        except Exception:
            logger.exception("Cannot remember the dropped copy %s", item.url)
            self._inc("state/error")

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)
