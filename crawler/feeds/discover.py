"""Feed discovery for a site's homepage. Pure.

``find_candidates`` reads a homepage for feed candidates; ``SiteDiscovery`` decides, for one
site, which candidate URLs to try next. The spider fetches each candidate and tells
``SiteDiscovery`` whether it parsed as a feed (RSS, Atom or JSON Feed). Stages, in order; the
first stage that yields at least one feed ends the discovery:

0. ``direct``: the site URL is itself a feed: its answer parses as one (``site_is_feed``).
   Only an answer that does not look like HTML (``looks_like_html``) is tried as a feed.
1. ``alternate``: ``<link rel="alternate">`` (or ``rel="feed"``) of an RSS, Atom, RDF or JSON
   Feed type in the page; every one that parses is crawled (sites list section feeds here).
   Comment feeds are left out.
2. ``common``: the usual locations (``COMMON_PATHS``, relative to the homepage's directory),
   tried one at a time; the first that parses is crawled (they are usually aliases).
3. ``body``: links in the page that look like feeds (``.rss``, ``/feed``, ``rss.xml`` ...);
   every one that parses is crawled.

At most ``max_candidates`` URLs per stage (the others are counted in ``over_limit``). When no
stage yields a feed, the spider reads the site's robots.txt for ``Sitemap:`` lines
(``crawler.feeds.sitemap``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from crawler.encoding import decode_page
from crawler.urls import dedupe_key, resolve_link

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/x.atom+xml",
        "application/x-atom+xml",
        "application/xml",
        "text/xml",
        "application/rss",
        "text/rss+xml",
    }
)
# application/json alone is left out: WordPress advertises its REST API with it.
COMMON_PATHS = (
    "feed",
    "rss",
    "feed.xml",
    "rss.xml",
    "atom.xml",
    "index.xml",
    "feeds",
    "feed.json",
)
STAGES = ("direct", "alternate", "common", "body")
_COMMENTS = re.compile(r"comment|kommentar|commentaire", re.IGNORECASE)
# "rss.xml", "feed-news.json" (a feed word in a last segment ending .xml or .json) is checked in
# _feedish_path without a regex: "(rss|feed|atom)[^/]*\.(xml|json)$" scans to the end of the
# segment from every feed word in it, quadratic in a path of "rssrssrss...".
_FEEDISH_PATH = re.compile(
    r"(\.(rss|rdf|atom)$|/(feed|rss|atom)/?$|^/(rss|feeds?)/[^/]+$)",
    re.IGNORECASE,
)
_FEED_WORDS = ("rss", "feed", "atom")
_FEEDISH_QUERY = re.compile(r"(^|&)(feed|format|type)=(rss|rss2|atom|xml)\b", re.IGNORECASE)
MAX_HOMEPAGE_BYTES = 4 * 1024 * 1024
HTML_SNIFF_BYTES = 16384
_ASCII_SPACE = b" \t\n\r\f\v"  # what the bytes pattern \s matches
_HTML_ROOT = re.compile(rb"<(?:!doctype[ \t\n\r\f\v]+html|html)[ \t\n\r\f\v>]", re.IGNORECASE)


@dataclass
class Candidates:
    """What a homepage offers: declared feeds and feed-looking links, absolute, in page order."""

    alternates: list[str] = field(default_factory=list)
    body_links: list[str] = field(default_factory=list)


def looks_like_html(body: bytes) -> bool:
    """The body starts as an HTML document (``<!DOCTYPE html>`` or ``<html>``), so it is no
    feed: a homepage needs no feed parse. Anything else may be a feed and is parsed as one."""
    # A loop, not one regex: "(?:\\s|<\\?xml[^>]*>|<!--.*?-->)*" can split "<!----><!---->..."
    # into comments in exponentially many ways, and 40 of them hung the crawl.
    head = body[:HTML_SNIFF_BYTES]
    position = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while position < len(head) and head[position] in _ASCII_SPACE:
            position += 1
        if head.startswith(b"<?xml", position):
            end = head.find(b">", position + 5)
        elif head.startswith(b"<!--", position):
            end = head.find(b"-->", position + 4)
            end = end + 2 if end >= 0 else -1
        else:
            break
        if end < 0:
            return False
        position = end + 1
    return _HTML_ROOT.match(head, position) is not None


def find_candidates(body: bytes, page_url: str, content_type: str | None = None) -> Candidates:
    """Feed candidates of an HTML page; a page that does not parse gives none. Linear in the
    page: a homepage may declare tens of thousands of feeds."""
    # Decoded as article pages are (an encoding label no browser reads is ignored).
    text = decode_page(body[:MAX_HOMEPAGE_BYTES], content_type).text
    if not text.strip():
        return Candidates()
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return Candidates()
    base = _base_url(tree, page_url)
    # Insertion-ordered sets: page order, each URL once.
    alternates: dict[str, None] = {}
    body_links: dict[str, None] = {}
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        if not ({"alternate", "feed"} & set(rel)) or "stylesheet" in rel:
            continue
        if kind not in FEED_TYPES and not (kind == "" and "feed" in rel):
            continue
        if _COMMENTS.search(link.get("title") or "") or _COMMENTS.search(link.get("href") or ""):
            continue
        url, _ = resolve_link(link.get("href"), base)
        if url is not None:
            alternates.setdefault(url)
    for anchor in tree.iter("a"):
        href = anchor.get("href")
        if not href or _COMMENTS.search(href):
            continue
        kind = (anchor.get("type") or "").split(";")[0].strip().lower()
        url, _ = resolve_link(href, base)
        if url is None:
            continue
        parts = urlsplit(url)
        if kind in FEED_TYPES or _feedish_path(parts.path) or _FEEDISH_QUERY.search(parts.query):
            body_links.setdefault(url)
    return Candidates(list(alternates), list(body_links))


def _feedish_path(path: str) -> bool:
    """A path that looks like a feed's: ``.rss``, ``/feed``, ``rss.xml``, ``/feeds/x``..."""
    if _FEEDISH_PATH.search(path):
        return True
    last = path.rpartition("/")[2].lower()
    for extension in (".xml", ".json"):
        if last.endswith(extension):
            stem = last[: -len(extension)]
            return any(word in stem for word in _FEED_WORDS)
    return False


