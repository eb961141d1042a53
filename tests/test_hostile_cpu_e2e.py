"""Documents that cost CPU, end to end through ``scrapy crawl feeds`` on a local server.

- A feed of 16,000 unclosed ``<![CDATA[`` (36 s in the prescreen's regex before) and a homepage
  of 40 empty comments (``looks_like_html`` never returned) beside good feeds: the good feeds'
  articles are all written, every source has its line in the report, the run is quick.
- A feed whose parse is far over ``NEWSCRAWLER_PARSE_TIMEOUT_S`` (a 4 MB description of 500,000
  tags for feedparser's sanitizer, about 7 s of CPU): a failed feed ``parse_timeout``, the
  others unharmed.
- SIGTERM while that feed is being parsed is handled at once (the parse runs in a worker
  process, the reactor and the GIL are free) and the crawl ends cleanly, report partial.
- An OPML feed list over the budget stops the crawl at startup with a message.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

from tests.conftest import LocalSite, Route, feed_line, run_crawl
from tests.newsroom import WAIT_S, BackgroundCrawl, Newsroom, output_records, wait_for

CDATA_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>CDATA</title>'
    + b"<![CDATA[<p>x</p>" * 16_000
    + b"</channel></rss>"
)
COMMENTS_HOME = b"<!---->" * 40
MARKUP_BOMB = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Heavy</title><item>'
    b"<title>Heavy</title><link>/news/heavy</link><description><![CDATA["
    + b"<b>x</b>" * 500_000
    + b"]]></description></item></channel></rss>"
)
SLUGS = {"wire": ["wire-one", "wire-two"], "city": ["city-one", "city-two"]}


def newsroom_with_hostiles(site: LocalSite) -> Newsroom:
    newsroom = Newsroom(site)
    for feed, slugs in SLUGS.items():
        for slug in slugs:
            newsroom.add_story(feed, slug)
    site.add("/cdata.xml", CDATA_FEED, "application/rss+xml")
    site.add("/comments/", COMMENTS_HOME, "text/html")
    site.add("/heavy.xml", MARKUP_BOMB, "application/rss+xml")
    return newsroom


def test_hostile_documents_beside_good_feeds(site: LocalSite, tmp_path: Path) -> None:
    newsroom = newsroom_with_hostiles(site)
    feeds = [newsroom.feed_url(f) for f in SLUGS] + [site.url("/cdata.xml"), site.url("/heavy.xml")]
    started = time.monotonic()
    result = run_crawl(
        tmp_path / "output",
        "-a",
        "feeds=" + ",".join(feeds),
        "-a",
        "sites=" + site.url("/comments/"),
        settings={"NEWSCRAWLER_PARSE_TIMEOUT_S": "1"},
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    written = {r["source_url"].rsplit("/", 1)[-1] for r in result.records}
    assert written == {slug for slugs in SLUGS.values() for slug in slugs}
    report = result.report
    lines = report["feeds"]
    assert {lines[newsroom.feed_url(f)]["status"] for f in SLUGS} == {"ok"}
    # The CDATA feed is parsed in milliseconds now: a feed without items.
    assert lines[site.url("/cdata.xml")]["status"] == "ok"
    assert lines[site.url("/cdata.xml")]["entries"] == 0
    # Over the parse budget: failed with its reason, counted.
    assert feed_line(lines[site.url("/heavy.xml")]) == {
        "status": "failed",
        "reason": "parse_timeout",
        "entries": 0,
        "skipped": {},
        "written": 0,
    }
    assert report["counters"]["feeds/failed/parse_timeout"] == 1
    # The comments homepage is no HTML, no feed, has no feed links: a site without a feed.
    assert lines[site.url("/comments/")]["status"] == "failed"
    assert lines[site.url("/comments/")]["reason"] == "no_feed_found"
    assert report["totals"]["reconciled"] is True
    assert site.hits("/news/heavy") == 0
    # Generous for a loaded machine; the CDATA feed alone took 36 s before.
    assert elapsed < 90


def held_heavy_feed(site: LocalSite) -> threading.Event:
    """``/heavy.xml`` serves the markup bomb once the returned event is set."""
    release = threading.Event()

    def heavy(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        release.wait(WAIT_S)
        return 200, {"Content-Type": "application/rss+xml"}, MARKUP_BOMB

    site.routes["/heavy.xml"] = Route(heavy)
    return release


def crawl_in_background(output_dir: Path, feeds: list[str]) -> BackgroundCrawl:
    """A crawl of ``feeds`` whose parse budget is far beyond the heavy feed's parse (about
    7 s), so that only a signal ends that parse."""
    return BackgroundCrawl(
        output_dir,
        "-a",
        "feeds=" + ",".join(feeds),
        settings={"NEWSCRAWLER_PARSE_TIMEOUT_S": "300"},
    )


def test_sigterm_while_a_document_is_parsed(site: LocalSite, tmp_path: Path) -> None:
    """The good feeds are parsed and their articles downloaded first; then the heavy feed is
    answered, and SIGTERM comes while the parse worker is busy with it (its budget far away)."""
    newsroom = newsroom_with_hostiles(site)
    release = held_heavy_feed(site)
    output_dir = tmp_path / "output"
    feeds = [newsroom.feed_url(f) for f in SLUGS] + [site.url("/heavy.xml")]
    run = crawl_in_background(output_dir, feeds)
    try:
        wait_for(lambda: newsroom.article_hits() == 4, "the good feeds' articles")
        release.set()
        time.sleep(1.5)  # the heavy feed is downloaded and in the parse worker (about 7 s)
        signalled = time.monotonic()
        run.process.send_signal(signal.SIGTERM)
        wait_for(lambda: "Received SIGTERM" in run.stderr, "the crawl to take the SIGTERM")
        handled_s = time.monotonic() - signalled
        returncode = run.wait()
        exited_s = time.monotonic() - signalled
    finally:
        release.set()
        run.stop()
    assert handled_s < 5, f"SIGTERM handled after {handled_s:.1f} s"
    assert returncode == 0, run.stderr[-3000:]
    assert exited_s < 60, f"the crawl ended {exited_s:.1f} s after SIGTERM"
    assert not list(output_dir.glob("*.part"))
    [report_path] = output_dir.glob("*.report.json")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["partial"] is True and report["close_reason"] == "shutdown"
    assert report["feeds"][site.url("/heavy.xml")]["reason"] == "parse_interrupted"
    assert report["totals"]["reconciled"] is True
    written = {r["source_url"].rsplit("/", 1)[-1] for r in output_records(output_dir)}
    assert written == {slug for slugs in SLUGS.values() for slug in slugs}


def test_opml_list_over_budget_is_a_startup_error(site: LocalSite, tmp_path: Path) -> None:
    outlines = "".join(
        f'<outline text="f{n}" xmlUrl="{site.url(f"/f{n}.xml")}"/>' for n in range(200_000)
    )
    opml = tmp_path / "feeds.opml"
    opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>')
    result = run_crawl(
        tmp_path / "output",
        "-a",
        f"feeds_file={opml}",
        settings={"NEWSCRAWLER_PARSE_TIMEOUT_S": "0.05"},
    )
    assert result.returncode == 2
    assert "NEWSCRAWLER_PARSE_TIMEOUT_S" in result.stderr, result.stderr[-3000:]
    assert not site.requests


def test_a_run_stopped_while_its_feeds_failed_or_were_being_parsed_exits_0(
    site: LocalSite, tmp_path: Path
) -> None:
    """A poll the stop interrupted (``parse_interrupted``) is not the feed's failure: a run
    stopped by SIGTERM while it parsed a feed did not see every feed fail, though its other
    feed failed, and exits 0 as any stopped run, its report partial."""
    site.add("/page.html", "<html><body><p>No feed here.</p></body></html>")
    release = held_heavy_feed(site)
    output_dir = tmp_path / "output"
    feeds = [site.url("/page.html"), site.url("/heavy.xml")]
    run = crawl_in_background(output_dir, feeds)
    try:
        # The page is parsed first (its parse starts the parse workers): not a feed.
        wait_for(lambda: "not_a_feed" in run.stderr, "the page to fail as not a feed")
        release.set()
        time.sleep(1.5)  # the heavy feed is downloaded and in the parse worker (about 7 s)
        run.process.send_signal(signal.SIGTERM)
        returncode = run.wait()
    finally:
        release.set()
        run.stop()
    [report_path] = output_dir.glob("*.report.json")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["feeds"][site.url("/heavy.xml")]["reason"] == "parse_interrupted"
    assert report["feeds"][site.url("/page.html")]["reason"] == "not_a_feed"
    assert report["partial"] is True and report["close_reason"] == "shutdown"
    assert returncode == 0, run.stderr[-3000:]
