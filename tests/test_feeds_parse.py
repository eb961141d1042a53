from __future__ import annotations

import json
import time

import pytest

from crawler.bounds import MAX_TITLE_CHARS
from crawler.feeds import parse_feed
from crawler.feeds.attributes import MAX_ATTRIBUTES_PER_ELEMENT, cap_attributes
from crawler.feeds.lists import FeedListError, feeds_from_argument, parse_feed_list
from crawler.feeds.parse import MAX_TAGS_PER_ENTRY
from tests.conftest import DATA

BASE = "http://127.0.0.1:9"


def load(name: str) -> bytes:
    return (DATA / "feeds" / name).read_text().replace("{base}", BASE).encode()


@pytest.mark.parametrize(
    ("name", "version", "count"),
    [("rss20.xml", "rss20", 3), ("rss10.xml", "rss10", 2), ("atom10.xml", "atom10", 2)],
)
def test_formats(name: str, version: str, count: int) -> None:
    parsed = parse_feed(load(name), f"{BASE}/{name}")
    assert parsed.error is None
    assert parsed.format == version
    assert len(parsed.entries) == count


def test_rss20_entry_fields() -> None:
    parsed = parse_feed(load("rss20.xml"), f"{BASE}/rss20.xml")
    first, relative, tracked = parsed.entries
    assert first.link == f"{BASE}/news/harbour-bridge"
    assert first.guid == "wire-1001"
    assert first.published == "2024-09-03T08:00:00+00:00"
    assert first.authors == ("Jane Roe",)
    assert first.tags == ("Transport",)
    assert first.language == "en-us"
    assert relative.link == f"{BASE}/news/council-budget"
    assert tracked.link == f"{BASE}/news/library-hours"


@pytest.mark.parametrize(
    "body",
    [b"", b"   ", b"<html><body>Login</body></html>", b"/etc/passwd", b"http://127.0.0.1:1/feed"],
)
def test_not_a_feed(body: bytes) -> None:
    assert parse_feed(body, f"{BASE}/feed").error in ("empty_body", "not_a_feed")


def test_bad_entries_skipped_with_reasons_others_survive() -> None:
    body = f"""<rss version="2.0"><channel><title>t</title>
<item><title>no link</title></item>
<item><title>js</title><link>javascript:alert(1)</link></item>
<item><title>ok</title><link>{BASE}/ok</link></item></channel></rss>""".encode()
    parsed = parse_feed(body, f"{BASE}/feed")
    assert [e.link for e in parsed.entries] == [f"{BASE}/ok"]
    assert parsed.skipped == ["link_missing", "link_scheme"]


ATOM_ENTRY = """<feed xmlns="http://www.w3.org/2005/Atom"{base}><title>t</title><id>urn:f</id>
<entry><title>e</title>{entry}<updated>2024-09-03T07:00:00Z</updated></entry></feed>"""


@pytest.mark.parametrize(
    ("entry", "base", "link"),
    [
        # An Atom id is the link only when written as an absolute http(s) URL.
        (f"<id>{BASE}/news/story</id>", "", f"{BASE}/news/story"),
        (
            f'<id>{BASE}/news/story</id><link rel="related" href="{BASE}/x"/>',
            "",
            f"{BASE}/news/story",
        ),
        (
            f'<id>tag:x,2024:1</id><link rel="alternate" href="{BASE}/news/a"/>',
            "",
            f"{BASE}/news/a",
        ),
        ('<link rel="alternate" href="/news/a"/><id>made-up</id>', "", f"{BASE}/news/a"),
        # No alternate link: no link, whatever the id.
        ("<id>tag:x,2024:1</id>", "", None),
        ('<id>urn:uuid:1</id><link rel="related" href="/news/r"/>', "", None),
        ('<link rel="enclosure" href="/a.mp3"/><id>tag:x,2024:1</id>', "", None),
        ("<id>made-up</id>", "", None),
        ("<id>/2024/made-up</id>", f' xml:base="{BASE}/blog/"', None),
        ("", "", None),
    ],
)
def test_an_atom_entry_without_an_alternate_link_has_no_link(
    entry: str, base: str, link: str | None
) -> None:
    parsed = parse_feed(ATOM_ENTRY.format(base=base, entry=entry).encode(), f"{BASE}/feed")
    assert [e.link for e in parsed.entries] == ([link] if link else [])
    assert parsed.skipped == ([] if link else ["link_missing"])


