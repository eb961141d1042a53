"""Hostile inputs, round two (docs/security.md): entries, outputs and state, end to end.

One real ``scrapy crawl feeds`` over hostile feeds served by a local server next to good feeds
whose articles must all be written; cases that need their own settings or state run their own
crawl. Only loopback servers are used.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from crawler.feeds.opml import parse_opml
from crawler.urls import record_url
from tests.conftest import ROOT, LocalSite, crawl_command
from tests.hostile_site import HostileSite, SiteRun, served_crawl
from tests.pages import page
from tests.test_hostile_e2e import SCHEMA, rss
from tests.test_state_store import damaged

SETTINGS = {"DOWNLOAD_TIMEOUT": "4", "RETRY_TIMES": "1"}
GOOD = ["good-1", "good-2", "good-3"]


def item(link: str, title: str = "t", guid: str | None = None) -> str:
    guid_element = f'<guid isPermaLink="false">{guid}</guid>' if guid else ""
    return f"<item><title>{title}</title><link>{link}</link>{guid_element}</item>"


def rss_items(*items: str) -> str:
    channel = "<channel><title>Feed</title>" + "".join(items) + "</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


def serve(site: HostileSite) -> list[str]:
    base = site.base
    feeds: list[str] = []

    def feed(path: str, body: str, content_type: str = "application/rss+xml") -> None:
        site.add(path, body, content_type)
        feeds.append(path)

    def articles(*slugs: str) -> None:
        for slug in slugs:
            site.add(f"/news/{slug}", page(slug))

    feed("/good.xml", rss(base, GOOD))
    articles(*GOOD)

    # One bad link must not hide its feed: the newest entry cannot become a request.
    feed(
        "/bad-host.xml",
        rss_items(
            item("http://[::1]x/news/newest"),
            item(f"{base}/news/host-after-1"),
            item("http://[::1]:80x/"),
            item("http://exa%41mple.org/news/x"),
            item(f"{base}/news/host-after-2"),
        ),
    )
    articles("host-after-1", "host-after-2")
    # The same in a JSON Feed: a lone surrogate in an item's URL (valid JSON text).
    feed(
        "/surrogate.json",
        '{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
        '{"id": "1", "url": "' + base + '/news/\\ud800"},'
        '{"id": "2", "url": "' + base + '/news/json-after"}]}',
        "application/feed+json",
    )
    articles("json-after")

    # GUIDs: one feed gives GUID "1" to 50 links; another feed claims a victim's GUID.
    feed("/same-guid.xml", rss_items(*(item(f"{base}/news/g-{n}", guid="1") for n in range(50))))
    articles(*(f"g-{n}" for n in range(50)))
    feed("/victim.xml", rss_items(item(f"{base}/news/victim-story", guid="victim-guid")))
    feed("/claimer.xml", rss_items(item(f"{base}/news/claimer-story", guid="victim-guid")))
    articles("victim-story", "claimer-story")

    # URL fields: og:image values no record may carry as they are.
    images = {
        "img-replacement": "http://img.example/&#xD800;.jpg",  # the parser gives U+FFFD
        "img-rtl": "http://img.example/a\u202egpj.exe",
        "img-control": "http://img.example/a\x07.jpg",
        "img-separator": "http://img.example/a\u2028.jpg",
        "img-script": "javascript:alert(1)",
        "img-userinfo": "http://user:pw@img.example/a.jpg",
        "img-relative": "/img/a b.jpg",
    }
    for slug, image in images.items():
        html = page(slug).replace(
            '<meta charset="utf-8">',
            f'<meta charset="utf-8"><meta property="og:image" content="{image}">',
        )
        site.add(f"/news/{slug}", html)
    # A lone surrogate: JSON-LD is JSON, where "\ud800" is valid text.
    site.add(
        "/news/img-surrogate",
        page("img-surrogate").replace(
            '<meta charset="utf-8">',
            '<meta charset="utf-8"><script type="application/ld+json">{"@type": "NewsArticle", '
            '"headline": "Img Surrogate", "image": "http://img.example/\\ud800.jpg"}</script>',
        ),
    )
    feed("/images.xml", rss(base, [*images, "img-surrogate"]))
    # User info in links: refused with a reason, never requested.
    host = base.removeprefix("http://")
    feed(
        "/userinfo.xml",
        rss_items(
            item(f"http://user:secret@{host}/news/userinfo"),
            item(f"http://user@{host}/news/userinfo"),
            item(f"{base}/news/userinfo-after"),
        ),
    )
    articles("userinfo", "userinfo-after")
    # A JSON Feed of 200,000 items: only NEWSCRAWLER_FEED_MAX_ITEMS are read.
    capped = [{"url": f"{base}/news/jcap-first"}] + [{"url": "mailto:a@b.c"}] * 199_999
    feed(
        "/huge.json",
        json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": capped}),
        "application/feed+json",
    )
    articles("jcap-first")
    # One element with 30,000 attributes (uncapped, feedparser needs seconds of CPU for it).
    flood = " ".join(f'a{n}="{n}"' for n in range(30_000))
    feed(
        "/attributes.xml",
        rss_items(item(f"{base}/news/attr-1"), item(f"{base}/news/attr-2")).replace(
            "<item>", f"<item {flood}>", 1
        ),
    )
    articles("attr-1", "attr-2")
    # Short header lines for ever.
    site.endless_headers("/endless-headers.xml")
    feeds.append("/endless-headers.xml")
    # A 304 to a request sent without validators.
    feed("/always-304.xml", "")
    site.routes["/always-304.xml"].status = 304
    return feeds


@pytest.fixture(scope="module")
def round2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteRun]:
    with served_crawl(serve, tmp_path_factory.mktemp("round2"), SETTINGS, 180) as run:
        yield run


def test_good_feeds_are_all_written(round2: SiteRun) -> None:
    assert round2.result.returncode == 0, round2.result.stderr[-3000:]
    for slug in GOOD:
        assert round2.record(slug) is not None, slug
    assert round2.feed("/good.xml")["status"] == "ok"
    assert round2.report["totals"]["reconciled"] is True
    assert "Traceback" not in round2.result.stderr, round2.result.stderr[-3000:]


def test_bad_link_does_not_hide_its_feed(round2: SiteRun) -> None:
    feed = round2.feed("/bad-host.xml")
    assert feed["status"] == "ok"
    assert feed["skipped"] == {"link_malformed": 3}
    assert round2.record("host-after-1") is not None
    assert round2.record("host-after-2") is not None


def test_lone_surrogate_in_json_feed_url(round2: SiteRun) -> None:
    feed = round2.feed("/surrogate.json")
    assert feed["status"] == "ok"
    assert feed["skipped"] == {"link_malformed": 1}
    assert round2.record("json-after") is not None
    assert json.dumps(round2.result.records, ensure_ascii=False).encode("utf-8")


def test_one_guid_for_many_links_is_ignored(round2: SiteRun) -> None:
    assert round2.feed("/same-guid.xml")["status"] == "ok"
    for n in range(50):
        assert round2.record(f"g-{n}") is not None, n
    assert round2.counter("feeds/guid_reused") == 50
    assert round2.record("g-0")["guid"] is None  # type: ignore[index]


def test_another_feed_claiming_a_guid_in_the_same_run(round2: SiteRun) -> None:
    assert round2.record("victim-story") is not None
    assert round2.record("claimer-story") is not None


def test_another_feed_claiming_a_guid_in_an_earlier_run(site: LocalSite, crawl: Any) -> None:
    """The claimer's article is written first; the victim's, with the same GUID on the same
    site, is still written; the victim's own GUID still follows its article to a new link."""
    site.add("/claimer.xml", rss_items(item(site.url("/news/claimer"), guid="g")), "text/xml")
    site.add("/victim.xml", rss_items(item(site.url("/news/victim"), guid="g")), "text/xml")
    for slug in ("claimer", "victim"):
        site.add(f"/news/{slug}", page(slug))
    first = crawl("-a", f"feeds={site.url('/claimer.xml')}")
    assert first.returncode == 0 and first.report["totals"]["written"] == 1
    second = crawl("-a", f"feeds={site.url('/victim.xml')}")
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.report["totals"]["written"] == 1
    assert second.report["feeds"][site.url("/victim.xml")]["skipped"] == {}
    # The victim's feed renames the article's link: its GUID says it is already written.
    site.add("/victim.xml", rss_items(item(site.url("/news/victim-2"), guid="g")), "text/xml")
    third = crawl("-a", f"feeds={site.url('/victim.xml')}")
    assert third.report["feeds"][site.url("/victim.xml")]["skipped"] == {"already_written": 1}
    assert site.hits("/news/victim-2") == 0


