"""A small live news site for incremental-run tests: Atom feeds whose entries can be added or
updated between runs, answered with ETags (304 when unchanged), and article pages that can be
*held* (the server keeps the response back until the test releases it), plus a background
crawl process the test can signal or kill at a point it observed."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, LocalSite, Route, crawl_command
from tests.pages import article_html, paragraphs_for

WAIT_S = 120  # generous: the machine is shared; waits end as soon as the event is seen


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    """Poll until ``condition()`` holds (no fixed sleeps: ends when the event is observed)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@dataclass
class Story:
    slug: str
    title: str
    paragraphs: list[str]
    published: str = "2024-09-03T08:00:00Z"
    updated: str = "2024-09-03T08:00:00Z"


@dataclass
class Newsroom:
    site: LocalSite
    feeds: dict[str, list[Story]] = field(default_factory=dict)
    held: dict[str, threading.Event] = field(default_factory=dict)
    answers_304: int = 0

    def add_story(self, feed: str, slug: str, **kwargs: Any) -> Story:
        story = Story(
            slug,
            kwargs.pop("title", slug.replace("-", " ").title()),
            kwargs.pop("paragraphs", paragraphs_for(slug)),
            **kwargs,
        )
        if feed not in self.feeds:
            self.feeds[feed] = []
            self.site.routes[f"/{feed}.xml"] = Route(lambda headers: self._feed(feed, headers))
        self.feeds[feed].append(story)
        self.site.routes[f"/news/{slug}"] = Route(lambda headers: self._page(story))
        return story

    def feed_url(self, feed: str) -> str:
        return self.site.url(f"/{feed}.xml")

    def feeds_arg(self) -> str:
        return "feeds=" + ",".join(self.feed_url(f) for f in self.feeds)

    def hold(self, slug: str) -> threading.Event:
        """The page of ``slug`` is not answered until the returned event is set."""
        self.held[slug] = threading.Event()
        return self.held[slug]

    def release_all(self) -> None:
        for event in self.held.values():
            event.set()

    def article_hits(self) -> int:
        return sum(1 for _, path, _ in self.site.requests if path.startswith("/news/"))

    def feed_xml(self, feed: str) -> bytes:
        entries = "".join(
            f'<entry><title>{s.title}</title><link href="{self.site.url("/news/" + s.slug)}"/>'
            f"<id>urn:story:{s.slug}</id><published>{s.published}</published>"
            f"<updated>{s.updated}</updated></entry>"
            for s in self.feeds[feed]
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{feed}</title><id>urn:feed:{feed}</id><updated>2024-09-03T09:00:00Z</updated>"
            f"{entries}</feed>"
        ).encode()

    def _feed(self, feed: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        body = self.feed_xml(feed)
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if headers.get("if-none-match") == etag:
            self.answers_304 += 1
            return 304, {"ETag": etag}, b""
        return 200, {"Content-Type": "application/atom+xml", "ETag": etag}, body

    def _page(self, story: Story) -> tuple[int, dict[str, str], bytes]:
        event = self.held.get(story.slug)
        if event is not None:
            event.wait(WAIT_S)
        html = article_html(story.title, story.paragraphs, author="Jane Roe")
        return 200, {"Content-Type": "text/html; charset=utf-8"}, html.encode()


class BackgroundCrawl:
    """``scrapy crawl feeds`` started in the background; stderr goes to a file the test reads."""

    def __init__(
        self,
        output_dir: Path,
        *args: str,
        settings: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        command, child_env = crawl_command(output_dir, *args, settings=settings, env=env)
        self.stderr_path = output_dir.parent / f"stderr-{time.monotonic_ns()}.log"
        self.stderr_path.parent.mkdir(parents=True, exist_ok=True)
        self._stderr = open(self.stderr_path, "w", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=child_env,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            stdin=subprocess.DEVNULL,
        )

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.wait()

    def wait(self, timeout: float = WAIT_S) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            self._stderr.close()

    def stop(self) -> None:
        """Clean up whatever happens in the test."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._stderr.close()


def kill_at(
    newsroom: Newsroom,
    output_dir: Path,
    hold: str,
    marker: Path,
    settings: dict[str, str],
) -> BackgroundCrawl:
    """A crawl of ``newsroom`` SIGKILLed at ``hold``: ``"download"`` (story-3's download held
    open) or a test hold point of the crawler (``NEWSCRAWLER_TEST_HOLD``, reached when
    ``marker`` appears). Returns the killed crawl, its stories released."""
    env = {}
    if hold == "download":
        newsroom.hold("story-3")
    else:
        env = {"NEWSCRAWLER_TEST_HOLD": hold, "NEWSCRAWLER_TEST_HOLD_FILE": str(marker)}
    run = BackgroundCrawl(output_dir, "-a", newsroom.feeds_arg(), settings=settings, env=env)
    try:
        if hold == "download":
            wait_for(lambda: newsroom.site.hits("/news/story-3") == 1, "the held download")
        else:
            wait_for(marker.exists, f"the crawl to reach {hold}")
        run.kill()
    finally:
        run.stop()
        newsroom.release_all()
    assert run.process.returncode == -9
    return run


def stop_at_first_article(
    newsroom: Newsroom, output_dir: Path, sig: signal.Signals, settings: dict[str, str]
) -> BackgroundCrawl:
    """A crawl of ``newsroom`` sent ``sig`` once its first article is downloaded, with a 3 s
    delay between the site's requests (so the others are still queued), and waited for.
    Returns the stopped crawl."""
    delay = {"DOWNLOAD_DELAY": "3", "RANDOMIZE_DOWNLOAD_DELAY": "False"}
    run = BackgroundCrawl(output_dir, "-a", newsroom.feeds_arg(), settings={**delay, **settings})
    try:
        wait_for(lambda: newsroom.article_hits() >= 1, "the first article download")
        run.process.send_signal(sig)
        assert run.wait(60) == 0, run.stderr[-3000:]
    finally:
        run.stop()
    return run


def output_records(output_dir: Path) -> list[dict[str, Any]]:
    """Every record of every complete output file; each line must parse on its own."""
    records = []
    for path in sorted(output_dir.glob("*.jsonl")):
        data = path.read_text(encoding="utf-8")
        assert data.endswith("\n"), f"{path.name} ends in a torn line"
        records += [json.loads(line) for line in data.splitlines()]
    return records
