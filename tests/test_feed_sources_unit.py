"""Unit tests for the source parsers: JSON Feed, OPML, sitemaps, gunzip, discovery."""

from __future__ import annotations

import gzip
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.bounds import MAX_FEED_TAG_CHARS, MAX_TAGS, MAX_TITLE_CHARS
from crawler.feeds import parse_feed
from crawler.feeds.compressed import DecompressError, gunzip_capped
from crawler.feeds.discover import (
    COMMON_PATHS,
    Candidates,
    FoundFeed,
    SiteDiscovery,
    find_candidates,
    looks_like_html,
)
from crawler.feeds.jsonfeed import load_capped
from crawler.feeds.lists import FeedListError, read_feed_list
from crawler.feeds.opml import ListedFeed, OPMLError, parse_opml, render_opml
from crawler.feeds.prescreen import FeedLimits
from crawler.feeds.sitemap import parse_sitemap, sitemaps_from_robots
from crawler.spiders.feeds import FeedsSpider
from crawler.urls import dedupe_key
from tests.conftest import DATA

BASE = "http://127.0.0.1:9"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
RECENT = (NOW - timedelta(hours=3)).isoformat()
RECENT2 = (NOW - timedelta(hours=30)).isoformat()
MiB = 1024 * 1024


def load(*parts: str) -> bytes:
    text = DATA.joinpath(*parts).read_text(encoding="utf-8")
    return (
        text.replace("{base}", BASE).replace("{recent}", RECENT).replace("{recent2}", RECENT2)
    ).encode()


# --- JSON Feed ---


def test_json_feed_11_entries_and_skips() -> None:
    parsed = parse_feed(load("feeds", "jsonfeed11.json"), f"{BASE}/feed.json")
    assert parsed.error is None
    assert parsed.format == "jsonfeed11"
    assert parsed.title == "Local Wire (JSON)"
    river, telescope, library = parsed.entries
    assert river.link == f"{BASE}/news/river-cleanup"  # tracking removed
    assert river.guid == "json-1"
    assert river.published == "2024-09-02T08:00:00+00:00"
    assert river.authors == ("Max Mustermann",)
    assert river.tags == ("Environment", "City")
    assert river.summary == "Dozens of volunteers & friends ."
    assert river.language == "en"
    assert telescope.link == f"{BASE}/news/telescope"  # relative, resolved
    assert telescope.guid == "2"  # numeric id accepted
    assert telescope.published == telescope.updated == "2024-09-01T10:00:00+02:00"
    assert telescope.authors == ("Desk",)  # feed-level author
    assert telescope.language == "en-GB"
    assert library.link == f"{BASE}/news/library-hours"  # external_url
    assert parsed.skipped == ["link_missing", "link_scheme", "invalid_item"]


def test_json_feed_10() -> None:
    parsed = parse_feed(load("feeds", "jsonfeed10.json"), f"{BASE}/feed.json")
    assert parsed.format == "jsonfeed10"
    [entry] = parsed.entries
    assert entry.authors == ("Jane Roe",)
    assert entry.tags == ("Transport",)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"version": "1.0", "items": []}', "not_a_feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1"}', "not_a_feed"),
        (
            b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
            "parse_error:JSONDecodeError",
        ),
        (b'{"items": ' + b"[" * 100_000, "parse_error:JSONDecodeError"),  # never closed
        (b'{"a": ' + b"9" * 5000 + b"}", "not_a_feed"),  # a valid JSON number, not a feed
    ],
)
def test_json_feed_errors(body: bytes, error: str) -> None:
    assert parse_feed(body, f"{BASE}/feed.json").error == error


def test_json_feed_items_nested_too_deep_are_skipped() -> None:
    """An item (or a field) nested deeper than the JSON parser's recursion goes is stepped
    over: that item is skipped as too_deep, the others are read (main: RecursionError, the
    whole feed failed). Brackets inside strings do not count."""
    deep = "[" * 100_000 + '"a]\\"}b"' + "]" * 100_000
    body = (
        f'{{"version": "https://jsonfeed.org/version/1.1", "x": {deep}, "items": ['
        f'{{"url": "/news/a"}}, {{"url": "/news/b", "ext": {deep}}}, {deep},'
        '{"url": "/news/c"}]}'
    ).encode()
    parsed = parse_feed(body, f"{BASE}/feed.json")
    assert parsed.error is None
    assert [e.link for e in parsed.entries] == [f"{BASE}/news/a", f"{BASE}/news/c"]
    assert parsed.skipped == ["too_deep", "too_deep"]