def test_url_fields_are_absolute_http_urls_or_null(round2: SiteRun) -> None:
    for slug in ("img-surrogate", "img-rtl", "img-script", "img-userinfo"):
        record = round2.record(slug)
        assert record is not None, slug  # never dropped as unencodable for its image
        assert record["image"] is None, (slug, record["image"])
    for slug, char in (("img-control", "\x07"), ("img-separator", "\u2028")):
        record = round2.record(slug)
        assert record is not None, slug  # (the page's text cleaning removes these two)
        assert char not in (record["image"] or ""), slug
    replaced = round2.record("img-replacement")
    assert replaced is not None and replaced["image"] == "http://img.example/\ufffd.jpg"
    relative = round2.record("img-relative")
    assert relative is not None and relative["image"] == round2.site.url("/img/a%20b.jpg")
    assert round2.report["totals"]["dropped"].get("unencodable") is None
    for record in round2.result.records:
        for field in ("url", "source_url", "feed_url", "image"):
            value = record[field]
            assert value is None or record_url(value, value) == value, (field, value)
            assert field == "image" or value is not None
        jsonschema.validate(record, SCHEMA)


def test_user_info_in_links_is_refused(round2: SiteRun) -> None:
    feed = round2.feed("/userinfo.xml")
    assert (feed["status"], feed["skipped"]) == ("ok", {"link_userinfo": 2})
    assert round2.site.hits("/news/userinfo") == 0
    assert round2.record("userinfo-after") is not None


