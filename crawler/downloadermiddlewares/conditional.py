"""ConditionalGetMiddleware: feeds are fetched with conditional GET.

A feed request (one whose callback gets ``feed_url`` and no ``entry``) is sent with
``If-None-Match`` / ``If-Modified-Since`` from the validators the state store holds for the feed
(``crawler.extensions.state.RunState``), and only then is allowed to come back ``304 Not
Modified``: the spider then reports the feed ``not_modified`` without parsing anything. A 304
to a request sent without validators fails the feed (``http_304``). The validators of a 200
answer are handed to ``RunState``, which stores them only if the feed is fully processed.
Validators older than half of ``NEWSCRAWLER_SEEN_TTL_DAYS`` are not sent (one full fetch), so
the seen records of a feed that never changes are refreshed before they expire.

Enabled in ``DOWNLOADER_MIDDLEWARES``. Stats: ``feeds/conditional_requests``,
``feeds/revalidated``.
"""

from __future__ import annotations

import time

from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from crawler.extensions.state import RunState


def feed_url_of(request: Request) -> str | None:
    """The feed a request fetches, or ``None`` for any other request."""
    kwargs = request.cb_kwargs
    if "entry" in kwargs:
        return None
    feed_url = kwargs.get("feed_url")
    return feed_url if isinstance(feed_url, str) else None


class ConditionalGetMiddleware:
    def __init__(self, crawler: Crawler, state: RunState) -> None:
        self.stats = crawler.stats
        self.state = state
        self.revalidate_before = time.time() - state.config.seen_ttl_days * 86400 / 2

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        return cls(crawler, RunState.for_crawler(crawler))

    def process_request(self, request: Request) -> None:
        feed_url = feed_url_of(request)
        if feed_url is None:
            return
        stored = self.state.require_store().feed(feed_url)
        if stored is None or not (stored.etag or stored.last_modified):
            return
        if stored.validated_at is not None and stored.validated_at < self.revalidate_before:
            # A feed unchanged for half the seen TTL is read in full once, so the articles it
            # still lists are touched and do not expire (then be written again) behind 304s.
            if self.stats is not None:
                self.stats.inc_value("feeds/revalidated")
            return
        if stored.etag:
            request.headers.setdefault(b"If-None-Match", stored.etag)
        if stored.last_modified:
            request.headers.setdefault(b"If-Modified-Since", stored.last_modified)
        # Only a request that asked "changed since?" may be answered 304: any other 304 is a
        # failed feed (http_304), never a feed taken as unchanged.
        allowed = list(request.meta.get("handle_httpstatus_list", []))
        if 304 not in allowed:
            request.meta["handle_httpstatus_list"] = [*allowed, 304]
        if self.stats is not None:
            self.stats.inc_value("feeds/conditional_requests")

    def process_response(self, request: Request, response: Response) -> Response:
        feed_url = feed_url_of(request)
        if feed_url is not None and response.status == 200:
            etag = response.headers.get(b"ETag")
            last_modified = response.headers.get(b"Last-Modified")
            self.state.note_validators(
                feed_url,
                etag.decode("latin-1") if etag else None,
                last_modified.decode("latin-1") if last_modified else None,
            )
        return response
