"""Crash safety at moments the row 25/26/28 tests do not reach: a crawl of several feeds, with
articles whose download keeps failing, disturbed mid-run or during its close, then run again.
Across the runs every article is written exactly once, every line parses, the failed
downloads are still kept as retries, and the state store is whole.

The moments are exact, not raced: the test-only hook ``NEWSCRAWLER_TEST_HOLD``
(crawler/storage/durable.py) holds the crawl at a step of its output until the test deletes
the marker file, and a held article keeps the crawl running while the test fills its disk.
"""

from __future__ import annotations

import json
import resource
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

from tests.conftest import LocalSite, Route, run_crawl
from tests.newsroom import BackgroundCrawl, Newsroom, output_records, wait_for

FEEDS = ("world", "sport", "tech")
SLUGS = [f"{feed}-{n}" for feed in FEEDS for n in range(8)]
FAILING = ("sport-3", "tech-5")  # always 503: kept as retries across every run
SETTINGS = {"NEWSCRAWLER_WRITE_BATCH_SIZE": "3", "CONCURRENT_REQUESTS": "4"}


def newsroom_with_failures(site: LocalSite) -> Newsroom:
    newsroom = Newsroom(site)
    for slug in SLUGS:
        newsroom.add_story(slug.split("-")[0], slug)
    for slug in FAILING:
        site.routes[f"/news/{slug}"] = Route(lambda _: (503, {}, b"try later"))
    return newsroom


def assert_each_article_once(output_dir: Path) -> None:
    """Every article that can be fetched is written once over all runs; the retries of the
    failing ones are in the state store, which is whole."""
    counts = Counter(r["source_url"].rsplit("/", 1)[-1] for r in output_records(output_dir))
    assert counts == Counter(s for s in SLUGS if s not in FAILING)
    assert not list(output_dir.glob("*.part")), "an interrupted file left behind"
    state = output_dir.parent / "state"
    assert (state / "journal.jsonl").read_text() == ""
    db = sqlite3.connect(state / "state.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        entries = [json.loads(entry) for (entry,) in db.execute("SELECT entry FROM retries")]
    finally:
        db.close()
    assert {e["link"].rsplit("/", 1)[-1] for e in entries} == set(FAILING)


def part_lines(output_dir: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in output_dir.glob("*.part"))


def signal_pending(pid: int, sig: signal.Signals) -> bool:
    """Whether ``sig`` is still pending for ``pid`` (not yet taken by its handler)."""
    status = Path(f"/proc/{pid}/status").read_text()
    masks = [
        line.split()[1] for line in status.splitlines() if line.startswith(("SigPnd", "ShdPnd"))
    ]
    return any(int(mask, 16) & (1 << (sig - 1)) for mask in masks)


def test_sigterm_during_the_close_of_a_finished_run_still_closes_it(
    site: LocalSite, tmp_path: Path
) -> None:
    """A SIGTERM that comes while a finished run closes (held as its output is moved into
    place) lets the close end: the run report is written, the feeds' validators are saved,
    and the exit status is 0; the next run gets a 304 for every feed and writes nothing."""
    newsroom = newsroom_with_failures(site)
    output_dir = tmp_path / "output"
    marker = tmp_path / "held"
    env = {"NEWSCRAWLER_TEST_HOLD": "output_renamed:1", "NEWSCRAWLER_TEST_HOLD_FILE": str(marker)}
    run = BackgroundCrawl(output_dir, "-a", newsroom.feeds_arg(), settings=SETTINGS, env=env)
    try:
        wait_for(marker.exists, "the close of the run")
        run.process.send_signal(signal.SIGTERM)
        wait_for(lambda: not signal_pending(run.process.pid, signal.SIGTERM), "the signal")
        time.sleep(0.2)  # its handler runs in the held thread's next sleep
        marker.unlink()
        returncode = run.wait()
    finally:
        run.stop()
    assert returncode == 0, run.stderr[-3000:]
    assert "Received SIGTERM" in run.stderr
    [report_file] = output_dir.glob("*.report.json")
    report = json.loads(report_file.read_text())
    assert report["close_reason"] == "finished" and report["partial"] is False
    assert report["totals"]["written"] == len(SLUGS) - len(FAILING)
    assert "Run summary" in run.stderr

    again = run_crawl(output_dir, "-a", newsroom.feeds_arg(), settings=SETTINGS)
    assert again.returncode == 0, again.stderr[-3000:]
    assert newsroom.answers_304 == len(FEEDS)
    assert_each_article_once(output_dir)


def test_disk_full_mid_run_then_rerun_writes_each_article_once(
    site: LocalSite, tmp_path: Path
) -> None:
    """The disk fills up after some batches are durable: the write of the next batch fails
    part-way (a torn line), and so do the state store's writes. The run exits 1 and leaves its
    ``.part`` file; the next run cuts the torn line off, keeps the complete ones and fetches
    the rest."""
    newsroom = newsroom_with_failures(site)
    release = newsroom.hold("tech-7")  # the run cannot end before the disk is full
    output_dir = tmp_path / "output"
    run = BackgroundCrawl(output_dir, "-a", newsroom.feeds_arg(), settings=SETTINGS)
    try:
        wait_for(lambda: part_lines(output_dir) >= 6, "two batches")
        [part] = output_dir.glob("*.part")
        # No file of the process may grow past a few bytes more than its output has now.
        limit = part.stat().st_size + 100
        resource.prlimit(run.process.pid, resource.RLIMIT_FSIZE, (limit, limit))
        release.set()
        returncode = run.wait()
    finally:
        run.stop()
        newsroom.release_all()
    assert returncode == 1, run.stderr[-3000:]
    assert "File too large" in run.stderr
    [part] = output_dir.glob("*.part")
    assert part.stat().st_size > 0

    rerun = run_crawl(output_dir, "-a", newsroom.feeds_arg(), settings=SETTINGS)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert rerun.report["state"]["recovered_records"] >= 6
    assert_each_article_once(output_dir)


def test_a_crash_during_recovery_is_recovered_by_the_next_run(
    site: LocalSite, tmp_path: Path
) -> None:
    """A run is killed with two batches durable and the third one's lines written, its store
    not yet told; the run after it is killed in its recovery, the file just moved into place
    and nothing yet marked written; a third run finishes the recovery from the journal."""
    newsroom = newsroom_with_failures(site)
    output_dir = tmp_path / "output"
    for hold in ("batch_written:3", "recovery_moved:1"):
        marker = tmp_path / f"held-{hold}"
        env = {"NEWSCRAWLER_TEST_HOLD": hold, "NEWSCRAWLER_TEST_HOLD_FILE": str(marker)}
        run = BackgroundCrawl(output_dir, "-a", newsroom.feeds_arg(), settings=SETTINGS, env=env)
        try:
            wait_for(marker.exists, f"the crawl to reach {hold}")
            run.kill()
        finally:
            run.stop()
    assert not list(output_dir.glob("*.part")), "the recovery had moved the file"
    [moved] = output_dir.glob("*.jsonl")
    assert moved.read_bytes().count(b"\n") == 9

    site.requests.clear()
    rerun = run_crawl(output_dir, "-a", newsroom.feeds_arg(), settings=SETTINGS)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert rerun.report["state"]["recovered_records"] == 9
    # Only the articles the first run did not write are fetched, and the failing ones again
    # (two tries each: RETRY_TIMES=1).
    not_written = len(SLUGS) - len(FAILING) - 9
    assert newsroom.article_hits() == not_written + 2 * len(FAILING)
    assert_each_article_once(output_dir)
