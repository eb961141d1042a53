from __future__ import annotations

import pytest

from crawler.urls import (
    accept_canonical,
    article_id,
    dedupe_key,
    record_url,
    resolve_link,
    strip_tracking,
)

BASE = "https://news.example.org/feeds/world.xml"


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://news.example.org/a/1", ("https://news.example.org/a/1", None)),
        ("/a/2", ("https://news.example.org/a/2", None)),
        ("b/3", ("https://news.example.org/feeds/b/3", None)),
        ("//cdn.example.org/a", ("https://cdn.example.org/a", None)),
        ("  \n https://news.example.org/a/4 \t", ("https://news.example.org/a/4", None)),
        (
            "https://news.example.org/a?utm_source=x&id=5&fbclid=y#top",
            ("https://news.example.org/a?id=5", None),
        ),
        (None, (None, "link_missing")),
        ("   ", (None, "link_missing")),
        ("javascript:alert(1)", (None, "link_scheme")),
        ("mailto:desk@example.org", (None, "link_scheme")),
        ("data:text/html,hi", (None, "link_scheme")),
        ("file:///etc/passwd", (None, "link_scheme")),
        ("ftp://example.org/a", (None, "link_scheme")),
        ("https://news.example.org/" + "a" * 5000, (None, "link_too_long")),
        ("https://news.example.org/a%zz", (None, "link_bad_escape")),
        ("https://news.example.org:99999/a", (None, "link_malformed")),
        ("http:///nohost", (None, "link_malformed")),
        # Links Scrapy cannot turn into a request are refused here, with a reason.
        ("http://[::1]x/", (None, "link_malformed")),
        ("http://[::1]:80x/", (None, "link_malformed")),
        ("http://[v1.x]/", (None, "link_malformed")),
        ("http://news.example.org/\ud800", (None, "link_malformed")),
        ("http://\ud800.example.org/", (None, "link_malformed")),
        ("http://news.example.org/a\u202eb", (None, "link_malformed")),
        ("http://news.example.org/a\x00b", (None, "link_malformed")),
        ("http://exa%41mple.org/", (None, "link_malformed")),
        ("http://a..b.example.org/", (None, "link_malformed")),
        ("http://" + "a" * 64 + ".example.org/", (None, "link_malformed")),
        ("http://news.example.org:0/", (None, "link_malformed")),
        ("http://[::1]:8080/a", ("http://[::1]:8080/a", None)),  # the URL policy refuses it
        ("http://0x7f.1/a", ("http://0x7f.1/a", None)),  # likewise
        ("http://bücher.example/a", ("http://bücher.example/a", None)),
    ],
)
def test_resolve_link(link: str | None, expected: tuple[str | None, str | None]) -> None:
    assert resolve_link(link, BASE) == expected


def test_strip_tracking_keeps_article_parameters_in_order() -> None:
    assert strip_tracking("https://x.org/a?b=2&utm_medium=rss&a=1") == "https://x.org/a?b=2&a=1"


@pytest.mark.parametrize(
    "variant",
    [
        "http://www.example.org/news/story",
        "https://example.org/news/story/",
        "https://EXAMPLE.org/news/story?utm_campaign=x",
        "https://example.org:443/news/story#comments",
    ],
)
def test_dedupe_key_variants_are_one_article(variant: str) -> None:
    assert dedupe_key(variant) == dedupe_key("https://example.org/news/story")
    assert article_id(variant) == article_id("https://example.org/news/story")


def test_dedupe_key_distinguishes_articles() -> None:
    assert dedupe_key("https://example.org/a?id=1") != dedupe_key("https://example.org/a?id=2")
    assert dedupe_key("https://example.org/a") != dedupe_key("https://other.org/a")


@pytest.mark.parametrize(
    ("canonical", "expected"),
    [
        ("https://www.example.org/news/story", "https://www.example.org/news/story"),
        ("/news/story?utm_source=x", "https://example.org/news/story"),
        ("https://elsewhere.org/news/story", None),  # another site cannot claim the article
        ("https://example.org/", None),  # the front page is not the article
        (" /news/my story ", "https://example.org/news/my%20story"),  # as a browser reads it
        (None, None),
    ],
)
def test_accept_canonical(canonical: str | None, expected: str | None) -> None:
    assert accept_canonical(canonical, "https://example.org/news/story?x=1") == expected


PAGE = "https://news.example.org/world/story"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "https://img.example.org/a.jpg?utm_source=x",
            "https://img.example.org/a.jpg?utm_source=x",
        ),
        ("/img/a.jpg", "https://news.example.org/img/a.jpg"),
        ("//cdn.example.org/a.jpg", "https://cdn.example.org/a.jpg"),
        (" /img/a b.jpg\n", "https://news.example.org/img/a%20b.jpg"),
        (None, None),
        ("", None),
        ("javascript:alert(1)", None),
        ("data:image/png;base64,AAAA", None),
        ("http://img.example.org/\ud800.jpg", None),
        ("http://img.example.org/a\u202egpj.exe", None),
        ("http://img.example.org/a\u2028.jpg", None),
        ("http://img.example.org/a\x85.jpg", None),
        ("http://img.example.org/a\x00.jpg", None),
        ("http://user:pw@img.example.org/a.jpg", None),
        ("http://[::1]x/a.jpg", None),
        ("http://img.example.org:99999/a.jpg", None),
        ("https://img.example.org/" + "a" * 3000, None),
    ],
)
def test_record_url(value: str | None, expected: str | None) -> None:
    assert record_url(value, PAGE) == expected