def test_json_feed_numbers_are_kept_as_written() -> None:
    """An integer Python refuses to convert (over 4,300 digits) is one item's id, not a failed
    feed; a number (or NaN, which is not JSON) is no link: that item is skipped, the others go
    on."""
    huge = "9" * 5000
    body = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": 12, "items": ['
        f'{{"url": "/news/a", "id": {huge}, "date_published": 1e400}},'
        '{"url": 404}, {"url": NaN, "external_url": 1.5}, {"url": Infinity},'
        '{"url": "/news/b", "id": 1e5, "tags": [7, -0, NaN, "x"], "title": NaN}]}'
    ).encode()
    parsed = parse_feed(body, f"{BASE}/feed.json")
    assert parsed.error is None and parsed.title == "12"
    first, second = parsed.entries
    assert (first.link, first.guid, first.published) == (f"{BASE}/news/a", huge, None)
    assert (second.link, second.guid, second.tags, second.title) == (
        f"{BASE}/news/b",
        "1e5",
        ("7", "-0", "x"),
        None,
    )
    assert parsed.skipped == ["link_missing"] * 3


def test_json_feed_bad_bytes_and_bom() -> None:
    body = b'\xef\xbb\xbf{"version":"https://jsonfeed.org/version/1","items":[{"url":"/a","title":"caf\xe9"}]}'
    parsed = parse_feed(body, f"{BASE}/feed.json")
    assert parsed.error is None
    assert parsed.entries[0].title == "caf\ufffd"


def test_rss_still_parsed_by_feedparser() -> None:
    assert parse_feed(load("feeds", "rss20.xml"), f"{BASE}/rss20.xml").format == "rss20"


# --- OPML ---


def test_opml_nested_categories() -> None:
    feeds = parse_opml(load("opml", "nested.opml"), "nested.opml")
    assert feeds == [
        ListedFeed(f"{BASE}/rss20.xml", "Wire RSS", ("News/World", "Also World")),
        ListedFeed(f"{BASE}/atom10.xml", "Wire Atom", ("News/Science", "Space", "Tech/Gadgets")),
        ListedFeed(f"{BASE}/rss10.xml", "Top-level RDF", ()),
    ]


def test_opml_round_trip() -> None:
    feeds = parse_opml(load("opml", "nested.opml"), "nested.opml")
    assert parse_opml(render_opml(feeds), "export.opml") == feeds


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<opml><body><outline text='x'/></body></opml>", "no feed URLs"),
        (b"<rss version='2.0'/>", "not an OPML document"),
        (b"<opml><body><outline xmlUrl='ftp://a/b'/></body></opml>", ":1: not an http(s) feed URL"),
        # Hosts and ports Scrapy cannot request: an unclosed bracket raised ValueError.
        (b"<opml><body><outline xmlUrl='http://[::1'/></body></opml>", ":1: not an http(s)"),
        (b"<opml><body><outline xmlUrl='http://a:99999/'/></body></opml>", ":1: not an http(s)"),
        (b"<opml><body><outline xmlUrl='http://a/b'>", "not well-formed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<opml><body><outline xmlUrl='http://a/&x;'/></body></opml>",
            "DOCTYPE",
        ),
    ],
)
def test_opml_invalid(body: bytes, message: str) -> None:
    with pytest.raises(OPMLError, match=re.escape(message)):
        parse_opml(body, "f.opml")


def test_feed_file_detects_opml_by_content(tmp_path: Path) -> None:
    opml = tmp_path / "feeds.txt"  # the name says txt; the content decides
    opml.write_bytes(load("opml", "nested.opml"))
    urls = [feed.url for feed in read_feed_list(opml)]
    assert urls == [f"{BASE}/rss20.xml", f"{BASE}/atom10.xml", f"{BASE}/rss10.xml"]
    plain = tmp_path / "plain.opml"
    plain.write_text(f"# list\n{BASE}/a.xml\n")
    assert read_feed_list(plain) == [ListedFeed(f"{BASE}/a.xml")]
    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body></body></opml>")
    with pytest.raises(FeedListError, match="no feed URLs"):
        read_feed_list(broken)


# --- sitemaps ---


