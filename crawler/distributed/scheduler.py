"""DistributedScheduler: scrapy-redis's scheduler with a reliable hand-off.

scrapy-redis pops a request off the shared queue, so a worker killed with SIGKILL loses what it
had popped. Here a pop moves the request, atomically, into the worker's in-flight hash in Redis
(``RedisCluster.pop``); it stays there until its outcome is durable (``InflightRelease``), and
the other workers put it back on the queue if the worker dies (``WorkerMembership``). The
request carries a token (``INFLIGHT_TOKEN`` in its meta) that ties its articles to it.

Also: the worker joins the run when the scheduler opens (the first worker to join queues the
feeds), the dupefilter is per run (``RunDupeFilter``), sees only article requests and lets
redirect hops through, the shared queue is never flushed when a worker closes, and stats are
kept without the ``spider`` argument that Scrapy 2.19 deprecates (scrapy-redis 0.9.1 still
passes it, as in rmax/scrapy-redis#266 for ``engine.crawl``).

Stats: ``scheduler/enqueued/redis``, ``scheduler/dequeued/redis``, ``distributed/requeued_own``;
an article request the run's filter drops (any worker of the run asked for it already) moves
from ``articles/requested`` to ``articles/duplicate_in_run``, as the spider counts an in-run
duplicate on a single machine.
"""

from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.distributed.dupefilter import RunDupeFilter
from crawler.distributed.runtime import INFLIGHT_TOKEN, WorkerRuntime, worker_runtime
from crawler.rights import SITE_RIGHTS_META

logger = logging.getLogger(__name__)


class DistributedScheduler(Scheduler):  # type: ignore[misc]
    runtime: WorkerRuntime
    queue: PriorityQueue
    df: RunDupeFilter

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedScheduler:
        runtime = worker_runtime(crawler)
        scheduler = cls(
            server=runtime.server,
            persist=True,
            queue_key=runtime.cluster.queue_key,
            dupefilter=None,
        )
        scheduler.runtime = runtime
        scheduler.stats = crawler.stats
        scheduler.debug = crawler.settings.getbool("DUPEFILTER_DEBUG")
        return scheduler

    def open(self, spider: Spider) -> None:
        self.spider = spider
        cluster = self.runtime.cluster
        self.queue = PriorityQueue(server=self.server, spider=spider, key=cluster.queue_key)
        run = cluster.join()
        self.df = RunDupeFilter(self.server, key=cluster.dupefilter_key, debug=self.debug)
        logger.info(
            "Worker %s joined run %s%s; %d requests queued",
            cluster.name,
            run.run_id,
            " as its first worker (queues the feeds)" if run.first else "",
            len(self.queue),
        )

    def close(self, reason: str) -> None:
        """Nothing to flush: the queue and the run's dupefilter are shared."""

    def enqueue_request(self, request: Request) -> bool:
        """Queue ``request`` unless it is an article request this run has already queued (on
        any worker): that one is counted as an in-run duplicate and not queued."""
        # Only article requests (the spider marks them with SITE_RIGHTS_META) are filtered,
        # and each one dropped is counted: no other request is dropped uncounted (the spider
        # queues its feeds, sitemaps and site pages once per run, as dont_filter). A redirect
        # hop continues a request the filter already let through: filtered, a page moved to a
        # URL of the same identity (a trailing slash, https) would be lost silently, and a
        # redirect loop would end without its redirect_limit failure.
        article = SITE_RIGHTS_META in request.meta
        hop = "redirect_urls" in request.meta
        if article and not (request.dont_filter or hop) and self.df.request_seen(request):
            self.df.log(request, self.spider)
            # The spider counted it as requested when it made it, not knowing what the other
            # workers asked for; it is an in-run duplicate, as a single machine counts it.
            self.stats.inc_value("articles/requested", -1)
            self.stats.inc_value("articles/duplicate_in_run")
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        data = self.runtime.cluster.pop()
        if data is None:
            return None
        self.stats.inc_value("scheduler/dequeued/redis")
        request: Request = self.queue._decode_request(data)
        request.meta[INFLIGHT_TOKEN] = self.runtime.inflight.popped(request, data)
        return request

    def has_pending_requests(self) -> bool:
        return self.runtime.cluster.queued() > 0

    def __len__(self) -> int:
        return self.runtime.cluster.queued()