def test_json_feed_items_are_capped(round2: SiteRun) -> None:
    feed = round2.feed("/huge.json")
    assert feed["status"] == "ok"
    assert feed["skipped"] == {"link_scheme": 999, "over_limit": 199_000}
    assert round2.counter("feeds/items_over_cap") == 199_000
    assert round2.record("jcap-first") is not None


def test_attributes_per_element_are_capped(round2: SiteRun) -> None:
    feed = round2.feed("/attributes.xml")
    assert (feed["status"], feed["entries"], feed["skipped"]) == ("ok", 2, {})
    assert round2.counter("feeds/attributes_dropped") == 30_000 - 100
    assert round2.record("attr-1") is not None and round2.record("attr-2") is not None


def test_response_headers_are_capped(round2: SiteRun) -> None:
    feed = round2.feed("/endless-headers.xml")
    assert (feed["status"], feed["reason"]) == ("failed", "headers_too_large")
    # Cut off at 256 KiB of headers, not at the download timeout; not retried (the next
    # attempt would get the same).
    assert round2.site.hits("/endless-headers.xml") == 1


def test_304_without_validators_is_a_failed_feed(round2: SiteRun) -> None:
    feed = round2.feed("/always-304.xml")
    assert (feed["status"], feed["reason"]) == ("failed", "http_304")
    assert round2.counter("feeds/not_modified") == 0


def test_two_runs_at_once_never_share_an_output_file(site: LocalSite, tmp_path: Path) -> None:
    """Same output directory and file name, different state directories, started together:
    two output files and two reports, each run's articles in its own file, none torn."""
    output = tmp_path / "output"
    processes = []
    for run in ("a", "b"):
        slugs = [f"{run}-{n}" for n in range(3)]
        site.add(f"/{run}.xml", rss(site.base, slugs), "application/rss+xml")
        for slug in slugs:
            site.add(f"/news/{slug}", page(slug))
        command, env = crawl_command(
            output,
            "-a",
            f"feeds={site.url(f'/{run}.xml')}",
            settings={
                "NEWSCRAWLER_OUTPUT_FILE": "wire.jsonl",
                "NEWSCRAWLER_STATE_DIR": str(tmp_path / f"state-{run}"),
            },
        )
        processes.append(
            subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        )
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr.decode()[-3000:]
    files = sorted(output.glob("*.jsonl"))
    assert [f.name for f in files] == ["wire-1.jsonl", "wire.jsonl"]
    runs = set()
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        slugs = sorted(json.loads(line)["source_url"].rsplit("/", 1)[-1] for line in lines)
        run = slugs[0][0]
        assert slugs == [f"{run}-{n}" for n in range(3)], path
        runs.add(run)
        report = json.loads(path.with_suffix(".report.json").read_text(encoding="utf-8"))
        assert report["output_file"] == str(path)
        assert report["totals"]["written"] == 3
    assert runs == {"a", "b"}
    assert not list(output.glob("*.part"))


