"""ClusterDedupePipeline and SeenPagePipeline: one record per article across the workers and
runs of a cluster. On in distributed mode (``REDIS_URL``).

``SeenPagePipeline`` (before extraction) drops a downloaded page whose feed entry or URL the
state store knows as written, unless the entry says it was updated since (it may be a
revision), without extracting it; ``ClusterDedupePipeline`` (after ``DedupePipeline``) drops an
article the store knows with the same text fingerprint, and claims its id for this worker in
this run. Drops:

- ``articles/dropped/seen``: the state store knows the article as written, with this text (by
  any worker, in an earlier run, or by a worker that was interrupted in this one);
- ``articles/dropped/duplicate``: another worker claimed the article id in this run (two feed
  links leading to one article).

The articles this worker wrote are remembered in the state store when its output is committed
(signal ``output_committing``, before the file is moved into place), so a record is in the
store once its line is on disk, and a killed worker's articles are written again by the others.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler import signals as news_signals
from crawler.config import CrawlerConfig
from crawler.distributed.runtime import WorkerRuntime, worker_runtime
from crawler.items import Article, ArticlePage
from crawler.pipelines import drop
from crawler.storage.state import ArticleState, WrittenArticle, entry_keys, url_key

_SPACE = re.compile(r"\s+")


def text_fingerprint(text: str) -> str:
    """SHA-256 of the text with whitespace runs collapsed (32 hex digits)."""
    normalized = _SPACE.sub(" ", text).strip()
    return hashlib.sha256(normalized.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def updated_since(updated: str | None, known: str | None) -> bool:
    """True when the feed entry's ``updated`` date is later than the stored one."""
    if not updated:
        return False
    if not known:
        return True
    try:
        return datetime.fromisoformat(updated) > datetime.fromisoformat(known)
    except ValueError:
        return updated != known


def article_keys(article: Article) -> tuple[str, ...]:
    """Every key the article may be looked up under: its fetched and canonical URLs, and its
    feed GUID."""
    keys = dict.fromkeys((*entry_keys(article.source_url, article.guid), url_key(article.url)))
    return tuple(keys)


class SeenPagePipeline:
    def __init__(self, crawler: Crawler, runtime: WorkerRuntime) -> None:
        self.stats = crawler.stats
        self.runtime = runtime

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeenPagePipeline:
        if CrawlerConfig.from_settings(crawler.settings).redis_url is None:
            raise NotConfigured("REDIS_URL is not set")
        return cls(crawler, worker_runtime(crawler))

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticlePage):
            keys = (*entry_keys(item.entry.link, item.entry.guid), url_key(item.url))
            known = self.runtime.store.find(keys)
            if known is not None and not updated_since(item.entry.updated, known.entry_updated):
                raise drop(self.stats, "seen", item.url)
        return item


class ClusterDedupePipeline:
    def __init__(self, crawler: Crawler, runtime: WorkerRuntime) -> None:
        self.stats = crawler.stats
        self.runtime = runtime

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterDedupePipeline:
        if CrawlerConfig.from_settings(crawler.settings).redis_url is None:
            raise NotConfigured("REDIS_URL is not set")
        pipeline = cls(crawler, worker_runtime(crawler))
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(pipeline.commit, signal=news_signals.output_committing)
        return pipeline

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        known = self.runtime.store.article(item.id) or self.runtime.store.find(article_keys(item))
        if known is not None and known.fingerprint == text_fingerprint(item.text):
            raise drop(self.stats, "seen", item.url)
        if not self.runtime.cluster.claim(item.id):
            raise drop(self.stats, "duplicate", f"{item.url} (claimed by another worker)")
        return item

    def item_scraped(self, item: Any) -> None:
        """The item passed every pipeline: its line is in this worker's output."""
        if isinstance(item, Article):
            state = ArticleState(item.id, text_fingerprint(item.text), item.version)
            self.runtime.written.append(WrittenArticle(state, article_keys(item)))

    def commit(self, path: Any) -> None:
        self.runtime.store.remember(self.runtime.written)
        self.runtime.written = []
