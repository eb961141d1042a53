"""Meta-refresh redirects read from the head of the page: the same decisions as Scrapy's own
middleware, without decoding the rest of a large page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefresh
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.downloadermiddlewares.metarefresh import (
    SCAN_BYTES,
    MetaRefreshMiddleware,
    head_of,
)
from tests.conftest import CrawlResult, LocalSite
from tests.pages import article_html, paragraphs_for

REFRESH = '<meta http-equiv="refresh" content="0;url=/news/moved-here">'
FILLER = "<p>" + "Long story text that goes on. " * 40 + "</p>"


class WholeBodyRefused(HtmlResponse):
    """A response that fails the test if anything decodes a body longer than the head."""

    @property
    def text(self) -> str:
        assert len(self.body) <= SCAN_BYTES, "the whole body was decoded"
        return super().text


def large_page(head: str, charset: str | None = "utf-8") -> bytes:
    meta = f'<meta charset="{charset}">' if charset else ""
    body = FILLER * (8 * SCAN_BYTES // len(FILLER))
    return f"<html><head>{meta}{head}</head><body>{body}ü</body></html>".encode()


def test_head_of_drops_a_cut_character_only() -> None:
    assert head_of(b"abc", 8) == b"abc"
    assert head_of(b"abcdefghij", 4) == b"abcd"
    text = ("é" * 10).encode()  # two bytes each
    assert head_of(text, 5) == "éé".encode()  # the third character is cut: dropped
    assert head_of(text, 6).decode() in ("éé", "ééé")  # whole characters, never a cut one
    assert head_of("€€".encode(), 4) == "€".encode()


@pytest.mark.parametrize(
    ("head", "charset"),
    [
        (REFRESH, "utf-8"),
        (REFRESH, None),  # no declared encoding: guessed from the head
        ("", "utf-8"),
        ("<noscript>" + REFRESH + "</noscript>", "utf-8"),  # ignored tag, as in Scrapy
        ('<meta http-equiv="refresh" content="600;url=/later">', "utf-8"),  # over the max delay
    ],
)
def test_same_decision_as_scrapy_without_decoding_the_page(head: str, charset: str | None) -> None:
    crawler = get_crawler(
        settings_dict={"METAREFRESH_IGNORE_TAGS": ["noscript"], "METAREFRESH_MAXDELAY": 100}
    )
    ours = MetaRefreshMiddleware.from_crawler(crawler)
    scrapys = ScrapyMetaRefresh.from_crawler(crawler)
    url, body = "http://127.0.0.1:9/news/old-address", large_page(head, charset)
    request = Request(url)
    response = WholeBodyRefused(url, body=body, request=request)
    got = ours.process_response(request, response)
    expected = scrapys.process_response(request, HtmlResponse(url, body=body, request=request))
    if isinstance(expected, Request):
        assert isinstance(got, Request) and got.url == expected.url
        assert got.url == "http://127.0.0.1:9/news/moved-here"
    else:
        assert got is response  # the whole page goes on, not its head


def test_small_page_refresh_is_followed() -> None:
    ours = MetaRefreshMiddleware.from_crawler(get_crawler())
    url = "http://127.0.0.1:9/a"
    page = f"<html><head>{REFRESH}</head><body>x</body></html>".encode()
    got = ours.process_response(Request(url), HtmlResponse(url, body=page))
    assert isinstance(got, Request) and got.url == "http://127.0.0.1:9/news/moved-here"


@pytest.mark.parametrize("label", ["zlib", "rot13", "undefined", "idna"])
@pytest.mark.parametrize("head", [REFRESH, ""])
def test_a_label_python_cannot_decode_with_is_ignored(label: str, head: str) -> None:
    """Scrapy's ``response.text`` raises for these labels, which failed the page's download:
    the page is read as unlabelled instead."""
    ours = MetaRefreshMiddleware.from_crawler(get_crawler())
    url = "http://127.0.0.1:9/a"
    page = f"<html><head>{head}</head><body>x</body></html>".encode()
    response = HtmlResponse(url, body=page, headers={"Content-Type": f"text/html; charset={label}"})
    got = ours.process_response(Request(url), response)
    if head:
        assert isinstance(got, Request) and got.url == "http://127.0.0.1:9/news/moved-here"
    else:
        assert got is response


def test_crawl_follows_a_refresh_on_a_large_page(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    title = "Harbour bridge reopens after repairs"
    site.add("/news/old-address", large_page(REFRESH))
    site.add("/news/moved-here", article_html(title, paragraphs_for("moved")))
    feed = (
        '<rss version="2.0"><channel><title>t</title><item><title>moved</title>'
        f"<link>{site.url('/news/old-address')}</link></item></channel></rss>"
    )
    site.add("/feed.xml", feed, "application/rss+xml")
    result = crawl("-a", f"feeds={site.url('/feed.xml')}")
    assert result.returncode == 0, result.stderr[-3000:]
    [record] = result.records
    assert record["url"] == site.url("/news/moved-here")
    assert record["title"] == title
    assert record["text"] == "\n\n".join(paragraphs_for("moved"))
