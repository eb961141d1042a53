"""HOSTILE.md row 29: a second scheduled run while the first is still running is refused at
once, with a clear message and exit status 3, before it sends any request."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import LocalSite, run_crawl
from tests.newsroom import BackgroundCrawl, Newsroom, output_records, wait_for


def test_row29_second_run_is_refused_while_first_runs(site: LocalSite, tmp_path: Path) -> None:
    newsroom = Newsroom(site)
    newsroom.add_story("wire", "story-1")
    newsroom.add_story("wire", "story-2")
    release = newsroom.hold("story-2")
    output_dir = tmp_path / "output"
    first = BackgroundCrawl(output_dir, "-a", newsroom.feeds_arg())
    try:
        # Every request the first run will make is made (story-2 is held): any later request
        # would come from the second run.
        wait_for(
            lambda: site.hits("/news/story-1") == 1 and site.hits("/news/story-2") == 1,
            "the first run to be mid-crawl",
        )
        requests_before = len(site.requests)
        second = run_crawl(output_dir, "-a", newsroom.feeds_arg())
        assert second.returncode == 3
        assert "newscrawler: another run (pid " in second.stderr
        assert f"is using the state directory {tmp_path / 'state'}" in second.stderr
        assert len(site.requests) == requests_before, "the refused run sent a request"
        release.set()
        assert first.wait() == 0, first.stderr[-3000:]
    finally:
        first.stop()
        newsroom.release_all()
    assert len(output_records(output_dir)) == 2

    # The lock went with the first run: the next one starts (and finds nothing new).
    third = run_crawl(output_dir, "-a", newsroom.feeds_arg())
    assert third.returncode == 0, third.stderr[-3000:]