@pytest.mark.parametrize("how", ["empty", "garbage", "truncated"])
def test_damaged_state_file_stops_the_run_loudly(
    site: LocalSite, crawl: Any, tmp_path: Path, how: str
) -> None:
    """A corrupt, truncated or empty state.sqlite3: exit 2 with the file and the way to
    recover, before any request; never a fresh start that writes everything again."""
    site.add("/feed.xml", rss(site.base, ["story"]), "application/rss+xml")
    site.add("/news/story", page("story"))
    (tmp_path / "state").mkdir()
    path = damaged(tmp_path / "state", how)
    result = crawl("-a", f"feeds={site.url('/feed.xml')}")
    assert result.returncode == 2, result.stderr[-3000:]
    assert f"newscrawler: state error: the state file {path} is unusable" in result.stderr
    assert "move it aside" in result.stderr
    assert site.requests == []
    assert result.output_files == []


def test_extraction_timeout_is_a_failed_attempt_then_given_up(site: LocalSite, crawl: Any) -> None:
    """A page whose extraction always runs out of time costs a timeout in each of
    NEWSCRAWLER_ARTICLE_MAX_ATTEMPTS runs, then is given up, like a failed download."""
    site.add("/feed.xml", rss(site.base, ["slow", "quick"]), "application/rss+xml")
    # 3 MB of small elements: many seconds of extraction on any machine (a story: 0.1 s).
    slow = "<div><span>word</span> <a href='/x'>link</a></div>" * 60_000
    site.add("/news/slow", f"<html><body><article>{slow}</article></body></html>")
    site.add("/news/quick", page("quick"))
    settings = {
        "NEWSCRAWLER_EXTRACTION_TIMEOUT_S": "2",
        "NEWSCRAWLER_EXTRACT_MAXSIZE_BYTES": str(4 * 1024 * 1024),
        "NEWSCRAWLER_ARTICLE_MAX_ATTEMPTS": "2",
    }
    feed = ["-a", f"feeds={site.url('/feed.xml')}"]
    first = crawl(*feed, settings=settings)
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.report["totals"]["dropped"] == {"extraction_timeout": 1}
    assert first.report["totals"]["articles_retry_later"] == 1
    assert [r["source_url"] for r in first.records] == [site.url("/news/quick")]
    second = crawl(*feed, settings=settings)
    assert second.report["totals"]["articles_given_up"] == {"extraction_timeout": 1}
    assert second.report["given_up"][0]["url"] == site.url("/news/slow")
    third = crawl(*feed, settings=settings)
    assert third.report["feeds"][site.url("/feed.xml")]["skipped"] == {
        "given_up": 1,
        "already_written": 1,
    }
    assert site.hits("/news/slow") == 2


def test_opml_export_of_a_feed_titled_with_forbidden_characters(
    site: LocalSite, crawl: Any, tmp_path: Path
) -> None:
    site.add(
        "/",
        '<html><head><link rel="alternate" type="application/feed+json" href="/feed.json">'
        "</head><body>home</body></html>",
    )
    site.add(
        "/feed.json",
        json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "Local \uffff news \ufffe",
                "items": [{"id": "1", "url": site.url("/news/story")}],
            }
        ),
        "application/feed+json",
    )
    site.add("/news/story", page("story"))
    export = tmp_path / "feeds.opml"
    result = crawl("-a", f"sites={site.url('/')}", "-a", f"export_opml={export}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.report["opml_export_error"] is None
    (listed,) = parse_opml(export.read_bytes(), str(export))
    assert (listed.url, listed.title) == (site.url("/feed.json"), "Local news")
    assert result.report["totals"]["written"] == 1
