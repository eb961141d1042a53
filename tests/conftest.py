"""Shared fixtures: a local HTTP server on 127.0.0.1, a runner for the real ``scrapy crawl``
command, and the loopback-only network guard for this process and every child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
NETGUARD = Path(__file__).resolve().parent / "netguard"

sys.path.insert(0, str(NETGUARD))
import sitecustomize  # noqa: E402,F401  (the guard applies to this process too)

if TYPE_CHECKING:
    from tests.distributed_support import RedisServer


# A script that imports every component a crawl loads, as the crawler process imports them.
IMPORT_CRAWL_COMPONENTS = """
import importlib, sys
import crawler.settings as s
names = [*s.ITEM_PIPELINES, *s.EXTENSIONS, *s.SPIDER_MIDDLEWARES, *s.DOWNLOADER_MIDDLEWARES,
         *s.DOWNLOAD_HANDLERS.values(), *s.ADDONS, s.LOG_FORMATTER,
         "crawler.spiders.feeds.FeedsSpider", "crawler.spiders.article.ArticleSpider"]
for name in names:
    if isinstance(name, str) and name.startswith("crawler."):
        importlib.import_module(name.rpartition(".")[0])
"""


@pytest.fixture(autouse=True, scope="session")
def _language_model_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The unpacked language model (crawler/extraction/language_model.py) is cached in a
    directory of the test session, for every crawl the tests start, not in the user's home."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


def project_settings(**overrides: Any) -> Any:
    """The project's Scrapy settings (crawler/settings.py) with ``overrides`` applied."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings


@dataclass
class Route:
    body: bytes | Callable[[dict[str, str]], tuple[int, dict[str, str], bytes]]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class _SiteServer(ThreadingHTTPServer):
    """A listen backlog a real site's server has: with the standard library's 5, a crawl's
    first connections overflowed it, and the kernel's retry of a dropped one (after 1 s)
    held the crawl for a second."""

    daemon_threads = True
    request_queue_size = 128


class LocalSite:
    """Serves ``routes`` (path -> Route); records every request as ``(method, path, headers)``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                with site._lock:
                    site.requests.append(("GET", self.path, headers))
                route = site.routes.get(self.path)
                if route is None:
                    status, extra, body = 404, {"Content-Type": "text/plain"}, b"not found"
                elif callable(route.body):
                    status, extra, body = route.body(headers)
                else:
                    status, extra, body = route.status, route.headers, route.body
                self.send_response(status)
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = _SiteServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(
        self,
        path: str,
        body: bytes | str,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, status, {"Content-Type": content_type, **(headers or {})})

    def hits(self, path: str) -> int:
        return sum(1 for _, p, _ in self.requests if p == path)


@pytest.fixture
def site() -> Iterator[LocalSite]:
    local = LocalSite()
    thread = threading.Thread(target=local.server.serve_forever, daemon=True)
    thread.start()
    yield local
    local.server.shutdown()
    local.server.server_close()


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str
    output_dir: Path

    @property
    def output_files(self) -> list[Path]:
        return sorted(self.output_dir.glob("*.jsonl"))

    @property
    def records(self) -> list[dict[str, Any]]:
        records = []
        for path in self.output_files:
            for line in path.read_text(encoding="utf-8").splitlines():
                records.append(json.loads(line))
        return records

    @property
    def report(self) -> dict[str, Any]:
        reports = sorted(self.output_dir.glob("*.report.json"))
        assert reports, f"no run report in {self.output_dir}\n{self.stderr[-3000:]}"
        report: dict[str, Any] = json.loads(reports[-1].read_text(encoding="utf-8"))
        return report


# Settings every end-to-end test uses: output in the test's directory, no politeness delays
# against the single local server.
TEST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "RETRY_TIMES": "1",
    "DOWNLOAD_TIMEOUT": "10",
    # The local server is on loopback, which the URL-safety policy refuses by default.
    "ALLOW_PRIVATE_HOSTS": "127.0.0.1",
    # Test runs follow each other within seconds: every feed would be "not due" in the second.
    # The adaptive polling tests switch it on.
    "NEWSCRAWLER_ADAPTIVE_POLLING": "False",
}


def crawl_command(
    output_dir: Path,
    *args: str,
    settings: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The ``scrapy crawl feeds`` command line and environment of a test crawl."""
    command = [sys.executable, "-m", "scrapy", "crawl", "feeds", *args]
    merged = {
        **TEST_SETTINGS,
        "NEWSCRAWLER_OUTPUT_DIR": str(output_dir),
        # Each test's own state (seen articles, feed validators, run lock) next to its output.
        "NEWSCRAWLER_STATE_DIR": str(output_dir.parent / "state"),
        **(settings or {}),
    }
    for key, value in merged.items():
        command += ["-s", f"{key}={value}"]
    child_env = {**os.environ, **(env or {})}
    child_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(NETGUARD), str(ROOT), child_env.get("PYTHONPATH", "")) if p
    )
    return command, child_env


def run_crawl(
    output_dir: Path,
    *args: str,
    settings: dict[str, str] | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> CrawlResult:
    """Run ``scrapy crawl feeds`` in a child process, as a scheduler would."""
    command, child_env = crawl_command(output_dir, *args, settings=settings, env=env)
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return CrawlResult(done.returncode, done.stdout, done.stderr, output_dir)


@pytest.fixture
def crawl(tmp_path: Path) -> Callable[..., CrawlResult]:
    def runner(*args: str, **kwargs: Any) -> CrawlResult:
        return run_crawl(tmp_path / "output", *args, **kwargs)

    return runner


# A report's feed line also holds the feed download's figures (bytes, latency, HTTP status,
# failed article downloads); tests that compare a whole line leave them out.
DOWNLOAD_FIGURES = ("bytes", "latency_s", "http_status", "failures")


def feed_line(line: dict[str, Any]) -> dict[str, Any]:
    """A report feed line without its download figures."""
    return {key: value for key, value in line.items() if key not in DOWNLOAD_FIGURES}


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server of the test's own, on a local port (tests/distributed_support.py)."""
    from tests.distributed_support import RedisServer

    server = RedisServer(tmp_path / "redis")
    yield server
    server.stop()
