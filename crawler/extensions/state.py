"""RunState: the incremental-run state of one crawl, shared by the components that use it.

Turned on by ``crawler.extensions.state.RunState`` in ``EXTENSIONS`` (it must be built before
the engine, so the lock is taken before any request). At start, in this order:

1. takes the run lock in ``NEWSCRAWLER_STATE_DIR`` (``RunLocked``: the crawl exits 3);
2. checks that ``NEWSCRAWLER_OUTPUT_DIR`` is writable (``OutputError``: exits 1);
3. opens the state store (``crawler.storage.state.open_state_store``), recovers what a killed
   run left behind (``crawler.storage.durable.recover``) and expires old seen records.

During the run the conditional-GET middleware, the seen-articles middleware, the spider, the
revision pipeline and the writer reach it with ``RunState.for_crawler(crawler)``.

An article whose download failed (signal ``article_failed``, after Scrapy's in-run retries)
is recorded at once in the store:

- a transient failure (5xx, 429, 404, timeout, connection error, ...) as a retry record
  (``RetryEntry``): the spider requests it again in the next runs when its feed is processed,
  even when the feed answers 304 (``retry_entries``); after
  ``NEWSCRAWLER_ARTICLE_MAX_ATTEMPTS`` failed runs it is given up;
- a permanent one (``is_permanent_failure``: 410, refused by URL policy or robots.txt,
  too large, ...) is given up at once.

A given-up entry is remembered as settled (``gave_up:<reason>``: not fetched again unless the
feed dates it newer), counted as ``articles/given_up/<reason>`` and sent to the run report
(signal ``article_given_up``). A page dropped for its content
(``crawler.storage.outcomes.CONTENT_DROPS``: too little text, not HTML, ...) is remembered the
same way (``dropped:<reason>``); one on which extraction failed is not, and ends its entry's
retries, except a page whose extraction ran out of time or killed its worker
(``extraction_timeout``, ``extraction_crashed``): that is a failed attempt like a failed
download, retried next run and given up after ``NEWSCRAWLER_ARTICLE_MAX_ATTEMPTS``.

At spider close it stores each feed's health (last status and reason, last success, failed
polls in a row, which a poll the run's stop interrupted neither adds to nor resets) and, for a
feed fully processed in a run that finished, the new ETag / Last-Modified, so the next run asks
"changed since?". Every failed article of such a feed is in the store by then, so the 304
hides nothing; only a failure the store could not record (``state/error``), a document cut off
(a truncated download, wherever the cut fell: the entries after it are missing), or new entries
left for later runs by ``NEWSCRAWLER_MAX_ENTRIES_PER_FEED`` keep the old validators.
Validators are never advanced on a partial run: a killed or interrupted run's feeds are fetched
in full again and their unwritten entries are not lost behind a 304.

Stats: ``state/recovered_files``, ``state/recovered_records``, ``state/recovered_warc_files``,
``state/recovery_discarded``, ``state/expired``, ``state/error``, ``articles/retry_later``
(failures kept for the next run), ``articles/given_up/<reason>``.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from typing import Any
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.crawler import Crawler

from crawler import signals as news_signals
from crawler.config import CrawlerConfig
from crawler.extensions.stopping import run_close_reason
from crawler.items import ArticlePage, FeedEntry
from crawler.pipelines import ArticleDropped
from crawler.polling import interrupted_poll
from crawler.storage.durable import OutputError, check_writable, recover
from crawler.storage.journal import Journal
from crawler.storage.lock import RunLock
from crawler.storage.outcomes import CONTENT_DROPS, feed_key, settled_outcome
from crawler.storage.state import (
    FeedState,
    RetryEntry,
    StateStore,
    entry_keys,
    open_state_store,
    settled_entry,
)

logger = logging.getLogger(__name__)

# 4xx answers that may change on their own: forbidden (often a temporary block), not found (a
# feed often lists a story before its page is published everywhere), timeout, too early, too
# many requests. 410 Gone and the other 4xx are final.
TRANSIENT_CLIENT_ERRORS = frozenset({"http_403", "http_404", "http_408", "http_425", "http_429"})
# Refusals the next run would meet again (robots_unavailable is not one: the next run asks).
PERMANENT_REFUSALS = frozenset(
    {
        "robots_forbidden",
        "too_large",
        "decompressed_too_large",
        "redirect_limit",
        "redirect_malformed",
        "headers_too_large",
        "tdm_reserved",
    }
)
# Drops where our extraction failed on the page: not remembered (another run may succeed), but
# the download worked, so retrying it is over.
EXTRACTION_FAILURES = frozenset({"extraction_error", "extraction_timeout", "extraction_crashed"})
# Extraction failures that cost a whole timeout or a worker each time: counted as failed
# attempts like a failed download (a retry record), so the page is given up after
# NEWSCRAWLER_ARTICLE_MAX_ATTEMPTS runs instead of costing as much every run.
COSTLY_EXTRACTION_FAILURES = frozenset({"extraction_timeout", "extraction_crashed"})


def is_permanent_failure(reason: str) -> bool:
    """True when a download failing for ``reason`` would fail the same way next run."""
    if reason.startswith("urlpolicy_") or reason in PERMANENT_REFUSALS:
        return True
    return reason.startswith("http_4") and reason not in TRANSIENT_CLIENT_ERRORS


def entry_to_json(entry: FeedEntry) -> dict[str, Any]:
    return dataclasses.asdict(entry)


def entry_from_json(fields: dict[str, Any]) -> FeedEntry:
    """The ``FeedEntry`` of a retry record; fields it no longer has are ignored."""
    known = {f.name for f in dataclasses.fields(FeedEntry)}
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in fields.items() if k in known
    }
    return FeedEntry(**values)


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
        # Feeds whose validators stay: a failed article the store could not record, a document
        # cut off (a truncated download), or new entries past NEWSCRAWLER_MAX_ENTRIES_PER_FEED
        # (crawler.spidermiddlewares.seen): a 304 next run would hide them.
        self.incomplete_feeds: set[str] = set()
        # Article requests of each feed sent on and not yet settled (a page or a failure): at a
        # stop, those cancelled or never started (crawler.extensions.polling: "stopped").
        self.open_articles: Counter[str] = Counter()
        self.touched: set[str] = set()
        # Feed entry of each downloaded page, by page URL, until its article is written.
        self.entries: dict[str, FeedEntry] = {}
        # WARC capture (crawler.downloadermiddlewares.warc): fsync and close its files; the
        # writer calls them before committing lines and before emptying the journal.
        self.archive_syncs: list[Callable[[], None]] = []
        self.archive_closes: list[Callable[[], None]] = []

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
        self._set_stat("state/recovered_warc_files", len(recovery.warc_files))
        signals_ = self.crawler.signals
        signals_.connect(self.feed_processed, signal=news_signals.feed_processed)
        signals_.connect(self.request_failed, signal=news_signals.article_failed)
        signals_.connect(self.spider_closed, signal=signals.spider_closed)
        signals_.connect(self.item_dropped, signal=signals.item_dropped)

    def _set_stat(self, key: str, value: int) -> None:
        if value and self.stats is not None:
            self.stats.set_value(key, value)

    def sync_archives(self) -> None:
        for sync in self.archive_syncs:
            sync()

    def close_archives(self) -> None:
        for close in self.archive_closes:
            close()

    def require_store(self) -> StateStore:
        assert self.store is not None, "RunState.start() first"
        return self.store

    # --- what the run learns, applied at close ---

    def note_validators(self, feed_url: str, etag: str | None, last_modified: str | None) -> None:
        self.new_validators[feed_url] = (etag, last_modified)

    def note_touched(self, article_ids: Collection[str]) -> None:
        self.touched.update(article_ids)

    def feed_processed(
        self,
        feed_url: str,
        status: str,
        reason: str | None = None,
        skipped: Mapping[str, int] | None = None,
        truncated: bool = False,
        **_: Any,
    ) -> None:
        self.feed_outcomes[feed_url] = (status, reason)
        # A document cut off between two items or before the first skips no entry, but the
        # entries after the cut are missing all the same.
        if truncated or (skipped and skipped.get("partial_entry")):
            self.incomplete_feeds.add(feed_url)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)

    def retry_entries(self, feed_url: str) -> list[FeedEntry]:
        """The entries of ``feed_url`` whose download failed in an earlier run, to request
        again; an entry known since (written through another link) ends its retries."""
        store = self.require_store()
        entries, known = [], []
        for retry in store.retries(feed_url):
            try:
                entry = entry_from_json(retry.entry)
            except (TypeError, ValueError):
                logger.warning("Unreadable retry record %s dropped", retry.key)
                known.append(retry.key)
                continue
            if store.find(entry_keys(entry.link, entry.guid, entry.feed_url)) is not None:
                known.append(retry.key)
            else:
                entries.append(entry)
        if known:
            store.forget_retries(known)
        return entries

    def request_failed(self, entry: FeedEntry, reason: str) -> None:
        """An article request failed for good in this run (signal ``article_failed``)."""
        self.open_articles[entry.feed_url] -= 1
        self.article_failed(entry, reason)

    def article_failed(self, entry: FeedEntry, reason: str) -> None:
        """Record the failure: a retry for the next run, or the entry given up."""
        keys = entry_keys(entry.link, entry.guid, entry.feed_url)
        try:
            if is_permanent_failure(reason):
                self._give_up(entry, reason, attempts=1)
                return
            store = self.require_store()
            retry = RetryEntry(keys[0], entry.feed_url, entry_to_json(entry), reason)
            attempts = store.record_failure(retry)
            if attempts >= self.config.article_max_attempts:
                self._give_up(entry, reason, attempts)
            else:
                self._inc("articles/retry_later")
        except Exception:
            logger.exception("Cannot record the failure of %s", entry.link)
            self._inc("state/error")
            self.incomplete_feeds.add(entry.feed_url)

    def _give_up(self, entry: FeedEntry, reason: str, attempts: int) -> None:
        keys = entry_keys(entry.link, entry.guid, entry.feed_url)
        outcome = settled_outcome("gave_up", reason, self.config.article_maxsize_bytes)
        keys = (*keys, feed_key(entry.feed_url, keys[0]))  # for `newscrawler forget --feed`
        self.require_store().remember([settled_entry(keys, entry.updated, outcome)])
        logger.warning("Gave up %s after %d failed run(s): %s", entry.link, attempts, reason)
        self._inc(f"articles/given_up/{reason}")
        self.crawler.signals.send_catch_log(
            news_signals.article_given_up, entry=entry, reason=reason, attempts=attempts
        )

    def item_dropped(self, item: Any, exception: BaseException | None = None) -> None:
        """A page or article dropped on its way to the writer needs its feed entry no more; a
        page dropped for its content is remembered, and any page dropped by extraction ends
        its entry's retries (the download worked)."""
        url = item.url if isinstance(item, ArticlePage) else getattr(item, "source_url", None)
        if isinstance(url, str):
            self.entries.pop(url, None)
        reason = exception.reason if isinstance(exception, ArticleDropped) else None
        if not isinstance(item, ArticlePage) or reason is None:
            return
        entry = item.entry
        if reason in COSTLY_EXTRACTION_FAILURES:
            self.article_failed(entry, reason)
            return
        keys = entry_keys(entry.link, entry.guid, entry.feed_url)
        try:
            if reason in CONTENT_DROPS:
                self.remember_drop(entry, reason)
            elif reason in EXTRACTION_FAILURES:
                self.require_store().forget_retries(keys[:1])
        except Exception:
            logger.exception("Cannot remember the dropped page %s", entry.link)
            self._inc("state/error")

    def remember_drop(self, entry: FeedEntry, reason: str) -> None:
        """Remember an entry whose page was dropped for its content: it is not downloaded again
        until the feed updates it (this ends its retries too)."""
        keys = entry_keys(entry.link, entry.guid, entry.feed_url)
        keys = (*keys, feed_key(entry.feed_url, keys[0]))  # for `newscrawler forget --feed`
        outcome = settled_outcome("dropped", reason, self.config.extract_maxsize_bytes)
        self.require_store().remember([settled_entry(keys, entry.updated, outcome)])

    def spider_closed(self, spider: Any, reason: str) -> None:
        store = self.require_store()
        finished = run_close_reason(self.crawler, reason) == "finished"
        try:
            store.save_feeds(self._feed_states(finished=finished))
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
            # A poll the run's stop cut short is not the feed's failure (as for polling and
            # the health page): the count of failures in a row stays as it was.
            failures = previous.consecutive_failures
            if not interrupted_poll(status, reason):
                failures = 0 if healthy else failures + 1
            complete = finished and feed_url not in self.incomplete_feeds
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
                    consecutive_failures=failures,
                    validated_at=validated_at,
                )
            )
        return states
