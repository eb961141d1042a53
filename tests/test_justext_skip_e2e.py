"""End to end: a page of more blocks than trafilatura's jusText fallback is run on
(``JUSTEXT_MAX_BLOCKS``), through the real ``scrapy crawl feeds`` and its extraction workers.

A page of a one-sentence story and 100,000 ``<br>`` tags (just over the bound, with its
``<body>`` and ``<div>``), where trafilatura finds no article and would hand the page to
jusText: jusText is skipped, counted as ``extraction/justext_skipped``, and the page is dropped
as it is where jusText finds nothing. A plain article beside it is written. Only a loopback
server is used.
"""

from __future__ import annotations

import threading
from pathlib import Path

from crawler.extraction.trafilatura_selectors import JUSTEXT_MAX_BLOCKS
from tests.conftest import LocalSite, run_crawl
from tests.pages import page
from tests.test_extraction_e2e import rss

STORY = "<p>The harbour ferry keeps running every hour until the new bridge opens.</p>"
BREAKS = JUSTEXT_MAX_BLOCKS  # with the <body> and the <div>: two over the bound


def test_a_page_of_too_many_blocks_skips_justext_and_is_counted(tmp_path: Path) -> None:
    site = LocalSite()
    threading.Thread(target=site.server.serve_forever, daemon=True).start()
    try:
        blocks = "<br>" * BREAKS
        site.add("/news/breaks", f"<html><body><article>{STORY}</article><div>{blocks}</div>")
        site.add("/news/plain", page("plain"))
        links = [("Breaks", site.url("/news/breaks")), ("Plain", site.url("/news/plain"))]
        site.add("/feed.xml", rss("F", links), "application/rss+xml")
        result = run_crawl(tmp_path / "output", "-a", "feeds=" + site.url("/feed.xml"))
    finally:
        site.server.shutdown()
        site.server.server_close()
    assert result.returncode == 0, result.stderr[-3000:]
    assert [record["source_url"] for record in result.records] == [site.url("/news/plain")]
    counters = result.report["counters"]
    assert counters["extraction/justext_skipped"] == 1
    assert counters["articles/dropped/too_little_text"] == 1