def sitemap(body: bytes, url: str = f"{BASE}/news.xml", **kwargs: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {"max_bytes": 4 * MiB, "max_age": timedelta(days=2), "now": NOW}
    options.update(kwargs)
    return parse_sitemap(body, url, **options)  # type: ignore[arg-type]


def test_news_sitemap_entries_and_age_filter() -> None:
    result = sitemap(load("sitemaps", "news.xml"))
    feed = result.feed
    assert feed.error is None and not result.is_index
    assert feed.format == "news-sitemap"
    assert feed.title == "Local Wire"
    harbour, budget = feed.entries
    assert harbour.link == f"{BASE}/story/harbour"
    assert harbour.feed_url == f"{BASE}/news.xml"
    assert harbour.title == "Harbour bridge & ferry reopen"
    assert harbour.published == RECENT
    assert harbour.tags == ("Transport", "Harbour", "City")
    assert harbour.language == "en"
    assert budget.link == f"{BASE}/story/budget"
    assert budget.language == "de"
    assert budget.updated is None
    assert sorted(feed.skipped) == ["link_scheme", "too_old", "too_old", "undated"]


def test_news_sitemap_keeps_its_publication_date_as_written() -> None:
    """As for a feed: a publication day without a time of day stays a day in the record; a
    lastmod alone is no publication date."""
    today = NOW.date().isoformat()
    urls = (
        f"<url><loc>{BASE}/day</loc><news:news><news:publication_date> {today} "
        "</news:publication_date></news:news></url>"
        f"<url><loc>{BASE}/mod</loc><lastmod>{today}</lastmod></url>"
    )
    body = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
    )
    day, modified = sitemap(body.encode()).feed.entries
    assert day.published_raw == today
    assert (modified.published, modified.published_raw) == (None, None)


def test_news_sitemap_publication_name_is_bounded_and_counted() -> None:
    body = load("sitemaps", "news.xml").replace(b"Local Wire", b"Wire " * 100_000)
    feed = sitemap(body).feed
    assert feed.title is not None and feed.title.startswith("Wire Wire")
    assert len(feed.title) <= MAX_TITLE_CHARS and feed.title.endswith("…")
    assert (feed.counters["title_cut"], len(feed.entries)) == (1, 2)


def test_sitemap_age_is_configurable() -> None:
    result = sitemap(load("sitemaps", "news.xml"), max_age=timedelta(hours=12))
    assert [e.link for e in result.feed.entries] == [f"{BASE}/story/harbour"]


def test_sitemap_index_children_newest_first_old_skipped() -> None:
    result = sitemap(load("sitemaps", "index.xml"), url=f"{BASE}/sitemap_index.xml")
    assert result.is_index
    assert result.children == [f"{BASE}/sitemaps/news.xml.gz", f"{BASE}/sitemaps/pages.xml"]
    assert sorted(result.feed.skipped) == ["link_scheme", "too_old"]


def test_sitemap_entries_are_capped_newest_kept() -> None:
    """Of a sitemap's recent entries (or an index's children), only the ``max_items`` newest
    are kept, in document order; the others are skipped as over_limit (an urlset's counted as
    items_over_cap too)."""
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    hours = [5, 1, 9, 3, 1, 7]  # age of each entry; two of the same age
    urls = "".join(
        f"<url><loc>{BASE}/news/{n}</loc><lastmod>{(NOW - timedelta(hours=h)).isoformat()}"
        "</lastmod></url>"
        for n, h in enumerate(hours)
    )
    feed = sitemap(f"<urlset {ns}>{urls}</urlset>".encode(), max_items=3).feed
    assert [e.link.rsplit("/", 1)[1] for e in feed.entries] == ["1", "3", "4"]
    assert (feed.skipped, feed.counters["items_over_cap"]) == (["over_limit"] * 3, 3)
    children = "".join(
        f"<sitemap><loc>{BASE}/s{n}.xml</loc>"
        + (f"<lastmod>{(NOW - timedelta(hours=h)).isoformat()}</lastmod>" if h != 7 else "")
        + "</sitemap>"
        for n, h in enumerate(hours)
    )
    index = sitemap(f"<sitemapindex {ns}>{children}</sitemapindex>".encode(), max_items=4)
    assert index.children == [f"{BASE}/s{n}.xml" for n in (4, 1, 3, 0)]
    assert index.feed.skipped == ["over_limit"] * 2


