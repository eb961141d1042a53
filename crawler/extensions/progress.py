"""Progress while the crawl runs: a log line every ``NEWSCRAWLER_PROGRESS_INTERVAL_S`` seconds
(``Progress``) and, on an interactive terminal, a live line redrawn in place (``LiveProgress``).

``Progress``: ``Progress: feeds 12/25 done, articles 340 written, 85 queued, 7 failed, 9
dropped; 41.3 pages/min, ETA 2m03s``: feeds done (an outcome, ok, not modified or failed)
of the feeds listed; articles written; queued (requested, not yet fetched, skipped, failed or
cancelled); failed downloads and pages dropped; the rate of pages handled since the start
and the time left at that rate for the queued ones (shown once there is a rate). In
distributed mode the feeds, the queued requests (those on the shared queue) and the rate are
the whole run's (all workers), the articles this worker's. ``0`` switches the line off
(``NotConfigured``). Reads only the crawl's stats, the ``feed_processed`` signal and, in
distributed mode, the worker's ``run_feeds`` and ``run_work``.

``LiveProgress``: when standard error is a terminal and ``NEWSCRAWLER_PROGRESS_LIVE`` is on
(the default), the same figures (and the entries skipped as already known or over the
per-feed limit) on one line at the bottom of the terminal, redrawn in place (carriage return)
every ``LIVE_INTERVAL_S``; the last redraw, when the spider closes, shows the final figures
and stays. Log records and anything else written to standard error clear the line first and
redraw it after (``LiveLine``), so they never mix. Off (``NotConfigured``) when standard error
is not a terminal (cron, systemd, a pipe, a file): the periodic log line is what remains.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TextIO, cast

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet.task import LoopingCall

from crawler import signals as news_signals
from crawler.config import CrawlerConfig

if TYPE_CHECKING:  # the distributed extra (redis) may not be installed
    from crawler.distributed.runtime import WorkerRuntime

logger = logging.getLogger(__name__)

LIVE_INTERVAL_S = 0.5
# Entries not requested because the state store or the per-feed limit settled them.
SKIP_REASONS = ("already_written", "already_dropped", "given_up", "over_limit")


def _sum(stats: dict[str, Any], prefix: str) -> int:
    return sum(int(v) for k, v in stats.items() if k.startswith(prefix))


def pages_handled(stats: dict[str, Any]) -> int:
    """Article pages downloaded or failed: the work the rate counts."""
    return int(stats.get("articles/pages", 0)) + _sum(stats, "articles/failed/")


def duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


@dataclass(frozen=True)
class Figures:
    """The crawl's progress, from its stats; pure."""

    written: int
    queued: int  # requested, not yet fetched, skipped, failed or cancelled
    failed: int  # downloads failed
    dropped: int  # pages fetched and dropped
    skipped: int  # entries not requested: already known, or over the per-feed limit
    pages_per_min: float  # pages fetched or failed, per minute since the start

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the current rate for the queued requests; None without a rate."""
        return self.queued / self.pages_per_min * 60 if self.pages_per_min > 0 else None

    @classmethod
    def of(cls, stats: dict[str, Any], elapsed_s: float) -> Figures:
        requested = int(stats.get("articles/requested", 0))
        fetched = int(stats.get("articles/pages", 0))
        failed = _sum(stats, "articles/failed/")
        skipped = sum(
            int(v)
            for k, v in stats.items()
            if k.startswith("feeds/entry_skipped/") and k.rsplit("/", 1)[1] in SKIP_REASONS
        )
        cancelled = int(stats.get("articles/cancelled", 0))
        handled = pages_handled(stats)
        return cls(
            written=int(stats.get("articles/written", 0)),
            queued=max(0, requested - fetched - failed - skipped - cancelled),
            failed=failed,
            dropped=_sum(stats, "articles/dropped/"),
            skipped=skipped,
            pages_per_min=handled / elapsed_s * 60 if elapsed_s > 0 else 0.0,
        )


def progress_line(f: Figures, feeds_done: int, feeds_total: int) -> str:
    """The periodic progress line."""
    line = (
        f"Progress: feeds {feeds_done}/{feeds_total} done, articles {f.written} written, "
        f"{f.queued} queued, {f.failed} failed, {f.dropped} dropped; "
        f"{f.pages_per_min:.1f} pages/min"
    )
    if f.eta_s is not None:
        line += f", ETA {duration(f.eta_s)}"
    return line


def live_line(f: Figures, feeds_done: int, feeds_total: int, final: bool = False) -> str:
    """The live display's line: ``crawling:`` while the crawl runs, ``done:`` at the end."""
    line = (
        f"{'done' if final else 'crawling'}: feeds {feeds_done}/{feeds_total}, "
        f"written {f.written}, skipped {f.skipped}, dropped {f.dropped}, failed {f.failed}, "
        f"queued {f.queued}; {f.pages_per_min:.1f} pages/min"
    )
    if not final and f.eta_s is not None and f.queued:
        line += f", ETA {duration(f.eta_s)}"
    return line


