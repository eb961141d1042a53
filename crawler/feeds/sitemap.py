"""Sitemaps, Google News sitemaps and sitemap indexes as article sources. Pure.

``parse_sitemap`` reads a ``<urlset>`` into ``FeedEntry`` values (inside a ``ParsedFeed``, so
sitemaps take the same path as feeds) and a ``<sitemapindex>`` into the child sitemaps to
fetch. Scrapy's own sitemap reader drops the ``news:`` extension, so we parse with lxml:

- ``loc`` goes through the feed link policy (``resolve_link``); ``news:title`` becomes the
  entry title, ``news:publication_date`` its published date (``lastmod`` its updated date),
  ``news:keywords`` its tags and ``news:publication/news:language`` its language;
- only entries dated within ``max_age`` are kept; the others are skipped as ``too_old``, and
  entries without any date as ``undated`` (a general sitemap lists a site's whole history);
- index children whose ``lastmod`` is older than ``max_age`` are skipped as ``too_old``
  (nothing in them changed since); the rest are returned newest first;
- of the entries (or children) left, the ``max_items`` newest are kept
  (``NEWSCRAWLER_FEED_MAX_ITEMS``, as for a feed); the others are skipped as ``over_limit``,
  and an urlset's are counted as ``items_over_cap``. A sitemap may list 200,000 recent URLs:
  each kept entry becomes a request on the crawl's own thread;
- a gzip body (by magic bytes: a ``.gz`` served without ``Content-Encoding`` arrives
  compressed) is inflated with a cap of ``max_bytes``; a larger document is refused.

Safety: no DTD, no entities, no network, ``huge_tree`` off (``crawler.feeds.xmlsafe``); the
document is read incrementally and each finished element freed. A document truncated mid-entry
keeps its complete entries (the rest is counted as ``truncated``).

Errors (``ParsedFeed.error``): ``gzip_too_large``, ``gzip_error``, ``too_large``,
``doctype_refused``, ``not_a_sitemap``.
"""

from __future__ import annotations

import heapq
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree
from protego import Protego

from crawler.feeds.compressed import DecompressError, gunzip_capped, is_gzip
from crawler.feeds.parse import ParsedFeed
from crawler.feeds.prescreen import DEFAULT_LIMITS
from crawler.feeds.xmlsafe import SAFE_OPTIONS, UnsafeXML, localname, refuse_dtd
from crawler.items import FeedEntry
from crawler.textnorm import clean_text, to_iso8601
from crawler.urls import resolve_link

ROBOTS_MAX_BYTES = 512 * 1024  # Google reads the first 500 KiB of a robots.txt
MAX_ROBOTS_SITEMAPS = 20


@dataclass
class ParsedSitemap:
    """``feed`` holds the entries (urlset) or the error; ``children`` the sitemaps an index
    lists, newest first; skipped children are counted in ``feed.skipped``."""

    feed: ParsedFeed
    children: list[str] = field(default_factory=list)

    @property
    def is_index(self) -> bool:
        return self.feed.format == "sitemapindex"


def parse_sitemap(
    body: bytes,
    url: str,
    *,
    max_bytes: int,
    max_age: timedelta,
    max_items: int = DEFAULT_LIMITS.max_items,
    now: datetime | None = None,
) -> ParsedSitemap:
    feed = ParsedFeed(url=url)
    result = ParsedSitemap(feed)
    try:
        if is_gzip(body):
            body = gunzip_capped(body, max_bytes)
        if len(body) > max_bytes:
            raise DecompressError("too_large")
        refuse_dtd(body)
    except (DecompressError, UnsafeXML) as exc:
        feed.error = str(exc)
        return result
    cutoff = (now or datetime.now(UTC)) - max_age
    reader = _Reader(result, cutoff, max_items)
    try:
        for event, element in etree.iterparse(
            io.BytesIO(body), events=("start", "end"), **SAFE_OPTIONS
        ):
            reader.event(event, element)
    except etree.XMLSyntaxError:
        if reader.root is None or not reader.items:
            feed.error = "not_a_sitemap"
            return result
        feed.skipped.append("truncated")
    if reader.root not in ("urlset", "sitemapindex"):
        feed.error = "not_a_sitemap"
        return result
    over = reader.kept.left_out
    feed.skipped += ["over_limit"] * over
    if reader.root == "sitemapindex":
        feed.format = "sitemapindex"
        children: list[tuple[str, datetime | None]] = reader.kept.in_document_order()
        # Newest first; children without lastmod after the dated ones, in document order.
        dated = sorted(((when, url) for url, when in children if when is not None), reverse=True)
        result.children = [url for _, url in dated]
        result.children += [url for url, when in children if when is None]
    else:
        feed.format = "news-sitemap" if reader.news else "sitemap"
        feed.entries = reader.kept.in_document_order()
        if over:
            feed.counters["items_over_cap"] += over
    return result


