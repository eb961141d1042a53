"""Hostile inputs, round five (docs/security.md): compressed robots.txt, discovery floods and
odd HTTP answers, end to end.

One real ``scrapy crawl feeds`` (with ``-a sites``) over local servers: a main site with a good
feed and feeds sent as odd HTTP answers, sites whose robots.txt is a compression bomb, and a
homepage that declares tens of thousands of feeds. Only loopback servers are used.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import brotli
import pytest

from crawler.feeds.sitemap import MAX_ROBOTS_SITEMAPS
from tests.conftest import LocalSite, run_crawl
from tests.hostile_site import HostileSite, SiteRun, gzip_bomb
from tests.pages import page
from tests.test_hostile_e2e import rss

MIB = 1024 * 1024
MAX_CANDIDATES = 10
SETTINGS = {
    "DOWNLOAD_TIMEOUT": "8",
    "RETRY_TIMES": "1",
    "NEWSCRAWLER_PARSE_TIMEOUT_S": "15",
    "NEWSCRAWLER_DISCOVERY_MAX_CANDIDATES": str(MAX_CANDIDATES),
}
# A homepage of 60,000 <link rel="alternate"> (3.8 MB, under the 4 MiB a homepage is read for):
# about 60 s of CPU when each link was looked for in the list of those before it.
ALTERNATES = 60_000
FOUND = 3  # of them, the first three are feeds; the next ones answer 404
RSS = b"Content-Type: application/rss+xml\r\n"
ROBOTS_SITEMAPS = 25  # Sitemap: lines in a robots.txt; the first MAX_ROBOTS_SITEMAPS are read


def raw(site: HostileSite, path: str, wire: bytes) -> None:
    """``path`` answers with ``wire``, bytes written as they are to the socket."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(wire)

    site.raw[path] = route


def answer(status_lines: bytes, body: bytes, headers: bytes = b"") -> bytes:
    """``status_lines`` (with any 1xx answers before the final status line), then ``body``."""
    return status_lines + RSS + headers + b"Content-Length: %d\r\n\r\n" % len(body) + body


def serve_main(site: HostileSite) -> list[str]:
    base = site.base
    site.add("/good.xml", rss(base, ["good-1"]))
    paths = ["/good.xml"]
    for slug in ("good-1", "continue", "hints", "layers"):
        site.add(f"/news/{slug}", page(slug))
    ok = b"HTTP/1.1 200 OK\r\n"
    # 1xx answers before the real one: read past (a flood of them hits the header cap).
    raw(
        site,
        "/continue.xml",
        answer(b"HTTP/1.1 100 Continue\r\n\r\n" + ok, rss_bytes(base, "continue")),
    )
    raw(
        site,
        "/hints.xml",
        answer(
            b"HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n" + ok,
            rss_bytes(base, "hints"),
        ),
    )
    raw(site, "/hints-flood.xml", answer(b"HTTP/1.1 103 Early Hints\r\n\r\n" * 100_000 + ok, b""))
    # Content-Encoding: gzip 300 times over: decoded layer by layer.
    layered = rss_bytes(base, "layers")
    for _ in range(300):
        layered = gzip.compress(layered, 1)
    coding = b"Content-Encoding: " + b", ".join([b"gzip"] * 300) + b"\r\n"
    raw(site, "/layers.xml", answer(ok, layered, coding))
    # A chunk-size line of 8 MiB (a chunk extension): the body is refused, never buffered.
    feed = rss_bytes(base, "never")
    chunked = b"%x;" % len(feed) + b"a" * (8 * MIB) + b"\r\n" + feed + b"\r\n0\r\n\r\n"
    raw(site, "/chunk-line.xml", ok + RSS + b"Transfer-Encoding: chunked\r\n\r\n" + chunked)
    # Status lines that are no HTTP: a status that is no number, a status of 999.
    raw(site, "/status-word.xml", answer(b"HTTP/1.1 abc OK\r\n", feed))
    raw(site, "/status-999.xml", answer(b"HTTP/1.1 999 Odd\r\n", feed))
    # A JSON Feed item nested 100,000 deep between two good ones.
    deep = "[" * 100_000 + "]" * 100_000
    site.add(
        "/deep.json",
        '{"version": "https://jsonfeed.org/version/1.1", "items": ['
        f'{{"url": "{base}/news/json-a"}}, {{"url": "{base}/news/json-deep", "x": {deep}}},'
        f'{{"url": "{base}/news/json-b"}}]}}',
        "application/feed+json",
    )
    for slug in ("json-a", "json-b", "json-deep"):
        site.add(f"/news/{slug}", page(slug))
    # UTF-16 pages without a BOM, labelled in the header: their NUL bytes are text.
    site.add("/wide.xml", rss(base, ["wide-be", "wide-le"]))
    site.add("/news/wide-be", page("wide-be").encode("utf-16-be"), "text/html; charset=utf-16be")
    site.add("/news/wide-le", page("wide-le").encode("utf-16-le"), "text/html; charset=utf-16")
    return [
        *paths,
        "/wide.xml",
        "/deep.json",
        "/continue.xml",
        "/hints.xml",
        "/hints-flood.xml",
        "/layers.xml",
        "/chunk-line.xml",
        "/status-word.xml",
        "/status-999.xml",
    ]


