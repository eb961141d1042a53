"""Incremental scheduled runs, end to end: the real ``scrapy crawl feeds`` run several times
against one live local site and one state directory."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from crawler.storage.feed_history import FeedHistory
from crawler.storage.state import url_key
from tests.conftest import ROOT, CrawlResult, LocalSite, Route
from tests.newsroom import Newsroom, output_records
from tests.pages import paragraphs_for

SCHEMA = json.loads((ROOT / "crawler" / "article.schema.json").read_text())


@pytest.fixture
def newsroom(site: LocalSite) -> Newsroom:
    room = Newsroom(site)
    for slug in ("harbour-bridge", "council-budget", "library-hours"):
        room.add_story("world", slug)
    for slug in ("river-cleanup", "telescope"):
        room.add_story("science", slug)
    return room


def test_runs_add_only_what_is_new(
    newsroom: Newsroom, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    site = newsroom.site
    output_dir = tmp_path / "output"
    first = crawl("-a", newsroom.feeds_arg())
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(first.records) == 5
    assert {r["version"] for r in first.records} == {1}
    assert all(r["previous_fingerprint"] is None for r in first.records)
    assert Path(first.report["output_file"]).name == first.output_files[0].name

    # Unchanged feeds: one conditional request per feed, answered 304; nothing downloaded,
    # nothing parsed, no record, and a run where every feed is 304 is a success.
    site.requests.clear()
    second = crawl("-a", newsroom.feeds_arg())
    assert second.returncode == 0, second.stderr[-3000:]
    for feed in newsroom.feeds:
        assert site.hits(f"/{feed}.xml") == 1
        [headers] = [h for _, p, h in site.requests if p == f"/{feed}.xml"]
        assert headers.get("if-none-match")
    assert newsroom.answers_304 == 2
    assert newsroom.article_hits() == 0
    assert len(output_records(output_dir)) == 5  # no new record, no new output file
    report = second.report
    assert {f["status"] for f in report["feeds"].values()} == {"not_modified"}
    assert report["totals"]["written"] == 0 and report["totals"]["feeds_failed"] == 0
    assert report["partial"] is False
    # The report names no output file when the run wrote none (docs/scheduling.md).
    assert report["output_file"] is None
    assert "output: none (no article written)" in second.stderr

    # One new entry in one feed: exactly one new record; the other feed is still 304 and the
    # entries already written are skipped without a download.
    site.requests.clear()
    newsroom.add_story(
        "world", "new-museum", published="2024-09-04T08:00:00Z", updated="2024-09-04T08:00:00Z"
    )
    third = crawl("-a", newsroom.feeds_arg())
    assert third.returncode == 0, third.stderr[-3000:]
    assert newsroom.article_hits() == 1 and site.hits("/news/new-museum") == 1
    records = output_records(output_dir)
    assert len(records) == 6
    assert [r["source_url"] for r in records].count(site.url("/news/new-museum")) == 1
    world = third.report["feeds"][newsroom.feed_url("world")]
    assert world["status"] == "ok" and world["written"] == 1
    assert world["skipped"] == {"already_written": 3}
    assert third.report["feeds"][newsroom.feed_url("science")]["status"] == "not_modified"

    # An updated entry whose text changed: a new version record (same id, version 2, the
    # previous fingerprint). An updated entry whose text did not change: re-fetched, no record.
    site.requests.clear()
    bridge, budget = newsroom.feeds["world"][0], newsroom.feeds["world"][1]
    bridge.updated = "2024-09-05T10:00:00Z"
    bridge.paragraphs = [*paragraphs_for("harbour-bridge"), "Update: the bridge closed again."]
    budget.updated = "2024-09-05T10:00:00Z"
    fourth = crawl("-a", newsroom.feeds_arg())
    assert fourth.returncode == 0, fourth.stderr[-3000:]
    assert newsroom.article_hits() == 2
    records = output_records(output_dir)
    assert len(records) == 7
    for record in records:
        jsonschema.validate(record, SCHEMA)
    bridge_records = sorted(
        (r for r in records if r["source_url"] == site.url("/news/harbour-bridge")),
        key=lambda r: r["version"],
    )
    assert [r["version"] for r in bridge_records] == [1, 2]
    old, new = bridge_records
    assert new["id"] == old["id"]
    assert new["previous_fingerprint"] == old["fingerprint"] != new["fingerprint"]
    assert new["text"].endswith("Update: the bridge closed again.")
    assert fourth.report["totals"]["dropped"] == {"already_written": 1}
    assert fourth.report["totals"]["reconciled"] is True

    # And once more, with nothing changed: all 304 again, the store kept the new dates.
    site.requests.clear()
    fifth = crawl("-a", newsroom.feeds_arg())
    assert fifth.returncode == 0
    assert newsroom.article_hits() == 0
    assert len(output_records(output_dir)) == 7


def test_invalid_state_setting_fails_before_any_request(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    result = crawl(
        "-a", f"feeds={site.url('/feed.xml')}", settings={"NEWSCRAWLER_SEEN_TTL_DAYS": "soon"}
    )
    assert result.returncode == 2
    assert "configuration error: NEWSCRAWLER_SEEN_TTL_DAYS must be a number" in result.stderr
    assert site.requests == []


def test_feed_unchanged_for_half_the_ttl_is_read_in_full_once(
    newsroom: Newsroom, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    """Validators older than TTL/2 are not sent: the feed is parsed, the articles it still lists
    are skipped as already written and their seen records refreshed (not expired, then written
    twice); then conditional GET resumes."""
    assert crawl("-a", newsroom.feeds_arg()).returncode == 0
    db = sqlite3.connect(tmp_path / "state" / "state.sqlite3")
    with db:
        db.execute("UPDATE feeds SET validated_at = validated_at - 16 * 86400")
        db.execute("UPDATE articles SET last_seen = last_seen - 16 * 86400")
    newsroom.site.requests.clear()
    second = crawl("-a", newsroom.feeds_arg())
    assert second.returncode == 0
    assert newsroom.answers_304 == 0 and newsroom.article_hits() == 0
    assert second.report["totals"]["articles_skipped"] == {"already_written": 5}
    assert second.report["totals"]["written"] == 0
    ages = [row[0] for row in db.execute("SELECT strftime('%s','now') - last_seen FROM articles")]
    assert len(ages) == 5 and max(ages) < 86400  # refreshed by the full read
    third = crawl("-a", newsroom.feeds_arg())
    assert third.returncode == 0 and newsroom.answers_304 == 2
    db.close()


def test_a_redirect_to_a_malformed_url_fails_once_and_is_given_up(
    newsroom: Newsroom, crawl: Callable[..., CrawlResult]
) -> None:
    """A Location no request can be made for: requested once (not retried in the run), failed
    as redirect_malformed, given up at once (the next run would meet it again)."""
    site = newsroom.site
    locations = {"ipv6": "http://[bad", "js": "javascript:alert(1)"}
    for slug, location in locations.items():
        newsroom.add_story("world", slug)
        site.routes[f"/news/{slug}"] = Route(b"", status=302, headers={"Location": location})
    newsroom.add_story("world", "fine")
    first = crawl("-a", newsroom.feeds_arg())
    assert first.returncode == 0, first.stderr[-3000:]
    assert [site.hits(f"/news/{slug}") for slug in locations] == [1, 1]
    assert first.report["totals"]["articles_failed"] == {"redirect_malformed": 2}
    assert first.report["counters"]["articles/given_up/redirect_malformed"] == 2
    assert first.report["counters"]["redirect/malformed"] == 2
    assert [line["reason"] for line in first.report["given_up"]] == ["redirect_malformed"] * 2
    second = crawl("-a", newsroom.feeds_arg())
    assert second.returncode == 0, second.stderr[-3000:]
    assert [site.hits(f"/news/{slug}") for slug in locations] == [1, 1]
    assert site.hits("/news/fine") == 1


def test_failed_articles_are_retried_behind_a_304_then_given_up(
    newsroom: Newsroom, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    """A feed with failing articles still stores its validators. An article that failed with a
    5xx is requested again by the next run although its feed answers 304, and written once when
    it is served; one failing in every run is given up after NEWSCRAWLER_ARTICLE_MAX_ATTEMPTS
    runs, a 410 Gone at once; both are reported and not requested again."""
    site = newsroom.site
    output_dir = tmp_path / "output"
    settings = {"NEWSCRAWLER_ARTICLE_MAX_ATTEMPTS": "2"}
    for slug in ("flaky", "broken", "gone"):
        newsroom.add_story("world", slug)
    flaky_page = site.routes["/news/flaky"]
    site.add("/news/flaky", "busy", status=500)
    site.add("/news/broken", "broken", status=503)
    site.add("/news/gone", "gone", status=410)

    first = crawl("-a", newsroom.feeds_arg(), settings=settings)
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(first.records) == 5
    assert site.hits("/news/flaky") == 2 and site.hits("/news/gone") == 1  # RETRY_TIMES=1
    counters = first.report["counters"]
    assert counters["articles/retry_later"] == 2
    assert counters["articles/given_up/http_410"] == 1
    assert first.report["given_up"] == [
        {
            "url": site.url("/news/gone"),
            "feed_url": newsroom.feed_url("world"),
            "reason": "http_410",
            "attempts": 1,
        }
    ]
    assert first.report["totals"]["articles_given_up"] == {"http_410": 1}
    db = sqlite3.connect(tmp_path / "state" / "state.sqlite3")
    retries = db.execute("SELECT key, feed_url, reason, attempts FROM retries ORDER BY key")
    assert retries.fetchall() == [
        (url_key(site.url("/news/broken")), newsroom.feed_url("world"), "http_503", 1),
        (url_key(site.url("/news/flaky")), newsroom.feed_url("world"), "http_500", 1),
    ]

    # The feed is unchanged (304), the failed articles are asked for again: the flaky one is
    # served now and written once; the broken one fails its second run and is given up.
    site.routes["/news/flaky"] = flaky_page
    site.requests.clear()
    second = crawl("-a", newsroom.feeds_arg(), settings=settings)
    assert second.returncode == 0, second.stderr[-3000:]
    assert newsroom.answers_304 == 2
    assert site.hits("/news/flaky") == 1 and site.hits("/news/broken") == 2
    assert site.hits("/news/gone") == 0
    assert second.report["counters"]["articles/retry_requested"] == 2
    [flaky] = [r for r in output_records(output_dir) if r["source_url"].endswith("/flaky")]
    assert flaky["feed_url"] == newsroom.feed_url("world") and flaky["title"] == "Flaky"
    assert second.report["given_up"] == [
        {
            "url": site.url("/news/broken"),
            "feed_url": newsroom.feed_url("world"),
            "reason": "http_503",
            "attempts": 2,
        }
    ]
    assert "articles/retry_later" not in second.report["counters"]
    assert db.execute("SELECT count(*) FROM retries").fetchone() == (0,)

    # Nothing is asked for again: not behind a 304, nor when the feed changes and still lists
    # the given-up entries (skipped until the feed dates them newer).
    site.requests.clear()
    third = crawl("-a", newsroom.feeds_arg(), settings=settings)
    assert third.returncode == 0 and newsroom.article_hits() == 0
    newsroom.add_story("world", "late-news", published="2024-09-04T08:00:00Z")
    fourth = crawl("-a", newsroom.feeds_arg(), settings=settings)
    assert fourth.returncode == 0, fourth.stderr[-3000:]
    assert newsroom.article_hits() == 1 and site.hits("/news/late-news") == 1
    world = fourth.report["feeds"][newsroom.feed_url("world")]
    assert world["skipped"] == {"already_written": 4, "given_up": 2}
    records = output_records(output_dir)
    assert len(records) == 7
    assert len({r["source_url"] for r in records}) == 7
    db.close()


def test_a_page_dropped_for_its_content_is_not_downloaded_again_until_updated(
    newsroom: Newsroom, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    """A page with too little text is remembered with its outcome: when its feed changes for
    another entry, it is skipped as already_dropped; when its own entry is updated, it is
    downloaded again (and written, now that it holds an article)."""
    site = newsroom.site
    thin = newsroom.add_story("world", "thin-brief", paragraphs=["Developing story."])
    first = crawl("-a", newsroom.feeds_arg())
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.report["totals"]["dropped"] == {"too_little_text": 1}
    assert len(first.records) == 5

    site.requests.clear()
    newsroom.add_story("world", "new-museum", published="2024-09-04T08:00:00Z")
    second = crawl("-a", newsroom.feeds_arg())
    assert second.returncode == 0, second.stderr[-3000:]
    assert site.hits("/news/thin-brief") == 0 and site.hits("/news/new-museum") == 1
    world = second.report["feeds"][newsroom.feed_url("world")]
    assert world["skipped"] == {"already_written": 3, "already_dropped": 1}

    site.requests.clear()
    thin.updated = "2024-09-05T10:00:00Z"
    thin.paragraphs = paragraphs_for("thin-brief")
    third = crawl("-a", newsroom.feeds_arg())
    assert third.returncode == 0, third.stderr[-3000:]
    assert newsroom.article_hits() == 1 and site.hits("/news/thin-brief") == 1
    records = output_records(tmp_path / "output")
    assert [r["source_url"] for r in records].count(site.url("/news/thin-brief")) == 1
    assert len(records) == 7


def test_a_backlog_over_the_entry_limit_is_drained_newest_first_over_runs(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    """NEWSCRAWLER_MAX_ENTRIES_PER_FEED limits downloads, not listed entries: each run takes the
    newest entries not yet written, and the feed's validators wait until none is left over."""
    room = Newsroom(site)
    slugs = ["harbour-bridge", "council-budget", "library-hours", "river-cleanup", "telescope"]
    for day, slug in enumerate(slugs, start=1):  # telescope is the newest
        room.add_story("wire", slug, published=f"2024-09-0{day}T08:00:00Z")
    limit = {"NEWSCRAWLER_MAX_ENTRIES_PER_FEED": "2"}
    feed = room.feed_url("wire")

    def run() -> tuple[list[str], dict[str, int]]:
        site.requests.clear()
        result = crawl("-a", room.feeds_arg(), settings=limit)
        assert result.returncode == 0, result.stderr[-3000:]
        fetched = [p.rsplit("/", 1)[-1] for _, p, _ in site.requests if p.startswith("/news/")]
        return sorted(fetched), result.report["feeds"][feed]["skipped"]

    assert run() == (["river-cleanup", "telescope"], {"over_limit": 3})
    assert run() == (["council-budget", "library-hours"], {"already_written": 2, "over_limit": 1})
    assert room.answers_304 == 0  # validators held back while entries were left over
    assert run() == (["harbour-bridge"], {"already_written": 4})
    assert run() == ([], {})
    assert room.answers_304 == 1


