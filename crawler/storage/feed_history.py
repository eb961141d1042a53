"""Per-feed history of scheduled runs: one row per feed per run. Pure (no Scrapy).

Kept in the embedded state store's SQLite file (``<NEWSCRAWLER_STATE_DIR>/state.sqlite3``,
table ``feed_history``) through its own connection: the rows are written once at the end of a
run and read by the polling decision (``crawler.polling``) and the health page
(``crawler.health``). Rows older than ``NEWSCRAWLER_FEED_HISTORY_DAYS`` are deleted by
``prune``. Distributed mode (Redis) has no feed history yet: the feature is off there.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from crawler.polling import FeedHints, FeedRun

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
    PRIMARY KEY (feed_url, run_at)
);
CREATE INDEX IF NOT EXISTS feed_history_by_time ON feed_history(run_at);
"""
_COLUMNS = (
    "feed_url, run_at, status, reason, http_status, entries, new_articles, failures, bytes, "
    "latency_s, hints"
)


class FeedHistory:
    """The ``feed_history`` table of one SQLite file. Thread-safe; one transaction per call."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

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
            )
            for r in runs
        ]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    f"INSERT OR REPLACE INTO feed_history ({_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    )