def _base_url(tree: etree._Element, page_url: str) -> str:
    for base in tree.iter("base"):
        url, _ = resolve_link(base.get("href"), page_url)
        if url is not None:
            return url
    return page_url


def common_locations(page_url: str) -> list[str]:
    """The usual feed URLs, relative to the homepage's directory (``/blog/`` gives
    ``/blog/feed``)."""
    return [urljoin(page_url, path) for path in COMMON_PATHS]


@dataclass
class FoundFeed:
    url: str
    stage: str
    title: str | None = None
    format: str | None = None
    entries: int = 0


@dataclass
class SiteDiscovery:
    """The discovery state of one site. ``next_candidates`` gives the URLs to fetch now;
    ``candidate_done`` records each outcome. ``finished`` is set once a stage yielded a feed
    or every stage is exhausted; ``found`` then lists the feeds (empty: no feed)."""

    site_url: str
    max_candidates: int
    stages: dict[str, list[str]] = field(default_factory=dict)
    stage_index: int = 0
    pending: set[str] = field(default_factory=set)
    tried: set[str] = field(default_factory=set)
    found: list[FoundFeed] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # candidate URL -> reason
    finished: bool = False
    order: dict[str, int] = field(default_factory=dict)  # candidate URL -> position tried
    # Candidates of each stage past ``max_candidates``: stage -> count.
    past_limit: dict[str, int] = field(default_factory=dict)

    @property
    def feeds(self) -> list[FoundFeed]:
        """The feeds found, in the order their candidates were tried (not of the answers)."""
        return sorted(self.found, key=lambda feed: self.order.get(feed.url, 0))

    def site_is_feed(self, feed: FoundFeed) -> None:
        """The site URL answered with a feed: that is the site's feed (stage ``direct``) and
        discovery ends."""
        self.order[feed.url] = len(self.order)
        self.tried.add(dedupe_key(feed.url))
        self.found.append(feed)
        self.finished = True

    def homepage(self, page_url: str, candidates: Candidates) -> None:
        found = {
            "alternate": candidates.alternates,
            "common": common_locations(page_url),
            "body": candidates.body_links,
        }
        self.stages = {stage: urls[: self.max_candidates] for stage, urls in found.items()}
        self.past_limit = {
            stage: len(urls) - self.max_candidates
            for stage, urls in found.items()
            if len(urls) > self.max_candidates
        }

    @property
    def over_limit(self) -> dict[str, int]:
        """Candidates left untried for the limit, in the stages the search reached (a stage
        after the one that found feeds was never needed)."""
        reached = STAGES[: self.stage_index + 1]
        return {stage: n for stage, n in self.past_limit.items() if stage in reached}

    @property
    def stage(self) -> str:
        return STAGES[min(self.stage_index, len(STAGES) - 1)]

    def next_candidates(self, known: set[str]) -> list[str]:
        """URLs to fetch now. ``known`` holds the dedupe keys of feeds already crawled in this
        run: such a candidate is not fetched again, and counts as found."""
        while not self.finished:
            if self.pending:
                return []
            queue = self.stages.get(self.stage, [])
            batch: list[str] = []
            while queue and (self.stage != "common" or not batch):
                url = queue.pop(0)
                key = dedupe_key(url)
                if key in self.tried:
                    continue
                self.tried.add(key)
                self.order[url] = len(self.order)
                if key in known:
                    self.found.append(FoundFeed(url, self.stage))
                    if self.stage == "common":
                        queue.clear()  # the first common location that works is enough
                    continue
                batch.append(url)
            if batch:
                self.pending.update(batch)
                return batch
            if self.found or self.stage_index >= len(STAGES) - 1:
                self.finished = True
            else:
                self.stage_index += 1
        return []

    def candidate_done(self, url: str, feed: FoundFeed | None, reason: str | None = None) -> None:
        self.pending.discard(url)
        if feed is not None:
            self.found.append(feed)
            if self.stage == "common":
                self.stages["common"].clear()
        else:
            self.rejected[url] = reason or "not_a_feed"
