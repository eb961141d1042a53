"""MetaRefreshMiddleware: Scrapy's meta-refresh redirects, read from the head of the page only.

Scrapy's own middleware looks for ``<meta http-equiv="refresh">`` in the first 4,096 characters
of the page, but gets them from ``response.text``, which decodes the whole body (and guesses
its encoding over the whole body when none is declared) and keeps that copy on the response:
an 8 MiB page costs tens of MiB in the crawler process. This one hands Scrapy's logic a copy of
the response holding only the first bytes that can encode those characters, so the decision
is the same and the rest of the body is never decoded.

Replaces ``scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware`` at the same place in
``DOWNLOADER_MIDDLEWARES``; reads the same settings (``METAREFRESH_ENABLED``,
``METAREFRESH_IGNORE_TAGS``, ``METAREFRESH_MAXDELAY``).
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefresh
from scrapy.http import HtmlResponse, Request, Response

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
        if not isinstance(response, HtmlResponse) or len(response.body) <= SCAN_BYTES:
            return super().process_response(request, response)
        head = response.replace(body=head_of(response.body))
        result = super().process_response(request, head)
        # No refresh (or one not followed): the page goes on whole, not its head.
        return response if result is head else result
