"""RunDupeFilter: scrapy-redis's shared fingerprint set, one per run.

scrapy-redis keeps one set per spider that never expires; a URL filtered in one run would be
filtered forever. Here the key carries the run id (``newscrawler:<spider>:dupefilter:<run>``)
and the last worker to leave the run deletes it. Fingerprints use our ``dedupe_key`` (scheme,
``www.``, trailing slash and tracking parameters ignored), the same identity the spider uses
within one process, so two workers never both request one article.
"""

from __future__ import annotations

import hashlib

from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter

from crawler.urls import dedupe_key


class RunDupeFilter(RFPDupeFilter):  # type: ignore[misc]
    def request_fingerprint(self, request: Request) -> str:
        if request.method == "GET" and not request.body:
            return hashlib.sha1(dedupe_key(request.url).encode("utf-8")).hexdigest()
        return str(super().request_fingerprint(request))

    def close(self, reason: str = "") -> None:
        """Keep the set: other workers of the run still use it (scrapy-redis deletes it)."""