def test_gzipped_sitemap_and_caps() -> None:
    body = load("sitemaps", "news.xml")
    assert len(sitemap(gzip.compress(body)).feed.entries) == 2
    assert sitemap(gzip.compress(body), max_bytes=1024).feed.error == "gzip_too_large"
    assert sitemap(body, max_bytes=1024).feed.error == "too_large"
    assert sitemap(gzip.compress(body)[:-20]).feed.error == "gzip_error"


def test_gzip_bomb_stopped_at_cap() -> None:
    bomb = gzip.compress(b"\0" * (64 * MiB), compresslevel=9)  # ~64 KB on the wire
    with pytest.raises(DecompressError) as caught:
        gunzip_capped(bomb, MiB)
    assert caught.value.reason == "gzip_too_large"
    assert gunzip_capped(gzip.compress(b"a") + gzip.compress(b"b"), 10) == b"ab"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"<html><body>Not found</body></html>", "not_a_sitemap"),
        (b"", "not_a_sitemap"),
        (b"just text", "not_a_sitemap"),
        (
            b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<urlset><url><loc>&b;</loc></url></urlset>",
            "doctype_refused",
        ),
        (b'<!DOCTYPE urlset SYSTEM "http://127.0.0.1:1/x.dtd"><urlset/>', "doctype_refused"),
    ],
)
def test_sitemap_errors(body: bytes, error: str) -> None:
    assert sitemap(body).feed.error == error


def test_truncated_sitemap_keeps_complete_entries() -> None:
    body = load("sitemaps", "news.xml")
    cut = body.index(b"<url>", body.index(b"/story/budget"))  # inside the third entry
    result = sitemap(body[: cut + 30])
    assert [e.link for e in result.feed.entries] == [
        f"{BASE}/story/harbour",
        f"{BASE}/story/budget",
    ]
    assert "truncated" in result.feed.skipped


def test_plain_sitemap_uses_lastmod() -> None:
    body = f"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{BASE}/a</loc><lastmod>{RECENT}</lastmod></url></urlset>""".encode()
    result = sitemap(body)
    assert result.feed.format == "sitemap"
    [entry] = result.feed.entries
    assert entry.published is None and entry.updated == RECENT


def test_robots_sitemaps() -> None:
    robots = (
        b"User-agent: *\nDisallow: /private\nSitemap: /news-sitemap.xml\n"
        b"sitemap: https://cdn.example.org/s.xml.gz\nSitemap: javascript:x\n"
    )
    assert sitemaps_from_robots(robots, f"{BASE}/robots.txt") == [
        f"{BASE}/news-sitemap.xml",
        "https://cdn.example.org/s.xml.gz",
    ]
    assert sitemaps_from_robots(b"\x00\xff garbage", f"{BASE}/robots.txt") == []


# --- discovery ---


def test_find_candidates() -> None:
    candidates = find_candidates(load("sites", "alternate.html"), f"{BASE}/", "text/html")
    assert candidates.alternates == [f"{BASE}/feeds/main.xml", f"{BASE}/feeds/main.json"]
    assert candidates.body_links == [
        f"{BASE}/rss/sport.xml",
        f"{BASE}/category/world/feed/",
        f"{BASE}/index.php?feed=rss2",
        f"{BASE}/podcast.rss",
    ]


@pytest.mark.parametrize("label", ["zlib", "rot13", "utf-7", "cp037"])
def test_find_candidates_ignores_a_label_no_browser_reads(label: str) -> None:
    """A homepage labelled ``charset=zlib`` made its decoding raise (the site was lost)."""
    body = load("sites", "alternate.html")
    expected = find_candidates(body, f"{BASE}/", "text/html")
    assert find_candidates(body, f"{BASE}/", f"text/html; charset={label}") == expected


@pytest.mark.parametrize("body", [b"", b"\x00\x01\x02", b"{}", b"<html></html>"])
def test_find_candidates_on_junk(body: bytes) -> None:
    assert find_candidates(body, f"{BASE}/") == Candidates()


def test_site_discovery_stages() -> None:
    state = SiteDiscovery(f"{BASE}/", max_candidates=10)
    state.homepage(
        f"{BASE}/", Candidates(alternates=[f"{BASE}/a.xml"], body_links=[f"{BASE}/b.rss"])
    )
    assert state.next_candidates(set()) == [f"{BASE}/a.xml"]
    assert state.next_candidates(set()) == []  # waiting
    state.candidate_done(f"{BASE}/a.xml", None, "http_404")
    common = [f"{BASE}/{path}" for path in COMMON_PATHS]
    # Common locations one at a time, in order.
    assert state.next_candidates(set()) == [common[0]]
    state.candidate_done(common[0], None, "http_404")
    assert state.next_candidates(set()) == [common[1]]
    state.candidate_done(common[1], FoundFeed(common[1], "common"))
    assert state.next_candidates(set()) == []
    assert state.finished
    assert [f.url for f in state.found] == [common[1]]
    assert state.rejected == {f"{BASE}/a.xml": "http_404", common[0]: "http_404"}


