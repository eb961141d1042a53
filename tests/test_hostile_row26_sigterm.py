"""HOSTILE.md row 26: SIGTERM mid-crawl. In-flight work is finished and written, the output
file is closed and moved into place, the report says partial; the next run writes the rest."""

from __future__ import annotations

import json
import signal
from collections import Counter
from pathlib import Path

from tests.conftest import LocalSite, run_crawl
from tests.newsroom import BackgroundCrawl, Newsroom, output_records, wait_for

SLUGS = [f"story-{n}" for n in range(1, 7)]
# One request at a time: when the held download is in flight, the rest are still queued.
SETTINGS = {"CONCURRENT_REQUESTS": "1", "NEWSCRAWLER_WRITE_BATCH_SIZE": "50"}


def test_row26_sigterm_finishes_in_flight_work(site: LocalSite, tmp_path: Path) -> None:
    newsroom = Newsroom(site)
    for slug in SLUGS:
        newsroom.add_story("wire", slug)
    release = newsroom.hold("story-4")
    output_dir = tmp_path / "output"
    run = BackgroundCrawl(output_dir, "-a", newsroom.feeds_arg(), settings=SETTINGS)
    try:
        wait_for(lambda: site.hits("/news/story-4") == 1, "the held download")
        run.process.send_signal(signal.SIGTERM)
        wait_for(lambda: "Received SIGTERM" in run.stderr, "the crawl to take the SIGTERM")
        release.set()  # the in-flight download completes after the signal
        returncode = run.wait()
    finally:
        run.stop()
        newsroom.release_all()
    assert returncode == 0, run.stderr[-3000:]

    [output] = output_dir.glob("*.jsonl")
    assert not list(output_dir.glob("*.part"))
    first = output_records(output_dir)
    assert "story-4" in {r["source_url"].rsplit("/", 1)[-1] for r in first}
    assert len(first) < len(SLUGS), "the queued downloads were not supposed to run"
    report = json.loads(output.with_suffix(".report.json").read_text())
    assert report["partial"] is True and report["close_reason"] == "shutdown"
    assert report["totals"]["written"] == len(first)
    assert report["totals"]["reconciled"] is True

    # The interrupted run did not advance the feed's ETag: the next run reads the feed again
    # and writes exactly the articles the first one did not.
    rerun = run_crawl(output_dir, "-a", newsroom.feeds_arg(), settings=SETTINGS)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    counts = Counter(r["source_url"].rsplit("/", 1)[-1] for r in output_records(output_dir))
    assert counts == Counter(SLUGS)


def test_row26_second_sigterm_is_an_unclean_stop_reported_and_recovered(
    site: LocalSite, tmp_path: Path
) -> None:
    """Scrapy's second SIGTERM stops at once: the crawl exits 1 (not 0 with a .part left
    behind), and the next run recovers and completes the output."""
    newsroom = Newsroom(site)
    for slug in SLUGS:
        newsroom.add_story("wire", slug)
    newsroom.hold("story-4")
    output_dir = tmp_path / "output"
    settings = {**SETTINGS, "NEWSCRAWLER_WRITE_BATCH_SIZE": "1"}
    run = BackgroundCrawl(output_dir, "-a", newsroom.feeds_arg(), settings=settings)
    try:
        wait_for(lambda: site.hits("/news/story-4") == 1, "the held download")
        run.process.send_signal(signal.SIGTERM)
        wait_for(lambda: "Received SIGTERM" in run.stderr, "the crawl to take the SIGTERM")
        run.process.send_signal(signal.SIGTERM)
        returncode = run.wait()
    finally:
        run.stop()
        newsroom.release_all()
    assert returncode == 1
    assert "newscrawler: crawl stopped before it finished" in run.stderr

    rerun = run_crawl(output_dir, "-a", newsroom.feeds_arg(), settings=settings)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    counts = Counter(r["source_url"].rsplit("/", 1)[-1] for r in output_records(output_dir))
    assert counts == Counter(SLUGS)
    assert not list(output_dir.glob("*.part"))
