"""RedirectMiddleware: Scrapy's HTTP redirects, where a ``Location`` that cannot become a
request is not followed.

Scrapy leaves a redirect to another scheme (``ftp:``, ``file:``) unfollowed: the 3xx answer goes
on and fails as ``http_<status>``. A ``Location`` that no request can be made for (a
``javascript:`` URL, a port over 65535, a malformed IPv6 host) made it raise ``ValueError``
instead, which failed the download with a reason that says nothing (``ValueError``). Such a
redirect is not followed: the download fails once as ``redirect_malformed`` (``IgnoreRequest``,
so not retried; a failure the next run would meet again, given up at once like
``redirect_limit``), counted as ``redirect/malformed``.

Replaces ``scrapy.downloadermiddlewares.redirect.RedirectMiddleware`` at the same place in
``DOWNLOADER_MIDDLEWARES``; reads the same settings.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware as ScrapyRedirect
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

logger = logging.getLogger(__name__)


class MalformedRedirect(IgnoreRequest):
    reason = "redirect_malformed"


class RedirectMiddleware(ScrapyRedirect):
    def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        """Scrapy's, raising ``MalformedRedirect`` for a ``Location`` no request can be made
        for."""
        try:
            return super().process_response(request, response)
        except ValueError as exc:  # only URL building raises it in Scrapy's redirect code
            self.crawler.stats.inc_value("redirect/malformed")
            logger.info("Redirect of %s not followed: %s", request.url, exc)
            raise MalformedRedirect(f"redirect to a malformed URL: {exc}") from None
