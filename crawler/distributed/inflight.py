"""InflightRelease: a worker's in-flight hash in Redis holds only work that is not durable yet.

``RedisCluster.pop`` moves each request the worker takes into its in-flight hash, so that the
others put it back on the queue if the worker dies. ``InflightRelease`` (extension, on in
distributed mode) removes a request from the hash once its outcome is final:

- the engine is done with it: it was downloaded and its callback's (or errback's) output was
  handled (the requests it yielded are on the shared queue, its items went through the
  pipelines), or a retry or redirect that replaces it is on the queue; and
- none of its articles waits in the writer's batch: each was dropped (with a reason) or
  written durably (the writer's journal, fsync and mark-seen step, signal
  ``articles_written``).

So a worker killed at any moment leaves in its hash exactly the requests whose work may be
lost. Checked after every committed batch, every ``NEWSCRAWLER_HEARTBEAT_S`` seconds and when
the worker goes idle (before it tells the others so: ``WorkerMembership`` comes after). After
an output error nothing more is released: the articles of the lost batch go back to the
queue at close with the rest (``RedisCluster.release``).

Stats: ``distributed/inflight_completed`` (requests removed from the hash).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.internet.task import LoopingCall

from crawler import signals as news_signals
from crawler.distributed.runtime import INFLIGHT_TOKEN, WorkerRuntime, worker_runtime
from crawler.items import Article

logger = logging.getLogger(__name__)


class InflightRelease:
    def __init__(self, crawler: Crawler, runtime: WorkerRuntime) -> None:
        self.crawler = crawler
        self.runtime = runtime
        self.tracker = runtime.inflight
        self.loop = LoopingCall(self.release)
        self._warned = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> InflightRelease:
        ext = cls(crawler, worker_runtime(crawler))
        connect = crawler.signals.connect
        connect(ext.spider_opened, signal=signals.spider_opened)
        connect(ext.item_scraped, signal=signals.item_scraped)
        connect(ext.articles_written, signal=news_signals.articles_written)
        connect(ext.spider_idle, signal=signals.spider_idle)
        connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.loop.start(self.runtime.cluster.heartbeat_s, now=False)

    def item_scraped(self, item: Any, response: Any) -> None:
        """An article that passed every pipeline waits in the writer's batch."""
        if isinstance(item, Article):
            token = response.meta.get(INFLIGHT_TOKEN) if isinstance(response, Response) else None
            self.tracker.article_buffered(token, item.source_url)

    def articles_written(self, records: list[dict[str, Any]]) -> None:
        self.tracker.articles_written(str(record["source_url"]) for record in records)
        self.release()

    def spider_idle(self, spider: Any) -> None:
        self.release()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop.running:
            self.loop.stop()

    def release(self) -> None:
        """Remove the requests whose outcome is final from the in-flight hash."""
        assert self.crawler.stats is not None
        if self.crawler.stats.get_value("run/output_error"):
            return  # the writer's batch was lost: its requests must go back at close
        in_progress = self._in_progress()
        if in_progress is None:
            return
        completed = self.tracker.completed(in_progress)
        if not completed:
            return
        try:
            self.runtime.cluster.complete(completed)
        except Exception:
            # They stay in the hash: put back at close, or by the others if this worker dies.
            logger.exception("Cannot remove %d completed requests from Redis", len(completed))
            return
        self.crawler.stats.inc_value("distributed/inflight_completed", len(completed))

    def _in_progress(self) -> Collection[object] | None:
        # The engine keeps each request it took from the scheduler in its slot until the
        # request's download and callback output are fully handled; Scrapy has no public API
        # for that moment. Without it nothing is released (safe: kept until close).
        slot = getattr(self.crawler.engine, "_slot", None)
        in_progress = getattr(slot, "inprogress", None)
        if isinstance(in_progress, set):
            return in_progress
        if slot is not None and not self._warned:
            self._warned = True
            logger.warning("Scrapy's engine changed: in-flight requests are kept until close")
        return None