def test_feed_list_parsing() -> None:
    assert parse_feed_list(["# c", "", " https://a.org/f ", "http://b.org/g"], "x") == [
        "https://a.org/f",
        "http://b.org/g",
    ]
    assert feeds_from_argument("https://a.org/f,https://b.org/g") == [
        "https://a.org/f",
        "https://b.org/g",
    ]
    for bad in (["ftp://a.org/f"], ["a.org/feed"], ["https://a.org/f", "https://a.org/f"], []):
        with pytest.raises(FeedListError):
            parse_feed_list(bad, "x")


def test_bundled_default_list_is_valid() -> None:
    from importlib.resources import as_file

    from crawler.config import DEFAULT_FEEDS_FILE
    from crawler.feeds.lists import read_feed_list

    with as_file(DEFAULT_FEEDS_FILE) as path:
        urls = [feed.url for feed in read_feed_list(path)]
    assert len(urls) >= 20
    assert any("upi.com" in url for url in urls)


def test_newest_first_compares_instants_and_keeps_undated_in_feed_order() -> None:
    from crawler.feeds import newest_first
    from crawler.items import FeedEntry

    def entry(name: str, published: str | None) -> FeedEntry:
        return FeedEntry(link=f"{BASE}/{name}", feed_url=f"{BASE}/f", published=published)

    entries = [
        entry("undated-a", None),
        # 09:30+02:00 is 07:30 UTC: older than 08:00 UTC, though its text sorts later.
        entry("berlin", "2024-09-03T09:30:00+02:00"),
        entry("utc", "2024-09-03T08:00:00+00:00"),
        entry("undated-b", None),
    ]
    assert [e.link.rsplit("/", 1)[1] for e in newest_first(entries)] == [
        "utc",
        "berlin",
        "undated-a",
        "undated-b",
    ]


def attribute_flood(count: int) -> bytes:
    attributes = b" ".join(b'a%d="%d"' % (n, n) for n in range(count))
    return (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>first</title><link>http://news.example.org/a</link></item>"
        b"<item " + attributes + b"><title>flood</title><link>http://news.example.org/b</link>"
        b"</item></channel></rss>"
    )


def test_attributes_per_element_are_capped_before_feedparser() -> None:
    """60,000 attributes on one element held feedparser for over a minute; capped, the feed
    parses at once and its entries survive."""
    started = time.monotonic()
    parsed = parse_feed(attribute_flood(60_000), "http://news.example.org/feed.xml")
    assert time.monotonic() - started < 10
    assert [e.title for e in parsed.entries] == ["first", "flood"]
    assert parsed.counters["attributes_dropped"] == 60_000 - MAX_ATTRIBUTES_PER_ELEMENT


@pytest.mark.parametrize(
    ("body", "expected", "dropped"),
    [
        (b'<a x="1" y="2" z="3"/>', b'<a x="1" y="2"/>', 1),
        (b"<a x='>' y=\"2\" z='3' w=\"4\">t</a>", b"<a x='>' y=\"2\">t</a>", 2),
        (b'<a x="1" y="2">"q" "r" "s"<!-- "c" "d" "e" --></a>', None, 0),
        (b'<![CDATA[<a x="1" y="2" z="3">]]><b x="1"/>', None, 0),
        (b'<a x="1" y="2" z="3" w="4', None, 0),  # cut off: left as it is
        (
            b'<a x="1" y="2" z="3"><b p="1" q="2" r="3" s="4"></b></a>',
            b'<a x="1" y="2"><b p="1" q="2"></b></a>',
            3,
        ),
    ],
)
def test_cap_attributes(body: bytes, expected: bytes | None, dropped: int) -> None:
    assert cap_attributes(body, 2) == (body if expected is None else expected, dropped)


