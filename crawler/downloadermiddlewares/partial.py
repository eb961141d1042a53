"""PartialContentMiddleware: a ``206 Partial Content`` answer to a request that asked for no
range is a failed download, not a document.

The crawler never sends ``Range``, so a 206 holds a part of the document at best; Scrapy passes
it on as a success (it is a 2xx), and a feed cut short or an article page with its end missing
would be read as whole. Such an answer fails the request as ``http_206`` (counted
``downloader/partial_content``); the article is asked for again by the next run, like any failed
download. A request that did send ``Range``, and ``robots.txt`` (read as given, as Scrapy reads
any 2xx), are left alone.

Enabled in ``DOWNLOADER_MIDDLEWARES``.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached


class PartialContent(IgnoreRequest):
    reason = "http_206"


class PartialContentMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PartialContentMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if (
            response.status == 206
            and b"Range" not in request.headers
            and urlparse_cached(request).path != "/robots.txt"
        ):
            if self.stats is not None:
                self.stats.inc_value("downloader/partial_content")
            raise PartialContent(f"206 Partial Content to a request without Range: {request.url}")
        return response
