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

The articles this worker wrote are remembered in the shared state store by the JSON Lines
writer, batch by batch once their lines are durable (``crawler/storage/durable.py``), so a killed
worker's unwritten articles are written again by the others.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from crawler.distributed.runtime import WorkerRuntime, worker_runtime
from crawler.items import Article, ArticlePage
from crawler.pipelines import drop
from crawler.storage.state import entry_keys, needs_fetch, url_key


def article_keys(article: Article) -> tuple[str, ...]:
    """Every key the article may be looked up under: its fetched and canonical URLs, and its
    feed GUID."""
    entry = entry_keys(article.source_url, article.guid, article.feed_url)
    keys = dict.fromkeys((*entry, url_key(article.url)))
    return tuple(keys)


class SeenPagePipeline:
    def __init__(self, crawler: Crawler, runtime: WorkerRuntime) -> None:
        self.stats = crawler.stats
        self.runtime = runtime

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeenPagePipeline:
        return cls(crawler, worker_runtime(crawler))

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticlePage):
            entry = item.entry
            keys = (*entry_keys(entry.link, entry.guid, entry.feed_url), url_key(item.url))
            known = self.runtime.store.find(keys)
            if not needs_fetch(item.entry.updated, known):
                raise drop(self.stats, "seen", item.url)
        return item


class ClusterDedupePipeline:
    def __init__(self, crawler: Crawler, runtime: WorkerRuntime) -> None:
        self.stats = crawler.stats
        self.runtime = runtime

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterDedupePipeline:
        pipeline = cls(crawler, worker_runtime(crawler))
        return pipeline

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        known = self.runtime.store.article(item.id) or self.runtime.store.find(article_keys(item))
        if known is not None and known.fingerprint == item.fingerprint:
            raise drop(self.stats, "seen", item.url)
        if not self.runtime.cluster.claim(item.id):
            raise drop(self.stats, "duplicate", f"{item.url} (claimed by another worker)")
        return item
