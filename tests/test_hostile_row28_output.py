"""HOSTILE.md row 28: output directory not writable, or disk full. A clear error and exit
status 1; no half-written file presented as complete; the next run loses nothing."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tests.conftest import CrawlResult, LocalSite, run_crawl
from tests.newsroom import Newsroom, output_records

SLUGS = [f"story-{n}" for n in range(1, 5)]


def newsroom_with_stories(site: LocalSite) -> Newsroom:
    newsroom = Newsroom(site)
    for slug in SLUGS:
        newsroom.add_story("wire", slug)
    return newsroom


def test_row28_unwritable_output_dir_fails_before_any_request(
    site: LocalSite, tmp_path: Path
) -> None:
    newsroom = newsroom_with_stories(site)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the output directory should be")
    result = run_crawl(
        blocker / "output",
        "-a",
        newsroom.feeds_arg(),
        settings={"NEWSCRAWLER_STATE_DIR": str(tmp_path / "state")},
    )
    assert result.returncode == 1
    assert f"newscrawler: output error: cannot write to {blocker / 'output'}" in result.stderr
    assert site.requests == []


def test_row28_unwritable_state_dir_fails_before_any_request(
    site: LocalSite, tmp_path: Path
) -> None:
    newsroom = newsroom_with_stories(site)
    (tmp_path / "blocker").write_text("a file")
    result = run_crawl(
        tmp_path / "output",
        "-a",
        newsroom.feeds_arg(),
        settings={"NEWSCRAWLER_STATE_DIR": str(tmp_path / "blocker" / "state")},
    )
    assert result.returncode == 1
    assert "newscrawler: output error: cannot use state directory" in result.stderr
    assert site.requests == []


def crawl_on_full_disk(
    newsroom: Newsroom, output_dir: Path, settings: dict[str, str]
) -> CrawlResult:
    """A crawl whose output file is on a full disk (its .part is /dev/full: every write fails
    ENOSPC)."""
    output_dir.mkdir()
    return run_crawl(
        output_dir,
        "-a",
        newsroom.feeds_arg(),
        settings=settings,
        env={"TESTS_FULL_DISK_NAME": "wire.jsonl.part"},
    )


def test_row28_disk_full_mid_run(site: LocalSite, tmp_path: Path) -> None:
    newsroom = newsroom_with_stories(site)
    output_dir = tmp_path / "output"
    settings = {"NEWSCRAWLER_OUTPUT_FILE": "wire.jsonl", "NEWSCRAWLER_WRITE_BATCH_SIZE": "2"}
    full = crawl_on_full_disk(newsroom, output_dir, settings)
    assert full.returncode == 1, full.stderr[-3000:]
    assert "cannot write output" in full.stderr and "No space left on device" in full.stderr
    assert not (output_dir / "wire.jsonl").exists(), "a failed file presented as complete"
    report = json.loads((output_dir / "wire.report.json").read_text())
    assert report["partial"] is True and report["close_reason"] == "output_error"
    assert "No space left on device" in report["output_error"]
    assert report["totals"]["written"] == 0
    assert report["totals"]["reconciled"] is True

    # Space is freed; the next run writes every article, once.
    again = run_crawl(output_dir, "-a", newsroom.feeds_arg(), settings=settings)
    assert again.returncode == 0, again.stderr[-3000:]
    counts = Counter(r["source_url"].rsplit("/", 1)[-1] for r in output_records(output_dir))
    assert counts == Counter(SLUGS)


def test_row28_disk_full_at_the_last_commit_leaves_the_feed_to_be_read_again(
    site: LocalSite, tmp_path: Path
) -> None:
    """Every line is written by the final commit at close (the batch is larger than the run),
    after Scrapy settled the close reason "finished": the failed write still makes the run an
    output error, so the feed's ETag is not advanced and the next run does not get a 304 that
    hides the articles never written."""
    newsroom = newsroom_with_stories(site)
    output_dir = tmp_path / "output"
    settings = {"NEWSCRAWLER_OUTPUT_FILE": "wire.jsonl", "NEWSCRAWLER_WRITE_BATCH_SIZE": "50"}
    full = crawl_on_full_disk(newsroom, output_dir, settings)
    assert full.returncode == 1, full.stderr[-3000:]
    assert "No space left on device" in full.stderr
    report = json.loads((output_dir / "wire.report.json").read_text())
    assert report["close_reason"] == "output_error" and report["partial"] is True
    assert report["totals"]["written"] == 0

    again = run_crawl(output_dir, "-a", newsroom.feeds_arg(), settings=settings)
    assert again.returncode == 0, again.stderr[-3000:]
    assert newsroom.answers_304 == 0, "the feed's ETag was advanced past unwritten articles"
    counts = Counter(r["source_url"].rsplit("/", 1)[-1] for r in output_records(output_dir))
    assert counts == Counter(SLUGS)
