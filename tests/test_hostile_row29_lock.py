"""HOSTILE.md row 29: a second scheduled run while the first is still running is refused at
once, with a clear message and exit status 3, before it sends any request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from crawler.storage.lock import RunLock
from crawler.storage.state import SQLITE_FILE, SqliteStateStore, entry_keys, settled_entry
from tests.conftest import ROOT, LocalSite, run_crawl
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


def test_forget_is_refused_while_a_run_holds_the_lock(tmp_path: Path) -> None:
    """`newscrawler forget` clears the feeds' validators; a run going on would save them again
    at its end and the next run's 304s would hide the forgotten entries. So it takes the run
    lock: refused (exit 3, nothing forgotten) while a run holds it, done once it is free."""
    state_dir = tmp_path / "state"
    store = SqliteStateStore(state_dir / SQLITE_FILE, ttl_s=86_400)
    keys = entry_keys("http://127.0.0.1:9/news/thin", None, "http://127.0.0.1:9/wire.xml")
    store.remember([settled_entry(keys, None, "dropped:too_little_text")])
    store.close()
    forget = [sys.executable, "-m", "crawler.cli", "forget", "--all", "--state-dir", str(state_dir)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    run = RunLock(state_dir)
    run.acquire()  # a crawl going on
    try:
        refused = subprocess.run(forget, env=env, capture_output=True, text=True, timeout=60)
    finally:
        run.release()
    assert refused.returncode == 3, refused.stderr
    assert f"a run (pid {os.getpid()}) is using the state directory {state_dir}" in refused.stderr
    assert "nothing forgotten" in refused.stderr
    store = SqliteStateStore(state_dir / SQLITE_FILE, ttl_s=86_400)
    assert store.find(keys) is not None
    store.close()

    done = subprocess.run(forget, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["forgotten"] == {"dropped:too_little_text": 1}