def test_cap_attributes_is_linear() -> None:
    """Work grows with the body, not with the square of the attributes or tags: 16 times the
    input takes nowhere near 16 squared times as long (measured as CPU time, min of 3)."""

    def cost(scale: int) -> float:
        body = attribute_flood(2_000 * scale) + b'<b x="1"/>' * (2_000 * scale)
        times = []
        for _ in range(3):
            started = time.process_time()
            cap_attributes(body)
            times.append(time.process_time() - started)
        return min(times)

    assert cost(16) < 64 * max(cost(1), 1e-3)


@pytest.mark.parametrize(
    "written",
    ["-0044-03-15T00:00:00Z", "-2024-01-01T00:00:00Z", "--03-15", "-24-03", "-24", "-001"],
)
def test_dates_without_their_year_are_no_dates(written: str) -> None:
    """ISO 8601's truncated forms: feedparser would fill in the current year or century."""
    body = (
        '<rss version="2.0"><channel><title>F</title><item><link>http://a.example/x</link>'
        f"<pubDate>{written}</pubDate></item><item><link>http://a.example/y</link>"
        f"<pubDate>Tue, 03 Sep 2024 10:00:00 GMT</pubDate><atom:updated xmlns:atom="
        f'"http://www.w3.org/2005/Atom">{written}</atom:updated></item></channel></rss>'
    )
    yearless, dated = parse_feed(body.encode(), "http://a.example/feed.xml").entries
    assert (yearless.published, yearless.updated, yearless.published_raw) == (None, None, written)
    assert (dated.published, dated.updated) == ("2024-09-03T10:00:00+00:00", None)


@pytest.mark.parametrize("written", ["2024", "2024-05", "2024/05", "2024.05", " 2024-5 "])
def test_a_year_or_a_month_alone_is_no_date(written: str) -> None:
    """feedparser reads ``2024`` as 2024-01-01 and ``2024/05`` as 2024-12-01: a day (and a
    midnight) the feed never gave. It stays as written and gives no date."""
    body = (
        '<rss version="2.0"><channel><title>F</title><item><link>http://a.example/x</link>'
        f"<pubDate>{written}</pubDate></item></channel></rss>"
    )
    (entry,) = parse_feed(body.encode(), "http://a.example/feed.xml").entries
    assert (entry.published, entry.updated, entry.published_raw) == (None, None, written.strip())


@pytest.mark.parametrize(
    "written",
    [
        "Fri, 20 Nov 2026 10:00:00 +9900",
        "2026-11-20T10:00:00+25:00",
        "2026-11-20 10:00 GMT-2400",
        "November 20, 2026 10:00 +2500",
    ],
)
def test_a_utc_offset_of_a_day_or_more_is_no_date(written: str) -> None:
    """No offset is a day or more: feedparser adds ``+9900`` to the time (four days), and a
    written date with ``+2500`` made the whole feed fail. No date; the entry stays."""
    body = (
        '<rss version="2.0"><channel><title>F</title><item><link>http://a.example/x</link>'
        f"<pubDate>{written}</pubDate></item></channel></rss>"
    )
    (entry,) = parse_feed(body.encode(), "http://a.example/feed.xml").entries
    assert (entry.published, entry.updated, entry.published_raw) == (None, None, written)


@pytest.mark.parametrize(
    "written",
    ["2024-W10", "2024W103", "2024-W10-3T10:00:00Z", "2024-123", "2024-123T10:00Z", "202405"],
)
def test_week_ordinal_and_six_digit_dates_are_no_date(written: str) -> None:
    """feedparser reads an ISO week (``2024-W10``) and a hyphenated day of the year
    (``2024-123``) as 2024-12-01, and ``202405`` as 2020-08-27: a day the feed never gave."""
    body = (
        '<rss version="2.0"><channel><title>F</title><item><link>http://a.example/x</link>'
        f"<pubDate>{written}</pubDate></item></channel></rss>"
    )
    (entry,) = parse_feed(body.encode(), "http://a.example/feed.xml").entries
    assert (entry.published, entry.updated, entry.published_raw) == (None, None, written)