def test_site_discovery_falls_through_to_body_then_nothing() -> None:
    state = SiteDiscovery(f"{BASE}/", max_candidates=2)
    state.homepage(
        f"{BASE}/", Candidates(body_links=[f"{BASE}/b.rss", f"{BASE}/c.rss", f"{BASE}/d.rss"])
    )
    for _ in range(2):  # max_candidates common locations
        [url] = state.next_candidates(set())
        state.candidate_done(url, None)
    batch = state.next_candidates(set())
    assert batch == [f"{BASE}/b.rss", f"{BASE}/c.rss"]
    for url in batch:
        state.candidate_done(url, None)
    assert state.next_candidates(set()) == []
    assert state.finished and not state.found
    # Every stage was searched: the candidates past the limit in each are counted.
    assert state.over_limit == {"common": 6, "body": 1}


def test_site_discovery_known_feed_is_not_fetched_again() -> None:
    state = SiteDiscovery(f"{BASE}/", max_candidates=10)
    state.homepage(f"{BASE}/", Candidates(alternates=[f"{BASE}/a.xml", f"{BASE}/b.xml"]))
    assert state.next_candidates({dedupe_key(f"{BASE}/a.xml")}) == [f"{BASE}/b.xml"]
    state.candidate_done(f"{BASE}/b.xml", None)
    assert state.next_candidates(set()) == []
    assert state.finished and [f.url for f in state.found] == [f"{BASE}/a.xml"]


