"""The distributed state of one worker process, shared by its Scrapy components."""

from __future__ import annotations

from weakref import WeakKeyDictionary

import redis
from scrapy.crawler import Crawler

from crawler.config import CrawlerConfig
from crawler.storage.redis_cluster import RedisCluster
from crawler.storage.redis_state import RedisStateStore


class WorkerRuntime:
    """One Redis connection, this worker's ``RedisCluster`` view and the shared state store;
    ``finished`` is set once the cluster agreed the run is done (a clean end)."""

    def __init__(self, crawler: Crawler, config: CrawlerConfig) -> None:
        assert config.redis_url is not None
        self.config = config
        self.server = redis.Redis.from_url(
            config.redis_url, socket_timeout=30, socket_connect_timeout=30
        )
        self.cluster = RedisCluster(
            self.server,
            spider=crawler.spidercls.name,
            name=config.worker,
            heartbeat_s=config.heartbeat_s,
        )
        self.store = RedisStateStore(self.server, ttl_s=config.seen_ttl_days * 86400)
        self.finished = False


_runtimes: WeakKeyDictionary[Crawler, WorkerRuntime] = WeakKeyDictionary()


def worker_runtime(crawler: Crawler) -> WorkerRuntime:
    runtime = _runtimes.get(crawler)
    if runtime is None:
        runtime = WorkerRuntime(crawler, CrawlerConfig.from_settings(crawler.settings))
        _runtimes[crawler] = runtime
    return runtime