class _Newest:
    """The ``size`` newest of the items offered (of equal dates, the first offered), in
    document order, holding no more than ``size`` at a time; ``left_out`` counts the others."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.heap: list[tuple[datetime, int, Any]] = []
        self.offered = 0
        self.left_out = 0

    def offer(self, moment: datetime | None, item: Any) -> None:
        self.offered += 1
        # The heap's first is the oldest (of equal dates, the last offered): dropped first.
        entry = (moment or _UNDATED, -self.offered, item)
        if len(self.heap) < self.size:
            heapq.heappush(self.heap, entry)
        else:
            heapq.heappushpop(self.heap, entry)
            self.left_out += 1

    def in_document_order(self) -> list[Any]:
        return [item for _, _, item in sorted(self.heap, key=lambda entry: -entry[1])]


_UNDATED = datetime.min.replace(tzinfo=UTC)


class _Reader:
    """Turns iterparse events into entries, freeing each ``<url>``/``<sitemap>`` once read."""

    def __init__(self, result: ParsedSitemap, cutoff: datetime, max_items: int) -> None:
        self.result = result
        self.cutoff = cutoff
        self.root: str | None = None
        self.items = 0
        self.news = False
        self.kept = _Newest(max_items)  # entries of an urlset, (link, lastmod) of an index

    def event(self, event: str, element: etree._Element) -> None:
        name = localname(element)
        if event == "start":
            if self.root is None:
                self.root = name
            return
        parent = element.getparent()
        if parent is None or parent.getparent() is not None:
            return  # only the root's direct children are entries
        self.items += 1
        if name == "url" and self.root == "urlset":
            self.url(element)
        elif name == "sitemap" and self.root == "sitemapindex":
            self.sitemap(element)
        element.clear()
        while element.getprevious() is not None:
            del parent[0]

    def sitemap(self, element: etree._Element) -> None:
        fields = {localname(child): child.text for child in element}
        feed = self.result.feed
        link, reason = resolve_link(fields.get("loc"), feed.url)
        if link is None:
            feed.skipped.append(reason or "link_missing")
            return
        lastmod = _moment(to_iso8601(fields.get("lastmod")))
        if lastmod is not None and lastmod < self.cutoff:
            feed.skipped.append("too_old")
            return
        self.kept.offer(lastmod, (link, lastmod))

    def url(self, element: etree._Element) -> None:
        feed = self.result.feed
        fields: dict[str, str | None] = {}
        for child in element:
            child_name = localname(child)
            if child_name == "news":
                self.news = True
                for node in child.iter():
                    fields.setdefault("news:" + localname(node), node.text)
            else:
                fields.setdefault(child_name, child.text)
        link, reason = resolve_link(fields.get("loc"), feed.url)
        if link is None:
            feed.skipped.append(reason or "link_missing")
            return
        published = to_iso8601(fields.get("news:publication_date"))
        updated = to_iso8601(fields.get("lastmod"))
        moment = _moment(published or updated)
        if moment is None:
            feed.skipped.append("undated")
            return
        if moment < self.cutoff:
            feed.skipped.append("too_old")
            return
        if feed.title is None:
            feed.set_title(fields.get("news:name"))
        keywords = (fields.get("news:keywords") or "").split(",")
        tags = tuple(dict.fromkeys(t for t in (clean_text(k) for k in keywords) if t))
        self.kept.offer(
            moment,
            FeedEntry(
                link=link,
                feed_url=feed.url,
                title=clean_text(fields.get("news:title")),
                published=published,
                updated=updated,
                tags=tags,
                language=clean_text(fields.get("news:language")),
                # A day without a time of day stays a day in the record, as for a feed.
                published_raw=clean_text(fields.get("news:publication_date")),
            ),
        )


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def sitemaps_from_robots(body: bytes, robots_url: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt (read with Protego, Scrapy's robots parser),
    resolved against its URL, each once, invalid ones left out. All of them: the caller
    crawls the first ``MAX_ROBOTS_SITEMAPS`` and counts the others."""
    text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
    urls: dict[str, None] = {}  # an insertion-ordered set: linear in the lines
    for raw in Protego.parse(text).sitemaps:
        url, _ = resolve_link(raw, robots_url)
        if url is not None:
            urls.setdefault(url)
    return list(urls)
