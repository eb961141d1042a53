"""WorkerMembership and RunStartMiddleware: a worker's place in the cluster.

``WorkerMembership`` (extension, on in distributed mode):

- at start, takes the worker lock (``newscrawler:<spider>:worker:<host>-<NEWSCRAWLER_WORKER_ID>``):
  a second copy of a live worker is refused with ``WorkerBusy`` (another run holds it, like
  the state directory's run lock: exit status 3); the requests a killed previous copy had
  popped are put back on the queue;
- every ``NEWSCRAWLER_HEARTBEAT_S`` seconds refreshes the lock; a worker that finds its
  requests reclaimed by the others (it stalled past its lock's expiry) stops
  (``heartbeat_lost``);
- when idle, puts back the requests of dead workers (same host: process gone; other host: no
  heartbeat for three intervals), and keeps the spider open until the run is done: the queue
  is empty and every worker of the run is idle (checked again at every heartbeat, so a worker
  that waited for the others leaves as soon as the last one is idle);
- at the end, releases its requests (a run that did not finish puts them back on the queue)
  and leaves the run (the last worker out ends it);
- marks each feed it is done with as done in the run, and reads at every heartbeat how many
  of the run's feeds all the workers are done with (``WorkerRuntime.run_feeds``), and how
  many requests are left on the shared queue and the run's rate (``WorkerRuntime.run_work``:
  it adds the pages it handled since its last heartbeat to the run's count), all shown by
  the progress line.

Scrapy asks an idle worker's scheduler for work only every 5 s; the heartbeat also wakes the
engine when the shared queue holds requests, so idle workers take new work promptly, and when
a worker kept open for the others finds the run done, so it closes promptly.

``RunStartMiddleware`` (spider middleware): only the worker that created the run sends the
feed requests of ``start()``, so a run's feeds are queued once however many workers start,
and says how many feeds the run has.

Stats: ``distributed/reclaimed_requests``, ``distributed/requeued_own``,
``distributed/heartbeat_lost``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.task import LoopingCall

from crawler import signals as news_signals
from crawler.distributed.runtime import WorkerRuntime, worker_runtime
from crawler.extensions.progress import listed_feeds, pages_handled

logger = logging.getLogger(__name__)


class WorkerMembership:
    def __init__(self, crawler: Crawler, runtime: WorkerRuntime) -> None:
        self.crawler = crawler
        self.runtime = runtime
        self.cluster = runtime.cluster
        self.beat = LoopingCall(self.heartbeat)
        # Set once the worker has been kept open for the others (spider_idle): from then on
        # each heartbeat asks whether the run is done.
        self.waiting = False
        self.pages_counted = 0  # this worker's pages added to the run's count

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerMembership:
        runtime = worker_runtime(crawler)
        runtime.cluster.acquire()
        requeued = runtime.cluster.requeue_own()
        if requeued:
            logger.warning("Put back %d requests of a killed copy of this worker", requeued)
        assert crawler.stats is not None
        crawler.stats.set_value("distributed/requeued_own", requeued)
        ext = cls(crawler, runtime)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.feed_processed, signal=news_signals.feed_processed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.beat.start(self.cluster.heartbeat_s, now=False)

    def heartbeat(self) -> None:
        try:
            alive = self.cluster.heartbeat()
            queued = self.cluster.queued()
            self.runtime.run_feeds = self.cluster.feeds_progress()
            self.runtime.run_work = (queued, self._run_pages_per_min())
            done = self.waiting and not queued and self.cluster.done()
        except Exception:
            logger.exception("Heartbeat to Redis failed")
            return
        if not alive:
            logger.error(
                "Worker %s lost its lock (heartbeat expired); stopping: its requests belong "
                "to the other workers now",
                self.cluster.name,
            )
            self._inc("distributed/heartbeat_lost")
            if self.beat.running:
                self.beat.stop()
            assert self.crawler.engine is not None
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="heartbeat_lost"))
            return
        if queued or done:  # either way, spider_idle is asked again now, not in up to 5 s
            self._wake_engine()

    def _run_pages_per_min(self) -> float:
        """The run's pages per minute since it began, once this worker's new pages are added."""
        assert self.crawler.stats is not None
        pages = pages_handled(self.crawler.stats.get_stats())
        run_pages = self.cluster.count_pages(pages - self.pages_counted)
        self.pages_counted = pages
        return run_pages / max(1.0, time.time() - self.cluster.started_at()) * 60

    def feed_processed(self, feed_url: str, **_: Any) -> None:
        try:
            self.cluster.feed_done(feed_url)
            self.runtime.run_feeds = self.cluster.feeds_progress()
        except Exception:  # only the progress line counts on it
            logger.exception("Could not mark feed %s done in Redis", feed_url)

    def _wake_engine(self) -> None:
        # The engine polls an idle scheduler on a 5 s heartbeat (ExecutionEngine.
        # _SLOT_HEARTBEAT_INTERVAL); no public API wakes it, so schedule its next call.
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def _inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)

    def spider_idle(self, spider: Any) -> None:
        for name, count in self.cluster.reclaim_dead().items():
            logger.warning("Worker %s is gone; put back its %d in-flight requests", name, count)
            self._inc("distributed/reclaimed_requests", count)
        self.cluster.set_idle()
        if not self.cluster.done():
            self.waiting = True
            raise DontCloseSpider("other workers are still busy")
        self.runtime.finished = True

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.beat.running:
            self.beat.stop()
        try:
            requeued = self.cluster.release(finished=self.runtime.finished)
            if requeued:
                logger.warning("Closed before the run was done: put back %d requests", requeued)
            self.cluster.leave()
        finally:
            self.runtime.server.close()


class RunStartMiddleware:
    """Only the run's first worker sends the feed requests; the others take requests from the
    shared queue."""

    def __init__(self, crawler: Crawler, runtime: WorkerRuntime) -> None:
        self.crawler = crawler
        self.runtime = runtime

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunStartMiddleware:
        return cls(crawler, worker_runtime(crawler))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        run = self.runtime.cluster.run
        if run is None or not run.first:
            logger.info("The feeds of this run are queued by its first worker")
            return
        async for item_or_request in start:
            yield item_or_request
        # Adaptive polling has chosen the feeds by now (feeds/not_due).
        self.runtime.cluster.set_feeds_total(listed_feeds(self.crawler))
