"""HOSTILE.md row 28: output directory not writable, or disk full. A clear error and exit
status 1; no half-written file presented as complete; the next run loses nothing."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tests.conftest import LocalSite, run_crawl
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


def test_row28_disk_full_mid_run(site: LocalSite, tmp_path: Path) -> None:
    """The run's file is on a full disk (its .part is /dev/full: every write fails ENOSPC)."""
    newsroom = newsroom_with_stories(site)
    output_dir = tmp_path / "output"
    output_dir.mkdir()
    settings = {"NEWSCRAWLER_OUTPUT_FILE": "wire.jsonl", "NEWSCRAWLER_WRITE_BATCH_SIZE": "2"}
    full = run_crawl(
        output_dir,
        "-a",
        newsroom.feeds_arg(),
        settings=settings,
        env={"TESTS_FULL_DISK_NAME": "wire.jsonl.part"},
    )
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
