"""Odd answers a server can give (docs/security.md, round four), one component at a time: a
``Location`` or meta refresh no request can be made for, a 206 to a request without ``Range``,
a chunked body in tiny chunks."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler
from twisted.web.http import _ChunkedTransferDecoder

from crawler.downloadermiddlewares.metarefresh import MetaRefreshMiddleware
from crawler.downloadermiddlewares.partial import PartialContent, PartialContentMiddleware
from crawler.downloadermiddlewares.redirect import MalformedRedirect, RedirectMiddleware
from crawler.downloadhandlers import _CoalescingDecoder
from crawler.failures import known_failure_reason

URL = "http://127.0.0.1:9/news/a"
# Scrapy raises ValueError when it makes a request for these.
UNREQUESTABLE = ["javascript:alert(1)", "http://127.0.0.1:99999/x", "http://[::1]x/"]


@pytest.mark.parametrize("location", [*UNREQUESTABLE, "http://[bad"])
def test_a_location_no_request_can_be_made_for_fails_the_download(location: str) -> None:
    crawler = get_crawler()
    middleware = RedirectMiddleware.from_crawler(crawler)
    response = Response(URL, status=302, headers={"Location": location})
    with pytest.raises(MalformedRedirect) as raised:
        middleware.process_response(Request(URL), response)
    assert known_failure_reason(raised.value) == "redirect_malformed"
    assert crawler.stats.get_value("redirect/malformed") == 1


def test_a_location_that_can_be_followed_still_is() -> None:
    middleware = RedirectMiddleware.from_crawler(get_crawler())
    response = Response(URL, status=301, headers={"Location": "/news/b"})
    got = middleware.process_response(Request(URL), response)
    assert isinstance(got, Request) and got.url == "http://127.0.0.1:9/news/b"


@pytest.mark.parametrize("target", UNREQUESTABLE)
def test_a_refresh_no_request_can_be_made_for_leaves_the_page(target: str) -> None:
    crawler = get_crawler()
    middleware = MetaRefreshMiddleware.from_crawler(crawler)
    page = f'<html><head><meta http-equiv="refresh" content="0;url={target}"></head></html>'
    response = HtmlResponse(URL, body=page.encode())
    assert middleware.process_response(Request(URL), response) is response
    assert crawler.stats.get_value("redirect/malformed_refresh") == 1


def test_partial_content_without_range_fails_as_http_206() -> None:
    crawler = get_crawler()
    middleware = PartialContentMiddleware.from_crawler(crawler)
    with pytest.raises(PartialContent) as raised:
        middleware.process_response(Request(URL), Response(URL, status=206, body=b"<ht"))
    assert known_failure_reason(raised.value) == "http_206"
    assert crawler.stats.get_value("downloader/partial_content") == 1


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        (Request(URL, headers={"Range": "bytes=0-99"}), 206),  # a range asked for
        (Request("http://127.0.0.1:9/robots.txt"), 206),  # read as given, as Scrapy reads it
        (Request(URL), 200),
    ],
)
def test_other_answers_go_on(request_: Request, status: int) -> None:
    middleware = PartialContentMiddleware.from_crawler(get_crawler())
    response = Response(request_.url, status=status)
    assert middleware.process_response(request_, response) is response


def chunked(body: bytes) -> bytes:
    return b"".join(b"1\r\n%c\r\n" % byte for byte in body) + b"0\r\n\r\n"


def test_the_chunks_of_one_read_are_handed_on_at_once() -> None:
    """Each network read's chunks in one piece, all before the end of the body is signalled
    (after it, Twisted refuses body data)."""
    events: list[tuple[str, bytes]] = []
    decoder = _CoalescingDecoder(
        _ChunkedTransferDecoder(
            lambda data: events.append(("data", data)), lambda rest: events.append(("end", rest))
        )
    )
    wire = chunked(b"hello world") + b"NEXT"
    cut = wire.index(b"w")  # a read ends inside a chunk
    decoder.dataReceived(wire[:cut])
    decoder.dataReceived(wire[cut:])
    assert events == [("data", b"hello "), ("data", b"world"), ("end", b"NEXT")]