def listed_feeds(crawler: Crawler) -> int:
    """The feeds and sites this process's run polls."""
    spider = crawler.spider
    listed = len(getattr(spider, "feed_urls", [])) + len(
        getattr(getattr(spider, "sources", None), "sites", [])
    )
    assert crawler.stats is not None
    # Feeds adaptive polling left for a later run (crawler.extensions.polling) are not work.
    return listed - int(crawler.stats.get_value("feeds/not_due", 0))


class RunView:
    """What both displays show: feeds done (their ``feed_processed`` signal) and feeds to do,
    and the ``figures``. In distributed mode (``REDIS_URL``) the feeds, the queued requests and
    the rate (so the ETA) are the whole run's, all workers together, as the worker last read
    them from Redis (``WorkerRuntime.run_feeds`` and ``run_work``): a worker with nothing left
    of its own still shows what the run has left."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.mine: set[str] = set()
        self.runtime: WorkerRuntime | None = None
        if CrawlerConfig.from_settings(crawler.settings).redis_url:
            from crawler.distributed.runtime import worker_runtime  # needs the redis extra

            self.runtime = worker_runtime(crawler)
        crawler.signals.connect(self.feed_processed, signal=news_signals.feed_processed)

    def feed_processed(self, feed_url: str, **_: Any) -> None:
        self.mine.add(feed_url)

    def done(self) -> int:
        if self.runtime is None:
            return len(self.mine)
        return max(self.runtime.run_feeds[0], len(self.mine))

    def total(self) -> int:
        run_total = None if self.runtime is None else self.runtime.run_feeds[1]
        listed = listed_feeds(self.crawler) if run_total is None else run_total
        return max(listed, self.done())

    def figures(self, elapsed_s: float) -> Figures:
        assert self.crawler.stats is not None
        mine = Figures.of(self.crawler.stats.get_stats(), elapsed_s)
        run_work = None if self.runtime is None else self.runtime.run_work
        if run_work is None:
            return mine
        queued, pages_per_min = run_work
        return replace(mine, queued=queued, pages_per_min=pages_per_min)


class Progress:
    def __init__(self, crawler: Crawler, interval_s: float) -> None:
        self.crawler = crawler
        self.interval_s = interval_s
        self.run = RunView(crawler)
        self.started = time.monotonic()
        self.task: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval_s = CrawlerConfig.from_settings(crawler.settings).progress_interval_s
        if interval_s <= 0:
            raise NotConfigured
        extension = cls(crawler, interval_s)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.task = LoopingCall(self.log)
        self.task.start(self.interval_s, now=False)

    def log(self) -> None:
        figures = self.run.figures(time.monotonic() - self.started)
        logger.info("%s", progress_line(figures, self.run.done(), self.run.total()))

    def spider_closed(self, spider: Any) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()


class LiveLine:
    """A line kept at the bottom of a terminal, drawn with a carriage return and blanked with
    spaces (no escape sequence, so any terminal shows it right), cut to the terminal's width
    (a wrapped line could not be redrawn in place). Used as the stream of whatever writes to
    the terminal (``sys.stderr``, the log handlers): each write first blanks the line, and a
    write that ends a line draws it again below. Thread-safe."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.text = ""  # the line to show
        self.shown = 0  # characters of it on the terminal now (0: not shown)
        self.at_line_start = True  # the last write ended its line: the line may be drawn
        self.active = True
        self._lock = threading.RLock()

    def _width(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError):
            columns = 0
        return columns - 1 if columns > 1 else 10_000  # never the last column: it wraps

    def _blank(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.shown = 0

    def _draw(self) -> None:
        if not (self.active and self.at_line_start and self.text):
            return
        text = self.text[: self._width()]
        padding = " " * max(0, self.shown - len(text))
        self.stream.write("\r" + text + padding)
        self.shown = len(text) + len(padding)
        self.stream.flush()

    def show(self, text: str) -> None:
        with self._lock:
            self.text = text
            self._draw()

    def finish(self, text: str) -> None:
        """Draw ``text`` one last time and leave it, with its line ended."""
        with self._lock:
            self.text = text
            self._draw()
            if self.shown:
                self.stream.write("\n")
                self.stream.flush()
            self.shown = 0
            self.active = False

    # The text-stream methods its writers use.
    def write(self, data: str) -> int:
        with self._lock:
            if data:
                self._blank()
                self.stream.write(data)
                self.at_line_start = data.endswith("\n")
                if self.at_line_start:
                    self._draw()
        return len(data)

    def flush(self) -> None:
        with self._lock:
            self.stream.flush()

    def fileno(self) -> int:
        return self.stream.fileno()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def __getattr__(self, name: str) -> Any:  # encoding, errors, buffer...
        return getattr(self.stream, name)


class LiveProgress:
    def __init__(self, crawler: Crawler, stream: TextIO) -> None:
        self.crawler = crawler
        self.stream = stream
        self.run = RunView(crawler)
        self.started = time.monotonic()
        self.line: LiveLine | None = None
        self.task: LoopingCall | None = None
        self.handlers: list[logging.StreamHandler[Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LiveProgress:
        if not CrawlerConfig.from_settings(crawler.settings).progress_live:
            raise NotConfigured
        stream = sys.stderr
        if not (hasattr(stream, "isatty") and stream.isatty()):
            raise NotConfigured
        extension = cls(crawler, stream)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.restore, signal=signals.engine_stopped)
        return extension

    def line_text(self, *, final: bool) -> str:
        figures = self.run.figures(time.monotonic() - self.started)
        return live_line(figures, self.run.done(), self.run.total(), final=final)

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.line = LiveLine(self.stream)
        # Everything that writes to the terminal goes through the line: Scrapy's log handler
        # and direct writes to sys.stderr (the summary at LOG_LEVEL=WARNING, warnings).
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is self.stream:
                handler.setStream(cast(TextIO, self.line))
                self.handlers.append(handler)
        sys.stderr = cast(TextIO, self.line)
        self.task = LoopingCall(self.redraw)
        self.task.start(LIVE_INTERVAL_S, now=True)

    def redraw(self) -> None:
        if self.line is not None:
            self.line.show(self.line_text(final=False))

    def spider_closed(self, spider: Any) -> None:
        """The final figures (every pipeline has closed), drawn and kept."""
        if self.task is not None and self.task.running:
            self.task.stop()
        if self.line is not None and self.line.active:
            self.line.finish(self.line_text(final=True))
        self.restore()

    def restore(self) -> None:
        """The terminal's own stream back where the line was put (also after an unclean stop)."""
        if self.line is None:
            return
        self.line.active = False
        for handler in self.handlers:
            handler.setStream(self.stream)
        self.handlers = []
        if sys.stderr is cast(TextIO, self.line):
            sys.stderr = self.stream