@pytest.mark.parametrize("status", [301, 308])
def test_a_feed_moved_permanently_keeps_its_entries_under_the_listed_url(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path, status: int
) -> None:
    """A listed feed that redirects to its new address: its entries belong to the URL as
    listed (the report's line, the history row, left-over entries and retries), so a
    backlog over the per-feed limit and a failed article are not lost behind its 304s; the
    report's line, the summary and a warning name the new address, to update the list with."""
    room = Newsroom(site)
    for day, slug in enumerate(["harbour-bridge", "council-budget", "telescope"], start=1):
        room.add_story("moved", slug, published=f"2024-09-0{day}T08:00:00Z")
    listed = site.url("/old.xml")
    site.routes["/old.xml"] = Route(b"", status, {"Location": room.feed_url("moved")})
    page = site.routes["/news/council-budget"]
    site.add("/news/council-budget", "busy", status=503)
    settings = {"NEWSCRAWLER_MAX_ENTRIES_PER_FEED": "2"}
    last_stderr: list[str] = []

    def run() -> tuple[list[str], dict[str, object]]:
        site.requests.clear()
        result = crawl("-a", f"feeds={listed}", settings=settings)
        assert result.returncode == 0, result.stderr[-3000:]
        last_stderr[:] = [result.stderr]
        fetched = [p.rsplit("/", 1)[-1] for _, p, _ in site.requests if p.startswith("/news/")]
        return sorted(set(fetched)), result.report["feeds"][listed]

    fetched, line = run()  # the newest two; council-budget fails, harbour-bridge waits
    assert fetched == ["council-budget", "telescope"]
    assert line["moved_to"] == room.feed_url("moved")
    assert f"MOVED feed {listed}: now {room.feed_url('moved')}" in last_stderr[0]
    assert "has moved to" in last_stderr[0]
    assert (line["written"], line["failures"], line["skipped"]) == (1, 1, {"over_limit": 1})
    history = FeedHistory(tmp_path / "state" / "state.sqlite3")
    [row] = history.runs(listed)
    assert (row.new_articles, row.failures, row.work_left) == (1, 1, "over_limit")
    history.close()

    site.routes["/news/council-budget"] = page
    fetched, line = run()  # read in full again: the entry left over and the failed one
    assert fetched == ["council-budget", "harbour-bridge"]
    assert line["written"] == 2 and line["http_status"] == 200
    assert room.answers_304 == 0
    records = output_records(tmp_path / "output")
    assert sorted(r["source_url"].rsplit("/", 1)[-1] for r in records) == [
        "council-budget",
        "harbour-bridge",
        "telescope",
    ]
    assert {r["feed_url"] for r in records} == {listed}


def test_a_failed_article_of_a_moved_feed_is_retried_behind_its_304(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    room = Newsroom(site)
    room.add_story("moved", "harbour-bridge")
    room.add_story("moved", "council-budget")
    listed = site.url("/old.xml")
    site.routes["/old.xml"] = Route(b"", 301, {"Location": room.feed_url("moved")})
    page = site.routes["/news/council-budget"]
    site.add("/news/council-budget", "busy", status=503)

    first = crawl("-a", f"feeds={listed}")
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.report["totals"]["articles_retry_later"] == 1

    site.routes["/news/council-budget"] = page
    site.requests.clear()
    second = crawl("-a", f"feeds={listed}")
    assert second.returncode == 0, second.stderr[-3000:]
    assert room.answers_304 == 1
    assert second.report["counters"]["articles/retry_requested"] == 1
    assert site.hits("/news/council-budget") == 1
    assert second.report["feeds"][listed]["written"] == 1
    assert len(output_records(tmp_path / "output")) == 2
