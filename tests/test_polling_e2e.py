"""Adaptive polling and the feed history, end to end: ``scrapy crawl feeds`` runs against a
local news site with one state directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from crawler.polling import FeedRun
from crawler.storage.feed_history import FeedHistory
from tests.conftest import CrawlResult, LocalSite
from tests.newsroom import Newsroom

POLLING = {"NEWSCRAWLER_ADAPTIVE_POLLING": "True", "NEWSCRAWLER_POLL_MIN_INTERVAL_S": "600"}


def test_a_feed_not_due_is_skipped_and_all_feeds_forces_it(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
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


def test_a_failing_feed_is_recorded_and_backed_off(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
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


def test_a_run_whose_only_due_feed_fails_exits_1_though_the_others_are_fine(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    """The exit status counts the feeds polled (docs/feed-health.md): the healthy feed not due
    does not make the run a success, the run in which no feed is due is not a failure."""
    room = Newsroom(site)
    room.add_story("world", "harbour-bridge")
    world, dead = room.feed_url("world"), site.url("/dead.xml")
    assert crawl("-a", f"feeds={world}", settings=POLLING).returncode == 0
    added = crawl("-a", f"feeds={world},{dead}", settings=POLLING)
    assert added.returncode == 1, added.stderr[-3000:]
    assert list(added.report["not_due"]) == [world]
    assert added.report["feeds"][dead]["status"] == "failed"
    idle = crawl("-a", f"feeds={world},{dead}", settings=POLLING)
    assert idle.returncode == 0, idle.stderr[-3000:]
    assert sorted(idle.report["not_due"]) == sorted([world, dead]) and idle.report["feeds"] == {}
    assert "not due yet: 2" in idle.stderr


def test_a_run_follows_each_feeds_history(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    """A week of earlier runs (rows dated in the past), then a real run: the fast feed is
    polled, the slow one and the failing one (backing off) are not, the one whose back-off is
    over is polled and, answering again, ends its error streak."""
    import time

    room = Newsroom(site)
    for feed in ("fast", "slow", "failing", "recovered"):
        room.add_story(feed, f"{feed}-story")
    now = time.time()
    history = FeedHistory(tmp_path / "state" / "state.sqlite3")
    rows = []
    for i in range(96):  # a day of runs 15 minutes apart, the last one 15 minutes ago
        at = now - (96 - i) * 900
        rows.append(FeedRun(room.feed_url("fast"), at, "ok", None, 200, 40, 3))
        if i % 8 == 0:  # polled every 2 hours (the last 2 hours ago), one article a day
            rows.append(FeedRun(room.feed_url("slow"), at, "ok", None, 200, 5, int(i == 48)))
    # Failing for 3 runs, the last one 20 minutes ago: waits 40 minutes.
    rows += [FeedRun(room.feed_url("failing"), now - s, "failed", "http_503", 503)
             for s in (3600, 2400, 1200)]  # fmt: skip
    # Failed twice, last 30 minutes ago: its 20-minute back-off is over.
    rows += [FeedRun(room.feed_url("recovered"), now - s, "failed", "http_503", 503)
             for s in (2700, 1800)]  # fmt: skip
    history.add(rows)

    result = crawl("-a", room.feeds_arg(), settings=POLLING)
    assert result.returncode == 0, result.stderr[-3000:]
    assert site.hits("/fast.xml") == 1 and site.hits("/recovered.xml") == 1
    assert site.hits("/slow.xml") == 0 and site.hits("/failing.xml") == 0
    assert sorted(result.report["not_due"]) == [room.feed_url("failing"), room.feed_url("slow")]
    recovered = history.runs(room.feed_url("recovered"))
    assert [r.status for r in recovered] == ["failed", "failed", "ok"]
    assert recovered[-1].new_articles == 1
    history.close()


def test_progress_counts_only_the_feeds_due(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    from tests.newsroom import BackgroundCrawl, wait_for

    room = Newsroom(site)
    room.add_story("world", "harbour-bridge")
    first = crawl("-a", f"feeds={room.feed_url('world')}", settings=POLLING)
    assert first.returncode == 0, first.stderr[-3000:]
    room.add_story("science", "telescope")
    release = room.hold("telescope")
    run = BackgroundCrawl(
        tmp_path / "output",
        "-a",
        room.feeds_arg(),
        settings={**POLLING, "NEWSCRAWLER_PROGRESS_INTERVAL_S": "1"},
    )
    try:
        # world is not due: one feed to do, not two, and the stopped-early check ignores it.
        wait_for(lambda: "Progress: feeds 1/1 done" in run.stderr, "a progress line")
        release.set()
        assert run.wait() == 0, run.stderr[-3000:]
    finally:
        release.set()
        run.stop()
    assert "feeds 1/2" not in run.stderr


def test_a_feed_with_entries_left_over_the_limit_is_due_again_at_once(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    """NEWSCRAWLER_MAX_ENTRIES_PER_FEED leaves new entries for later: the next runs, seconds
    later, poll the feed again (whatever its wait) until its backlog is drained."""
    room = Newsroom(site)
    for n in range(5):
        room.add_story("wire", f"wire-story-{n}")
    wire = room.feed_url("wire")
    settings = {**POLLING, "NEWSCRAWLER_MAX_ENTRIES_PER_FEED": "2"}
    first = crawl("-a", f"feeds={wire}", settings=settings)
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.report["feeds"][wire]["skipped"] == {"over_limit": 3}
    history = FeedHistory(tmp_path / "state" / "state.sqlite3")
    assert [(r.new_articles, r.work_left) for r in history.runs(wire)] == [(2, "over_limit")]

    second = crawl("-a", f"feeds={wire}", settings=settings)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.report["not_due"] == {}
    assert second.report["feeds"][wire]["written"] == 2
    assert second.report["counters"]["feeds/due_work_left"] == 1
    assert f"Feed {wire} due again: its last run left work (over_limit)" in second.stderr

    third = crawl("-a", f"feeds={wire}", settings=settings)
    assert third.report["feeds"][wire]["written"] == 1
    assert len({r["id"] for r in third.records}) == 5
    # The backlog is drained: the feed waits as usual.
    site.requests.clear()
    fourth = crawl("-a", f"feeds={wire}", settings=settings)
    assert fourth.returncode == 0, fourth.stderr[-3000:]
    assert site.hits("/wire.xml") == 0 and list(fourth.report["not_due"]) == [wire]
    rows = history.runs(wire)
    assert [(r.new_articles, r.work_left) for r in rows] == [
        (2, "over_limit"),
        (2, "over_limit"),
        (1, None),
    ]
    history.close()


def test_a_run_stopped_at_its_item_limit_leaves_its_feed_due(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    """A run stopped before its articles were all written (here by CLOSESPIDER_ITEMCOUNT,
    which stops it as a signal does): its feed is due in the next run, which writes the
    rest; a feed whose work was done in that run is not."""
    room = Newsroom(site)
    for n in range(12):
        room.add_story("wire", f"wire-story-{n:02d}")
    wire = room.feed_url("wire")
    first = crawl("-a", f"feeds={wire}", settings={**POLLING, "CLOSESPIDER_ITEMCOUNT": "3"})
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.report["partial"] is True and first.report["totals"]["written"] == 3
    history = FeedHistory(tmp_path / "state" / "state.sqlite3")
    assert [r.work_left for r in history.runs(wire)] == ["stopped"]

    room.add_story("quiet", "quiet-story")
    quiet = room.feed_url("quiet")
    done = crawl("-a", f"feeds={quiet}", "-a", "all_feeds=1", settings=POLLING)
    assert done.returncode == 0 and done.report["feeds"][quiet]["written"] == 1
    rest = crawl("-a", f"feeds={wire},{quiet}", settings=POLLING)
    assert rest.returncode == 0, rest.stderr[-3000:]
    assert list(rest.report["not_due"]) == [quiet]
    assert rest.report["feeds"][wire]["written"] == 9
    assert len({r["id"] for r in rest.records}) == 13
    assert f"Feed {wire} due again: its last run left work (stopped)" in rest.stderr
    assert [r.work_left for r in history.runs(wire)] == ["stopped", None]
    history.close()


def test_a_feed_whose_article_requests_a_sigterm_cancelled_is_due_again(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    """The stop of a scheduled run (SIGTERM) cancels the article requests queued behind the
    download delay: an immediate rerun polls the feed again and writes the rest."""
    import signal

    from tests.newsroom import stop_at_first_article

    room = Newsroom(site)
    for n in range(8):
        room.add_story("wire", f"wire-story-{n}")
    wire = room.feed_url("wire")
    stop_at_first_article(room, tmp_path / "output", signal.SIGTERM, settings=POLLING)
    history = FeedHistory(tmp_path / "state" / "state.sqlite3")
    [row] = history.runs(wire)
    assert row.work_left == "stopped" and row.new_articles < 8

    rest = crawl("-a", f"feeds={wire}", settings=POLLING)
    assert rest.returncode == 0, rest.stderr[-3000:]
    assert rest.report["not_due"] == {} and rest.report["partial"] is False
    assert rest.report["feeds"][wire]["written"] == 8 - row.new_articles
    assert len({r["id"] for r in rest.records}) == 8
    history.close()


def test_a_start_that_fails_exits_1_and_says_why(
    site: LocalSite, crawl: Callable[..., CrawlResult], tmp_path: Path
) -> None:
    """A run whose list of requests fails to be read (here a feed history row whose time is
    text, as a hand edit or another program could leave it) did not do its job: it exits 1,
    and the report and summary say why, instead of ending with exit status 0."""
    room = Newsroom(site)
    room.add_story("world", "harbour-bridge")
    world = room.feed_url("world")
    assert crawl("-a", f"feeds={world}", settings=POLLING).returncode == 0
    history = FeedHistory(tmp_path / "state" / "state.sqlite3")
    history._db.execute("UPDATE feed_history SET run_at = 'yesterday'")
    history.close()

    second = crawl("-a", f"feeds={world}", settings=POLLING)
    assert second.returncode == 1, second.stderr[-3000:]
    assert second.report["start_error"].startswith("ValueError: could not convert")
    assert "START ERROR: ValueError" in second.stderr
