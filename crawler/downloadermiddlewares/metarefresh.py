"""MetaRefreshMiddleware: Scrapy's meta-refresh redirects, read from the head of the page only,
decoded as the extraction decodes pages.

Scrapy's own middleware looks for ``<meta http-equiv="refresh">`` in the first 4,096 characters
of the page, but gets them from ``response.text``, which decodes the whole body (and guesses
its encoding over the whole body when none is declared) and keeps that copy on the response:
an 8 MiB page costs tens of MiB in the crawler process. It also trusts any label Python knows:
a page served as ``charset=zlib`` makes ``response.text`` raise, which fails the download. This
one hands Scrapy's logic a copy of the response holding only the first bytes that can encode
those characters, decoded by ``crawler.encoding.decode_page`` (labels no browser reads are
ignored), so the rest of the body is never decoded and no label can make it raise.

A refresh to a URL no request can be made for (``javascript:``, a port over 65535) is not
followed (Scrapy raised ``ValueError``, which failed the page): the page goes on, as with a
refresh to another scheme, counted as ``redirect/malformed_refresh``.

Replaces ``scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware`` at the same place in
``DOWNLOADER_MIDDLEWARES``; reads the same settings (``METAREFRESH_ENABLED``,
``METAREFRESH_IGNORE_TAGS``, ``METAREFRESH_MAXDELAY``).
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefresh
from scrapy.http import HtmlResponse, Request, Response

from crawler.encoding import decode_page

logger = logging.getLogger(__name__)

# Scrapy scans the first 4,096 characters; no encoding spends more than 4 bytes on one.
SCAN_BYTES = 4096 * 4


def head_of(body: bytes, size: int = SCAN_BYTES) -> bytes:
    """The first ``size`` bytes of ``body``, less a last UTF-8 character that may be cut (a cut
    character would make UTF-8 bytes fail to decode as UTF-8, and the encoding guess differ)."""
    if len(body) <= size:
        return body
    head = body[:size]
    for back in range(1, 4):  # a UTF-8 sequence is at most 4 bytes: 1 lead + 3 continuations
        byte = head[-back]
        if byte & 0xC0 == 0xC0:  # a lead byte: its sequence may be incomplete, drop it
            return head[:-back]
        if byte & 0xC0 != 0x80:  # ASCII: nothing is cut
            return head
    return head


class MetaRefreshMiddleware(ScrapyMetaRefresh):
    def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if not isinstance(response, HtmlResponse):
            return super().process_response(request, response)
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        text = decode_page(head_of(response.body), content_type).text
        head = response.replace(body=text.encode("utf-8"), encoding="utf-8")
        try:
            result = super().process_response(request, head)
        except ValueError as exc:
            # A refresh to a URL no request can be made for (javascript:, a bad port) is not
            # followed, as Scrapy leaves one to another scheme (data:, file:).
            self.crawler.stats.inc_value("redirect/malformed_refresh")
            logger.info("Meta refresh of %s not followed: %s", request.url, exc)
            return response
        # No refresh (or one not followed): the page goes on whole, not its head.
        return response if result is head else result