def rss_bytes(base: str, slug: str) -> bytes:
    return rss(base, [slug]).encode()


def serve_robots_bomb(site: HostileSite, coding: str) -> None:
    """A feed and its article behind a robots.txt that decodes to 50 MiB of zeros."""
    zeros = 50 * MIB
    bomb = gzip_bomb(zeros) if coding == "gzip" else brotli.compress(b"\0" * zeros, quality=1)
    site.add("/robots.txt", bomb, "text/plain", headers={"Content-Encoding": coding})
    site.add("/feed.xml", rss(site.base, ["behind"]))
    site.add("/news/behind", page("behind"))


def serve_declared_feeds(site: HostileSite) -> None:
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/f{n}.xml">'
        for n in range(ALTERNATES)
    )
    site.add("/", f"<!DOCTYPE html><html><head><title>H</title>{links}</head><body></body></html>")
    for n in range(FOUND):
        site.add(f"/f{n}.xml", rss(site.base, [f"declared-{n}"]))
        site.add(f"/news/declared-{n}", page(f"declared-{n}"))


def serve_listed_sitemaps(site: HostileSite) -> None:
    """A homepage without feeds whose robots.txt lists ROBOTS_SITEMAPS (empty) sitemaps."""
    site.add("/", "<!DOCTYPE html><html><head><title>H</title></head><body></body></html>")
    lines = "".join(f"Sitemap: {site.base}/sm{n}.xml\n" for n in range(ROBOTS_SITEMAPS))
    site.add("/robots.txt", f"User-agent: *\nAllow: /\n{lines}", "text/plain")
    empty = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>'
    for n in range(ROBOTS_SITEMAPS):
        site.add(f"/sm{n}.xml", empty, "application/xml")


@dataclass
class Round5(SiteRun):
    """The crawl; ``site`` is the main site, beside the robots.txt bombs and the homepage."""

    robots: dict[str, HostileSite]
    declaring: HostileSite
    listing: HostileSite

    def line(self, url: str) -> dict[str, Any]:
        feeds: dict[str, dict[str, Any]] = self.report["feeds"]
        return feeds[url]


@pytest.fixture(scope="module")
def round5(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Round5]:
    main, declaring, listing = HostileSite(), HostileSite(), HostileSite()
    robots = {coding: HostileSite() for coding in ("gzip", "br")}
    servers: list[LocalSite] = [main, declaring, listing, *robots.values()]
    for server in servers:
        threading.Thread(target=server.server.serve_forever, daemon=True).start()
    try:
        paths = serve_main(main)
        for coding, site in robots.items():
            serve_robots_bomb(site, coding)
        serve_declared_feeds(declaring)
        serve_listed_sitemaps(listing)
        feeds = [main.url(p) for p in paths] + [s.url("/feed.xml") for s in robots.values()]
        out = tmp_path_factory.mktemp("round5")
        result = run_crawl(
            out / "output",
            "-a",
            "feeds=" + ",".join(feeds),
            "-a",
            f"sites={declaring.url('/')},{listing.url('/')}",
            settings=SETTINGS,
            timeout=240,
        )
        (out / "stderr.txt").write_text(result.stderr)  # for a human reading a failure
        yield Round5(main, result, robots, declaring, listing)
    finally:
        for server in servers:
            server.server.shutdown()
            server.server.server_close()