@pytest.mark.parametrize(
    ("written", "day"), [("20240515", "2024-05-15"), ("2024123", "2024-05-02")]
)
def test_compact_full_dates_are_still_read(written: str, day: str) -> None:
    body = (
        '<rss version="2.0"><channel><title>F</title><item><link>http://a.example/x</link>'
        f"<pubDate>{written}</pubDate></item></channel></rss>"
    )
    (entry,) = parse_feed(body.encode(), "http://a.example/feed.xml").entries
    assert entry.published is not None and entry.published.startswith(day)


@pytest.mark.parametrize(
    ("written", "moment"),
    [
        ("20240515T100000Z", "2024-05-15T10:00:00+00:00"),
        ("20240515T1000Z", "2024-05-15T10:00:00+00:00"),
        ("20240515t1000z", "2024-05-15T10:00:00+00:00"),
        ("20240515T100000+0200", "2024-05-15T10:00:00+02:00"),
        ("20240515 10:00:00", "2024-05-15T10:00:00+00:00"),
        ("2024136T100000Z", "2024-05-15T10:00:00+00:00"),
    ],
)
def test_compact_dates_keep_their_time_of_day(written: str, moment: str) -> None:
    """feedparser reads an ISO 8601 basic-format day with a time (``20240515T100000Z``) as
    that day's midnight; the record keeps the time written, as published and updated."""
    body = (
        '<rss version="2.0"><channel><title>F</title><item><link>http://a.example/x</link>'
        f'<pubDate>{written}</pubDate><atom:updated xmlns:atom="http://www.w3.org/2005/Atom">'
        f"{written}</atom:updated></item></channel></rss>"
    )
    (entry,) = parse_feed(body.encode(), "http://a.example/feed.xml").entries
    assert (entry.published, entry.updated, entry.published_raw) == (moment, moment, written)


@pytest.mark.parametrize("written", ["2024", 2024, "2024-05"])
def test_a_year_or_a_month_alone_is_no_date_in_a_json_feed(written: object) -> None:
    item = {"id": "1", "url": "http://a.example/x", "date_published": written}
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [item]})
    (entry,) = parse_feed(body.encode(), "http://a.example/feed.json").entries
    assert (entry.published, entry.updated) == (None, None)


def test_categories_per_entry_are_capped() -> None:
    """feedparser compares each new category with all of an entry's others: 20,000 categories
    in one item held it for 10 s (and 40,000 for 40 s). Capped, the feed parses at once; the
    first categories are kept in order and the others counted, for every way of writing them."""
    many = 20_000
    categories = "".join(f"<category>c{n}</category>" for n in range(many))
    subjects = "".join(f"<dc:subject>s{n}</dc:subject>" for n in range(many))
    keywords = ",".join(f"k{n}" for n in range(many))
    body = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>F</title>'
        f"<item><link>http://a.example/c</link>{categories}</item>"
        f"<item><link>http://a.example/s</link>{subjects}</item>"
        f"<item><link>http://a.example/k</link><itunes:keywords>{keywords}</itunes:keywords></item>"
        "<item><link>http://a.example/few</link><category>one</category>"
        '<category domain="d">two</category></item></channel></rss>'
    ).encode()
    started = time.process_time()
    parsed = parse_feed(body, "http://a.example/feed.xml")
    assert time.process_time() - started < 5
    by_link = {entry.link: entry.tags for entry in parsed.entries}
    for link, prefix in (("c", "c"), ("s", "s"), ("k", "k")):
        tags = by_link[f"http://a.example/{link}"]
        assert tags == tuple(f"{prefix}{n}" for n in range(MAX_TAGS_PER_ENTRY)), link
    assert by_link["http://a.example/few"] == ("one", "two")
    assert parsed.counters["tags_dropped"] == 3 * (many - MAX_TAGS_PER_ENTRY)


LONG_TITLE = "Breaking " * 100_000


