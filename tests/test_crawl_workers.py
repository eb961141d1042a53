"""End to end: ``scrapy crawl`` extracting in worker processes writes every article and leaves
no worker process behind, after a normal run, after SIGTERM and even after SIGKILL."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT, LocalSite, crawl_command
from tests.pages import article_html, paragraphs_for

MARK = "NEWSCRAWLER_TEST_MARK"


def processes_marked(mark: str) -> list[int]:
    """Live processes whose environment carries ``MARK=mark``: the crawl and all it started."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue  # gone, or not ours
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def left_behind(mark: str, grace_s: float = 15.0) -> list[int]:
    """Marked processes still alive ``grace_s`` after the crawl exited (the forkserver notices
    its parent's exit a moment later; an orphan never goes)."""
    deadline = time.monotonic() + grace_s
    while (alive := processes_marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def serve_site(site: LocalSite, articles: int, feeds: int) -> list[str]:
    for i in range(articles):
        slug = f"story-{i}"
        site.add(f"/news/{slug}", article_html(f"Story number {i}", paragraphs_for(slug)))
    urls = []
    for f in range(feeds):
        items = "".join(
            f"<item><title>Story {i}</title><link>{site.base}/news/story-{i}</link></item>"
            for i in range(f, articles, feeds)
        )
        site.add(
            f"/feed-{f}.xml",
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{f}</title>{items}'
            "</channel></rss>",
            "application/rss+xml",
        )
        urls.append(site.url(f"/feed-{f}.xml"))
    return urls


def start_crawl(output_dir: Path, feeds: list[str], mark: str) -> subprocess.Popen[str]:
    command, env = crawl_command(
        output_dir,
        "-a",
        "feeds=" + ",".join(feeds),
        settings={"NEWSCRAWLER_EXTRACTION_WORKERS": "2"},
        env={MARK: mark},
    )
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_crawl_with_two_workers_writes_every_article_and_leaves_no_process(
    site: LocalSite, tmp_path: Path
) -> None:
    feeds = serve_site(site, articles=24, feeds=3)
    mark = uuid.uuid4().hex
    crawl = start_crawl(tmp_path / "output", feeds, mark)
    _, stderr = crawl.communicate(timeout=240)
    assert crawl.returncode == 0, stderr[-3000:]
    assert "'extraction/workers': 2" in stderr
    lines = [
        line
        for path in (tmp_path / "output").glob("*.jsonl")
        for line in path.read_text().split("\n")
        if line
    ]
    assert len(lines) == 24
    assert left_behind(mark) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_signal_mid_crawl_leaves_no_worker_process(
    signum: signal.Signals, site: LocalSite, tmp_path: Path
) -> None:
    feeds = serve_site(site, articles=12, feeds=1)
    release = threading.Event()
    stuck = article_html("Held back", paragraphs_for("held-back")).encode()

    def held(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        release.wait(60)
        return 200, {"Content-Type": "text/html; charset=utf-8"}, stuck

    site.add("/news/story-5", b"")
    site.routes["/news/story-5"].body = held
    mark = uuid.uuid4().hex
    crawl = start_crawl(tmp_path / "output", feeds, mark)
    try:
        deadline = time.monotonic() + 120
        while site.hits("/news/story-5") == 0:  # the crawl is now mid-way, workers running
            assert crawl.poll() is None and time.monotonic() < deadline, "crawl never got there"
            time.sleep(0.05)
        assert len(processes_marked(mark)) > 1
        crawl.send_signal(signum)
    finally:
        release.set()
    _, stderr = crawl.communicate(timeout=120)
    if signum == signal.SIGTERM:
        assert "shutting down gracefully" in stderr
    assert left_behind(mark) == []
