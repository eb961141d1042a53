"""The parse jobs run in the parse workers (crawler/feeds/jobs.py), as plain functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.feeds.jobs import call, read_feed_list_bounded, read_homepage
from crawler.feeds.lists import FeedListError
from crawler.feeds.prescreen import FeedLimits

BASE = "http://127.0.0.1:9/"
LIMITS = FeedLimits()
RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>a</title><link>/a</link></item></channel></rss>"
)
HTML = (
    b"<!DOCTYPE html><html><head>"
    b'<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>'
)


def test_call_runs_the_function() -> None:
    assert call(max, 1, 3, 2) == 3


def test_homepage_that_is_a_feed() -> None:
    page = read_homepage(RSS, BASE, {}, LIMITS, "application/rss+xml")
    assert page.feed is not None and page.feed.error is None
    assert [entry.link for entry in page.feed.entries] == [BASE + "a"]
    assert page.candidates is None


def test_html_homepage_gives_candidates_without_a_feed_parse() -> None:
    page = read_homepage(HTML, BASE, {}, LIMITS, "text/html")
    assert page.feed is None
    assert page.candidates is not None and page.candidates.alternates == [BASE + "feed.xml"]


@pytest.mark.parametrize("body", [b"<!---->" * 40, b"plain text", b""])
def test_neither_html_nor_feed_gives_the_feed_error_and_candidates(body: bytes) -> None:
    page = read_homepage(body, BASE, {}, LIMITS, "text/html")
    assert page.feed is not None and page.feed.error
    assert page.candidates is not None and page.candidates.alternates == []


def test_plain_list_is_read_in_process(tmp_path: Path) -> None:
    listed = tmp_path / "feeds.txt"
    listed.write_text(f"{BASE}a.xml\n# comment\n{BASE}b.xml\n")
    # A budget no process could start within: a plain list is not sent to one.
    feeds = read_feed_list_bounded(listed, "feed", 1e-9)
    assert [feed.url for feed in feeds] == [BASE + "a.xml", BASE + "b.xml"]


def test_opml_list_within_budget(tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="News">'
        f'<outline text="A" xmlUrl="{BASE}a.xml"/></outline></body></opml>'
    )
    [feed] = read_feed_list_bounded(opml, "feed", 60)
    assert (feed.url, feed.title, feed.tags) == (BASE + "a.xml", "A", ("News",))


def test_missing_list_is_a_feed_list_error(tmp_path: Path) -> None:
    with pytest.raises(FeedListError, match="cannot read feed file"):
        read_feed_list_bounded(tmp_path / "absent.opml", "feed", 60)
