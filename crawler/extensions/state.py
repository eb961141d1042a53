"""RunState: the incremental-run state of one crawl, shared by the components that use it.

Turned on by ``crawler.extensions.state.RunState`` in ``EXTENSIONS`` (it must be built before
the engine, so the lock is taken before any request). At start, in this order:

1. takes the run lock in ``NEWSCRAWLER_STATE_DIR`` (``RunLocked``: the crawl exits 3);
2. checks that ``NEWSCRAWLER_OUTPUT_DIR`` is writable (``OutputError``: exits 1);
3. opens the state store (``crawler.storage.state.open_state_store``), recovers what a killed
   run left behind (``crawler.storage.durable.recover``) and expires old seen records.

During the run the conditional-GET middleware, the seen-articles middleware, the revision
pipeline and the writer reach it with ``RunState.for_crawler(crawler)``. At spider close it
stores each feed's health and, for a feed fully processed in a run that finished (status ok,
no article download failed), the new ETag / Last-Modified, so the next run asks "changed
since?". Validators are never advanced on a partial run: a killed or interrupted run's feeds
are fetched in full again and their unwritten entries are not lost behind a 304.

Stats: ``state/recovered_files``, ``state/recovered_records``, ``state/recovery_discarded``,
``state/expired``, ``state/error``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from typing import Any
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.crawler import Crawler

from crawler import signals as news_signals
from crawler.config import CrawlerConfig
from crawler.items import ArticlePage, FeedEntry
from crawler.storage.durable import OutputError, check_writable, recover
from crawler.storage.journal import Journal
from crawler.storage.lock import RunLock
from crawler.storage.state import FeedState, StateStore, open_state_store

logger = logging.getLogger(__name__)

_instances: WeakKeyDictionary[Crawler, RunState] = WeakKeyDictionary()


class RunState:
    def __init__(self, crawler: Crawler, config: CrawlerConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.stats = crawler.stats
        self.lock = RunLock(config.state_dir)
        self.journal = Journal(config.state_dir)
        self.store: StateStore | None = None
        self.feed_outcomes: dict[str, tuple[str, str | None]] = {}
        self.new_validators: dict[str, tuple[str | None, str | None]] = {}
        self.feeds_with_failures: set[str] = set()
        self.touched: set[str] = set()
        # Feed entry of each downloaded page, by page URL, until its article is written.
        self.entries: dict[str, FeedEntry] = {}

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> RunState:
        """The crawl's one ``RunState``, started (locked, recovered) on first use."""
        state = _instances.get(crawler)
        if state is None:
            state = cls(crawler, CrawlerConfig.from_settings(crawler.settings))
            state.start()
            _instances[crawler] = state
        return state

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunState:
        return cls.for_crawler(crawler)

    def start(self) -> None:
        try:
            self.lock.acquire()
        except OSError as exc:
            raise OutputError(
                f"cannot use state directory {self.config.state_dir}: {exc.strerror or exc}"
            ) from exc
        try:
            check_writable(self.config.output_dir)
            try:
                self.store = open_state_store(self.config)
                recovery = recover(self.journal, self.store)
                expired = self.store.expire()
            except OSError as exc:
                raise OutputError(
                    f"cannot use state directory {self.config.state_dir}: {exc}"
                ) from exc
        except BaseException:
            self.lock.release()
            raise
        self._set_stat("state/recovered_files", len(recovery.files))
        self._set_stat("state/recovered_records", recovery.remembered)
        self._set_stat("state/recovery_discarded", recovery.discarded)
        self._set_stat("state/expired", expired)
        signals_ = self.crawler.signals
        signals_.connect(self.feed_processed, signal=news_signals.feed_processed)
        signals_.connect(self.article_failed, signal=news_signals.article_failed)
        signals_.connect(self.spider_closed, signal=signals.spider_closed)
        signals_.connect(self.item_dropped, signal=signals.item_dropped)

    def _set_stat(self, key: str, value: int) -> None:
        if value and self.stats is not None:
            self.stats.set_value(key, value)

    def require_store(self) -> StateStore:
        assert self.store is not None, "RunState.start() first"
        return self.store

    # --- what the run learns, applied at close ---

    def note_validators(self, feed_url: str, etag: str | None, last_modified: str | None) -> None:
        self.new_validators[feed_url] = (etag, last_modified)

    def note_touched(self, article_ids: Collection[str]) -> None:
        self.touched.update(article_ids)

    def feed_processed(
        self, feed_url: str, status: str, reason: str | None = None, **_: Any
    ) -> None:
        self.feed_outcomes[feed_url] = (status, reason)

    def article_failed(self, entry: FeedEntry, reason: str) -> None:
        self.feeds_with_failures.add(entry.feed_url)

    def item_dropped(self, item: Any) -> None:
        """A page or article dropped on its way to the writer needs its feed entry no more."""
        url = item.url if isinstance(item, ArticlePage) else getattr(item, "source_url", None)
        if isinstance(url, str):
            self.entries.pop(url, None)

    def spider_closed(self, spider: Any, reason: str) -> None:
        store = self.require_store()
        try:
            store.save_feeds(self._feed_states(finished=reason == "finished"))
            if self.touched:
                store.touch(self.touched)
        except Exception:
            logger.exception("Cannot save the feed state")
            if self.stats is not None:
                self.stats.inc_value("state/error")
        finally:
            store.close()
            self.journal.close()
            self.lock.release()

    def _feed_states(self, *, finished: bool) -> list[FeedState]:
        store = self.require_store()
        now = time.time()
        states = []
        for feed_url, (status, reason) in self.feed_outcomes.items():
            previous = store.feed(feed_url) or FeedState(feed_url)
            etag, last_modified = previous.etag, previous.last_modified
            validated_at = previous.validated_at
            healthy = status in ("ok", "not_modified")
            complete = finished and feed_url not in self.feeds_with_failures
            if status == "ok" and complete and feed_url in self.new_validators:
                etag, last_modified = self.new_validators[feed_url]
                validated_at = now
            states.append(
                FeedState(
                    feed_url=feed_url,
                    etag=etag,
                    last_modified=last_modified,
                    status=status,
                    reason=reason,
                    checked_at=now,
                    last_ok_at=now if healthy else previous.last_ok_at,
                    consecutive_failures=0 if healthy else previous.consecutive_failures + 1,
                    validated_at=validated_at,
                )
            )
        return states