@pytest.mark.parametrize(
    ("body", "html"),
    [
        (b"<!DOCTYPE html><html><head>", True),
        (b"\xef\xbb\xbf \n<!-- cache: hit -->\n<HTML lang='en'>", True),
        (b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml">', True),
        (b"<!doctype HTML PUBLIC '-//W3C//DTD HTML 4.01//EN'>", True),
        (b'<?xml version="1.0"?><rss version="2.0"><channel>', False),
        (b'<feed xmlns="http://www.w3.org/2005/Atom">', False),
        (b'{"version": "https://jsonfeed.org/version/1.1"}', False),
        (b"<htmlish>", False),
        (b"\x1f\x8b\x08\x00", False),  # gzip: parse_feed inflates it
        (b" " * 20_000 + b"x", False),  # no catastrophic backtracking on long whitespace
        (b"<!--" * 4_000, False),
    ],
)
def test_looks_like_html(body: bytes, html: bool) -> None:
    assert looks_like_html(body) is html


def test_site_url_that_is_a_feed_ends_discovery() -> None:
    state = SiteDiscovery(f"{BASE}/rss.xml", max_candidates=10)
    assert state.stage == "direct"
    found = FoundFeed(f"{BASE}/rss.xml", state.stage, "Wire", "rss20", 3)
    state.site_is_feed(found)
    assert state.finished
    assert state.next_candidates(set()) == []
    assert state.feeds == [found]


def test_opml_export_writes_any_title() -> None:
    """Characters XML 1.0 forbids (U+FFFF, controls, lone surrogates) are left out of every
    attribute, so one hostile feed title cannot fail the export."""
    feeds = [
        ListedFeed(f"{BASE}/a.xml", "News \uffff\x01\ud800 today", ("World\ufffe/Europe", "x\x00")),
        ListedFeed(f"{BASE}/b.xml", "\uffff"),
    ]
    listed = parse_opml(render_opml(feeds, "My \x0bfeeds"), "export.opml")
    assert [(f.url, f.title, f.tags) for f in listed] == [
        (f"{BASE}/a.xml", "News today", ("World/Europe", "x")),  # parse_opml folds spaces
        (f"{BASE}/b.xml", f"{BASE}/b.xml", ()),
    ]


def test_json_feed_items_are_capped_without_keeping_them() -> None:
    items = [{"id": str(n), "url": f"/news/{n}"} for n in range(5000)]
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()
    parsed = parse_feed(body, f"{BASE}/feed.json", limits=FeedLimits(max_items=100))
    assert [e.guid for e in parsed.entries] == [str(n) for n in range(100)]
    assert parsed.skipped == ["over_limit"] * 4900
    assert parsed.counters["items_over_cap"] == 4900


@pytest.mark.parametrize(
    "text",
    [
        "{}",
        ' { "a" : [1, 2] , "items" : [ ] , "b": {"items": [1, 2, 3]} } ',
        '{"items": [1, 2, 3, 4], "x": 1}',
        '{"items": 5, "n": [1.50, -0, 1e400, 123456789012345678901234567890]}',
        "[1, 2, 3]",
    ],
)
def test_capped_json_reads_what_json_reads(text: str) -> None:
    document, over = load_capped(text, 2)
    expected = json.loads(text, parse_int=str, parse_float=str)  # numbers kept as written
    if isinstance(expected, dict) and isinstance(expected.get("items"), list):
        over_expected = max(0, len(expected["items"]) - 2)
        expected["items"] = expected["items"][:2]
    else:
        over_expected = 0
    assert (document, over) == (expected, over_expected)


@pytest.mark.parametrize(
    "text", ['{"a":1} x', '{"a" 1}', '{"a":1,}', "{1:2}", '{"items":[1,,2]}', '{"items":[1 2]}']
)
def test_capped_json_refuses_what_json_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        load_capped(text, 2)


def test_opml_titles_are_bounded_like_feed_titles(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A feed list's titles go to the OPML export as a feed's own title does: cut to a record
    title's bound, and the cut said once at startup (a whole list is read before any request)."""
    long = "T" * (MAX_TITLE_CHARS + 500)
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        f"<opml><body><outline text='{long}' xmlUrl='{BASE}/a.xml'/>"
        f"<outline text='Short' xmlUrl='{BASE}/b.xml'/></body></opml>"
    )
    first, second = read_feed_list(opml)
    assert first.title == "T" * (MAX_TITLE_CHARS - 1) + "…" and first.title_cut
    assert (second.title, second.title_cut) == ("Short", False)
    with caplog.at_level(logging.WARNING):
        FeedsSpider(feeds_file=str(opml))
    assert [r.getMessage() for r in caplog.records if "title" in r.getMessage()] == [
        f"{opml}: feed titles over {MAX_TITLE_CHARS} characters cut: 1"
    ]


def test_opml_categories_are_bounded_like_record_tags(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A feed list's categories become each record's ``feed_tags``: every tag (an outline path
    or a ``category`` value) is cut to ``MAX_FEED_TAG_CHARS`` and a feed keeps its first
    ``MAX_TAGS``, also when it is listed in several places; the cut said once at startup."""
    long = "C" * (MAX_FEED_TAG_CHARS + 500)
    many = ",".join(f"c{n}" for n in range(MAX_TAGS + 50))
    half = ",".join(f"d{n}" for n in range(60))
    other = ",".join(f"e{n}" for n in range(60))
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        f"<opml><body><outline text='{long}'><outline text='A' xmlUrl='{BASE}/a.xml' "
        f"category='{long}'/></outline>"
        f"<outline text='B' xmlUrl='{BASE}/b.xml' category='{many}'/>"
        f"<outline text='D' xmlUrl='{BASE}/d.xml' category='{half}'/>"
        f"<outline text='D' xmlUrl='{BASE}/d.xml' category='{other}'/>"
        f"<outline text='E' xmlUrl='{BASE}/e.xml' category='News/World,x'/></body></opml>"
    )
    cut_long = "C" * (MAX_FEED_TAG_CHARS - 1) + "…"
    a, b, d, e = read_feed_list(opml)
    assert (a.tags, a.tags_cut) == ((cut_long,), True)
    assert (b.tags, b.tags_cut) == (tuple(f"c{n}" for n in range(MAX_TAGS)), True)
    assert d.tags == (*(f"d{n}" for n in range(60)), *(f"e{n}" for n in range(40)))
    assert d.tags_cut
    assert (e.tags, e.tags_cut) == (("News/World", "x"), False)
    with caplog.at_level(logging.WARNING):
        FeedsSpider(feeds_file=str(opml))
    assert [r.getMessage() for r in caplog.records if "categor" in r.getMessage()] == [
        f"{opml}: feed categories over {MAX_FEED_TAG_CHARS} characters or past {MAX_TAGS} "
        "per feed cut: 3 feeds"
    ]
