"""HeaderCappedDownloadHandler: Scrapy's HTTP/1.1 download handler with a cap on the bytes of
a response's status line and headers (``NEWSCRAWLER_HEADERS_MAXSIZE_BYTES``), handing a chunked
body on once per network read.

Scrapy caps bodies (``DOWNLOAD_MAXSIZE``) and Twisted caps one header line (16 KiB), but
nothing caps their number: a server sending short header lines for ever grew the crawler to
500 MB before the download timeout. Past the cap, or past Twisted's cap on one line, the
connection is dropped and the request fails as ``headers_too_large`` (an ``IgnoreRequest``:
not retried, the next attempt would get the same). Enabled for ``http`` and ``https`` in
``DOWNLOAD_HANDLERS``.

A chunked body is handed to Scrapy once per network read, however many chunks the read holds.
Scrapy does some work for every piece of body it is given (among it a ``bytes_received``
signal): a page sent in 1-byte chunks (six bytes on the wire each) cost the crawl's thread about
15 µs a chunk, 4.5 s for 300,000, and timed out. Joined, a chunk costs what Twisted's chunk
parser spends on it, about 3 µs.

Idle keep-alive connections are kept for as many requests as the crawl may have in flight
(``CONCURRENT_REQUESTS``), not only ``CONCURRENT_REQUESTS_PER_DOMAIN`` (Scrapy's size for the
pool): with no download delay, Scrapy's downloader counts a request against its site's limit
only once the task downloading it has started, so more requests to one host than that are in
flight at times, and a pool of the per-site size closed each connection that came back past
it while the next request opened a new one (see docs/performance.md, "The crawler process").
Only connections already open are kept: none is opened for it.

Twisted's ``HTTP11ClientProtocol.request()`` builds its parser itself; like Scrapy's own
``_LenientHTTP11ClientProtocol`` (which this extends), the protocol swaps the parser's class
for one that counts header bytes and joins chunks. This leans on Scrapy and Twisted internals
of the pinned versions.
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
from scrapy.settings import BaseSettings
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress
from twisted.web._newclient import HTTP11ClientProtocol, ResponseFailed
from twisted.web.http import _ChunkedTransferDecoder
from twisted.web.iweb import IResponse

from crawler.config import CrawlerConfig


class HeadersTooLarge(IgnoreRequest):
    """The response's headers went past ``NEWSCRAWLER_HEADERS_MAXSIZE_BYTES``."""

    reason = "headers_too_large"


class _HeaderBytesExceeded(Exception):
    """Raised inside the parser; Twisted drops the connection and fails the response."""


class _CoalescingDecoder:
    """Wraps a ``_ChunkedTransferDecoder``: the data of the chunks in one network read is
    handed on at once, before the end of the body is signalled."""

    def __init__(self, decoder: _ChunkedTransferDecoder) -> None:
        self.decoder = decoder
        self.deliver = decoder.dataCallback
        self.pending: list[bytes] = []
        finish = decoder.finishCallback
        decoder.dataCallback = self.pending.append

        def finished(rest: bytes) -> None:
            self.flush()
            finish(rest)

        decoder.finishCallback = finished

    def dataReceived(self, data: bytes) -> None:
        self.decoder.dataReceived(data)
        self.flush()

    def noMoreData(self) -> None:
        self.decoder.noMoreData()

    def flush(self) -> None:
        if self.pending:
            data = b"".join(self.pending)
            self.pending.clear()
            self.deliver(data)


class _CappedParser(_LenientHTTPClientParser):
    max_header_bytes = 256 * 1024
    header_bytes = 0

    def lineReceived(self, line: bytes) -> None:
        # Called for the status line and header lines only: the body is read in raw mode.
        self.header_bytes += len(line) + 2
        if self.header_bytes > self.max_header_bytes:
            raise _HeaderBytesExceeded(f"over {self.max_header_bytes} bytes of headers")
        super().lineReceived(line)

    def switchToBodyMode(self, decoder: Any) -> None:
        if isinstance(decoder, _ChunkedTransferDecoder):
            decoder = _CoalescingDecoder(decoder)
        super().switchToBodyMode(decoder)  # type: ignore[no-untyped-call]

    def lineLengthExceeded(self, line: bytes) -> None:
        # Twisted drops the connection after one line of 16 KiB (MAX_LENGTH): a download error
        # that would be retried. It is the same refusal as too many header bytes.
        raise _HeaderBytesExceeded(f"a header line over {self.MAX_LENGTH} bytes")


def idle_connections_per_host(settings: BaseSettings) -> int:
    """How many idle keep-alive connections to one host the pool keeps: one for every request
    the crawl may have in flight (see the module docstring), at least Scrapy's own size."""
    return max(
        settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), settings.getint("CONCURRENT_REQUESTS")
    )


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
        self._pool.maxPersistentPerHost = idle_connections_per_host(crawler.settings)

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
