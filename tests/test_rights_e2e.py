"""End to end: rights signals through the real ``scrapy crawl feeds`` against local sites, each
its own server (a site is a host and port): TDMRep header, meta and tdmrep.json path rules,
robots.txt rules for AI crawlers, noai directives, a licence, a paywall; the skip setting; and
hostile tdmrep.json files (malformed, huge, redirected to a private address)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import pytest

from tests.conftest import ROOT, CrawlResult, LocalSite
from tests.pages import article_html, paragraphs_for

SCHEMA = json.loads((ROOT / "crawler" / "article.schema.json").read_text())
POLICY = "https://rights.example/tdm-policy.json"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
TDMREP = "/.well-known/tdmrep.json"


@pytest.fixture
def sites() -> Iterator[list[LocalSite]]:
    """Local servers started on demand: ``new_site(sites)``."""
    started: list[LocalSite] = []
    yield started
    for local in started:
        local.server.shutdown()
        local.server.server_close()


def new_site(started: list[LocalSite]) -> LocalSite:
    local = LocalSite()
    threading.Thread(target=local.server.serve_forever, daemon=True).start()
    started.append(local)
    return local


def page(slug: str, head: str = "") -> str:
    html = article_html(slug.replace("-", " ").title(), paragraphs_for(slug), author="Jane Roe")
    return html.replace("</head>", head + "</head>", 1)


def serve_feed(site: LocalSite, slugs: list[str], path: str = "/feed.xml") -> str:
    items = "".join(
        f"<item><title>{slug}</title><link>{site.url(slug)}</link>"
        f"<guid>{site.url(slug)}</guid><pubDate>Tue, 03 Sep 2024 08:00:00 GMT</pubDate></item>"
        for slug in slugs
    )
    site.add(
        path,
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>{site.base}'
        f"</link><description>d</description>{items}</channel></rss>",
        "application/rss+xml",
    )
    return site.url(path)


def by_path(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    for record in records:
        jsonschema.validate(record, SCHEMA)
    return {record["source_url"].split("/", 3)[3]: record for record in records}


def serve_publisher(site: LocalSite) -> str:
    """A site that says a lot: tdmrep.json with path rules, robots.txt shutting out some AI
    crawlers, and pages with a TDM header, a TDM meta element, noai directives, a licence and
    a paywall flag."""
    site.add(
        "/robots.txt",
        "User-agent: GPTBot\nDisallow: /\n\n"
        "User-agent: CCBot\nUser-agent: Google-Extended\nDisallow: /news/\n\n"
        "User-agent: *\nAllow: /\n",
        "text/plain",
    )
    site.add(
        TDMREP,
        json.dumps(
            [
                {"location": "/news/reserved/*", "tdm-reservation": 1, "tdm-policy": POLICY},
                {"location": "/news/", "tdm-reservation": 0},
            ]
        ),
        "application/json",
    )
    site.add("/news/reserved/budget", page("reserved-budget"))
    site.add("/news/open-harbour", page("open-harbour"))
    site.add("/news/header-library", page("header-library"), headers={"tdm-reservation": "1"})
    site.add(
        "/news/meta-river",
        page("meta-river", f'<meta name="tdm-reservation" content="1">'
                           f'<meta name="tdm-policy" content="{POLICY}">'),
    )  # fmt: skip
    site.add(
        "/news/noai-telescope",
        page("noai-telescope", '<meta name="robots" content="noai, noimageai">'),
        headers={"X-Robots-Tag": "noindex"},
    )
    paywall = {"@type": "NewsArticle", "headline": "Cc Council", "isAccessibleForFree": False}
    site.add(
        "/news/cc-council",
        page(
            "cc-council",
            f'<link rel="license" href="{CC_BY}">'
            f'<script type="application/ld+json">{json.dumps(paywall)}</script>',
        ),
    )
    slugs = [
        "/news/reserved/budget",
        "/news/open-harbour",
        "/news/header-library",
        "/news/meta-river",
        "/news/noai-telescope",
        "/news/cc-council",
    ]
    return serve_feed(site, slugs)


def test_rights_signals_and_their_absence(
    sites: list[LocalSite], crawl: Callable[..., CrawlResult]
) -> None:
    publisher, plain = new_site(sites), new_site(sites)
    publisher_feed = serve_publisher(publisher)
    # The plain site: no robots.txt, no tdmrep.json, no signal on the page: a licence named
    # in words is not a URL (resolved against the page it would be one of the site's own).
    plain_feed = serve_feed(plain, ["/news/plain-story"])
    named = {"@type": "NewsArticle", "license": "CC BY-SA 4.0"}
    plain.add(
        "/news/plain-story",
        page(
            "plain-story",
            f'<script type="application/ld+json">{json.dumps(named)}</script>'
            '<meta name="dcterms.license" content="Proprietary">',
        ),
    )

    result = crawl("-a", f"feeds={publisher_feed},{plain_feed}")
    assert result.returncode == 0, result.stderr[-3000:]
    records = by_path(result.records)
    assert len(records) == 7

    reserved = records["news/reserved/budget"]
    assert reserved["rights"]["tdm_reserved"] is True
    assert reserved["rights"]["tdm_policy"] == POLICY
    assert reserved["provenance"]["rights.tdm_reserved"] == "tdmrep.json"
    opened = records["news/open-harbour"]["rights"]
    assert opened["tdm_reserved"] is False and opened["tdm_policy"] is None
    assert records["news/open-harbour"]["provenance"]["rights.tdm_reserved"] == "tdmrep.json"
    # The page's header and meta supersede the file's "/news/" rule (reservation 0).
    header = records["news/header-library"]
    assert header["rights"]["tdm_reserved"] is True
    assert header["provenance"]["rights.tdm_reserved"] == "header"
    meta = records["news/meta-river"]
    assert (meta["rights"]["tdm_reserved"], meta["rights"]["tdm_policy"]) == (True, POLICY)
    assert meta["provenance"]["rights.tdm_reserved"] == "meta"

    for record in (r for path, r in records.items() if path != "news/plain-story"):
        crawlers = record["rights"]["ai_crawlers"]
        assert crawlers["GPTBot"] is False and crawlers["CCBot"] is False
        assert crawlers["Google-Extended"] is False
        assert crawlers["ClaudeBot"] is True and crawlers["PerplexityBot"] is True
        assert record["provenance"]["rights.ai_crawlers"] == "robots.txt"

    noai = records["news/noai-telescope"]
    assert noai["rights"]["robots_meta"] == ["noai", "noimageai", "noindex"]
    assert noai["provenance"]["rights.robots_meta"] == "meta, header"
    cc = records["news/cc-council"]
    assert cc["rights"]["license"] == CC_BY and cc["provenance"]["rights.license"] == "link"
    assert cc["rights"]["free_access"] is False
    for path in ("news/open-harbour", "news/header-library", "news/meta-river"):
        other = records[path]["rights"]
        assert other["robots_meta"] == [] and other["license"] is None
        assert other["free_access"] is None

    # Absence: every signal null or empty, except robots.txt's answer (no file: all allowed).
    nothing = records["news/plain-story"]
    assert {k: v for k, v in nothing["rights"].items() if k != "ai_crawlers"} == {
        "tdm_reserved": None,
        "tdm_policy": None,
        "robots_meta": [],
        "license": None,
        "free_access": None,
    }
    assert all(nothing["rights"]["ai_crawlers"].values())
    assert not any(key.startswith("rights.tdm") for key in nothing["provenance"])

    # tdmrep.json once per site, however many articles waited for it.
    assert publisher.hits(TDMREP) == 1 and plain.hits(TDMREP) == 1
    report = result.report
    assert report["counters"]["rights/tdmrep/found"] == 1
    assert report["counters"]["rights/tdmrep/absent"] == 1
    assert report["feeds"][publisher_feed]["rights"] == {
        "ai_crawlers_disallowed": 6,
        "license": 1,
        "noai": 1,
        "noimageai": 1,
        "noindex": 1,
        "not_free": 1,
        "tdm_not_reserved": 3,
        "tdm_reserved": 3,
    }
    assert "rights" not in report["feeds"][plain_feed]  # no signal: no counts
    assert report["totals"]["rights"]["tdm_reserved"] == 3
    assert (
        "rights signals: ai_crawlers_disallowed 6, tdm_not_reserved 3, tdm_reserved 3, license 1,"
        " noai 1, noimageai 1, noindex 1, not_free 1 (per feed in the report)" in result.stderr
    )


def test_skip_tdm_reserved_drops_exactly_the_reserved(
    sites: list[LocalSite], crawl: Callable[..., CrawlResult]
) -> None:
    publisher = new_site(sites)
    feed = serve_publisher(publisher)
    result = crawl("-a", f"feeds={feed}", settings={"NEWSCRAWLER_SKIP_TDM_RESERVED": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    records = by_path(result.records)
    assert sorted(records) == ["news/cc-council", "news/noai-telescope", "news/open-harbour"]
    assert not any(r["rights"]["tdm_reserved"] for r in records.values())
    # Reserved by tdmrep.json: never downloaded. Reserved by the page: dropped after.
    assert publisher.hits("/news/reserved/budget") == 0
    assert publisher.hits("/news/header-library") == publisher.hits("/news/meta-river") == 1
    totals = result.report["totals"]
    assert totals["articles_failed"] == {"tdm_reserved": 1}
    assert totals["dropped"] == {"tdm_reserved": 2}
    assert totals["reconciled"]
    rights = result.report["feeds"][feed]["rights"]
    assert rights["skipped_tdm_reserved"] == 1 and rights["dropped_tdm_reserved"] == 2
    assert publisher.hits(TDMREP) == 1


def test_hostile_tdmrep_declares_nothing(
    sites: list[LocalSite], crawl: Callable[..., CrawlResult]
) -> None:
    """Malformed, huge, redirected-to-private and robots-forbidden files: counted, capped,
    refused; the articles keep tdm_reserved null (never true, never false) and are not dropped
    by the skip setting."""
    malformed, huge, redirecting = new_site(sites), new_site(sites), new_site(sites)
    forbidden = new_site(sites)
    forbidden.add(TDMREP, json.dumps([{"location": "/", "tdm-reservation": 1}]))
    forbidden.add("/robots.txt", "User-agent: *\nDisallow: /.well-known/\n", "text/plain")
    # Cut short: a reservation that must not be read as one.
    malformed.add(TDMREP, '[{"location": "/", "tdm-reservation": 1}', "application/json")
    rule = {"location": "/", "tdm-reservation": 1, "tdm-policy": POLICY}
    huge.add(TDMREP, json.dumps([rule] * 2000), "application/json")  # over the 64 KiB cap
    redirecting.add(
        TDMREP, "", status=302, headers={"Location": "http://10.20.30.40/.well-known/tdmrep.json"}
    )
    feeds = []
    for index, local in enumerate((malformed, huge, redirecting, forbidden)):
        local.add(f"/news/story-{index}", page(f"story-{index}"))
        feeds.append(serve_feed(local, [f"/news/story-{index}"]))
    result = crawl(
        "-a", "feeds=" + ",".join(feeds), settings={"NEWSCRAWLER_SKIP_TDM_RESERVED": "1"}
    )
    assert result.returncode == 0, result.stderr[-3000:]
    records = by_path(result.records)
    assert len(records) == 4
    for record in records.values():
        assert record["rights"]["tdm_reserved"] is None
        assert record["rights"]["tdm_policy"] is None
        assert "rights.tdm_reserved" not in record["provenance"]
    counters = result.report["counters"]
    assert counters["rights/tdmrep/malformed"] == 1
    assert counters["rights/tdmrep/too_large"] == 1
    assert counters["rights/tdmrep/refused/urlpolicy_private"] == 1
    assert counters["urlpolicy/private"] == 1  # nothing was sent to the private address
    assert counters["rights/tdmrep/refused/robots_forbidden"] == 1
    assert forbidden.hits(TDMREP) == 0
    for local in (malformed, huge, redirecting):
        assert local.hits(TDMREP) == 1


def test_a_relative_tdm_policy_is_resolved_and_one_not_http_is_counted(
    sites: list[LocalSite], crawl: Callable[..., CrawlResult]
) -> None:
    """A relative ``tdm-policy`` is resolved against the URL it came from: the page for the
    header and the meta element, the tdmrep.json file for its rules. One that is no http(s)
    URL is dropped (the reservation stays) and counted."""
    publisher = new_site(sites)
    publisher.add(
        TDMREP,
        json.dumps(
            [
                {"location": "/news/file-relative", "tdm-reservation": 1,
                 "tdm-policy": "policies/tdm.json"},
                {"location": "/news/file-ftp", "tdm-reservation": 1,
                 "tdm-policy": "ftp://127.0.0.1/tdm.json"},
                {"location": "/", "tdm-reservation": 0},
            ]
        ),
        "application/json",
    )  # fmt: skip
    publisher.add("/news/file-relative", page("file-relative"))
    publisher.add("/news/file-ftp", page("file-ftp"))
    publisher.add(
        "/news/header-relative",
        page("header-relative"),
        headers={"tdm-reservation": "1", "tdm-policy": "/tdm-policy.html"},
    )
    publisher.add(
        "/news/deep/meta-relative",
        page("meta-relative", '<meta name="tdm-reservation" content="1">'
                              '<meta name="tdm-policy" content="../policy.html">'),
    )  # fmt: skip
    publisher.add(
        "/news/meta-mailto",
        page("meta-mailto", '<meta name="tdm-reservation" content="1">'
                            '<meta name="tdm-policy" content="mailto:rights@127.0.0.1">'),
    )  # fmt: skip
    paths = [
        "/news/file-relative",
        "/news/file-ftp",
        "/news/header-relative",
        "/news/deep/meta-relative",
        "/news/meta-mailto",
    ]
    result = crawl("-a", f"feeds={serve_feed(publisher, paths)}")
    assert result.returncode == 0, result.stderr[-3000:]
    records = by_path(result.records)
    policies = {path: record["rights"]["tdm_policy"] for path, record in records.items()}
    assert policies == {
        "news/file-relative": publisher.url("/.well-known/policies/tdm.json"),
        "news/file-ftp": None,
        "news/header-relative": publisher.url("/tdm-policy.html"),
        "news/deep/meta-relative": publisher.url("/news/policy.html"),
        "news/meta-mailto": None,
    }
    assert all(record["rights"]["tdm_reserved"] is True for record in records.values())
    assert "rights.tdm_policy" not in records["news/meta-mailto"]["provenance"]
    # The file's rule once (the file is read once per site), the page's meta element once.
    assert result.report["counters"]["rights/tdm_policy_dropped"] == 2
