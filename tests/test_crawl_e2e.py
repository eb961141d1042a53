"""End to end: the real ``scrapy crawl feeds`` against feeds and pages on a local server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import DATA, ROOT, CrawlResult, LocalSite
from tests.pages import article_html, paragraphs_for

SCHEMA = json.loads((ROOT / "crawler" / "article.schema.json").read_text())
ARTICLES = {
    "harbour-bridge": ("Harbour bridge reopens after repairs", "Jane Roe"),
    "council-budget": ("City council approves budget", None),
    "library-hours": ("Library extends opening hours", "Sam Poe"),
    "river-cleanup": ("Volunteers clean up the river banks", None),
    "telescope": ("New telescope sees first light", None),
}


def serve_feeds(site: LocalSite) -> None:
    for name, content_type in (
        ("rss20.xml", "application/rss+xml"),
        ("rss10.xml", "application/rdf+xml"),
        ("atom10.xml", "application/atom+xml"),
    ):
        text = (DATA / "feeds" / name).read_text().replace("{base}", site.base)
        site.add(f"/{name}", text, content_type)
    for slug, (title, author) in ARTICLES.items():
        page = article_html(title, paragraphs_for(slug), author=author)
        site.add(f"/news/{slug}", page)
        site.add(f"/news/{slug}/", page)


def test_feeds_to_json_lines(site: LocalSite, crawl: Callable[..., CrawlResult]) -> None:
    serve_feeds(site)
    feeds = ",".join(site.url(f"/{n}") for n in ("rss20.xml", "rss10.xml", "atom10.xml"))
    result = crawl("-a", f"feeds={feeds}")
    assert result.returncode == 0, result.stderr[-3000:]

    [output] = result.output_files
    assert output.name.startswith("feeds_") and output.suffix == ".jsonl"
    raw = output.read_bytes()
    assert b"\\u" not in raw, "UTF-8 output without ASCII escaping"
    records = result.records
    for record in records:
        jsonschema.validate(record, SCHEMA)
    by_slug = {r["source_url"].rstrip("/").rsplit("/", 1)[-1]: r for r in records}
    # Every linked article exactly once: repeated across feeds, relative link, utm variant.
    assert sorted(by_slug) == sorted(ARTICLES)
    assert len(records) == len(ARTICLES)
    for slug in ARTICLES:
        assert site.hits(f"/news/{slug}") + site.hits(f"/news/{slug}/") == 1, slug
    bridge = by_slug["harbour-bridge"]  # listed by two feeds: either may win the race
    assert bridge["title"] == "Harbour bridge reopens after repairs"
    assert bridge["authors"] == ["Jane Roe"]  # from the page
    assert bridge["published"] == "2024-09-03T08:00:00+00:00"  # from either feed
    assert bridge["text"] == "\n\n".join(paragraphs_for("harbour-bridge"))
    assert bridge["language"] == "en"
    budget = by_slug["council-budget"]  # RSS 2.0, relative link
    assert budget["feed_url"] == site.url("/rss20.xml")
    assert budget["published"] == "2024-09-03T07:00:00+00:00"
    assert budget["provenance"]["published"] == "feed"
    assert budget["guid"] == "wire-1002"
    telescope = by_slug["telescope"]  # Atom 1.0
    assert telescope["tags"] == ["Science"]
    assert telescope["provenance"]["tags"] == "feed"
    assert by_slug["river-cleanup"]["authors"] == ["Max Mustermann"]
    assert by_slug["river-cleanup"]["published"] == "2024-09-02T10:00:00+02:00"
    assert by_slug["telescope"]["authors"] == ["Erika Musterfrau"]
    assert by_slug["library-hours"]["source_url"] == site.url("/news/library-hours")

    # Run with the placeholder contact: it is sent, pointed out at start, and stops nothing
    # (tests/test_arguments_e2e.py runs with a contact of its own).
    user_agents = {headers.get("user-agent") for _, _, headers in site.requests}
    assert user_agents == {"newscrawler/0.1 (+https://example.com/newscrawler-contact)"}
    assert "NEWSCRAWLER_CONTACT is still the placeholder" in result.stderr
    report = result.report
    assert report["totals"]["written"] == len(ARTICLES)
    assert report["totals"]["reconciled"] is True
    assert all(feed["status"] == "ok" for feed in report["feeds"].values())


def test_seed_page(site: LocalSite, crawl: Callable[..., CrawlResult]) -> None:
    """The reference case: ad labels, a caption twice, a trailing headlines block."""
    html = (DATA / "seed" / "upi_article.html").read_text().replace("{base}", site.base)
    site.add("/Top_News/World-News/2017/01/19/joint-bombings", html)
    site.add(
        "/feed.xml",
        f"""<?xml version="1.0"?><rss version="2.0"><channel><title>UPI</title>