def test_good_feed_and_reconciliation(round5: Round5) -> None:
    assert round5.result.returncode == 0, round5.result.stderr[-3000:]
    assert round5.feed("/good.xml")["status"] == "ok"
    assert round5.record("good-1")
    assert round5.report["totals"]["reconciled"] is True


def test_a_compressed_robots_txt_over_the_cap_closes_the_site(round5: Round5) -> None:
    """A robots.txt that decodes past 500 KiB is over the cap like one sent plain: the site is
    off limits for the run (main: Scrapy's robots.txt handling took the refused body for "no
    rules", and the feed and its article were crawled)."""
    for coding, site in round5.robots.items():
        line = round5.line(site.url("/feed.xml"))
        assert (line["status"], line["reason"]) == ("failed", "robots_unavailable"), coding
        assert site.hits("/feed.xml") == 0, coding
        assert site.hits("/news/behind") == 0, coding
    assert round5.counter("robotstxt/too_large") == 2
    assert round5.counter("robotstxt/unavailable") == 2
    assert not round5.records("behind")


def test_a_homepage_declaring_tens_of_thousands_of_feeds(round5: Round5) -> None:
    """Discovery reads the links in time linear in the page and tries the first
    NEWSCRAWLER_DISCOVERY_MAX_CANDIDATES (main: quadratic, the site failed as
    parse_timeout)."""
    site = round5.declaring
    for n in range(FOUND):
        assert round5.line(site.url(f"/f{n}.xml"))["status"] == "ok", n
        assert round5.record(f"declared-{n}")
    assert site.hits(f"/f{MAX_CANDIDATES - 1}.xml") == 1
    assert site.hits(f"/f{MAX_CANDIDATES}.xml") == 0
    assert round5.counter("feeds/failed/parse_timeout") == 0


def test_odd_http_answers(round5: Round5) -> None:
    """1xx answers before the real one are read past; a flood of them hits the header cap;
    300 stacked gzip codings are decoded; a chunk-size line of megabytes, a status that is
    no number fail the feed; a status of 999 is an HTTP error."""
    for path, slug in (
        ("/continue.xml", "continue"),
        ("/hints.xml", "hints"),
        ("/layers.xml", "layers"),
    ):
        assert round5.feed(path)["status"] == "ok", path
        assert round5.record(slug), slug
    expected = {
        "/hints-flood.xml": "headers_too_large",
        "/chunk-line.xml": "ResponseDataLossError",
        "/status-word.xml": "DownloadFailedError",
        "/status-999.xml": "http_999",
    }
    for path, reason in expected.items():
        line = round5.feed(path)
        assert (line["status"], line["reason"]) == ("failed", reason), path
    assert not round5.records("never")


def test_a_utf16_page_labelled_in_its_header_is_read(round5: Round5) -> None:
    """A UTF-16 page without a BOM, labelled in the Content-Type header, is read as browsers
    read it (main: its NUL bytes made it binary, dropped as not_html_bytes)."""
    for slug in ("wide-be", "wide-le"):
        record = round5.record(slug)
        assert record is not None and record["text"].startswith("The council met"), slug
    assert "not_html_bytes" not in round5.report["totals"]["dropped"]


def test_sitemaps_past_the_limit_of_a_robots_txt_are_counted(round5: Round5) -> None:
    """A site without feeds whose robots.txt lists 25 sitemaps: the first 20 are crawled, the
    others counted (main: left out silently)."""
    site = round5.listing
    for n in range(ROBOTS_SITEMAPS):
        assert site.hits(f"/sm{n}.xml") == (1 if n < MAX_ROBOTS_SITEMAPS else 0), n
    over = ROBOTS_SITEMAPS - MAX_ROBOTS_SITEMAPS
    assert round5.counter("discovery/over_limit/robots_sitemaps") == over


def test_a_json_feed_item_nested_too_deep_is_skipped(round5: Round5) -> None:
    """The deep item is skipped as too_deep, the others are crawled (main: the feed failed as
    parse_error:RecursionError)."""
    line = round5.feed("/deep.json")
    assert (line["status"], line["entries"], line["skipped"]) == ("ok", 2, {"too_deep": 1})
    assert round5.record("json-a") and round5.record("json-b")
    assert round5.site.hits("/news/json-deep") == 0