@pytest.mark.parametrize(
    ("body", "url"),
    [
        (
            f'<rss version="2.0"><channel><title>{LONG_TITLE}</title><item>'
            "<link>http://a.example/x</link></item></channel></rss>",
            "http://a.example/feed.xml",
        ),
        (
            json.dumps(
                {
                    "version": "https://jsonfeed.org/version/1.1",
                    "title": LONG_TITLE,
                    "items": [{"id": "1", "url": "http://a.example/x"}],
                }
            ),
            "http://a.example/feed.json",
        ),
    ],
    ids=["rss", "json_feed"],
)
def test_a_feed_title_is_bounded_and_counted(body: str, url: str) -> None:
    """The feed's own title goes to the run report and the OPML export: cut as a record's
    title is, and the cut counted."""
    parsed = parse_feed(body.encode(), url)
    assert parsed.title is not None
    assert MAX_TITLE_CHARS - len("Breaking ") < len(parsed.title) <= MAX_TITLE_CHARS
    assert parsed.title.startswith("Breaking Breaking") and parsed.title.endswith("…")
    assert parsed.counters["title_cut"] == 1
    assert len(parsed.entries) == 1


def test_a_feed_title_within_bounds_is_kept_and_not_counted() -> None:
    body = '<rss version="2.0"><channel><title>Nachrichten</title></channel></rss>'
    parsed = parse_feed(body.encode(), "http://a.example/feed.xml")
    assert (parsed.title, parsed.counters["title_cut"]) == ("Nachrichten", 0)


def rss_dated(written: str) -> bytes:
    return (
        '<rss version="2.0"><channel><title>F</title><item><link>http://a.example/x</link>'
        f"<pubDate>{written}</pubDate></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("written", "moment"),
    [
        ("Tue, 03 Sep 2024 08:00:00 CEST", "2024-09-03T08:00:00+02:00"),
        ("Tue, 03 Sep 2024 08:00:00 cet", "2024-09-03T08:00:00+01:00"),
        ("Tue, 03 Sep 2024 08:00:00 BST", "2024-09-03T08:00:00+01:00"),
        ("Tue, 03 Sep 2024 08:00 JST", "2024-09-03T08:00:00+09:00"),
        ("Tue, 03 Sep 2024 08:00:00 IST", "2024-09-03T08:00:00+05:30"),
        ("Tue, 03 Sep 2024 08:00:00 AEST", "2024-09-03T08:00:00+10:00"),
        ("Tue, 03 Sep 2024 08:00:00 MESZ", "2024-09-03T08:00:00+02:00"),
        ("Tue, 03 Dec 2024 08:00 MEZ", "2024-12-03T08:00:00+01:00"),
        # A US name outside an RFC 822 date: feedparser read a midnight.
        ("2024-09-03 08:00:00 EST", "2024-09-03T08:00:00-05:00"),
        ("September 3, 2024 8:00 PM PDT", "2024-09-03T20:00:00-07:00"),
        ("2024-09-03 08:00:00 MSK", "2024-09-03T08:00:00+03:00"),
        ("Tue, 03 Sep 2024 08:00:00 GMT+2", "2024-09-03T08:00:00+02:00"),
        ("Tue, 03 Sep 2024 08:00:00 UTC-05:30", "2024-09-03T08:00:00-05:30"),
        ("Tue, 03 Sep 2024 08:00:00 GMT +10", "2024-09-03T08:00:00+10:00"),
        # Names feedparser knows, and offsets: its moment, written at the feed's offset.
        ("Tue, 03 Sep 2024 08:00:00 EST", "2024-09-03T08:00:00-05:00"),
        ("Tue, 03 Sep 2024 08:00:00 PDT", "2024-09-03T08:00:00-07:00"),
        ("Tue, 03 Sep 2024 08:00:00 GMT", "2024-09-03T08:00:00+00:00"),
        ("Tue, 03 Sep 2024 08:00:00 +0200", "2024-09-03T08:00:00+02:00"),
        ("2024-09-03T08:00:00-04:00", "2024-09-03T08:00:00-04:00"),
    ],
)
def test_zone_names_feedparser_reads_as_utc_keep_their_offset(written: str, moment: str) -> None:
    (entry,) = parse_feed(rss_dated(written), "http://a.example/feed.xml").entries
    assert (entry.published, entry.published_raw) == (moment, written)


