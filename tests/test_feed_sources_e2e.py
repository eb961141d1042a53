"""End to end: sites (feed discovery, robots.txt sitemaps), discover mode and OPML export,
OPML feed files, JSON Feed, and a sitemap index with a gzipped news sitemap, each through the
real ``scrapy crawl feeds`` against a local server."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema

from crawler.feeds.opml import parse_opml
from tests.conftest import DATA, ROOT, CrawlResult, LocalSite, crawl_command, feed_line
from tests.pages import article_html, paragraphs_for
from tests.test_crawl_e2e import SCHEMA, serve_feeds

HOMEPAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{name}</title>
{head}</head><body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<p>Welcome to {name}.</p></body></html>"""


def rss(*links: str, title: str = "Wire") -> str:
    items = "".join(
        f"<item><title>{link.rsplit('/', 1)[-1]}</title><link>{link}</link>"
        f"<pubDate>Tue, 03 Sep 2024 0{i}:00:00 GMT</pubDate></item>"
        for i, link in enumerate(links, start=1)
    )
    channel = f"<channel><title>{title}</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


def add_article(site: LocalSite, slug: str, title: str | None = None) -> None:
    text = title or slug.replace("-", " ").capitalize()
    site.add(f"/news/{slug}", article_html(text, paragraphs_for(slug)))


def bare_article(slug: str) -> str:
    """A page with text but no title or date of its own: the sitemap's values must show."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs_for(slug))
    head = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head>'
    return f"{head}<body><article>{body}</article></body></html>"


def serve_sites(site: LocalSite, other: LocalSite | None = None) -> None:
    base = site.base
    # Site A: declares an RSS feed, a JSON Feed and a comment feed in <link rel="alternate">.
    head = (
        '<link rel="alternate" type="application/rss+xml" title="Wire" href="/feeds/main.xml">'
        '<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments/feed/">'
        '<link rel="alternate" type="application/feed+json" href="/feeds/main.json">'
    )
    site.add("/", HOMEPAGE.format(name="Site A", head=head))
    site.add("/feeds/main.xml", rss(f"{base}/news/harbour-bridge", "/news/council-budget"))
    site.add("/comments/feed/", rss(f"{base}/news/comment-page"), "application/rss+xml")
    site.add(
        "/feeds/main.json",
        json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "Wire JSON",
                "items": [
                    {"id": "t", "url": "/news/telescope", "tags": ["Science"]},
                    {"id": "h", "url": f"{base}/news/harbour-bridge?utm_source=json"},
                ],
            }
        ),
        "application/feed+json",
    )
    # Site B: nothing declared, but a feed at the usual /feed location.
    site.add("/siteb/", HOMEPAGE.format(name="Site B", head=""))
    site.add("/siteb/feed", rss(f"{base}/news/library-hours"), "application/rss+xml")
    site.add("/siteb/rss", rss(f"{base}/news/never-fetched"), "application/rss+xml")
    # Site C: no feed at all, a news sitemap in robots.txt.
    site.add("/sitec/", HOMEPAGE.format(name="Site C", head=""))
    site.add(
        "/robots.txt",
        f"User-agent: *\nDisallow: /private/\nSitemap: {base}/sitec/news-sitemap.xml\n",
        "text/plain",
    )
    recent = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="seconds")
    site.add(
        "/sitec/news-sitemap.xml",
        f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{base}/news/river-cleanup</loc><news:news>
  <news:publication><news:name>C</news:name><news:language>en</news:language></news:publication>
  <news:publication_date>{recent}</news:publication_date><news:title>River</news:title>
</news:news></url>
<url><loc>{base}/news/old-story</loc><news:news>
  <news:publication><news:name>C</news:name><news:language>en</news:language></news:publication>
  <news:publication_date>2020-01-01T00:00:00Z</news:publication_date><news:title>Old</news:title>
</news:news></url></urlset>""",
        "application/xml",
    )
    for slug in ("harbour-bridge", "council-budget", "telescope", "library-hours"):
        add_article(site, slug)
    add_article(site, "river-cleanup", "Volunteers clean up the river banks")
    if other is not None:  # Site D (another host): no feed and no sitemap.
        other.add("/", HOMEPAGE.format(name="Site D", head=""))


