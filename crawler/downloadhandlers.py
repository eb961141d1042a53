"""HeaderCappedDownloadHandler: Scrapy's HTTP/1.1 download handler with a cap on the bytes of
a response's status line and headers (``NEWSCRAWLER_HEADERS_MAXSIZE_BYTES``).

Scrapy caps bodies (``DOWNLOAD_MAXSIZE``) and Twisted caps one header line (16 KiB), but
nothing caps their number: a server sending short header lines for ever grew the crawler to
500 MB before the download timeout. Past the cap, or past Twisted's cap on one line, the
connection is dropped and the request fails as ``headers_too_large`` (an ``IgnoreRequest``:
not retried, the next attempt would get the same). Enabled for ``http`` and ``https`` in
``DOWNLOAD_HANDLERS``.

Twisted's ``HTTP11ClientProtocol.request()`` builds its parser itself; like Scrapy's own
``_LenientHTTP11ClientProtocol`` (which this extends), the protocol swaps the parser's class
for one that counts header bytes. This leans on Scrapy internals of the pinned version.
"""

from __future__ import annotations

from typing import Any

from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
)
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadFailedError, IgnoreRequest
from scrapy.http import Request, Response
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress
from twisted.web._newclient import HTTP11ClientProtocol, ResponseFailed
from twisted.web.iweb import IResponse

from crawler.config import CrawlerConfig


class HeadersTooLarge(IgnoreRequest):
    """The response's headers went past ``NEWSCRAWLER_HEADERS_MAXSIZE_BYTES``."""

    reason = "headers_too_large"


class _HeaderBytesExceeded(Exception):
    """Raised inside the parser; Twisted drops the connection and fails the response."""


class _CappedParser(_LenientHTTPClientParser):
    max_header_bytes = 256 * 1024
    header_bytes = 0

    def lineReceived(self, line: bytes) -> None:
        # Called for the status line and header lines only: the body is read in raw mode.
        self.header_bytes += len(line) + 2
        if self.header_bytes > self.max_header_bytes:
            raise _HeaderBytesExceeded(f"over {self.max_header_bytes} bytes of headers")
        super().lineReceived(line)

    def lineLengthExceeded(self, line: bytes) -> None:
        # Twisted drops the connection after one line of 16 KiB (MAX_LENGTH): a download error
        # that would be retried. It is the same refusal as too many header bytes.
        raise _HeaderBytesExceeded(f"a header line over {self.MAX_LENGTH} bytes")


class HeaderCappedDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        cap = CrawlerConfig.from_settings(crawler.settings).headers_maxsize_bytes
        parser = type("CappedParser", (_CappedParser,), {"max_header_bytes": cap})

        class Protocol(_LenientHTTP11ClientProtocol):
            def request(self, request: Any) -> Deferred[IResponse]:
                deferred = super().request(request)
                # The parser holds no state of its own beyond the count: safe to swap.
                assert self._parser is not None
                self._parser.__class__ = parser
                return deferred

        class Factory(_LenientHTTP11ClientFactory):
            def buildProtocol(self, addr: IAddress | None) -> HTTP11ClientProtocol:
                return Protocol(self._quiescentCallback)  # type: ignore[no-untyped-call]

        self._pool._factory = Factory

    async def download_request(self, request: Request) -> Response:
        try:
            return await super().download_request(request)
        except DownloadFailedError as exc:
            cause = exc.__cause__
            if isinstance(cause, ResponseFailed) and any(
                reason.check(_HeaderBytesExceeded) for reason in cause.reasons
            ):
                raise HeadersTooLarge(f"{request.url}: {cause.reasons[0].value}") from exc
            raise
