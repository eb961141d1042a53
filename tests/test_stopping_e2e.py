"""Stopping is prompt and limits are exact: the first SIGINT cancels the downloads queued behind
the download delay (in-flight ones finish), and ``CLOSESPIDER_ITEMCOUNT`` writes that many
articles, not every page already downloaded."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CrawlResult, LocalSite, Route, run_crawl
from tests.newsroom import (
    BackgroundCrawl,
    Newsroom,
    output_records,
    stop_at_first_article,
    wait_for,
)

SLUGS = [f"story-{n:02d}" for n in range(20)]


def newsroom_with_stories(site: LocalSite) -> Newsroom:
    newsroom = Newsroom(site)
    for slug in SLUGS:
        newsroom.add_story("wire", slug)
    return newsroom


def test_the_first_sigint_cancels_the_queued_downloads(site: LocalSite, tmp_path: Path) -> None:
    newsroom = newsroom_with_stories(site)
    output_dir = tmp_path / "output"
    # A 3 s delay between requests to the site: without the cancel, the 20 queued article
    # requests would still be downloaded one by one after the signal (a minute).
    run = stop_at_first_article(newsroom, output_dir, signal.SIGINT, settings={})
    assert newsroom.article_hits() <= 2  # the one in flight, at most one more
    report = json.loads(next(output_dir.glob("*.report.json")).read_text(encoding="utf-8"))
    assert report["partial"] is True
    assert report["close_reason"] == "shutdown"
    cancelled = report["counters"]["articles/cancelled"]
    assert cancelled >= len(SLUGS) - 3
    assert "cancelled " + str(cancelled) in run.stderr
    assert report["totals"]["articles_cancelled"] == cancelled
    assert report["given_up"] == [] and report["totals"]["articles_failed"] == {}


def test_closespider_itemcount_writes_exactly_that_many(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    newsroom = newsroom_with_stories(site)
    result = crawl(
        "-a",
        newsroom.feeds_arg(),
        settings={"CLOSESPIDER_ITEMCOUNT": "5", "NEWSCRAWLER_EXTRACTION_WORKERS": "2"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(output_records(result.output_dir)) == 5
    report = result.report
    assert report["close_reason"] == "closespider_itemcount"
    assert report["totals"]["written"] == 5
    assert report["totals"]["reconciled"] is True
    assert report["partial"] is True  # stories were left for the next run
    # The next run writes the rest.
    rest = crawl("-a", newsroom.feeds_arg())
    assert rest.returncode == 0, rest.stderr[-3000:]
    assert len({r["id"] for r in output_records(rest.output_dir)}) == len(SLUGS)


Answer = Callable[[dict[str, str]], tuple[int, dict[str, str], bytes]]


def two_stories(site: LocalSite, answer: Answer) -> tuple[Newsroom, Route]:
    """A newsroom of two stories whose second page is answered by ``answer``; returns it and
    that story's own page."""
    newsroom = Newsroom(site)
    newsroom.add_story("wire", "story-00")
    newsroom.add_story("wire", "story-01")
    page = site.routes["/news/story-01"]
    site.routes["/news/story-01"] = Route(answer)
    return newsroom, page


def test_the_first_sigint_cancels_a_retry_waiting_for_retry_after(
    site: LocalSite, tmp_path: Path
) -> None:
    asked = threading.Event()

    def slow_down(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        asked.set()
        return 429, {"Retry-After": "100", "Content-Type": "text/plain"}, b"slow down"

    newsroom, page = two_stories(site, slow_down)
    output_dir = tmp_path / "output"
    # Within NEWSCRAWLER_RETRY_AFTER_MAX_S (120 s): the retry waits 100 s for its turn.
    run = BackgroundCrawl(output_dir, "-a", newsroom.feeds_arg())
    try:
        wait_for(asked.is_set, "the 429 answer")
        time.sleep(1)  # the retry is waiting
        started = time.monotonic()
        run.process.send_signal(signal.SIGINT)
        assert run.wait(60) == 0, run.stderr[-3000:]
        assert time.monotonic() - started < 30  # not the 100 s Retry-After asked for
    finally:
        run.stop()
    assert site.hits("/news/story-01") == 1  # the retry was never sent
    report = json.loads(next(output_dir.glob("*.report.json")).read_text(encoding="utf-8"))
    assert report["counters"]["articles/cancelled"] == 1
    assert report["totals"]["articles_cancelled"] == 1
    assert report["partial"] is True
    assert report["given_up"] == [] and report["totals"]["articles_failed"] == {}
    # The next run fetches it.
    site.routes["/news/story-01"] = page
    rest = run_crawl(output_dir, "-a", newsroom.feeds_arg())
    assert rest.returncode == 0, rest.stderr[-3000:]
    assert {r["url"] for r in output_records(output_dir)} == {
        site.url("/news/story-00"),
        site.url("/news/story-01"),
    }


def stop_while_held(
    newsroom: Newsroom, output_dir: Path, asked: threading.Event, release: threading.Event
) -> BackgroundCrawl:
    """Crawl ``newsroom``, SIGINT it once the held request was ``asked``, then ``release`` that
    request; the run exits 0."""
    run = BackgroundCrawl(output_dir, "-a", newsroom.feeds_arg())
    try:
        wait_for(asked.is_set, "the held request")
        run.process.send_signal(signal.SIGINT)
        wait_for(lambda: "shutting down gracefully" in run.stderr, "the stop")
        time.sleep(0.5)
        release.set()
        assert run.wait(60) == 0, run.stderr[-3000:]
    finally:
        release.set()
        run.stop()
    return run


def test_a_download_failing_after_the_sigint_is_not_retried(
    site: LocalSite, tmp_path: Path
) -> None:
    asked, release = threading.Event(), threading.Event()

    def fail_when_released(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        asked.set()
        release.wait(60)
        return 500, {"Content-Type": "text/plain"}, b"down"

    newsroom, _ = two_stories(site, fail_when_released)
    output_dir = tmp_path / "output"
    # The download in flight fails after the stop.
    run = stop_while_held(newsroom, output_dir, asked, release)
    assert site.hits("/news/story-01") == 1  # no retry sent
    report = json.loads(next(output_dir.glob("*.report.json")).read_text(encoding="utf-8"))
    assert report["totals"]["articles_cancelled"] == 1
    assert report["partial"] is True
    assert "not reached" not in run.stderr


def test_articles_waiting_for_the_sites_tdmrep_file_are_cancelled_by_the_sigint(
    site: LocalSite, tmp_path: Path
) -> None:
    """The site's ``tdmrep.json`` is in flight when the signal comes; the article requests
    waiting for it are not sent once it answers: they are cancelled like queued ones."""
    asked, answer = threading.Event(), threading.Event()

    def slow_tdmrep(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        asked.set()
        answer.wait(60)
        return 404, {"Content-Type": "text/plain"}, b"none"

    newsroom, _ = two_stories(site, lambda headers: (200, {}, b""))
    site.routes["/.well-known/tdmrep.json"] = Route(slow_tdmrep)
    output_dir = tmp_path / "output"
    stop_while_held(newsroom, output_dir, asked, answer)
    assert newsroom.article_hits() == 0, "no article request is sent after the stop"
    report = json.loads(next(output_dir.glob("*.report.json")).read_text(encoding="utf-8"))
    assert report["counters"]["articles/cancelled"] == 2
    assert report["totals"]["articles_cancelled"] == 2
    assert report["partial"] is True
    assert report["given_up"] == [] and report["totals"]["articles_failed"] == {}
