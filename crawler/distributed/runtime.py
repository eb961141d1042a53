"""The distributed state of one worker process, shared by its Scrapy components."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Collection, Iterable
from weakref import WeakKeyDictionary

import redis
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.config import CrawlerConfig
from crawler.storage.redis_cluster import RedisCluster
from crawler.storage.redis_state import RedisStateStore

# Request.meta key: which of this process's popped requests (``InflightRequests``) a response
# answers.
INFLIGHT_TOKEN = "newscrawler_inflight"


class InflightRequests:
    """The requests this worker popped and not yet released, pure: no Scrapy, no Redis.

    ``popped`` registers a request with its encoded form (its field in the hash);
    ``article_buffered`` and ``articles_written`` follow its articles through the writer's
    batch; ``completed`` hands back the encoded requests that can leave the hash. An article
    of unknown origin (``token`` ``None``) holds every release back until it is written."""

    def __init__(self) -> None:
        self._tokens = itertools.count(1)
        self._popped: dict[int, tuple[object, bytes]] = {}
        self._live = Counter[bytes]()  # one encoded request may be popped twice (re-queued)
        self._unwritten = Counter[int | None]()
        self._buffered: dict[str, list[int | None]] = {}  # source URL -> tokens
        # The article that fills a batch is written before it counts as scraped.
        self._written_first = Counter[str]()

    def __len__(self) -> int:
        return len(self._popped)

    def popped(self, request: object, encoded: bytes) -> int:
        token = next(self._tokens)
        self._popped[token] = (request, encoded)
        self._live[encoded] += 1
        return token

    def article_buffered(self, token: int | None, url: str) -> None:
        if self._written_first[url]:
            self._written_first[url] -= 1
            if not self._written_first[url]:
                del self._written_first[url]
            return
        self._buffered.setdefault(url, []).append(token)
        self._unwritten[token] += 1

    def articles_written(self, urls: Iterable[str]) -> None:
        for url in urls:
            tokens = self._buffered.get(url)
            if not tokens:
                self._written_first[url] += 1
                continue
            token = tokens.pop(0)
            if not tokens:
                del self._buffered[url]
            self._unwritten[token] -= 1
            if not self._unwritten[token]:
                del self._unwritten[token]

    def completed(self, in_progress: Collection[object]) -> list[bytes]:
        """Forget the requests the engine is done with (not in ``in_progress``) and whose
        articles are all written; returns those that no other live token shares."""
        if self._unwritten[None]:
            return []
        done = [
            token
            for token, (request, _) in self._popped.items()
            if request not in in_progress and not self._unwritten[token]
        ]
        released = []
        for token in done:
            _, encoded = self._popped.pop(token)
            self._live[encoded] -= 1
            if not self._live[encoded]:
                del self._live[encoded]
                released.append(encoded)
        return released


class WorkerRuntime:
    """One Redis connection, this worker's ``RedisCluster`` view, the shared state store and
    the requests it popped (``inflight``); ``finished`` is set once the cluster agreed the run
    is done (a clean end); ``run_feeds``: the run's feeds done by any worker and its number of
    feeds (``None``: not known yet), and ``run_work``: the requests on the shared queue and the
    run's pages per minute, all workers together (``None``: not read yet), as last read from
    Redis, for the progress line."""

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
        self.inflight = InflightRequests()
        self.finished = False
        self.run_feeds: tuple[int, int | None] = (0, None)
        self.run_work: tuple[int, float] | None = None


_runtimes: WeakKeyDictionary[Crawler, WorkerRuntime] = WeakKeyDictionary()


def worker_runtime(crawler: Crawler) -> WorkerRuntime:
    """This crawler's runtime, made on first use; ``NotConfigured`` without ``REDIS_URL``, so
    each distributed component is off in an embedded run."""
    runtime = _runtimes.get(crawler)
    if runtime is None:
        config = CrawlerConfig.from_settings(crawler.settings)
        if config.redis_url is None:
            raise NotConfigured("REDIS_URL is not set")
        runtime = WorkerRuntime(crawler, config)
        _runtimes[crawler] = runtime
    return runtime
