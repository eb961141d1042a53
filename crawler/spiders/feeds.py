"""The ``feeds`` spider: feeds in, one ``ArticlePage`` per new article link out.

Arguments (all declared in ``crawler.arguments``; an unknown one is a ``ConfigError``):
``-a feeds=URL1,URL2`` or ``-a feeds_file=PATH`` (a plain list or OPML); with neither (and
no ``-a sites``/``-a sitemaps``, see ``crawler.spiders.sources``), the bundled
``crawler/default_feeds.txt``. An invalid list stops the crawl before any request.
Parsing, link policy and extraction live in pure modules; this class only wires them.

``-a all_feeds=1`` polls every listed feed, due or not (``crawler.extensions.polling``).

Stats: ``feeds/ok``, ``feeds/not_modified`` (a 304 answer to a conditional GET),
``feeds/failed/<reason>``, ``feeds/entries``,
``feeds/entry_skipped/<reason>``, ``feeds/guid_reused`` (entries whose GUID the feed gives to
other links too: ignored, see ``crawler.feeds.guids``), ``articles/requested``,
``articles/retry_requested`` (entries that failed in an earlier run, requested again after
their feed's entries, also when the feed answered 304), ``articles/duplicate_in_run``,
``articles/failed/<reason>``, ``articles/cancelled`` and ``feeds/cancelled`` (requests
cancelled because the crawl is stopping, ``crawler.extensions.stopping``), ``articles/pages``;
from the feed prescreen ``feeds/gunzipped``, ``feeds/items_over_cap``, ``feeds/truncated``,
``feeds/encoding_replacements``, ``feeds/invalid_char_refs``. Feeds and articles have their own
download size caps (``NEWSCRAWLER_FEED_MAXSIZE_BYTES``, ``NEWSCRAWLER_ARTICLE_MAXSIZE_BYTES``).

Feeds, sitemaps and homepages are parsed in a parse worker process within
``NEWSCRAWLER_PARSE_TIMEOUT_S`` (``crawler.feeds.jobs``): a document over the budget is a failed
feed (or site) ``parse_timeout``, ``parse_crashed`` if its worker died, ``parse_interrupted``
when the crawl was stopped (SIGTERM) while it was parsed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from importlib.resources import as_file
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from twisted.python.failure import Failure

from crawler import signals as news_signals
from crawler.arguments import check_sources_given, check_spider_arguments, flag_argument
from crawler.bounds import MAX_FEED_TAG_CHARS, MAX_TAGS, MAX_TITLE_CHARS
from crawler.config import DEFAULT_FEEDS_FILE, ConfigError, CrawlerConfig, placeholder_contact
from crawler.extensions.polling import due_feeds
from crawler.extensions.state import RunState
from crawler.extraction.pool import (
    ExtractionCrashed,
    ExtractionTimeout,
    WorkerPool,
    prepare_forkserver,
)
from crawler.failures import known_failure_reason
from crawler.feeds import ParsedFeed, newest_first, parse_feed
from crawler.feeds.guids import ignore_reused_guids
from crawler.feeds.jobs import ParseFailed, call, read_feed_list_bounded
from crawler.feeds.lists import FeedListError, feeds_from_argument
from crawler.feeds.opml import ListedFeed
from crawler.feeds.prescreen import FeedLimits
from crawler.items import ArticlePage, FeedEntry
from crawler.rights import SITE_RIGHTS_META
from crawler.spiders.sources import SourceArguments, SourcesMixin
from crawler.storage.state import entry_keys

# Parsing is CPU-bound (feedparser is pure Python, seconds for a large feed; a sitemap may be
# tens of MB of XML) and its input is untrusted: it runs in one worker process, so downloads,
# timeouts and signals go on meanwhile, one document at a time bounds memory, and a document
# over its budget is killed with its worker (crawler/feeds/jobs.py).
PARSE_WORKERS = 1
# How often a parse in progress checks whether the crawl is stopping (SIGTERM).
STOP_POLL_S = 0.2

NOT_A_FEED_HINT = " (if it is a site's page, give it with -a sites= to find its feeds)"

P = ParamSpec("P")
T = TypeVar("T")


def failure_reason(failure: Failure) -> str:
    """A short stats-key reason for a failed download."""
    known = known_failure_reason(failure.value) if failure.value else None
    if known is not None:
        return known
    response = getattr(failure.value, "response", None)
    if response is not None and getattr(response, "status", None):
        return f"http_{response.status}"
    return type(failure.value).__name__


def response_headers(response: Response) -> dict[str, str]:
    headers = {
        key.decode("latin-1").lower(): value.decode("latin-1")
        for key, value in ((k, response.headers.get(k) or b"") for k in response.headers)
    }
    # X-Robots-Tag may come as several lines, each for every crawler or for one
    # (crawler.rights): all of them, one per line, where other fields keep their last line.
    robots = response.headers.getlist("X-Robots-Tag")
    if len(robots) > 1:
        headers["x-robots-tag"] = "\n".join(line.decode("latin-1") for line in robots)
    return headers


class FeedsSpider(SourcesMixin):
    name = "feeds"
    config: CrawlerConfig
    parse_pool: WorkerPool[Any]

    def __init__(
        self,
        feeds: str | None = None,
        feeds_file: str | None = None,
        _parse_timeout_s: float = CrawlerConfig.parse_timeout_s,
        **kwargs: Any,
    ) -> None:
        check_sources_given({"feeds": feeds, "feeds_file": feeds_file, **kwargs})
        sources = SourceArguments.pop(kwargs)
        self.all_feeds = flag_argument("all_feeds", kwargs.pop("all_feeds", None))
        check_spider_arguments(kwargs)
        super().__init__(**kwargs)
        listed: list[ListedFeed] = []
        if feeds and feeds_file:
            raise ConfigError("give either -a feeds= or -a feeds_file=, not both")
        try:
            if feeds:
                self.feed_urls = feeds_from_argument(feeds)
            elif feeds_file or not sources.replaces_default_feeds:
                with as_file(Path(feeds_file) if feeds_file else DEFAULT_FEEDS_FILE) as path:
                    listed = read_feed_list_bounded(path, "feed", _parse_timeout_s)
                if cut := sum(feed.title_cut for feed in listed):
                    self.logger.warning(
                        "%s: feed titles over %d characters cut: %d", path, MAX_TITLE_CHARS, cut
                    )
                if cut := sum(feed.tags_cut for feed in listed):
                    self.logger.warning(
                        "%s: feed categories over %d characters or past %d per feed cut: %d feeds",
                        path,
                        MAX_FEED_TAG_CHARS,
                        MAX_TAGS,
                        cut,
                    )
                self.feed_urls = [feed.url for feed in listed]
            else:
                self.feed_urls = []
        except FeedListError as exc:
            raise ConfigError(str(exc)) from exc
        self.requested_keys: set[str] = set()
        self.reported_feeds: set[str] = set()
        self.init_sources(sources, listed or [ListedFeed(url) for url in self.feed_urls])

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """The User-Agent names the contact set in NEWSCRAWLER_CONTACT, unless the user set
        USER_AGENT explicitly."""
        super().update_settings(settings)
        if settings.getpriority("USER_AGENT") in (None, SETTINGS_PRIORITIES["default"]):
            contact = settings.get("NEWSCRAWLER_CONTACT")
            settings.set("USER_AGENT", f"newscrawler/0.1 ({contact})", priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> FeedsSpider:
        config = CrawlerConfig.from_settings(crawler.settings)
        kwargs["_parse_timeout_s"] = config.parse_timeout_s
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = config
        if spider.config.contact == placeholder_contact() and spider.config.contact in str(
            crawler.settings.get("USER_AGENT")
        ):
            spider.logger.warning(
                "NEWSCRAWLER_CONTACT is still the placeholder %s: site owners cannot reach "
                "you. Set it to your URL or e-mail (-s NEWSCRAWLER_CONTACT=mailto:you@example.org)",
                spider.config.contact,
            )
        if spider.config.redis_url and spider.sources.sites:
            # Discovery keeps each site's progress in the process that fetched its homepage;
            # with a shared queue another worker could get the site's next candidate.
            raise ConfigError(
                "-a sites= (feed discovery) does not run in distributed mode (REDIS_URL): "
                "discover once with -a discover=1 -a export_opml=feeds.opml, then crawl "
                "-a feeds_file=feeds.opml on the workers"
            )
        spider.parse_pool = WorkerPool(PARSE_WORKERS, config.parse_timeout_s, function=call)
        crawler.signals.connect(spider.close_parse_pool, signal=signals.spider_closed)
        # The workers' forkserver imports the extraction code while Scrapy builds the engine
        # (about 1 s each): the pools then start their workers at once.
        prepare_forkserver()
        return spider

    async def close_parse_pool(self) -> None:
        await asyncio.to_thread(self.parse_pool.close)

    def _inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)

    def _feed_outcome(
        self,
        feed_url: str,
        status: str,
        reason: str | None = None,
        entries: int = 0,
        skipped: Counter[str] | None = None,
        truncated: bool = False,
    ) -> None:
        self.reported_feeds.add(feed_url)
        self._inc(
            f"feeds/{status}" if status in ("ok", "not_modified") else f"feeds/failed/{reason}"
        )
        self.crawler.signals.send_catch_log(
            news_signals.feed_processed,
            feed_url=feed_url,
            status=status,
            reason=reason,
            entries=entries,
            skipped=skipped or Counter(),
            truncated=truncated,
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # Adaptive polling: feeds not due yet are left for a later run (feeds/not_due).
        for url in due_feeds(self.crawler, self.feed_urls, self):
            yield self.feed_request(url, self.parse_feed, self.feed_failed, feed_url=url)
        for request in self.source_requests():
            yield request

    def feed_failed(self, failure: Failure) -> None:
        feed_url = failure.request.cb_kwargs["feed_url"]  # type: ignore[attr-defined]
        reason = failure_reason(failure)
        if reason == "cancelled":  # the crawl is stopping (crawler.extensions.stopping)
            self._inc("feeds/cancelled")
            return
        self.logger.warning("Feed %s failed: %s", feed_url, reason)
        self._feed_outcome(feed_url, "failed", reason)

    async def parse_feed(self, response: Response, feed_url: str) -> AsyncIterator[scrapy.Request]:
        with self.feed_guard(feed_url):
            if response.status == 304:  # conditional GET (downloadermiddlewares/conditional)
                self._feed_outcome(feed_url, "not_modified")
                for request in self.retry_requests(feed_url):
                    yield request
                return
            parsed = await self.parse_feed_response(response)
            for request in self.feed_parsed(self.tag_entries(parsed, feed_url), feed_url):
                yield request

    @contextmanager
    def feed_guard(self, feed_url: str) -> Iterator[None]:
        """Whatever raises while a feed is handled, the feed gets its line in the report:
        failed, ``internal_error:<Type>`` (unless its outcome was reported already), and the
        other feeds go on. The error is logged with its traceback: it is a bug to fix."""
        try:
            yield
        except Exception as exc:
            self.logger.exception("Error while handling feed %s", feed_url)
            if feed_url not in self.reported_feeds:
                self._feed_outcome(feed_url, "failed", f"internal_error:{type(exc).__name__}")

    async def parse_feed_response(self, response: Response) -> ParsedFeed:
        """The body parsed as a feed within the feed limits, in a parse worker; a parse that
        failed (over budget, crashed) is a feed with that ``error``."""
        try:
            return await self.in_parser(
                parse_feed, response.body, response.url, response_headers(response), self.limits
            )
        except ParseFailed as exc:
            return ParsedFeed(url=response.url, error=exc.reason)

    @property
    def limits(self) -> FeedLimits:
        return FeedLimits(self.config.feed_maxsize_bytes, self.config.feed_max_items)

    async def in_parser(self, parse: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``parse(*args, **kwargs)`` in a parse worker, within ``NEWSCRAWLER_PARSE_TIMEOUT_S``.
        Raises ``ParseFailed``: ``parse_timeout``, ``parse_crashed``, ``parse_error:<name>``
        (the parser raised), ``parse_interrupted`` (the crawl is stopping: the parse is killed
        rather than awaited, so a SIGTERM never waits for a document's budget). A parse that
        has to wait for the workers to start (the crawl's first feeds) is not interrupted: it
        runs once they are up, within its budget (a feed whose parse had not begun would be
        lost for the run; in distributed mode, its articles queued by no worker)."""
        interruptible = self.parse_pool.up
        task = asyncio.ensure_future(self.parse_pool.run(parse, *args, **kwargs))
        engine = self.crawler.engine
        while not task.done():
            await asyncio.wait({task}, timeout=STOP_POLL_S)
            stopping = engine is not None and not engine.running
            if not task.done() and stopping and interruptible:
                task.cancel()  # pebble kills the worker that runs it
                with contextlib.suppress(BaseException):
                    await task
                raise ParseFailed("parse_interrupted")
        try:
            return cast(T, task.result())
        except ExtractionTimeout as exc:
            raise ParseFailed("parse_timeout", str(exc)) from exc
        except ExtractionCrashed as exc:
            raise ParseFailed("parse_crashed", str(exc)) from exc
        except Exception as exc:
            self.logger.exception("Parser %s failed", getattr(parse, "__name__", parse))
            raise ParseFailed(f"parse_error:{type(exc).__name__}", str(exc)) from exc

    def feed_parsed(self, parsed: ParsedFeed, feed_url: str) -> Iterator[scrapy.Request]:
        """Entries to article requests and the feed's outcome: the path every source takes.
        Each entry is guarded (``entry_requests``), and the whole feed too (``feed_guard``)."""
        with self.feed_guard(feed_url):
            yield from self._feed_parsed(parsed, feed_url)

    def _feed_parsed(self, parsed: ParsedFeed, feed_url: str) -> Iterator[scrapy.Request]:
        for note, count in parsed.counters.items():
            self._inc(f"feeds/{note}", count)
        if parsed.error:
            # A web page given as a feed: its feeds can be found for the user.
            hint = NOT_A_FEED_HINT if parsed.error == "not_a_feed" else ""
            self.logger.warning("Feed %s failed: %s%s", feed_url, parsed.error, hint)
            self._feed_outcome(feed_url, "failed", parsed.error)
            return
        skipped = Counter(parsed.skipped)
        # Entries belong to the feed as the crawl asked for it, also when its server
        # redirected (a feed moved with a 301): the report's line, the history, the retries
        # and the entries left over are all kept by that URL, and a record names it.
        listed = [
            entry if entry.feed_url == feed_url else replace(entry, feed_url=feed_url)
            for entry in parsed.entries
        ]
        trusted, reused = ignore_reused_guids(listed)
        if reused:
            self._inc("feeds/guid_reused", reused)
        # Newest first: NEWSCRAWLER_MAX_ENTRIES_PER_FEED is applied to the entries that need a
        # download, in this order (crawler.spidermiddlewares.seen).
        entries = newest_first(trusted)
        for reason, count in skipped.items():
            self._inc(f"feeds/entry_skipped/{reason}", count)
        self._inc("feeds/entries", len(parsed.entries))
        yield from self.entry_requests(entries, skipped)
        # After the feed's own entries: a listed entry is requested with its current fields.
        yield from self.retry_requests(feed_url, skipped)
        self._feed_outcome(
            feed_url,
            "ok",
            entries=len(parsed.entries),
            skipped=skipped,
            truncated=parsed.truncated,
        )

    def entry_requests(
        self, entries: Iterable[FeedEntry], skipped: Counter[str], retry: bool = False
    ) -> Iterator[scrapy.Request]:
        """The article requests of ``entries``, each entry guarded on its own: one whose link
        cannot become a request (or that fails in any other way) is skipped as
        ``request_error`` (``feeds/entry_skipped/request_error``, counted in ``skipped``) and
        the entries after it go on. An entry whose article this run already requested is
        counted in ``skipped`` as ``duplicate_in_run``."""
        for entry in entries:
            try:
                request = self.article_request(entry)
            except Exception as exc:
                self.logger.warning(
                    "Entry %r of feed %s skipped: %s: %s",
                    entry.link,
                    entry.feed_url,
                    type(exc).__name__,
                    exc,
                )
                self._inc("feeds/entry_skipped/request_error")
                skipped["request_error"] += 1
                continue
            if request is None:
                # Shown in the feed's line: its entry is the article another feed's entry
                # (or its own, listed twice) already requested in this run.
                skipped["duplicate_in_run"] += 1
                continue
            if retry:
                self._inc("articles/retry_requested")
            yield request

    def retry_requests(
        self, feed_url: str, skipped: Counter[str] | None = None
    ) -> Iterator[scrapy.Request]:
        """Requests for the feed's entries whose download failed in an earlier run."""
        entries = RunState.for_crawler(self.crawler).retry_entries(feed_url)
        yield from self.entry_requests(entries, Counter() if skipped is None else skipped, True)

    def article_request(self, entry: FeedEntry) -> scrapy.Request | None:
        """A request for the entry's article, or ``None`` if this run already asked for it.
        Raises what ``scrapy.Request`` raises on a URL it cannot take."""
        keys = set(entry_keys(entry.link, entry.guid, entry.feed_url))
        if keys & self.requested_keys:
            # Remember this entry's other keys too: a later entry may share only its guid.
            self.requested_keys |= keys
            self._inc("articles/duplicate_in_run")
            return None
        request = self._article_request(entry)
        self.requested_keys |= keys
        self._inc("articles/requested")
        return request

    def _article_request(self, entry: FeedEntry) -> scrapy.Request:
        return scrapy.Request(
            entry.link,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"entry": entry},
            # SITE_RIGHTS_META: an article, whose site-level rights signals are looked up.
            meta={"download_maxsize": self.config.article_maxsize_bytes, SITE_RIGHTS_META: None},
            # Embedded mode dedupes above, and Scrapy's filter would silently drop a redirect
            # loop back to the same URL instead of failing it as redirect_limit. In distributed
            # mode the shared per-run filter (keyed by dedupe_key) is what stops two workers
            # fetching the same article, so it must see article requests.
            dont_filter=self.config.redis_url is None,
        )

    def article_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        if reason == "cancelled":  # not a failure of the page: the crawl is stopping
            self._inc("articles/cancelled")
            return
        self.logger.info("Article %s failed: %s", failure.request.url, reason)  # type: ignore[attr-defined]
        self._inc(f"articles/failed/{reason}")
        entry = failure.request.cb_kwargs["entry"]  # type: ignore[attr-defined]
        self.crawler.signals.send_catch_log(news_signals.article_failed, entry=entry, reason=reason)

    def parse_article(self, response: Response, entry: FeedEntry) -> Iterator[ArticlePage]:
        self._inc("articles/pages")
        meta = response.meta
        yield ArticlePage(
            url=response.url,
            body=response.body,
            headers=response_headers(response),
            entry=entry,
            # With WARC capture, the archived response's WARC-Date (crawler.downloadermiddlewares
            # .warc), so re-extracting the archive gives the same fetched_at.
            fetched_at=meta.get("warc_fetched_at")
            or datetime.now(UTC).isoformat(timespec="seconds"),
            warc_file=meta.get("warc_file"),
            warc_record_id=meta.get("warc_record_id"),
            site_rights=meta.get(SITE_RIGHTS_META),
        )