@pytest.mark.parametrize(
    ("written", "moment"),
    [
        ("2024/09/03 08:00:00 +0200", "2024-09-03T08:00:00+02:00"),
        ("2024/9/3 08:00", "2024-09-03T08:00:00+00:00"),
        ("2024.09.03 08:00:00 CEST", "2024-09-03T08:00:00+02:00"),
        ("2024/09/03", "2024-09-03T00:00:00+00:00"),  # the record keeps the day alone
    ],
)
def test_a_year_first_day_with_slashes_is_read_right(written: str, moment: str) -> None:
    """feedparser reads ``2024/09/03`` as December 1st."""
    (entry,) = parse_feed(rss_dated(written), "http://a.example/feed.xml").entries
    assert entry.published == moment


def test_feedburner_origlink_is_the_article_link() -> None:
    """FeedBurner's <link> is its own redirect: the original link is the article's URL; an
    unusable one leaves the <link>."""
    body = b"""<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">
<channel><title>F</title>
<item><link>http://feeds.example/~r/f/~3/a/</link>
<feedburner:origLink>http://a.example/story?utm_source=feedburner</feedburner:origLink></item>
<item><link>http://a.example/kept</link><feedburner:origLink>javascript:x</feedburner:origLink>
</item></channel></rss>"""
    parsed = parse_feed(body, "http://a.example/feed.xml")
    assert [e.link for e in parsed.entries] == ["http://a.example/story", "http://a.example/kept"]
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"
 xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><title>F</title><entry>
<link rel="alternate" href="http://feeds.example/~r/f/~3/b/"/><id>b</id>
<feedburner:origLink>http://a.example/atom-story</feedburner:origLink></entry></feed>"""
    (entry,) = parse_feed(atom, "http://a.example/feed.xml").entries
    assert entry.link == "http://a.example/atom-story"


def test_a_json_feed_keeps_its_date_as_written() -> None:
    """As for RSS and Atom: a day without a time of day stays a day in the record."""
    items = [
        {"url": "http://a.example/1", "date_published": "2024-09-03"},
        {"url": "http://a.example/2", "date_modified": "2024-09-03T08:00:00+02:00"},
    ]
    document = {"version": "https://jsonfeed.org/version/1.1", "items": items}
    day, modified = parse_feed(json.dumps(document).encode(), "http://a.example/f").entries
    assert (day.published, day.published_raw) == ("2024-09-03T00:00:00+00:00", "2024-09-03")
    assert modified.published_raw == "2024-09-03T08:00:00+02:00"


def test_a_media_description_is_not_the_entry_summary() -> None:
    """A picture's caption (``media:description``) before the item's ``<description>`` is
    not its summary; an item described only in Media RSS (a video feed) has that one."""
    body = b"""<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
<title>M</title><item><link>http://a.example/1</link><media:content url="http://a.example/1.jpg">
<media:description>A caption</media:description></media:content>
<description>The story</description></item>
<item><link>http://a.example/2</link><description>Story two</description>
<media:content url="http://a.example/2.jpg"><media:description>Cap</media:description>
</media:content></item>
<item><link>http://a.example/3</link><media:group><media:description>The video</media:description>
</media:group></item></channel></rss>"""
    entries = parse_feed(body, "http://a.example/feed.xml").entries
    assert [e.summary for e in entries] == ["The story", "Story two", "The video"]


def test_a_permalink_guid_after_an_empty_link_is_the_link() -> None:
    """feedparser takes a permalink guid for the link only when no ``<link>`` came first,
    even an empty one; a guid that is no permalink stays no link."""
    body = b"""<rss version="2.0"><channel><title>F</title>
<item><link></link><guid isPermaLink="true">http://a.example/1</guid></item>
<item><link/><guid>http://a.example/2</guid></item>
<item><link/><guid isPermaLink="false">http://a.example/3</guid></item></channel></rss>"""
    parsed = parse_feed(body, "http://a.example/feed.xml")
    assert [e.link for e in parsed.entries] == ["http://a.example/1", "http://a.example/2"]
    assert parsed.skipped == ["link_missing"]
