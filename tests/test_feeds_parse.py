from __future__ import annotations

import pytest

from crawler.feeds import parse_feed
from crawler.feeds.lists import FeedListError, feeds_from_argument, parse_feed_list
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
    from crawler.config import DEFAULT_FEEDS_FILE
    from crawler.feeds.lists import read_feed_file

    urls = read_feed_file(DEFAULT_FEEDS_FILE)
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
