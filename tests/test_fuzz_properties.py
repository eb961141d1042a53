"""Property-based tests (hypothesis): whatever a feed, a page or a link holds, the pure functions
that read it give a valid result or a reason, never an exception that escapes.

Profiles: the suite runs the ``ci`` profile (derandomized, so every run tries the same
examples, and bounded to about a minute in all). A release check runs the long, randomized one:

    HYPOTHESIS_PROFILE=release .venv/bin/python -m pytest tests/test_fuzz_properties.py
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import scrapy
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crawler import netpolicy
from crawler.feeds.jsonfeed import parse_json_feed
from crawler.feeds.opml import ListedFeed, OPMLError, parse_opml, render_opml
from crawler.feeds.parse import parse_feed
from crawler.feeds.prescreen import FeedLimits, prescreen
from crawler.feeds.sitemap import parse_sitemap
from crawler.storage.jsonl import EncodeError, encode_record
from crawler.urls import MAX_URL_LENGTH, resolve_link

settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "release",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

BASE = "http://127.0.0.1:9/feeds/main.xml"
LINK_REASONS = {
    "link_missing",
    "link_too_long",
    "link_malformed",
    "link_scheme",
    "link_bad_escape",
    "link_userinfo",  # user info in a link, refused with a reason
    "link_invalid",
}

# Pieces that URL parsers treat specially, glued in any order.
URL_PIECES = [
    "http://",
    "https://",
    "HTTP://",
    "//",
    "/",
    "javascript:",
    "file:",
    "data:",
    "mailto:",
    "[",
    "]",
    "::1",
    "::ffff:127.0.0.1",
    "127.0.0.1",
    "0x7f.1",
    "2130706433",
    "example.com",
    "xn--",
    "@",
    "user:pw@",
    ":",
    ":80",
    ":99999",
    ":-1",
    "?",
    "#",
    "&",
    "=",
    "utm_source=x",
    "%",
    "%4",
    "%41",
    "%00",
    "\\",
    " ",
    "\t",
    "\n",
    "\x00",
    "\ud800",
    "\u2028",
    "\u202e",
    "\uffff",
    "é",
    "..",
    ".",
    "a",
]
url_like = st.one_of(
    st.lists(st.sampled_from(URL_PIECES), max_size=12).map("".join),
    st.text(max_size=60),
)


def request_accepts(url: str) -> bool:
    try:
        scrapy.Request(url)
    except Exception:
        return False
    return True


def valid_link(url: str) -> bool:
    """An absolute http(s) URL that ``scrapy.Request`` accepts and JSON can write."""
    parts = urlsplit(url)
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and request_accepts(url)


# --- link resolution (crawler/urls.py) ---


@given(link=url_like, base=st.sampled_from([BASE, "https://example.com/a/b?c=d", "http://h/"]))
@example(link="http://[::1]x/", base=BASE)
@example(link="/\ud800", base=BASE)
def test_resolve_link_gives_a_requestable_url_or_a_reason(link: str, base: str) -> None:
    url, reason = resolve_link(link, base)
    if url is None:
        assert reason in LINK_REASONS
    else:
        assert reason is None
        assert len(url) <= MAX_URL_LENGTH + 64
        assert valid_link(url), url


@given(link=url_like)
def test_resolve_link_never_raises(link: str) -> None:
    url, reason = resolve_link(link, BASE)
    assert (url is None) != (reason is None)


# --- URL policy (crawler/netpolicy.py) ---


@given(url=url_like)
@example(url="http://0x7f.1/")
@example(url="http://[::ffff:127.0.0.1]/")
def test_check_url_gives_none_or_a_reason(url: str) -> None:
    reason = netpolicy.check_url(url)
    assert reason is None or (isinstance(reason, str) and reason)
    if reason is None:
        # Allowed: http(s) with a host that is no loopback/private IP literal.
        parts = urlsplit(url.strip())
        assert parts.scheme.lower() in ("http", "https")
        ip = netpolicy.parse_ip(parts.hostname or "")
        assert ip is None or netpolicy.address_reason(ip) is None


@given(host=url_like, address=st.one_of(st.ip_addresses().map(str), st.text(max_size=40)))
def test_check_address_gives_none_or_a_reason(host: str, address: str) -> None:
    reason = netpolicy.check_address(host, address)
    assert reason is None or isinstance(reason, str)


@given(host=st.text(alphabet="0123456789abcdefxX.:[]%", max_size=40))
def test_parse_ip_never_raises(host: str) -> None:
    netpolicy.parse_ip(host)


# --- feed prescreen and parsing (crawler/feeds/) ---

XML_PIECES = [
    b'<?xml version="1.0"?>',
    b'<?xml version="1.0" encoding="utf-16"?>',
    b"<?xml encoding='latin-1'?>",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x1f\x8b\x08\x00",
    b'<rss version="2.0">',
    b"</rss>",
    b"<channel>",
    b"</channel>",
    b"<title>",
    b"</title>",
    b'<feed xmlns="http://www.w3.org/2005/Atom">',
    b"</feed>",
    b"<item>",
    b"</item>",
    b"<entry>",
    b"</entry>",
    b"<link>",
    b"</link>",
    b'<link href="',
    b'"/>',
    b"http://127.0.0.1/a",
    b"http://[::1]x/",
    b"javascript:x",
    b"<guid>1</guid>",
    b"<pubDate>Tue, 03 Sep 2024 08:00:00 GMT</pubDate>",
    b"<![CDATA[",
    b"]]>",
    b"<!DOCTYPE rss",
    b"[",
    b"]",
    b">",
    b"<!ENTITY x 'y'>",
    b"&x;",
    b"&#xD800;",
    b"&#x110000;",
    b"&#99999999999;",
    b"&#65;",
    b"&amp;",
    b"<!---->",
    b"<!--",
    b"-->",
    b"<",
    b"\x00",
    b"\xc3",
    b"\x80",
    b"x",
    b" ",
]
xml_like = st.one_of(
    st.lists(st.sampled_from(XML_PIECES), max_size=40).map(b"".join),
    st.binary(max_size=200),
)
SMALL_LIMITS = FeedLimits(max_bytes=4096, max_items=3)


@given(body=xml_like, content_type=st.sampled_from(["", "text/xml; charset=latin-1", "x;charset"]))
def test_prescreen_gives_a_body_or_a_reason(body: bytes, content_type: str) -> None:
    screened = prescreen(body, {"Content-Type": content_type}, SMALL_LIMITS)
    if screened.body is None:
        assert isinstance(screened.error, str) and screened.error
    else:
        assert screened.error is None
        screened.body.decode("utf-8")


def assert_valid_feed(parsed: Any) -> None:
    if parsed.error is not None:
        assert isinstance(parsed.error, str) and parsed.error
        return
    for entry in parsed.entries:
        parts = urlsplit(entry.link)
        assert parts.scheme in ("http", "https") and parts.hostname, entry.link
    assert all(isinstance(reason, str) and reason for reason in parsed.skipped)


@given(body=xml_like)
def test_parse_feed_gives_entries_or_a_reason(body: bytes) -> None:
    assert_valid_feed(parse_feed(body, BASE, {}, SMALL_LIMITS))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | url_like,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children)
    ),
    max_leaves=20,
)
json_items = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "id": json_values,
            "url": url_like | json_values,
            "external_url": url_like,
            "title": json_values,
            "date_published": st.text(max_size=30) | json_values,
            "authors": json_values,
            "tags": json_values,
        },
    )
    | json_values,
    max_size=5,
)


@given(
    version=st.sampled_from(["https://jsonfeed.org/version/1.1", "https://jsonfeed.org/version/9"])
    | st.text(max_size=10),
    items=json_items,
    extra=st.dictionaries(st.text(max_size=8), json_values, max_size=3),
)
def test_parse_json_feed_gives_entries_or_a_reason(
    version: str, items: list[Any], extra: dict[str, Any]
) -> None:
    document = {**extra, "version": version, "items": items}
    body = json.dumps(document, ensure_ascii=False).encode("utf-8", errors="surrogatepass")
    assert_valid_feed(parse_json_feed(body, BASE))


@given(body=st.binary(max_size=300))
def test_parse_json_feed_on_any_bytes(body: bytes) -> None:
    assert_valid_feed(parse_json_feed(b"{" + body, BASE))


SITEMAP_PIECES = [
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    b"</urlset>",
    b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    b"</sitemapindex>",
    b"<url>",
    b"</url>",
    b"<sitemap>",
    b"</sitemap>",
    b"<loc>",
    b"</loc>",
    b"<lastmod>2024-09-03</lastmod>",
    b"<lastmod>garbage</lastmod>",
    b"http://127.0.0.1/a",
    b"http://[::1]x/",
    b"ftp://x/",
    b"<!DOCTYPE x>",
    b"&#xD800;",
    b"x",
]


@given(body=st.lists(st.sampled_from(SITEMAP_PIECES), max_size=30).map(b"".join) | st.binary())
def test_parse_sitemap_gives_entries_or_a_reason(body: bytes) -> None:
    result = parse_sitemap(body, BASE, max_bytes=4096, max_age=timedelta(days=36500))
    assert_valid_feed(result.feed)
    for child in result.children:
        assert urlsplit(child).scheme in ("http", "https"), child


OPML_PIECES = [
    b'<?xml version="1.0"?>',
    b'<opml version="2.0">',
    b"</opml>",
    b"<body>",
    b"</body>",
    b'<outline text="a">',
    b"</outline>",
    b'<outline xmlUrl="http://127.0.0.1/f.xml"/>',
    b'<outline xmlUrl="http://127.0.0.1/f.xml" category="/a/b,c"/>',
    b'<outline xmlUrl="ftp://x/"/>',
    b'<outline xmlUrl=""/>',
    b"<!DOCTYPE opml>",
    b"&#xFFFF;",
    b"x",
]


@given(body=st.lists(st.sampled_from(OPML_PIECES), max_size=30).map(b"".join) | st.binary())
def test_parse_opml_gives_feeds_or_an_opml_error(body: bytes) -> None:
    try:
        feeds = parse_opml(body, "feeds.opml")
    except OPMLError as exc:
        assert str(exc).startswith("feeds.opml")
        return
    for feed in feeds:
        assert urlsplit(feed.url).scheme in ("http", "https")


@given(
    titles=st.lists(st.text(max_size=20) | st.none(), min_size=1, max_size=4),
    tags=st.lists(st.text(alphabet="ab/ \uffff", max_size=6), max_size=2),
)
@example(titles=["News \uffff"], tags=[])
def test_render_opml_round_trips(titles: list[str | None], tags: list[str]) -> None:
    feeds = [
        ListedFeed(f"http://127.0.0.1/{n}.xml", title, tuple(tags))
        for n, title in enumerate(titles)
    ]
    read = parse_opml(render_opml(feeds), "export.opml")
    assert [feed.url for feed in read] == [feed.url for feed in feeds]


# --- record serialisation (crawler/storage/jsonl.py) ---

record_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.binary(max_size=4)
    | st.sampled_from(["\ud800", "\u2028", "\x00", "a\nb", "\r"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=15,
)


@given(record=st.dictionaries(st.text(max_size=10), record_values, max_size=6))
def test_encode_record_gives_one_line_or_a_reason(record: dict[str, Any]) -> None:
    try:
        line = encode_record(record)
    except EncodeError:
        return
    assert "\n" not in line and "\r" not in line
    line.encode("utf-8")
    assert json.loads(line) == json.loads(json.dumps(record, allow_nan=False))
