"""Sources beyond a feed list, for the ``feeds`` spider: sites (feed discovery), sitemaps,
discover mode and OPML export. Parsing and deciding live in ``crawler.feeds``; this mixin only
turns their results into requests, and hands every feed or sitemap it finds to
``FeedsSpider.feed_parsed``, the path ``-a feeds`` takes (same limits, dedupe, report).

Arguments:

- ``-a sites=URL1,URL2`` / ``-a sites_file=PATH``: fetch each homepage and discover its feeds
  (``crawler.feeds.discover``); a site URL that answers with a feed is that feed (stage
  ``direct``); a site without a feed falls back to the ``Sitemap:`` lines of its robots.txt;
  a site with neither is reported as a failed source (``no_feed_found``), as is a site whose
  homepage fails (its HTTP or network reason).
- ``-a sitemaps=URL1,URL2`` / ``-a sitemaps_file=PATH``: (news) sitemaps or sitemap indexes
  (``crawler.feeds.sitemap``); the file is a plain list, read and checked like a feeds file.
  A sitemap plays the role of a feed: it is the ``feed_url`` of its articles and a line in the
  report; an index's line counts the child sitemaps it scheduled. Settings:
  ``NEWSCRAWLER_SITEMAP_MAX_AGE_DAYS``, ``_MAX_BYTES``, ``_MAX_DEPTH``, ``_MAX_CHILDREN``.
- ``-a discover=1``: nothing is crawled; one JSON line per site is printed on stdout with the
  feeds (and robots.txt sitemaps) found; each site is a line in the report (ok or failed).
- ``-a export_opml=PATH``: at the end of the run, write the configured feeds (with their
  categories) and the discovered ones as OPML; a failure is ``run/opml_export_error``.

Stats: ``sites/requested``, ``sites/with_feeds``, ``sites/with_sitemaps``,
``discovery/candidates/<stage>``, ``discovery/found/<stage>``, ``discovery/rejected/<reason>``,
``discovery/over_limit/<stage>`` (candidates past ``NEWSCRAWLER_DISCOVERY_MAX_CANDIDATES`` in
the stages searched; ``robots_sitemaps``: a robots.txt's ``Sitemap:`` URLs past the first
``MAX_ROBOTS_SITEMAPS``),
``sitemaps/children``, ``sitemaps/children_skipped/<reason>``, and for every sitemap the
``feeds/*`` keys of ``FeedsSpider``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.arguments import flag_argument
from crawler.config import ConfigError
from crawler.extensions.state import RunState
from crawler.feeds.discover import FoundFeed, SiteDiscovery
from crawler.feeds.jobs import ParseFailed, read_homepage
from crawler.feeds.lists import FeedListError, feeds_from_argument, read_feed_list
from crawler.feeds.opml import ListedFeed, render_opml
from crawler.feeds.parse import ParsedFeed
from crawler.feeds.prescreen import FeedLimits
from crawler.feeds.sitemap import (
    MAX_ROBOTS_SITEMAPS,
    ParsedSitemap,
    parse_sitemap,
    sitemaps_from_robots,
)
from crawler.urls import dedupe_key

if TYPE_CHECKING:
    from crawler.config import CrawlerConfig
    from crawler.spiders.feeds import P, T


@dataclass(frozen=True)
class SourceArguments:
    """The spider arguments of this module, validated: an invalid value is a ``ConfigError``
    before any request."""

    sites: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    discover: bool = False
    export_opml: Path | None = None

    @classmethod
    def pop(cls, kwargs: dict[str, Any]) -> SourceArguments:
        """Take this module's arguments out of the spider's ``kwargs``."""
        sites, sites_file = kwargs.pop("sites", None), kwargs.pop("sites_file", None)
        sitemaps, sitemaps_file = kwargs.pop("sitemaps", None), kwargs.pop("sitemaps_file", None)
        export = kwargs.pop("export_opml", None)
        discover = flag_argument("discover", kwargs.pop("discover", None))
        if sites and sites_file:
            raise ConfigError("give either -a sites= or -a sites_file=, not both")
        if sitemaps and sitemaps_file:
            raise ConfigError("give either -a sitemaps= or -a sitemaps_file=, not both")
        try:
            site_urls = (
                feeds_from_argument(sites, "site", "sites")
                if sites
                else [s.url for s in read_feed_list(sites_file, "site")]
                if sites_file
                else []
            )
            sitemap_urls = (
                feeds_from_argument(sitemaps, "sitemap", "sitemaps")
                if sitemaps
                else [s.url for s in read_feed_list(sitemaps_file, "sitemap")]
                if sitemaps_file
                else []
            )
        except FeedListError as exc:
            raise ConfigError(str(exc)) from exc
        export_path = Path(export) if export else None
        if export_path is not None and (
            export_path.is_dir() or not export_path.parent.resolve().is_dir()
        ):
            raise ConfigError(f"-a export_opml: {export} is not a file in an existing directory")
        if discover and not site_urls and export_path is None:
            # Discover mode fetches only sites: without them (or an export) it would do nothing.
            raise ConfigError(
                "-a discover=1 lists the feeds of sites: give -a sites= or -a sites_file= "
                "(or -a export_opml= to write the feed list as OPML)"
            )
        return cls(site_urls, sitemap_urls, discover, export_path)

    @property
    def replaces_default_feeds(self) -> bool:
        """Sites or sitemaps given: the bundled feed list is not crawled with them."""
        return bool(self.sites or self.sitemaps)


class SourcesMixin(scrapy.Spider):
    """Base of ``FeedsSpider`` (a spider class, so these callbacks are spider methods that a
    request queue can serialize). Uses the feed path that ``FeedsSpider`` defines."""

    sources: SourceArguments
    listed_feeds: list[ListedFeed]

    if TYPE_CHECKING:  # defined by FeedsSpider
        config: CrawlerConfig
        feed_urls: list[str]

        def _inc(self, key: str, count: int = 1) -> None: ...

        def _feed_outcome(
            self,
            feed_url: str,
            status: str,
            reason: str | None = None,
            entries: int = 0,
            skipped: Counter[str] | None = None,
            truncated: bool = False,
        ) -> None: ...

        def feed_parsed(self, parsed: ParsedFeed, feed_url: str) -> Iterator[scrapy.Request]: ...

        def retry_requests(
            self, feed_url: str, skipped: Counter[str] | None = None
        ) -> Iterator[scrapy.Request]: ...

        def feed_failed(self, failure: Failure) -> None: ...

        def feed_guard(self, feed_url: str) -> AbstractContextManager[None]: ...

        async def parse_feed_response(self, response: Response) -> ParsedFeed: ...

        async def in_parser(
            self, parse: Callable[P, T], *args: P.args, **kwargs: P.kwargs
        ) -> T: ...

        @property
        def limits(self) -> FeedLimits: ...

    def feed_request(
        self,
        url: str,
        callback: Callable[..., Any],
        errback: Callable[[Failure], Any],
        **cb_kwargs: Any,
    ) -> scrapy.Request:
        """A request for a document that is or may be a feed (a configured feed, a site URL, a
        discovery candidate): downloaded with the feed size cap, never dropped by Scrapy's
        duplicate filter."""
        return scrapy.Request(
            url,
            callback=callback,
            errback=errback,
            dont_filter=True,
            cb_kwargs=cb_kwargs,
            meta={"download_maxsize": self.config.feed_maxsize_bytes},
        )

    def init_sources(self, sources: SourceArguments, listed: list[ListedFeed]) -> None:
        self.sources = sources
        self.listed_feeds = listed
        self.feed_tags = {feed.url: feed.tags for feed in listed if feed.tags}
        self.known_feed_keys = {dedupe_key(url) for url in self.feed_urls}
        self.site_states: dict[str, SiteDiscovery] = {}
        self.site_pages: dict[str, str] = {}
        self.discovered: list[FoundFeed] = []
        self.sitemap_budget: dict[str, int] = {}
        if sources.discover:
            self.feed_urls = []  # discover mode lists feeds, it does not crawl them

    # --- feeds from a feed list ---

    def tag_entries(self, parsed: ParsedFeed, feed_url: str) -> ParsedFeed:
        """Put the feed's categories from the feed list (OPML) on each entry."""
        tags = self.feed_tags.get(feed_url)
        if tags:
            parsed.entries = [replace(entry, source_tags=tags) for entry in parsed.entries]
        return parsed

    def source_requests(self) -> Iterator[scrapy.Request]:
        for site_url in self.sources.sites:
            self._inc("sites/requested")
            # The site URL may be a feed itself.
            yield self.feed_request(
                site_url, self.parse_homepage, self.homepage_failed, site_url=site_url
            )
        if self.sources.discover and self.sources.sitemaps:
            self.logger.info("Discover mode: the sitemaps given are not fetched")
        for url in [] if self.sources.discover else self.sources.sitemaps:
            self.known_feed_keys.add(dedupe_key(url))
            yield self.sitemap_request(url, root=url, depth=0)

    # --- sites: feed discovery ---

    async def parse_homepage(self, response: Response, site_url: str) -> AsyncIterator[Any]:
        """Sniffed and parsed in a parse worker (``crawler.feeds.jobs.read_homepage``): a page
        over the budget fails the site (``parse_timeout``)."""
        # Imported here: crawler.spiders.feeds imports this module.
        from crawler.spiders.feeds import response_headers

        state = SiteDiscovery(site_url, self.config.discovery_max_candidates)
        self.site_states[site_url] = state
        self.site_pages[site_url] = response.url
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        try:
            page = await self.in_parser(
                read_homepage,
                response.body,
                response.url,
                response_headers(response),
                self.limits,
                content_type,
            )
        except ParseFailed as exc:
            self.logger.warning("Site %s: homepage not parsed: %s", site_url, exc)
            for request in self.site_done(site_url, error=exc.reason):
                yield request
            return
        parsed = page.feed
        if parsed is not None:
            # The site URL may be a feed itself: then it is the site's feed, nothing to search.
            self._inc(f"discovery/candidates/{state.stage}")
            if parsed.error is None:
                found = FoundFeed(site_url, state.stage, parsed.title, parsed.format)
                found.entries = len(parsed.entries)
                state.site_is_feed(found)
                for request in self.feed_found(found, parsed):
                    yield request
                for request in self.site_done(site_url):
                    yield request
                return
            self._inc(f"discovery/rejected/{parsed.error}")
            state.rejected[site_url] = parsed.error
        assert page.candidates is not None  # read_homepage's contract
        state.homepage(response.url, page.candidates)
        for request in self.advance_site(site_url):
            yield request

    def homepage_failed(self, failure: Failure) -> Iterator[Any]:
        # Imported here (and below): crawler.spiders.feeds imports this module.
        from crawler.spiders.feeds import failure_reason

        site_url = failure.request.cb_kwargs["site_url"]  # type: ignore[attr-defined]
        yield from self.site_done(site_url, error=failure_reason(failure))

    def advance_site(self, site_url: str) -> Iterator[Any]:
        state = self.site_states[site_url]
        for url in state.next_candidates(self.known_feed_keys):
            self._inc(f"discovery/candidates/{state.stage}")
            yield self.feed_request(
                url, self.parse_candidate, self.candidate_failed, site_url=site_url, feed_url=url
            )
        if state.finished:
            for stage, count in state.over_limit.items():
                self._inc(f"discovery/over_limit/{stage}", count)
            yield from self.site_done(site_url)

    async def parse_candidate(
        self, response: Response, site_url: str, feed_url: str
    ) -> AsyncIterator[Any]:
        state = self.site_states[site_url]
        parsed = await self.parse_feed_response(response)
        if parsed.error:
            self._inc(f"discovery/rejected/{parsed.error}")
            state.candidate_done(feed_url, None, parsed.error)
        else:
            found = FoundFeed(feed_url, state.stage, parsed.title, parsed.format)
            found.entries = len(parsed.entries)
            state.candidate_done(feed_url, found)
            for request in self.feed_found(found, parsed):
                yield request
        for request in self.advance_site(site_url):
            yield request

    def feed_found(self, found: FoundFeed, parsed: ParsedFeed) -> Iterator[scrapy.Request]:
        """Count a site's feed, and crawl it (not in discover mode) unless it is already in
        the run: another site, or ``-a feeds``, may have it."""
        self._inc(f"discovery/found/{found.stage}")
        key = dedupe_key(found.url)
        if key not in self.known_feed_keys:
            self.known_feed_keys.add(key)
            self.discovered.append(found)
            if not self.sources.discover:
                yield from self.feed_parsed(parsed, found.url)

    def candidate_failed(self, failure: Failure) -> Iterator[Any]:
        from crawler.spiders.feeds import failure_reason

        kwargs = failure.request.cb_kwargs  # type: ignore[attr-defined]
        reason = failure_reason(failure)
        self._inc(f"discovery/rejected/{reason}")
        self.site_states[kwargs["site_url"]].candidate_done(kwargs["feed_url"], None, reason)
        yield from self.advance_site(kwargs["site_url"])

    def site_done(self, site_url: str, error: str | None = None) -> Iterator[Any]:
        state = self.site_states.get(site_url)
        if error is None and state is not None and state.found:
            self._inc("sites/with_feeds")
            feeds = [feed.url for feed in state.feeds]
            self.logger.info("Site %s: feeds %s", site_url, ", ".join(feeds))
            self.site_report(site_url, state.feeds, [])
        elif error is None and site_url in self.site_pages:
            # No feed: the site's robots.txt may list sitemaps. Our own request: Scrapy's robots
            # middleware reads robots.txt for permission only.
            yield scrapy.Request(
                urljoin(self.site_pages[site_url], "/robots.txt"),
                callback=self.parse_site_robots,
                errback=self.site_robots_failed,
                dont_filter=True,
                meta={"dont_obey_robotstxt": True},
                cb_kwargs={"site_url": site_url},
            )
        else:
            self.site_failed(site_url, error or "no_feed_found")

    async def parse_site_robots(
        self, response: Response, site_url: str
    ) -> AsyncIterator[scrapy.Request]:
        """The site's robots.txt read for ``Sitemap:`` lines, in a parse worker."""
        try:
            sitemaps = await self.in_parser(sitemaps_from_robots, response.body, response.url)
        except ParseFailed as exc:
            self.site_failed(site_url, exc.reason)
            return
        if not sitemaps:
            self.site_failed(site_url, "no_feed_found")
            return
        if len(sitemaps) > MAX_ROBOTS_SITEMAPS:
            self._inc("discovery/over_limit/robots_sitemaps", len(sitemaps) - MAX_ROBOTS_SITEMAPS)
            sitemaps = sitemaps[:MAX_ROBOTS_SITEMAPS]
        self._inc("sites/with_sitemaps")
        self.logger.info("Site %s: no feed; sitemaps %s", site_url, ", ".join(sitemaps))
        self.site_report(site_url, [], sitemaps)
        if self.sources.discover:
            return
        for url in sitemaps:
            if dedupe_key(url) not in self.known_feed_keys:
                self.known_feed_keys.add(dedupe_key(url))
                yield self.sitemap_request(url, root=url, depth=0)

    def site_robots_failed(self, failure: Failure) -> None:
        self.site_failed(failure.request.cb_kwargs["site_url"], "no_feed_found")  # type: ignore[attr-defined]

    def site_failed(self, site_url: str, reason: str) -> None:
        self.logger.warning("Site %s failed: %s", site_url, reason)
        self._feed_outcome(site_url, "failed", reason)
        if self.sources.discover:
            print(json.dumps({"site": site_url, "error": reason, "feeds": [], "sitemaps": []}))

    def site_report(self, site_url: str, feeds: list[FoundFeed], sitemaps: list[str]) -> None:
        """In discover mode, the site's line on stdout and its ``ok`` line in the report."""
        if not self.sources.discover:
            return
        self._feed_outcome(site_url, "ok", entries=len(feeds) + len(sitemaps))
        record = {
            "site": site_url,
            "error": None,
            "feeds": [
                {"url": f.url, "title": f.title, "format": f.format, "entries": f.entries}
                for f in feeds
            ],
            "sitemaps": sitemaps,
        }
        print(json.dumps(record, ensure_ascii=False), flush=True)

    # --- sitemaps ---

    def sitemap_request(self, url: str, root: str, depth: int) -> scrapy.Request:
        """A sitemap's request: ``NEWSCRAWLER_SITEMAP_MAX_BYTES`` is its download limit, on the
        wire and for ``Content-Encoding`` decompression (a ``.gz`` body is inflated within it
        by ``parse_sitemap``)."""
        return scrapy.Request(
            url,
            callback=self.parse_sitemap,
            errback=self.feed_failed,
            dont_filter=True,
            cb_kwargs={"feed_url": url, "root": root, "depth": depth},
            meta={"download_maxsize": self.config.sitemap_max_bytes},
        )

    async def parse_sitemap(
        self, response: Response, feed_url: str, root: str, depth: int
    ) -> AsyncIterator[scrapy.Request]:
        """Parse a sitemap in a parse worker (up to ``NEWSCRAWLER_SITEMAP_MAX_BYTES`` of XML,
        within ``NEWSCRAWLER_PARSE_TIMEOUT_S``), then, back on the reactor thread, crawl its
        entries like a feed's or schedule an index's children within the depth and count
        limits."""
        with self.feed_guard(feed_url):
            async for request in self._parse_sitemap(response, feed_url, root, depth):
                yield request

    async def _parse_sitemap(
        self, response: Response, feed_url: str, root: str, depth: int
    ) -> AsyncIterator[scrapy.Request]:
        if response.status == 304:  # validators of the last run: unchanged, as for a feed
            self._feed_outcome(feed_url, "not_modified")
            for request in self.retry_requests(feed_url):
                yield request
            return
        config = self.config
        try:
            result = await self.in_parser(
                parse_sitemap,
                response.body,
                response.url,
                max_bytes=config.sitemap_max_bytes,
                max_age=timedelta(days=config.sitemap_max_age_days),
                max_items=config.feed_max_items,
            )
        except ParseFailed as exc:
            result = ParsedSitemap(ParsedFeed(url=response.url, error=exc.reason))
        if not result.is_index:
            for request in self.feed_parsed(self.tag_entries(result.feed, feed_url), feed_url):
                yield request
            return
        # An index keeps no validators: a child sitemap changes while the index stays the same
        # (many sites never update a child's lastmod), and a 304 would schedule no child.
        RunState.for_crawler(self.crawler).note_validators(feed_url, None, None)
        skipped = Counter(result.feed.skipped)
        children = result.children
        if depth >= config.sitemap_max_depth:
            skipped["depth_limit"] += len(children)
            children = []
        budget = self.sitemap_budget.get(root, config.sitemap_max_children)
        # Chosen before the first yield: the budget and the dedupe keys are shared with the
        # other indexes under the same root, whose callbacks may run between our yields.
        scheduled: list[str] = []
        for child in children:
            key = dedupe_key(child)
            if key in self.known_feed_keys:
                skipped["duplicate"] += 1
            elif len(scheduled) >= budget:
                skipped["over_limit"] += 1
            else:
                self.known_feed_keys.add(key)
                scheduled.append(child)
        self.sitemap_budget[root] = budget - len(scheduled)
        self._inc("sitemaps/children", len(scheduled))
        for reason, count in skipped.items():
            self._inc(f"sitemaps/children_skipped/{reason}", count)
        self._feed_outcome(
            feed_url,
            "ok",
            entries=len(scheduled),
            skipped=skipped,
            truncated=result.feed.truncated,
        )
        for child in scheduled:
            yield self.sitemap_request(child, root, depth + 1)

    # --- OPML export ---

    def closed(self, reason: str) -> None:
        """Write ``-a export_opml``. A failure is the stats value ``run/opml_export_error``,
        which the run report shows and turns into exit status 1: Scrapy calls this before the
        report's own ``spider_closed`` handler (the spider connects first, when it is built)."""
        path = self.sources.export_opml
        if path is None:
            return
        feeds = list(self.listed_feeds)
        listed = {dedupe_key(feed.url) for feed in feeds}
        # Discovered feeds in the order of the sites given, not of the answers.
        discovered = {dedupe_key(found.url) for found in self.discovered}
        for site_url in self.sources.sites:
            state = self.site_states.get(site_url)
            for found in state.feeds if state else []:
                key = dedupe_key(found.url)
                if key in discovered and key not in listed:
                    listed.add(key)
                    feeds.append(ListedFeed(found.url, found.title))
        temporary = path.with_name(path.name + ".part")
        try:
            temporary.write_bytes(render_opml(feeds))
            os.replace(temporary, path)
        except Exception as exc:  # never silent: whatever fails, the run says so and exits 1
            self.logger.error("Cannot write OPML export %s: %s", path, exc)
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("run/opml_export_error", f"{path}: {exc}")
            return
        self.logger.info("Wrote %d feeds to %s", len(feeds), path)