def test_sites_discovery_and_sitemap_fallback(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    other = LocalSite()
    threading.Thread(target=other.server.serve_forever, daemon=True).start()
    try:
        serve_sites(site, other)
        sites = [site.url("/"), site.url("/siteb/"), site.url("/sitec/"), other.url("/")]
        result = crawl("-a", "sites=" + ",".join(sites))
    finally:
        other.server.shutdown()
        other.server.server_close()
    assert result.returncode == 0, result.stderr[-3000:]
    records = result.records
    for record in records:
        jsonschema.validate(record, SCHEMA)
    by_slug = {r["source_url"].rsplit("/", 1)[-1]: r for r in records}
    assert sorted(by_slug) == [
        "council-budget",
        "harbour-bridge",
        "library-hours",
        "river-cleanup",
        "telescope",
    ]
    # A: both declared feeds crawled (RSS and JSON Feed), the comment feed never fetched.
    assert by_slug["council-budget"]["feed_url"] == site.url("/feeds/main.xml")
    assert by_slug["telescope"]["feed_url"] == site.url("/feeds/main.json")
    assert by_slug["telescope"]["tags"] == ["Science"]
    assert site.hits("/comments/feed/") == 0
    assert site.hits("/news/harbour-bridge") == 1  # listed by both feeds
    assert site.hits("/feed") == 0  # alternates found: no guessing
    # B: the first usual location that parses; later ones not tried.
    assert by_slug["library-hours"]["feed_url"] == site.url("/siteb/feed")
    assert site.hits("/siteb/rss") == 0
    # C: every usual location tried, then the sitemap from robots.txt; only the new entry.
    assert site.hits("/sitec/feed") == 1 and site.hits("/sitec/feed.json") == 1
    river = by_slug["river-cleanup"]
    assert river["feed_url"] == site.url("/sitec/news-sitemap.xml")
    assert river["published"] is not None and river["provenance"]["published"] == "feed"
    assert site.hits("/news/old-story") == 0
    report = result.report
    feeds = report["feeds"]
    assert {url for url, f in feeds.items() if f["status"] == "ok"} == {
        site.url("/feeds/main.xml"),
        site.url("/feeds/main.json"),
        site.url("/siteb/feed"),
        site.url("/sitec/news-sitemap.xml"),
    }
    assert feeds[site.url("/sitec/news-sitemap.xml")]["skipped"] == {"too_old": 1}
    # D: reported as a failed source.
    assert feed_line(feeds[other.url("/")]) == {
        "status": "failed",
        "reason": "no_feed_found",
        "entries": 0,
        "skipped": {},
        "written": 0,
    }
    assert report["totals"]["reconciled"] is True
    # Discovery's counts are in the report too (rejected candidates with their reasons).
    counters = report["counters"]
    assert counters["discovery/found/alternate"] == 2 and counters["discovery/found/common"] == 1
    assert counters["discovery/rejected/http_404"] == 16
    assert (counters["sites/requested"], counters["sites/with_sitemaps"]) == (4, 1)


def test_discover_mode_prints_feeds_and_exports_opml(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    other = LocalSite()  # bound, never served: connection refused
    dead = other.url("/")
    other.server.server_close()
    serve_sites(site)
    feeds_file = tmp_path / "mine.txt"
    feeds_file.write_text(f"{site.url('/configured.xml')}\n")
    export = tmp_path / "found.opml"
    result = crawl(
        "-a",
        f"sites={site.url('/')},{site.url('/siteb/')},{site.url('/sitec/')},{dead}",
        "-a",
        "discover=1",
        "-a",
        f"feeds_file={feeds_file}",
        "-a",
        f"export_opml={export}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = {line["site"]: line for line in map(json.loads, result.stdout.splitlines())}
    assert [f["url"] for f in lines[site.url("/")]["feeds"]] == [
        site.url("/feeds/main.xml"),
        site.url("/feeds/main.json"),
    ]
    assert lines[site.url("/")]["feeds"][1]["format"] == "jsonfeed11"
    assert lines[site.url("/")]["feeds"][0]["entries"] == 2
    assert [f["url"] for f in lines[site.url("/siteb/")]["feeds"]] == [site.url("/siteb/feed")]
    assert lines[site.url("/sitec/")]["sitemaps"] == [site.url("/sitec/news-sitemap.xml")]
    assert lines[dead] == {
        "site": dead,
        "error": "DownloadConnectionRefusedError",
        "feeds": [],
        "sitemaps": [],
    }
    # Nothing crawled: no article, no sitemap, not the configured feed.
    assert not any(path.startswith("/news/") for _, path, _ in site.requests)
    assert site.hits("/sitec/news-sitemap.xml") == 0 and site.hits("/configured.xml") == 0
    assert result.records == []
    assert result.report["opml_export_error"] is None
    exported = [f.url for f in parse_opml(export.read_bytes(), str(export))]
    assert exported == [
        site.url("/configured.xml"),
        site.url("/feeds/main.xml"),
        site.url("/feeds/main.json"),
        site.url("/siteb/feed"),
    ]


def test_opml_feeds_file_with_nested_categories_and_json_feed(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    serve_feeds(site)
    json_feed = {
        "version": "https://jsonfeed.org/version/1",
        "title": "Wire JSON",
        "items": [
            {
                "id": "j1",
                "url": "/json/solar-farm",
                "date_published": "2024-09-04T06:30:00+02:00",
                "author": {"name": "Ada Lovelace"},
                "tags": ["Energy"],
            },
            {"id": "j2", "title": "no link"},
            {"id": "j3", "url": "javascript:alert(1)"},
            "not an item",
        ],
    }
    site.add("/feed.json", json.dumps(json_feed), "application/feed+json")
    site.add("/json/solar-farm", article_html("Solar farm opens", paragraphs_for("solar-farm")))
    # The sample OPML, plus the JSON Feed filed two levels down.
    opml = tmp_path / "subscriptions.opml"
    opml.write_text(
        (DATA / "opml" / "nested.opml")
        .read_text()
        .replace("{base}", site.base)
        .replace(
            "</body>",
            '<outline text="Mixed"><outline text="JSON"><outline text="JSON feed" '
            f'xmlUrl="{site.url("/feed.json")}"/></outline></outline></body>',
        )
    )
    result = crawl("-a", f"feeds_file={opml}")
    assert result.returncode == 0, result.stderr[-3000:]
    by_slug = {r["source_url"].rstrip("/").rsplit("/", 1)[-1]: r for r in result.records}
    assert len(result.records) == 6
    # RSS 2.0 feed filed under News/World and under Also World: both in its articles'
    # feed_tags, apart from the page's and the entry's own tags.
    assert by_slug["council-budget"]["feed_tags"] == ["News/World", "Also World"]
    assert by_slug["council-budget"]["tags"] == []
    # Atom feed under News/Science with OPML category attributes; the entry's own tag apart.
    assert by_slug["telescope"]["tags"] == ["Science"]
    assert by_slug["telescope"]["feed_tags"] == ["News/Science", "Space", "Tech/Gadgets"]
    # JSON Feed: its fields on the record, its skipped items counted in the report.
    solar = by_slug["solar-farm"]
    assert solar["feed_url"] == site.url("/feed.json")
    assert solar["guid"] == "j1"
    assert solar["published"] == "2024-09-04T06:30:00+02:00"
    assert solar["authors"] == ["Ada Lovelace"]
    assert (solar["tags"], solar["feed_tags"]) == (["Energy"], ["Mixed/JSON"])
    report = result.report["feeds"][site.url("/feed.json")]
    assert feed_line(report) == {
        "status": "ok",
        "reason": None,
        "entries": 1,
        "skipped": {"link_missing": 1, "link_scheme": 1, "invalid_item": 1},
        "written": 1,
    }


def test_sitemap_index_with_gzipped_news_sitemap(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    now = datetime.now(UTC)
    fresh = [(now - timedelta(hours=h)).isoformat(timespec="seconds") for h in (1, 5)]
    base = site.base
    index = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{base}/sitemaps/2019.xml</loc><lastmod>2019-12-31</lastmod></sitemap>
<sitemap><loc>{base}/sitemaps/news.xml.gz</loc><lastmod>{fresh[0]}</lastmod></sitemap>
</sitemapindex>"""
    entries = [
        ("fresh-one", "Ferry service resumes on the north route", fresh[0], "Transport, Ferry"),
        ("fresh-two", "Museum opens a new wing", fresh[1], "Culture"),
        ("stale-one", "Old news one", "2021-05-01T10:00:00Z", "Old"),
        ("stale-two", "Old news two", (now - timedelta(days=9)).isoformat(), "Old"),
    ]
    urls = "".join(
        f"""<url><loc>{base}/story/{slug}</loc><news:news><news:publication>
<news:name>Wire</news:name><news:language>en</news:language></news:publication>
<news:publication_date>{date}</news:publication_date><news:title>{title}</news:title>
<news:keywords>{keywords}</news:keywords></news:news></url>"""
        for slug, title, date, keywords in entries
    )
    news = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>"""
    site.add("/sitemap_index.xml", index, "application/xml")
    # Served as a file, without Content-Encoding: arrives compressed.
    site.add("/sitemaps/news.xml.gz", gzip.compress(news.encode()), "application/gzip")
    for slug, *_ in entries:
        site.add(f"/story/{slug}", bare_article(slug))
    result = crawl("-a", f"sitemaps={site.url('/sitemap_index.xml')}")
    assert result.returncode == 0, result.stderr[-3000:]
    records = sorted(result.records, key=lambda r: r["source_url"])
    assert [r["source_url"] for r in records] == [
        site.url("/story/fresh-one"),
        site.url("/story/fresh-two"),
    ]
    one, two = records
    assert one["title"] == "Ferry service resumes on the north route"
    assert one["provenance"]["title"] == "feed"
    assert one["published"] == fresh[0]
    assert one["tags"] == ["Transport", "Ferry"]
    assert one["feed_url"] == site.url("/sitemaps/news.xml.gz")
    assert two["title"] == "Museum opens a new wing" and two["published"] == fresh[1]
    assert site.hits("/story/stale-one") == site.hits("/story/stale-two") == 0
    assert site.hits("/sitemaps/2019.xml") == 0  # older than the age limit: not fetched
    feeds = result.report["feeds"]
    assert feeds[site.url("/sitemap_index.xml")]["skipped"] == {"too_old": 1}
    assert feeds[site.url("/sitemaps/news.xml.gz")]["skipped"] == {"too_old": 2}


def test_discovery_candidates_past_the_limit_are_counted(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    """A site declaring more feeds than NEWSCRAWLER_DISCOVERY_MAX_CANDIDATES: the ones past the
    limit are not tried, and counted (they were left out without a trace)."""
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/section-{n}.xml">'
        for n in range(3)
    )
    site.add("/", f"<!DOCTYPE html><html><head>{links}</head><body>News</body></html>")
    for n in range(3):
        add_article(site, f"story-{n}")
        site.add(f"/section-{n}.xml", rss(site.url(f"/news/story-{n}")), "application/rss+xml")
    result = crawl(
        "-a", f"sites={site.url('/')}", settings={"NEWSCRAWLER_DISCOVERY_MAX_CANDIDATES": "2"}
    )
    assert result.returncode == 0, result.stderr[-3000:]
    counters = result.report["counters"]
    assert counters["discovery/found/alternate"] == 2
    assert counters["discovery/over_limit/alternate"] == 1
    assert "discovery/over_limit/common" not in counters  # a stage never searched
    assert site.hits("/section-2.xml") == 0


def test_invalid_source_arguments_fail_before_any_request(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    result = crawl("-a", "sites=ftp://example.org/", "-a", f"sitemaps={site.url('/s.xml')}")
    assert result.returncode == 2
    assert "-a sites:1: not an http(s) site URL" in result.stderr
    assert site.requests == []


def test_discovery_is_refused_in_distributed_mode(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    # Refused while the spider is built: no Redis connection, no request (port 1 is closed).
    result = crawl("-a", f"sites={site.url('/')}", settings={"REDIS_URL": "redis://127.0.0.1:1"})
    assert result.returncode == 2
    assert "does not run in distributed mode" in result.stderr
    assert site.requests == []


def test_sitemap_recursion_and_size_are_bounded(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    def index(*paths: str) -> str:
        items = "".join(f"<sitemap><loc>{site.url(p)}</loc></sitemap>" for p in paths)
        return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'

    site.add("/idx.xml", index("/idx2.xml", "/s1.xml.gz", "/s2.xml", "/s3.xml"), "text/xml")
    site.add("/idx2.xml", index("/deep.xml"), "text/xml")
    bomb = gzip.compress(b"<urlset>" + b" " * (8 * 1024 * 1024) + b"</urlset>", compresslevel=9)
    site.add("/s1.xml.gz", bomb, "application/octet-stream")
    result = crawl(
        "-a",
        f"sitemaps={site.url('/idx.xml')}",
        settings={
            "NEWSCRAWLER_SITEMAP_MAX_DEPTH": "1",
            "NEWSCRAWLER_SITEMAP_MAX_CHILDREN": "2",
            "NEWSCRAWLER_SITEMAP_MAX_BYTES": str(1024 * 1024),
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    feeds = result.report["feeds"]
    assert feeds[site.url("/idx.xml")]["skipped"] == {"over_limit": 2}
    assert feeds[site.url("/idx.xml")]["entries"] == 2
    assert feeds[site.url("/idx2.xml")]["skipped"] == {"depth_limit": 1}
    assert feeds[site.url("/s1.xml.gz")]["status"] == "failed"
    assert feeds[site.url("/s1.xml.gz")]["reason"] == "gzip_too_large"
    assert [site.hits(p) for p in ("/deep.xml", "/s2.xml", "/s3.xml")] == [0, 0, 0]


def test_a_sitemap_up_to_its_own_limit_is_read_however_it_is_served(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    """NEWSCRAWLER_SITEMAP_MAX_BYTES is a sitemap's limit, on the wire and decompressed: a
    sitemap sent with Content-Encoding: gzip stopped inflating at DOWNLOAD_MAXSIZE (failed
    as decompressed_too_large), and a plain one was cut there (too_large)."""
    add_article(site, "big-sitemap-story")
    fresh = datetime.now(UTC).isoformat()
    entry = f"<url><loc>{site.url('/news/big-sitemap-story')}</loc><lastmod>{fresh}</lastmod></url>"
    body = f"<urlset>{entry}<!-- {'x' * 2 * 1024 * 1024} --></urlset>".encode()
    site.add("/encoded.xml", gzip.compress(body), "text/xml", headers={"Content-Encoding": "gzip"})
    site.add("/plain.xml", body, "text/xml")
    site.add(
        "/small-limit.xml", gzip.compress(body), "text/xml", headers={"Content-Encoding": "gzip"}
    )
    sitemaps = ",".join(site.url(p) for p in ("/encoded.xml", "/plain.xml"))
    result = crawl("-a", f"sitemaps={sitemaps}", settings={"DOWNLOAD_MAXSIZE": str(1024 * 1024)})
    assert result.returncode == 0, result.stderr[-3000:]
    feeds = result.report["feeds"]
    assert feeds[site.url("/encoded.xml")]["status"] == "ok", feeds
    assert feeds[site.url("/plain.xml")]["status"] == "ok", feeds
    assert len(result.records) == 1
    # The sitemap's own limit still holds, decompressed too.
    limited = crawl(
        "-a",
        f"sitemaps={site.url('/small-limit.xml')}",
        settings={"NEWSCRAWLER_SITEMAP_MAX_BYTES": str(1024 * 1024)},
    )
    line = limited.report["feeds"][site.url("/small-limit.xml")]
    assert (line["status"], line["reason"]) == ("failed", "decompressed_too_large")


def test_invalid_sitemap_setting_fails_at_start(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    result = crawl(
        "-a",
        f"sitemaps={site.url('/s.xml')}",
        settings={"NEWSCRAWLER_SITEMAP_MAX_AGE_DAYS": "0"},
    )
    assert result.returncode == 2
    assert "NEWSCRAWLER_SITEMAP_MAX_AGE_DAYS must be at least 1" in result.stderr
    assert site.requests == []


def test_failed_opml_export_is_in_the_report_and_exit_status(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    site.add("/feed.xml", rss(f"{site.base}/news/harbour-bridge"), "application/rss+xml")
    add_article(site, "harbour-bridge")
    export = tmp_path / "feeds.opml"
    # The export is written to <path>.part first: a directory there makes it unwritable, even
    # for root (the tests may run as root, where file permissions do not stop a write).
    (tmp_path / "feeds.opml.part").mkdir()
    result = crawl("-a", f"feeds={site.url('/feed.xml')}", "-a", f"export_opml={export}")
    assert result.returncode == 1, result.stderr[-3000:]
    report = result.report
    assert str(export) in report["opml_export_error"]
    assert "Is a directory" in report["opml_export_error"]
    # The crawl itself did its work; only the export failed.
    assert report["feeds"][site.url("/feed.xml")]["status"] == "ok"
    assert report["totals"]["written"] == 1
    assert "OPML EXPORT ERROR" in result.stderr
    assert not export.exists()


def news_sitemap(site: LocalSite, *slugs: str) -> str:
    recent = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    urls = "".join(
        f"<url><loc>{site.url('/story/' + slug)}</loc><lastmod>{recent}</lastmod></url>"
        for slug in slugs
    )
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def test_sitemaps_file_lists_sitemaps_like_a_feeds_file(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    site.add("/one.xml", news_sitemap(site, "ferry-resumes"), "application/xml")
    site.add("/two.xml", news_sitemap(site, "museum-wing"), "application/xml")
    for slug in ("ferry-resumes", "museum-wing"):
        site.add(f"/story/{slug}", article_html(slug.replace("-", " "), paragraphs_for(slug)))
    listed = tmp_path / "sitemaps.txt"
    listed.write_text(
        f"\ufeff# news sitemaps\n{site.url('/one.xml')}\n\n  {site.url('/two.xml')}  \n",
        encoding="utf-8",
    )
    result = crawl("-a", f"sitemaps_file={listed}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(r["feed_url"] for r in result.records) == [
        site.url("/one.xml"),
        site.url("/two.xml"),
    ]
    feeds = result.report["feeds"]
    assert {url: f["status"] for url, f in feeds.items()} == {
        site.url("/one.xml"): "ok",
        site.url("/two.xml"): "ok",
    }  # the bundled feed list is not crawled with a sitemaps file


def test_invalid_sitemaps_file_fails_before_any_request(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    listed = tmp_path / "sitemaps.txt"
    listed.write_text(f"{site.url('/one.xml')}\nsitemap.xml\n")
    bad_line = crawl("-a", f"sitemaps_file={listed}")
    missing = crawl("-a", f"sitemaps_file={tmp_path / 'absent.txt'}")
    both = crawl("-a", f"sitemaps_file={listed}", "-a", f"sitemaps={site.url('/one.xml')}")
    assert [r.returncode for r in (bad_line, missing, both)] == [2, 2, 2]
    assert f"{listed}:2: not an http(s) sitemap URL: 'sitemap.xml'" in bad_line.stderr
    assert f"cannot read sitemap file {tmp_path / 'absent.txt'}" in missing.stderr
    assert "give either -a sitemaps= or -a sitemaps_file=, not both" in both.stderr
    assert site.requests == []


# A wrapper of parse_sitemap that logs, for each call, the process it ran in. It lives in a
# module of its own (written next to the test) so that it can be sent to a parse worker.
SITEMAP_PROBE = """
import json, os, sys
from crawler.feeds.sitemap import parse_sitemap
LOG = os.environ["SITEMAP_PROBE_LOG"]
def recording(*args, **kwargs):
    with open(LOG, "a") as log:
        log.write(json.dumps({"pid": os.getpid()}) + "\\n")
    return parse_sitemap(*args, **kwargs)
"""
# Runs `scrapy crawl` with crawler.spiders.sources.parse_sitemap replaced by the probe.
RECORDING_CRAWL = """
import os, sys
import crawler.spiders.sources as sources
import sitemap_probe
sources.parse_sitemap = sitemap_probe.recording
with open(os.environ["SITEMAP_PROBE_LOG"] + ".crawler", "w") as log:
    log.write(str(os.getpid()))
from scrapy.cmdline import execute
execute(["scrapy", *sys.argv[1:]])
"""


def test_sitemaps_are_parsed_in_a_worker_process(site: LocalSite, tmp_path: Path) -> None:
    index = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.url('/news.xml')}</loc></sitemap></sitemapindex>"
    )
    site.add("/index.xml", index, "application/xml")
    site.add("/news.xml", news_sitemap(site, "ferry-resumes"), "application/xml")
    site.add("/story/ferry-resumes", article_html("Ferry resumes", paragraphs_for("ferry")))
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()
    (probe_dir / "sitemap_probe.py").write_text(SITEMAP_PROBE)
    calls_log = tmp_path / "calls.jsonl"
    command, env = crawl_command(tmp_path / "output", "-a", f"sitemaps={site.url('/index.xml')}")
    assert command[1:3] == ["-m", "scrapy"]
    command[1:3] = ["-c", RECORDING_CRAWL]
    env["PYTHONPATH"] = os.pathsep.join((str(probe_dir), env["PYTHONPATH"]))
    env["SITEMAP_PROBE_LOG"] = str(calls_log)
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    crawler_pid = int(Path(f"{calls_log}.crawler").read_text())
    calls = [json.loads(line) for line in calls_log.read_text().splitlines()]
    assert len(calls) == 2  # the index and its sitemap
    assert all(call["pid"] != crawler_pid for call in calls)
    assert site.hits("/story/ferry-resumes") == 1


def serve_feed_sites(site: LocalSite) -> list[str]:
    """Two site URLs that are feeds (RSS with a wrong Content-Type, JSON Feed) and an HTML one."""
    base = site.base
    site.add("/wire/top-stories", rss(f"{base}/news/harbour-bridge", title="Wire RSS"), "text/html")
    json_feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Wire JSON",
        "items": [{"id": "t", "url": "/news/telescope"}],
    }
    site.add("/wire/feed.json", json.dumps(json_feed), "application/feed+json")
    site.add("/siteb/", HOMEPAGE.format(name="Site B", head=""))
    site.add("/siteb/feed", rss(f"{base}/news/library-hours"), "application/rss+xml")
    for slug in ("harbour-bridge", "telescope", "library-hours"):
        add_article(site, slug)
    return [site.url("/wire/top-stories"), site.url("/wire/feed.json"), site.url("/siteb/")]


def test_site_url_that_is_a_feed_is_crawled_as_the_feed(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    sites = serve_feed_sites(site)
    result = crawl("-a", "sites=" + ",".join(sites))
    assert result.returncode == 0, result.stderr[-3000:]
    by_slug = {r["source_url"].rsplit("/", 1)[-1]: r["feed_url"] for r in result.records}
    assert by_slug == {
        "harbour-bridge": site.url("/wire/top-stories"),
        "telescope": site.url("/wire/feed.json"),
        "library-hours": site.url("/siteb/feed"),
    }
    # Each feed fetched once, and no feed searched for beside it.
    assert site.hits("/wire/top-stories") == site.hits("/wire/feed.json") == 1
    assert site.hits("/wire/feed") == site.hits("/wire/rss") == 0
    feeds = result.report["feeds"]
    assert {url: f["status"] for url, f in feeds.items()} == {
        site.url("/wire/top-stories"): "ok",
        site.url("/wire/feed.json"): "ok",
        site.url("/siteb/feed"): "ok",
    }
    assert feeds[site.url("/wire/top-stories")]["written"] == 1


def test_discover_mode_lists_a_site_url_that_is_a_feed(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    sites = serve_feed_sites(site)
    result = crawl("-a", "sites=" + ",".join(sites), "-a", "discover=1")
    assert result.returncode == 0, result.stderr[-3000:]
    lines = {line["site"]: line for line in map(json.loads, result.stdout.splitlines())}
    assert lines[site.url("/wire/top-stories")] == {
        "site": site.url("/wire/top-stories"),
        "error": None,
        "feeds": [
            {
                "url": site.url("/wire/top-stories"),
                "title": "Wire RSS",
                "format": "rss20",
                "entries": 1,
            }
        ],
        "sitemaps": [],
    }
    assert lines[site.url("/wire/feed.json")]["feeds"] == [
        {
            "url": site.url("/wire/feed.json"),
            "title": "Wire JSON",
            "format": "jsonfeed11",
            "entries": 1,
        }
    ]
    assert [f["url"] for f in lines[site.url("/siteb/")]["feeds"]] == [site.url("/siteb/feed")]
    assert not any(path.startswith("/news/") for _, path, _ in site.requests)


def test_site_and_candidate_downloads_have_the_feed_size_cap(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    """A site URL may be a feed and a candidate is one: both are cut at
    NEWSCRAWLER_FEED_MAXSIZE_BYTES, not at the global DOWNLOAD_MAXSIZE."""
    padding = "<!-- " + "x" * 100_000 + " -->"
    site.add("/big/feed", rss(site.url("/news/harbour-bridge")) + padding, "application/rss+xml")
    head = f'<link rel="alternate" type="application/rss+xml" href="{site.url("/cand/feed")}">'
    site.add("/cand/", HOMEPAGE.format(name="Candidates", head=head))
    site.add("/cand/feed", rss(site.url("/news/harbour-bridge")) + padding, "application/rss+xml")
    add_article(site, "harbour-bridge")
    cap = {"NEWSCRAWLER_FEED_MAXSIZE_BYTES": "65536"}
    result = crawl("-a", f"sites={site.url('/big/feed')},{site.url('/cand/')}", settings=cap)
    feeds = result.report["feeds"]
    assert feeds[site.url("/big/feed")]["status"] == "failed"
    assert feeds[site.url("/big/feed")]["reason"] == "too_large"
    assert feeds[site.url("/cand/")]["reason"] == "no_feed_found"
    assert result.report["counters"]["discovery/rejected/too_large"] == 1
    assert site.hits("/news/harbour-bridge") == 0
