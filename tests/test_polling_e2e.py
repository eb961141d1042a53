"""Adaptive polling and the feed history, end to end: ``scrapy crawl feeds`` runs against a
local news site with one state directory."""

from __future__ import annotations

from pathlib import Path

from crawler.storage.feed_history import FeedHistory
from tests.conftest import LocalSite
from tests.newsroom import Newsroom

POLLING = {"NEWSCRAWLER_ADAPTIVE_POLLING": "True", "NEWSCRAWLER_POLL_MIN_INTERVAL_S": "600"}


def test_a_feed_not_due_is_skipped_and_all_feeds_forces_it(
    site: LocalSite, crawl, tmp_path: Path
) -> None:
    room = Newsroom(site)
    room.add_story("world", "harbour-bridge")
    room.add_story("world", "council-budget")
    room.add_story("science", "telescope")
    world, science = room.feed_url("world"), room.feed_url("science")

    first = crawl("-a", f"feeds={world}", settings=POLLING)
    assert first.returncode == 0, first.stderr[-3000:]
    line = first.report["feeds"][world]
    assert line["status"] == "ok" and line["written"] == 2 and line["failures"] == 0
    assert line["http_status"] == 200 and line["bytes"] > 100 and line["latency_s"] is not None
    history = FeedHistory(tmp_path / "state" / "state.sqlite3")
    [row] = history.runs(world)
    assert (row.status, row.http_status, row.entries, row.new_articles) == ("ok", 200, 2, 2)
    assert row.bytes == line["bytes"]

    # Seconds later: world was polled within the minimum interval, science never was.
    site.requests.clear()
    second = crawl("-a", f"feeds={world},{science}", settings=POLLING)
    assert second.returncode == 0, second.stderr[-3000:]
    assert site.hits("/world.xml") == 0 and site.hits("/science.xml") == 1
    report = second.report
    assert list(report["not_due"]) == [world]
    assert report["not_due"][world] > report["started"][:19]
    assert report["totals"]["feeds_not_due"] == 1
    assert report["counters"]["feeds/not_due"] == 1
    assert list(report["feeds"]) == [science] and report["feeds"][science]["written"] == 1
    assert "not due yet: 1" in second.stderr

    # -a all_feeds=1 polls it anyway (answered 304: nothing new), and it is recorded.
    site.requests.clear()
    forced = crawl("-a", f"feeds={world},{science}", "-a", "all_feeds=1", settings=POLLING)
    assert forced.returncode == 0, forced.stderr[-3000:]
    assert site.hits("/world.xml") == 1 and site.hits("/science.xml") == 1
    assert forced.report["not_due"] == {}
    assert forced.report["feeds"][world]["http_status"] == 304
    runs = history.runs(world)
    assert [r.status for r in runs] == ["ok", "not_modified"]
    assert runs[-1].http_status == 304 and runs[-1].new_articles == 0
    history.close()


def test_a_failing_feed_is_recorded_and_backed_off(site: LocalSite, crawl, tmp_path: Path) -> None:
    site.add("/broken.xml", "down", content_type="text/plain", status=503)
    broken = site.url("/broken.xml")
    settings = {**POLLING, "RETRY_TIMES": "0"}
    first = crawl("-a", f"feeds={broken}", settings=settings)
    assert first.returncode == 1  # every feed failed
    assert first.report["feeds"][broken]["http_status"] == 503
    history = FeedHistory(tmp_path / "state" / "state.sqlite3")
    [row] = history.runs(broken)
    assert (row.status, row.reason, row.http_status) == ("failed", "http_503", 503)
    history.close()
    site.requests.clear()
    second = crawl("-a", f"feeds={broken}", settings=settings)
    assert site.hits("/broken.xml") == 0 and list(second.report["not_due"]) == [broken]
    # Nothing was polled, nothing failed: the run did its job.
    assert second.returncode == 0, second.stderr[-3000:]
