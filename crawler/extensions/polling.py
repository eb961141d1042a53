"""FeedPolling: the per-feed history of each run and the adaptive polling decision.

A thin adapter over ``crawler.storage.feed_history`` (the rows, ``open_feed_history``) and
``crawler.polling`` (the decision); see docs/feed-health.md. On in both modes: the history is
kept in the state store, ``state.sqlite3`` in ``NEWSCRAWLER_STATE_DIR`` (embedded) or Redis
(distributed, ``REDIS_URL``: ``crawler.storage.redis_feed_history``, shared by the workers).

- At start: opens the history and deletes rows older than ``NEWSCRAWLER_FEED_HISTORY_DAYS``.
- ``due_feeds`` (called by the spider before its first request): the listed feeds a run
  starting now polls. With ``NEWSCRAWLER_ADAPTIVE_POLLING`` off, ``NEWSCRAWLER_POLL_ALL_FEEDS``
  on or ``-a all_feeds=1``, every feed. A feed left out is counted as ``feeds/not_due`` and
  sent to the run report with its due time (signal ``feed_not_due``). In distributed mode only
  the worker that creates the run queues its feeds (``RunStartMiddleware``), so it alone
  decides, once for the run, and its report lists the feeds not due; "now" is the run's start
  (``RedisCluster.started_at``), the time every worker's rows of the run carry.
  A feed whose last run left some of its work for later (``crawler.polling.left_work``) is
  due at once: logged with the reason and counted as ``feeds/due_work_left``.
- During the run: each feed's HTTP status, body size and latency (``response_received``; sent
  on as ``feed_fetched`` for the report, with ``moved_to``, the feed's new URL, when it was
  reached through permanent redirects only, 301 or 308: logged as a warning, counted as
  ``feeds/moved``), its hints (``crawler.polling.feed_hints``), the new
  articles written from it, its failed article downloads, and whether it left work for a
  later run (``FeedRun.work_left``): new entries skipped as ``over_limit`` by
  ``NEWSCRAWLER_MAX_ENTRIES_PER_FEED`` (signal ``entries_skipped``), an entry cut off in a
  truncated document (``partial_entry``), a document cut off between items or before the
  first (``truncated``: the items after the cut are missing), or, in a run that did not
  finish, ``stopped``: its parse was interrupted, an article of it was dropped at
  ``CLOSESPIDER_ITEMCOUNT``, or some of its article requests were cancelled or never started
  (``RunState.open_articles``); any other close reason (an output error) counts every feed
  processed.
- At close: one ``FeedRun`` row per feed processed, at the run's start time. In distributed
  mode each feed's row is written as soon as the feed is processed (it stays if the worker is
  killed later), and at close the worker adds the articles it wrote and its failed downloads,
  per feed, to the feeds' rows, whichever worker fetched them
  (``RedisFeedHistory.add_counts``). A distributed row's ``work_left`` is what is known when
  the feed is processed (``over_limit``, ``partial_entry``, ``truncated``, a parse
  interrupted): a stopped
  worker's article requests go back to the shared queue, which the next run takes them from.

Stats: ``feeds/not_due``, ``feeds/due_work_left``, ``feeds/moved``, ``feeds/history_pruned``,
``feeds/history_error``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler import signals as news_signals
from crawler.config import CrawlerConfig
from crawler.extensions.state import RunState
from crawler.extensions.stopping import is_stop, run_close_reason
from crawler.items import ArticlePage, FeedEntry
from crawler.polling import (
    FeedHints,
    FeedRun,
    PollingRules,
    feed_hints,
    interrupted_poll,
    is_due,
    left_work,
    next_due,
    permanent_redirect_target,
)
from crawler.storage.feed_history import FeedHistoryStore, open_feed_history

if TYPE_CHECKING:  # the distributed extra (redis) may not be installed
    from crawler.storage.redis_feed_history import RedisFeedHistory

logger = logging.getLogger(__name__)

# Runs of a feed read for its decision: enough for the rate window and a long failure streak.
HISTORY_RUNS = 64

_instances: WeakKeyDictionary[Crawler, FeedPolling] = WeakKeyDictionary()


@dataclass
class _Fetch:
    http_status: int | None = None
    bytes: int = 0
    latency_s: float | None = None
    hints: FeedHints | None = None


class FeedPolling:
    def __init__(
        self, crawler: Crawler, config: CrawlerConfig, clock: Callable[[], float] = time.time
    ) -> None:
        self.crawler = crawler
        self.config = config
        self.rules = PollingRules(config.poll_min_interval_s, config.poll_max_interval_s)
        self.started = clock()
        # Distributed: the run's start, known once the worker joined it (``run_at``).
        self._run_at = None if config.redis_url else self.started
        self.history: FeedHistoryStore = open_feed_history(config)
        # Distributed: the same store, with what only Redis does (merging the workers' rows).
        self.shared: RedisFeedHistory | None = None
        if config.redis_url:
            from crawler.storage.redis_feed_history import RedisFeedHistory

            assert isinstance(self.history, RedisFeedHistory)
            self.shared = self.history
        self.fetches: dict[str, _Fetch] = {}
        self.outcomes: dict[str, tuple[str, str | None, int]] = {}
        self.written: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        # Work left for a later run, per feed: "over_limit", "partial_entry", "truncated",
        # "stopped".
        self.work_left: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FeedPolling:
        config = CrawlerConfig.from_settings(crawler.settings)
        polling = cls(crawler, config)
        pruned = polling.history.prune(polling.started - config.feed_history_days * 86400)
        if pruned and crawler.stats is not None:
            crawler.stats.set_value("feeds/history_pruned", pruned)
        connect = crawler.signals.connect
        connect(polling.feed_processed, signal=news_signals.feed_processed)
        connect(polling.response_received, signal=signals.response_received)
        connect(polling.articles_written, signal=news_signals.articles_written)
        connect(polling.article_failed, signal=news_signals.article_failed)
        connect(polling.entries_skipped, signal=news_signals.entries_skipped)
        connect(polling.item_dropped, signal=signals.item_dropped)
        connect(polling.spider_closed, signal=signals.spider_closed)
        _instances[crawler] = polling
        return polling

    @property
    def run_at(self) -> float:
        """The run's start: this process's in embedded mode; in distributed mode the shared
        run's (the same for every worker), once the scheduler has joined it."""
        if self._run_at is None:
            from crawler.distributed.runtime import worker_runtime

            self._run_at = worker_runtime(self.crawler).cluster.started_at()
        return self._run_at

    # --- the decision ---

    def forced(self, spider: Any) -> bool:
        return (
            not self.config.adaptive_polling
            or self.config.poll_all_feeds
            or getattr(spider, "all_feeds", False) is True
        )

    def select(self, feed_urls: Sequence[str], spider: Any) -> list[str]:
        if self.forced(spider):
            return list(feed_urls)
        due = []
        history = self.history.recent(feed_urls, limit=HISTORY_RUNS)
        for url in feed_urls:
            runs = history[url]
            if is_due(runs, self.rules, self.run_at):
                if left := left_work(runs):
                    self._inc("feeds/due_work_left")
                    logger.info("Feed %s due again: its last run left work (%s)", url, left)
                due.append(url)
                continue
            due_at = next_due(runs, self.rules)
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("feeds/not_due")
            logger.info(
                "Feed %s not due before %s", url, time.strftime("%FT%TZ", time.gmtime(due_at))
            )
            self.crawler.signals.send_catch_log(
                news_signals.feed_not_due, feed_url=url, due_at=due_at
            )
        return due

    # --- what the run observes ---

    def response_received(self, response: Response, request: Request, spider: Any) -> None:
        feed_url = request.cb_kwargs.get("feed_url")
        if not isinstance(feed_url, str) or "entry" in request.cb_kwargs:
            return
        fetch = _Fetch(response.status, len(response.body), request.meta.get("download_latency"))
        if response.status == 200:
            fetch.hints = feed_hints(response.body)
        self.fetches[feed_url] = fetch
        moved_to = permanent_redirect_target(
            feed_url, response.url, request.meta.get("redirect_reasons") or []
        )
        if moved_to:
            self._inc("feeds/moved")
            logger.warning("Feed %s has moved to %s: update the feed list", feed_url, moved_to)
        self.crawler.signals.send_catch_log(
            news_signals.feed_fetched,
            feed_url=feed_url,
            http_status=fetch.http_status,
            bytes=fetch.bytes,
            latency_s=fetch.latency_s,
            moved_to=moved_to,
        )

    def feed_processed(
        self,
        feed_url: str,
        status: str,
        reason: str | None = None,
        entries: int = 0,
        skipped: Counter[str] | None = None,
        truncated: bool = False,
        **_: Any,
    ) -> None:
        self.outcomes[feed_url] = (status, reason, entries)
        if interrupted_poll(status, reason):  # the run is stopping: the feed was never read
            self._leave(feed_url, "stopped")
        elif skipped and skipped.get("partial_entry"):
            self._leave(feed_url, "partial_entry")
        elif truncated:  # cut between two items or before the first: no entry was cut
            self._leave(feed_url, "truncated")
        if self.shared is not None:
            # Distributed: the row is written as soon as the feed is processed, so it stays
            # if this worker is killed later; its articles are added at close (``counts``).
            try:
                self.shared.add([self.row(feed_url, counted=False)])
            except Exception:
                logger.exception("Cannot save the feed history of %s", feed_url)
                self._inc("feeds/history_error")

    def articles_written(self, records: list[dict[str, Any]]) -> None:
        self.written.update(str(r.get("feed_url")) for r in records)

    def article_failed(self, entry: FeedEntry, reason: str) -> None:
        self.failures[entry.feed_url] += 1

    def entries_skipped(self, feed_url: str, reason: str, count: int = 1) -> None:
        # Only NEWSCRAWLER_MAX_ENTRIES_PER_FEED sends this reason (crawler.spidermiddlewares
        # .seen); the items past a feed document's item cap come with feed_processed, and a
        # later poll would find them past the cap again.
        if reason == "over_limit":
            self._leave(feed_url, "over_limit")

    def item_dropped(self, item: Any, exception: BaseException | None = None) -> None:
        # The signal carries the item the spider yielded (the page), whatever it became.
        if isinstance(item, ArticlePage) and getattr(exception, "reason", None) == "item_limit":
            self._leave(item.entry.feed_url, "stopped")

    def _leave(self, feed_url: str, why: str) -> None:
        """Note work left; a stop outranks the rest (its leftovers are not only entries)."""
        if self.work_left.get(feed_url) != "stopped":
            self.work_left[feed_url] = why

    def note_stop(self, close_reason: str) -> None:
        """At the close of a run that did not finish (embedded mode): the feeds whose article
        requests were cancelled or never started, or every feed processed when the run ended
        on an error rather than a stop."""
        stopped = is_stop(close_reason)
        open_articles = RunState.for_crawler(self.crawler).open_articles
        for url in self.outcomes:
            if not stopped or open_articles[url] > 0:
                self._leave(url, "stopped")

    def row(self, url: str, *, counted: bool = True) -> FeedRun:
        """This run's history row of a feed processed; without its articles and failed
        downloads unless ``counted``."""
        status, reason, entries = self.outcomes[url]
        fetch = self.fetches.get(url, _Fetch())
        hints = fetch.hints
        if hints is None:  # 304 or failed: the feed's declared pace has not changed
            previous = self.history.runs(url, limit=1)
            hints = previous[-1].hints if previous else FeedHints()
        return FeedRun(
            feed_url=url,
            run_at=self.run_at,
            status=status,
            reason=reason,
            http_status=fetch.http_status,
            entries=entries,
            new_articles=self.written[url] if counted else 0,
            failures=self.failures[url] if counted else 0,
            bytes=fetch.bytes,
            latency_s=fetch.latency_s,
            hints=hints,
            work_left=self.work_left.get(url),
        )

    def rows(self) -> list[FeedRun]:
        """This run's history rows: one per feed processed."""
        return [self.row(url) for url in self.outcomes]

    def counts(self) -> dict[str, tuple[int, int]]:
        """New articles written and failed article downloads, per feed (in distributed mode
        also of feeds another worker fetched)."""
        urls = sorted(set(self.written) | set(self.failures))
        return {url: (self.written[url], self.failures[url]) for url in urls}

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)

    def spider_closed(self, spider: Any, reason: str) -> None:
        reason = run_close_reason(self.crawler, reason)
        try:
            if self.shared is None:
                if reason != "finished":
                    self.note_stop(reason)
                self.history.add(self.rows())
            elif counts := self.counts():
                self.shared.add_counts(self.run_at, counts)
        except Exception:
            logger.exception("Cannot save the feed history")
            self._inc("feeds/history_error")
        finally:
            self.history.close()


def due_feeds(crawler: Crawler, feed_urls: Sequence[str], spider: Any) -> list[str]:
    """The feeds of ``feed_urls`` a run starting now polls (all without ``FeedPolling``)."""
    polling = _instances.get(crawler)
    return list(feed_urls) if polling is None else polling.select(feed_urls, spider)
