"""Progress and summary: a progress line while the crawl runs, a summary whose numbers add
up (every requested article accounted for, in-run duplicates shown), printed at
``LOG_LEVEL=WARNING`` too, naming an output file only when one was written; no deprecation
warning of our own."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from crawler.extensions.progress import Figures, progress_line
from tests.conftest import CrawlResult, LocalSite
from tests.newsroom import BackgroundCrawl, Newsroom, wait_for


def test_a_progress_line_is_logged_while_the_crawl_runs(site: LocalSite, tmp_path: Path) -> None:
    newsroom = Newsroom(site)
    for n in range(4):
        newsroom.add_story("wire", f"story-{n}")
    release = newsroom.hold("story-0")
    run = BackgroundCrawl(
        tmp_path / "output",
        "-a",
        newsroom.feeds_arg(),
        settings={"NEWSCRAWLER_PROGRESS_INTERVAL_S": "1"},
    )
    try:
        wait_for(lambda: "Progress: feeds 1/1 done" in run.stderr, "a progress line")
        release.set()
        assert run.wait() == 0, run.stderr[-3000:]
    finally:
        release.set()
        run.stop()
    line = re.search(r"Progress: feeds 1/1 done, articles \d+ written, \d+ queued.*", run.stderr)
    assert line is not None, run.stderr[-3000:]
    assert "pages/min" in line.group(0)


def test_the_summary_adds_up_and_is_printed_at_warning_level(
    site: LocalSite, crawl: Callable[..., CrawlResult]
) -> None:
    newsroom = Newsroom(site)
    for n in range(5):
        newsroom.add_story("world", f"story-{n}")
    newsroom.add_story("world", "story-0")  # listed twice: one in-run duplicate
    settings = {"LOG_LEVEL": "WARNING", "NEWSCRAWLER_MAX_ENTRIES_PER_FEED": "2"}
    first = crawl("-a", newsroom.feeds_arg(), settings=settings)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "Run summary" in first.stderr
    assert (
        "articles requested: 5 = fetched 2 + over_limit 3 + failed 0 + cancelled 0; "
        "in-run duplicates (not requested): 1"
    ) in first.stderr
    assert f"output: {first.output_files[0]}" in first.stderr
    assert "DeprecationWarning" not in first.stderr

    # Drain the backlog, then a run with nothing new writes no file and names none.
    crawl("-a", newsroom.feeds_arg(), settings={"NEWSCRAWLER_MAX_ENTRIES_PER_FEED": "10"})
    files = set(first.output_dir.glob("*.jsonl"))
    nothing = crawl("-a", newsroom.feeds_arg(), settings=settings)
    assert nothing.returncode == 0, nothing.stderr[-3000:]
    assert set(nothing.output_dir.glob("*.jsonl")) == files
    assert "output: none (no article written)" in nothing.stderr


# A run's stats a minute in: 10 articles requested, 4 pages fetched of which 3 written, 1
# dropped and 1 failed; 2 entries skipped.
PROGRESS_STATS = {
    "articles/requested": 10,
    "articles/pages": 4,
    "articles/written": 3,
    "articles/dropped/too_little_text": 1,
    "articles/failed/http_500": 1,
    "feeds/entry_skipped/already_written": 2,
}


def test_progress_line_numbers() -> None:
    line = progress_line(Figures.of(PROGRESS_STATS, 60.0), 1, 3)
    assert line == (
        "Progress: feeds 1/3 done, articles 3 written, 3 queued, 1 failed, 1 dropped; "
        "5.0 pages/min, ETA 36s"
    )
