"""Feed rows of HOSTILE.md on the pure functions: prescreen and ``parse_feed``.

Time and memory bounds are measured here with generous limits: the point is "bounded", not a
benchmark, so a slow machine does not fail them."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib
from collections.abc import Callable
from typing import Any

import feedparser
import pytest

from crawler.feeds import parse_feed
from crawler.feeds.prescreen import FeedLimits, prescreen
from crawler.textnorm import clean_text, to_iso8601
from tests.conftest import DATA
from tests.hostile_site import gzip_bomb

BASE = "http://127.0.0.1:9"
HOSTILE = DATA / "hostile"


def sample(name: str) -> bytes:
    return (HOSTILE / name).read_bytes().replace(b"{base}", BASE.encode())


def rss(items: str) -> bytes:
    channel = f"<channel><title>t</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def measured(call: Callable[[], Any]) -> tuple[Any, float, int]:
    """Result, CPU seconds, peak traced bytes."""
    tracemalloc.start()
    started = time.process_time()
    try:
        result = call()
        return result, time.process_time() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_row01_size_cap() -> None:
    body = rss("<item><title>x</title><link>/a</link></item>") + b" " * 2048
    assert prescreen(body, {}, FeedLimits(max_bytes=1024)).error == "too_large"
    assert prescreen(body, {}, FeedLimits(max_bytes=4096)).error is None


def test_row02_gzip_file_bomb_bounded() -> None:
    bomb = gzip_bomb(200 * 1024 * 1024)
    assert len(bomb) < 300_000
    screened, seconds, peak = measured(lambda: prescreen(bomb, {}, FeedLimits(max_bytes=10 << 20)))
    assert screened.error == "gzip_too_large"
    assert peak < 40 * 1024 * 1024  # never near the 200 MB on offer
    assert seconds < 20


def test_row02_gzip_feed_and_corrupt_gzip() -> None:
    feed = rss(f"<item><title>gz</title><link>{BASE}/a</link></item>")
    parsed = parse_feed(gzip.compress(feed), f"{BASE}/feed.xml.gz")
    assert [e.title for e in parsed.entries] == ["gz"]
    assert parsed.counters["gunzipped"] == 1
    assert parse_feed(gzip.compress(feed)[:30], f"{BASE}/f.gz").error == "gzip_error"
    assert parse_feed(b"\x1f\x8b" + zlib.compress(b"not gzip"), f"{BASE}/f.gz").error == (
        "gzip_error"
    )


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("billion_laughs.xml", "entity_declaration"),
        ("xxe_file.xml", "entity_declaration"),
        ("xxe_http.xml", "entity_declaration"),
        ("xxe_parameter.xml", "entity_declaration"),
        ("backslash_entity.xml", "entity_declaration"),
    ],
)
def test_row08_entity_declarations_refused_fast(name: str, error: str) -> None:
    parsed, seconds, peak = measured(lambda: parse_feed(sample(name), f"{BASE}/f"))
    assert parsed.error == error
    assert parsed.entries == []
    assert seconds < 5 and peak < 20 * 1024 * 1024


def test_row08_quadratic_blowup_refused_with_bounded_memory() -> None:
    # HOSTILE.md: 106 KB like this took feedparser to 318 MB.
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "{"x" * 100_000}">]>'
        f'<rss version="2.0"><channel><title>{"&big;" * 1000}</title></channel></rss>'
    ).encode()
    parsed, seconds, peak = measured(lambda: parse_feed(body, f"{BASE}/f"))
    assert parsed.error == "entity_declaration"
    assert peak < 20 * 1024 * 1024 and seconds < 5


@pytest.mark.parametrize(
    "prolog",
    [
        "<!DOCTYPE rss [ <!ELEMENT rss ANY> ]>",  # internal subset without entities
        "<!doctype rss [ ]>",
    ],
)
def test_row08_internal_subset_refused(prolog: str) -> None:
    body = f'<?xml version="1.0"?>{prolog}<rss version="2.0"><channel></channel></rss>'.encode()
    assert parse_feed(body, f"{BASE}/f").error == "dtd_internal_subset"


def test_row08_entity_text_in_cdata_is_content() -> None:
    body = rss(
        '<item><title><![CDATA[How <!ENTITY x "y"> works]]></title>'
        f"<link>{BASE}/xml-howto</link></item>"
    )
    parsed = parse_feed(body, f"{BASE}/f")
    assert parsed.error is None and len(parsed.entries) == 1


def test_row08_external_dtd_is_not_fetched() -> None:
    # feedparser would only need the network to fetch it; the netguard would refuse that
    # connection with an exception, which would fail this parse.
    parsed = parse_feed(sample("external_dtd.xml"), f"{BASE}/f")
    assert parsed.error is None
    assert [e.title for e in parsed.entries] == ["External DTD article"]


@pytest.mark.parametrize(
    "body", [b"/etc/passwd", b"/etc/hostname", b"http://127.0.0.1:1/feed", b"file:///etc/passwd"]
)
def test_row09_path_or_url_body_is_data(body: bytes) -> None:
    parsed = parse_feed(body, f"{BASE}/f")
    assert parsed.error == "not_a_feed"
    assert parsed.title is None


def test_row10_bad_references_do_not_lose_the_feed() -> None:
    parsed = parse_feed(sample("bad_char_refs.xml"), f"{BASE}/f")
    assert parsed.error is None
    assert [e.title for e in parsed.entries] == [
        "Surrogate \ufffd reference",
        "Out of range \ufffd reference",
        "Huge \ufffd reference",
    ]
    assert parsed.counters["invalid_char_refs"] == 3


def test_row10_any_parser_exception_is_a_counted_parse_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RecursionError("deep")

    monkeypatch.setattr(feedparser, "parse", explode)
    parsed = parse_feed(rss(""), f"{BASE}/f")
    assert parsed.error == "parse_error:RecursionError"


def test_row12_truncated_feed_keeps_complete_entries() -> None:
    parsed = parse_feed(sample("truncated.xml"), f"{BASE}/f")
    assert parsed.error is None
    assert [e.title for e in parsed.entries] == ["Complete one", "Complete two"]
    assert parsed.skipped == ["partial_entry"]
    assert parsed.counters["truncated"] == 1


def test_row12_truncated_atom_feed() -> None:
    body = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>a</title>'
        b'<entry><title>one</title><link href="http://127.0.0.1:9/1"/><id>1</id></entry>'
        b'<entry><title>two</title><link href="http://127.0.0.1:9/2"/><id>2</id></en'
    )
    parsed = parse_feed(body, f"{BASE}/f")
    assert [e.title for e in parsed.entries] == ["one"]
    assert parsed.skipped == ["partial_entry"]


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>one</title><link>http://127.0",
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>a</title>'
        b'<entry><title>one</title><link href="http://127.0.0.1:9/1"/><id>1</id></en',
    ],
)
def test_a_feed_cut_off_in_its_first_item_is_truncated(body: bytes) -> None:
    """A cut inside the only item (a Content-Length shorter than the document) is a partial
    entry of a truncated feed, not an entry without its link."""
    parsed = parse_feed(body, f"{BASE}/f")
    assert (parsed.error, parsed.entries, parsed.skipped) == (None, [], ["partial_entry"])
    assert parsed.counters["truncated"] == 1


def test_a_feed_cut_off_before_its_first_item_is_truncated() -> None:
    parsed = parse_feed(rss("<item><title>one</title></item>")[:50], f"{BASE}/f")
    assert (parsed.error, parsed.entries, parsed.skipped) == (None, [], [])
    assert parsed.counters["truncated"] == 1


ONE = "<item><title>one</title><link>http://127.0.0.1:9/1</link></item>"
TWO = "<item><title>two</title><link>http://127.0.0.1:9/2</link></item>"


@pytest.mark.parametrize(
    ("body", "titles"),
    [
        (rss(ONE + TWO)[: rss(ONE + TWO).index(b"<item><title>two")], ["one"]),  # between
        (rss(ONE + TWO)[: rss(ONE + TWO).index(b"</channel>")], ["one", "two"]),  # after
        (rss(ONE)[:40], []),  # in the channel header
        (rss(ONE).replace(b"</channel></rss>", b"<image><url>x</url>"), ["one"]),
    ],
)
def test_a_feed_cut_where_no_entry_is_cut_is_truncated(body: bytes, titles: list[str]) -> None:
    """No entry is skipped, but the items after the cut are missing: the feed says so
    (``truncated``), so that its validators do not stand."""
    parsed = parse_feed(body, f"{BASE}/f")
    assert (parsed.error, parsed.skipped) == (None, [])
    assert [e.title for e in parsed.entries] == titles
    assert parsed.truncated and parsed.counters["truncated"] == 1


@pytest.mark.parametrize("end", ["</channel>", "</channel>\n\n", "</channel >  "])
def test_a_feed_missing_only_its_closing_rss_tag_is_whole(end: str) -> None:
    """Every item is in the channel: nothing was lost, and a feed served like this every
    time must not be read as cut off every time."""
    body = rss(ONE + TWO).replace(b"</channel></rss>", end.encode())
    parsed = parse_feed(body, f"{BASE}/f")
    assert [e.title for e in parsed.entries] == ["one", "two"]
    assert not parsed.truncated and "truncated" not in parsed.counters


def test_an_atom_feed_missing_its_closing_tag_is_truncated() -> None:
    """An Atom document has no channel to end: without ``</feed>`` its end is unknown."""
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>a</title>'
        b'<entry><title>one</title><link href="http://127.0.0.1:9/1"/><id>1</id></entry>'
    )
    parsed = parse_feed(body, f"{BASE}/f")
    assert [e.title for e in parsed.entries] == ["one"] and parsed.truncated


def test_row13_hundred_thousand_items_bounded() -> None:
    items = "".join(f"<item><title>{i}</title><link>/a/{i}</link></item>" for i in range(100_000))
    body = rss(items)
    started = time.process_time()  # no tracemalloc here: it would slow the parse tenfold
    parsed = parse_feed(body, f"{BASE}/f", {}, FeedLimits(max_bytes=64 << 20, max_items=1000))
    seconds = time.process_time() - started
    assert len(parsed.entries) == 1000
    assert parsed.entries[0].title == "0" and parsed.entries[-1].title == "999"
    assert parsed.skipped == ["over_limit"] * 99_000
    assert parsed.counters["items_over_cap"] == 99_000
    assert seconds < 30  # feedparser alone needs about 40 s for all 100,000


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("sometime last week", None),
        ("Fri, 30 Feb 2024 10:00:00 GMT", None),
        ("Sat, 01 Jan 2999 10:00:00 GMT", None),
        ("Mon, 01 Jan 1900 00:00:00 GMT", None),
        ("2024-09-03T10:00:00", "2024-09-03T10:00:00+00:00"),
        ("Tue, 03 Sep 2024 08:00:00 EDT", "2024-09-03T08:00:00-04:00"),
        ("Tue, 03 Sep 2024 08:00:00 +0200", "2024-09-03T08:00:00+02:00"),
        ("2024-09-03T08:00:00Z", "2024-09-03T08:00:00+00:00"),
        ("9999-99-99", None),
        ("Tue, 03 Sep 99999 08:00:00 GMT", None),
    ],
)
def test_row16_dates(value: str | None, expected: str | None) -> None:
    assert to_iso8601(value) == expected


def test_row16_feed_dates_never_crash() -> None:
    parsed = parse_feed(sample("dates.xml"), f"{BASE}/f")
    published = {e.title: e.published for e in parsed.entries}
    assert published == {
        "missing": None,
        "unparseable": None,
        "impossible": None,
        "far future": None,
        "naive": "2024-09-03T10:00:00+00:00",
        "obsolete zone": "2024-09-03T08:00:00-04:00",
        "too old": None,
    }


def test_row17_titles_plain_and_unescaped_once() -> None:
    parsed = parse_feed(sample("titles.xml"), f"{BASE}/f")
    assert [e.title for e in parsed.entries] == [
        'Breaking : Tom & Jerry "return"',
        "Markup in & CDATA",
        "5 < 6 and AT&T",
    ]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x00b\x07c\x0bd", "abcd"),
        ("line\u2028sep\u2029para", "lineseppara"),
        ("lone \ud800 surrogate", "lone surrogate"),
        ("bom\ufeff and del\x7f and c1\x85", "bom and del and c1"),
        ("tab\tand\r\nnewline", "tab and newline"),
    ],
)
def test_row19_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_row19_feed_text_cleaned() -> None:
    parsed = parse_feed(sample("controls.xml"), f"{BASE}/f")
    [entry] = parsed.entries
    assert entry.title == "Lineseparator andparagraph bell"
    assert entry.summary == "tab and \ufffd lone"
    for value in (entry.title, entry.summary):
        assert value is not None
        value.encode("utf-8")  # strict: no lone surrogate left
