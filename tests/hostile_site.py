"""A local server that misbehaves on purpose: never-ending and dripping bodies, dropped
connections, answers that change between attempts. Built on ``LocalSite`` (same request log and
``hits``); ``raw`` routes write straight to the socket. ``Routes`` lists the feeds a test serves
on it, and ``served_crawl`` runs one crawl of them (``SiteRun``)."""

from __future__ import annotations

import contextlib
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.conftest import CrawlResult, LocalSite, Route, run_crawl
from tests.pages import page

RawRoute = Callable[[BaseHTTPRequestHandler], None]


class HostileSite(LocalSite):
    def __init__(self) -> None:
        super().__init__()
        self.raw: dict[str, RawRoute] = {}
        self.times: dict[str, list[float]] = {}
        self.stop = threading.Event()
        site = self
        served = self.server.RequestHandlerClass

        class RawHandler(served):  # type: ignore[misc,valid-type]
            def do_GET(self) -> None:
                with site._lock:
                    site.times.setdefault(self.path, []).append(time.monotonic())
                route = site.raw.get(self.path)
                if route is None:
                    super().do_GET()
                    return
                with site._lock:
                    site.requests.append(("GET", self.path, dict(self.headers.items())))
                # The crawler hanging up is the expected end of most hostile answers.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    route(self)

        self.server.RequestHandlerClass = RawHandler
        # A client hanging up on a hostile answer is the expected outcome, not an error.
        self.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()

    # --- misbehaviours ---

    def headers_then_silence(self, path: str) -> None:
        def route(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/rss+xml")
            handler.send_header("Content-Length", "5000")
            handler.end_headers()
            handler.wfile.flush()
            self.stop.wait(60)

        self.raw[path] = route

    def endless_headers(self, path: str) -> None:
        """A status line, then short header lines for ever (until the client hangs up, or
        30 s)."""
        line = b"X-Filler: " + b"a" * 20 + b"\r\n"
        block = line * 1000

        def route(handler: BaseHTTPRequestHandler) -> None:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n")
            deadline = time.monotonic() + 30
            while not self.stop.is_set() and time.monotonic() < deadline:
                handler.wfile.write(block)

        self.raw[path] = route

    def drip(self, path: str, interval_s: float = 0.5) -> None:
        """A valid-looking feed, one byte at a time, never finished."""

        def route(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/rss+xml")
            handler.send_header("Content-Length", "100000")
            handler.end_headers()
            for byte in b'<?xml version="1.0"?><rss version="2.0"><channel>' * 100:
                if self.stop.wait(interval_s):
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()

        self.raw[path] = route

    def endless_chunked(self, path: str, content_type: str = "application/rss+xml") -> None:
        """A chunked body that never ends (64 KiB chunks until the client hangs up)."""
        chunk = b"<item><title>" + b"x" * 65000 + b"</title></item>"
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"

        def route(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            handler.wfile.write(b'13\r\n<rss version="2.0">\r\n')
            while not self.stop.is_set():
                handler.wfile.write(frame)

        self.raw[path] = route

    def claims_length(self, path: str, length: int) -> None:
        """Announces a huge Content-Length; sends a little, then waits."""

        def route(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/rss+xml")
            handler.send_header("Content-Length", str(length))
            handler.end_headers()
            handler.wfile.write(b"<rss>")
            handler.wfile.flush()
            self.stop.wait(30)

        self.raw[path] = route

    def drop_mid_body(self, path: str, body: bytes, *, times: int | None = None) -> None:
        """Sends half of ``body`` and closes the connection (the first ``times`` requests;
        every request when ``times`` is None), then serves it whole."""
        count = {"n": 0}

        def route(handler: BaseHTTPRequestHandler) -> None:
            count["n"] += 1
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if times is None or count["n"] <= times:
                handler.wfile.write(body[: len(body) // 2])
                handler.wfile.flush()
                handler.close_connection = True
                handler.connection.shutdown(2)
            else:
                handler.wfile.write(body)

        self.raw[path] = route

    def sequence(self, path: str, answers: list[tuple[int, dict[str, str], bytes]]) -> None:
        """Answers in order; the last one repeats."""
        count = {"n": 0}

        def route(handler: BaseHTTPRequestHandler) -> None:
            status, headers, body = answers[min(count["n"], len(answers) - 1)]
            count["n"] += 1
            handler.send_response(status)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        self.raw[path] = route

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        self.routes[path] = Route(b"", status, {"Location": to})


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about 1/1000 of ``size``), built in 1 MiB steps
    so the test process never holds the expanded bytes."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * (1 << 20)
    parts = [
        deflater.compress(chunk[: min(len(chunk), size - done)])
        for done in range(0, size, len(chunk))
    ]
    return b"".join(parts) + deflater.flush()


@dataclass
class Routes:
    """The feeds and article pages a test serves on ``site``; ``paths`` lists the feeds to
    crawl."""

    site: HostileSite
    paths: list[str] = field(default_factory=list)

    def feed(
        self, path: str, body: bytes | str, content_type: str = "application/rss+xml", **kw: Any
    ) -> None:
        self.site.add(path, body, content_type, **kw)
        self.paths.append(path)

    def articles(self, *slugs: str) -> None:
        """An article page (``tests.pages.page``) at ``/news/<slug>`` for each slug."""
        for slug in slugs:
            self.site.add(f"/news/{slug}", page(slug))


@dataclass
class SiteRun:
    """One crawl of a hostile site's feeds: its report and records by feed path and slug."""

    site: HostileSite
    result: CrawlResult

    @property
    def report(self) -> dict[str, Any]:
        return self.result.report

    def feed(self, path: str) -> dict[str, Any]:
        feeds: dict[str, dict[str, Any]] = self.report["feeds"]
        return feeds[self.site.url(path)]

    def counter(self, key: str) -> int:
        return int(self.report["counters"].get(key, 0))

    def records(self, slug: str) -> list[dict[str, Any]]:
        return [r for r in self.result.records if r["source_url"].endswith(f"/news/{slug}")]

    def record(self, slug: str) -> dict[str, Any] | None:
        found = self.records(slug)
        assert len(found) <= 1, found
        return found[0] if found else None


@contextlib.contextmanager
def served_crawl(
    serve: Callable[[HostileSite], list[str]],
    out: Path,
    settings: dict[str, str],
    timeout: float,
    sitemaps: tuple[str, ...] = (),
) -> Iterator[SiteRun]:
    """Start a ``HostileSite``, let ``serve`` set up its routes (it returns the feed paths),
    crawl them and the ``sitemaps`` paths (the site allowed by ``ALLOW_PRIVATE_HOSTS``) into
    ``out``, and close the site afterwards. The crawl's stderr is kept in ``out/stderr.txt``
    for a human reading a failure."""
    site = HostileSite()
    threading.Thread(target=site.server.serve_forever, daemon=True).start()
    try:
        paths = serve(site)
        sources = ["-a", "sitemaps=" + ",".join(site.url(p) for p in sitemaps)] if sitemaps else []
        result = run_crawl(
            out / "output",
            "-a",
            "feeds=" + ",".join(site.url(p) for p in paths),
            *sources,
            settings={**settings, "ALLOW_PRIVATE_HOSTS": site.base.removeprefix("http://")},
            timeout=timeout,
        )
        (out / "stderr.txt").write_text(result.stderr)
        yield SiteRun(site, result)
    finally:
        site.close()
