"""The HTTP download handler's pool of keep-alive connections (``crawler.downloadhandlers``)."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from crawler.downloadhandlers import idle_connections_per_host


@pytest.mark.parametrize(
    ("per_domain", "total", "kept"),
    # CONCURRENT_REQUESTS 0: no limit (Scrapy 2.19), Scrapy's own size then.
    [(4, 32, 32), (16, 32, 32), (16, 8, 16), (4, 0, 4)],
)
def test_idle_connections_are_kept_for_every_request_in_flight(
    per_domain: int, total: int, kept: int
) -> None:
    """Scrapy keeps CONCURRENT_REQUESTS_PER_DOMAIN idle connections to a host, but without a
    download delay up to CONCURRENT_REQUESTS requests to one host are in flight: the pool
    keeps the larger, so no connection that comes back is closed while another is opened."""
    settings = Settings(
        {"CONCURRENT_REQUESTS_PER_DOMAIN": per_domain, "CONCURRENT_REQUESTS": total}
    )
    assert idle_connections_per_host(settings) == kept
