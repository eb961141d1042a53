"""Stopping is prompt and limits are exact: the first SIGINT cancels the downloads queued behind
the download delay (in-flight ones finish), and ``CLOSESPIDER_ITEMCOUNT`` writes that many
articles, not every page already downloaded."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CrawlResult, LocalSite
from tests.newsroom import Newsroom, output_records, stop_at_first_article

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