<item><title>Russia, Turkey carry out joint bombings in Syria</title>
<link>{site.base}/Top_News/World-News/2017/01/19/joint-bombings</link></item></channel></rss>""",
        "application/rss+xml",
    )
    result = crawl("-a", f"feeds={site.url('/feed.xml')}")
    assert result.returncode == 0, result.stderr[-3000:]
    [record] = result.records
    expected = (DATA / "seed" / "expected.txt").read_text().strip()
    assert record["text"] == expected
    assert len(record["text"].split("\n\n")) == 9
    assert record["title"] == "Russia, Turkey carry out joint bombings in Syria"
    assert record["authors"] == ["Andrew V. Pestano"]
    assert record["published"] == "2017-01-19T14:05:00-05:00"
    assert record["url"].endswith("/Russia-Turkey-carry-out-joint-bombings-in-Syria/5421484837383/")


def test_bad_and_unreachable_feeds_do_not_stop_the_others(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    serve_feeds(site)
    site.add("/login", "<html><body><form>Please log in</form></body></html>")
    closed = LocalSite()  # bound, never served: connection refused
    dead = closed.url("/feed.xml")
    closed.server.server_close()
    feeds = [site.url("/rss20.xml"), site.url("/missing.xml"), site.url("/login"), dead]
    result = crawl("-a", "feeds=" + ",".join(feeds))
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(result.records) == 3
    report = result.report
    assert report["feeds"][site.url("/rss20.xml")]["status"] == "ok"
    missing = report["feeds"][site.url("/missing.xml")]
    assert missing.pop("bytes") > 0 and missing.pop("latency_s") >= 0
    assert missing == {
        "status": "failed",
        "reason": "http_404",
        "entries": 0,
        "skipped": {},
        "written": 0,
        "http_status": 404,
        "failures": 0,
    }
    assert report["feeds"][site.url("/login")]["reason"] == "not_a_feed"
    assert report["feeds"][dead]["status"] == "failed"
    assert "Feed " + site.url("/missing.xml") + " failed: http_404" in result.stderr


def test_a_crawl_that_cannot_start_says_why(crawl: Callable[..., CrawlResult]) -> None:
    """A component that cannot be built (here a pipeline that does not exist) stops the crawl
    before any request, with its error on stderr and status 1, not in silence."""
    result = crawl("-s", 'ITEM_PIPELINES={"crawler.pipelines.nonexistent.Pipeline": 100}')
    assert result.returncode == 1
    assert "newscrawler: crawl failed: ModuleNotFoundError" in result.stderr
    assert "crawler.pipelines.nonexistent" in result.stderr


@pytest.mark.parametrize(
    "feeds", ["ftp://example.org/feed", "not a url", "http://127.0.0.1:1/a,http://127.0.0.1:1/a"]
)
def test_invalid_feed_list_fails_before_any_request(
    feeds: str, crawl: Callable[..., CrawlResult]
) -> None:
    result = crawl("-a", f"feeds={feeds}")
    assert result.returncode == 2
    assert "configuration error" in result.stderr


@pytest.mark.parametrize(
    "url",
    ["http://[::1", "http://127.0.0.1:abc/f", "http://127.0.0.1:99999/f", "http://[::1]x/f"],
)
@pytest.mark.parametrize("name", ["feeds", "sites", "sitemaps", "feeds_file"])
def test_a_listed_url_scrapy_cannot_request_is_a_configuration_error(
    name: str, url: str, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    """An unclosed bracket or a bad port crashed the crawl at start (a traceback, exit 1);
    text after an IPv6 literal stopped Scrapy reading the start requests (exit 0, no feed)."""
    value, source = url, f"-a {name}:1"
    if name == "feeds_file":
        listed = tmp_path / "feeds.txt"
        listed.write_text(f"# mine\n{url}\n", encoding="utf-8")
        value, source = str(listed), f"{listed}:2"
    result = crawl("-a", f"{name}={value}")
    assert result.returncode == 2, result.stderr[-3000:]
    kind = {"sites": "site", "sitemaps": "sitemap"}.get(name, "feed")
    assert f"configuration error: {source}: not an http(s) {kind} URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_feeds_file_and_o_flag(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    serve_feeds(site)
    feeds_file = tmp_path / "feeds.txt"
    feeds_file.write_text(f"# my feeds\n{site.url('/atom10.xml')}\n\n")
    custom = tmp_path / "mine.jsonl"
    result = crawl("-a", f"feeds_file={feeds_file}", "-O", str(custom))
    assert result.returncode == 0, result.stderr[-3000:]
    lines = custom.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and len(result.records) == 2
    assert {json.loads(line)["id"] for line in lines} == {r["id"] for r in result.records}
