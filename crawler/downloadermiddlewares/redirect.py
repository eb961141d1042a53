"""RedirectMiddleware: Scrapy's HTTP redirects, where a ``Location`` that cannot become a
request is not followed.

Scrapy leaves a redirect to another scheme (``ftp:``, ``file:``) unfollowed: the 3xx answer goes
on and fails as ``http_<status>``. A ``Location`` that no request can be made for (a
``javascript:`` URL, a port over 65535, a malformed IPv6 host) made it raise ``ValueError``
instead, which failed the download with a reason that says nothing (``ValueError``). Such a
redirect is left unfollowed in the same way, counted as ``redirect/malformed``.

Replaces ``scrapy.downloadermiddlewares.redirect.RedirectMiddleware`` at the same place in
``DOWNLOADER_MIDDLEWARES``; reads the same settings.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware as ScrapyRedirect
from scrapy.http import Request, Response

logger = logging.getLogger(__name__)


class RedirectMiddleware(ScrapyRedirect):
    def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except ValueError as exc:  # only URL building raises it in Scrapy's redirect code
            self.crawler.stats.inc_value("redirect/malformed")
            logger.info("Redirect of %s not followed: %s", request.url, exc)
            return response
