"""Per-feed history of scheduled runs: one row per feed per run. Pure (no Scrapy).

Kept in the embedded state store's SQLite file (``<NEWSCRAWLER_STATE_DIR>/state.sqlite3``,
table ``feed_history``) through its own connection: the rows are written once at the end of a
run and read by the polling decision (``crawler.polling``) and the health page
(``crawler.health``). Rows older than ``NEWSCRAWLER_FEED_HISTORY_DAYS`` are deleted by
``prune``. ``FeedHistoryStore`` is the interface; distributed mode keeps the same rows in Redis
(``crawler.storage.redis_feed_history``); ``open_feed_history`` picks the store from the config.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from crawler.polling import FeedHints, FeedRun
from crawler.storage.state import SQLITE_FILE, add_column

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feed_history (
    feed_url TEXT NOT NULL,
    run_at REAL NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    http_status INTEGER,
    entries INTEGER NOT NULL,
    new_articles INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    latency_s REAL,
    hints TEXT,
    work_left TEXT,
    PRIMARY KEY (feed_url, run_at)
);
CREATE INDEX IF NOT EXISTS feed_history_by_time ON feed_history(run_at);
"""
_COLUMNS = (
    "feed_url, run_at, status, reason, http_status, entries, new_articles, failures, bytes, "
    "latency_s, hints, work_left"
)


class FeedHistoryStore(Protocol):
    """Where the feed history is kept: SQLite (``FeedHistory``) or Redis
    (``RedisFeedHistory``). Times are POSIX seconds; rows come oldest first."""

    def add(self, runs: Iterable[FeedRun]) -> None:
        """Store these rows (one per feed per run)."""

    def runs(self, feed_url: str | None = None, *, limit: int | None = None) -> list[FeedRun]:
        """Rows of one feed, or of every feed."""

    def recent(
        self, feed_urls: Sequence[str], *, limit: int | None = None
    ) -> dict[str, list[FeedRun]]:
        """The newest ``limit`` rows (all without it) of each of these feeds."""

    def feeds(self) -> list[str]:
        """The feeds with rows."""

    def prune(self, before: float) -> int:
        """Delete rows of runs before ``before``; returns how many."""

    def close(self) -> None:
        """Release the store's resources."""


class FeedHistory:
    """The ``feed_history`` table of one SQLite file. Thread-safe; one transaction per call."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        # A history written before work left was recorded: its rows read NULL, no work left.
        add_column(self._db, "feed_history", "work_left", "TEXT")

    def add(self, runs: Iterable[FeedRun]) -> None:
        """Store these rows (a row for the same feed and run time replaces the old one)."""
        rows = [
            (
                r.feed_url,
                r.run_at,
                r.status,
                r.reason,
                r.http_status,
                r.entries,
                r.new_articles,
                r.failures,
                r.bytes,
                r.latency_s,
                json.dumps(r.hints.to_json()),
                r.work_left,
            )
            for r in runs
        ]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    f"INSERT OR REPLACE INTO feed_history ({_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def runs(self, feed_url: str | None = None, *, limit: int | None = None) -> list[FeedRun]:
        """Rows of one feed (or of every feed), oldest first; ``limit``: the newest ones."""
        where, args = ("WHERE feed_url = ?", [feed_url]) if feed_url else ("", [])
        query = f"SELECT {_COLUMNS} FROM feed_history {where} ORDER BY run_at DESC"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self._db.execute(query, args).fetchall()
        return [_run(row) for row in reversed(rows)]

    def recent(
        self, feed_urls: Sequence[str], *, limit: int | None = None
    ) -> dict[str, list[FeedRun]]:
        return {url: self.runs(url, limit=limit) for url in feed_urls}

    def feeds(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT DISTINCT feed_url FROM feed_history")]

    def prune(self, before: float) -> int:
        """Delete rows of runs before ``before`` (POSIX seconds); returns how many."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM feed_history WHERE run_at < ?", (before,))
        return cursor.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


class HistoryConfig(Protocol):
    """The part of ``CrawlerConfig`` ``open_feed_history`` reads."""

    @property
    def state_dir(self) -> Path: ...
    @property
    def redis_url(self) -> str | None: ...
    @property
    def feed_history_days(self) -> float: ...


def open_feed_history(config: HistoryConfig) -> FeedHistoryStore:
    """The history of the crawl's state store: in Redis in distributed mode (``REDIS_URL``;
    needs the distributed extra), else in ``state.sqlite3`` of ``NEWSCRAWLER_STATE_DIR``."""
    if config.redis_url:
        from crawler.storage.redis_feed_history import RedisFeedHistory

        return RedisFeedHistory.from_url(
            config.redis_url, retention_s=config.feed_history_days * 86400
        )
    return FeedHistory(config.state_dir / SQLITE_FILE)


def _run(row: Sequence[object]) -> FeedRun:
    (
        feed_url,
        run_at,
        status,
        reason,
        http_status,
        entries,
        new,
        failures,
        size,
        latency,
        hints,
        work_left,
    ) = row
    try:
        parsed = FeedHints.from_json(json.loads(str(hints))) if hints else FeedHints()
    except ValueError:
        parsed = FeedHints()
    return FeedRun(
        feed_url=str(feed_url),
        run_at=float(run_at),  # type: ignore[arg-type]
        status=str(status),
        reason=None if reason is None else str(reason),
        http_status=None if http_status is None else int(http_status),  # type: ignore[call-overload]
        entries=int(entries),  # type: ignore[call-overload]
        new_articles=int(new),  # type: ignore[call-overload]
        failures=int(failures),  # type: ignore[call-overload]
        bytes=int(size),  # type: ignore[call-overload]
        latency_s=None if latency is None else float(latency),  # type: ignore[arg-type]
        hints=parsed,
        work_left=None if work_left is None else str(work_left),
    )
